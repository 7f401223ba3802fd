/*
 * tflite.c - reads a TensorFlow Lite model (a .tflite flatbuffer) into the graph executor.
 *
 * The flatbuffer is read by hand, only the tables of the TFLite schema the executor needs:
 * Model (operator_codes, subgraphs, buffers), OperatorCode, SubGraph (tensors, inputs,
 * outputs, operators), Tensor (shape, type, buffer, name), Buffer (data, or offset / size
 * for data after the flatbuffer), Operator (opcode_index, inputs, outputs, builtin options)
 * and the options tables of the operators below. Every offset is checked against the file
 * before it is followed, every vector length against the bytes left, ranks and element
 * counts are capped (the limits of onnx.h), and references only point forward (flatbuffer
 * uoffsets are unsigned), so a hostile file cannot loop.
 *
 * The model is translated into the parsed-ONNX form (onnx.h) that graph.c builds from, so the
 * TFLite operators run on the executor's existing ops:
 *   CONV_2D              Conv (weights OHWI -> OIHW), SAME -> auto_pad SAME_UPPER, VALID
 *   DEPTHWISE_CONV_2D    Conv with group = input channels (weights 1HWC -> C1HW)
 *   ADD                  Add
 *   MAX_POOL_2D          MaxPool
 *   PAD                  Pad (constant paddings)
 *   RELU                 Relu
 *   RESHAPE              Reshape
 *   CONCATENATION        Concat
 *   RESIZE_BILINEAR      Resize linear (align_corners / half_pixel / asymmetric)
 *   DEQUANTIZE           of a float16 constant: folded at load into a float constant
 * with the fused activations NONE, RELU, RELU6, RELU_N1_TO_1 and TANH. Any other operator is
 * refused at load with its name. TFLite's activations are NHWC; the translation keeps each
 * 4-D tensor as ONNX's NCHW (the executor stores 4-D activations NHWC underneath, so the
 * transposes at the graph's edges and before a Reshape are the only copies), maps axes and
 * paddings, and hands the graph's 4-D inputs and outputs over in TFLite's own NHWC order.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/graph.h"
#include "nn/onnx.h"
#include "util/util.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tflite.c reads little-endian flatbuffers directly; add byte swapping"
#endif

#define TFL_MAX_TENSORS 100000
#define TFL_MAX_OPS 100000
#define TFL_MAX_BUFFERS 100000
#define TFL_MAX_CODES 10000
#define TFL_MAX_OP_IO 64

/* builtin operator codes (schema.fbs BuiltinOperator) */
enum {
    OP_ADD = 0, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4, OP_DEQUANTIZE = 6,
    OP_MAX_POOL_2D = 17, OP_RELU = 19, OP_RESHAPE = 22, OP_RESIZE_BILINEAR = 23, OP_CUSTOM = 32,
    OP_PAD = 34
};
/* tensor types (schema.fbs TensorType) */
enum { T_FLOAT32 = 0, T_FLOAT16 = 1, T_INT32 = 2, T_UINT8 = 3, T_INT64 = 4, T_INT8 = 9 };
/* fused activations */
enum { A_NONE = 0, A_RELU = 1, A_RELU_N1_TO_1 = 2, A_RELU6 = 3, A_TANH = 4 };

static const char *const op_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE",
    "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",
    "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",
    "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM",
    "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
    "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
    "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL"};

/* ---------------------------------------------------------------- the flatbuffer, bounded */

typedef struct fb {
    const uint8_t *b;
    size_t len;
    const char *what;
    char *err;
    size_t errlen;
} fb;

static int bad(fb *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(fb *f, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bex__fail(f->err, f->errlen, BEX_ERR_MODEL, "%s: %s", f->what, msg);
}
#define MALFORMED(f, where) bad(f, "malformed flatbuffer (%s)", where)

static int in_file(const fb *f, size_t pos, size_t n) { return pos <= f->len && n <= f->len - pos; }
static uint32_t rd_u32(const fb *f, size_t p) { uint32_t v; memcpy(&v, f->b + p, 4); return v; }
static int32_t rd_i32(const fb *f, size_t p) { int32_t v; memcpy(&v, f->b + p, 4); return v; }
static uint16_t rd_u16(const fb *f, size_t p) { uint16_t v; memcpy(&v, f->b + p, 2); return v; }

/* a table: its position and its vtable's */
typedef struct tbl {
    size_t pos, vt;
    unsigned vlen;
} tbl;

/* follows the uoffset at p to a table and checks its vtable */
static int table_at(fb *f, size_t p, tbl *t, const char *where) {
    if (!in_file(f, p, 4)) return MALFORMED(f, where);
    size_t pos = p + rd_u32(f, p);
    if (pos < p || !in_file(f, pos, 4)) return MALFORMED(f, where);
    int64_t vt = (int64_t)pos - (int64_t)rd_i32(f, pos);
    if (vt < 0 || !in_file(f, (size_t)vt, 4)) return MALFORMED(f, where);
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vlen = rd_u16(f, t->vt);
    if (t->vlen < 4 || (t->vlen & 1) || !in_file(f, t->vt, t->vlen)) return MALFORMED(f, where);
    if (!in_file(f, pos, rd_u16(f, t->vt + 2))) return MALFORMED(f, where);
    return BEX_OK;
}

/* field i of t: its position (n bytes checked), or 0 if absent */
static size_t field(fb *f, const tbl *t, int i, size_t n) {
    if (4 + 2 * (unsigned)i + 2 > t->vlen) return 0;
    unsigned off = rd_u16(f, t->vt + 4 + 2 * (size_t)i);
    if (!off || !in_file(f, t->pos + off, n)) return 0;
    return t->pos + off;
}
static int64_t f_int(fb *f, const tbl *t, int i, int size, int64_t def) {
    size_t p = field(f, t, i, (size_t)size);
    if (!p) return def;
    switch (size) {
    case 1: return (int8_t)f->b[p];
    case 2: return (int16_t)rd_u16(f, p);
    default: return rd_i32(f, p);
    }
}
static int64_t f_u8(fb *f, const tbl *t, int i, int64_t def) {
    size_t p = field(f, t, i, 1);
    return p ? f->b[p] : def;
}

/* field i of t as a vector of elsize-byte items: *at (first item), *n; absent: n = 0 */
static int vec(fb *f, const tbl *t, int i, size_t elsize, size_t max, size_t *at, size_t *n, const char *where) {
    *at = 0;
    *n = 0;
    size_t p = field(f, t, i, 4);
    if (!p) return BEX_OK;
    size_t v = p + rd_u32(f, p);
    if (v < p || !in_file(f, v, 4)) return MALFORMED(f, where);
    size_t cnt = rd_u32(f, v);
    if (cnt > max) return bad(f, "%s: %zu items (the limit is %zu)", where, cnt, max);
    if (!in_file(f, v + 4, cnt * elsize)) return MALFORMED(f, where);
    *at = v + 4;
    *n = cnt;
    return BEX_OK;
}

/* ---------------------------------------------------------------- the model as read */

typedef struct ttensor {
    int rank;
    int64_t dims[NN_GRAPH_MAX_RANK];
    size_t count;
    int type;
    const uint8_t *data; /* constant data in the file, or NULL */
    size_t nbytes;
    char name[64];       /* for messages */
    float *cf;           /* materialised constant floats (owned), or NULL */
    int64_t *ci;         /* materialised constant integers (owned), or NULL */
    int is_const;        /* has data (or is a folded DEQUANTIZE) */
    int defined;         /* a graph input or an operator's output */
} ttensor;

typedef struct topr {
    int code;
    const char *custom; /* not NUL-terminated: custom_len bytes */
    size_t custom_len;
    int nin, nout;
    int in[TFL_MAX_OP_IO], out[TFL_MAX_OP_IO];
    int opt_type;
    tbl opt;
    int has_opt;
} topr;

typedef struct tx {
    fb f;
    int ntensors;
    ttensor *t;
    onnx_model *m;
    size_t elements;
    int uniq; /* for fresh names */
} tx;

static const char *op_name(int code, char *buf, size_t n) {
    if (code >= 0 && (size_t)code < sizeof op_names / sizeof op_names[0]) return op_names[code];
    snprintf(buf, n, "builtin operator %d", code);
    return buf;
}

static int nomem(tx *x) { return bex__fail(x->f.err, x->f.errlen, BEX_ERR_NOMEM, "%s: out of memory", x->f.what); }

static float half_to_float(uint16_t h) {
    const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 1024), e - 25);
    return s ? -v : v;
}

