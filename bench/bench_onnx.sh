#!/usr/bin/env bash
# bench_onnx.sh - BlazeFace ONNX per inference, bex against onnxruntime-node (one thread each,
# same machine), each repeated 5 times; then the denormal model with and without FTZ / DAZ.
#   make build/bench/bench_onnx && tools/onnx-ref/setup.sh && bench/bench_onnx.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$PWD/models/face_detection_front_128x128_barracuda.onnx" "$tmp/blazeface.onnx"
cp tests/data/onnx/blazeface.input.bin tests/data/onnx/blazeface.shapes.json "$tmp/"
for i in 1 2 3 4 5; do
    "$BUILD/bench/bench_onnx"
    if [ -d tools/onnx-ref/node_modules/onnxruntime-node ]; then BENCH=300 node tools/onnx-ref/ref.js "$tmp" blazeface; fi
done
echo "== denormal weights (tests/data/onnx/denormal.onnx)"
for i in 1 2 3; do
    "$BUILD/bench/bench_onnx" tests/data/onnx/denormal.onnx tests/data/onnx/denormal.input.bin 100
    BENCH_DENORMALS=1 "$BUILD/bench/bench_onnx" tests/data/onnx/denormal.onnx tests/data/onnx/denormal.input.bin 100
done
