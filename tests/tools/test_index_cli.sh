#!/usr/bin/env bash
# test_index_cli.sh - `bex index`: enrol LFW fixtures in a gallery file, search it, remove a
# subject (the search then no longer finds them), refuse a damaged file. Needs models/.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
D=tests/data/lfw
if [ ! -r models/ssd_mobilenetv1_model.bin ]; then
    echo "skip index_cli: models/ not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
g=$tmp/gallery.bexi

out=$("$bex" index add "$g" 1 $D/Akhmed_Zakayev_0001.jpg 2>/dev/null)
check add_exits_0 $?
grep -q '"subject":1,"template":1,' <<<"$out"; check add_names_the_template $?
out=$("$bex" index add "$g" 2 $D/Emmanuelle_Beart_0001.jpg tests/data/image/gray.pgm 2>"$tmp/err")
[ $? -eq 3 ]; check add_with_an_unusable_image_exits_3 $?
grep -q '"template":2,' <<<"$out" && grep -q '"outcome":"no_face"' <<<"$out"; check add_lists_failure_to_enrol $?
"$bex" index add --format int8 "$g" 3 $D/Aaron_Eckhart_0001.jpg $D/Janica_Kostelic_0001.jpg >/dev/null 2>&1
out=$("$bex" index info "$g")
grep -q '"templates":4,"subjects":3,"dim":128,"format":"int8","bytes_per_template":132' <<<"$out"; check info_counts $?

out=$("$bex" index search "$g" $D/Emmanuelle_Beart_0003.jpg)
check search_finds_the_mate_exit_0 $?
grep -qE '"operating_point":"FPIR 0.003 at N=3".*"candidates":\[\{"rank":1,"subject":2,"template":2,"similarity":0\.9[0-9]+,"match":true\}' <<<"$out"
check search_decides_at_the_gallery_size $?

out=$("$bex" index remove "$g" --subject 2)
grep -q '"removed":1,"templates":3' <<<"$out"; check remove_subject $?
out=$("$bex" index search "$g" $D/Emmanuelle_Beart_0003.jpg)
[ $? -eq 1 ]; check removed_subject_is_not_found_exit_1 $?
! grep -q '"subject":2,' <<<"$out"; check removed_subject_is_not_a_candidate $?
grep -q '"operating_point":"FPIR 0.003 at N=2"' <<<"$out"; check gallery_size_follows_removal $?

cp "$g" "$tmp/bad.bexi"
printf 'X' | dd of="$tmp/bad.bexi" bs=1 seek=200 conv=notrunc 2>/dev/null
"$bex" index search "$tmp/bad.bexi" $D/Emmanuelle_Beart_0003.jpg >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "checksum mismatch" "$tmp/err"; check damaged_file_refused $?
"$bex" index remove "$g" --template 999 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "template 999 is not in the index" "$tmp/err"; check remove_unknown_template $?
"$bex" index add "$g" abc $D/Akhmed_Zakayev_0001.jpg >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "subject id must be a whole number" "$tmp/err"; check bad_subject_id $?
grep -q '"model":"face-api.js@1.7.15 resnet34-128 similarity"' <<<"$("$bex" index info "$g")"; check info_names_the_model $?
"$bex" index search --align faceapi "$g" $D/Emmanuelle_Beart_0003.jpg >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q 'resnet34-128 similarity".*resnet34-128 faceapi"' "$tmp/err"; check search_with_another_model_refused $?
"$bex" index add --align faceapi "$g" 5 $D/Akhmed_Zakayev_0001.jpg >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "cannot be compared" "$tmp/err"; check add_with_another_model_refused $?
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
