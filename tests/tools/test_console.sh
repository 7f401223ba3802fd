#!/usr/bin/env bash
# test_console.sh - the officer console in a real browser (tests/tools/test_console.py): a
# temporary store made by tools/demo-day.sh (real LFW fixture faces), `bex serve` on it, and
# headless Chromium signing in as each role: an officer reviews and decides a flag (checked
# through the API), looks up a traveller; an analyst opens the overstay report, whose tables are
# checked against `bex overstays --format csv`; a carrier's key is refused; axe-core on every
# page (no serious or critical violation), no console error (CSP), a screenshot of every page.
# Skips, saying what is missing, without Chromium, chromedriver, selenium, axe or the models.
# Screenshots go to $BEX_TEST_OUT/console when BEX_TEST_OUT is set, else to a kept temporary
# folder printed at the end.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
skip() { echo "skip test_console: $1"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
py=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import selenium' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || skip "no python3 with selenium (apt-get install python3-selenium, or tools/setup.sh)"
why=$("$py" -c 'import sys; sys.path.insert(0, "tests/tools"); import browser
print(browser.available()[1])')
[ -z "$why" ] || skip "$why"
[ -f "${BEX_MODELS:-models}/face_recognition_model-weights_manifest.json" ] || skip "no face models (tools/fetch-models.sh)"
[ -x "$bex" ] || { echo "FAIL test_console: no $bex (make first)"; echo "0 passed, 1 failed"; exit 1; }

. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
sp=""
trap '[ -n "$sp" ] && kill "$sp" 2>/dev/null; rm -rf "$tmp"; testdb_cleanup' EXIT
if [ -n "${BEX_TEST_OUT:-}" ]; then out="$BEX_TEST_OUT/console"; mkdir -p "$out"
else out=$(mktemp -d "${TMPDIR:-/tmp}/bex-console.XXXXXX"); fi

db=$(testdb_new demo "$tmp/demo.db")
if ! BEX="$bex" tools/demo-day.sh "$db" "$tmp/demo" >"$tmp/demo.log" 2>&1; then
    echo "FAIL demo_day_made"; tail -20 "$tmp/demo.log" | sed 's/^/  /'; echo "0 passed, 1 failed"; exit 1
fi
# a traveller with fingerprints (issue 17): her right index is FVC2002 DB1's finger 101, her right
# middle DB3's (tests/data/finger/SOURCE.md), ring and little declared missing: no flag; her exit
# is settled by her fingers. July, so the overstay report (as of June 30) and March's rates are
# the demo day's alone.
F=tests/data/finger
jk=$("$bex" mrz make --number 880000041 --state HRV --nationality HRV --surname KOSTELIC --given JANICA \
     --birth 1982-01-05 --sex F --expiry 2032-01-01)
if ! "$bex" entry --db "$db" --photo tests/data/lfw/Janica_Kostelic_0001.jpg --mrz "$jk" --port JFK --port-kind air \
     --at 2026-07-10T09:00:00Z --class B2 --admit-until 2026-08-10 --finger 2="$F/fvc2002_DB1_B_101_1.tif" \
     --finger 3="$F/fvc2002_DB3_B_101_1.tif" --finger-missing 4 --finger-missing 5 >"$tmp/finger-entry.json" 2>&1 ||
   ! grep -q '"enrolled":\[2,3\]' "$tmp/finger-entry.json"; then
    echo "FAIL finger_entry_made"; sed 's/^/  /' "$tmp/finger-entry.json"; echo "0 passed, 1 failed"; exit 1
fi
export BEX_FINGER_SUBJECT=$(sed -n 's/.*"subject":\([0-9]*\),"document".*/\1/p' "$tmp/finger-entry.json")
# her exit: the camera finds no face, two other impressions of her fingers settle it (finger FMR;
# DB1_B_101_3, so that the look-up below with DB1_B_101_2 meets no image the store holds)
if ! "$bex" exit --db "$db" --photo tests/data/image/gray.pgm --port JFK --at 2026-07-20T09:00:00Z \
     --finger 2="$F/fvc2002_DB1_B_101_3.tif" --finger 3="$F/fvc2002_DB3_B_101_2.tif" >"$tmp/finger-exit.json" 2>&1 ||
   ! grep -q '"outcome":"matched"' "$tmp/finger-exit.json"; then
    echo "FAIL finger_exit_made"; sed 's/^/  /' "$tmp/finger-exit.json"; echo "0 passed, 1 failed"; exit 1
fi
export BEX_FINGER_DIR="$PWD/$F"
key() { "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
export BEX_K_OFFICER=$(key --role officer --label "night shift")
export BEX_K_ANALYST=$(key --role analyst --label analyst)
export BEX_K_AUDITOR=$(key --role auditor --label auditor)
export BEX_K_ADMIN=$(key --role admin --label admin)
export BEX_K_CARRIER=$(key --role carrier --carrier BX --label "BX gates")
# what the overstay report must show, from the command line
for by in country class port; do
    "$bex" overstays --db "$db" --as-of 2026-06-30 --format csv --by "$by" >"$tmp/overstays-$by.csv"
done
"$bex" overstays --db "$db" --as-of 2026-06-30 --format csv >"$tmp/overstays.csv"
export BEX_CSV_DIR="$tmp"
# the evaluation the analyst reads: LFW's verification (DET curve, thresholds) where LFW is
# here, on the plain build (11 s on 2 cores; slow under the sanitizers), else a small stand-in
ev="$tmp/eval"; mkdir -p "$ev"
lfw=${BEX_LFW:-../shared/data/lfw}
if [ "${SANITIZE:-0}" != 1 ] && [ -r "$lfw/pairs.txt" ] &&
    "$bex" eval verify --lfw "$lfw" --per-fold 10 --out "$ev" >"$tmp/eval.json" 2>"$tmp/eval.err"; then
    rm -f "$ev/verify_scores.csv"   # every pair's score: not a page to read
else
    rm -rf "$ev"; mkdir -p "$ev"
    printf '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240"><rect width="320" height="240" fill="#fff"/><path d="M40 20 L40 200 L300 200" stroke="#000" fill="none"/><path d="M40 40 Q80 180 300 195" stroke="#2b5c8f" fill="none" stroke-width="2"/><text x="120" y="230" font-size="12">FMR (log)</text></svg>\n' >"$ev/verify_det.svg"
    printf 'fmr,threshold,fnmr\n0.01,0.90,0.02\n0.001,0.93,0.05\n' >"$ev/verify_thresholds.csv"
fi

"$bex" serve --db "$db" --listen 127.0.0.1:0 --workers 1 --eval-dir "$ev" >"$tmp/serve.out" 2>"$tmp/serve.err" &
sp=$!
for _ in $(seq 400); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")
if [ -z "$port" ]; then
    echo "FAIL bex_serve_started"; sed 's/^/  /' "$tmp/serve.err"; echo "0 passed, 1 failed"; exit 1
fi
"$py" -u tests/tools/test_console.py "http://127.0.0.1:$port" "$out" | tee "$tmp/py.out"
rc=${PIPESTATUS[0]}
# a graceful stop, clean under the sanitizers (their leak check runs at exit): one more check
kill -TERM "$sp"; wait "$sp"; src=$?; sp=""
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/py.out" | tail -1)
p=${line%% passed*}; f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
if [ $src -eq 0 ]; then echo "ok   bex_serve_stopped_cleanly"; p=$((${p:-0} + 1))
else echo "FAIL bex_serve_stopped_cleanly (exit $src)"; sed 's/^/  /' "$tmp/serve.err"; f=$((${f:-1} + 1)); rc=1; fi
echo "${p:-0} passed, ${f:-1} failed"
exit $rc
