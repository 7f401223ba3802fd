# pg.sh - PostgreSQL for the test scripts: sourced (bash), never run. A script that tests bex on
# PostgreSQL starts one throw-away cluster (tools/pg-cluster.sh) under a temporary folder, makes
# a fresh database per case, and stops the cluster and removes the folder when it exits:
#
#   . tests/lib/pg.sh
#   why=$(pg_skip_reason)
#   if [ -n "$why" ]; then echo "skip $(basename "$0"): $why"; echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
#   pg_start || { echo "FAIL pg_start"; echo "0 passed, 1 failed"; exit 1; }
#   bex keys add --db "$BEX_PG_URI" ...; db2=$(pg_newdb second); ...
#
#   pg_skip_reason  prints why PostgreSQL tests cannot run here, or nothing when they can.
#                   BEX_TEST_PG=0 forces a skip.
#   pg_start        starts a cluster in a new temporary folder; sets PG_DIR (the cluster's
#                   folder) and BEX_PG_URI (its database bex, postgresql://USER@127.0.0.1:PORT/bex)
#                   and installs an EXIT trap that calls pg_cleanup. An EXIT trap already set is
#                   kept (pg_cleanup runs first, then it); a script that sets its EXIT trap after
#                   pg_start replaces this one and must call pg_cleanup from its own:
#                       trap 'pg_cleanup; rm -rf "$tmp"' EXIT
#   pg_newdb NAME   makes a fresh database (template0, C collation) and prints its URI.
#   pg_cleanup      stops the cluster and removes its folder (only what pg_start started); may be
#                   called more than once.
#
# A shared cluster: with BEX_PG_DIR (a tools/pg-cluster.sh folder whose server runs) and
# BEX_PG_URI_BASE (postgresql://USER@127.0.0.1:PORT, no database) in the environment, pg_start
# starts nothing: BEX_PG_URI is a fresh database in that cluster, pg_newdb's names get a prefix
# unique to this process, and pg_cleanup drops the databases made here and leaves the cluster.

PG_LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_CLUSTER="$PG_LIB_ROOT/tools/pg-cluster.sh"
PG_DIR=${PG_DIR:-}
BEX_PG_URI=${BEX_PG_URI:-}
_pg_owned=""      # the folder pg_start made (and pg_cleanup removes)
_pg_prefix=""     # pg_newdb's prefix in a shared cluster

_pg_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] && echo "$PG_BINDIR"
        return
    fi
    local b
    b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$b" ] && [ -x "$b/initdb" ] && echo "$b"
}

pg_skip_reason() {
    if [ "${BEX_TEST_PG:-1}" = 0 ]; then
        echo "BEX_TEST_PG=0: PostgreSQL tests switched off"
        return 0
    fi
    if [ -n "${BEX_PG_DIR:-}" ] && [ -n "${BEX_PG_URI_BASE:-}" ]; then
        command -v psql >/dev/null 2>&1 || [ -n "$(_pg_bindir)" ] ||
            echo "no psql for the shared cluster $BEX_PG_URI_BASE (apt-get install postgresql-client)"
        return 0
    fi
    if [ -z "$(_pg_bindir)" ]; then
        if [ -n "${PG_BINDIR:-}" ]; then
            echo "no PostgreSQL server in PG_BINDIR=$PG_BINDIR (apt-get install postgresql; tools/setup.sh installs it)"
        else
            echo "no PostgreSQL server (apt-get install postgresql; tools/setup.sh installs it)"
        fi
        return 0
    fi
    if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
        echo "running as root and no postgres system user to run the server (apt-get install postgresql)"
        return 0
    fi
    return 0
}

# psql from the cluster's binaries where there is no psql on PATH
_pg_psql() {
    local b
    if command -v psql >/dev/null 2>&1; then psql "$@"
    else b=$(_pg_bindir); "$b/psql" "$@"; fi
}

pg_start() {
    if [ -n "$_pg_owned" ] || [ -n "$_pg_prefix" ]; then return 0; fi   # started already
    if [ -n "${BEX_PG_DIR:-}" ] && [ -n "${BEX_PG_URI_BASE:-}" ]; then
        PG_DIR=$BEX_PG_DIR
        _pg_prefix="t$$_"
        BEX_PG_URI=$(pg_newdb bex) || { echo "pg_start: cannot make a database in the shared cluster $BEX_PG_URI_BASE" >&2; return 1; }
    else
        _pg_owned=$(mktemp -d "${TMPDIR:-/tmp}/bex-pg.XXXXXX") || { echo "pg_start: mktemp failed" >&2; return 1; }
        PG_DIR=$_pg_owned
        BEX_PG_URI=$("$PG_CLUSTER" start "$PG_DIR") || {
            echo "pg_start: tools/pg-cluster.sh start $PG_DIR failed" >&2
            pg_cleanup
            return 1
        }
    fi
    export PG_DIR BEX_PG_URI
    _pg_install_trap
    return 0
}

_pg_install_trap() { # pg_cleanup first, then the EXIT trap that was set, if any
    local old=""
    if [ -n "$(trap -p EXIT)" ]; then
        eval "set -- $(trap -p EXIT)"   # trap -- 'COMMAND' EXIT
        old=$3
    fi
    case $old in *pg_cleanup*) return 0;; esac
    if [ -n "$old" ]; then
        trap "pg_cleanup; $old" EXIT
    else
        trap pg_cleanup EXIT
    fi
}

pg_newdb() {
    local name=${1:?pg_newdb NAME}
    if [ -n "$_pg_prefix" ]; then
        name=$_pg_prefix$name
        _pg_psql "$BEX_PG_URI_BASE/postgres" -qAt -v ON_ERROR_STOP=1 \
            -c "CREATE DATABASE \"$name\" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'" \
            >/dev/null || return 1
        echo "$BEX_PG_URI_BASE/$name"
    else
        [ -n "$PG_DIR" ] || { echo "pg_newdb: no cluster (call pg_start first)" >&2; return 1; }
        "$PG_CLUSTER" createdb "$PG_DIR" "$name"
    fi
}

pg_cleanup() {
    local db
    if [ -n "$_pg_prefix" ]; then
        # pg_newdb runs in $(...) subshells: the databases are found by their prefix
        for db in $(_pg_psql "$BEX_PG_URI_BASE/postgres" -qAt \
                        -c "SELECT datname FROM pg_database WHERE starts_with(datname, '$_pg_prefix')" 2>/dev/null); do
            _pg_psql "$BEX_PG_URI_BASE/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
                >/dev/null 2>&1
        done
        _pg_prefix=""
    fi
    if [ -n "$_pg_owned" ]; then
        "$PG_CLUSTER" stop "$_pg_owned" >/dev/null 2>&1
        rm -rf "$_pg_owned"
        _pg_owned=""
    fi
    return 0
}
