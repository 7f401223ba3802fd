#!/usr/bin/env bash
# test_onnx_parity.sh - bex's ONNX executor against onnxruntime-node, live: builds the test
# models afresh with a new seed (tools/onnx-ref/make_models.py), runs them in onnxruntime
# (tools/onnx-ref/ref.js) and in bex ($BUILD/tests/test_onnx --dir), on the automatic kernel
# and on scalar. Skipped, saying why, without tools/onnx-ref/node_modules (tools/onnx-ref/setup.sh)
# or Debian's python3-onnx. ONNX_PARITY_SEED picks the seed (else one from the clock, printed).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
skip() { echo "skip: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
[ -d tools/onnx-ref/node_modules/onnxruntime-node ] || skip "tools/onnx-ref/node_modules missing (run tools/onnx-ref/setup.sh)"
command -v node >/dev/null 2>&1 || skip "node not installed"
/usr/bin/python3 -c 'import onnx, numpy' 2>/dev/null || skip "Debian's python3-onnx not installed (apt-get install python3-onnx)"
[ -x "$BUILD/tests/test_onnx" ] || skip "$BUILD/tests/test_onnx not built (make $BUILD/tests/test_onnx)"
seed=${ONNX_PARITY_SEED:-$(( $(date +%s) % 100000 + 100 ))}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "seed $seed"
if ! /usr/bin/python3 tools/onnx-ref/make_models.py "$tmp" "$seed" >/dev/null || ! node tools/onnx-ref/ref.js "$tmp"; then
    echo "FAIL making the models or their onnxruntime outputs (seed $seed)"
    echo "0 passed, 1 failed"
    exit 1
fi
pass=0; fail=0
for k in auto scalar; do
    if [ $k = auto ]; then out=$("$BUILD/tests/test_onnx" --dir "$tmp/" 2>&1); rc=$?
    else out=$(BEX_KERNEL=scalar "$BUILD/tests/test_onnx" --dir "$tmp/" 2>&1); rc=$?; fi
    if [ $rc -eq 0 ]; then echo "ok   parity_seed_${seed}_$k"; pass=$((pass + 1))
    else echo "$out"; echo "FAIL parity_seed_${seed}_$k"; fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
