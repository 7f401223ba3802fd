// ref.js - runs MediaPipe BlazeFace's tfjs graph models on fixture pixels and prints, per image
// and model, the raw output rows ([score logit, 16 box / keypoint regressors]) of the
// top-scoring anchors, for bex's tests/unit/test_blazeface.c.
//
//   node ref.js [--top N] MODELS_DIR IMAGE.png[@x,y,w,h] ...   > tests/data/blazeface/ref.jsonl
//
// IMAGE is a PNG of decoded pixels (tests/data/ref/pixels/); @x,y,w,h crops it first (a tight
// crop). The input tensor is built as bex's blz_preprocess builds it, which is MediaPipe's
// ImageToTensorCalculator for these graphs: the image centred in a square of its longer side,
// input pixel (u, v) sampling the image at (x0 + u s, y0 + v s) with s = side / input,
// bilinearly, neighbours outside the image black; then v / 127.5 - 1.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const { PNG } = require('pngjs');

function readImage(spec) {
  const [file, crop] = spec.split('@');
  const png = PNG.sync.read(fs.readFileSync(file));
  let w = png.width, h = png.height, x0 = 0, y0 = 0;
  if (crop) [x0, y0, w, h] = crop.split(',').map(Number);
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) px[(y * w + x) * 3 + c] = png.data[((y + y0) * png.width + x + x0) * 4 + c];
  return { file: path.basename(file), crop: crop || null, w, h, px };
}

function inputTensor(img, n) {
  const side = Math.max(img.w, img.h);
  const x0 = (img.w - side) / 2, y0 = (img.h - side) / 2, s = side / n;
  const out = new Float32Array(n * n * 3);
  for (let v = 0; v < n; v++)
    for (let u = 0; u < n; u++) {
      const x = Math.fround(x0 + u * s), y = Math.fround(y0 + v * s);
      const xi = Math.floor(x), yi = Math.floor(y), fx = x - xi, fy = y - yi;
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) {
          const xx = xi + (k & 1), yy = yi + (k >> 1);
          if (xx < 0 || yy < 0 || xx >= img.w || yy >= img.h) continue;
          acc += img.px[(yy * img.w + xx) * 3 + c] * ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
        }
        out[(v * n + u) * 3 + c] = acc / 127.5 - 1;
      }
    }
  return tf.tensor4d(out, [1, n, n, 3]);
}

async function loadModel(file) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const bins = j.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(path.dirname(file), p))));
  const buf = Buffer.concat(bins);
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return tf.loadGraphModel({
    load: async () => ({
      modelTopology: j.modelTopology, format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy,
      signature: j.signature, weightSpecs: j.weightsManifest.flatMap((g) => g.weights), weightData,
    }),
  });
}

async function main() {
  let args = process.argv.slice(2), top = 16;
  if (args[0] === '--top') { top = Number(args[1]); args = args.slice(2); }
  const dir = args.shift();
  await tf.setBackend('wasm');
  await tf.ready();
  const models = {
    short: await loadModel(path.join(dir, 'facemesh-detection-short.json')),
    full: await loadModel(path.join(dir, 'facemesh-detection-full.json')),
  };
  for (const spec of args) {
    const img = readImage(spec);
    for (const [name, model] of Object.entries(models)) {
      const n = name === 'short' ? 128 : 192;
      const x = inputTensor(img, n);
      let y = model.execute(x, name === 'full' ? 'Identity' : undefined);
      if (Array.isArray(y)) y = y[0];
      const raw = y.dataSync();
      const rows = raw.length / 17;
      const idx = [...Array(rows).keys()].sort((a, b) => raw[b * 17] - raw[a * 17]).slice(0, top);
      process.stdout.write(`${JSON.stringify({
        file: img.file, crop: img.crop, model: name, anchors: rows,
        top: idx.map((i) => [i, ...Array.from(raw.slice(i * 17, i * 17 + 17), (v) => Number(v.toPrecision(7)))]),
      })}\n`);
      tf.dispose([x, y]);
    }
  }
  process.stderr.write(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
