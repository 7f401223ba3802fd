#!/usr/bin/env bash
# Regenerates tests/data/blazeface/ref.jsonl (run from anywhere; OUT=FILE writes elsewhere).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/tools/blazeface-ref/setup.sh" >&2
P="$root/tests/data/ref/pixels"
export LC_ALL=C
node "$root/tools/blazeface-ref/ref.js" --top 8 "$root/models" \
    "$P/Aaron_Eckhart_0001.png" "$P/Akhmed_Zakayev_0001.png" "$P/Candice_Bergen_0001.png" \
    "$P/Dario_Franchitti_0001.png" "$P/Emmanuelle_Beart_0001.png" \
    "$P/Aaron_Eckhart_0001.png@70,75,110,110" "$P/Emmanuelle_Beart_0001.png@65,65,120,120" \
    > "${OUT:-$root/tests/data/blazeface/ref.jsonl}"
