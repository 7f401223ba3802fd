#!/usr/bin/env bash
# pg-cluster.sh - a throw-away PostgreSQL cluster, for the tests and for trying bex on PostgreSQL
# (bex --db postgresql://...). Nothing of the machine's own PostgreSQL service is used or changed.
#
#   tools/pg-cluster.sh start DIR            initdb in DIR (new or empty), start it, create the
#                                            database bex; prints its URI, one line:
#                                            postgresql://USER@127.0.0.1:PORT/bex
#   tools/pg-cluster.sh createdb DIR NAME    another database; prints its URI
#   tools/pg-cluster.sh uri DIR [NAME]       the URI of database NAME (default bex)
#   tools/pg-cluster.sh stop DIR             pg_ctl stop -m fast (immediate if fast fails)
#
# DIR holds the cluster in DIR/data, the server's log in DIR/log, its Unix socket and the port in
# DIR/port. The server listens on 127.0.0.1 only, on a free port, trusts every local connection
# (--auth=trust: a test cluster, never one for real data), keeps fsync on (the durability tests
# depend on it) and uses the C collation (--no-locale, databases from template0 with --locale=C):
# bex compares ISO 8601 timestamps as text, which must sort bytewise.
# USER is the cluster's superuser: postgres when run as root (initdb refuses root, so the server
# runs as the postgres system user and DIR is made its own), else the user running this.
# The binaries: $PG_BINDIR, else the newest /usr/lib/postgresql/*/bin.
# Exit status 2 on any failure, with the reason on standard error.
set -u

die() { echo "pg-cluster: $*" >&2; exit 2; }
usage() {
    echo "usage: tools/pg-cluster.sh start DIR | createdb DIR NAME | uri DIR [NAME] | stop DIR" >&2
    exit 2
}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] ||
            die "initdb not found in PG_BINDIR=$PG_BINDIR: apt-get install postgresql, or set PG_BINDIR to its bin folder"
        bindir=$PG_BINDIR
        return
    fi
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$bindir" ] && [ -x "$bindir/initdb" ] ||
        die "initdb not found (no /usr/lib/postgresql/*/bin): apt-get install postgresql (tools/setup.sh installs it), or set PG_BINDIR"
}

is_root() { [ "$(id -u)" -eq 0 ]; }
if is_root; then dbuser=postgres; else dbuser=$(id -un); fi

# as_server CMD...: runs CMD as the user the server runs as, from / (its working folder may be
# one the postgres user cannot enter)
as_server() {
    if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

need_dir() { # need_dir DIR: DIR made absolute in $dir, with a cluster in it
    [ -n "${1:-}" ] || usage
    dir=$(realpath -m -- "$1")
    data=$dir/data
    [ -f "$data/PG_VERSION" ] || die "$dir holds no cluster (no $data/PG_VERSION): tools/pg-cluster.sh start $1"
}

port_of() {
    [ -s "$dir/port" ] || die "$dir/port missing: is the cluster started? (tools/pg-cluster.sh start $dir)"
    port=$(cat "$dir/port")
    case $port in ''|*[!0-9]*) die "$dir/port does not hold a port number";; esac
}

uri() { echo "postgresql://$dbuser@127.0.0.1:$port/$1"; }

check_name() {
    case $1 in
        ''|*[!A-Za-z0-9_]*) die "database name '$1': letters, digits and _ only";;
        [0-9]*) die "database name '$1' must not start with a digit";;
    esac
}

port_busy() { # port_busy PORT: something listens on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        port_busy "$p" || { echo "$p"; return 0; }
    done
    return 1
}

createdb_in() { # createdb_in NAME
    check_name "$1"
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$dbuser" -T template0 --locale=C -E UTF8 "$1" ||
        die "createdb $1 failed (cluster $dir, port $port; log: $dir/log)"
}

cmd_start() {
    [ -n "${1:-}" ] || usage
    find_bindir
    dir=$(realpath -m -- "$1")
    data=$dir/data
    if [ -e "$dir" ]; then
        [ -d "$dir" ] || die "$dir is not a folder"
        [ -z "$(ls -A "$dir" 2>/dev/null)" ] || die "$dir is not empty (start needs a new or empty folder)"
    else
        mkdir -p "$dir" || die "cannot create $dir"
    fi
    # the socket's path, DIR/.s.PGSQL.NNNNN, must fit a sockaddr_un (107 bytes)
    [ ${#dir} -le 90 ] || die "$dir is too long for a Unix socket path (90 characters at most)"
    if is_root; then
        id -u postgres >/dev/null 2>&1 ||
            die "as root the server runs as the postgres system user, and there is none: apt-get install postgresql"
        command -v runuser >/dev/null || die "runuser not found (util-linux): needed to run the server as postgres"
        chown postgres: "$dir" && chmod 755 "$dir" || die "cannot give $dir to the postgres user"
        as_server test -w "$dir" ||
            die "the postgres user cannot reach $dir: every folder above it must be traversable (chmod o+x)"
    fi
    as_server "$bindir/initdb" -D "$data" -U "$dbuser" --no-locale -E UTF8 --auth=trust \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $data"; }
    cat >>"$data/postgresql.conf" <<EOF

# tools/pg-cluster.sh: a throw-away cluster on 127.0.0.1 and a socket in $dir
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 100
shared_buffers = 128MB
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
port = 0
EOF
    local try ok=""
    for try in 1 2 3 4 5; do
        port=$(free_port) || die "no free TCP port found on 127.0.0.1"
        sed -i "s/^port = .*/port = $port/" "$data/postgresql.conf"
        if as_server "$bindir/pg_ctl" -D "$data" -l "$dir/log" -w -t 60 start >/dev/null 2>&1; then
            ok=1; break
        fi
        # another process took the port between the check and the bind: try another one
        grep -q "could not bind\|could not create any TCP/IP sockets\|Address already in use" "$dir/log" 2>/dev/null ||
            break
    done
    [ -n "$ok" ] || { tail -20 "$dir/log" >&2 2>/dev/null; die "the server did not start (log: $dir/log)"; }
    echo "$port" >"$dir/port"
    createdb_in bex
    uri bex
}

cmd_createdb() {
    [ -n "${2:-}" ] || usage
    find_bindir
    need_dir "$1"
    port_of
    createdb_in "$2"
    uri "$2"
}

cmd_uri() {
    need_dir "$1"
    port_of
    local name=${2:-bex}
    check_name "$name"
    uri "$name"
}

cmd_stop() {
    find_bindir
    need_dir "$1"
    # nothing to stop: no server running on it
    [ -f "$data/postmaster.pid" ] || return 0
    as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 && return 0
    as_server "$bindir/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 && return 0
    [ -f "$data/postmaster.pid" ] || return 0
    die "pg_ctl stop failed for $data (log: $dir/log)"
}

case "${1:-}" in
    start)    [ $# -eq 2 ] || usage; cmd_start "$2";;
    createdb) [ $# -eq 3 ] || usage; cmd_createdb "$2" "$3";;
    uri)      [ $# -eq 2 ] || [ $# -eq 3 ] || usage; cmd_uri "$2" "${3:-}";;
    stop)     [ $# -eq 2 ] || usage; cmd_stop "$2";;
    *)        usage;;
esac
