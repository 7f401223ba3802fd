#!/usr/bin/env bash
# test_mrz_cli.sh - `bex mrz`: a valid passport MRZ from standard input and as an argument, an
# expired one, a broken check digit named, and text that is no MRZ. No models needed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
td3=$'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10'

out=$(printf '%s\r\n' "$td3" | "$bex" mrz --today 2011-01-01)
check mrz_stdin_valid_exit_0 $?
grep -q '"format":"TD3".*"document_number":"L898902C3","surname":"ERIKSSON","given_names":"ANNA MARIA".*"birth_date":"1974-08-12".*"checks_failed":\[\],"valid":true' <<<"$out"
check mrz_fields $?
out=$("$bex" mrz --today 2026-11-26 "$td3")
[ $? -eq 1 ] && grep -q '"expired":true' <<<"$out"; check mrz_expired_exit_1 $?
out=$("$bex" mrz --today 2011-01-01 "${td3/L898902C36/L898902C37}")
[ $? -eq 1 ] && grep -q '"checks_failed":\["document_number","composite"\]' <<<"$out"; check mrz_names_failed_check $?
"$bex" mrz "hello" 2>"${TMPDIR:-/tmp}/bex-mrz-err.$$" >/dev/null
[ $? -eq 2 ] && grep -q "position 1: 'h' is not an MRZ character" "${TMPDIR:-/tmp}/bex-mrz-err.$$"
check mrz_not_an_mrz_exit_2 $?
rm -f "${TMPDIR:-/tmp}/bex-mrz-err.$$"
"$bex" mrz --today 26-11-2026 "$td3" >/dev/null 2>&1
[ $? -eq 2 ]; check mrz_bad_today $?
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
