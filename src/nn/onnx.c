/*
 * onnx.c - reads an ONNX ModelProto: the protobuf wire format by hand (varints, fixed32 /
 * fixed64, length-delimited fields), and of the messages only the fields the executor needs
 * (ModelProto, OperatorSetIdProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto and its TypeProto / TensorShapeProto).
 *
 * The file is outside input. Each message is read by its own function, so the nesting is
 * bounded by the schema (subgraphs in attributes are noted, not read); counts of nodes,
 * initializers, attributes, inputs and outputs, ranks, element counts and name lengths are
 * capped; every length is checked against the bytes left before it is used. Tensor data may
 * be raw_data (little-endian) or the typed repeated fields; float16 and double are widened /
 * narrowed to float, integer types and bool to int64. External data is refused.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn/onnx.h"
#include "util/util.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "onnx.c reads little-endian raw_data directly; add byte swapping"
#endif

/* a reading position in a message's bytes, and where the error goes */
typedef struct rd {
    const uint8_t *p, *end;
    const char *what;
    char *err;
    size_t errlen;
    size_t *elements; /* tensor elements read so far, all tensors together */
} rd;

#define BAD(r, ...) bad_(r, __VA_ARGS__)

static int bad_(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_(rd *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bex__fail(r->err, r->errlen, BEX_ERR_MODEL, "%s: %s", r->what, msg);
}

static int get_varint(rd *r, uint64_t *v) {
    uint64_t x = 0;
    for (int s = 0; s < 64; s += 7) {
        if (r->p >= r->end) return BAD(r, "truncated (a varint runs past the end)");
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) {
            *v = x;
            return BEX_OK;
        }
    }
    return BAD(r, "malformed (a varint longer than 10 bytes)");
}

/* One field's key; wire types 0 (varint), 1 (fixed64), 2 (bytes), 5 (fixed32). */
typedef struct field {
    uint32_t num;
    int wt;
    uint64_t v;              /* varint / fixed value */
    const uint8_t *b;        /* bytes (wire type 2) */
    size_t n;
} field;

static int next_field(rd *r, field *f) {
    uint64_t key;
    int rc = get_varint(r, &key);
    if (rc) return rc;
    f->num = (uint32_t)(key >> 3);
    f->wt = (int)(key & 7);
    if (key >> 3 == 0 || key >> 3 > 536870911u) return BAD(r, "malformed (field number 0 or too large)");
    switch (f->wt) {
    case 0: return get_varint(r, &f->v);
    case 1:
        if (r->end - r->p < 8) return BAD(r, "truncated (a fixed64 runs past the end)");
        memcpy(&f->v, r->p, 8);
        r->p += 8;
        return BEX_OK;
    case 5: {
        uint32_t v32;
        if (r->end - r->p < 4) return BAD(r, "truncated (a fixed32 runs past the end)");
        memcpy(&v32, r->p, 4);
        r->p += 4;
        f->v = v32;
        return BEX_OK;
    }
    case 2: {
        uint64_t n;
        if ((rc = get_varint(r, &n))) return rc;
        if (n > (uint64_t)(r->end - r->p)) return BAD(r, "truncated (a field of %llu bytes runs past the end)", (unsigned long long)n);
        f->b = r->p;
        f->n = (size_t)n;
        r->p += n;
        return BEX_OK;
    }
    default: return BAD(r, "malformed (wire type %d)", f->wt);
    }
}

static rd sub(const rd *r, const field *f) {
    rd s = *r;
    s.p = f->b;
    s.end = f->b + f->n;
    return s;
}

static int want(rd *r, const field *f, int wt, const char *name) {
    if (f->wt != wt) return BAD(r, "malformed (field %s has wire type %d)", name, f->wt);
    return BEX_OK;
}

static int get_string(rd *r, const field *f, const char *name, char **out) {
    if (f->wt != 2) return BAD(r, "malformed (%s is not a string)", name);
    if (f->n > ONNX_MAX_NAME) return BAD(r, "a %s of %zu bytes (the limit is %d)", name, f->n, ONNX_MAX_NAME);
    if (memchr(f->b, 0, f->n)) return BAD(r, "a %s with a NUL byte", name);
    char *s = bex__malloc(f->n + 1);
    if (!s) return bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
    memcpy(s, f->b, f->n);
    s[f->n] = '\0';
    bex__free(*out); /* a repeated singular field: the last one wins, as protobuf */
    *out = s;
    return BEX_OK;
}

