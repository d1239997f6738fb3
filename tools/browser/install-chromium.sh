#!/usr/bin/env bash
# Install Chromium and the Noto CJK fonts for the browser tests of the inspection report
# (tests/test_inspect_report.py, marked `browser`): Debian's chromium package, run headless, and
# fonts-noto-cjk so that the Chinese report's labels render as glyphs rather than empty boxes.
#
# Idempotent: exits at once when `chromium` is on PATH and the font is installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"

have_font() {
    command -v fc-list >/dev/null && fc-list :lang=zh family | grep -q "Noto Sans CJK SC"
}

if command -v chromium >/dev/null && have_font; then
    echo "install-chromium.sh: $(chromium --version 2>/dev/null | head -n 1) and Noto Sans CJK SC present" >&2
    exit 0
fi
# fontconfig brings fc-list, which the check above uses on the next run
apt_install install-chromium.sh "install Chromium at /usr/bin/chromium and the Noto Sans CJK SC font" \
    chromium fonts-noto-cjk fontconfig
echo "install-chromium.sh: installed $(chromium --version 2>/dev/null | head -n 1) and Noto Sans CJK SC" >&2
