'use strict';
// `ref.js --dump DIR IMG`: every stage of face-api's pipeline for one image, as float32
// little-endian raw files (row-major, the tensor's own NHWC order) + DIR/index.json.
//
// The networks are re-run here op by op with the same tf calls and the same parameters as
// face-api's sources (src/ssdMobilenetv1/*.ts, src/faceFeatureExtractor/*.ts,
// src/faceRecognitionNet/*.ts), so that intermediate outputs can be saved. index.json's
// "checks" proves that the replica equals face-api's own forwardInput()/runNet() and the public
// detectAllFaces().withFaceLandmarks().withFaceDescriptors() chain (max abs diff, expected 0),
// and records a few element-wise formulas (resize, normalisation, batch norm, conv) checked
// against tfjs in plain JS, for whoever ports the networks to C.

const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const f32 = Math.fround;

function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

class Dumper {
  constructor(tf, dir) {
    this.tf = tf;
    this.dir = dir;
    this.tensors = [];
    this.bytes = 0;
    fs.mkdirSync(dir, { recursive: true });
  }

  // Saves a tensor (or a typed array with an explicit shape) as float32 LE.
  save(name, t, note, shape) {
    const data = t instanceof this.tf.Tensor ? t.dataSync() : t;
    const shp = t instanceof this.tf.Tensor ? t.shape : shape;
    const arr = Float32Array.from(data);
    const buf = Buffer.alloc(arr.length * 4);
    for (let i = 0; i < arr.length; i++) buf.writeFloatLE(arr[i], i * 4);
    const file = `${name.replace(/\//g, '.')}.f32`;
    fs.writeFileSync(path.join(this.dir, file), buf);
    this.tensors.push({ name, file, shape: shp, dtype: 'float32', layout: shp.length === 4 ? 'NHWC' : undefined, note });
    this.bytes += buf.length;
    return arr;
  }
}

// ---------------------------------------------------------------------------------------------
// SSD MobileNetV1 (src/ssdMobilenetv1/SsdMobilenetv1.ts forwardInput + mobileNetV1.ts +
// predictionLayer.ts + boxPredictionLayer.ts + outputLayer.ts)

const BN_EPSILON = 0.0010000000474974513; // mobileNetV1.ts