/* Appends to a growing array of `size`-byte items, at most `max`. */
static int grow(rd *r, void **arr, int *n, size_t size, int max, const char *what) {
    if (*n >= max) return BAD(r, "more than %d %s", max, what);
    if ((*n & (*n - 1)) == 0) { /* 0, 1, 2, 4, ...: double */
        size_t cap = *n ? (size_t)*n * 2 : 1;
        void *p = bex__realloc(*arr, cap * size);
        if (!p) return bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
        *arr = p;
    }
    memset((char *)*arr + (size_t)*n * size, 0, size);
    (*n)++;
    return BEX_OK;
}

static int add_string(rd *r, const field *f, const char *what, char ***arr, int *n) {
    int rc = grow(r, (void **)arr, n, sizeof(char *), ONNX_MAX_IO, what);
    if (rc) return rc;
    return get_string(r, f, what, &(*arr)[*n - 1]);
}

/* ---------------------------------------------------------------- repeated numbers */

/* A repeated int64 / int32 field, packed (one wire-type-2 field) or not (one varint per
 * field); appends to *v (*n items, capacity grows). */
static int add_varints(rd *r, const field *f, int64_t **v, size_t *n, size_t max) {
    if (f->wt == 0) {
        if (*n >= max) return BAD(r, "a list of more than %zu numbers", max);
        int64_t *p = bex__realloc(*v, (*n + 1) * sizeof *p);
        if (!p) return bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
        *v = p;
        p[(*n)++] = (int64_t)f->v;
        return BEX_OK;
    }
    if (f->wt != 2) return BAD(r, "malformed (a list of integers with wire type %d)", f->wt);
    size_t cnt = 0; /* varints = bytes without the continuation bit */
    for (size_t k = 0; k < f->n; k++) cnt += !(f->b[k] & 0x80);
    if (cnt > max || *n > max - cnt) return BAD(r, "a list of more than %zu numbers", max);
    if (cnt == 0) return BEX_OK;
    int64_t *p = bex__realloc(*v, (*n + cnt) * sizeof *p);
    if (!p) return bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
    *v = p;
    rd s = sub(r, f);
    while (s.p < s.end) {
        uint64_t x;
        int rc = get_varint(&s, &x);
        if (rc) return rc;
        p[(*n)++] = (int64_t)x;
    }
    return BEX_OK;
}

/* A repeated float (fixed32) or double (fixed64) field, packed or not. */
static int add_fixed(rd *r, const field *f, int dbl, float **v, size_t *n, size_t max) {
    const int wt1 = dbl ? 1 : 5, sz = dbl ? 8 : 4;
    size_t cnt;
    if (f->wt == wt1) cnt = 1;
    else if (f->wt == 2) {
        if (f->n % sz) return BAD(r, "malformed (a packed list of %zu bytes)", f->n);
        cnt = f->n / sz;
    } else
        return BAD(r, "malformed (a list of floats with wire type %d)", f->wt);
    if (cnt > max || *n > max - cnt) return BAD(r, "a list of more than %zu numbers", max);
    if (cnt == 0) return BEX_OK;
    float *p = bex__realloc(*v, (*n + cnt) * sizeof *p);
    if (!p) return bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
    *v = p;
    for (size_t k = 0; k < cnt; k++) {
        if (f->wt != 2) {
            if (dbl) { double d; memcpy(&d, &f->v, 8); p[(*n)++] = (float)d; }
            else { uint32_t u = (uint32_t)f->v; float x; memcpy(&x, &u, 4); p[(*n)++] = x; }
        } else if (dbl) {
            double d;
            memcpy(&d, f->b + 8 * k, 8);
            p[(*n)++] = (float)d;
        } else {
            float x;
            memcpy(&x, f->b + 4 * k, 4);
            p[(*n)++] = x;
        }
    }
    return BEX_OK;
}

/* ---------------------------------------------------------------- tensors */

void onnx_tensor_free(onnx_tensor *t) {
    if (!t) return;
    bex__free(t->name);
    bex__free(t->f);
    bex__free(t->i);
    memset(t, 0, sizeof *t);
}

