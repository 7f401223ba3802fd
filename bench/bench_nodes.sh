#!/usr/bin/env bash
# bench_nodes.sh - crossings a second and their p50/p99 for one and two service nodes on
# PostgreSQL against one on SQLite, side by side in one run, and the overstay report's time, at
# the chosen numbers of enrolled travellers.
#
#   bench/bench_nodes.sh [TRAVELLERS...]     (default: 20000; the issue's sizes: 20000 1000000)
#   BENCH_SECONDS=T   seconds each configuration is measured (default 10)
#
# Crossings are the record system's work with synthetic templates (as `bex simulate`: no face
# model, which costs ~70 ms a photo on its own and would hide the store): a node is a process
# of its own (build/bench/bench_nodes cross) with its own store handle on the one database,
# making arrivals (the 1:N scan ahead of the lock, as bex serve does) and, 20 behind, the same
# travellers' departures, each crossing one transaction committed durably (SQLite synchronous
# FULL, PostgreSQL synchronous_commit on, fsync on). The nodes start together (a barrier, after
# each built its 1:N index) and run for T seconds; crossings/s is all nodes' crossings over the
# time, p50/p99 of every crossing's latency.
#
# The population, once per size: N travellers enrolled into an SQLite file (`bex simulate
# --enrol-only N --no-fsync`), each given an admission (bench_nodes admissions: an entry
# encounter and an admission as bex_border_entry writes them, 85 % closed by an exit, written by
# SQL in bulk, since N entries through the rules take hours at a million), then copied to a
# fresh PostgreSQL database with `bex db copy`. The overstay report (bex_border_overstays, as of
# 2026-06-30) is timed on both while they hold the same rows, before the crossings.
#
# Beyond about 25,000 travellers the shipped (LFW) calibration sets no 1:N threshold for FPIR
# 0.003, so exits are recorded not_matched (after the same 1:N scans): the table says how many
# exits matched.
#
# PostgreSQL runs on this machine (tools/pg-cluster.sh: a throw-away cluster); without it the
# SQLite rows alone are measured and the reason printed. Each size's JSON lines are kept in
# bench-nodes-N.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
bn=${BENCH_NODES:-build/bench/bench_nodes}
secs=${BENCH_SECONDS:-10}
[ -x "$bex" ] || { echo "bench_nodes: no $bex (make first)" >&2; exit 2; }
[ -x "$bn" ] || make -s -j2 "$bn" >&2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20000)
. tests/lib/pg.sh
dir=$(mktemp -d "${TMPDIR:-/tmp}/bex-bench-nodes.XXXXXX")
chmod 755 "$dir"
trap 'pg_cleanup; rm -rf "$dir"' EXIT
why=$(pg_skip_reason)
if [ -z "$why" ] && ! pg_start; then why="the PostgreSQL cluster did not start"; fi

cores=$(nproc)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "machine: $cores cores ($cpu), $(free -g | awk '/^Mem:/ {print $2}') GiB; SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)$(
    [ -z "$why" ] && echo "; PostgreSQL $(psql -XAtq "$BEX_PG_URI" -c 'SHOW server_version') on the same machine (fsync $(psql -XAtq "$BEX_PG_URI" -c 'SHOW fsync'), synchronous_commit $(psql -XAtq "$BEX_PG_URI" -c 'SHOW synchronous_commit'))")"
[ "$cores" -le 2 ] && echo "note: $cores cores only: two nodes and the PostgreSQL server share them (a node's 1:N scan, its SQL and the server's work compete)"
[ -n "$why" ] && echo "note: PostgreSQL rows not measured: $why"
echo "each configuration: $secs s of crossings after a warm-up; synthetic templates (no face model)"

