#!/usr/bin/env bash
# test_store_pg.sh - the record store's unit test ($BUILD/tests/test_store) on PostgreSQL: a
# throw-away cluster (tests/lib/pg.sh; a shared one with BEX_PG_DIR and BEX_PG_URI_BASE), and
# test_store run with BEX_TEST_PG_URI_BASE set to it, so that each of its tests makes a fresh
# database there (template0, C collation) and drops it. What only SQLite has is skipped by
# test_store itself, with the reason. Prints test_store's output and its closing
# "N passed, N failed, N skipped" line. Skips, with the reason, without PostgreSQL.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. tests/lib/pg.sh

bin=$BUILD/tests/test_store
why=$(pg_skip_reason)
if [ -n "$why" ]; then
    echo "skip test_store_pg: $why"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
if ! [ -x "$bin" ]; then
    echo "FAIL test_store_pg: no $bin (make $bin)"
    echo "0 passed, 1 failed"
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! pg_start; then   # keeps the trap above and stops the cluster first
    echo "FAIL pg_start"; echo "0 passed, 1 failed"; exit 1
fi
base=${BEX_PG_URI_BASE:-${BEX_PG_URI%/*}}

BEX_TEST_PG_URI_BASE=$base "$bin" >"$log" 2>&1
rc=$?
cat "$log"
if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log"; then
    echo "FAIL test_store on PostgreSQL: exited $rc without its summary"
    echo "0 passed, 1 failed"
    exit 1
fi
exit $rc