static float half_to_float(uint16_t h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 1024), e - 25);
    return s ? -v : v;
}

static int is_float_type(int dt) { return dt == ONNX_FLOAT || dt == ONNX_FLOAT16 || dt == ONNX_DOUBLE; }

static int type_size(int dt) {
    switch (dt) {
    case ONNX_UINT8: case ONNX_INT8: case ONNX_BOOL: return 1;
    case ONNX_UINT16: case ONNX_INT16: case ONNX_FLOAT16: return 2;
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_INT64: case ONNX_DOUBLE: case ONNX_UINT64: return 8;
    default: return 0;
    }
}

static int64_t raw_int(const uint8_t *p, int dt) {
    switch (dt) {
    case ONNX_UINT8: case ONNX_BOOL: return p[0];
    case ONNX_INT8: return (int8_t)p[0];
    case ONNX_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case ONNX_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case ONNX_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case ONNX_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; } /* INT64, UINT64 (wraps) */
    }
}

static int parse_tensor(rd *r, onnx_tensor *t) {
    const uint8_t *raw = NULL;
    size_t rawn = 0, nf = 0, ni32 = 0, ni64 = 0, nd = 0, ndims = 0;
    int has_raw = 0, external = 0, strings = 0;
    int64_t *dims = NULL, *i32 = NULL, *i64 = NULL;
    float *fl = NULL, *db = NULL;
    int rc = BEX_OK;
    field f;
    t->dtype = ONNX_FLOAT;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        switch (f.num) {
        case 1: rc = add_varints(r, &f, &dims, &ndims, NN_GRAPH_MAX_RANK + 1); break;
        case 2: if (!(rc = want(r, &f, 0, "data_type"))) t->dtype = (int)f.v; break;
        case 4: rc = add_fixed(r, &f, 0, &fl, &nf, ONNX_MAX_ELEMENTS); break;
        case 5: rc = add_varints(r, &f, &i32, &ni32, ONNX_MAX_ELEMENTS); break;
        case 6: strings = 1; break;
        case 7: rc = add_varints(r, &f, &i64, &ni64, ONNX_MAX_ELEMENTS); break;
        case 8: rc = get_string(r, &f, "tensor name", &t->name); break;
        case 9: if (!(rc = want(r, &f, 2, "raw_data"))) { raw = f.b; rawn = f.n; has_raw = 1; } break;
        case 10: rc = add_fixed(r, &f, 1, &db, &nd, ONNX_MAX_ELEMENTS); break;
        case 11: rc = add_varints(r, &f, &i64, &ni64, ONNX_MAX_ELEMENTS); break; /* uint64_data */
        case 13: external = 1; break;
        case 14: if (f.wt == 0 && f.v == 1) external = 1; break;
        default: break;
        }
    }
    const char *nm = t->name ? t->name : "(unnamed)";
    if (rc == BEX_OK && external)
        rc = BAD(r, "tensor '%s': external data is not supported (save the model with its weights inside)", nm);
    if (rc == BEX_OK && (strings || t->dtype == ONNX_STRING))
        rc = BAD(r, "tensor '%s': string tensors are not supported", nm);
    if (rc == BEX_OK && !type_size(t->dtype))
        rc = BAD(r, "tensor '%s': data type %d is not supported", nm, t->dtype);
    if (rc == BEX_OK && ndims > NN_GRAPH_MAX_RANK)
        rc = BAD(r, "tensor '%s': rank above %d", nm, NN_GRAPH_MAX_RANK);
    size_t count = 1;
    for (size_t k = 0; rc == BEX_OK && k < ndims; k++) {
        if (dims[k] < 0 || (uint64_t)dims[k] > ONNX_MAX_ELEMENTS ||
            !bex__mul_size(count, (size_t)dims[k], &count) || count > ONNX_MAX_ELEMENTS)
            rc = BAD(r, "tensor '%s': dimensions out of range (at most %zu elements)", nm, ONNX_MAX_ELEMENTS);
        else
            t->dims[k] = dims[k];
    }
    t->rank = (int)ndims;
    t->count = count;
    if (rc == BEX_OK && (count > ONNX_MAX_TOTAL_ELEMENTS - *r->elements))
        rc = BAD(r, "tensor '%s': more than %zu tensor elements in all", nm, ONNX_MAX_TOTAL_ELEMENTS);
    else if (rc == BEX_OK)
        *r->elements += count;
    const int fl_t = is_float_type(t->dtype);
    if (rc == BEX_OK) {
        size_t have = has_raw ? rawn / (size_t)type_size(t->dtype)
                      : t->dtype == ONNX_FLOAT ? nf
                      : t->dtype == ONNX_DOUBLE ? nd
                      : (t->dtype == ONNX_INT64 || t->dtype == ONNX_UINT64 || t->dtype == ONNX_UINT32) ? ni64
                                                                                                      : ni32;
        if (has_raw && rawn % (size_t)type_size(t->dtype)) have = (size_t)-1;
        if (have != count)
            rc = BAD(r, "tensor '%s': holds %s values for %zu elements", nm,
                     have == (size_t)-1 ? "a partial" : "a different number of", count);
    }
    if (rc == BEX_OK && count > 0) {
        if (fl_t) t->f = bex__malloc(count * sizeof(float));
        else t->i = bex__malloc(count * sizeof(int64_t));
        if (!t->f && !t->i) rc = bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
    }
    if (rc == BEX_OK && count > 0) {
        const int sz = type_size(t->dtype);
        for (size_t k = 0; k < count; k++) {
            if (t->dtype == ONNX_FLOAT) {
                if (has_raw) memcpy(&t->f[k], raw + 4 * k, 4);
                else t->f[k] = fl[k];
            } else if (t->dtype == ONNX_DOUBLE) {
                if (has_raw) { double d; memcpy(&d, raw + 8 * k, 8); t->f[k] = (float)d; }
                else t->f[k] = db[k];
            } else if (t->dtype == ONNX_FLOAT16) {
                uint16_t h;
                if (has_raw) memcpy(&h, raw + 2 * k, 2);
                else h = (uint16_t)i32[k];
                t->f[k] = half_to_float(h);
            } else if (has_raw) {
                t->i[k] = raw_int(raw + (size_t)sz * k, t->dtype);
            } else if (t->dtype == ONNX_INT64 || t->dtype == ONNX_UINT64 || t->dtype == ONNX_UINT32) {
                t->i[k] = i64[k];
            } else {
                t->i[k] = t->dtype == ONNX_BOOL ? (i32[k] != 0) : (int64_t)(int32_t)i32[k];
            }
        }
    }
    bex__free(dims);
    bex__free(i32);
    bex__free(i64);
    bex__free(fl);
    bex__free(db);
    if (rc != BEX_OK) onnx_tensor_free(t);
    return rc;
}

