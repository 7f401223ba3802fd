#!/usr/bin/env node
'use strict';
// Writes the pixels that the oracle sees (jpeg-js decoding, exactly as ref.js/bench.js decode)
// as lossless 8-bit RGB PNG, so that a C implementation can be fed the same pixels and its
// networks compared with face-api's without the JPEG decoder's differences in the way.
//
//   node tools/faceapi-ref/decode.js [--crop X,Y,W,H] --out OUT.png IMG
//   node tools/faceapi-ref/decode.js --outdir DIR IMG...        (DIR/<basename>.png)

const fs = require('fs');
const path = require('path');
const { PNG } = require('pngjs');
const lib = require('./lib');

function usage(msg) {
  if (msg) process.stderr.write(`decode.js: ${msg}\n`);
  process.stderr.write('usage: decode.js [--crop X,Y,W,H] --out OUT.png IMG | decode.js --outdir DIR IMG...\n');
  process.exit(2);
}

function writePng(img, file) {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length);
  fs.writeFileSync(file, PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }));
}

function crop(img, x, y, w, h) {
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > img.width || y + h > img.height) throw new Error('crop outside the image');
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) data.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { width: w, height: h, data };
}

function main() {
  const argv = process.argv.slice(2);
  let out = null; let outdir = null; let cropArg = null; const images = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--outdir') outdir = argv[++i];
    else if (argv[i] === '--crop') cropArg = argv[++i].split(',').map(Number);
    else if (argv[i].startsWith('--')) usage(`unknown option ${argv[i]}`);
    else images.push(argv[i]);
  }
  if (!images.length || (!out && !outdir) || (out && images.length !== 1)) usage();
  for (const file of images) {
    let img = lib.decodeImage(file);
    if (cropArg) img = crop(img, ...cropArg);
    const dest = out || path.join(outdir, `${path.basename(file).replace(/\.[^.]*$/, '')}.png`);
    writePng(img, dest);
    // read back: the PNG must hold exactly the decoded pixels
    const back = lib.decodeImage(dest);
    if (back.width !== img.width || back.height !== img.height || Buffer.compare(Buffer.from(back.data), Buffer.from(img.data)) !== 0) {
      throw new Error(`${dest}: read-back mismatch`);
    }
    process.stdout.write(`${dest}\n`);
  }
}

main();
