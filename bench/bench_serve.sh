#!/usr/bin/env bash
# bench_serve.sh - gate decisions per second through `bex serve`, and their latency, measured
# with wrk (Debian) on loopback: a carrier's boarding gate posting a passenger's photo (an LFW
# fixture, 250x250 JPEG) to POST /v1/exits for a departure whose manifest gallery holds N
# travellers (N-1 synthetic ones from `bex simulate` plus the photo's person).
#
#   bench/bench_serve.sh [N] [SECONDS] [CONNECTIONS]     (default: 420 20 4)
# Prints wrk's report; the peer is the photo path alone (bench_pipeline's ms per photo),
# the bound for decisions per second on this many cores.
# Above 5,000 travellers the gallery is N synthetic visa holders (bex simulate --enrol-only)
# and the decision is an officer's POST /v1/identify against all of them: a land crossing with
# no manifest, the 1:N search over the whole gallery on every request.
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
n=${1:-420}; secs=${2:-20}; conns=${3:-4}
command -v wrk >/dev/null || { echo "bench_serve: needs wrk (apt-get install wrk)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/bex-bench-serve.XXXXXX")
trap 'kill $sp 2>/dev/null; rm -rf "$dir"' EXIT
db="$dir/bench.db"
large=0
[ "$n" -gt 5000 ] && large=1
if [ $large -eq 1 ]; then
    "$bex" simulate --db "$db" --enrol-only "$((n - 1))" --no-fsync
else
    "$bex" simulate --db "$db" --travellers "$((n - 1))" --days 2 --no-fsync >/dev/null
fi
mrz=$("$bex" mrz make --number B00000001 --state GBR --nationality GBR --surname OKAFOR --given ADA \
      --birth 1971-08-16 --sex F --expiry 2032-01-01)
"$bex" entry --db "$db" --photo tests/data/lfw/Angela_Bassett_0004.jpg --doc-photo tests/data/lfw/Angela_Bassett_0001.jpg \
    --mrz "$mrz" --class B2 --admit-until 2030-01-01 --port JFK --port-kind air --at 2026-06-01T08:00:00Z >/dev/null
if [ $large -eq 0 ]; then
# the departure's manifest: every traveller on record, with the names and birth date a carrier
# holds (only travellers that agree with the record are in the manifest's gallery)
sqlite3 -batch -separator '|' "$db" "SELECT DISTINCT issuing_state, number, surname, given_names, birth_date FROM documents" |
python3 -c '
import json, sys
t = [{"issuing_state": a, "number": b, "surname": c, "given_names": g, "birth_date": d}
     for a, b, c, g, d in (l.split("|", 4) for l in sys.stdin.read().splitlines())]
json.dump({"departure": "BENCH-1", "carrier": "BX", "voyage": "BX1", "port": "JFK", "port_kind": "air",
           "scheduled": "2026-06-02T18:00:00Z", "travellers": t}, sys.stdout)' >"$dir/manifest.json"
"$bex" manifest load --db "$db" "$dir/manifest.json" >/dev/null || true
fi
if [ $large -eq 1 ]; then
    key=$("$bex" keys add --db "$db" --role officer | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
    route="/v1/identify"
else
    key=$("$bex" keys add --db "$db" --role carrier --carrier BX | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
    route="/v1/exits?port=JFK&departure=BENCH-1"
fi
"$bex" serve --db "$db" --listen 127.0.0.1:0 --workers "$(nproc)" >"$dir/serve.out" 2>"$dir/serve.err" &
sp=$!
for _ in $(seq 100); do grep -q listening "$dir/serve.out" 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$dir/serve.out")"
cat >"$dir/post.lua" <<'LUA'
wrk.method = "POST"
local f = io.open(os.getenv("BEX_PHOTO"), "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BEX_KEY")
wrk.headers["Content-Type"] = "image/jpeg"
LUA
one=$(curl -s -H "Authorization: Bearer $key" --data-binary @tests/data/lfw/Angela_Bassett_0005.jpg "$url$route")
echo "one decision: $one"
BEX_PHOTO=tests/data/lfw/Angela_Bassett_0005.jpg BEX_KEY=$key \
    wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$dir/post.lua" "$url$route"
curl -s "$url/metrics" | grep -E '^bex_(extract|store)_seconds|^bex_busy_total|^bex_responses'
kill -TERM $sp; wait $sp || true
