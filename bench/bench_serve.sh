#!/usr/bin/env bash
# bench_serve.sh - gate decisions per second through `bex serve`, and their latency, measured
# with wrk (Debian) on loopback: a carrier's boarding gate posting a passenger's photo (an LFW
# fixture, 250x250 JPEG) to POST /v1/exits for a departure whose manifest gallery holds N
# travellers (N-1 synthetic ones from `bex simulate` plus the photo's person).
#
#   bench/bench_serve.sh [N] [SECONDS] [CONNECTIONS] [IDLE] [REPEATS]   (default: 420 20 4 0 2)
# Prints wrk's report; the peer is the photo path alone (bench_pipeline's ms per photo),
# the bound for decisions per second on this many cores.
# IDLE > 0: a hostile network beside the gates. The same load runs REPEATS times without and
# with IDLE connections held open from other loopback addresses (127.0.0.2 and up, 25 each,
# under --max-per-client) by tests/tools/hostile.py, each sending half a request header and
# then a byte every 2 s (a slowloris, held past --header-timeout on purpose); prints
# decisions/s, p99 and CPU a decision of each run and the ratio with/without (the aim: under
# 10% loss). Each phase runs on a new server over the store as set up (the load grows it),
# and repeats alternate which comes first (ABBA).
# Above 5,000 travellers the gallery is N synthetic visa holders (bex simulate --enrol-only)
# and the decision is an officer's POST /v1/identify against all of them: a land crossing with
# no manifest, the 1:N search over the whole gallery on every request.
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
n=${1:-420}; secs=${2:-20}; conns=${3:-4}; idle=${4:-0}; repeats=${5:-2}
command -v wrk >/dev/null || { echo "bench_serve: needs wrk (apt-get install wrk)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/bex-bench-serve.XXXXXX")
trap 'kill $sp 2>/dev/null || true; rm -rf "$dir"' EXIT
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
# one carrier key drives every gate here: no per-key rate limit (the default, 50 a second, is
# a carrier key's budget, which these gates together exceed); --header-timeout 3600: the slow
# connections are held for the whole run (the worst case), not closed at the 10 s default
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$db.start" # every phase of the idle comparison starts from this store (below)
serve() {
    "$bex" serve --db "$db" --listen 127.0.0.1:0 --workers "$(nproc)" --rate 0 --header-timeout 3600 \
        >"$dir/serve.out" 2>"$dir/serve.err" &
    sp=$!
    for _ in $(seq 100); do grep -q listening "$dir/serve.out" 2>/dev/null && break; sleep 0.05; done
    url="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$dir/serve.out")"
    port=${url##*:}
}
# a new server on the store as it was before any load: the load grows the store (each matched
# exit keeps its capture, and the one traveller's templates pile up in the gallery searched),
# so a phase run later would run slower for that alone
fresh() {
    kill -TERM $sp; wait $sp || true
    cp "$db.start" "$db"; rm -f "$db-wal" "$db-shm"
    serve
    curl -s -H "Authorization: Bearer $key" --data-binary @tests/data/lfw/Angela_Bassett_0005.jpg "$url$route" >/dev/null
}
serve
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
load() { # one wrk run: its report
    BEX_PHOTO=tests/data/lfw/Angela_Bassett_0005.jpg BEX_KEY=$key \
        wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$dir/post.lua" "$url$route"
}
if [ "$idle" -eq 0 ]; then
    load
else
    rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$1"; }
    p99() { sed -n 's/^ *99% *\([0-9.]*[mu]*s\).*/\1/p' "$1"; }
    ms() { awk '{v=$1; if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else {sub(/s$/,"",v); print v*1000}}' <<<"$1"; }
    # the server's CPU time (user + system, clock ticks) and a run's requests: CPU ms a decision,
    # a measure the other programs on a shared machine do not move as they move decisions/s
    cpu() { awk '{print $14 + $15}' /proc/$sp/stat; }
    nreq() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }
    tick=$(getconf CLK_TCK)
    plain_run() { fresh; c0=$(cpu); load >"$dir/plain$r"; c1=$(cpu); }
    idle_run() {
        fresh
        rm -f "$dir/stop"
        hp=()
        for a in $(seq 2 $((1 + (idle + 24) / 25))); do
            k=$(( idle - (a - 2) * 25 )); [ $k -gt 25 ] && k=25
            python3 tests/tools/hostile.py idle 127.0.0.1 "$port" "$k" "127.0.0.$a" 3600 "$dir/stop" 0 2 >"$dir/idle$a" &
            hp+=($!)
        done
        for _ in $(seq 100); do [ "$(cat "$dir"/idle* 2>/dev/null | grep -c '^open')" = ${#hp[@]} ] && break; sleep 0.1; done
        held=$(sed -n 's/^open \([0-9]*\) of.*/\1/p' "$dir"/idle* | paste -sd+ | bc)
        c2=$(cpu)
        load >"$dir/idle_run$r"
        c3=$(cpu)
        conns_now=$(curl -s "$url/metrics" | sed -n 's/^bex_connections //p')
        touch "$dir/stop"; wait "${hp[@]}"; rm -f "$dir"/idle[0-9]*
    }
    # each phase on a fresh server and store (fresh); and ABBA: odd repeats run without the
    # idle connections first, even ones with them first
    for r in $(seq "$repeats"); do
        if [ $((r % 2)) -eq 1 ]; then plain_run; idle_run; else idle_run; plain_run; fi
        a=$(rps "$dir/plain$r"); b=$(rps "$dir/idle_run$r")
        pa=$(ms "$(p99 "$dir/plain$r")"); pb=$(ms "$(p99 "$dir/idle_run$r")")
        ca=$(bc -l <<<"($c1 - $c0) * 1000 / $tick / $(nreq "$dir/plain$r")")
        cb=$(bc -l <<<"($c3 - $c2) * 1000 / $tick / $(nreq "$dir/idle_run$r")")
        printf 'run %d (%s first): without idle: %.1f decisions/s, p99 %.0f ms, %.1f CPU ms a decision | with %d idle held (%s connections open): %.1f decisions/s, p99 %.0f ms, %.1f CPU ms a decision | ratio %.3f, p99 %.2fx, CPU %.3fx\n' \
            "$r" "$([ $((r % 2)) -eq 1 ] && echo without || echo with)" "$a" "$pa" "$ca" "$held" "$conns_now" "$b" "$pb" "$cb" "$(bc -l <<<"$b / $a")" "$(bc -l <<<"$pb / $pa")" \
            "$(bc -l <<<"$cb / $ca")"
    done
fi
curl -s "$url/metrics" | grep -E '^bex_(extract|store)_seconds|^bex_busy_total|^bex_responses'
kill -TERM $sp; wait $sp || true
