#!/usr/bin/env bash
# The test command: make sure the real servers the tests run against exist, then run every
# test tier with pytest (arguments are passed on to pytest).
#   - etcd, kube-apiserver and kube-controller-manager, built from their Go modules into a cache
#     outside the clone (the first build takes 10-25 minutes; later runs reuse it at once);
#   - etcd and etcdctl from Debian's packages for the configuration-service tests;
#   - Chromium and the Noto CJK fonts from Debian's packages for the HTML report's browser tests;
#   - the Prometheus Pushgateway from Debian's packages for the inspection's metrics test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/controlplane/build.sh >/dev/null
bash tools/configservice/install-etcd.sh
bash tools/browser/install-chromium.sh
bash tools/metrics/install-pushgateway.sh
exec .venv/bin/pytest "$@"