/* ---------------------------------------------------------------- nodes and attributes */

static void attr_free(onnx_attr *a) {
    bex__free(a->name);
    bex__free(a->s);
    bex__free(a->floats);
    bex__free(a->ints);
    if (a->t) {
        onnx_tensor_free(a->t);
        bex__free(a->t);
    }
}

static int parse_attr(rd *r, onnx_attr *a) {
    field f;
    int rc = BEX_OK;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        switch (f.num) {
        case 1: rc = get_string(r, &f, "attribute name", &a->name); break;
        case 20: if (!(rc = want(r, &f, 0, "attribute type"))) a->type = (int)f.v; break;
        case 2: {
            if (!(rc = want(r, &f, 5, "attribute f"))) {
                uint32_t u = (uint32_t)f.v;
                memcpy(&a->f, &u, 4);
            }
            break;
        }
        case 3: if (!(rc = want(r, &f, 0, "attribute i"))) a->i = (int64_t)f.v; break;
        case 4: rc = get_string(r, &f, "string attribute", &a->s); break;
        case 5: {
            if ((rc = want(r, &f, 2, "attribute t"))) break;
            if (a->t) { onnx_tensor_free(a->t); bex__free(a->t); }
            a->t = bex__calloc(1, sizeof *a->t);
            if (!a->t) { rc = bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what); break; }
            rd s = sub(r, &f);
            rc = parse_tensor(&s, a->t);
            if (rc) { bex__free(a->t); a->t = NULL; }
            break;
        }
        case 6: case 11: a->has_subgraph = 1; break;
        case 7: rc = add_fixed(r, &f, 0, &a->floats, &a->nfloats, ONNX_MAX_LIST); break;
        case 8: rc = add_varints(r, &f, &a->ints, &a->nints, ONNX_MAX_LIST); break;
        case 21: rc = BAD(r, "attribute references (ref_attr_name) are not supported"); break;
        default: break;
        }
    }
    if (rc == BEX_OK && !a->name) rc = BAD(r, "an attribute without a name");
    return rc;
}

