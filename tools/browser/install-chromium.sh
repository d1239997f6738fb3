#!/usr/bin/env bash
# Install Chromium and the Noto CJK fonts for the browser tests of the inspection report
# (tests/test_inspect_report.py, marked `browser`): Debian's chromium package, run headless, and
# fonts-noto-cjk so that the Chinese report's labels render as glyphs rather than empty boxes.
#
# Idempotent: exits at once when `chromium` is on PATH and the font is installed.
set -euo pipefail

have_font() {
    command -v fc-list >/dev/null && fc-list :lang=zh family | grep -q "Noto Sans CJK SC"
}

if command -v chromium >/dev/null && have_font; then
    echo "install-chromium.sh: $(chromium --version 2>/dev/null | head -n 1) and Noto Sans CJK SC present" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-chromium.sh: needs apt-get (Debian or Ubuntu); elsewhere install Chromium at" \
        "/usr/bin/chromium and the Noto Sans CJK SC font" >&2
    exit 1
fi
sudo=()
if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# fontconfig brings fc-list, which the check above uses on the next run
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig >/dev/null
echo "install-chromium.sh: installed $(chromium --version 2>/dev/null | head -n 1) and Noto Sans CJK SC" >&2