/* the constant data of tensor i as floats (float32 / float16) */
static int const_floats(tx *x, int i, const float **out) {
    ttensor *t = &x->t[i];
    if (!t->is_const) return bad(&x->f, "tensor '%s': expected a constant", t->name);
    if (!t->cf) {
        int sz = t->type == T_FLOAT32 ? 4 : t->type == T_FLOAT16 ? 2 : 0;
        if (!sz) return bad(&x->f, "tensor '%s': constant of type %d (only float32 and float16 are supported here)", t->name, t->type);
        if (t->nbytes != t->count * (size_t)sz) return bad(&x->f, "tensor '%s': %zu bytes of data for %zu elements", t->name, t->nbytes, t->count);
        t->cf = bex__malloc((t->count ? t->count : 1) * sizeof *t->cf);
        if (!t->cf) return nomem(x);
        for (size_t k = 0; k < t->count; k++) {
            if (sz == 4) memcpy(&t->cf[k], t->data + 4 * k, 4);
            else { uint16_t h; memcpy(&h, t->data + 2 * k, 2); t->cf[k] = half_to_float(h); }
        }
    }
    *out = t->cf;
    return BEX_OK;
}

/* the constant data of tensor i as integers (int32 / int64) */
static int const_ints(tx *x, int i, const int64_t **out) {
    ttensor *t = &x->t[i];
    if (!t->is_const) return bad(&x->f, "tensor '%s': expected a constant", t->name);
    if (!t->ci) {
        int sz = t->type == T_INT32 ? 4 : t->type == T_INT64 ? 8 : 0;
        if (!sz) return bad(&x->f, "tensor '%s': constant of type %d (only int32 and int64 are supported here)", t->name, t->type);
        if (!t->data || t->nbytes != t->count * (size_t)sz) return bad(&x->f, "tensor '%s': %zu bytes of data for %zu elements", t->name, t->nbytes, t->count);
        t->ci = bex__malloc((t->count ? t->count : 1) * sizeof *t->ci);
        if (!t->ci) return nomem(x);
        for (size_t k = 0; k < t->count; k++) {
            if (sz == 4) { int32_t v; memcpy(&v, t->data + 4 * k, 4); t->ci[k] = v; }
            else memcpy(&t->ci[k], t->data + 8 * k, 8);
        }
    }
    *out = t->ci;
    return BEX_OK;
}

/* ---------------------------------------------------------------- building the ONNX form */

static char *str_dup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = bex__malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

static int grow_arr(tx *x, void **arr, int *n, size_t size, int max) {
    if (*n >= max) return bad(&x->f, "the translated graph is too large");
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? (size_t)*n * 2 : 1;
        void *p = bex__realloc(*arr, cap * size);
        if (!p) return nomem(x);
        *arr = p;
    }
    memset((char *)*arr + (size_t)*n * size, 0, size);
    (*n)++;
    return BEX_OK;
}

/* adds a node; in / out names are copied ("" for an omitted input) */
static int add_node(tx *x, const char *op, int nin, const char *const *in, const char *out, onnx_node **nd) {
    int rc = grow_arr(x, (void **)&x->m->nodes, &x->m->nnodes, sizeof(onnx_node), ONNX_MAX_NODES);
    if (rc) return rc;
    onnx_node *n = &x->m->nodes[x->m->nnodes - 1];
    n->op = str_dup(op);
    n->name = str_dup(out);
    n->in = bex__calloc((size_t)nin + 1, sizeof *n->in);
    n->out = bex__calloc(1, sizeof *n->out);
    if (!n->op || !n->name || !n->in || !n->out) return nomem(x);
    for (int k = 0; k < nin; k++) {
        if (!(n->in[k] = str_dup(in[k]))) return nomem(x);
        n->nin++;
    }
    if (!(n->out[0] = str_dup(out))) return nomem(x);
    n->nout = 1;
    *nd = n;
    return BEX_OK;
}

