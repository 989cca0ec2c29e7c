#!/usr/bin/env bash
# Fetches the CPU part of libtorch 2.4.0 for `--features torch` (the rust-bert encoder backend)
# from the PyPI wheel torch==2.4.0, without its 2 GB of CUDA packages.
#
# Usage: tools/fetch-libtorch.sh [DIR]      (default: target/libtorch)
# Then:  LIBTORCH=DIR/torch LIBTORCH_CXX11_ABI=0 cargo test --release --features torch --test encoder
#
# The PyPI wheel for x86-64 Linux is the CUDA build. Only libtorch_cpu, libc10, libtorch and
# the headers are kept; with no libtorch_cuda.so beside them torch-sys links the CPU library
# alone. libtorch_cpu.so still needs libcudart and libcupti to load (not to run on a CPU), so
# those two small NVIDIA wheels come too. Downloads 812 MB once, keeps 530 MB.
# Needs: python3 with pip, Linux x86-64.
set -euo pipefail

cd "$(dirname "$0")/.."
DIR=${1:-target/libtorch}
STAMP="$DIR/.complete-torch-2.4.0"
if [[ -f "$STAMP" ]]; then
    exit 0
fi

# name==version and the SHA-256 of its cp311 manylinux wheel (the libraries are the same for
# every Python version; fixing one makes the download reproducible).
WHEELS=(
    "torch==2.4.0 e743adadd8c8152bb8373543964551a7cb7cc20ba898dc8f9c0cdbe47c283de0"
    "nvidia-cuda-runtime-cu12==12.1.105 6e258468ddf5796e25f1dc591a31029fa317d97a0a94ed93468fc86301d61e40"
    "nvidia-cuda-cupti-cu12==12.1.105 e54fde3983165c624cb79254ae9818a456eb6e87a7fd4d56a2352c24ee542d7e"
)
TMP="$DIR.download"
rm -rf "$DIR" "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
for w in "${WHEELS[@]}"; do
    read -r spec sha <<<"$w"
    python3 -m pip download --quiet --no-cache-dir --no-deps --only-binary=:all: --python-version 3.11 \
        --platform manylinux1_x86_64 --dest "$TMP" "$spec"
done
(cd "$TMP" && for w in "${WHEELS[@]}"; do
    read -r spec sha <<<"$w"
    name=${spec%%==*}
    version=${spec##*==}
    file=$(ls "${name//-/_}-${version}-"*.whl)
    echo "$sha  $file"
done | sha256sum --check --quiet)

# The wheel layout is kept (DIR/torch/lib, DIR/nvidia/*/lib): libtorch_cpu.so finds the
# NVIDIA libraries through its rpath $ORIGIN/../../nvidia/*/lib.
python3 - "$TMP" "$DIR" <<'PY'
import fnmatch, pathlib, sys, zipfile
tmp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
keep = ["torch/include/*", "torch/lib/libc10.so", "torch/lib/libtorch.so", "torch/lib/libtorch_cpu.so",
        "torch/lib/libgomp-*.so.1", "nvidia/cuda_runtime/lib/libcudart.so.12",
        "nvidia/cuda_cupti/lib/libcupti.so.12"]
for wheel in sorted(tmp.glob("*.whl")):
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if any(fnmatch.fnmatchcase(name, k) for k in keep):
                z.extract(name, out)
PY
# torch-sys checks this file against the libtorch version it was written for.
echo "2.4.0" >"$DIR/torch/build-version"
touch "$STAMP"
echo "libtorch 2.4.0 (CPU) in $DIR/torch; build with: export LIBTORCH=$(cd "$DIR/torch" && pwd) LIBTORCH_CXX11_ABI=0"
