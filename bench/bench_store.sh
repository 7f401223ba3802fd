#!/usr/bin/env bash
# bench_store.sh - the record system's speed and size at scale: `bex simulate` (synthetic
# templates; the face model is not run) at the chosen traveller counts, each beside its peer
# measured in the same run on the same disk: bare SQLite commits of one small row with the
# same journal and fsync settings, the bound for a store that commits every crossing.
#
#   bench/bench_store.sh [TRAVELLERS...]      (default: 2000 20000)
# Prints one table row per run; the JSON of each run is kept in bench-store-N.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bex-bench-store.XXXXXX")
trap 'rm -rf "$dir"' EXIT
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(2000 20000)
printf '%-11s %-6s %9s %8s %8s %13s %12s %10s %12s %9s\n' travellers fsync encounters entry/s exit/s \
    bare_commit/s cost_commits report_s MB/1e6_enc found
for n in "${counts[@]}"; do
    for sync in "" --no-fsync; do
        "$bex" simulate --db "$dir/sim-$n$sync.db" --travellers "$n" --days 365 $sync >"bench-store-$n$sync.json"
        python3 - "bench-store-$n$sync.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p, f = d["planted"], d["found"]
found = "%d/%d" % (f["left_late"] + f["never_left"] + f["impostors"] + f["two_identities"],
                   p["left_late"] + p["never_left"] + p["impostors"] + p["two_identities"])
print("%-11d %-6s %9d %8.0f %8.0f %13.0f %12.2f %10.3f %12.0f %9s" % (
    d["travellers"], "yes" if d["fsync"] else "no", d["encounters"], d["entries_per_s"], d["exits_per_s"],
    d["bare_commits_per_s"], d["crossing_cost_in_bare_commits"], d["overstay_report"]["seconds"],
    d["db_bytes_per_million_encounters"] / 1e6, found))
PY
    done
done
