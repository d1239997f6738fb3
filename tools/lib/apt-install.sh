# Sourced by the install scripts.
#
# apt_install SCRIPT HINT PACKAGE...: install Debian packages with apt-get, as root or through
# sudo. Without apt-get, SCRIPT says what to install instead (HINT) and the caller exits 1.
apt_install() {
    local script=$1 hint=$2
    shift 2
    if ! command -v apt-get >/dev/null; then
        echo "$script: needs apt-get (Debian or Ubuntu); elsewhere $hint" >&2
        exit 1
    fi
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
