#!/usr/bin/env bash
# fetch-web.sh - fetches the third-party files of the console's browser tests from the npm
# registry into web/vendor/ (git-ignored): axe-core's axe.min.js (MPL-2.0), which the tests
# inject into the page to check its accessibility, with its licence files. They are used by the
# tests only: bex never serves them and they are not built into it. Nothing is downloaded at
# test time; the browser tests skip, saying so, when web/vendor/axe.min.js is missing.
#
# tools/web.list names each file, the npm package it comes from (pinned to a version) and its
# path in the package; each file is checked against tools/web.sha256 and nothing is written to
# the destination unless every file checks out (as tools/fetch-models.sh does for the models).
#
# usage: tools/fetch-web.sh [DEST]   (DEST defaults to web/vendor/ at the repository root)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/web/vendor}
sums="$root/tools/web.sha256"
list="$root/tools/web.list"

if [ -d "$dest" ] && (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
    echo "web: already present and verified in $dest"
    exit 0
fi

command -v npm >/dev/null || { echo "fetch-web: npm is not installed; install Node.js and npm (apt-get install npm) and run again" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
for pkg in $(grep -v '^#' "$list" | awk 'NF == 3 { print $2 }' | sort -u); do
    dir="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')"
    mkdir -p "$dir"
    echo "web: fetching $pkg from the npm registry"
    if ! (cd "$dir" && npm pack --silent "$pkg" >pack.log 2>&1); then
        echo "fetch-web: could not download $pkg from the npm registry." >&2
        echo "  Check the network or the registry setting (npm config get registry), then run again." >&2
        sed 's/^/  npm: /' "$dir/pack.log" | tail -5 >&2
        exit 1
    fi
    tar -xzf "$dir"/*.tgz -C "$dir"
done
while read -r name pkg path; do
    case "$name" in ''|'#'*) continue ;; esac
    src="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')/package/$path"
    [ -f "$src" ] || { echo "fetch-web: $pkg has no $path; tools/web.list is out of date" >&2; exit 1; }
    cp "$src" "$tmp/out/$name"
done <"$list"
if ! (cd "$tmp/out" && sha256sum --quiet -c "$sums"); then
    echo "fetch-web: a file does not match its pinned sha256 (tools/web.sha256); refusing to install it." >&2
    exit 1
fi
mkdir -p "$dest"
cp "$tmp"/out/* "$dest"/
echo "web: installed and verified in $dest"
