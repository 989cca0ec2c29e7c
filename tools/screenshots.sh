#!/usr/bin/env bash
# The README's pictures of the reading view, taken by headless Chromium from corpus/:
# docs/reading-view.png (`lesart inspect … --html`), docs/compare.png (`lesart compare … --html`)
# and docs/report.png (report.html's top). Needs chromium (Debian: apt-get install chromium).
#
#   tools/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
lesart=target/release/lesart
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shoot() {  # PAGE PNG WIDTH HEIGHT
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$work/profile" \
        --window-size="$3,$4" --screenshot="$2" "file://$1" 2>/dev/null
}
"$lesart" inspect corpus/stance-contra-helga-brandt.txt --html "$work/inspect.html"
"$lesart" compare corpus/stance-pro-helga-brandt.txt corpus/stance-contra-helga-brandt.txt --html "$work/compare.html" >/dev/null
"$lesart" analyze corpus/ --out "$work/out" --quiet
shoot "$work/inspect.html" docs/reading-view.png 1100 1200
shoot "$work/compare.html" docs/compare.png 1100 1300
shoot "$work/out/report.html" docs/report.png 1100 900
ls -l docs/reading-view.png docs/compare.png docs/report.png