# run_cfg NAME DB NODES SLICE N: the nodes together; prints one JSON line of the whole
run_cfg() {
    local name=$1 db=$2 nodes=$3 slice=$4 n=$5 b k pids=()
    b=$dir/barrier-$name-$n
    rm -rf "$b"; mkdir -p "$b"
    for ((k = 0; k < nodes; k++)); do
        "$bn" cross --db "$db" --travellers "$n" --node $k --nodes "$nodes" --slice "$slice" --slices 3 \
            --seconds "$secs" --barrier "$b" --lat "$b/lat.$k" >"$b/out.$k" 2>"$b/err.$k" &
        pids+=($!)
    done
    # every node warmed up (or one failed: the others go on, and the failure is shown)
    local alive
    while [ "$(ls "$b" | grep -c '^ready\.')" -lt "$nodes" ]; do
        alive=1
        for k in "${pids[@]}"; do kill -0 "$k" 2>/dev/null || alive=0; done
        [ $alive -eq 1 ] || break
        sleep 0.05
    done
    touch "$b/go"
    local rc=0
    for k in "${pids[@]}"; do wait "$k" || rc=1; done
    [ $rc -ne 0 ] && cat "$b"/err.* >&2
    /usr/bin/python3 - "$b" "$name" "$nodes" "$n" <<'PY'
import glob, json, math, sys
b, name, nodes, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
outs = [json.loads(open(f).read()) for f in sorted(glob.glob(b + "/out.*")) if open(f).read().strip()]
lat = sorted(float(x) for f in glob.glob(b + "/lat.*") for x in open(f))
def pct(p):
    return lat[min(len(lat) - 1, max(0, math.ceil(p * len(lat)) - 1))] if lat else 0
secs = max((o["seconds"] for o in outs), default=0)
print(json.dumps({"config": name, "travellers": n, "nodes": nodes, "nodes_reported": len(outs),
                  "crossings": len(lat), "seconds": round(secs, 3),
                  "per_s": round(len(lat) / secs, 1) if secs else 0,
                  "p50_ms": round(pct(0.50), 3), "p99_ms": round(pct(0.99), 3),
                  "errors": sum(o["errors"] for o in outs),
                  "exits_matched": sum(o["exits_matched"] for o in outs), "exits": sum(o["exits"] for o in outs),
                  "admitted": sum(o["admitted"] for o in outs), "entries": sum(o["entries"] for o in outs),
                  "warmup_s": max((o["warmup_s"] for o in outs), default=0),
                  "per_node_per_s": [o["per_s"] for o in outs]}))
PY
}

for n in "${sizes[@]}"; do
    json=bench-nodes-$n.json
    : >"$json"
    pop=$dir/pop-$n.db
    t0=$(date +%s.%N)
    "$bex" simulate --db "$pop" --enrol-only "$n" --no-fsync >>"$json"
    "$bn" admissions --db "$pop" >>"$json"
    t1=$(date +%s.%N)
    pg=""
    if [ -z "$why" ]; then
        pg=$(pg_newdb "pop$n")
        "$bex" db copy --from "$pop" --to "$pg" --actor bench:copy | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps({"copy": "sqlite -> postgresql", "rows": d["rows"], "seconds": d["seconds"], "verified": d["verified"]}))' >>"$json"
    fi
    t2=$(date +%s.%N)
    "$bn" overstays --db "$pop" >>"$json"
    [ -n "$pg" ] && "$bn" overstays --db "$pg" >>"$json"
    run_cfg sqlite-1 "$pop" 1 0 "$n" >>"$json"
    if [ -n "$pg" ]; then
        run_cfg postgresql-1 "$pg" 1 1 "$n" >>"$json"
        run_cfg postgresql-2 "$pg" 2 2 "$n" >>"$json"
    fi
    /usr/bin/python3 - "$json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t0, t1, t2 = map(float, sys.argv[2:5])
enrol = next(r for r in rows if "enrolled" in r)
adm = next(r for r in rows if "admissions" in r and "backend" not in r)
copy = next((r for r in rows if "copy" in r), None)
print()
print("%d travellers: enrolled in %.1f s (no fsync), %d admissions written in %.1f s%s" % (
    enrol["enrolled"], enrol["seconds"], adm["admissions"], adm["seconds"],
    ", copied to PostgreSQL (%d rows) in %.1f s" % (copy["rows"], copy["seconds"]) if copy else ""))
print("%-14s %11s %6s %10s %11s %8s %8s %7s %13s %s" % ("config", "travellers", "nodes", "crossings", "crossings/s",
                                                       "p50_ms", "p99_ms", "errors", "exits_matched", "per node/s"))
unmatched = False
for r in rows:
    if "config" in r:
        print("%-14s %11d %6d %10d %11.1f %8.2f %8.2f %7d %13s %s" % (r["config"], r["travellers"], r["nodes"],
              r["crossings"], r["per_s"], r["p50_ms"], r["p99_ms"], r["errors"],
              "%d/%d" % (r["exits_matched"], r["exits"]), " ".join("%.1f" % x for x in r["per_node_per_s"])))
        unmatched |= r["exits_matched"] < r["exits"]
if unmatched:
    print("note: exits not matched: the shipped (LFW) calibration sets no 1:N threshold for FPIR 0.003 beyond a gallery of")
    print("      about 25,000 (it would need a per-comparison FMR below what it measured); the exits are recorded")
    print("      not_matched and flagged after their 1:N scans. A deployment that size calibrates on its own store.")
for r in rows:
    if "backend" in r and "as_of" in r:
        print("overstay report on %-10s as of %s: %d admissions (%d overstays in the country, %d out), first %.3f s, best %.3f s of %d" % (
            r["backend"], r["as_of"], r["admissions"], r["in_country"], r["out_of_country"], r["first_s"], r["best_s"], r["repeat"]))
PY
done
