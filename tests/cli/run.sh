#!/usr/bin/env bash
# run.sh - runs the black-box cases of tests/cli/cases.txt against $BUILD/bex and prints
# "N passed, N failed[, N skipped]".
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.."
bex="$BUILD/bex"
D=tests/data
have_models=0
[ -r models/ssd_mobilenetv1_model.bin ] && have_models=1
pass=0; fail=0; skip=0
out=$(mktemp); errf=$(mktemp)
trap 'rm -f "$out" "$errf"' EXIT
while IFS=$'\x1f' read -r name code want_out want_err args; do
    name=$(echo "$name" | xargs)
    if [[ $name == "[models]"* ]]; then
        name=${name#\[models\] }
        if [ $have_models -eq 0 ]; then echo "skip $name: models/ not installed"; skip=$((skip + 1)); continue; fi
    fi
    code=$(echo "$code" | xargs)
    want_out=$(echo "$want_out" | sed -e 's/^ *//' -e 's/ *$//')
    want_err=$(echo "$want_err" | sed -e 's/^ *//' -e 's/ *$//')
    args=${args//\$D/$D}
    # shellcheck disable=SC2086
    "$bex" $args >"$out" 2>"$errf" </dev/null
    rc=$?
    ok=1; why=""
    if [ "$rc" != "$code" ]; then ok=0; why="exit $rc, wanted $code"; fi
    if [ -n "$want_out" ] && ! grep -Pzq -- "(?m)$want_out" "$out"; then ok=0; why="$why; stdout does not match /$want_out/"; fi
    if [ -n "$want_err" ] && ! grep -Pzq -- "(?m)$want_err" "$errf"; then ok=0; why="$why; stderr does not match /$want_err/"; fi
    if [ "$(wc -l <"$errf")" -gt 2 ]; then ok=0; why="$why; stderr has more than 2 lines"; fi
    if [ $ok -eq 1 ]; then echo "ok   $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: $why"; fail=$((fail + 1))
        echo "  stdout: $(head -c 300 "$out")"; echo "  stderr: $(head -c 300 "$errf")"
    fi
done < <(grep -v -e '^#' -e '^[[:space:]]*$' tests/cli/cases.txt | sed 's/ :: /\x1f/g')
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