function ssdReplica(tf, netInput, params, d) {
  const out = {};
  const pointwise = (x, p, strides) => tf.clipByValue(tf.add(tf.conv2d(x, p.filters, strides, 'same'), p.batch_norm_offset), 0, 6);

  const batchTensor = tf.cast(netInput.toBatchTensor(512, false), 'float32');
  d.save('ssd/input_resized', batchTensor, 'NetInput.toBatchTensor(512, false): int32 image -> padToSquare (not centred: zeros appended at the bottom or right) -> tf.image.resizeBilinear([512,512], alignCorners=false, halfPixelCenters=false) (skipped when already 512x512); float32, 0..255, before normalisation');
  const x = tf.sub(tf.div(batchTensor, 127.5), 1);
  d.save('ssd/input', x, 'tf.sub(tf.div(input_resized, 127.5), 1): the normalised SSD input, -1..1');

  // mobileNetV1
  const mp = params.mobilenetv1;
  let h = pointwise(x, mp.conv_0, [2, 2]);
  d.save('ssd/mobilenet/conv_0', h, 'conv2d(3x3, stride 2, same) + batch_norm_offset, clipByValue(0, 6)');
  let conv11;
  for (let i = 1; i <= 13; i++) {
    const p = mp[`conv_${i}`];
    const strides = [2, 4, 6, 12].includes(i) ? [2, 2] : [1, 1];
    const dw = tf.depthwiseConv2d(h, p.depthwise_conv.filters, strides, 'same');
    if (i === 1) d.save('ssd/mobilenet/conv_1_depthwise_prebn', dw, 'depthwiseConv2d(3x3, stride 1, same) output before batchNorm (layer 1 only)');
    const bn = tf.clipByValue(tf.batchNorm(dw, p.depthwise_conv.batch_norm_mean, p.depthwise_conv.batch_norm_variance,
      p.depthwise_conv.batch_norm_offset, p.depthwise_conv.batch_norm_scale, BN_EPSILON), 0, 6);
    d.save(`ssd/mobilenet/conv_${i}_depthwise`, bn, `depthwiseConv2d(3x3, stride ${strides[0]}, same) -> batchNorm(mean, variance, offset, scale, eps=0.0010000000474974513) -> clipByValue(0, 6)`);
    h = pointwise(bn, p.pointwise_conv, [1, 1]);
    d.save(`ssd/mobilenet/conv_${i}`, h, 'pointwise conv2d(1x1) + batch_norm_offset, clipByValue(0, 6)');
    if (i === 11) conv11 = h;
  }
  const features = { out: h, conv11 };

  // predictionLayer
  const pp = params.prediction_layer;
  const pc = [];
  let prev = features.out;
  for (let i = 0; i <= 7; i++) {
    const strides = i % 2 === 1 ? [2, 2] : [1, 1];
    prev = pointwise(prev, pp[`conv_${i}`], strides);
    pc.push(prev);
    d.save(`ssd/prediction/conv_${i}`, prev, `conv2d(${pp[`conv_${i}`].filters.shape.slice(0, 2).join('x')}, stride ${strides[0]}, same) + batch_norm_offset, clipByValue(0, 6)`);
  }
  const sources = [features.conv11, features.out, pc[1], pc[3], pc[5], pc[7]];
  const sourceNames = ['mobilenet conv_11', 'mobilenet conv_13', 'prediction conv_1', 'prediction conv_3', 'prediction conv_5', 'prediction conv_7'];
  const boxEnc = []; const cls = [];
  sources.forEach((src, k) => {
    const bp = pp[`box_predictor_${k}`];
    const batchSize = src.shape[0];
    const convLayer = (xx, cp) => tf.add(tf.conv2d(xx, cp.filters, [1, 1], 'same'), cp.bias);
    const be = tf.reshape(convLayer(src, bp.box_encoding_predictor), [batchSize, -1, 1, 4]);
    const cp = tf.reshape(convLayer(src, bp.class_predictor), [batchSize, -1, 3]);
    d.save(`ssd/box_predictor_${k}/box_encoding`, be, `from ${sourceNames[k]} ${JSON.stringify(src.shape)}: conv2d(1x1) + bias, reshaped [1,-1,1,4] (order: y, x, anchor; per anchor ty, tx, th, tw)`);
    d.save(`ssd/box_predictor_${k}/class`, cp, `from ${sourceNames[k]}: conv2d(1x1) + bias, reshaped [1,-1,3] (logits: background, face, unused)`);
    boxEnc.push(be); cls.push(cp);
  });
  const boxPredictions = tf.concat(boxEnc, 1);
  const classPredictions = tf.concat(cls, 1);
  d.save('ssd/box_predictions', boxPredictions, 'concat of the 6 box encodings, axis 1: raw (ty, tx, th, tw) per anchor, before decoding');
  d.save('ssd/class_predictions', classPredictions, 'concat of the 6 class logits, axis 1, before sigmoid');

  // outputLayer (decodeBoxesLayer)
  const anchors = tf.reshape(params.output_layer.extra_dim, [-1, 4]);
  d.save('ssd/anchors', anchors, "weights 'Output/extra_dim' [1,5118,4] reshaped: anchor (ymin, xmin, ymax, xmax), relative to the 512x512 input");
  const v0 = tf.unstack(tf.transpose(anchors, [1, 0]));
  const sizes = [tf.sub(v0[2], v0[0]), tf.sub(v0[3], v0[1])];
  const centers = [tf.add(v0[0], tf.div(sizes[0], 2)), tf.add(v0[1], tf.div(sizes[1], 2))];
  const v1 = tf.unstack(tf.transpose(tf.reshape(boxPredictions, [-1, 4]), [1, 0]));
  const div0 = tf.div(tf.mul(tf.exp(tf.div(v1[2], 5)), sizes[0]), 2);
  const add0 = tf.add(tf.mul(tf.div(v1[0], 10), sizes[0]), centers[0]);
  const div1 = tf.div(tf.mul(tf.exp(tf.div(v1[3], 5)), sizes[1]), 2);
  const add1 = tf.add(tf.mul(tf.div(v1[1], 10), sizes[1]), centers[1]);
  const boxes = tf.transpose(tf.stack([tf.sub(add0, div0), tf.sub(add1, div1), tf.add(add0, div0), tf.add(add1, div1)]), [1, 0]);
  const scores = tf.reshape(tf.slice(tf.sigmoid(tf.slice(classPredictions, [0, 0, 1], [-1, -1, -1])), [0, 0, 0], [-1, -1, 1]), [-1]);
  out.boxes = d.save('ssd/boxes', boxes, 'outputLayer boxes (before NMS): (ymin, xmin, ymax, xmax) relative to the 512x512 (padded) input, unclipped. h=ymax_a-ymin_a, w=xmax_a-xmin_a, cy=ymin_a+h/2, cx=xmin_a+w/2; ycen=ty/10*h+cy, xcen=tx/10*w+cx, hh=exp(th/5)*h/2, hw=exp(tw/5)*w/2; box = (ycen-hh, xcen-hw, ycen+hh, xcen+hw) (tf op order, float32)');
  out.scores = d.save('ssd/scores', scores, 'outputLayer scores (before NMS): sigmoid(class logit 1)');
  return out;
}

