#!/usr/bin/env bash
# Install the Prometheus Pushgateway for the inspection's metrics tests (tests/test_inspect_live.py
# pushes to a real one and reads it back): Debian's prometheus-pushgateway package. Its systemd
# unit is not used; the tests start the binary on a free loopback port of their own.
#
# Idempotent: exits at once when prometheus-pushgateway is on PATH.
set -euo pipefail

if command -v prometheus-pushgateway >/dev/null; then
    echo "install-pushgateway.sh: $(prometheus-pushgateway --version 2>&1 | head -n 1) present" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-pushgateway.sh: needs apt-get (Debian or Ubuntu); elsewhere put the Pushgateway" \
        "on PATH as prometheus-pushgateway" >&2
    exit 1
fi
sudo=()
if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends prometheus-pushgateway >/dev/null
echo "install-pushgateway.sh: installed $(prometheus-pushgateway --version 2>&1 | head -n 1)" >&2
