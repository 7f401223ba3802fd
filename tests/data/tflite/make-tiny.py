#!/usr/bin/python3
# tests/data/tflite/make-tiny.py - run from the repository root (needs numpy): writes
#   tests/data/tflite/tiny.tflite        a small TFLite model of every operator src/nn/tflite.c reads
#   tests/data/tflite/tiny.expected      its two outputs on the input below, computed here with numpy
#   tests/fuzz/corpus/tflite/*           fuzz seeds (tiny.tflite, one with an unsupported operator)
# The flatbuffer is written by a minimal forward-only writer of the TFLite schema (each table's
# vtable just before it, children after their parent, so every uoffset points forward).
import struct, numpy as np

class W:
    def __init__(s): s.b = bytearray()
    def pad(s, a):
        while len(s.b) % a: s.b.append(0)
    def u32at(s, p, v): struct.pack_into('<I', s.b, p, v)
    def table(s, fields):
        # fields: list of None or (kind, value); kinds: u8, i32, u32, off (value: writer -> pos)
        n = len(fields)
        s.pad(4)
        present = [i for i, f in enumerate(fields) if f is not None]
        vlen = 4 + 2 * n
        tsize = 4 + 4 * len(present)
        if (len(s.b) + vlen) % 4: s.b += b'\0\0'
        vt = len(s.b)
        offs = {}
        for k, i in enumerate(present): offs[i] = 4 + 4 * k
        s.b += struct.pack('<HH', vlen, tsize) + b''.join(struct.pack('<H', offs.get(i, 0)) for i in range(n))
        assert len(s.b) % 4 == 0
        t = len(s.b)
        s.b += struct.pack('<i', t - vt)
        later = []
        for i in present:
            kind, v = fields[i]
            p = len(s.b)
            if kind == 'u8': s.b += struct.pack('<Bxxx', v)
            elif kind == 'i32': s.b += struct.pack('<i', v)
            elif kind == 'u32': s.b += struct.pack('<I', v)
            else: s.b += b'\0\0\0\0'; later.append((p, v))
        for p, v in later:
            c = v(s)
            s.u32at(p, c - p)
        return t
    def vec(s, fmt, vals):
        s.pad(4); p = len(s.b)
        s.b += struct.pack('<I', len(vals)) + b''.join(struct.pack('<' + fmt, v) for v in vals)
        return p
    def bytes_(s, data):
        s.pad(16); s.b += b'\0' * 12; p = len(s.b)  # data 16-aligned
        s.b += struct.pack('<I', len(data)) + data
        return p
    def string(s, t):
        s.pad(4); p = len(s.b); e = t.encode()
        s.b += struct.pack('<I', len(e)) + e + b'\0'
        return p
    def tables(s, writers):
        s.pad(4); p = len(s.b)
        s.b += struct.pack('<I', len(writers)) + b'\0' * (4 * len(writers))
        for k, w in enumerate(writers):
            c = w(s)
            s.u32at(p + 4 + 4 * k, c - (p + 4 + 4 * k))
        return p

def model(codes, tensors, buffers, ops, inputs, outputs):
    w = W()
    w.b += b'\0\0\0\0TFL3'
    def code(c): return lambda s: s.table([('u8', min(c, 127)), None, ('i32', 1), ('i32', c)])
    def tensor(t):
        name, shape, typ, buf = t
        return lambda s: s.table([('off', lambda s: s.vec('i', shape)), ('u8', typ), ('u32', buf), ('off', lambda s: s.string(name))])
    def buffer(d):
        return lambda s: s.table([('off', lambda s: s.bytes_(d))] if d else [])
    def op(o):
        ci, ins, outs, otype, ofields = o
        f = [('u32', ci), ('off', lambda s: s.vec('i', ins)), ('off', lambda s: s.vec('i', outs))]
        if otype: f += [('u8', otype), ('off', lambda s: s.table(ofields))]
        return lambda s: s.table(f)
    sub = lambda s: s.table([('off', lambda s: s.tables([tensor(t) for t in tensors])),
                             ('off', lambda s: s.vec('i', inputs)), ('off', lambda s: s.vec('i', outputs)),
                             ('off', lambda s: s.tables([op(o) for o in ops]))])
    root = w.table([('u32', 3), ('off', lambda s: s.tables([code(c) for c in codes])),
                    ('off', lambda s: s.tables([sub])), None,
                    ('off', lambda s: s.tables([buffer(d) for d in buffers]))])
    w.u32at(0, root)
    return bytes(w.b)

rng = np.random.default_rng(13)
f16 = lambda a: a.astype(np.float16)
cw = f16(rng.normal(size=(3, 1, 1, 2))); cb = f16(rng.normal(size=3) * 0.1)
dw = rng.normal(size=(1, 3, 3, 3)).astype(np.float32); db = (rng.normal(size=3) * 0.1).astype(np.float32)
pads = np.array([[0, 0], [0, 0], [0, 0], [0, 1]], np.int32)
size = np.array([4, 4], np.int32)
x = rng.normal(size=(1, 4, 4, 2)).astype(np.float32)

