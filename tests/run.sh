#!/usr/bin/env bash
# run.sh - runs every bex test tier and prints one closing "N passed, N failed" line.
#   unit:  each $BUILD/tests/test_* binary (prints its own "N passed, N failed")
#   fuzz:  each $BUILD/fuzz/replay_X over tests/fuzz/corpus/X (one check per corpus)
#   tools: tests/tools/test_*.sh (set-up scripts; the LFW evaluation subset)
#   cli:   tests/cli/run.sh against $BUILD/bex
#   lint:  issue 11's layering rules (no SQLite in src/border, no CLI flag in src/'s messages,
#          cli/ and server/ built against include/ only)
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0

add_summary() { # parses "N passed, N failed[, N skipped]" from the last such line of $1
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
    if [ -z "$line" ]; then fail=$((fail + 1)); return; fi
    local p f s
    p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '^[0-9]+' || echo 0)
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t")"
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    add_summary "$log"
    if [ $rc -ne 0 ] && ! grep -qE '^[0-9]+ passed, [1-9][0-9]* failed' "$log"; then
        echo "  (exited $rc without reporting a failure: counted as failed)"; fail=$((fail + 1))
    fi
done

# The face pipeline again on the portable kernels, so that a machine without AVX-512 (or
# without AVX2) is known to give the same faces; skipped under the sanitizers (slow there).
if [ -x "$BUILD/tests/test_face" ] && [ "${SANITIZE:-0}" != 1 ]; then
    for k in avx2 scalar; do
        echo "== test_face with BEX_KERNEL=$k"
        BEX_KERNEL=$k "$BUILD/tests/test_face" >"$log" 2>&1
        cat "$log"
        add_summary "$log"
    done
fi

for r in "$BUILD"/fuzz/replay_*; do
    [ -x "$r" ] || continue
    name=${r##*/replay_}
    echo "== fuzz replay $name"
    if "$r" tests/fuzz/corpus/"$name"/* >"$log" 2>&1; then
        tail -1 "$log"; pass=$((pass + 1))
    else
        cat "$log"; echo "FAIL fuzz replay $name"; fail=$((fail + 1))
    fi
done

for t in tests/tools/test_*.sh; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t")"
    BUILD=$BUILD "$t" >"$log" 2>&1
    cat "$log"
    add_summary "$log"
done

if [ -x tests/cli/run.sh ]; then
    echo "== cli"
    BUILD=$BUILD tests/cli/run.sh >"$log" 2>&1
    cat "$log"
    add_summary "$log"
fi

# lint: issue 11's layering rules. The border rules reach SQLite only through the store; no
# message in src/ names a command-line flag (the library has callers other than the CLI); the
# programs (cli/, server/) compile against include/ alone (their .d files from the last build).
lint() { # lint NAME FINDINGS: one check, failed when FINDINGS is not empty
    if [ -z "$2" ]; then echo "ok   lint $1"; pass=$((pass + 1))
    else echo "FAIL lint $1:"; sed 's/^/  /' <<<"$2"; fail=$((fail + 1)); fi
}
echo "== lint"
lint no_sqlite_in_border_rules "$(grep -c sqlite3_ src/border/*.c | grep -v ':0$')"
# each string literal on a line outside comments (escaped quotes, '"' and /* */ dropped first;
# a // before a literal ends the line's code)
lint no_cli_flag_in_library_messages "$(find src -name '*.[ch]' -print0 | sort -z | xargs -0 awk -v q="'" '
    { s = $0; gsub(/\\\\/, "", s); gsub(/\\"/, "", s); gsub(q "\"" q, "", s); gsub(/\/\*.*\*\//, "", s) }
    s ~ /^[ \t]*(\*|\/\*|\/\/)/ { next }
    { while (match(s, /"[^"]*"/)) {
          if (substr(s, 1, RSTART - 1) ~ /\/\//) break
          if (substr(s, RSTART, RLENGTH) ~ /--[a-z][a-z-]+/) { print FILENAME ":" FNR ": " $0; break }
          s = substr(s, RSTART + RLENGTH)
      } }')"
deps=$(ls "$BUILD"/cli/*.d "$BUILD"/server/*.d 2>/dev/null)
if [ -n "$deps" ]; then
    lint programs_use_public_headers_only "$(grep -lE '(^|[[:space:]])(\./)?src/' $deps)"
else
    echo "skip lint programs_use_public_headers_only: no $BUILD/cli/*.d or $BUILD/server/*.d"; skip=$((skip + 1))
fi

echo
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
