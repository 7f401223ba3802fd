#!/usr/bin/env bash
# test_browser_smoke.sh - the console's browser-test stack works end to end, without the console
# (tests/tools/test_browser_smoke.py): headless Chromium through chromedriver and python3-selenium
# at 1366x768 and 768x1024, `bex serve` on a temporary store opened in it, axe-core (web/vendor/,
# tools/fetch-web.sh) finding a deliberate violation and passing a clean page, an HttpOnly session
# cookie from a sign-in form, the browser console's errors, screenshots. Skips, saying what is
# missing, without Chromium, chromedriver, selenium or axe. Screenshots go to $BEX_TEST_OUT/
# browser_smoke when BEX_TEST_OUT is set, else to a temporary folder printed at the end (kept).
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
skip() { echo "skip test_browser_smoke: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }

# a Python that has selenium: Debian's python3-selenium is in /usr/bin/python3's path, which a
# python3 from elsewhere (pyenv, a venv) first on PATH does not see
py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import selenium' 2>/dev/null; then py=$p; break; fi
done
if [ -z "$py" ]; then
    py=$(command -v python3 || echo /usr/bin/python3)
fi
[ -x "$(command -v "$py")" ] || skip "no python3"
why=$("$py" -c 'import sys; sys.path.insert(0, "tests/tools"); import browser
ok, why = browser.available()
print(why)')
[ -z "$why" ] || skip "$why"
[ -x "$bex" ] || { echo "FAIL test_browser_smoke: no $bex (make first)"; echo "0 passed, 1 failed"; exit 1; }

. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
sp=""
trap '[ -n "$sp" ] && kill "$sp" 2>/dev/null; rm -rf "$tmp"; testdb_cleanup' EXIT
if [ -n "${BEX_TEST_OUT:-}" ]; then out="$BEX_TEST_OUT/browser_smoke"; mkdir -p "$out"
else out=$(mktemp -d "${TMPDIR:-/tmp}/bex-browser-smoke.XXXXXX"); fi

db=$(testdb_new store "$tmp/bex.db")
"$bex" keys add --db "$db" --role officer --label browser >/dev/null || { echo "FAIL store_made"; echo "0 passed, 1 failed"; exit 1; }
"$bex" serve --db "$db" --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
sp=$!
for _ in $(seq 200); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")
if [ -z "$port" ]; then
    echo "FAIL bex_serve_started"; sed 's/^/  /' "$tmp/serve.err"; echo "0 passed, 1 failed"; exit 1
fi

"$py" -u tests/tools/test_browser_smoke.py "http://127.0.0.1:$port" "$out"
rc=$?
# a graceful stop (the sanitizers' leak check runs at exit)
kill -TERM "$sp"; wait "$sp"; src=$?; sp=""
if [ $src -ne 0 ]; then echo "bex serve exited $src:"; sed 's/^/  /' "$tmp/serve.err"; fi
exit $rc