static onnx_attr *new_attr(tx *x, onnx_node *n, const char *name) {
    if (grow_arr(x, (void **)&n->attr, &n->nattr, sizeof(onnx_attr), ONNX_MAX_ATTRS)) return NULL;
    onnx_attr *a = &n->attr[n->nattr - 1];
    if (!(a->name = str_dup(name))) { nomem(x); return NULL; }
    return a;
}
static int attr_int(tx *x, onnx_node *n, const char *name, int64_t v) {
    onnx_attr *a = new_attr(x, n, name);
    if (!a) return BEX_ERR_MODEL;
    a->type = ONNX_ATTR_INT;
    a->i = v;
    return BEX_OK;
}
static int attr_ints(tx *x, onnx_node *n, const char *name, const int64_t *v, size_t cnt) {
    onnx_attr *a = new_attr(x, n, name);
    if (!a) return BEX_ERR_MODEL;
    a->type = ONNX_ATTR_INTS;
    if (!(a->ints = bex__malloc((cnt ? cnt : 1) * sizeof *a->ints))) return nomem(x);
    memcpy(a->ints, v, cnt * sizeof *v);
    a->nints = cnt;
    return BEX_OK;
}
static int attr_str(tx *x, onnx_node *n, const char *name, const char *s) {
    onnx_attr *a = new_attr(x, n, name);
    if (!a) return BEX_ERR_MODEL;
    a->type = ONNX_ATTR_STRING;
    if (!(a->s = str_dup(s))) return nomem(x);
    return BEX_OK;
}

/* adds an initializer (copies the data: f or i) */
static int add_init(tx *x, const char *name, int rank, const int64_t *dims, const float *f, const int64_t *i) {
    size_t count = 1;
    for (int k = 0; k < rank; k++) count *= (size_t)dims[k]; /* dims come from checked tensors */
    if (count > ONNX_MAX_TOTAL_ELEMENTS - x->elements) return bad(&x->f, "more than %zu tensor elements in all", ONNX_MAX_TOTAL_ELEMENTS);
    x->elements += count;
    int rc = grow_arr(x, (void **)&x->m->init, &x->m->ninit, sizeof(onnx_tensor), ONNX_MAX_INITS);
    if (rc) return rc;
    onnx_tensor *t = &x->m->init[x->m->ninit - 1];
    t->dtype = f ? ONNX_FLOAT : ONNX_INT64;
    t->rank = rank;
    if (rank > 0) memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    t->count = count;
    if (!(t->name = str_dup(name))) return nomem(x);
    if (count) {
        if (f) {
            if (!(t->f = bex__malloc(count * sizeof *t->f))) return nomem(x);
            memcpy(t->f, f, count * sizeof *f);
        } else {
            if (!(t->i = bex__malloc(count * sizeof *t->i))) return nomem(x);
            memcpy(t->i, i, count * sizeof *i);
        }
    }
    return BEX_OK;
}

/* NHWC axis -> NCHW axis */
static const int to_nchw[4] = {0, 2, 3, 1};

/* The ONNX name of tensor ti as an operand (4-D: NCHW). A constant becomes an initializer
 * (4-D data transposed; `rank4` > 0 asks for a lower-rank constant broadcast against 4-D
 * tensors, so it is first given leading 1s, as TFLite broadcasts, then transposed). */
static int operand(tx *x, int ti, int rank4, char name[64]) {
    ttensor *t = &x->t[ti];
    snprintf(name, 64, "#%d", ti);
    if (!t->is_const) {
        if (!t->defined) return bad(&x->f, "tensor '%s' is read before it is computed", t->name);
        if (rank4 && t->rank != 4 && t->rank != 0) return bad(&x->f, "tensor '%s': broadcasting a rank-%d activation against 4-D ones is not supported", t->name, t->rank);
        return BEX_OK;
    }
    const float *cf = NULL;
    const int64_t *ci = NULL;
    int rc = (t->type == T_INT32 || t->type == T_INT64) ? const_ints(x, ti, &ci) : const_floats(x, ti, &cf);
    if (rc) return rc;
    snprintf(name, 64, "#%d.c%d", ti, x->uniq++);
    if (t->rank > 4) return bad(&x->f, "tensor '%s': a constant operand of rank %d", t->name, t->rank);
    if (t->rank < 4 && !rank4) return add_init(x, name, t->rank, t->dims, cf, ci);
    int64_t d[4] = {1, 1, 1, 1};
    for (int k = 0; k < t->rank; k++) d[4 - t->rank + k] = t->dims[k];
    int64_t od[4] = {d[0], d[3], d[1], d[2]};
    size_t n = t->count;
    float *tf = cf ? bex__malloc((n ? n : 1) * sizeof *tf) : NULL;
    int64_t *tiv = ci ? bex__malloc((n ? n : 1) * sizeof *tiv) : NULL;
    if ((cf && !tf) || (ci && !tiv)) { bex__free(tf); bex__free(tiv); return nomem(x); }
    for (int64_t a = 0; a < d[0]; a++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t xx = 0; xx < d[2]; xx++)
                for (int64_t c = 0; c < d[3]; c++) {
                    size_t src = (size_t)(((a * d[1] + y) * d[2] + xx) * d[3] + c);
                    size_t dst = (size_t)(((a * d[3] + c) * d[1] + y) * d[2] + xx);
                    if (tf) tf[dst] = cf[src];
                    else tiv[dst] = ci[src];
                }
    rc = add_init(x, name, 4, od, tf, tiv);
    bex__free(tf);
    bex__free(tiv);
    return rc;
}

/* the fused activation: src -> "#ti" (or only a rename through Identity) */
static int activation(tx *x, int act, const char *src, int ti) {
    char out[64];
    snprintf(out, sizeof out, "#%d", ti);
    onnx_node *n;
    int rc;
    switch (act) {
    case A_NONE: return add_node(x, "Identity", 1, &src, out, &n);
    case A_RELU: return add_node(x, "Relu", 1, &src, out, &n);
    case A_TANH: return add_node(x, "Tanh", 1, &src, out, &n);
    case A_RELU6: case A_RELU_N1_TO_1: {
        char lo[64], hi[64];
        snprintf(lo, sizeof lo, "#%d.lo", ti);
        snprintf(hi, sizeof hi, "#%d.hi", ti);
        float l = act == A_RELU6 ? 0.0f : -1.0f, h = act == A_RELU6 ? 6.0f : 1.0f;
        if ((rc = add_init(x, lo, 0, NULL, &l, NULL)) || (rc = add_init(x, hi, 0, NULL, &h, NULL))) return rc;
        const char *in[3] = {src, lo, hi};
        return add_node(x, "Clip", 3, in, out, &n);
    }
    default: return bad(&x->f, "fused activation %d is not supported", act);
    }
}

