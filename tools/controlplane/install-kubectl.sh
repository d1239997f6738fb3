#!/usr/bin/env bash
# Provide kubectl from Debian's kubernetes-client package: the reference the reconciler's
# benchmark compares against. Idempotent. The last line on stdout is the path of that kubectl.
#
# When /usr/bin/kubectl is free (or already Debian's), the package is installed with apt-get
# (root or sudo). When another package owns /usr/bin/kubectl (e.g. the Cloud SDK's kubectl),
# installing would fail on the file conflict, so the package is unpacked into the cache instead
# and the other kubectl is left alone.
# Environment: DFCTL_CONTROLPLANE_CACHE (default ~/.cache/dfctl/controlplane).
set -euo pipefail

PACKAGE=kubernetes-client
CACHE_ROOT="${DFCTL_CONTROLPLANE_CACHE:-$HOME/.cache/dfctl/controlplane}"

log() { printf '[kubectl] %s\n' "$*" >&2; }

sudo=()
if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
fi

# Outputs are captured before matching: `grep -q` closing a pipe early fails under pipefail.
installed() {
    [[ $(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null || true) == "install ok installed" ]]
}

if installed; then
    log "$(dpkg-query -W -f='${Package} ${Version}' "$PACKAGE") (installed)"
    echo /usr/bin/kubectl
    exit 0
fi

candidate() { apt-cache policy "$PACKAGE" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
version="$(candidate)"
if [[ ! $version =~ ^[0-9] ]]; then
    log "apt-get update"
    "${sudo[@]}" apt-get update -qq >&2
    version="$(candidate)"
fi
[[ $version =~ ^[0-9] ]] || {
    echo "install-kubectl.sh: apt offers no $PACKAGE package" >&2
    exit 1
}

owner="$(dpkg-query -S /usr/bin/kubectl 2>/dev/null | cut -d: -f1 || true)"
if [[ -z $owner ]]; then
    log "installing $PACKAGE $version"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$PACKAGE" >&2
    echo /usr/bin/kubectl
    exit 0
fi

target="$CACHE_ROOT/$PACKAGE/$version"
if [[ -x $target/usr/bin/kubectl ]] && "$target/usr/bin/kubectl" version --client >/dev/null 2>&1; then
    log "$PACKAGE $version (unpacked in $target)"
    echo "$target/usr/bin/kubectl"
    exit 0
fi
log "/usr/bin/kubectl belongs to package $owner; unpacking $PACKAGE $version into $target"
work="$(mktemp -d "${TMPDIR:-/tmp}/dfctl-kubectl.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# apt's download sandbox user must be able to write there.
chmod 755 "$work"
(cd "$work" && apt-get download -qq "$PACKAGE=$version" >&2)
rm -rf "$target"
mkdir -p "$target"
dpkg-deb -x "$work"/"$PACKAGE"_*.deb "$target"
"$target/usr/bin/kubectl" version --client >&2
echo "$target/usr/bin/kubectl"
