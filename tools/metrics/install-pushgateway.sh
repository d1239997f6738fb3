#!/usr/bin/env bash
# Install the Prometheus Pushgateway for the inspection's metrics tests (tests/test_inspect_live.py
# pushes to a real one and reads it back): Debian's prometheus-pushgateway package. Its systemd
# unit is not used; the tests start the binary on a free loopback port of their own.
#
# Idempotent: exits at once when prometheus-pushgateway is on PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"

if command -v prometheus-pushgateway >/dev/null; then
    echo "install-pushgateway.sh: $(prometheus-pushgateway --version 2>&1 | head -n 1) present" >&2
    exit 0
fi
apt_install install-pushgateway.sh "put the Pushgateway on PATH as prometheus-pushgateway" \
    prometheus-pushgateway
echo "install-pushgateway.sh: installed $(prometheus-pushgateway --version 2>&1 | head -n 1)" >&2