# codes: 0 DEQUANTIZE, 1 CONV_2D, 2 DEPTHWISE, 3 ADD, 4 MAX_POOL_2D, 5 PAD, 6 RESIZE_BILINEAR, 7 RESHAPE, 8 CONCATENATION, 9 RELU
codes = [6, 3, 4, 0, 17, 34, 23, 22, 2, 19]
F32, F16, I32 = 0, 1, 2
buffers = [b'', cw.tobytes(), cb.tobytes(), dw.tobytes(), db.tobytes(), pads.tobytes(), size.tobytes()]
tensors = [
    ('input', [1, 4, 4, 2], F32, 0),          # 0
    ('conv/w16', [3, 1, 1, 2], F16, 1),       # 1
    ('conv/b16', [3], F16, 2),                # 2
    ('conv/w', [3, 1, 1, 2], F32, 0),         # 3
    ('conv/b', [3], F32, 0),                  # 4
    ('conv', [1, 4, 4, 3], F32, 0),           # 5
    ('dw/w', [1, 3, 3, 3], F32, 3),           # 6
    ('dw/b', [3], F32, 4),                    # 7
    ('dw', [1, 4, 4, 3], F32, 0),             # 8
    ('add', [1, 4, 4, 3], F32, 0),            # 9
    ('pool', [1, 2, 2, 3], F32, 0),           # 10
    ('pad/p', [4, 2], I32, 5),                # 11
    ('pad', [1, 2, 2, 4], F32, 0),            # 12
    ('resize/size', [2], I32, 6),             # 13
    ('resize', [1, 4, 4, 4], F32, 0),         # 14
    ('flat_a', [1, 16, 4], F32, 0),           # 15
    ('flat_b', [1, 4, 4], F32, 0),            # 16
    ('heads', [1, 20, 4], F32, 0),            # 17
    ('relu', [1, 2, 2, 4], F32, 0),           # 18
]
ops = [
    (0, [1], [3], 0, None), (0, [2], [4], 0, None),
    (1, [0, 3, 4], [5], 1, [('u8', 0), ('i32', 1), ('i32', 1), ('u8', 1)]),                 # SAME, relu
    (2, [5, 6, 7], [8], 2, [('u8', 0), ('i32', 1), ('i32', 1), ('i32', 1), ('u8', 0)]),    # SAME
    (3, [5, 8], [9], 11, [('u8', 1)]),                                                    # relu
    (4, [9], [10], 5, [('u8', 1), ('i32', 2), ('i32', 2), ('i32', 2), ('i32', 2), ('u8', 0)]),  # VALID 2x2/2
    (5, [10, 11], [12], 0, None),
    (6, [12, 13], [14], 15, [None, None, ('u8', 0), ('u8', 1)]),                           # half pixel
    (7, [14], [15], 17, [('off', lambda s: s.vec('i', [1, 16, 4]))]),
    (7, [12], [16], 17, [('off', lambda s: s.vec('i', [1, 4, 4]))]),
    (8, [15, 16], [17], 10, [('i32', 1), ('u8', 0)]),
    (9, [12], [18], 0, None),
]
tiny = model(codes, tensors, buffers, ops, [0], [17, 18])
bad = model([25], [('input', [1, 4], F32, 0), ('out', [1, 4], F32, 0)], [b''], [(0, [0], [1], 0, None)], [0], [1])

# the reference, in numpy (NHWC)
def conv(x, w, b, dw=False):
    n, h, wd, c = x.shape
    kh, kw = w.shape[1], w.shape[2]
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    xp = np.zeros((n, h + kh - 1, wd + kw - 1, c), np.float64); xp[:, ph:ph + h, pw:pw + wd] = x
    out = np.zeros((n, h, wd, w.shape[3] if dw else w.shape[0]))
    for y in range(h):
        for z in range(wd):
            patch = xp[:, y:y + kh, z:z + kw, :]
            if dw: out[:, y, z, :] = (patch * w[0]).sum(axis=(1, 2))
            else: out[:, y, z, :] = np.einsum('nhwc,ohwc->no', patch, w)
    return out + b
relu = lambda a: np.maximum(a, 0)
c = relu(conv(x, cw.astype(np.float64), cb.astype(np.float64)))
d = conv(c, dw.astype(np.float64), db, dw=True)
a = relu(c + d)
p = a.reshape(1, 2, 2, 2, 2, 3).max(axis=(2, 4))
pd = np.pad(p, [(0, 0), (0, 0), (0, 0), (0, 1)])
def resize(x, oh, ow):  # half_pixel_centers
    n, h, w, ch = x.shape
    out = np.zeros((n, oh, ow, ch))
    for y in range(oh):
        fy = (y + 0.5) * h / oh - 0.5; y0 = max(int(np.floor(fy)), 0); y1 = min(int(np.ceil(fy)), h - 1); ly = fy - np.floor(fy)
        for z in range(ow):
            fx = (z + 0.5) * w / ow - 0.5; x0 = max(int(np.floor(fx)), 0); x1 = min(int(np.ceil(fx)), w - 1); lx = fx - np.floor(fx)
            top = x[:, y0, x0] + (x[:, y0, x1] - x[:, y0, x0]) * lx
            bot = x[:, y1, x0] + (x[:, y1, x1] - x[:, y1, x0]) * lx
            out[:, y, z] = top + (bot - top) * ly
    return out
r = resize(pd, 4, 4)
heads = np.concatenate([r.reshape(1, 16, 4), pd.reshape(1, 4, 4)], axis=1)
open('tests/data/tflite/tiny.tflite', 'wb').write(tiny)
open('tests/fuzz/corpus/tflite/tiny.tflite', 'wb').write(tiny)
open('tests/fuzz/corpus/tflite/softmax.tflite', 'wb').write(bad)
with open('tests/data/tflite/tiny.expected', 'w') as f:
    f.write('# input [1,4,4,2], then output heads [1,20,4], then output relu [1,2,2,4] (NHWC, row-major)\n')
    for arr in (x, heads, relu(pd)):
        f.write(' '.join('%.9g' % v for v in arr.ravel()) + '\n')
print(len(tiny), 'bytes')
