#!/usr/bin/env bash
# Regenerates tests/data/ref/ from the fixtures in tests/data/lfw/ with face-api.js.
#   tools/faceapi-ref/make-ref.sh [OUTDIR]      (default: tests/data/ref; run setup.sh first)
# With OUTDIR elsewhere, it leaves the committed files alone: `diff -r` them to check
# that a fresh run reproduces the committed references byte for byte
# (`diff -r -x README.md OUTDIR tests/data/ref`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export LC_ALL=C
out="${1:-tests/data/ref}"
mkdir -p "$out/pixels"
ref=tools/faceapi-ref/ref.js
dec=tools/faceapi-ref/decode.js
lfw=tests/data/lfw

# 1. all fixtures, face-api defaults (minConfidence 0.5, maxResults 100)
node "$ref" "$lfw"/*.jpg > "$out/faceapi_ref.jsonl"
# 2. the fixtures without a face at 0.5, with the padded retry
node "$ref" --pad "$lfw"/John_McCain_0003.jpg "$lfw"/Kevin_Stallings_0002.jpg \
    "$lfw"/Portia_de_Rossi_0001.jpg > "$out/faceapi_ref_pad.jsonl"
# 3. the pixels face-api saw (jpeg-js), lossless, and two non-square crops of them
node "$dec" --outdir "$out/pixels" "$lfw"/*.jpg > /dev/null
node "$dec" --crop 0,37,250,173 --out "$out/pixels/Aaron_Eckhart_0001_wide.png" "$lfw"/Aaron_Eckhart_0001.jpg > /dev/null
node "$dec" --crop 41,0,167,250 --out "$out/pixels/Emmanuelle_Beart_0001_tall.png" "$lfw"/Emmanuelle_Beart_0001.jpg > /dev/null
node "$ref" "$out/pixels/Aaron_Eckhart_0001_wide.png" "$out/pixels/Emmanuelle_Beart_0001_tall.png" \
    | sed "s|\"image\":\"$out/|\"image\":\"tests/data/ref/|" > "$out/faceapi_ref_nonsquare.jsonl"
echo "faceapi-ref: wrote $out"
