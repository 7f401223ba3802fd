#!/usr/bin/env node
'use strict';
// Times face-api.js (the oracle) on the tfjs wasm backend.
//
//   node tools/faceapi-ref/bench.js [--json] [--warmup N] [--repeat R] [--min-confidence C] IMG...
//
// Per image and per repetition:
//   detect     nets.ssdMobilenetv1.locateFaces(t, options)                  (= detectAllFaces)
//   landmarks  extractFaceTensors(t, detections) + faceLandmark68Net.detectLandmarks per face
//   descriptor landmarks.align(null, {useDlibAlignment: true}) + extractFaceTensors
//              + faceRecognitionNet.computeFaceDescriptor per face
//   full       detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors()
//              (the public chain, timed on its own run)
// The three stages replicate what the public chain does internally (globalApi/*Tasks.ts), so
// their sum is comparable to "full". JPEG decoding and the int32 tensor creation are timed
// apart ("decode") and are not part of any stage. Times are wall-clock ms (performance.now()).
// --json prints one JSON object on stdout and nothing else (for a C benchmark that runs this as
// a subprocess); without it a short table goes to stderr and the JSON to stdout as well.

const os = require('os');
const { performance } = require('perf_hooks');
const lib = require('./lib');

function usage(msg) {
  if (msg) process.stderr.write(`bench.js: ${msg}\n`);
  process.stderr.write('usage: bench.js [--json] [--warmup N] [--repeat R] [--min-confidence C] IMG...\n');
  process.exit(2);
}

function stats(v) {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const r = (x) => Math.round(x * 1000) / 1000;
  return { mean: r(mean), median: r(median), min: r(s[0]), max: r(s[s.length - 1]), n: v.length };
}

async function staged(faceapi, t, options) {
  const t0 = performance.now();
  const dets = await faceapi.nets.ssdMobilenetv1.locateFaces(t, options);
  const t1 = performance.now();
  // DetectAllFaceLandmarksTask.run
  const faces = await faceapi.extractFaceTensors(t, dets);
  const lms = await Promise.all(faces.map((f) => faceapi.nets.faceLandmark68Net.detectLandmarks(f)));
  faces.forEach((f) => f.dispose());
  const withLm = dets.map((det, i) => faceapi.extendWithFaceLandmarks(faceapi.extendWithFaceDetection({}, det), lms[i]));
  const t2 = performance.now();
  // ComputeAllFaceDescriptorsTask.run
  const rects = withLm.map((r) => r.landmarks.align(null, { useDlibAlignment: true }));
  const aligned = await faceapi.extractFaceTensors(t, rects);
  await Promise.all(aligned.map((f) => faceapi.nets.faceRecognitionNet.computeFaceDescriptor(f)));
  aligned.forEach((f) => f.dispose());
  const t3 = performance.now();
  return { detect: t1 - t0, landmarks: t2 - t1, descriptor: t3 - t2, faces: dets.length };
}

async function full(faceapi, t, options) {
  const t0 = performance.now();
  const r = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors();
  return { full: performance.now() - t0, faces: r.length };
}

async function main() {
  const argv = process.argv.slice(2);
  const o = { json: false, warmup: 3, repeat: 1, minConfidence: 0.5, images: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = true;
    else if (a === '--warmup') o.warmup = Number(argv[++i]);
    else if (a === '--repeat') o.repeat = Number(argv[++i]);
    else if (a === '--min-confidence') o.minConfidence = Number(argv[++i]);
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else o.images.push(a);
  }
  if (!o.images.length) usage('no image given');
  if (!(o.warmup >= 0) || !(o.repeat >= 1)) usage('bad --warmup/--repeat');

  const tLoad0 = performance.now();
  const { faceapi } = await lib.init();
  const loadMs = performance.now() - tLoad0;
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: o.minConfidence });

  const decoded = [];
  const decodeMs = [];
  for (const file of o.images) {
    const d0 = performance.now();
    const img = lib.decodeImage(file);
    const t = lib.imageTensor(img);
    decodeMs.push(performance.now() - d0);
    decoded.push({ file, t });
  }

  // warm-up: first image, both paths (the wasm backend compiles/caches its XNNPACK operators)
  for (let i = 0; i < o.warmup; i++) {
    await staged(faceapi, decoded[0].t, options);
    await full(faceapi, decoded[0].t, options);
  }

  const per = { detect: [], landmarks: [], descriptor: [], staged_total: [], full: [] };
  const perFace = { landmarks: [], descriptor: [] };
  let faces = 0; let fullTotal = 0;
  const images = [];
  for (const { file, t } of decoded) {
    for (let r = 0; r < o.repeat; r++) {
      const s = await staged(faceapi, t, options);
      const f = await full(faceapi, t, options);
      per.detect.push(s.detect); per.landmarks.push(s.landmarks); per.descriptor.push(s.descriptor);
      per.staged_total.push(s.detect + s.landmarks + s.descriptor);
      per.full.push(f.full);
      fullTotal += f.full;
      if (s.faces) { perFace.landmarks.push(s.landmarks / s.faces); perFace.descriptor.push(s.descriptor / s.faces); }
      if (r === 0) {
        faces += s.faces;
        images.push({ image: file, faces: s.faces, detect_ms: s.detect, landmarks_ms: s.landmarks, descriptor_ms: s.descriptor, full_ms: f.full });
      }
    }
  }
  decoded.forEach(({ t }) => t.dispose());

  const out = {
    tool: 'face-api.js bench',
    versions: lib.versions(),
    backend: lib.backendInfo(),
    cpu: os.cpus()[0] ? os.cpus()[0].model : null,
    cpus: os.cpus().length,
    loadavg_1m_at_end: null,
    min_confidence: o.minConfidence,
    warmup: o.warmup,
    repeat: o.repeat,
    images: o.images.length,
    faces,
    model_load_ms: Math.round(loadMs * 1000) / 1000,
    ms_per_image: {
      decode: stats(decodeMs),
      detect: stats(per.detect),
      landmarks: stats(per.landmarks),
      descriptor: stats(per.descriptor),
      staged_total: stats(per.staged_total),
      full: stats(per.full),
    },
    ms_per_face: { landmarks: stats(perFace.landmarks), descriptor: stats(perFace.descriptor) },
    images_per_s: Math.round((per.full.length / (fullTotal / 1000)) * 1000) / 1000,
    per_image: images,
  };
  out.loadavg_1m_at_end = Math.round(os.loadavg()[0] * 100) / 100;
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (!o.json) {
    const m = out.ms_per_image;
    const line = (k) => `${k.padEnd(13)} mean ${String(m[k].mean).padStart(9)} ms  median ${String(m[k].median).padStart(9)} ms\n`;
    process.stderr.write(`backend ${out.backend.backend} simd=${out.backend.wasm_simd} threads=${out.backend.wasm_threads}, ${out.images} images, ${faces} faces\n`);
    ['decode', 'detect', 'landmarks', 'descriptor', 'staged_total', 'full'].forEach((k) => process.stderr.write(line(k)));
    process.stderr.write(`images/s (full chain): ${out.images_per_s}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench.js: ${(e && e.stack) || e}\n`);
  process.exit(1);
});