// ---------------------------------------------------------------------------------------------
// 68-point landmark net (FaceLandmark68NetBase/FaceProcessor + faceFeatureExtractor)

function landmarkReplica(tf, netInput, net, d) {
  const fe = net.faceFeatureExtractor.params;
  const sepConv = (x, p, stride) => tf.add(tf.separableConv2d(x, p.depthwise_filter, p.pointwise_filter, stride, 'same'), p.bias);
  const batchTensor = tf.cast(netInput.toBatchTensor(112, true), 'float32');
  d.save('lm/input', batchTensor, 'NetInput.toBatchTensor(112, true): crop -> padToSquare centred (round(diff/2) zero columns/rows appended after, the rest before) -> resizeBilinear([112,112], false, false); float32 0..255 before normalisation');
  const meanRgb = [122.782, 117.001, 104.298];
  const normalized = normalizeRgb(tf, batchTensor, meanRgb).div(255);
  d.save('lm/input_normalized', normalized, '(input - [122.782, 117.001, 104.298]) / 255 (mean as float32, tf.sub then tf.div)');
  let x = normalized;
  for (let k = 0; k < 4; k++) {
    const p = fe[`dense${k}`];
    const out1 = tf.relu(k === 0
      ? tf.add(tf.conv2d(x, p.conv0.filters, [2, 2], 'same'), p.conv0.bias)
      : sepConv(x, p.conv0, [2, 2]));
    const out2 = sepConv(out1, p.conv1, [1, 1]);
    const in3 = tf.relu(tf.add(out1, out2));
    const out3 = sepConv(in3, p.conv2, [1, 1]);
    const in4 = tf.relu(tf.add(out1, tf.add(out2, out3)));
    const out4 = sepConv(in4, p.conv3, [1, 1]);
    const y = tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4))));
    d.save(`lm/dense${k}/out1`, out1, k === 0 ? 'relu(conv2d(3x3, stride 2, same) + bias)' : 'relu(separableConv2d(3x3 depthwise, 1x1 pointwise, stride 2, same) + bias)');
    d.save(`lm/dense${k}/out2`, out2, 'separableConv2d(out1, stride 1, same) + bias (no relu)');
    d.save(`lm/dense${k}/out3`, out3, 'separableConv2d(relu(out1 + out2)) + bias (no relu)');
    d.save(`lm/dense${k}/out4`, out4, 'separableConv2d(relu(out1 + (out2 + out3))) + bias (no relu)');
    d.save(`lm/dense${k}/out`, y, 'relu(out1 + (out2 + (out3 + out4)))');
    x = y;
  }
  const pooled = tf.avgPool(x, [7, 7], [2, 2], 'valid');
  d.save('lm/avgpool', pooled, 'avgPool(7x7, stride 2, valid) of dense3 output');
  const raw = tf.add(tf.matMul(pooled.as2D(pooled.shape[0], -1), net.params.fc.weights), net.params.fc.bias);
  return { raw };
}

function normalizeRgb(tf, x, meanRgb) {
  // src/ops/normalize.ts
  const [r, g, b] = meanRgb;
  const avgR = tf.fill([...x.shape.slice(0, 3), 1], r, 'float32');
  const avgG = tf.fill([...x.shape.slice(0, 3), 1], g, 'float32');
  const avgB = tf.fill([...x.shape.slice(0, 3), 1], b, 'float32');
  return tf.sub(x, tf.concat([avgR, avgG, avgB], 3));
}

// ---------------------------------------------------------------------------------------------
// ResNet-34-like face recognition net (src/faceRecognitionNet/*.ts)