static int set_output(tx *x, int ti) {
    ttensor *t = &x->t[ti];
    if (t->defined || t->is_const) return bad(&x->f, "tensor '%s' is written twice (or is a constant)", t->name);
    t->defined = 1;
    return BEX_OK;
}

static int want_run(tx *x, int ti, int rank, const char *what) {
    ttensor *t = &x->t[ti];
    if (t->type != T_FLOAT32) return bad(&x->f, "tensor '%s' (%s): type %d (only float32 activations are supported)", t->name, what, t->type);
    if (rank >= 0 && t->rank != rank) return bad(&x->f, "tensor '%s' (%s): rank %d, expected %d", t->name, what, t->rank, rank);
    return BEX_OK;
}

static int padding_attr(tx *x, onnx_node *n, int64_t padding) {
    if (padding != 0 && padding != 1) return bad(&x->f, "padding %lld is not supported", (long long)padding);
    return attr_str(x, n, "auto_pad", padding == 0 ? "SAME_UPPER" : "VALID");
}

/* CONV_2D and DEPTHWISE_CONV_2D */
static int tr_conv(tx *x, const topr *o, int depthwise) {
    fb *f = &x->f;
    if (o->nin < 2 || o->nin > 3 || o->nout != 1) return bad(f, "%s: %d inputs, %d outputs", depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D", o->nin, o->nout);
    if (!o->has_opt || o->opt_type != (depthwise ? 2 : 1)) return bad(f, "%s without its options", depthwise ? "DEPTHWISE_CONV_2D" : "CONV_2D");
    int xi = o->in[0], wi = o->in[1], bi = o->nin > 2 ? o->in[2] : -1, yi = o->out[0];
    int rc;
    if ((rc = want_run(x, xi, 4, "convolution input")) || (rc = want_run(x, yi, 4, "convolution output"))) return rc;
    const tbl *p = &o->opt;
    int64_t padding = f_u8(f, p, 0, 0), sw = f_int(f, p, 1, 4, 0), sh = f_int(f, p, 2, 4, 0);
    int64_t mult = depthwise ? f_int(f, p, 3, 4, 0) : 1;
    int64_t act = f_u8(f, p, depthwise ? 4 : 3, 0);
    int64_t dw = f_int(f, p, depthwise ? 5 : 4, 4, 1), dh = f_int(f, p, depthwise ? 6 : 5, 4, 1);
    ttensor *W = &x->t[wi], *X = &x->t[xi];
    const float *w, *b = NULL;
    if ((rc = const_floats(x, wi, &w))) return rc;
    if (W->rank != 4) return bad(f, "weights '%s' of rank %d", W->name, W->rank);
    if (bi >= 0) {
        if ((rc = const_floats(x, bi, &b))) return rc;
    }
    const int64_t C = X->dims[3], kh = W->dims[1], kw = W->dims[2];
    int64_t M, od[4];
    if (depthwise) {
        M = W->dims[3];
        if (W->dims[0] != 1 || mult < 1 || M != C * mult) return bad(f, "depthwise weights '%s' do not fit %lld channels", W->name, (long long)C);
    } else {
        M = W->dims[0];
        if (W->dims[3] != C) return bad(f, "weights '%s' do not fit %lld channels (grouped convolutions are not supported)", W->name, (long long)C);
    }
    if (b && x->t[bi].count != (size_t)M) return bad(f, "a bias of %zu values for %lld channels", x->t[bi].count, (long long)M);
    /* OHWI (or 1HWC) -> OIHW */
    const int64_t I = depthwise ? 1 : C;
    od[0] = M, od[1] = I, od[2] = kh, od[3] = kw;
    float *t = bex__malloc(W->count ? W->count * sizeof *t : sizeof *t);
    if (!t) return nomem(x);
    for (int64_t m = 0; m < M; m++)
        for (int64_t i = 0; i < I; i++)
            for (int64_t y = 0; y < kh; y++)
                for (int64_t z = 0; z < kw; z++)
                    t[(size_t)(((m * I + i) * kh + y) * kw + z)] =
                        depthwise ? w[(size_t)((y * kw + z) * M + m)] : w[(size_t)(((m * kh + y) * kw + z) * C + i)];
    char wn[64], bn[64], xn[64], pre[64];
    snprintf(wn, sizeof wn, "#%d.w", yi);
    snprintf(bn, sizeof bn, "#%d.b", yi);
    snprintf(pre, sizeof pre, "#%d.pre", yi);
    rc = add_init(x, wn, 4, od, t, NULL);
    bex__free(t);
    if (rc) return rc;
    if (b && (rc = add_init(x, bn, 1, &M, b, NULL))) return rc;
    if ((rc = operand(x, xi, 0, xn))) return rc;
    const char *in[3] = {xn, wn, bn};
    onnx_node *n;
    if ((rc = add_node(x, "Conv", b ? 3 : 2, in, pre, &n))) return rc;
    const int64_t st[2] = {sh, sw}, dl[2] = {dh, dw};
    if ((rc = attr_ints(x, n, "strides", st, 2)) || (rc = attr_ints(x, n, "dilations", dl, 2)) ||
        (rc = padding_attr(x, n, padding)) || (rc = attr_int(x, n, "group", depthwise ? C : 1)))
        return rc;
    if ((rc = set_output(x, yi))) return rc;
    return activation(x, (int)act, pre, yi);
}

static int tr_add(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin != 2 || o->nout != 1) return bad(f, "ADD: %d inputs, %d outputs", o->nin, o->nout);
    int yi = o->out[0], rc;
    if ((rc = want_run(x, yi, -1, "ADD output"))) return rc;
    int64_t act = o->has_opt && o->opt_type == 11 ? f_u8(f, &o->opt, 0, 0) : 0;
    int r4 = x->t[yi].rank == 4;
    char a[64], b[64], pre[64];
    if ((rc = operand(x, o->in[0], r4, a)) || (rc = operand(x, o->in[1], r4, b))) return rc;
    snprintf(pre, sizeof pre, "#%d.pre", yi);
    const char *in[2] = {a, b};
    onnx_node *n;
    if ((rc = add_node(x, "Add", 2, in, pre, &n))) return rc;
    if ((rc = set_output(x, yi))) return rc;
    return activation(x, (int)act, pre, yi);
}

