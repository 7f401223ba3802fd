#!/bin/sh
# eval-hard.sh - the hard-capture evaluation of docs/evaluation.md ("Hard captures"): LFW View 2
# on the full, tight, dark and side-lit images (failure to acquire with and without the
# lighting retry, 10-fold accuracy), and flip test-time augmentation on all of LFW (View 2 and
# open-set 1:N at N = 420, with and without flip from one run). One cache per setting, in OUT.
#
#   tools/eval-hard.sh [-l LFW] [-o OUT] [-p PER_FOLD] [-t THREADS] [-b BEX] [-m LIGHT] [variants|flip|summary]...
#
# -p 100 runs a fixed third of View 2 (the first 100 mated and 100 non-mated pairs of each
# fold); the default is all of it. Without a step it runs variants, flip and summary.
# summary prints the tables from OUT/*.json.
set -eu
LFW=../shared/data/lfw OUT=eval-hard PER=0 THREADS=2 BEX=build/bex LIGHT=clahe
while getopts l:o:p:t:b:m: opt; do
    case $opt in
    l) LFW=$OPTARG ;; o) OUT=$OPTARG ;; p) PER=$OPTARG ;; t) THREADS=$OPTARG ;; b) BEX=$OPTARG ;;
    m) LIGHT=$OPTARG ;; *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- variants flip summary
mkdir -p "$OUT"
sub=""
[ "$PER" -gt 0 ] && sub="--per-fold $PER"
for step in "$@"; do
    case $step in
    variants)
        for v in full tight dark sidelight; do
            # shellcheck disable=SC2086
            "$BEX" eval verify --lfw "$LFW" $sub --variant $v --light "$LIGHT" --threads "$THREADS" \
                --out "$OUT/verify-$v" --cache "$OUT/$v-$LIGHT-p$PER.cache" > "$OUT/verify-$v.json"
        done ;;
    flip)
        "$BEX" eval identify --lfw "$LFW" --flip --light "$LIGHT" --threads "$THREADS" \
            --out "$OUT/identify-flip" --cache "$OUT/flip-$LIGHT.cache" > "$OUT/identify-flip.json"
        "$BEX" eval verify --lfw "$LFW" --flip --light "$LIGHT" --threads "$THREADS" \
            --out "$OUT/verify-flip" --cache "$OUT/flip-$LIGHT.cache" > "$OUT/verify-flip.json" ;;
    summary)
        python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name)
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else None
print("| variant | images | FTA: no retry | + wide pad | + lighting retry | accuracy: no retry | + wide pad | + lighting |")
print("|---|---|---|---|---|---|---|---|")
nan = float("nan")
for v in ["full", "tight", "dark", "sidelight"]:
    d = load("verify-%s.json" % v)
    if not d: continue
    f, w, e = d["failure_to_acquire"], d.get("without_light_retry", {}), d.get("without_either", {})
    n = f["images"]
    print("| %s | %d | %d (%.2f%%) | %d (%.2f%%) | %d (%.2f%%) | %.2f%% +- %.2f | %.2f%% +- %.2f | %.2f%% +- %.2f |" % (
          v, n, f.get("no_face_without_either", -1), 100 * f.get("rate_without_either", nan),
          f["no_face_without_light_retry"], 100 * f["rate_without_light_retry"], f["no_face"], 100 * f["rate"],
          100 * e.get("accuracy_mean", nan), 100 * e.get("accuracy_sd", nan),
          100 * w.get("accuracy_mean", nan), 100 * w.get("accuracy_sd", nan),
          100 * d["accuracy_mean"], 100 * d["accuracy_sd"]))
d = load("verify-flip.json")
if d:
    w = d["without_flip"]
    print("\nView 2: flip %.2f%% +- %.2f (EER %.2f%%, TAR at FAR 1e-3 %.2f%%); without flip %.2f%% +- %.2f (EER %.2f%%, TAR %.2f%%)" % (
          100 * d["accuracy_mean"], 100 * d["accuracy_sd"], 100 * d["eer"], 100 * d["tar_at_far_0.001"]["tar"],
          100 * w["accuracy_mean"], 100 * w["accuracy_sd"], 100 * w["eer"], 100 * w["tar_at_far_0.001"]))
d = load("identify-flip.json")
if d:
    print("\n| templates | enrolment | N = 420: FNIR at FPIR 0.003 | rank-1 | shipped threshold FPIR / FNIR | full gallery: FNIR at FPIR 0.003 | rank-1 |")
    print("|---|---|---|---|---|---|---|")
    for key, name in (("results_without_flip", "plain"), ("results", "flip")):
        for r in d[key]:
            n, f = r["n420"], r["full"]
            print("| %s | %s | %.2f%% | %.2f%% | %.4f / %.2f%% | %.2f%% | %.2f%% |" % (name, r["enrolment"],
                  100 * n["fnir_at_fpir_0.003"], 100 * n["rank1"], n["calibrated"]["fpir"], 100 * n["calibrated"]["fnir"],
                  100 * f["fnir_at_fpir_0.003"], 100 * f["rank1"]))
    e = d["embedding"]
    if e.get("flip_template_ms"):
        print("\nper image: %.1f ms in all without flip; a template %.1f ms without flip, %.1f ms with" % (
              e["ms_per_image"], e["plain_template_ms"], e["flip_template_ms"]))
PY
        ;;
    *) echo "eval-hard.sh: unknown step $step (variants, flip, summary)" >&2; exit 2 ;;
    esac
done
