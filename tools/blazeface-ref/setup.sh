#!/usr/bin/env bash
# Installs the BlazeFace tfjs reference (exact versions from package-lock.json) into
# tools/blazeface-ref/node_modules with `npm ci`. Needs Node >= 18 and npm, and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "blazeface-ref/setup.sh: node and npm are required (Node 20 made the references)" >&2
    exit 1
fi
if [ -f node_modules/.package-lock.json ] && [ "${BLAZEFACE_REF_FORCE:-0}" != 1 ] \
   && node -e '
        const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
        for (const k of Object.keys(a)) if (k && (!b[k] || b[k].version !== a[k].version)) process.exit(1);
        require.resolve("@tensorflow/tfjs-backend-wasm");
      ' 2>/dev/null; then
    echo "blazeface-ref: node_modules already matches package-lock.json (BLAZEFACE_REF_FORCE=1 to reinstall)"
    exit 0
fi
npm ci --no-audit --no-fund
node -e 'console.log("blazeface-ref: installed tfjs", require("@tensorflow/tfjs/package.json").version)'