function recognitionReplica(tf, netInput, params, d) {
  const scale = (x, p) => tf.add(tf.mul(x, p.weights), p.biases);
  const convLayer = (x, p, strides, withRelu, padding = 'same') => {
    let o = tf.conv2d(x, p.conv.filters, strides, padding);
    o = tf.add(o, p.conv.bias);
    o = scale(o, p.scale);
    return withRelu ? tf.relu(o) : o;
  };
  const conv = (x, p) => convLayer(x, p, [1, 1], true);
  const convNoRelu = (x, p) => convLayer(x, p, [1, 1], false);
  const convDown = (x, p) => convLayer(x, p, [2, 2], true, 'valid');
  const residual = (x, p) => tf.relu(tf.add(convNoRelu(conv(x, p.conv1), p.conv2), x));
  const residualDown = (x, p) => {
    let o = convDown(x, p.conv1);
    o = convNoRelu(o, p.conv2);
    let pooled = tf.avgPool(x, 2, 2, 'valid');
    const zeros = tf.zeros(pooled.shape);
    const isPad = pooled.shape[3] !== o.shape[3];
    const isAdjustShape = pooled.shape[1] !== o.shape[1] || pooled.shape[2] !== o.shape[2];
    if (isAdjustShape) {
      const padShapeX = [...o.shape]; padShapeX[1] = 1;
      o = tf.concat([o, tf.zeros(padShapeX)], 1);
      const padShapeY = [...o.shape]; padShapeY[2] = 1;
      o = tf.concat([o, tf.zeros(padShapeY)], 2);
    }
    pooled = isPad ? tf.concat([pooled, zeros], 3) : pooled;
    return tf.relu(tf.add(pooled, o));
  };

  const batchTensor = tf.cast(netInput.toBatchTensor(150, true), 'float32');
  d.save('fr/input', batchTensor, 'NetInput.toBatchTensor(150, true): aligned crop -> padToSquare centred -> resizeBilinear([150,150], false, false); float32 0..255 before normalisation');
  const normalized = normalizeRgb(tf, batchTensor, [122.782, 117.001, 104.298]).div(255);
  d.save('fr/input_normalized', normalized, '(input - [122.782, 117.001, 104.298]) / 255');
  let out = convDown(normalized, params.conv32_down);
  d.save('fr/conv32_down', out, 'relu(scale(conv2d(7x7, stride 2, VALID) + bias)); scale(x) = x * weights + biases');
  out = tf.maxPool(out, 3, 2, 'valid');
  d.save('fr/maxpool', out, 'maxPool(3x3, stride 2, valid)');
  const seq = [
    ['conv32_1', residual], ['conv32_2', residual], ['conv32_3', residual],
    ['conv64_down', residualDown], ['conv64_1', residual], ['conv64_2', residual], ['conv64_3', residual],
    ['conv128_down', residualDown], ['conv128_1', residual], ['conv128_2', residual],
    ['conv256_down', residualDown], ['conv256_1', residual], ['conv256_2', residual], ['conv256_down_out', residualDown],
  ];
  for (const [name, fn] of seq) {
    out = fn(out, params[name]);
    d.save(`fr/${name}`, out, fn === residual
      ? 'residual: relu(convNoRelu(conv(x, conv1), conv2) + x), 3x3 same convs'
      : 'residualDown: relu(avgPool2x2s2valid(x) [channels zero-padded] + [conv1: 3x3 stride 2 VALID + relu; conv2: 3x3 same]; conv output zero-padded by one row at the bottom and one column at the right when its size differs from the pool)');
  }
  const globalAvg = out.mean([1, 2]);
  d.save('fr/global_avg', globalAvg, 'mean over H and W');
  const desc = tf.matMul(globalAvg, params.fc);
  return { desc };
}

// ---------------------------------------------------------------------------------------------
// Plain-JS checks of element-wise formulas against what tfjs computed.

// TF1 "legacy" bilinear resize (alignCorners=false, halfPixelCenters=false), float32 arithmetic.
function resizeLegacyF32(src, h, w, c, oh, ow) {
  const out = new Float32Array(oh * ow * c);
  const sy = f32(h / oh); const sx = f32(w / ow);
  for (let y = 0; y < oh; y++) {
    const iy = f32(y * sy); const y0 = Math.floor(iy); const y1 = Math.min(y0 + 1, h - 1); const ay = f32(iy - y0);
    for (let x = 0; x < ow; x++) {
      const ix = f32(x * sx); const x0 = Math.floor(ix); const x1 = Math.min(x0 + 1, w - 1); const ax = f32(ix - x0);
      for (let k = 0; k < c; k++) {
        const tl = src[(y0 * w + x0) * c + k]; const tr = src[(y0 * w + x1) * c + k];
        const bl = src[(y1 * w + x0) * c + k]; const br = src[(y1 * w + x1) * c + k];
        const t = f32(tl + f32(f32(tr - tl) * ax));
        const b = f32(bl + f32(f32(br - bl) * ax));
        out[(y * ow + x) * c + k] = f32(t + f32(f32(b - t) * ay));
      }
    }
  }
  return out;
}

// padToSquare as in src/ops/padToSquare.ts, on a [h,w,c] Float32Array.
function padToSquareJS(src, h, w, c, centred) {
  if (h === w) return { data: src, size: h };
  const diff = Math.abs(h - w);
  const after = Math.round(diff * (centred ? 0.5 : 1));
  const before = centred ? diff - after : 0;
  const s = Math.max(h, w);
  const out = new Float32Array(s * s * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const yy = h < w ? y + before : y; const xx = w < h ? x + before : x;
      for (let k = 0; k < c; k++) out[(yy * s + xx) * c + k] = src[(y * w + x) * c + k];
    }
  }
  return { data: out, size: s };
}

function batchTensorJS(crop, h, w, size, centred) {
  const p = padToSquareJS(crop, h, w, 3, centred);
  return p.size === size ? p.data : resizeLegacyF32(p.data, p.size, p.size, 3, size, size);
}

