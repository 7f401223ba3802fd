#!/usr/bin/env bash
# test_eval_lfw.sh - `bex eval verify` on a fixed subset of LFW View 2 (the first 10 mated and
# 10 non-mated pairs of each fold: 200 pairs), `bex eval identify` on LFW's first 600 people and
# `bex eval calibrate` on the same people (from identify's template cache), when LFW is beside
# the checkout
# (../shared/data/lfw, or $BEX_LFW) and the models are installed; skipped otherwise.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
lfw=${BEX_LFW:-../shared/data/lfw}
if [ ! -r "$lfw/pairs.txt" ] || [ ! -r models/ssd_mobilenetv1_model.bin ]; then
    echo "skip eval_verify_lfw_subset: needs LFW at $lfw (or \$BEX_LFW) and models/"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
pass=0; fail=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

json=$("$BUILD/bex" eval verify --lfw "$lfw" --per-fold 10 --out "$out" 2>"$out/stderr")
rc=$?
check eval_verify_exits_0 $rc
echo "  $json" | cut -c1-400
grep -q '"pairs":200,' <<<"$json"; check eval_verify_counts_200_pairs $?
# accuracy on this subset: a regression below 90% means the pipeline broke
acc=$(grep -oE '"accuracy_mean":[0-9.]+' <<<"$json" | cut -d: -f2)
awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.90 && a <= 1.0) }'; check eval_verify_accuracy_at_least_90 $?
grep -qE '"tar_at_far_0.01":\{"tar":0\.[0-9]+' <<<"$json"; check eval_verify_reports_tar_at_far $?
grep -qE '"eer":0\.[0-9]+' <<<"$json"; check eval_verify_reports_eer $?
grep -qE '"quality":\{"operating_point":"FMR 0.001","threshold":0\.[0-9]+,"by_pair_quality":\[\{"band":"0-20","pairs":[0-9]+' <<<"$json"
check eval_verify_reports_accuracy_by_quality $?
grep -qE '"capture_policy":\{"min_quality":[0-9.]+,.*"no_face":[0-9]+,"several_faces":[0-9]+,"face_too_small":[0-9]+,"low_quality":[0-9]+' <<<"$json"
check eval_verify_reports_capture_outcomes $?
if command -v python3 >/dev/null; then # JSON has no NaN: a report must parse
    python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"; check eval_verify_output_is_json $?
fi
for f in verify_det.svg verify_hist.svg verify_det.csv verify_thresholds.csv verify_scores.csv; do
    [ -s "$out/$f" ]; check "eval_verify_writes_$f" $?
done
head -c 200 "$out/verify_det.svg" | grep -q "<svg"; check det_svg_is_svg $?
tail -c 20 "$out/verify_det.svg" | grep -q "</svg>"; check det_svg_is_complete $?
[ "$(wc -l <"$out/verify_scores.csv")" -eq 201 ]; check scores_csv_has_every_pair $?

# `bex eval identify` on the first 600 people of lfw-names.txt (about 1,400 images), 3 trials
mkdir -p "$out/lfw600"
head -600 "$lfw/lfw-names.txt" >"$out/lfw600/lfw-names.txt"
ln -s "$(cd "$lfw" && pwd)/lfw-deepfunneled" "$out/lfw600/lfw-deepfunneled"
json=$("$BUILD/bex" eval identify --lfw "$out/lfw600" --trials 3 --out "$out/id" --cache "$out/lfw600.cache" 2>"$out/stderr-id")
check eval_identify_exits_0 $?
echo "  $json" | cut -c1-300
grep -qE '"enrolment":"one image per person","gallery_people":[0-9]+,"full":\{"mated_probes":[0-9]+,"nonmated_probes":[0-9]+,"fnir_at_fpir_0.003":0\.[0-9]+' <<<"$json"
check eval_identify_reports_fnir $?
r1=$(grep -oE '"rank1":[0-9.]+' <<<"$json" | head -1 | cut -d: -f2)
awk -v a="${r1:-0}" 'BEGIN { exit !(a >= 0.80 && a <= 1.0) }'; check eval_identify_rank1_at_least_80 $?
for f in identify_one_det.svg identify_one_hist.svg identify_several_det.csv; do
    [ -s "$out/id/$f" ]; check "eval_identify_writes_$f" $?
done
grep -qE '"calibrated":\{"operating_point":"FPIR 0.003 at N=420","threshold":0\.[0-9]+,"fpir":0\.[0-9]+' <<<"$json"
check eval_identify_reports_calibrated_decisions $?

# `bex eval calibrate` on the same 600 people: every image comes from the cache
json=$("$BUILD/bex" eval calibrate --lfw "$out/lfw600" --trials 5 --out "$out/cal" --cache "$out/lfw600.cache" \
       --c-table "$out/cal.inc" 2>"$out/stderr-cal")
check eval_calibrate_exits_0 $?
echo "  $json" | cut -c1-300
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"; check eval_calibrate_output_is_json $?
fi
grep -q "images from the cache" "$out/stderr-cal"; check eval_calibrate_uses_the_cache $?
grep -qE '"fmr":\[\{"target":0.1,"threshold":0\.[0-9]+,"false_matches":[0-9]+' <<<"$json"; check eval_calibrate_reports_fmr_table $?
grep -qE '"fpir":\[\{"n":100,"trials":5,"target":0.003' <<<"$json"; check eval_calibrate_checks_1_to_n $?
grep -q 'static const bex__cal_row CAL_ROWS\[\]' "$out/cal.inc"; check eval_calibrate_writes_c_table $?
[ -s "$out/cal/calibration_similarity.csv" ]; check eval_calibrate_writes_csv $?
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
