// ref.js - runs ONNX models in onnxruntime-node (CPU, one thread) and writes their outputs:
// the reference bex's ONNX executor is checked against (tests/unit/test_onnx.c,
// tests/tools/test_onnx_parity.sh).
//
//   node ref.js DIR [NAME...]
//
// For each DIR/NAME.onnx (every .onnx in DIR if no NAME is given) it reads the model's inputs,
// in order, from DIR/NAME.input.bin (float32 little-endian, each input's elements in the
// model's declared shape, concatenated) and writes every output, in order, concatenated, to
// DIR/NAME.output.bin. With BENCH=N it instead times N runs of each model and prints the
// median / min / max milliseconds per run.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
ort.env.logLevel = 'error';

async function main() {
    const dir = process.argv[2];
    if (!dir) { console.error('usage: node ref.js DIR [NAME...]'); process.exit(2); }
    let names = process.argv.slice(3);
    if (!names.length) names = fs.readdirSync(dir).filter(f => f.endsWith('.onnx')).map(f => f.slice(0, -5)).sort();
    const bench = parseInt(process.env.BENCH || '0', 10);
    for (const name of names) {
        const sess = await ort.InferenceSession.create(path.join(dir, name + '.onnx'), {
            intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
        });
        const buf = fs.readFileSync(path.join(dir, name + '.input.bin'));
        const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
        const shapes = JSON.parse(fs.readFileSync(path.join(dir, name + '.shapes.json'), 'utf8'));
        const feeds = {};
        let off = 0;
        sess.inputNames.forEach((n, i) => {
            const dims = shapes[i];
            const cnt = dims.reduce((a, b) => a * b, 1);
            feeds[n] = new ort.Tensor('float32', all.slice(off, off + cnt), dims);
            off += cnt;
        });
        if (off !== all.length) throw new Error(name + ': input.bin holds ' + all.length + ' floats, the inputs ' + off);
        if (bench > 0) {
            for (let i = 0; i < 5; i++) await sess.run(feeds);
            const t = [];
            for (let i = 0; i < bench; i++) {
                const t0 = process.hrtime.bigint();
                await sess.run(feeds);
                t.push(Number(process.hrtime.bigint() - t0) / 1e6);
            }
            t.sort((a, b) => a - b);
            console.log(`${name}: onnxruntime-node ${ort.env.versions ? '' : ''}median ${t[t.length >> 1].toFixed(3)} ms, min ${t[0].toFixed(3)}, max ${t[t.length - 1].toFixed(3)} (${bench} runs, 1 thread)`);
            continue;
        }
        const res = await sess.run(feeds);
        const parts = sess.outputNames.map(n => Buffer.from(res[n].data.buffer, res[n].data.byteOffset, res[n].data.byteLength));
        fs.writeFileSync(path.join(dir, name + '.output.bin'), Buffer.concat(parts));
    }
}
main().catch(e => { console.error(String(e && e.stack || e)); process.exit(1); });
