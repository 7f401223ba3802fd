#!/usr/bin/env bash
# Installs onnxruntime-node (exact version from package-lock.json; its CPU binary is inside the
# npm tarball, about 70 MB, so it runs offline afterwards) into tools/onnx-ref/node_modules with
# `npm ci --ignore-scripts` (the package's install script only fetches GPU add-ons). Needs Node
# >= 18 and npm, and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "onnx-ref/setup.sh: node and npm are required" >&2
    exit 1
fi

# Already installed at the locked versions? (npm ci would delete and reinstall everything.)
if [ -f node_modules/.package-lock.json ] && [ "${ONNX_REF_FORCE:-0}" != 1 ] \
   && node -e '
        const a = require("./package-lock.json").packages, b = require("./node_modules/.package-lock.json").packages;
        for (const k of Object.keys(a)) if (k && (!b[k] || b[k].version !== a[k].version)) process.exit(1);
        require("onnxruntime-node");
      ' 2>/dev/null; then
    echo "onnx-ref: node_modules already matches package-lock.json (ONNX_REF_FORCE=1 to reinstall)"
    exit 0
fi

registry="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
if ! npm ping --silent --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1; then
    echo "onnx-ref/setup.sh: cannot reach the npm registry ($registry)." >&2
    echo "  The ONNX parity oracle needs onnxruntime-node from it; bex's build and its committed" >&2
    echo "  ONNX fixtures (tests/data/onnx/) do not." >&2
    exit 1
fi

ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund --ignore-scripts
node -e 'require("onnxruntime-node"); console.log("onnx-ref: installed onnxruntime-node", require("onnxruntime-node/package.json").version)'
