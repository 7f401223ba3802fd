# testdb.sh - the database a test script's stores live in, from the environment: sourced (bash),
# never run. BEX_TEST_DB=pg puts them on PostgreSQL (a throw-away cluster, tests/lib/pg.sh), any
# other value or none on SQLite files, as the scripts always did:
#
#   . tests/lib/testdb.sh
#   testdb_init            # on PostgreSQL: skips the script (exit 0) with its reason when there is
#                          # no server, else starts the cluster; sets TESTDB (sqlite or pg)
#   trap '...; testdb_cleanup' EXIT   # after testdb_init: stops the cluster, if one was started
#   db=$(testdb_new NAME "$tmp/NAME.db")   # a fresh store: the file, or a fresh database's URI
#   q "$db" "SELECT count(*) FROM encounters"   # sqlite3 -batch or psql -XAtq, by the target
#   testdb_is_pg && ...
#
# The SQL given to q must mean the same on both (no PRAGMA, no sqlite_master); a check that has
# no counterpart on one of them is skipped there with its reason printed.

TESTDB=sqlite
[ "${BEX_TEST_DB:-sqlite}" = pg ] && TESTDB=pg

testdb_is_pg() { [ "$TESTDB" = pg ]; }

testdb_init() {
    testdb_is_pg || return 0
    . "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg.sh"
    local why
    why=$(pg_skip_reason)
    if [ -n "$why" ]; then
        echo "skip $(basename "$0") on PostgreSQL: $why"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
    if ! command -v psql >/dev/null 2>&1; then
        echo "skip $(basename "$0") on PostgreSQL: no psql to inspect the store (apt-get install postgresql-client)"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
    fi
    pg_start || { echo "FAIL pg_start"; echo "0 passed, 1 failed"; exit 1; }
    echo "# on PostgreSQL (BEX_TEST_DB=pg)"
}

testdb_cleanup() { if testdb_is_pg; then pg_cleanup; fi; return 0; }

# testdb_new NAME FILE: a fresh store's target (FILE on SQLite; database NAME's URI on PostgreSQL)
testdb_new() {
    if testdb_is_pg; then pg_newdb "$1"; else echo "$2"; fi
}

# q DB SQL: one query's rows, columns separated by |, as sqlite3 -batch and psql -XAtq print them
q() {
    case $1 in
        postgresql://* | postgres://*) psql -XAtq -v ON_ERROR_STOP=1 "$1" -c "$2" ;;
        *) sqlite3 -batch "$1" "$2" ;;
    esac
}

# testdb_copy FROM NAME FILE: a copy of store FROM as a new store (FILE on SQLite; on PostgreSQL a
# database NAME made from FROM's as its template: nobody may be connected to FROM)
testdb_copy() {
    local from=$1 name=$2 file=$3
    if testdb_is_pg; then
        local base=${from%/*} src=${from##*/} dst
        src=${src%%\?*}
        dst="${_pg_prefix:-}$name"
        psql -XAtq -v ON_ERROR_STOP=1 "$base/postgres" \
            -c "CREATE DATABASE \"$dst\" TEMPLATE \"$src\"" >/dev/null || return 1
        echo "$base/$dst"
    else
        cp "$from" "$file" && echo "$file"
    fi
}
