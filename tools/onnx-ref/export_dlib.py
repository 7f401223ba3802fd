#!/usr/bin/python3
"""export_dlib.py - writes bex's built-in face recognition network as an ONNX file and a model
description, so that the "bring your own model" path (docs/models.md) can be run and measured
on a real network whose weights may be shipped.

    /usr/bin/python3 tools/onnx-ref/export_dlib.py [--models DIR] OUTDIR [--chip]

Run with Debian's python3 and python3-onnx (apt), not a PyPI onnx. It reads DIR (default
models/) face_recognition_model-weights_manifest.json and its .bin shard: dlib's ResNet-34
descriptor as face-api.js 1.7.15 ships it (MIT). It writes

    OUTDIR/dlib-resnet34.onnx   the network: 1x3x150x150 NCHW in, "descriptor" 1x128 out
    OUTDIR/dlib-resnet34.json   its description: dlib-150 alignment, RGB, mean (122.782,
                                117.001, 104.298), std 255, embedding 128

and with --chip also OUTDIR/dlib-resnet34.input.bin and .shapes.json: one input tensor (a
smooth synthetic face-chip-like image, normalised as the description says) for
tools/onnx-ref/ref.js and `test_onnx --case`.

The graph is src/face/recognition.c's, operator for operator:
  - tfjs uint8/uint16 weights dequantised as src/nn/weights.c does (q * scale + min in double,
    then float32); float16 and float32 tensors as stored;
  - each conv's bias and the scale layer after it folded into the conv as src/nn/ops.c's
    copy_fold does, in float32: w * s, b * s + shift;
  - conv32_down: 7x7 stride 2 VALID + ReLU (72x72x32), then a 3x3 stride-2 VALID max pool
    (35x35);
  - 14 residual blocks; plain ones: 3x3 SAME + ReLU, 3x3 SAME, add the input, ReLU; "down"
    ones (conv64_down, conv128_down, conv256_down, conv256_down_out): 3x3 stride-2 VALID + ReLU,
    3x3 SAME; the shortcut is a 2x2 stride-2 average pool zero-extended in channels; when the
    conv path comes out smaller than the pool (3x3 vs 4x4, 1x1 vs 2x2) it gains zero rows and
    columns at the bottom and right (face-api's residualDown); add, ReLU;
  - the global average (2x2x256 -> 256) and the 256x128 matrix, no bias. The L2 normalisation
    is bex's, after the network.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCKS = ["conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3",
          "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2",
          "conv256_down_out"]
MEAN = [122.782, 117.001, 104.298]  # recognition.c's mean_rgb
NAME = "dlib-resnet34"


def load_weights(manifest):
    """{name: float32 array} from a tfjs manifest, dequantised as src/nn/weights.c"""
    with open(manifest) as f:
        groups = json.load(f)
    folder = os.path.dirname(manifest)
    out = {}
    for g in groups:
        blob = b"".join(open(os.path.join(folder, p), "rb").read() for p in g["paths"])
        off = 0
        for w in g["weights"]:
            shape = w["shape"]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is None:
                dt = {"float32": "<f4", "int32": "<i4"}[w["dtype"]]
                a = np.frombuffer(blob, dtype=dt, count=n, offset=off)
                off += 4 * n
                a = a.astype(np.float32)
            elif q["dtype"] == "float16":
                a = np.frombuffer(blob, dtype="<f2", count=n, offset=off).astype(np.float32)
                off += 2 * n
            else:
                dt = {"uint8": np.uint8, "uint16": "<u2"}[q["dtype"]]
                raw = np.frombuffer(blob, dtype=dt, count=n, offset=off)
                off += raw.itemsize * n
                v = raw.astype(np.float64) * float(q["scale"]) + float(q["min"])  # in double, as tfjs
                if w["dtype"] == "int32":
                    v = np.round(v)
                a = v.astype(np.float32)
            out[w["name"]] = a.reshape(shape)
        if off != len(blob):
            sys.exit("export_dlib: %s: the shards hold %d bytes, the manifest %d" % (manifest, len(blob), off))
    return out


class Graph:
    def __init__(self, w):
        self.w, self.nodes, self.inits, self.n = w, [], [], 0

    def name(self, p):
        self.n += 1
        return "%s_%d" % (p, self.n)

    def const(self, arr, p):
        n = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op, ins, out=None, **attrs):
        out = out or self.name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=self.name("n" + op), **attrs))
        return out

    def conv(self, x, pre, stride, pad):
        """pre/conv/{filters,bias} and pre/scale/{weights,biases}, folded as copy_fold"""
        f = self.w[pre + "/conv/filters"]  # HWIO
        b = self.w[pre + "/conv/bias"]
        s = self.w[pre + "/scale/weights"]
        t = self.w[pre + "/scale/biases"]
        wf = (f * s).astype(np.float32)              # float32 products, as C
        bf = ((b * s).astype(np.float32) + t).astype(np.float32)
        oihw = np.ascontiguousarray(wf.transpose(3, 2, 0, 1))
        kh, kw = f.shape[0], f.shape[1]
        pads = [kh // 2, kw // 2, kh // 2, kw // 2] if pad == "same" else [0, 0, 0, 0]
        return self.op("Conv", [x, self.const(oihw, "w"), self.const(bf, "b")],
                       kernel_shape=[kh, kw], strides=[stride, stride], pads=pads), f.shape[3]

    def pad(self, x, before, after):
        """constant zero Pad of an NCHW tensor; before / after: 4 ints each"""
        return self.op("Pad", [x, self.const(np.array(list(before) + list(after), np.int64), "pads")],
                       mode="constant")


def build(w):
    g = Graph(w)
    x, _ = g.conv("input", "conv32_down", 2, "valid")
    x = g.op("Relu", [x])
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    side, ch = 35, 32
    for blk in BLOCKS:
        down = blk.endswith("down") or blk.endswith("down_out")
        if not down:
            a, _ = g.conv(x, blk + "/conv1", 1, "same")
            a = g.op("Relu", [a])
            b, _ = g.conv(a, blk + "/conv2", 1, "same")
            x = g.op("Relu", [g.op("Add", [b, x])])
            continue
        a, cout = g.conv(x, blk + "/conv1", 2, "valid")
        a = g.op("Relu", [a])
        b, _ = g.conv(a, blk + "/conv2", 1, "same")
        conv_side = (side - 3) // 2 + 1
        pool_side = side // 2
        if pool_side > conv_side:  # zero rows and columns at the bottom and right
            d = pool_side - conv_side
            b = g.pad(b, [0, 0, 0, 0], [0, 0, d, d])
        p = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        if cout > ch:  # zero-extended in channels
            p = g.pad(p, [0, 0, 0, 0], [0, cout - ch, 0, 0])
        x = g.op("Relu", [g.op("Add", [b, p])])
        side, ch = pool_side, cout
    assert (side, ch) == (2, 256), (side, ch)
    x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    fc = w["fc"].astype(np.float32)
    assert fc.shape == (256, 128), fc.shape
    g.op("MatMul", [x, g.const(fc, "fc")], out="descriptor")
    vi = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 150, 150])]
    vo = [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [1, 128])]
    graph = helper.make_graph(g.nodes, NAME, vi, vo, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="bex tools/onnx-ref/export_dlib.py")
    model.ir_version = 7
    return model


def chip():
    """a smooth 150x150 RGB image (0..255) with some structure, normalised and NCHW"""
    yy, xx = np.mgrid[0:150, 0:150].astype(np.float64)
    r = 128 + 90 * np.sin(xx / 11.0) * np.cos(yy / 17.0)
    gch = 120 + 80 * np.exp(-((xx - 75) ** 2 + (yy - 70) ** 2) / 900.0) - 30 * np.cos(yy / 9.0)
    b = 100 + 60 * np.sin((xx + yy) / 13.0)
    img = np.stack([r, gch, b]).clip(0, 255).round().astype(np.float32)
    mean = np.array(MEAN, np.float32).reshape(3, 1, 1)
    return ((img - mean) / np.float32(255)).astype(np.float32)[None]


def main():
    args = sys.argv[1:]
    models = "models"
    if len(args) >= 2 and args[0] == "--models":
        models = args[1]
        args = args[2:]
    want_chip = "--chip" in args
    args = [a for a in args if a != "--chip"]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(out, exist_ok=True)
    w = load_weights(os.path.join(models, "face_recognition_model-weights_manifest.json"))
    model = build(w)
    onnx.save(model, os.path.join(out, NAME + ".onnx"))
    desc = {
        "name": NAME, "version": "1.7.15", "onnx": NAME + ".onnx",
        "input": {"width": 150, "height": 150, "channels": "rgb", "layout": "nchw",
                  "mean": MEAN, "std": [255, 255, 255]},
        "alignment": "dlib-150", "embedding": 128, "output": "descriptor",
        "license": "MIT: dlib's ResNet-34 face descriptor (Davis King) as face-api.js 1.7.15 "
                   "ships it; exported by bex tools/onnx-ref/export_dlib.py",
    }
    with open(os.path.join(out, NAME + ".json"), "w") as f:
        json.dump(desc, f, indent=1)
        f.write("\n")
    if want_chip:
        x = chip()
        x.astype("<f4").tofile(os.path.join(out, NAME + ".input.bin"))
        with open(os.path.join(out, NAME + ".shapes.json"), "w") as f:
            json.dump([[1, 3, 150, 150]], f)


if __name__ == "__main__":
    main()