static int tr_maxpool(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin != 1 || o->nout != 1) return bad(f, "MAX_POOL_2D: %d inputs, %d outputs", o->nin, o->nout);
    if (!o->has_opt || o->opt_type != 5) return bad(f, "MAX_POOL_2D without its options");
    int xi = o->in[0], yi = o->out[0], rc;
    if ((rc = want_run(x, xi, 4, "pooling input")) || (rc = want_run(x, yi, 4, "pooling output"))) return rc;
    const tbl *p = &o->opt;
    int64_t padding = f_u8(f, p, 0, 0), sw = f_int(f, p, 1, 4, 0), sh = f_int(f, p, 2, 4, 0);
    int64_t fw = f_int(f, p, 3, 4, 0), fh = f_int(f, p, 4, 4, 0), act = f_u8(f, p, 5, 0);
    char xn[64], pre[64];
    if ((rc = operand(x, xi, 0, xn))) return rc;
    snprintf(pre, sizeof pre, "#%d.pre", yi);
    onnx_node *n;
    const char *in[1] = {xn};
    if ((rc = add_node(x, "MaxPool", 1, in, pre, &n))) return rc;
    const int64_t ks[2] = {fh, fw}, st[2] = {sh, sw};
    if ((rc = attr_ints(x, n, "kernel_shape", ks, 2)) || (rc = attr_ints(x, n, "strides", st, 2)) ||
        (rc = padding_attr(x, n, padding)))
        return rc;
    if ((rc = set_output(x, yi))) return rc;
    return activation(x, (int)act, pre, yi);
}

static int tr_pad(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin != 2 || o->nout != 1) return bad(f, "PAD: %d inputs, %d outputs", o->nin, o->nout);
    int xi = o->in[0], yi = o->out[0], rc;
    if ((rc = want_run(x, xi, -1, "PAD input")) || (rc = want_run(x, yi, -1, "PAD output"))) return rc;
    const int64_t *p;
    if ((rc = const_ints(x, o->in[1], &p))) return rc;
    const int r = x->t[xi].rank;
    if (x->t[o->in[1]].count != (size_t)(2 * r)) return bad(f, "PAD: %zu paddings for rank %d", x->t[o->in[1]].count, r);
    int64_t pads[2 * NN_GRAPH_MAX_RANK];
    for (int k = 0; k < r; k++) {
        int d = r == 4 ? to_nchw[k] : k;
        pads[d] = p[2 * k];
        pads[r + d] = p[2 * k + 1];
    }
    char xn[64], pn[64], yn[64];
    if ((rc = operand(x, xi, 0, xn))) return rc;
    snprintf(pn, sizeof pn, "#%d.pads", yi);
    snprintf(yn, sizeof yn, "#%d", yi);
    int64_t np = 2 * r;
    if ((rc = add_init(x, pn, 1, &np, NULL, pads))) return rc;
    const char *in[2] = {xn, pn};
    onnx_node *n;
    if ((rc = add_node(x, "Pad", 2, in, yn, &n))) return rc;
    return set_output(x, yi);
}

static int tr_relu(tx *x, const topr *o) {
    if (o->nin != 1 || o->nout != 1) return bad(&x->f, "RELU: %d inputs, %d outputs", o->nin, o->nout);
    int rc;
    char xn[64];
    if ((rc = want_run(x, o->out[0], -1, "RELU output")) || (rc = operand(x, o->in[0], 0, xn))) return rc;
    if ((rc = set_output(x, o->out[0]))) return rc;
    return activation(x, A_RELU, xn, o->out[0]);
}

static int tr_reshape(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin < 1 || o->nin > 2 || o->nout != 1) return bad(f, "RESHAPE: %d inputs, %d outputs", o->nin, o->nout);
    int xi = o->in[0], yi = o->out[0], rc;
    if ((rc = want_run(x, xi, -1, "RESHAPE input")) || (rc = want_run(x, yi, -1, "RESHAPE output"))) return rc;
    const ttensor *Y = &x->t[yi];
    int64_t shape[NN_GRAPH_MAX_RANK];
    for (int k = 0; k < Y->rank; k++) shape[k] = Y->dims[k]; /* the output's declared shape */
    char xn[64], src[64], sn[64], yn[64], pre[64];
    if ((rc = operand(x, xi, 0, xn))) return rc;
    onnx_node *n;
    strcpy(src, xn);
    if (x->t[xi].rank == 4) { /* back to TFLite's NHWC order first */
        snprintf(src, sizeof src, "#%d.nhwc", yi);
        const char *in[1] = {xn};
        static const int64_t perm[4] = {0, 2, 3, 1};
        if ((rc = add_node(x, "Transpose", 1, in, src, &n)) || (rc = attr_ints(x, n, "perm", perm, 4))) return rc;
    }
    snprintf(sn, sizeof sn, "#%d.shape", yi);
    snprintf(yn, sizeof yn, "#%d", yi);
    snprintf(pre, sizeof pre, "#%d.pre", yi);
    int64_t r = Y->rank;
    if ((rc = add_init(x, sn, 1, &r, NULL, shape))) return rc;
    const char *in[2] = {src, sn};
    if ((rc = add_node(x, "Reshape", 2, in, Y->rank == 4 ? pre : yn, &n)) || (rc = attr_int(x, n, "allowzero", 1))) return rc;
    if (Y->rank == 4) {
        const char *in1[1] = {pre};
        static const int64_t perm[4] = {0, 3, 1, 2};
        if ((rc = add_node(x, "Transpose", 1, in1, yn, &n)) || (rc = attr_ints(x, n, "perm", perm, 4))) return rc;
    }
    return set_output(x, yi);
}

