#!/usr/bin/env bash
# Installs the face-api.js oracle (exact versions from package-lock.json) into
# tools/faceapi-ref/node_modules with `npm ci`. Needs Node >= 18 and npm, and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "faceapi-ref/setup.sh: node and npm are required (Node 20 is what the references were made with)" >&2
    exit 1
fi

# Already installed at the locked versions? (npm ci would delete and reinstall everything.)
if [ -f node_modules/.package-lock.json ] && [ "${FACEAPI_REF_FORCE:-0}" != 1 ] \
   && node -e '
        const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
        for (const k of Object.keys(a)) if (k && (!b[k] || b[k].version !== a[k].version)) process.exit(1);
        require.resolve("@vladmandic/face-api/dist/face-api.node-wasm.js");
      ' 2>/dev/null; then
    echo "faceapi-ref: node_modules already matches package-lock.json (FACEAPI_REF_FORCE=1 to reinstall)"
    exit 0
fi

registry="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
if ! npm ping --silent --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1; then
    echo "faceapi-ref/setup.sh: cannot reach the npm registry ($registry)." >&2
    echo "  The oracle needs @vladmandic/face-api, @tensorflow/tfjs, @tensorflow/tfjs-backend-wasm," >&2
    echo "  jpeg-js and pngjs from it; nothing in bex's own build or tests needs them." >&2
    exit 1
fi

npm ci --no-audit --no-fund
node -e 'require("@vladmandic/face-api/dist/face-api.node-wasm.js"); console.log("faceapi-ref: installed", require("@vladmandic/face-api/package.json").version)'
