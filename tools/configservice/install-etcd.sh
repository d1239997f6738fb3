#!/usr/bin/env bash
# Install etcd and etcdctl for the configuration-service tests and benchmark: Debian's
# etcd-server and etcd-client packages (etcd 3.4; dfctl speaks its v3 JSON gateway, which 3.4
# to 3.6 serve alike). The tests prefer the etcd 3.6 that tools/controlplane/build.sh builds
# when it is there, or $DFCTL_ETCD_BIN; the benchmark needs etcdctl (or $DFCTL_ETCDCTL_BIN).
#
# Idempotent: exits at once when both commands are already on PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"

if command -v etcd >/dev/null && command -v etcdctl >/dev/null; then
    echo "install-etcd.sh: $(etcd --version | head -n 1) and etcdctl present" >&2
    exit 0
fi
# Where systemd runs, the package also starts a system etcd on 2379; the tests never use it
# (they start their own on free ports).
apt_install install-etcd.sh "install etcd 3.4+ and etcdctl, or set DFCTL_ETCD_BIN and DFCTL_ETCDCTL_BIN" \
    etcd-server etcd-client
echo "install-etcd.sh: installed $(etcd --version | head -n 1)" >&2