static int tr_concat(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin < 1 || o->nout != 1) return bad(f, "CONCATENATION: %d inputs, %d outputs", o->nin, o->nout);
    if (!o->has_opt || o->opt_type != 10) return bad(f, "CONCATENATION without its options");
    int yi = o->out[0], rc;
    if ((rc = want_run(x, yi, -1, "CONCATENATION output"))) return rc;
    const int r = x->t[yi].rank;
    int64_t axis = f_int(f, &o->opt, 0, 4, 0), act = f_u8(f, &o->opt, 1, 0);
    if (axis < -r || axis >= r) return bad(f, "CONCATENATION: axis %lld for rank %d", (long long)axis, r);
    if (axis < 0) axis += r;
    if (r == 4) axis = to_nchw[axis];
    char names[TFL_MAX_OP_IO][64], pre[64];
    const char *in[TFL_MAX_OP_IO];
    for (int k = 0; k < o->nin; k++) {
        if (x->t[o->in[k]].rank != r) return bad(f, "CONCATENATION: inputs of different ranks");
        if ((rc = operand(x, o->in[k], 0, names[k]))) return rc;
        in[k] = names[k];
    }
    snprintf(pre, sizeof pre, "#%d.pre", yi);
    onnx_node *n;
    if ((rc = add_node(x, "Concat", o->nin, in, pre, &n)) || (rc = attr_int(x, n, "axis", axis))) return rc;
    if ((rc = set_output(x, yi))) return rc;
    return activation(x, (int)act, pre, yi);
}

static int tr_resize(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin != 2 || o->nout != 1) return bad(f, "RESIZE_BILINEAR: %d inputs, %d outputs", o->nin, o->nout);
    int xi = o->in[0], yi = o->out[0], rc;
    if ((rc = want_run(x, xi, 4, "RESIZE_BILINEAR input")) || (rc = want_run(x, yi, 4, "RESIZE_BILINEAR output"))) return rc;
    const int64_t *sz;
    if ((rc = const_ints(x, o->in[1], &sz))) return rc;
    if (x->t[o->in[1]].count != 2) return bad(f, "RESIZE_BILINEAR: a size of %zu values", x->t[o->in[1]].count);
    int64_t align = 0, half = 0;
    if (o->has_opt && o->opt_type == 15) {
        align = f_u8(f, &o->opt, 2, 0);
        half = f_u8(f, &o->opt, 3, 0);
    }
    if (align && half) return bad(f, "RESIZE_BILINEAR: align_corners with half_pixel_centers");
    const ttensor *X = &x->t[xi];
    int64_t sizes[4] = {X->dims[0], X->dims[3], sz[0], sz[1]}, four = 4;
    char xn[64], sn[64], yn[64];
    if ((rc = operand(x, xi, 0, xn))) return rc;
    snprintf(sn, sizeof sn, "#%d.sizes", yi);
    snprintf(yn, sizeof yn, "#%d", yi);
    if ((rc = add_init(x, sn, 1, &four, NULL, sizes))) return rc;
    const char *in[4] = {xn, "", "", sn};
    onnx_node *n;
    if ((rc = add_node(x, "Resize", 4, in, yn, &n)) || (rc = attr_str(x, n, "mode", "linear")) ||
        (rc = attr_str(x, n, "coordinate_transformation_mode", align ? "align_corners" : half ? "half_pixel" : "asymmetric")))
        return rc;
    return set_output(x, yi);
}

static int tr_dequantize(tx *x, const topr *o) {
    fb *f = &x->f;
    if (o->nin != 1 || o->nout != 1) return bad(f, "DEQUANTIZE: %d inputs, %d outputs", o->nin, o->nout);
    ttensor *a = &x->t[o->in[0]], *y = &x->t[o->out[0]];
    if (!a->is_const || a->type != T_FLOAT16) return bad(f, "DEQUANTIZE of '%s': only float16 constants are supported", a->name);
    if (y->type != T_FLOAT32 || y->count != a->count) return bad(f, "DEQUANTIZE to '%s': not float32 of the same size", y->name);
    if (y->is_const || y->defined) return bad(f, "tensor '%s' is written twice", y->name);
    const float *v;
    int rc = const_floats(x, o->in[0], &v);
    if (rc) return rc;
    if (!(y->cf = bex__malloc((y->count ? y->count : 1) * sizeof *y->cf))) return nomem(x);
    memcpy(y->cf, v, y->count * sizeof *v);
    y->is_const = 1;
    return BEX_OK;
}

/* ---------------------------------------------------------------- reading the file */

static int read_tensor(tx *x, size_t at, int i, const size_t *bufpos, size_t nbuf) {
    fb *f = &x->f;
    tbl t;
    int rc = table_at(f, at, &t, "tensor");
    if (rc) return rc;
    ttensor *T = &x->t[i];
    size_t p, n;
    if ((rc = vec(f, &t, 3, 1, ONNX_MAX_NAME, &p, &n, "tensor name"))) return rc;
    size_t cp = n < sizeof T->name - 1 ? n : sizeof T->name - 1;
    for (size_t k = 0; k < cp; k++) {
        char ch = (char)f->b[p + k];
        T->name[k] = ch >= 32 && ch < 127 ? ch : '?';
    }
    if (!n) snprintf(T->name, sizeof T->name, "#%d", i);
    if ((rc = vec(f, &t, 0, 4, NN_GRAPH_MAX_RANK + 1, &p, &n, "tensor shape"))) return rc;
    if (n > NN_GRAPH_MAX_RANK) return bad(f, "tensor '%s': rank above %d", T->name, NN_GRAPH_MAX_RANK);
    T->rank = (int)n;
    T->count = 1;
    for (size_t k = 0; k < n; k++) {
        int32_t d = rd_i32(f, p + 4 * k);
        if (d < 0 || (size_t)d > ONNX_MAX_ELEMENTS || !bex__mul_size(T->count, (size_t)d, &T->count) || T->count > ONNX_MAX_ELEMENTS)
            return bad(f, "tensor '%s': dimensions out of range (at most %zu elements, none unknown)", T->name, ONNX_MAX_ELEMENTS);
        T->dims[k] = d;
    }
    T->type = (int)f_u8(f, &t, 1, T_FLOAT32);
    size_t bp = field(f, &t, 2, 4);
    uint32_t b = bp ? rd_u32(f, bp) : 0;
    if (b >= nbuf) return bad(f, "tensor '%s': buffer %u of %zu", T->name, b, nbuf);
    if (field(f, &t, 6, 4)) return bad(f, "tensor '%s': sparse tensors are not supported", T->name);
    if (b > 0) {
        tbl bt;
        if ((rc = table_at(f, bufpos[b], &bt, "buffer"))) return rc;
        if ((rc = vec(f, &bt, 0, 1, ONNX_MAX_FILE, &p, &n, "buffer data"))) return rc;
        size_t op = field(f, &bt, 1, 8), sp = field(f, &bt, 2, 8);
        if (!n && op && sp) { /* data after the flatbuffer: offset from the file's start */
            uint64_t off, sz;
            memcpy(&off, f->b + op, 8);
            memcpy(&sz, f->b + sp, 8);
            if (off > 1 && (off > f->len || sz > f->len - off)) return bad(f, "tensor '%s': buffer outside the file", T->name);
            if (off > 1) { p = (size_t)off; n = (size_t)sz; }
        }
        if (n) {
            T->data = f->b + p;
            T->nbytes = n;
            T->is_const = 1;
        }
    }
    return BEX_OK;
}

