#!/usr/bin/env bash
# pg-demo.sh - the PostgreSQL variant of tools/setup.sh's main job: a day at a port on a
# PostgreSQL database, then two service nodes sharing it (bex serve on 127.0.0.1:8080 and
# 127.0.0.1:8081), as a national deployment runs several behind a load balancer.
#
#   tools/pg-demo.sh [URI]
#
# Without URI it starts a throw-away PostgreSQL cluster in ./pg-demo/ (tools/pg-cluster.sh:
# initdb, a free port on 127.0.0.1, C collation; as root the server runs as user postgres) and
# stops it when the nodes stop (Ctrl-C). With URI (postgresql://USER@HOST:PORT/DB) it uses that
# database, which must be new or empty and created with LC_COLLATE 'C' (docs/scale.md).
# Run tools/setup.sh --no-demo first (packages, models, build).
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
[ -x "$bex" ] || { echo "pg-demo: no $bex: run tools/setup.sh --no-demo first" >&2; exit 2; }
uri=${1:-}
cluster=""
if [ -z "$uri" ]; then
    cluster=$PWD/pg-demo
    if [ -e "$cluster/c" ]; then tools/pg-cluster.sh stop "$cluster/c" >/dev/null 2>&1 || true; rm -rf "$cluster"; fi
    mkdir -p "$cluster" && chmod 755 "$cluster"
    uri=$(tools/pg-cluster.sh start "$cluster/c")
fi
pids=()
stop() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "$cluster" ] && tools/pg-cluster.sh stop "$cluster/c" >/dev/null 2>&1 || true
}
trap stop EXIT INT TERM

echo "== a day at a port on PostgreSQL (the day's files: pg-demo.*)"
tools/demo-day.sh "$uri" pg-demo
echo
echo "== two service nodes on one PostgreSQL database: keys for an officer, the carrier BX, an analyst and an admin"
key() { "$bex" keys add --db "$uri" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
officer=$(key --role officer --label pg-demo)
carrier=$(key --role carrier --carrier BX --label pg-demo)
analyst=$(key --role analyst --label pg-demo)
admin=$(key --role admin --label pg-demo)
"$bex" serve --db "$uri" --listen 127.0.0.1:8080 & pids+=($!)
"$bex" serve --db "$uri" --listen 127.0.0.1:8081 & pids+=($!)
sleep 1
echo "  officer  $officer"
echo "  carrier  $carrier"
echo "  analyst  $analyst"
echo "  admin    $admin"
echo
echo "Try, from another terminal (Ctrl-C here stops both nodes and the throw-away cluster):"
echo "  curl -H 'Authorization: Bearer $carrier' --data-binary @tests/data/lfw/Angela_Bassett_0005.jpg \\"
echo "       'http://127.0.0.1:8080/v1/exits?port=JFK&departure=BX1-2026-03-01'   # node A"
echo "  curl -H 'Authorization: Bearer $analyst' 'http://127.0.0.1:8081/v1/overstays?as_of=2026-06-30'   # node B"
echo "  curl -H 'Authorization: Bearer $analyst' http://127.0.0.1:8081/v1/flags"
echo "  console: http://127.0.0.1:8080/console/ or :8081/console/"
wait
