#!/usr/bin/env node
'use strict';
// Reference outputs of face-api.js (the oracle) for bex.
//
//   node tools/faceapi-ref/ref.js [--min-confidence 0.5] [--max-results 100] [--pad] IMG...
//       one JSON line per image, in argument order (see README.md for the format)
//   node tools/faceapi-ref/ref.js [--min-confidence 0.5] --dump DIR [--face N] [--dump-weights] IMG
//       float32 little-endian tensors of every stage for one image + DIR/index.json (dump.js)
//
// Everything is computed by face-api's own public chain
//   detectAllFaces(t, new SsdMobilenetv1Options({minConfidence, maxResults}))
//     .withFaceLandmarks().withFaceDescriptors()
// on an int32 [h, w, 3] tensor; the crop boxes printed beside the results are recomputed with
// face-api's own Box methods, exactly as extractFaceTensors() computes them.

const lib = require('./lib');

function usage(msg) {
  if (msg) process.stderr.write(`ref.js: ${msg}\n`);
  process.stderr.write('usage: ref.js [--min-confidence C] [--max-results N] [--pad] IMG...\n'
    + '       ref.js [--min-confidence C] --dump DIR [--face N] [--dump-weights] IMG\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { minConfidence: 0.5, maxResults: 100, pad: false, dump: null, dumpWeights: false, face: 0, images: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) usage(`${a} needs a value`); return argv[++i]; };
    if (a === '--min-confidence') o.minConfidence = Number(next());
    else if (a === '--max-results') o.maxResults = Number(next());
    else if (a === '--pad') o.pad = true;
    else if (a === '--dump') o.dump = next();
    else if (a === '--dump-weights') o.dumpWeights = true;
    else if (a === '--face') o.face = Number(next());
    else if (a === '-h' || a === '--help') usage();
    else if (a === '--') { o.images.push(...argv.slice(i + 1)); break; } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else o.images.push(a);
  }
  if (!(o.minConfidence > 0 && o.minConfidence < 1)) usage('--min-confidence must be in (0, 1)');
  if (!(Number.isInteger(o.maxResults) && o.maxResults > 0)) usage('--max-results must be a positive integer');
  if (!o.images.length) usage('no image given');
  if (o.dump && o.images.length !== 1) usage('--dump takes exactly one image');
  if (!(Number.isInteger(o.face) && o.face >= 0)) usage('--face must be a face index (0 = first)');
  return o;
}

const rect = (b) => [b.x, b.y, b.width, b.height];

// Runs face-api's public chain on an int32 [h,w,3] tensor; returns faces in face-api's order
// (NMS order: descending detection score).
async function runChain(faceapi, t, opts) {
  const [h, w] = t.shape;
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: opts.minConfidence, maxResults: opts.maxResults });
  const results = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors();
  return results.map((r) => {
    // box cropped for the landmark net (extractFaceTensors: forSize + clipAtImageBorders, floored)
    const cropBox = r.detection.forSize(w, h).box.clipAtImageBorders(w, h);
    // box handed to extractFaceTensors for the descriptor (ComputeAllFaceDescriptorsTask) ...
    const dlibRect = r.landmarks.align(null, { useDlibAlignment: true });
    // ... and what extractFaceTensors really cuts out of it
    const alignedBox = dlibRect.clipAtImageBorders(w, h);
    return {
      score: r.detection.score,
      box: rect(r.detection.box),
      crop_box: rect(cropBox),
      landmarks: r.landmarks.positions.map((p) => [p.x, p.y]),
      aligned_box: rect(alignedBox),
      dlib_rect: rect(dlibRect),
      descriptor: Array.from(r.descriptor),
    };
  });
}

function shiftFace(f, dx, dy) {
  const sh = (b) => [b[0] - dx, b[1] - dy, b[2], b[3]];
  return {
    score: f.score,
    box: sh(f.box),
    crop_box: sh(f.crop_box),
    landmarks: f.landmarks.map(([x, y]) => [x - dx, y - dy]),
    aligned_box: sh(f.aligned_box),
    dlib_rect: sh(f.dlib_rect),
    descriptor: f.descriptor,
    padded: true,
  };
}

async function processImage(faceapi, file, opts) {
  const img = lib.decodeImage(file);
  const t = lib.imageTensor(img);
  let faces;
  const out = { image: file, width: img.width, height: img.height };
  try {
    faces = await runChain(faceapi, t, opts);
  } finally {
    t.dispose();
  }
  if (faces.length === 0 && opts.pad) {
    // retry on the image padded with black by half its width/height on each side
    const padX = Math.floor(img.width / 2); const padY = Math.floor(img.height / 2);
    const p = lib.padImage(img, padX, padY);
    const tp = lib.imageTensor(p);
    try {
      faces = (await runChain(faceapi, tp, opts)).map((f) => shiftFace(f, padX, padY));
    } finally {
      tp.dispose();
    }
    out.pad = [padX, padY];
  }
  out.faces = faces;
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { faceapi, tf } = await lib.init();
  if (opts.dump) {
    // eslint-disable-next-line global-require
    await require('./dump').dump(faceapi, tf, opts.images[0], opts.dump, opts);
    return;
  }
  for (const file of opts.images) {
    let line;
    try {
      line = JSON.stringify(await processImage(faceapi, file, opts));
    } catch (e) {
      line = JSON.stringify({ image: file, error: String((e && e.message) || e) });
    }
    process.stdout.write(`${line}\n`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`ref.js: ${(e && e.stack) || e}\n`);
    process.exit(1);
  });
}

module.exports = { runChain, processImage };
