#!/usr/bin/env bash
# test_finger_cli.sh - `bex finger` and `bex eval finger` on the FVC2002 fixtures
# (tests/data/finger): extract prints the template's JSON fields and writes ISO/ANSI records that
# read back to the same summary; compare decides two impressions of one finger a match (exit 0)
# and two fingers no match (exit 1) at the calibrated threshold; errors exit 2 with a message
# (missing file, garbage, truncated record); --pairs prints one line per pair and goes on past a
# bad one; a tiny FVC evaluation (4 images, 2 fingers) reports its pairs, rates and files.
# No models needed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
D=tests/data/finger
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

# extract: the summary's fields, the records written
out=$("$bex" finger extract --position 7 --iso "$tmp/a.iso" --ansi "$tmp/a.ansi" "$D/fvc2002_DB1_B_101_1.tif")
rc=$?
[ $rc -le 1 ] || [ $rc -eq 3 ]; check extract_exit_status $?
grep -Eq '^\{"file":"[^"]*101_1.tif","source":"image","ppi":500,"ppi_source":"assumed","width":388,"height":374,"finger_position":7,"minutiae":[0-9]+,"endings":[0-9]+,"bifurcations":[0-9]+,"quality":[0-9]+,"area_px":[0-9]+,"problems":\[[a-z_",]*\],"enrol":\{"ok":(true|false)' <<<"$out"
check extract_fields $?
! grep -q '"x":' <<<"$out"; check extract_no_coordinates_unasked $?
n=$(sed -E 's/.*"minutiae":([0-9]+).*/\1/' <<<"$out")
[ "$(head -c 8 "$tmp/a.iso" | od -An -c | tr -d ' \n')" = 'FMR\020\0' ]; check iso_header $?
size=$(stat -c %s "$tmp/a.iso"); [ "$size" -eq $((24 + 4 + 6 * n + 2)) ]; check iso_size $?
size=$(stat -c %s "$tmp/a.ansi"); [ "$size" -eq $((26 + 4 + 6 * n + 2)) ]; check ansi_size $?
for f in iso ansi; do
    back=$("$bex" finger extract "$tmp/a.$f")
    grep -q "\"source\":\"$f\",\"width\":388,\"height\":374,\"finger_position\":7,\"minutiae\":$n," <<<"$back"
    check "${f}_reads_back" $?
done
out=$("$bex" finger extract --minutiae "$tmp/a.iso")
[ "$(grep -o '"angle_deg"' <<<"$out" | wc -l)" -eq "$n" ]; check extract_minutiae_on_request $?
out=$("$bex" finger extract --ppi 569 "$D/fvc2002_DB2_B_101_1.tif")
grep -q '"ppi":569,"ppi_source":"declared","width":260,"height":492' <<<"$out"; check extract_declared_ppi_rescales $?

# compare: one finger, two fingers, a record against an image
out=$("$bex" finger compare "$D/fvc2002_DB1_B_101_1.tif" "$D/fvc2002_DB1_B_101_2.tif")
rc=$?
[ $rc -eq 0 ] && grep -Eq '^\{"score":[0-9.]+,"threshold":[0-9.]+,"match":true,"operating_point":"FMR 0.001"' <<<"$out"
check compare_same_finger_match $?
out=$("$bex" finger compare "$D/fvc2002_DB1_B_101_1.tif" "$D/fvc2002_DB1_B_102_1.tif")
[ $? -eq 1 ] && grep -q '"match":false' <<<"$out"; check compare_other_finger_no_match $?
out=$("$bex" finger compare --threshold 0.5 "$tmp/a.ansi" "$D/fvc2002_DB1_B_101_1.tif")
[ $? -eq 0 ] && grep -q '"a":{"source":"ansi"' <<<"$out"; check compare_record_with_image $?

# errors: exit 2 and a message
"$bex" finger compare --threshold 0.5 /nonexistent.tif "$D/fvc2002_DB1_B_101_1.tif" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'cannot open /nonexistent.tif' "$tmp/err"; check compare_missing_file $?
head -c 1000 /dev/urandom >"$tmp/garbage.bin"
"$bex" finger extract "$tmp/garbage.bin" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'garbage.bin: ' "$tmp/err"; check extract_garbage $?
head -c 40 "$tmp/a.iso" >"$tmp/cut.iso"
"$bex" finger compare --threshold 0.5 "$tmp/cut.iso" "$tmp/a.iso" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'cut.iso: ISO 19794-2 record, byte 8: truncated' "$tmp/err"; check compare_truncated_record $?

# --pairs: a line per pair, errors as lines, exit 0
printf '%s %s\n# a comment\n\n%s /nonexistent.tif\n%s %s\n' "$D/fvc2002_DB1_B_101_1.tif" "$D/fvc2002_DB1_B_101_2.tif" \
    "$tmp/a.iso" "$tmp/a.iso" "$D/fvc2002_DB1_B_102_1.tif" >"$tmp/pairs.txt"
out=$("$bex" finger compare --threshold 0.5 --pairs "$tmp/pairs.txt")
[ $? -eq 0 ]; check pairs_exit_0 $?
[ "$(wc -l <<<"$out")" -eq 3 ] && grep -q '^{"line":1,.*"score":[0-9.]*,"threshold":0.5' <<<"$out" &&
    grep -q '^{"line":4,.*"error":"cannot open /nonexistent.tif' <<<"$out" && grep -q '^{"line":5,.*"score"' <<<"$out"
check pairs_lines $?
"$bex" finger compare --pairs "$tmp/none.txt" >/dev/null 2>&1
[ $? -eq 2 ]; check pairs_unreadable_file $?

# a tiny FVC evaluation: fingers 101 (3 impressions) and 102 (1) of DB1
mkdir -p "$tmp/db"
for i in 1 2 3; do cp "$D/fvc2002_DB1_B_101_$i.tif" "$tmp/db/101_$i.tif"; done
cp "$D/fvc2002_DB1_B_102_1.tif" "$tmp/db/102_1.tif"
out=$("$bex" eval finger --fvc "$tmp/db" --out "$tmp/out" --fmr 0.1 2>"$tmp/err")
[ $? -eq 0 ]; check eval_exit_0 $?
grep -q '"images":4,"fingers":2,' <<<"$out" && grep -q '"genuine_pairs":3,"impostor":{"pairs":1,' <<<"$out" &&
    grep -q '"cross":{"pairs":3,"eer":' <<<"$out" && grep -Eq '"mean_eer":[0-9.]+' <<<"$out" &&
    grep -Eq '"ms_per_extraction":[0-9.]+' <<<"$out" && grep -q '"by_pair_quality":\[' <<<"$out"
check eval_report $?
[ -s "$tmp/out/finger_det.svg" ] && [ -s "$tmp/out/finger_scores.csv" ] && grep -q 'mean EER over 1 database' "$tmp/out/finger_summary.txt"
check eval_files $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
