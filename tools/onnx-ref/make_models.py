#!/usr/bin/python3
"""make_models.py - builds the small ONNX models bex's ONNX executor is tested on.

    /usr/bin/python3 tools/onnx-ref/make_models.py OUTDIR [SEED]

Run with Debian's python3 and python3-onnx (apt), not a PyPI onnx. Each model covers a few
operators with odd shapes (odd sizes, stride 2 on odd inputs, groups, dilation, asymmetric
pads, broadcasting, denormal weights) and random weights from numpy's RandomState(SEED)
(default 13). For each NAME it writes OUTDIR/NAME.onnx, NAME.input.bin (the inputs, float32,
concatenated) and NAME.shapes.json (the inputs' shapes); tools/onnx-ref/ref.js then writes
NAME.output.bin with onnxruntime-node.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 13
rng = np.random.RandomState(SEED)
os.makedirs(OUT, exist_ok=True)


def rnd(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class G:
    """a graph under construction: nodes, initializers, a counter for names"""

    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return "%s_%d" % (p, self.n)

    def const(self, arr, p="c"):
        n = self.name(p)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def op(self, op, ins, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, ins, [out], name=self.name("n" + op), **attrs))
        return out

    def conv(self, x, cin, cout, k, group=1, bias=True, scale=0.3, **attrs):
        w = self.const(rnd(cout, cin // group, k[0], k[1], scale=scale), "w")
        ins = [x, w] + ([self.const(rnd(cout, scale=0.1), "b")] if bias else [])
        return self.op("Conv", ins, kernel_shape=list(k), group=group, **attrs)


def save(name, g, inputs, outputs, opset=14, batch=None):
    """inputs: [(name, shape)]; outputs: [name]; batch: the value of a symbolic first dimension
    for the data written"""
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
    vo = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs]
    for v in vo:
        v.type.tensor_type.ClearField("shape")
    graph = helper.make_graph(g.nodes, name, vi, vo, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="bex make_models.py")
    model.ir_version = 7
    # (no onnx.checker: python3-onnx 1.12 wants output shapes, which ORT does not need)
    onnx.save(model, os.path.join(OUT, name + ".onnx"))
    shapes = [[batch if isinstance(d, str) else d for d in s] for _, s in inputs]
    data = np.concatenate([rnd(*s).ravel() for s in shapes]).astype("<f4")
    data.tofile(os.path.join(OUT, name + ".input.bin"))
    with open(os.path.join(OUT, name + ".shapes.json"), "w") as f:
        json.dump(shapes, f)


def m_conv():
    g = G()
    a = g.op("Relu", [g.conv("x", 3, 8, (3, 3), pads=[1, 1, 1, 1])])
    b = g.conv(a, 8, 6, (3, 3), strides=[2, 2], pads=[1, 0, 2, 1])          # asymmetric, odd input
    c = g.conv(b, 6, 5, (3, 3), dilations=[2, 2], pads=[2, 2, 2, 2])       # dilation
    d = g.conv(c, 5, 10, (3, 2), strides=[1, 2], pads=[0, 1, 1, 0])        # unequal strides
    e = g.conv(d, 10, 4, (3, 3), group=2, pads=[1, 1, 1, 1])               # groups
    f = g.conv(e, 4, 7, (1, 1))                                             # pointwise
    save("conv", g, [("x", (1, 3, 13, 11))], [f, b])


def m_depthwise():
    g = G()
    a = g.conv("x", 8, 8, (3, 3), group=8, strides=[2, 2], pads=[1, 1, 1, 1], bias=False)
    bn = [g.const(rnd(8, scale=0.5) + 1), g.const(rnd(8, scale=0.1)), g.const(rnd(8, scale=0.1)),
          g.const(np.abs(rnd(8)) + 0.5)]
    a = g.op("BatchNormalization", [a] + bn, epsilon=1e-3)                   # folded into the conv
    a = g.op("Clip", [a, g.const(np.float32(0)), g.const(np.float32(6))])  # relu6 epilogue
    b = g.conv(a, 8, 8, (5, 5), group=8, auto_pad="SAME_UPPER", strides=[2, 2])
    b = g.conv(b, 8, 8, (4, 4), group=8, auto_pad="SAME_LOWER")
    c = g.conv(b, 8, 8, (3, 3), group=8, dilations=[2, 2], pads=[2, 1, 1, 2])  # dilated depthwise
    d = g.conv(c, 8, 16, (3, 3), group=8, pads=[1, 1, 1, 1])                # channel multiplier 2
    e = g.conv(d, 16, 6, (3, 3), auto_pad="VALID")
    save("depthwise", g, [("x", (1, 8, 17, 15))], [e, a])


def m_act():
    g = G()
    x = g.conv("x", 4, 6, (3, 3), pads=[1, 1, 1, 1])
    a = g.op("LeakyRelu", [x], alpha=0.07)
    b = g.op("PRelu", [x, g.const(rnd(6, 1, 1, scale=0.3))])
    c = g.op("HardSigmoid", [x], alpha=0.3, beta=0.4)
    d = g.op("HardSwish", [x])
    e = g.op("Sigmoid", [x])
    f = g.op("Clip", [x, g.const(np.float32(-0.5)), g.const(np.float32(0.7))])
    h = g.op("BatchNormalization", ["x", g.const(rnd(4) + 1), g.const(rnd(4)), g.const(rnd(4)),
                                    g.const(np.abs(rnd(4)) + 0.5)])   # not after a conv: run
    i = g.op("Tanh", [h])
    save("act", g, [("x", (1, 4, 7, 9))], [a, b, c, d, e, f, i])


def m_binary():
    g = G()
    x = g.conv("x", 3, 5, (3, 3), pads=[1, 1, 1, 1])
    a = g.op("Add", [x, g.const(rnd(5, 1, 1))])              # per channel
    b = g.op("Mul", [a, g.const(rnd(1, 1, 1, 9))])           # along W
    c = g.op("Sub", [g.const(np.float32(0.25)), b])          # scalar first
    d = g.op("Div", [c, g.const(np.abs(rnd(7, 1)) + 0.5)])   # along H
    e = g.op("Add", [d, "y"])                                 # two run-time tensors, broadcast
    f = g.op("Mul", [e, x])
    save("binary", g, [("x", (1, 3, 7, 9)), ("y", (1, 1, 7, 1))], [f, c])


def m_concat_pool():
    g = G()
    x = g.conv("x", 3, 4, (3, 3), pads=[1, 1, 1, 1])
    z = g.op("ConstantOfShape", [g.const(np.array([1, 2, 11, 13], dtype=np.int64))],
             value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0]))
    a = g.op("Concat", [x, z, "x"], axis=1)                  # run, constant, the input itself
    b = g.op("MaxPool", [a], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = g.op("AveragePool", [a], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1])
    d = g.op("AveragePool", [a], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             count_include_pad=1)
    e = g.op("MaxPool", [a], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    f = g.op("Concat", [b, d], axis=3)
    h = g.op("GlobalAveragePool", [a])
    save("concat_pool", g, [("x", (1, 3, 11, 13))], [f, c, e, h])


def m_shape():
    g = G()
    x = g.conv("x", 3, 6, (3, 3), strides=[2, 2], pads=[1, 1, 1, 1])
    s = g.op("Shape", [x])
    n = g.op("Gather", [s, g.const(np.array(0, dtype=np.int64))], axis=0)
    n = g.op("Unsqueeze", [n, g.const(np.array([0], dtype=np.int64))])
    t = g.op("Concat", [n, g.const(np.array([-1], dtype=np.int64))], axis=0)
    f = g.op("Reshape", [x, t])                                   # PyTorch's flatten
    h = g.op("Gemm", [f, g.const(rnd(10, 6 * 4 * 5, scale=0.1)), g.const(rnd(10))], transB=1,
             alpha=0.9, beta=1.1)
    h = g.op("Relu", [h])
    y = g.op("Softmax", [h], axis=1)
    tr = g.op("Transpose", [x], perm=[0, 2, 3, 1])
    r = g.op("Reshape", [tr, g.const(np.array([0, 4, -1], dtype=np.int64))])
    m = g.op("MatMul", [r, g.const(rnd(30, 7, scale=0.2))])      # 3-D by constant 2-D
    sq = g.op("Unsqueeze", [m, g.const(np.array([1], dtype=np.int64))])
    sq = g.op("Squeeze", [sq, g.const(np.array([1], dtype=np.int64))])
    fl = g.op("Flatten", [x], axis=2)
    sl = g.op("Slice", [x, g.const(np.array([1, 4, 0], dtype=np.int64)),
                        g.const(np.array([6, 0, 99], dtype=np.int64)),
                        g.const(np.array([1, 2, 3], dtype=np.int64)),
                        g.const(np.array([2, -1, 1], dtype=np.int64))])
    sl = g.op("Identity", [g.op("Dropout", [sl])])
    ca = g.op("Cast", [g.op("Cast", [g.const(np.array([2.0, 3.0], dtype=np.float32))], to=7)], to=1)
    k = g.op("Mul", [g.op("Flatten", [sl], axis=1), g.op("Gather", [ca, g.const(np.array(1, dtype=np.int64))])])
    save("shape", g, [("x", (1, 3, 7, 9))], [y, sq, fl, k])


def m_misc():
    g = G()
    x = g.conv("x", 3, 4, (3, 3), pads=[1, 1, 1, 1])
    p1 = g.op("Pad", [x, g.const(np.array([0, 1, 2, 0, 0, 0, 1, 3], dtype=np.int64)),
                      g.const(np.float32(0.5))])
    p2 = g.op("Pad", [x, g.const(np.array([0, 0, 2, 1, 0, 0, 1, 2], dtype=np.int64))], mode="reflect")
    p3 = g.op("Pad", [x, g.const(np.array([0, 0, 1, 2, 0, 0, 3, 1], dtype=np.int64))], mode="edge")
    e = g.const(np.zeros(0, dtype=np.float32))
    r1 = g.op("Resize", [x, e, g.const(np.array([1, 1, 2, 3], dtype=np.float32))], mode="nearest",
              coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    r2 = g.op("Resize", [x, e, g.const(np.array([1, 1, 1.5, 2.5], dtype=np.float32))], mode="nearest")
    r3 = g.op("Resize", [x, e, g.const(np.array([1, 1, 2, 2], dtype=np.float32))], mode="linear")
    r4 = g.op("Resize", [x, e, e, g.const(np.array([1, 4, 9, 14], dtype=np.int64))], mode="linear",
              coordinate_transformation_mode="align_corners")
    r5 = g.op("Resize", [x, e, g.const(np.array([1, 1, 0.6, 1.7], dtype=np.float32))], mode="linear",
              coordinate_transformation_mode="pytorch_half_pixel")
    m1 = g.op("ReduceMean", [x], axes=[2, 3], keepdims=1)
    m2 = g.op("ReduceMean", [x], axes=[1], keepdims=0)
    l1 = g.op("LpNormalization", [x], axis=1, p=2)
    s1 = g.op("Softmax", [x], axis=1)
    mm = g.op("MatMul", [g.op("Transpose", [x], perm=[0, 1, 3, 2]), x])  # run-time by run-time
    save("misc", g, [("x", (1, 3, 5, 7))], [p1, p2, p3, r1, r2, r3, r4, r5, m1, m2, l1, s1, mm])


def m_denormal():
    """a conv stack whose weights are mostly denormal floats (and so its sums), for FTZ / DAZ"""
    g = G()
    w = rnd(16, 16, 3, 3) * np.float32(1e-39)
    w = w.astype(np.float32)
    x = g.conv("x", 3, 16, (3, 3), pads=[1, 1, 1, 1])
    for _ in range(3):
        x = g.op("Conv", [x, g.const(w, "w"), g.const(rnd(16, scale=0.1), "b")], kernel_shape=[3, 3],
                 pads=[1, 1, 1, 1])
        x = g.op("Relu", [x])
    save("denormal", g, [("x", (1, 3, 32, 32))], [x])


def m_opset9():
    """older forms: Upsample, Clip with attributes, Squeeze / Unsqueeze axes attributes"""
    g = G()
    x = g.conv("x", 2, 3, (3, 3), pads=[0, 0, 0, 0])
    a = g.op("Clip", [x], min=-0.3, max=0.9)
    u = g.op("Upsample", [a, g.const(np.array([1, 1, 2, 2], dtype=np.float32))], mode="nearest")
    s = g.op("Squeeze", [g.op("Unsqueeze", [u], axes=[0])], axes=[0])
    v = g.op("Flatten", [s], axis=0)
    save("opset9", g, [("x", (1, 2, 6, 5))], [s, v], opset=9)


def m_batch():
    """a symbolic batch dimension, run with N = 3 (nn_graph_options.batch)"""
    g = G()
    x = g.op("Relu", [g.conv("x", 3, 6, (3, 3), strides=[2, 2], pads=[1, 1, 1, 1])])
    a = g.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    r = g.op("Resize", [a, g.const(np.zeros(0, np.float32)), g.const(np.array([1, 1, 2, 2], np.float32))],
             mode="linear")
    d = g.conv(r, 6, 6, (3, 3), group=6, pads=[1, 1, 1, 1])
    p = g.op("GlobalAveragePool", [d])
    f = g.op("Flatten", [p], axis=1)
    h = g.op("Gemm", [f, g.const(rnd(4, 6)), g.const(rnd(4))], transB=1)
    save("batch", g, [("x", ("N", 3, 9, 11))], [h, d], batch=3)


def m_split():
    """Split: by an input (opset 14), in equal parts, on a run-time NHWC tensor and on constants"""
    g = G()
    x = g.conv("x", 3, 7, (3, 3), pads=[1, 1, 1, 1])
    outs = ["s%d" % k for k in range(3)]
    g.nodes.append(helper.make_node("Split", [x, g.const(np.array([2, 4, 1], dtype=np.int64))], outs,
                                    name="split_c", axis=1))
    eq = ["e%d" % k for k in range(2)]
    g.nodes.append(helper.make_node("Split", ["x"], eq, name="split_w", axis=-1))
    a = g.op("Mul", [outs[0], outs[2]])
    save("split", g, [("x", (1, 3, 5, 8))], outs + [eq[0], g.op("Relu", [eq[1]]), a])


def blazeface_input():
    """an input for the real BlazeFace ONNX model (models/, NHWC 128x128x3 in [-1, 1]): smooth
    random blobs, so that the detector's outputs are not all alike"""
    yy, xx = np.mgrid[0:128, 0:128].astype(np.float32) / 128.0
    img = np.zeros((128, 128, 3), np.float32)
    for _ in range(12):
        cy, cx, r = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.05, 0.3)
        img += rng.uniform(-1, 1, 3).astype(np.float32) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
    img = np.tanh(img).astype("<f4")
    img.reshape(1, 128, 128, 3).tofile(os.path.join(OUT, "blazeface.input.bin"))
    with open(os.path.join(OUT, "blazeface.shapes.json"), "w") as f:
        json.dump([[1, 128, 128, 3]], f)


for f in (blazeface_input, m_conv, m_depthwise, m_act, m_binary, m_concat_pool, m_shape, m_misc, m_denormal, m_opset9, m_batch, m_split):
    f()
print("make_models: wrote %s (seed %d)" % (OUT, SEED))