static int read_op(tx *x, size_t at, const int *codes, const size_t *custom, const size_t *custom_len, size_t ncodes, topr *o) {
    fb *f = &x->f;
    tbl t;
    int rc = table_at(f, at, &t, "operator");
    if (rc) return rc;
    size_t ci = (size_t)(uint32_t)f_int(f, &t, 0, 4, 0);
    if (ci >= ncodes) return bad(f, "an operator with code index %zu of %zu", ci, ncodes);
    o->code = codes[ci];
    o->custom = custom[ci] ? (const char *)f->b + custom[ci] : NULL;
    o->custom_len = custom_len[ci];
    size_t p, n;
    for (int io = 0; io < 2; io++) {
        if ((rc = vec(f, &t, 1 + io, 4, TFL_MAX_OP_IO, &p, &n, io ? "operator outputs" : "operator inputs"))) return rc;
        int *dst = io ? o->out : o->in, cnt = 0;
        for (size_t k = 0; k < n; k++) {
            int32_t v = rd_i32(f, p + 4 * k);
            if (v == -1 && !io) continue; /* an omitted optional input (only trailing ones, here) */
            if (v < 0 || v >= x->ntensors) return bad(f, "an operator refers to tensor %d of %d", v, x->ntensors);
            dst[cnt++] = v;
        }
        if (io) o->nout = cnt;
        else o->nin = cnt;
    }
    o->opt_type = (int)f_u8(f, &t, 3, 0);
    o->has_opt = 0;
    if (field(f, &t, 4, 4)) {
        if ((rc = table_at(f, field(f, &t, 4, 4), &o->opt, "operator options"))) return rc;
        o->has_opt = 1;
    }
    return BEX_OK;
}

