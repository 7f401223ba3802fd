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
. "$root/tools/npm-fetch.sh"
npm_fetch web "file" "$root/tools/web.list" "$root/tools/web.sha256" "${1:-$root/web/vendor}"
