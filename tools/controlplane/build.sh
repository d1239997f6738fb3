#!/usr/bin/env bash
# Build the Kubernetes control plane the tests run against: kube-apiserver and
# kube-controller-manager from k8s.io/kubernetes, and etcd from go.etcd.io/etcd/server/v3.
#
# No prebuilt binaries can be downloaded here, but the Go module proxy is reachable, so the
# binaries are compiled from their modules. k8s.io/kubernetes replaces its staging modules
# (k8s.io/api, k8s.io/apiserver, ...) with ./staging/src paths, which `go install` rejects;
# a throwaway module that requires it and replaces each staging module with its published
# version builds it instead.
#
# Idempotent: when the three binaries already exist in the cache and run, it exits at once.
# Progress goes to stderr; the last line on stdout is the folder holding the binaries:
#   bin=$(bash tools/controlplane/build.sh)
#
# Options:  --with-kubectl  also build kubectl of the same release into the same folder.
# Environment:
#   K8S_VERSION                 k8s.io/kubernetes release (default: pinned in this script)
#   ETCD_VERSION                go.etcd.io/etcd/server/v3 release (default: pinned here too)
#   DFCTL_CONTROLPLANE_CACHE    cache root (default ~/.cache/dfctl/controlplane)
set -euo pipefail

# Newest releases the module proxy served when this was written; pinned so that every run
# builds (and caches) the same thing.
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE_ROOT="${DFCTL_CONTROLPLANE_CACHE:-$HOME/.cache/dfctl/controlplane}"
BIN_DIR="$CACHE_ROOT/$K8S_VERSION"

WITH_KUBECTL=0
for arg in "$@"; do
    case "$arg" in
        --with-kubectl) WITH_KUBECTL=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            echo "Pinned: K8S_VERSION=$K8S_VERSION ETCD_VERSION=$ETCD_VERSION"
            exit 0
            ;;
        *)
            echo "build.sh: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

