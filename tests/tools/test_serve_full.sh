#!/usr/bin/env bash
# test_serve_full.sh - `bex serve` when the store cannot grow (issue 12): a write that finds no
# space is answered 507 with a message a person can act on, nothing of it is written, the store
# stays whole, and the server goes on answering. The store's size limit (--max-db-bytes, SQLite's
# max_page_count) stands in for a full disk: both reach the same SQLITE_FULL path. Needs curl.
# BEX_TEST_DB=pg: the size limit is SQLite's (a PostgreSQL server's full disk has no stand-in
# here): bex serve on a PostgreSQL store refuses --max-db-bytes with the reason, and the rest is
# skipped, saying so.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null ||
   [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: needs curl, python3 and the face models (bex serve loads them)"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
. tests/lib/testdb.sh
if testdb_is_pg; then
    testdb_init
    trap 'testdb_cleanup' EXIT
    out=$("$bex" --models "$models" serve --db "$BEX_PG_URI" --listen 127.0.0.1:0 --max-db-bytes $((2 << 20)) 2>&1 </dev/null)
    rc=$?
    [ $rc -eq 2 ] && grep -q 'size limit applies to a SQLite store file only' <<<"$out"
    check "size_limit_refused_on_postgresql (rc $rc)" $?
    echo "skip full_store_answers_507 on PostgreSQL: the full store is SQLite's page limit (--max-db-bytes, SQLITE_FULL); a PostgreSQL server's full disk has no stand-in here"
    echo "$pass passed, $fail failed, 1 skipped"
    [ $fail -eq 0 ]; exit
fi
tmp=$(mktemp -d)
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$tmp"' EXIT
db="$tmp/bex.db"
OFFICER=$("$bex" keys add --db "$db" --role officer | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
size=$(stat -c %s "$db")
# the store may grow 1 MiB past its size now; manifests (no photos) fill it
"$bex" --models "$models" serve --db "$db" --listen 127.0.0.1:0 --workers 1 --max-db-bytes $((size + (1 << 20))) \
    >"$tmp/serve.out" 2>"$tmp/serve.err" &
SP=$!
for _ in $(seq 200); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")"
manifest() { # manifest N: a departure of 300 travellers, each with long names
    python3 - "$1" <<'PY'
import json, sys
n = int(sys.argv[1])
t = [{"issuing_state": "GBR", "number": "F%04d%04d" % (n, i), "nationality": "GBR",
      "surname": "TRAVELLER" + "X" * 20, "given_names": "GIVEN " + "Y" * 20,
      "birth_date": "1980-01-31", "sex": "F"} for i in range(300)]
print(json.dumps({"departure": "FL%d-2026-03-10" % n, "direction": "departure", "carrier": "FL",
                  "voyage": "FL%d" % n, "port": "JFK", "port_kind": "air",
                  "scheduled": "2026-03-10T18:00:00Z", "travellers": t}))
PY
}
ok=0; full=0; other=0
for n in $(seq 1 60); do
    manifest "$n" >"$tmp/m.json"
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $OFFICER" \
         --data-binary @"$tmp/m.json" "$U/v1/manifests")
    case $st in
        200) ok=$((ok + 1)) ;;
        507) full=$((full + 1)); cp "$tmp/body" "$tmp/full.json"; last=$n; break ;;
        *) other=$((other + 1)); echo "  manifest $n: $st $(head -c 200 "$tmp/body")" ;;
    esac
done
[ $full -eq 1 ] && [ $ok -ge 1 ] && [ $other -eq 0 ]; check "full_store_answers_507 (after $ok manifests)" $?
grep -q 'full; nothing was written' "$tmp/full.json"; check full_store_message_says_nothing_written $?
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/health")" = 200 ]; check server_goes_on_when_full $?
# reads still work; the refused manifest left nothing behind; the store is whole
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OFFICER" "$U/v1/flags")" = 200 ]
check reads_answered_when_full $?
kill "$SP"; wait "$SP" 2>/dev/null; SP=
if command -v sqlite3 >/dev/null && [ -n "${last:-}" ]; then
    [ "$(sqlite3 "$db" "SELECT count(*) FROM departures WHERE id = 'FL$last-2026-03-10'")" = 0 ] &&
        [ "$(sqlite3 "$db" "SELECT count(DISTINCT departure_id) FROM manifest_entries")" = "$ok" ] &&
        [ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ]
    check refused_write_left_nothing $?
fi
out=$("$bex" audit verify --db "$db"); check "audit_chain_whole_after_full ($out)" $?
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