static void node_free(onnx_node *n) {
    bex__free(n->name);
    bex__free(n->op);
    bex__free(n->domain);
    for (int k = 0; k < n->nin; k++) bex__free(n->in[k]);
    for (int k = 0; k < n->nout; k++) bex__free(n->out[k]);
    bex__free(n->in);
    bex__free(n->out);
    for (int k = 0; k < n->nattr; k++) attr_free(&n->attr[k]);
    bex__free(n->attr);
    memset(n, 0, sizeof *n);
}

static int parse_node(rd *r, onnx_node *n) {
    field f;
    int rc = BEX_OK;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        switch (f.num) {
        case 1: rc = add_string(r, &f, "node inputs", &n->in, &n->nin); break;
        case 2: rc = add_string(r, &f, "node outputs", &n->out, &n->nout); break;
        case 3: rc = get_string(r, &f, "node name", &n->name); break;
        case 4: rc = get_string(r, &f, "operator name", &n->op); break;
        case 7: rc = get_string(r, &f, "domain", &n->domain); break;
        case 5: {
            if ((rc = want(r, &f, 2, "attribute"))) break;
            if ((rc = grow(r, (void **)&n->attr, &n->nattr, sizeof *n->attr, ONNX_MAX_ATTRS, "attributes in a node"))) break;
            rd s = sub(r, &f);
            rc = parse_attr(&s, &n->attr[n->nattr - 1]);
            break;
        }
        default: break;
        }
    }
    if (rc == BEX_OK && !n->op) rc = BAD(r, "a node without an operator");
    if (rc == BEX_OK && !n->name) { /* unnamed nodes are named by their first output */
        const char *o = n->nout > 0 ? n->out[0] : "";
        n->name = bex__malloc(strlen(o) + 1);
        if (!n->name) rc = bex__fail(r->err, r->errlen, BEX_ERR_NOMEM, "%s: out of memory", r->what);
        else strcpy(n->name, o);
    }
    return rc;
}

/* ---------------------------------------------------------------- value infos and graph */

static int parse_shape(rd *r, onnx_value_info *v) {
    field f;
    int rc = BEX_OK;
    v->rank = 0;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        if (f.num != 1) continue;
        if ((rc = want(r, &f, 2, "dim"))) break;
        if (v->rank >= NN_GRAPH_MAX_RANK) return BAD(r, "'%s': rank above %d", v->name ? v->name : "", NN_GRAPH_MAX_RANK);
        int64_t d = -1;
        rd s = sub(r, &f);
        field g;
        while (s.p < s.end && rc == BEX_OK) {
            if ((rc = next_field(&s, &g))) break;
            if (g.num == 1 && g.wt == 0) d = (int64_t)g.v;
            if (g.num == 2) d = -1;
        }
        v->dims[v->rank++] = d < 0 ? -1 : d;
    }
    return rc;
}

static int parse_value_info(rd *r, onnx_value_info *v) {
    field f, g, h;
    int rc = BEX_OK;
    v->rank = -1;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        if (f.num == 1) rc = get_string(r, &f, "value name", &v->name);
        else if (f.num == 2 && !(rc = want(r, &f, 2, "type"))) {
            rd s = sub(r, &f); /* TypeProto */
            while (s.p < s.end && rc == BEX_OK) {
                if ((rc = next_field(&s, &g))) break;
                if (g.num != 1) continue; /* tensor_type only */
                if ((rc = want(&s, &g, 2, "tensor_type"))) break;
                rd t = sub(&s, &g);
                while (t.p < t.end && rc == BEX_OK) {
                    if ((rc = next_field(&t, &h))) break;
                    if (h.num == 1 && h.wt == 0) v->elem_type = (int)h.v;
                    else if (h.num == 2 && !(rc = want(&t, &h, 2, "shape"))) {
                        rd u = sub(&t, &h);
                        rc = parse_shape(&u, v);
                    }
                }
            }
        }
    }
    if (rc == BEX_OK && !v->name) rc = BAD(r, "a graph input or output without a name");
    return rc;
}

