#!/usr/bin/env bash
# test_pg_cluster.sh - tools/pg-cluster.sh and tests/lib/pg.sh: a cluster starts in a mktemp -d
# folder and answers on its URI; its databases use the C collation; a second database; `uri`;
# a folder that is not empty refused; stop leaves no server; no binaries (PG_BINDIR=/nonexistent)
# is a clear message and exit status 2; pg_start/pg_newdb/pg_cleanup; BEX_TEST_PG=0 skips.
# Skips (with the reason) where PostgreSQL is not installed.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/pg.sh
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

why=$(pg_skip_reason)
if [ -z "$why" ] && ! command -v psql >/dev/null 2>&1; then
    why="no psql command (apt-get install postgresql-client)"
fi
if [ -n "$why" ]; then
    echo "skip test_pg_cluster: $why"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
# the skip checks below run this script again, which must skip; never further
if [ -n "${BEX_PG_SELFTEST_CHILD:-}" ]; then echo "FAIL did not skip"; echo "0 passed, 1 failed"; exit 1; fi

tool=tools/pg-cluster.sh
dir=$(mktemp -d)            # mode 700, owned by whoever runs this (root: the tool makes it postgres')
other=""
cleanup() {
    "$tool" stop "$dir" >/dev/null 2>&1
    rm -rf "$dir" ${other:+"$other"}
}
trap cleanup EXIT

uri=$("$tool" start "$dir" 2>"$dir.err")
rc=$?
[ $rc -ne 0 ] && sed 's/^/    /' "$dir.err"
rm -f "$dir.err"
[ $rc -eq 0 ] && [ "$(printf '%s\n' "$uri" | wc -l)" -eq 1 ] &&
    [[ $uri =~ ^postgresql://[a-z_][a-z0-9_-]*@127\.0\.0\.1:[0-9]+/bex$ ]] &&
    [ "${uri##*:}" = "$(cat "$dir/port")/bex" ]
check pg_cluster_start_prints_uri $?
[ "$(psql -X -At -c 'select 1' "$uri" 2>&1)" = 1 ]; check pg_cluster_select_1 $?
[ "$(psql -X -At -c "SELECT datcollate || ' ' || datctype || ' ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'bex'" "$uri")" = "C C UTF8" ]
check pg_cluster_collation_c $?
# text sorts bytewise: 'Z' before 'a', '2026-01-02T...' after '2026-01-01T...'
[ "$(psql -X -At -c "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('a'), ('Z'), ('2026-01-02T00:00:00Z'), ('2026-01-01T23:59:59Z')) v(x)" "$uri")" = \
  "2026-01-01T23:59:59Z,2026-01-02T00:00:00Z,Z,a" ]
check pg_cluster_sorts_bytewise $?
[ "$(psql -X -At -c "SELECT current_setting('fsync') || ' ' || current_setting('listen_addresses') || ' ' || current_setting('max_connections')" "$uri")" = "on 127.0.0.1 100" ]
check pg_cluster_settings $?
[ -S "$dir/.s.PGSQL.$(cat "$dir/port")" ]; check pg_cluster_socket_in_dir $?

uri2=$("$tool" createdb "$dir" second)
[ $? -eq 0 ] && [ "$uri2" = "${uri%/bex}/second" ] &&
    [ "$(psql -X -At -c "SELECT current_database() || ' ' || (SELECT datcollate FROM pg_database WHERE datname = current_database())" "$uri2")" = "second C" ]
check pg_cluster_second_database $?
[ "$("$tool" uri "$dir")" = "$uri" ] && [ "$("$tool" uri "$dir" second)" = "$uri2" ]; check pg_cluster_uri $?

out=$("$tool" start "$dir" 2>&1)
[ $? -eq 2 ] && grep -q "not empty" <<<"$out"; check pg_cluster_start_refuses_used_dir $?

pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null)
port=$(cat "$dir/port")
"$tool" stop "$dir"
rc=$?
# alive: the postmaster, or any process still naming the folder, runs (a zombie does not count:
# where PID 1 reaps nothing, the stopped postmaster stays one)
alive=0
st=$(ps -o stat= -p "$pid" 2>/dev/null)
case $st in ''|Z*) ;; *) alive=1;; esac
ps -eo stat=,args= | grep -v '^Z' | grep -F -- "$dir/data" | grep -qv grep && alive=1
[ $rc -eq 0 ] && [ -n "$pid" ] && [ $alive -eq 0 ] && [ ! -e "$dir/data/postmaster.pid" ] &&
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
check pg_cluster_stop_leaves_no_server $?
"$tool" stop "$dir"; check pg_cluster_stop_twice_is_quiet $?

other=$(mktemp -d)
out=$(PG_BINDIR=/nonexistent "$tool" start "$other/c" 2>&1)
[ $? -eq 2 ] && grep -q "initdb not found" <<<"$out" && grep -q "apt-get install postgresql" <<<"$out"
check pg_cluster_no_binaries_exit_2 $?
out=$("$tool" stop "$other/none" 2>&1)
[ $? -eq 2 ] && grep -q "holds no cluster" <<<"$out"; check pg_cluster_stop_no_cluster_exit_2 $?

# tests/lib/pg.sh, in a subshell with a trap of its own that must still run
out=$(
    trap 'echo own-trap-ran' EXIT
    pg_start || exit 1
    echo "dir=$PG_DIR"
    psql -X -At -c 'select 2' "$BEX_PG_URI"
    u=$(pg_newdb libdb) && psql -X -At -c 'select current_database()' "$u"
)
d=$(sed -n 's/^dir=//p' <<<"$out")
if [ -n "${BEX_PG_DIR:-}" ] && [ -n "${BEX_PG_URI_BASE:-}" ]; then
    # a shared cluster: its folder stays, the databases made here are dropped
    gone() { [ -e "$d" ] && [ -z "$(psql -X -At -c "SELECT datname FROM pg_database WHERE datname LIKE '%libdb'" "$BEX_PG_URI_BASE/postgres")" ]; }
else
    gone() { [ ! -e "$d" ]; }
fi
grep -qx 2 <<<"$out" && grep -q 'libdb$' <<<"$out" && grep -qx own-trap-ran <<<"$out" && [ -n "$d" ] && gone
check pg_lib_start_newdb_cleanup $?

# (without a shared cluster's variables, which would make a server unnecessary)
out=$(env -u BEX_PG_DIR -u BEX_PG_URI_BASE BEX_PG_SELFTEST_CHILD=1 BEX_TEST_PG=0 "$0" 2>&1)
[ $? -eq 0 ] && [ "$(tail -1 <<<"$out")" = "0 passed, 0 failed, 1 skipped" ] && grep -q "^skip .*BEX_TEST_PG=0" <<<"$out"
check pg_skip_when_switched_off $?
out=$(env -u BEX_PG_DIR -u BEX_PG_URI_BASE BEX_PG_SELFTEST_CHILD=1 PG_BINDIR=/nonexistent "$0" 2>&1)
[ $? -eq 0 ] && [ "$(tail -1 <<<"$out")" = "0 passed, 0 failed, 1 skipped" ] && grep -q "^skip .*apt-get install postgresql" <<<"$out"
check pg_skip_without_server $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
