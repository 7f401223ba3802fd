#!/usr/bin/env bash
# make-ref.sh - remakes tests/data/onnx/: the test models (make_models.py, seed 13), their
# inputs, and onnxruntime-node's outputs (ref.js), plus the outputs of the real BlazeFace ONNX
# model (models/, tools/fetch-models.sh) on the committed blazeface.input.bin.
#   tools/onnx-ref/setup.sh && tools/onnx-ref/make-ref.sh [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/tests/data/onnx}
/usr/bin/python3 "$root/tools/onnx-ref/make_models.py" "$out" 13
node "$root/tools/onnx-ref/ref.js" "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$root/models/face_detection_front_128x128_barracuda.onnx" "$tmp/blazeface.onnx"
cp "$out/blazeface.input.bin" "$out/blazeface.shapes.json" "$tmp/"
node "$root/tools/onnx-ref/ref.js" "$tmp" blazeface
cp "$tmp/blazeface.output.bin" "$out/"
echo "make-ref: wrote $out"