// float64 reference of a 'same' or 'valid' conv2d (NHWC, HWIO filters), TF padding rule.
function conv2dRefF64(x, xs, f, fs_, stride, padding, ys) {
  const [, H, W, C] = xs; const [KH, KW, , O] = fs_; const [, OH, OW] = ys;
  let padT = 0; let padL = 0;
  if (padding === 'same') {
    padT = Math.floor(Math.max((OH - 1) * stride + KH - H, 0) / 2);
    padL = Math.floor(Math.max((OW - 1) * stride + KW - W, 0) / 2);
  }
  const out = new Float64Array(OH * OW * O);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * stride + ky - padT; if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < KW; kx++) {
          const ix = ox * stride + kx - padL; if (ix < 0 || ix >= W) continue;
          for (let ci = 0; ci < C; ci++) {
            const v = x[(iy * W + ix) * C + ci];
            const fo = ((ky * KW + kx) * C + ci) * O;
            const oo = (oy * OW + ox) * O;
            for (let o = 0; o < O; o++) out[oo + o] += v * f[fo + o];
          }
        }
      }
    }
  }
  return out;
}

function relStats(ref, got) {
  let maxAbs = 0; let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ref[i] - got[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return { max_abs_diff: maxAbs, max_abs_value: maxRef };
}

// ---------------------------------------------------------------------------------------------

async function dump(faceapi, tf, file, dir, opts) {
  const d = new Dumper(tf, dir);
  const img = lib.decodeImage(file);
  const t = lib.imageTensor(img);
  const W = img.width; const H = img.height;
  const checks = {};
  const index = {
    image: file,
    width: W,
    height: H,
    decoder: img.decoder,
    min_confidence: opts.minConfidence,
    max_results: opts.maxResults,
    versions: lib.versions(),
    backend: lib.backendInfo(),
    format: 'each tensor is a raw float32 little-endian file, row-major in the given shape (NHWC for 4-D); crops and images hold integer values 0..255 stored as float32',
  };
  d.save('image', Float32Array.from(img.data), 'decoded image, RGB, as the int32 [h,w,3] tensor handed to face-api', [H, W, 3]);

  // ---- SSD
  const ssdNet = faceapi.nets.ssdMobilenetv1;
  const ssdInput = new faceapi.NetInput([t]); // what toNetInput(t) builds for a single tensor
  const ssd = tf.tidy(() => ssdReplica(tf, ssdInput, ssdNet.params, d));
  {
    const own = ssdNet.forwardInput(new faceapi.NetInput([t]));
    checks.ssd_boxes_replica_vs_forwardInput = maxAbsDiff(ssd.boxes, own.boxes[0].dataSync());
    checks.ssd_scores_replica_vs_forwardInput = maxAbsDiff(ssd.scores, own.scores[0].dataSync());
    own.boxes.forEach((b) => b.dispose()); own.scores.forEach((s) => s.dispose());
  }
  // NMS + box mapping exactly as SsdMobilenetv1.locateFaces
  const detections = await ssdNet.locateFaces(t, { minConfidence: opts.minConfidence, maxResults: opts.maxResults });
  const reshaped = ssdInput.getReshapedInputDimensions(0);
  const cand = [];
  for (let i = 0; i < ssd.scores.length; i++) if (ssd.scores[i] > opts.minConfidence) cand.push(i);
  index.ssd = {
    reshaped_dims: { width: reshaped.width, height: reshaped.height },
    pad_scale: { x: 512 / reshaped.width, y: 512 / reshaped.height },
    candidates_above_min_confidence: cand.length,
    max_score: ssd.scores.reduce((a, b) => Math.max(a, b), 0),
    argmax_score: ssd.scores.indexOf(ssd.scores.reduce((a, b) => Math.max(a, b), 0)),
    detections: detections.map((det) => {
      // locateFaces does not expose the index: find the anchor by its (unique) score and box
      const idx = ssd.scores.findIndex((s, i) => s === det.score && cand.includes(i));
      return {
        anchor_index: idx,
        score: det.score,
        raw_box_ymin_xmin_ymax_xmax: idx >= 0 ? Array.from(ssd.boxes.slice(idx * 4, idx * 4 + 4)) : null,
        box: [det.box.x, det.box.y, det.box.width, det.box.height],
      };
    }),
    note: 'NMS (ssdMobilenetv1/nonMaxSuppression.ts): candidates score > minConfidence, sorted by descending score (stable), greedy, IoU on the unclipped raw boxes, suppressed when IoU > 0.5, at most maxResults (100). Then ymin,ymax clipped to [0,1] and multiplied by 512/reshaped.height, xmin,xmax clipped and multiplied by 512/reshaped.width (reshaped = round(w*512/max(w,h)), round(h*512/max(w,h))), then scaled by the image width/height: box = (xmin*W, ymin*H, (xmax-xmin)*W, (ymax-ymin)*H).',
  };

  // ---- public chain (the oracle's answer), for the consistency checks
  // eslint-disable-next-line global-require
  const { runChain } = require('./ref');
  const chain = await runChain(faceapi, t, opts);
  index.faces = chain.map((f) => ({ ...f, descriptor: undefined }));
  index.faces_note = 'faces as printed by ref.js (descriptor left out: see fr/descriptor.f32 for the dumped face, face_index)';

  const fi = opts.face || 0;
  index.face_index = fi;
  if (detections.length > fi) {
    const det = detections[fi];
    // ---- landmarks: extractFaceTensors(t, [det]) then nets.faceLandmark68Net.detectLandmarks(crop)
    const [crop] = await faceapi.extractFaceTensors(t, [det]);
    const cropBox = det.forSize(W, H).box.clipAtImageBorders(W, H);
    const [ch, cw] = crop.shape;
    const cropArr = d.save('lm/crop', tf.cast(crop, 'float32'), `extractFaceTensors: image[y:y+h, x:x+w] with (x,y,w,h) = detection.forSize(W,H).box.clipAtImageBorders(W,H) = ${JSON.stringify([cropBox.x, cropBox.y, cropBox.width, cropBox.height])}`);
    const lmNet = faceapi.nets.faceLandmark68Net;
    const lmInput = new faceapi.NetInput([crop]);
    const lmAsNetInput = await faceapi.toNetInput(crop); // same as detectLandmarks uses
    const { raw } = tf.tidy(() => landmarkReplica(tf, lmInput, lmNet, d));
    const rawArr = d.save('lm/raw', raw, 'fc output (matMul(avgpool as [1,256], fc.weights [256,136]) + fc.bias), before postProcess: (x0, y0, x1, y1, ...) relative to the 112x112 padded square');
    const own = lmNet.runNet(lmAsNetInput);
    checks.lm_raw_replica_vs_runNet = maxAbsDiff(rawArr, own.dataSync());
    own.dispose();
    const post = lmNet.postProcess(raw, 112, [{ height: ch, width: cw }]);
    const postArr = d.save('lm/post', post, 'postProcess: (raw*112 - pad) / scaledDim, with scale = 112/max(w,h), scaledDim = (w*scale, h*scale) (not rounded), pad = |w*scale - h*scale|/2 on the shorter axis, else 0: landmark positions relative to the crop (0..1)');
    // image coordinates: relative * crop dims + detection.box.(x, y) (the unfloored box!)
    const lmImg = [];
    for (let i = 0; i < 68; i++) lmImg.push([postArr[2 * i] * cw + det.box.x, postArr[2 * i + 1] * ch + det.box.y]);
    checks.lm_positions_replica_vs_chain = chain.length > fi ? maxAbsDiff(lmImg.flat(), chain[fi].landmarks.flat()) : null;
    raw.dispose(); post.dispose();
    // JS formula checks on this crop
    const lmInputJS = batchTensorJS(cropArr, ch, cw, 112, true);
    checks.lm_input_padToSquare_resizeLegacy_js_vs_tfjs = maxAbsDiff(lmInputJS, readBack(dir, 'lm.input.f32'));

    {
      const li = readBack(dir, 'lm.input.f32'); const ln = readBack(dir, 'lm.input_normalized.f32');
      const mean = [122.782, 117.001, 104.298].map(f32);
      checks.lm_input_normalisation_js_vs_tfjs = maxAbsDiff(li.map((v, i) => f32(f32(v - mean[i % 3]) / 255)), ln);
    }
    index.landmark = {
      crop_box: [cropBox.x, cropBox.y, cropBox.width, cropBox.height],
      crop_shape: [ch, cw, 3],
      shift: [det.box.x, det.box.y],
      positions: lmImg,
      note: 'positions = post[2i]*crop_w + detection.box.x, post[2i+1]*crop_h + detection.box.y (FaceLandmarks: relative * imgDims + shift, shift = the unfloored detection box origin)',
    };

    // ---- descriptor: landmarks.align(null, {useDlibAlignment: true}) -> extractFaceTensors -> net
    const dlibRect = chain[fi].dlib_rect;
    const rect = new faceapi.Rect(...dlibRect);
    const [fcrop] = await faceapi.extractFaceTensors(t, [rect]);
    const alignedBox = rect.clipAtImageBorders(W, H);
    const fcropArr = d.save('fr/crop', tf.cast(fcrop, 'float32'), `extractFaceTensors(image, [alignDlib rect ${JSON.stringify(dlibRect)}]): image[y:y+h, x:x+w] with (x,y,w,h) = rect.clipAtImageBorders(W,H) = ${JSON.stringify([alignedBox.x, alignedBox.y, alignedBox.width, alignedBox.height])}`);
    const frNet = faceapi.nets.faceRecognitionNet;
    const { desc } = tf.tidy(() => recognitionReplica(tf, new faceapi.NetInput([fcrop]), frNet.params, d));
    const descArr = d.save('fr/descriptor', desc, 'matMul(global_avg [1,256], fc [256,128]): the descriptor exactly as face-api returns it (not L2-normalised)');
    const ownDesc = frNet.forwardInput(await faceapi.toNetInput(fcrop));
    checks.fr_descriptor_replica_vs_forwardInput = maxAbsDiff(descArr, ownDesc.dataSync());
    ownDesc.dispose();
    checks.fr_descriptor_replica_vs_chain = maxAbsDiff(descArr, chain[fi].descriptor);
    let norm = 0; for (const v of descArr) norm += v * v;
    const frInputJS = batchTensorJS(fcropArr, fcrop.shape[0], fcrop.shape[1], 150, true);
    checks.fr_input_padToSquare_resizeLegacy_js_vs_tfjs = maxAbsDiff(frInputJS, readBack(dir, 'fr.input.f32'));
    index.descriptor = {
      dlib_rect: dlibRect,
      aligned_box: [alignedBox.x, alignedBox.y, alignedBox.width, alignedBox.height],
      crop_shape: fcrop.shape,
      l2_norm: Math.sqrt(norm),
      note: 'alignDlib (classes/FaceLandmarks.ts): centres of the left eye (points 36-41), right eye (42-47) and mouth (48-67) as means of the image-coordinate landmarks; size = floor(mean(|mouth-leftEye|, |mouth-rightEye|) / 0.45); ref = mean of the 3 centres; x = floor(max(0, ref.x - 0.5*size)), y = floor(max(0, ref.y - 0.43*size)); rect = (x, y, min(size, cropW + x), min(size, cropH + y)) where cropW/cropH are the dims of the landmark crop (so in practice size); then clipAtImageBorders(W,H) (width = min(w, W-x), height = min(h, H-y), floored)',
    };
    crop.dispose(); fcrop.dispose();
  } else {
    index.landmark = null;
    index.descriptor = null;
    index.no_face_note = `no face #${fi} at this minConfidence: only the SSD tensors were written`;
  }

  // ---- formula checks (plain JS vs tfjs) on the SSD input
  const imgF = Float32Array.from(img.data);
  const ssdResizedJS = batchTensorJS(imgF, H, W, 512, false);
  const ssdResized = readBack(dir, 'ssd.input_resized.f32');
  checks.ssd_input_resized_js_vs_tfjs = maxAbsDiff(ssdResizedJS, ssdResized);
  const ssdIn = readBack(dir, 'ssd.input.f32');
  const normJS = ssdResized.map((v) => f32(f32(v / 127.5) - 1));
  checks.ssd_input_normalisation_div_then_sub_js_vs_tfjs = maxAbsDiff(normJS, ssdIn);
  const normMul = ssdResized.map((v) => f32(f32(v * f32(1 / 127.5)) - 1));
  checks.ssd_input_normalisation_mul_reciprocal_js_vs_tfjs = maxAbsDiff(normMul, ssdIn);
  // batch norm formula on mobilenet conv_1
  {
    const p = faceapi.nets.ssdMobilenetv1.params.mobilenetv1.conv_1.depthwise_conv;
    const [mean, variance, offset, scale] = [p.batch_norm_mean, p.batch_norm_variance, p.batch_norm_offset, p.batch_norm_scale].map((x) => x.dataSync());
    const pre = readBack(dir, 'ssd.mobilenet.conv_1_depthwise_prebn.f32');
    const got = readBack(dir, 'ssd.mobilenet.conv_1_depthwise.f32');
    const C = mean.length; const eps = f32(BN_EPSILON);
    const a = new Float32Array(pre.length); const b = new Float32Array(pre.length);
    for (let i = 0; i < pre.length; i++) {
      const c = i % C;
      const nf = f32(Math.sqrt(f32(variance[c] + eps)));
      // tfjs-backend-wasm FusedBatchNorm.cc: normalization_factor is a std::vector<double> holding
      // sqrtf(variance + eps); out = (float)(offset + (float)((x - mean) * scale) / (double)nf)
      a[i] = Math.min(6, Math.max(0, f32(offset[c] + f32(f32(pre[i] - mean[c]) * scale[c]) / nf)));
      // folded: x * (scale / sqrt(var+eps)) + (offset - mean * scale / sqrt(var+eps))
      const k = f32(scale[c] / nf);
      b[i] = Math.min(6, Math.max(0, f32(f32(pre[i] * k) + f32(offset[c] - f32(mean[c] * k)))));
    }
    checks.ssd_conv_1_batchnorm_formula_js_vs_tfjs = maxAbsDiff(a, got);
    checks.ssd_conv_1_batchnorm_folded_js_vs_tfjs = maxAbsDiff(b, got);
  }
  // sigmoid and box decoding (outputLayer) in float32 JS
  {
    const cls = readBack(dir, 'ssd.class_predictions.f32');
    const enc = readBack(dir, 'ssd.box_predictions.f32');
    const anc = readBack(dir, 'ssd.anchors.f32');
    const sc = readBack(dir, 'ssd.scores.f32');
    const bx = readBack(dir, 'ssd.boxes.f32');
    const n = sc.length;
    const sig = new Float32Array(n);
    for (let i = 0; i < n; i++) sig[i] = f32(1 / (1 + Math.exp(-cls[i * 3 + 1])));
    checks.ssd_scores_sigmoid_double_js_vs_tfjs = maxAbsDiff(sig, sc);
    const dec = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const [a0, a1, a2, a3] = anc.subarray(i * 4, i * 4 + 4);
      const [ty, tx, th, tw] = enc.subarray(i * 4, i * 4 + 4);
      const s0 = f32(a2 - a0); const s1 = f32(a3 - a1);
      const c0 = f32(a0 + f32(s0 / 2)); const c1 = f32(a1 + f32(s1 / 2));
      const d0 = f32(f32(f32(Math.exp(f32(th / 5))) * s0) / 2);
      const e0 = f32(f32(f32(ty / 10) * s0) + c0);
      const d1 = f32(f32(f32(Math.exp(f32(tw / 5))) * s1) / 2);
      const e1 = f32(f32(f32(tx / 10) * s1) + c1);
      dec[i * 4] = f32(e0 - d0); dec[i * 4 + 1] = f32(e1 - d1); dec[i * 4 + 2] = f32(e0 + d0); dec[i * 4 + 3] = f32(e1 + d1);
    }
    checks.ssd_boxes_decode_js_vs_tfjs = maxAbsDiff(dec, bx);
  }
  // conv_0 in float64 with TF 'same' padding (pad_total = max((out-1)*stride + k - in, 0), top/left = floor(pad_total/2))
  {
    const p = faceapi.nets.ssdMobilenetv1.params.mobilenetv1.conv_0;
    const ref = conv2dRefF64(ssdIn, [1, 512, 512, 3], p.filters.dataSync(), p.filters.shape, 2, 'same', [1, 256, 256, 32]);
    const off = p.batch_norm_offset.dataSync();
    for (let i = 0; i < ref.length; i++) ref[i] = Math.min(6, Math.max(0, ref[i] + off[i % 32]));
    checks.ssd_conv_0_float64_same_padding_vs_tfjs = relStats(ref, readBack(dir, 'ssd.mobilenet.conv_0.f32'));
  }
  index.checks = checks;
  index.checks_note = 'max abs differences. *_replica_vs_*: this dump vs face-api\'s own methods and the public chain (0 = the dumped tensors are exactly what face-api computes). *_js_vs_tfjs: a plain-JS float32 re-implementation of the formula named (0 = bit-exact). ssd_conv_0_float64_*: a float64 conv with TF SAME padding (extra padding row/column at the bottom/right) vs tfjs\'s float32 conv (XNNPACK).';

  if (opts.dumpWeights) {
    const nets = {
      ssd_mobilenetv1: faceapi.nets.ssdMobilenetv1,
      face_landmark_68: faceapi.nets.faceLandmark68Net,
      face_landmark_68_feature_extractor: faceapi.nets.faceLandmark68Net.faceFeatureExtractor,
      face_recognition: faceapi.nets.faceRecognitionNet,
    };
    index.weights = [];
    for (const [netName, net] of Object.entries(nets)) {
      for (const m of net.paramMappings) {
        const tensor = net.getParamFromPath(m.paramPath);
        const name = `weights/${netName}/${m.paramPath}`;
        d.save(name, tensor, `manifest name ${m.originalPath || '(extracted)'}, dequantised by tfjs (v * scale + min in double, stored as float32)`);
        index.weights.push({ name, original: m.originalPath, param: m.paramPath, shape: tensor.shape });
      }
    }
  }

  t.dispose();
  index.tensors = d.tensors;
  index.total_bytes = d.bytes;
  fs.writeFileSync(path.join(dir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
  process.stdout.write(`${JSON.stringify({ dump: dir, tensors: d.tensors.length, bytes: d.bytes, faces: chain.length, checks })}\n`);
}

function readBack(dir, file) {
  const buf = fs.readFileSync(path.join(dir, file));
  const a = new Float32Array(buf.length / 4);
  for (let i = 0; i < a.length; i++) a[i] = buf.readFloatLE(i * 4);
  return a;
}

module.exports = { dump };