static int parse_graph(rd *r, onnx_model *m) {
    field f;
    int rc = BEX_OK;
    while (r->p < r->end && rc == BEX_OK) {
        if ((rc = next_field(r, &f))) break;
        if (f.num != 1 && f.num != 5 && f.num != 11 && f.num != 12 && f.num != 15) continue;
        if ((rc = want(r, &f, 2, "graph field"))) break;
        rd s = sub(r, &f);
        switch (f.num) {
        case 1:
            if (!(rc = grow(r, (void **)&m->nodes, &m->nnodes, sizeof *m->nodes, ONNX_MAX_NODES, "nodes")))
                rc = parse_node(&s, &m->nodes[m->nnodes - 1]);
            break;
        case 5:
            if (!(rc = grow(r, (void **)&m->init, &m->ninit, sizeof *m->init, ONNX_MAX_INITS, "initializers")))
                rc = parse_tensor(&s, &m->init[m->ninit - 1]);
            if (rc == BEX_OK && !m->init[m->ninit - 1].name) rc = BAD(r, "an initializer without a name");
            break;
        case 11:
            if (!(rc = grow(r, (void **)&m->inputs, &m->ninputs, sizeof *m->inputs, ONNX_MAX_IO, "graph inputs")))
                rc = parse_value_info(&s, &m->inputs[m->ninputs - 1]);
            break;
        case 12:
            if (!(rc = grow(r, (void **)&m->outputs, &m->noutputs, sizeof *m->outputs, ONNX_MAX_IO, "graph outputs")))
                rc = parse_value_info(&s, &m->outputs[m->noutputs - 1]);
            break;
        case 15: rc = BAD(r, "sparse initializers are not supported"); break;
        }
    }
    return rc;
}

void onnx_model_free(onnx_model *m) {
    if (!m) return;
    for (int k = 0; k < m->nnodes; k++) node_free(&m->nodes[k]);
    for (int k = 0; k < m->ninit; k++) onnx_tensor_free(&m->init[k]);
    for (int k = 0; k < m->ninputs; k++) bex__free(m->inputs[k].name);
    for (int k = 0; k < m->noutputs; k++) bex__free(m->outputs[k].name);
    bex__free(m->nodes);
    bex__free(m->init);
    bex__free(m->inputs);
    bex__free(m->outputs);
    memset(m, 0, sizeof *m);
}

int onnx_parse(const uint8_t *data, size_t len, const char *what, onnx_model *m, char *err,
               size_t errlen) {
    memset(m, 0, sizeof *m);
    size_t elements = 0;
    rd r = {data, data + len, what, err, errlen, &elements};
    if (len > ONNX_MAX_FILE) return BAD(&r, "%zu bytes, more than the limit of %zu", len, ONNX_MAX_FILE);
    field f;
    int rc = BEX_OK, graphs = 0;
    while (r.p < r.end && rc == BEX_OK) {
        if ((rc = next_field(&r, &f))) break;
        if (f.num == 1 && f.wt == 0) m->ir_version = (int64_t)f.v;
        else if (f.num == 8 && !(rc = want(&r, &f, 2, "opset_import"))) {
            rd s = sub(&r, &f);
            char *dom = NULL;
            int64_t ver = 0;
            field g;
            while (s.p < s.end && rc == BEX_OK) {
                if ((rc = next_field(&s, &g))) break;
                if (g.num == 1) rc = get_string(&s, &g, "opset domain", &dom);
                else if (g.num == 2 && g.wt == 0) ver = (int64_t)g.v;
            }
            if (rc == BEX_OK && (!dom || !dom[0] || !strcmp(dom, "ai.onnx"))) m->opset = ver;
            bex__free(dom);
        } else if (f.num == 7 && !(rc = want(&r, &f, 2, "graph"))) {
            if (graphs++) { rc = BAD(&r, "malformed (two graphs)"); break; }
            rd s = sub(&r, &f);
            rc = parse_graph(&s, m);
        }
    }
    if (rc == BEX_OK && !graphs) rc = BAD(&r, "not an ONNX model (no graph)");
    if (rc != BEX_OK) onnx_model_free(m);
    return rc;
}