static int translate(tx *x) {
    fb *f = &x->f;
    if (f->len < 8 || memcmp(f->b + 4, "TFL3", 4)) return bad(f, "not a TFLite model (no TFL3 identifier)");
    tbl model;
    int rc = table_at(f, 0, &model, "model");
    if (rc) return rc;
    size_t p, n;
    /* operator codes */
    if ((rc = vec(f, &model, 1, 4, TFL_MAX_CODES, &p, &n, "operator codes"))) return rc;
    size_t ncodes = n;
    int *codes = bex__calloc(ncodes + 1, sizeof *codes);
    size_t *custom = bex__calloc(ncodes + 1, sizeof *custom), *custom_len = bex__calloc(ncodes + 1, sizeof *custom_len);
    size_t *bufpos = NULL;
    topr *o = NULL;
    if (!codes || !custom || !custom_len) { rc = nomem(x); goto done; }
    for (size_t k = 0; k < ncodes; k++) {
        tbl c;
        if ((rc = table_at(f, p + 4 * k, &c, "operator code"))) goto done;
        int64_t dep = f_int(f, &c, 0, 1, 0), bc = f_int(f, &c, 3, 4, 0);
        codes[k] = (int)(bc > dep ? bc : dep);
        size_t cp, cn;
        if ((rc = vec(f, &c, 1, 1, 256, &cp, &cn, "custom code"))) goto done;
        custom[k] = cp;
        custom_len[k] = cn;
    }
    /* buffers */
    if ((rc = vec(f, &model, 4, 4, TFL_MAX_BUFFERS, &p, &n, "buffers"))) goto done;
    size_t nbuf = n;
    if (!(bufpos = bex__calloc(nbuf + 1, sizeof *bufpos))) { rc = nomem(x); goto done; }
    for (size_t k = 0; k < nbuf; k++) bufpos[k] = p + 4 * k;
    /* the first subgraph */
    if ((rc = vec(f, &model, 2, 4, 1024, &p, &n, "subgraphs"))) goto done;
    if (n < 1) { rc = bad(f, "no subgraph"); goto done; }
    tbl sg;
    if ((rc = table_at(f, p, &sg, "subgraph"))) goto done;
    if ((rc = vec(f, &sg, 0, 4, TFL_MAX_TENSORS, &p, &n, "tensors"))) goto done;
    x->ntensors = (int)n;
    if (!(x->t = bex__calloc(n + 1, sizeof *x->t))) { rc = nomem(x); goto done; }
    for (size_t k = 0; k < n; k++)
        if ((rc = read_tensor(x, p + 4 * k, (int)k, bufpos, nbuf))) goto done;
    /* inputs: NHWC in, NCHW inside */
    onnx_model *m = x->m;
    m->opset = 13;
    size_t ip, in_n, op_, out_n;
    if ((rc = vec(f, &sg, 1, 4, ONNX_MAX_IO, &ip, &in_n, "subgraph inputs")) ||
        (rc = vec(f, &sg, 2, 4, ONNX_MAX_IO, &op_, &out_n, "subgraph outputs")))
        goto done;
    if (!(m->inputs = bex__calloc(in_n + 1, sizeof *m->inputs)) || !(m->outputs = bex__calloc(out_n + 1, sizeof *m->outputs))) {
        rc = nomem(x);
        goto done;
    }
    for (size_t k = 0; k < in_n; k++) {
        int32_t ti = rd_i32(f, ip + 4 * k);
        if (ti < 0 || ti >= x->ntensors) { rc = bad(f, "subgraph input %d of %d tensors", ti, x->ntensors); goto done; }
        ttensor *T = &x->t[ti];
        if (T->is_const || T->defined) { rc = bad(f, "input '%s' is a constant or listed twice", T->name); goto done; }
        if ((rc = want_run(x, ti, -1, "graph input"))) goto done;
        onnx_value_info *v = &m->inputs[m->ninputs++];
        char nm[80];
        snprintf(nm, sizeof nm, "%s", T->name);
        if (nm[0] == '#') snprintf(nm, sizeof nm, "input%zu", k);
        for (size_t j = 0; j + 1 < (size_t)m->ninputs; j++)
            if (!strcmp(m->inputs[j].name, nm)) snprintf(nm, sizeof nm, "input%zu", k);
        if (!(v->name = str_dup(nm))) { rc = nomem(x); goto done; }
        v->elem_type = ONNX_FLOAT;
        v->rank = T->rank;
        memcpy(v->dims, T->dims, sizeof v->dims);
        char yn[64];
        snprintf(yn, sizeof yn, "#%d", ti);
        onnx_node *nd;
        const char *src = v->name;
        if ((rc = add_node(x, T->rank == 4 ? "Transpose" : "Identity", 1, &src, yn, &nd))) goto done;
        static const int64_t perm[4] = {0, 3, 1, 2};
        if (T->rank == 4 && (rc = attr_ints(x, nd, "perm", perm, 4))) goto done;
        T->defined = 1;
    }
    /* operators */
    if ((rc = vec(f, &sg, 3, 4, TFL_MAX_OPS, &p, &n, "operators"))) goto done;
    if (!(o = bex__calloc(1, sizeof *o))) { rc = nomem(x); goto done; }
    for (size_t k = 0; k < n; k++) {
        if ((rc = read_op(x, p + 4 * k, codes, custom, custom_len, ncodes, o))) goto done;
        char buf[48];
        switch (o->code) {
        case OP_CONV_2D: rc = tr_conv(x, o, 0); break;
        case OP_DEPTHWISE_CONV_2D: rc = tr_conv(x, o, 1); break;
        case OP_ADD: rc = tr_add(x, o); break;
        case OP_MAX_POOL_2D: rc = tr_maxpool(x, o); break;
        case OP_PAD: rc = tr_pad(x, o); break;
        case OP_RELU: rc = tr_relu(x, o); break;
        case OP_RESHAPE: rc = tr_reshape(x, o); break;
        case OP_CONCATENATION: rc = tr_concat(x, o); break;
        case OP_RESIZE_BILINEAR: rc = tr_resize(x, o); break;
        case OP_DEQUANTIZE: rc = tr_dequantize(x, o); break;
        case OP_CUSTOM: {
            char cn[80] = "";
            size_t l = o->custom_len < 64 ? o->custom_len : 64;
            for (size_t j = 0; j < l; j++) cn[j] = o->custom[j] >= 32 && o->custom[j] < 127 ? o->custom[j] : '?';
            cn[l] = '\0';
            rc = bad(f, "operator %zu: custom operator '%s' is not supported", k, cn);
            break;
        }
        default: rc = bad(f, "operator %zu: %s is not supported", k, op_name(o->code, buf, sizeof buf));
        }
        if (rc) goto done;
    }
    /* outputs: back to NHWC */
    for (size_t k = 0; k < out_n; k++) {
        int32_t ti = rd_i32(f, op_ + 4 * k);
        if (ti < 0 || ti >= x->ntensors) { rc = bad(f, "subgraph output %d of %d tensors", ti, x->ntensors); goto done; }
        ttensor *T = &x->t[ti];
        if (!T->defined) { rc = bad(f, "output '%s' is not computed by the graph", T->name); goto done; }
        onnx_value_info *v = &m->outputs[m->noutputs++];
        char nm[80], src[64];
        snprintf(nm, sizeof nm, "%s", T->name);
        if (nm[0] == '#') snprintf(nm, sizeof nm, "output%zu", k);
        for (int j = 0; j < m->ninputs; j++)
            if (!strcmp(m->inputs[j].name, nm)) snprintf(nm, sizeof nm, "output%zu", k);
        for (size_t j = 0; j + 1 < (size_t)m->noutputs; j++)
            if (!strcmp(m->outputs[j].name, nm)) snprintf(nm, sizeof nm, "output%zu", k);
        if (!(v->name = str_dup(nm))) { rc = nomem(x); goto done; }
        v->elem_type = ONNX_FLOAT;
        v->rank = T->rank;
        memcpy(v->dims, T->dims, sizeof v->dims);
        snprintf(src, sizeof src, "#%d", ti);
        const char *s = src;
        onnx_node *nd;
        if ((rc = add_node(x, T->rank == 4 ? "Transpose" : "Identity", 1, &s, v->name, &nd))) goto done;
        static const int64_t perm[4] = {0, 2, 3, 1};
        if (T->rank == 4 && (rc = attr_ints(x, nd, "perm", perm, 4))) goto done;
    }
    rc = BEX_OK;
done:
    bex__free(codes);
    bex__free(custom);
    bex__free(custom_len);
    bex__free(bufpos);
    bex__free(o);
    return rc;
}

int tflite_parse(const uint8_t *data, size_t len, const char *what, onnx_model *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    tx x;
    memset(&x, 0, sizeof x);
    x.f = (fb){data, len, what, err, errlen};
    x.m = m;
    int rc = len > ONNX_MAX_FILE ? bad(&x.f, "%zu bytes, more than the limit of %zu", len, ONNX_MAX_FILE) : translate(&x);
    for (int k = 0; k < x.ntensors; k++) {
        bex__free(x.t[k].cf);
        bex__free(x.t[k].ci);
    }
    bex__free(x.t);
    if (rc != BEX_OK) onnx_model_free(m);
    return rc;
}

int nn_graph_load_tflite_mem(const void *data, size_t len, const nn_graph_options *opt, nn_graph **out,
                             char *err, size_t errlen) {
    if (!data || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_load_tflite_mem: NULL argument");
    onnx_model m;
    int rc = tflite_parse(data, len, "model", &m, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = nn_graph__load_parsed(&m, "model", opt, out, err, errlen);
    onnx_model_free(&m);
    return rc;
}

int nn_graph_load_tflite(const char *path, const nn_graph_options *opt, nn_graph **out, char *err,
                         size_t errlen) {
    if (!path || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_load_tflite: NULL argument");
    uint8_t *buf;
    size_t len;
    int rc = nn_graph__read_file(path, &buf, &len, err, errlen);
    if (rc != BEX_OK) return rc;
    onnx_model m;
    rc = tflite_parse(buf, len, path, &m, err, errlen);
    bex__free(buf); /* the translated model holds copies */
    if (rc != BEX_OK) return rc;
    rc = nn_graph__load_parsed(&m, path, opt, out, err, errlen);
    onnx_model_free(&m);
    return rc;
}
