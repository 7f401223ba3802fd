#!/usr/bin/python3
# tools/blazeface-ref/tflite_weights.py - run from the repository root: compares the tfjs graph
# models' weights with Google's .tflite files in models/ (needs numpy: Debian python3-numpy).
# Do the tfjs graph models' weights equal Google's tflite weights (to float16)?
# A minimal flatbuffer reader for the tflite schema (Model.subgraphs[0].tensors, Model.buffers).
import json, struct, sys, hashlib
import numpy as np

def u32(b, o): return struct.unpack_from('<I', b, o)[0]
def i32(b, o): return struct.unpack_from('<i', b, o)[0]

def table(b, pos):
    vt = pos - i32(b, pos)
    vlen = struct.unpack_from('<H', b, vt)[0]
    def field(i):
        if 4 + 2 * i >= vlen: return None
        off = struct.unpack_from('<H', b, vt + 4 + 2 * i)[0]
        return pos + off if off else None
    return field

def ref(b, p): return p + u32(b, p)
def vec(b, p):
    p = ref(b, p); n = u32(b, p); return p + 4, n

def load_tflite(path):
    b = open(path, 'rb').read()
    root = u32(b, 0)
    m = table(b, root)
    bp, bn = vec(b, m(4))
    buffers = []
    for i in range(bn):
        t = table(b, ref(b, bp + 4 * i))
        d = t(0)
        if d is None: buffers.append(b''); continue
        dp, dn = vec(b, d)
        buffers.append(b[dp:dp + dn])
    sp, sn = vec(b, m(2))
    sg = table(b, ref(b, sp))
    tp, tn = vec(b, sg(0))
    out = []
    for i in range(tn):
        t = table(b, ref(b, tp + 4 * i))
        shp = []
        if t(0) is not None:
            p, n = vec(b, t(0)); shp = [i32(b, p + 4 * k) for k in range(n)]
        typ = b[t(1)] if t(1) is not None else 0
        buf = u32(b, t(2)) if t(2) is not None else 0
        np_, nn = vec(b, t(3)); name = b[np_:np_ + nn].decode()
        data = buffers[buf]
        if data:
            arr = np.frombuffer(data, dtype={0: np.float32, 1: np.float16}.get(typ, np.uint8))
            out.append((name, shp, typ, arr))
    return out

def load_tfjs(path):
    j = json.load(open(path))
    binp = path[:-5] + '.bin'
    raw = open(binp, 'rb').read()
    off = 0; out = []
    for w in j['weightsManifest'][0]['weights']:
        n = int(np.prod(w['shape'])) if w['shape'] else 1
        q = w.get('quantization')
        if q and q['dtype'] == 'float16':
            a = np.frombuffer(raw, np.float16, n, off); off += 2 * n
        elif w['dtype'] == 'int32':
            a = np.frombuffer(raw, np.int32, n, off); off += 4 * n
            continue
        else:
            a = np.frombuffer(raw, np.float32, n, off).astype(np.float16); off += 4 * n
        out.append((w['name'], w['shape'], a))
    return out

def key(a): return hashlib.sha1(np.sort(a.astype(np.float16).view(np.uint16) if False else np.sort(a.astype(np.float32)).astype(np.float16)).tobytes()).hexdigest()

for short in ('short', 'full'):
    tl = load_tflite('models/face_detection_%s_range.tflite' % short)
    tj = load_tfjs('models/facemesh-detection-%s.json' % short)
    tkeys = {}
    for name, shp, typ, arr in tl:
        if typ in (0, 1) and arr.size > 1:
            tkeys.setdefault(key(arr), []).append(name)
    types = {}
    for _, _, typ, arr in tl: types[typ] = types.get(typ, 0) + 1
    matched = 0; total = 0; vals = 0; unmatched = []
    for name, shp, a in tj:
        if a.size <= 1: continue
        total += 1
        if key(a) in tkeys: matched += 1; vals += a.size
        else: unmatched.append((name, shp))
    print('%s: tflite tensors with data %d (types %s); tfjs float tensors %d, equal as float16 value multisets: %d (%d values)' % (short, len(tl), types, total, matched, vals))
    for u in unmatched[:8]: print('   unmatched', u)

print('--- nearest same-size tflite tensor (sorted values), max |diff|')
for short in ('short', 'full'):
    tl = load_tflite('models/face_detection_%s_range.tflite' % short)
    tj = load_tfjs('models/facemesh-detection-%s.json' % short)
    bysize = {}
    for name, shp, typ, arr in tl:
        if typ in (0, 1): bysize.setdefault(arr.size, []).append((name, np.sort(arr.astype(np.float32))))
    worst = 0; rel = []; n = 0; nomatch = 0
    for name, shp, a in tj:
        if a.size <= 1: continue
        s = np.sort(a.astype(np.float32))
        c = bysize.get(a.size, [])
        if not c: nomatch += 1; continue
        d = min(float(np.max(np.abs(s - t))) for _, t in c)
        sc = float(np.max(np.abs(s))) or 1
        rel.append(d / sc); n += 1
    rel.sort()
    print(short, 'tensors compared', n, 'no same-size tensor', nomatch, 'max |diff| / max|w|: median %.2e, worst %.2e' % (rel[len(rel)//2], rel[-1]))
