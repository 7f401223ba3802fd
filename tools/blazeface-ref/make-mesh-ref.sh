#!/usr/bin/env bash
# Regenerates tests/data/facemesh/ref.jsonl (run from anywhere; OUT=FILE writes elsewhere).
# Each crop map is the one bex's mesh_roi gives (with the half-pixel shift facemesh.c adds) for
# the fixture's BlazeFace short-range detection, printed to 6 digits; both sides use it as given:
# upright faces and one turned by 15 degrees (Hugo_Chavez_0033).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/tools/blazeface-ref/setup.sh" >&2
P="$root/tests/data/ref/pixels"
export LC_ALL=C
mkdir -p "$root/tests/data/facemesh"
node "$root/tools/blazeface-ref/mesh-ref.js" "$root/models" \
    "$P/Aaron_Eckhart_0001.png@0.871701,0.00923628,40.2817,-0.00923628,0.871701,50.942" \
    "$P/Hugo_Chavez_0033.png@0.910361,0.239604,42.9181,-0.239604,0.910361,80.7094" \
    "$P/Candice_Bergen_0001.png@0.562112,-0.0156836,67.6175,0.0156836,0.562112,72.8363" \
    > "${OUT:-$root/tests/data/facemesh/ref.jsonl}"