log() { printf '[controlplane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A machine with two cores and a few GB per link step: build two packages at a time.
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=2"
export GOMAXPROCS="${GOMAXPROCS:-2}"
# Never fetch another Go toolchain behind our back; fail if the installed one is too old.
export GOTOOLCHAIN=local

wanted=(kube-apiserver kube-controller-manager etcd)
if [[ $WITH_KUBECTL == 1 ]]; then
    wanted+=(kubectl)
fi

version_of() { # version_of PATH: what the binary says its version is
    if [[ $(basename "$1") == kubectl ]]; then
        "$1" version --client
    else
        "$1" --version
    fi
}

runs() { # runs NAME: the binary exists in BIN_DIR and tells its version
    [[ -x "$BIN_DIR/$1" ]] && version_of "$BIN_DIR/$1" >/dev/null 2>&1
}

recorded_etcd() { # the etcd release the cached binary was built from
    sed -n 's/^etcd=//p' "$BIN_DIR/VERSION" 2>/dev/null || true
}

complete() {
    local name
    [[ -f "$BIN_DIR/VERSION" && $(recorded_etcd) == "$ETCD_VERSION" ]] || return 1
    for name in "${wanted[@]}"; do
        runs "$name" || return 1
    done
}

if complete; then
    log "cached: $BIN_DIR ($(paste -sd' ' "$BIN_DIR/VERSION"))"
    echo "$BIN_DIR"
    exit 0
fi

command -v go >/dev/null || {
    echo "build.sh: the go toolchain is required (go.dev/doc/install)" >&2
    exit 1
}

mkdir -p "$BIN_DIR"
# One build at a time per cache: a second caller waits, then finds the binaries.
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
    log "another build holds $CACHE_ROOT/.build.lock; waiting for it"
    flock 9
fi
if complete; then
    log "cached: $BIN_DIR"
    echo "$BIN_DIR"
    exit 0
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dfctl-controlplane.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
STAGE="$BIN_DIR/.staging"
rm -rf "$STAGE"
mkdir -p "$STAGE"

started=$SECONDS
log "$(go version); GOFLAGS=$GOFLAGS GOMAXPROCS=$GOMAXPROCS"

# --- Kubernetes -----------------------------------------------------------------------------
k8s_binaries=(kube-apiserver kube-controller-manager)
if [[ $WITH_KUBECTL == 1 ]]; then
    k8s_binaries+=(kubectl)
fi
need_k8s=0
for name in "${k8s_binaries[@]}"; do
    runs "$name" || need_k8s=1
done

if [[ $need_k8s == 1 ]]; then
    log "k8s.io/kubernetes $K8S_VERSION: downloading its go.mod"
    k8s_gomod="$(cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
        sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -f "$k8s_gomod" ]] || {
        echo "build.sh: could not download k8s.io/kubernetes@$K8S_VERSION" >&2
        exit 1
    }
    # Staging modules are published as k8s.io/<m> v0.<minor>.<patch> for release v1.<minor>.<patch>.
    staging_version="v0.${K8S_VERSION#v1.}"
    mapfile -t staging < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { print $1 }' "$k8s_gomod" | sort -u)
    [[ ${#staging[@]} -gt 0 ]] || {
        echo "build.sh: no staging replaces found in $k8s_gomod" >&2
        exit 1
    }
    log "replacing ${#staging[@]} staging modules with their $staging_version releases"

    mkdir -p "$WORK/k8s"
    {
        echo "module dfctl.local/controlplane-build"
        echo
        echo "go $(awk '$1 == "go" { print $2; exit }' "$k8s_gomod")"
        echo
        # The release's own godebug settings, so the binaries behave as upstream builds them.
        awk '/^godebug \(/ { block = 1 } block { print } block && /^\)/ { block = 0 } /^godebug [^(]/ { print }' "$k8s_gomod"
        echo
        echo "require k8s.io/kubernetes $K8S_VERSION"
        echo
        echo "replace ("
        for m in "${staging[@]}"; do
            echo "	$m => $m $staging_version"
        done
        echo ")"
    } >"$WORK/k8s/go.mod"

    packages=()
    for name in "${k8s_binaries[@]}"; do
        packages+=("k8s.io/kubernetes/cmd/$name@$K8S_VERSION")
    done
    log "resolving dependencies (go get ${packages[*]})"
    (cd "$WORK/k8s" && go get "${packages[@]}")

    minor="${K8S_VERSION#v1.}"
    minor="${minor%%.*}"
    ldflags="-s -w"
    ldflags+=" -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
    ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
    ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/component-base/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
    for name in "${k8s_binaries[@]}"; do
        if runs "$name"; then
            log "$name: already built"
            continue
        fi
        t0=$SECONDS
        log "$name: building (the first build compiles most of Kubernetes; expect minutes)"
        (cd "$WORK/k8s" && go build -trimpath -ldflags "$ldflags" -o "$STAGE/$name" \
            "k8s.io/kubernetes/cmd/$name")
        version_of "$STAGE/$name" >&2
        mv -f "$STAGE/$name" "$BIN_DIR/$name"
        log "$name: done in $((SECONDS - t0)) s, $(du -h "$BIN_DIR/$name" | cut -f1)"
    done
fi

# --- etcd -----------------------------------------------------------------------------------
if runs etcd && [[ $(recorded_etcd) == "$ETCD_VERSION" ]]; then
    log "etcd: already built"
else
    t0=$SECONDS
    log "etcd $ETCD_VERSION: resolving go.etcd.io/etcd/server/v3"
    mkdir -p "$WORK/etcd"
    (cd "$WORK/etcd" && go mod init dfctl.local/etcd-build >/dev/null 2>&1 &&
        go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
    log "etcd: building"
    (cd "$WORK/etcd" && go build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3)
    version_of "$STAGE/etcd" >&2
    mv -f "$STAGE/etcd" "$BIN_DIR/etcd"
    log "etcd: done in $((SECONDS - t0)) s, $(du -h "$BIN_DIR/etcd" | cut -f1)"
fi

rm -rf "$STAGE"
{
    echo "kubernetes=$K8S_VERSION"
    echo "etcd=$ETCD_VERSION"
    echo "go=$(go env GOVERSION)"
} >"$BIN_DIR/VERSION.tmp"
mv -f "$BIN_DIR/VERSION.tmp" "$BIN_DIR/VERSION"

complete || {
    echo "build.sh: the binaries in $BIN_DIR do not run" >&2
    exit 1
}
log "built in $((SECONDS - started)) s: $BIN_DIR"
echo "$BIN_DIR"
