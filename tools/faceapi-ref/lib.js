'use strict';
// Shared loader for the face-api.js oracle (ref.js, bench.js).
//
// face-api.js 1.7.15, build dist/face-api.node-wasm.js, on @tensorflow/tfjs 4.22.0 with the
// wasm backend. The image is decoded here (jpeg-js / pngjs / a PPM reader) into an int32
// [h, w, 3] tensor, which is what face-api receives: no canvas is involved.

const fs = require('fs');
const path = require('path');

const PKG_DIR = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
const MODEL_DIR = path.join(PKG_DIR, 'model');

let faceapi = null;
let tf = null;

async function init() {
  if (faceapi) return { faceapi, tf };
  // The wasm build requires @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm itself; faceapi.tf is
  // that same tfjs instance.
  // eslint-disable-next-line global-require
  faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  tf = faceapi.tf;
  // No setWasmPaths: Node's fetch cannot read file:// URLs; the backend locates its .wasm itself.
  // FACEAPI_REF_NO_SIMD=1 loads the backend's non-SIMD wasm build (for comparisons only).
  if (process.env.FACEAPI_REF_NO_SIMD === '1') tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
  return { faceapi, tf };
}

function versions() {
  const v = (p) => {
    try {
      // eslint-disable-next-line global-require, import/no-dynamic-require
      return require(`${p}/package.json`).version;
    } catch (e) { return null; }
  };
  return {
    node: process.versions.node,
    'face-api': v('@vladmandic/face-api'),
    tfjs: v('@tensorflow/tfjs'),
    'tfjs-backend-wasm': v('@tensorflow/tfjs-backend-wasm'),
    'jpeg-js': v('jpeg-js'),
    pngjs: v('pngjs'),
  };
}

function backendInfo() {
  return {
    backend: tf.getBackend(),
    wasm_simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    wasm_threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}

// --- image decoding ------------------------------------------------------------------------

function readPPM(buf) {
  // binary P6, maxval 255 (or P5 grey, expanded to RGB)
  let pos = 0;
  const tokens = [];
  while (tokens.length < 4) {
    while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
    if (buf[pos] === 0x23) { while (pos < buf.length && buf[pos] !== 0x0a) pos++; continue; }
    let s = '';
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) s += String.fromCharCode(buf[pos++]);
    tokens.push(s);
  }
  pos++; // single whitespace after maxval
  const [magic, ws, hs, ms] = tokens;
  const width = parseInt(ws, 10); const height = parseInt(hs, 10); const maxval = parseInt(ms, 10);
  if ((magic !== 'P6' && magic !== 'P5') || maxval !== 255) throw new Error(`unsupported PNM (${magic}, maxval ${maxval})`);
  const ch = magic === 'P6' ? 3 : 1;
  if (buf.length - pos < width * height * ch) throw new Error('truncated PNM');
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) data[i * 3 + c] = buf[pos + i * ch + (ch === 3 ? c : 0)];
  }
  return { width, height, data };
}

// Returns { width, height, data: Uint8Array RGB interleaved, decoder }.
function decodeImage(file) {
  const buf = fs.readFileSync(file);
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
    // eslint-disable-next-line global-require
    const jpeg = require('jpeg-js');
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
    return { width: img.width, height: img.height, data: img.data, decoder: 'jpeg-js' };
  }
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
    // eslint-disable-next-line global-require
    const { PNG } = require('pngjs');
    const png = PNG.sync.read(buf); // RGBA 8 bit; alpha dropped (not composited)
    const n = png.width * png.height;
    const data = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      data[i * 3] = png.data[i * 4]; data[i * 3 + 1] = png.data[i * 4 + 1]; data[i * 3 + 2] = png.data[i * 4 + 2];
    }
    return { width: png.width, height: png.height, data, decoder: 'pngjs' };
  }
  if (buf.length >= 2 && buf[0] === 0x50 && (buf[1] === 0x36 || buf[1] === 0x35)) {
    return { ...readPPM(buf), decoder: 'pnm' };
  }
  throw new Error('unsupported image format (JPEG, PNG or binary PPM/PGM expected)');
}

// int32 [h, w, 3] tensor, as REFERENCE.md prescribes.
function imageTensor(img) {
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

// Pads with black (0,0,0): padX columns left and right, padY rows above and below.
function padImage(img, padX, padY) {
  const W = img.width + 2 * padX; const H = img.height + 2 * padY;
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < img.height; y++) {
    data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + padY) * W + padX) * 3);
  }
  return { width: W, height: H, data, decoder: img.decoder };
}

module.exports = {
  init, versions, backendInfo, decodeImage, imageTensor, padImage, PKG_DIR, MODEL_DIR,
};
