/*
 * graph.c - runs an ONNX model (read by onnx.c) on nn's kernels.
 *
 * Load turns the node list into a list of steps with every shape fixed: constants and the
 * graph's shape arithmetic (Shape, Gather, Concat, Slice, Cast, ... on constants) are folded,
 * BatchNormalization after a Conv is folded into its weights, Relu / Clip(0, 6) after a Conv or
 * Gemm become its epilogue, Identity and Dropout are aliases. Each value that exists at run
 * time has a logical shape (ONNX's, row-major) and a physical layout: 4-D activations are kept
 * NHWC (element [n][c][y][x] at ((n * H + y) * W + x) * C + c) so that Conv runs on
 * nn_conv2d_ex / nn_depthwise_ex, everything else row-major. The generic operators
 * (broadcasting arithmetic, Concat, Transpose, Reshape, Slice, Pad, ReduceMean) walk logical
 * indices through per-layout strides, so they need no conversion; the few that need one
 * layout (Conv and pooling NHWC; Softmax, MatMul, Gemm, LpNormalization row-major) get a
 * conversion step. Buffers are assigned by liveness into one arena at load.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define GRAPH_HAVE_MXCSR 1
#endif

#include "nn/graph.h"
#include "nn/nn.h"
#include "nn/onnx.h"
#include "util/util.h"

/* the element-wise loops want -O3's vectoriser (GCC; clang vectorises at -O2) */
#if defined(__clang__)
#define GRAPH_O3
#else
#define GRAPH_O3 __attribute__((optimize("O3")))
#endif

#define MAXR NN_GRAPH_MAX_RANK
#define MAX_ACT_ELEMENTS ((size_t)1 << 28) /* per activation */
#define MAX_ARENA ((size_t)1 << 30)         /* floats, all activations together */

/* ---------------------------------------------------------------- values and steps */

enum { V_CONST = 1, V_RUN = 2, V_INPUT = 3 };

typedef struct val {
    const char *name; /* into the model during load; NULL afterwards */
    int kind;
    int rank;
    int64_t dims[MAXR];
    size_t count;
    int nhwc;     /* physical layout NHWC (rank 4 only) */
    int isint;    /* constants: data in i (else f) */
    float *f;     /* constant floats (owned) */
    int64_t *i;   /* constant integers (owned) */
    int def, last; /* run values: defining step, last step that reads it */
    int alt;      /* the same value in the other layout (a conversion step's output), or -1 */
    size_t off;   /* arena offset (floats) */
    float *d;     /* run data: into the arena, or the caller's input */
} val;

enum {
    S_CONV, S_DW, S_GCONV, S_GEMM, S_MATMUL, S_UNARY, S_BINARY, S_COPY, S_POOL, S_GPOOL,
    S_PAD, S_RESIZE, S_SOFTMAX, S_REDUCE, S_LPNORM, S_AFFINE
};
enum { U_RELU, U_LEAKY, U_CLIP, U_SIGMOID, U_HSWISH, U_HSIGMOID, U_TANH };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_PRELU };

typedef struct step {
    int op;
    int in[3], nin, out;
    nn_act act;
    /* convolutions */
    nn_conv conv;
    nn_dwconv dw;
    nn_conv_geom geom;
    int groups, kh, kw, cin, cout;
    float *gw, *gb; /* S_GCONV: [cout][cin / groups][kh][kw], [cout] */
    /* gemm: packed weights */
    const nn_kernel *kernel;
    float *packed;
    int M, N, K;
    /* unary / binary / pooling parameters */
    int uop;
    float a, b;
    int kind, incl_pad, pk_h, pk_w, ps_h, ps_w, pp_t, pp_l, pp_b, pp_r;
    /* strided walks: nd dims, strides of up to three operands (in units of floats) */
    int nd;
    int64_t dims[MAXR], s0[MAXR], s1[MAXR], s2[MAXR];
    int64_t off0, off1, off2;
    /* reshape-like copy with two shapes */
    int nd2;
    int64_t dims2[MAXR], t2[MAXR];
    /* concat: per-input offsets */
    /* pad */
    int64_t pb[MAXR];
    int padmode;
    /* resize: source rows / columns and weights */
    int *ry0, *ry1, *rx0, *rx1;
    float *rly, *rlx;
    int linear;
    /* softmax / lpnorm / affine */
    size_t outer, n, inner;
    float *scale, *shift;
} step;

struct nn_graph {
    int nvals, capvals;
    val *v;
    int nsteps, capsteps;
    step *s;
    int nin, nout;
    int *in_idx, *out_idx;
    char **in_names, **out_names;
    nn_graph_info *in_info, *out_info;
    float *arena;
    size_t arena_floats;
    float *scratch;
    size_t scratch_floats;
    int keep_denormals;
};

/* ---------------------------------------------------------------- load context */

typedef struct ctx {
    nn_graph *g;
    const onnx_model *m;
    const char *what;
    char *err;
    size_t errlen;
    int64_t batch;
    /* name -> value: open addressing */
    const char **hkeys;
    int *hvals;
    size_t hcap;
    const char **ckeys; /* name -> how many node inputs and graph outputs read it */
    int *cvals;
    int *uses; /* per value: the reads of all names bound to it */
    const onnx_node *node; /* for messages */
} ctx;

static int fail(ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->node)
        return bex__fail(c->err, c->errlen, status, "%s: node '%s' (%s): %s", c->what,
                         c->node->name, c->node->op, msg);
    return bex__fail(c->err, c->errlen, status, "%s: %s", c->what, msg);
}
#define REFUSE(...) fail(c, BEX_ERR_MODEL, __VA_ARGS__)
#define NOMEM() fail(c, BEX_ERR_NOMEM, "out of memory")

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int lookup(const ctx *c, const char *name) {
    for (size_t k = hash_str(name) & (c->hcap - 1);; k = (k + 1) & (c->hcap - 1)) {
        if (!c->hkeys[k]) return -1;
        if (!strcmp(c->hkeys[k], name)) return c->hvals[k];
    }
}

/* the slot of name in the read counts (inserted if absent and add) */
static int *reads(ctx *c, const char *name, int add) {
    size_t k = hash_str(name) & (c->hcap - 1);
    for (; c->ckeys[k]; k = (k + 1) & (c->hcap - 1))
        if (!strcmp(c->ckeys[k], name)) return &c->cvals[k];
    if (!add) return NULL;
    c->ckeys[k] = name;
    c->cvals[k] = 0;
    return &c->cvals[k];
}

static int bind(ctx *c, const char *name, int vi) {
    if (!name[0]) return BEX_OK;
    const int *r = reads(c, name, 0);
    if (r) c->uses[vi] += *r;
    size_t k = hash_str(name) & (c->hcap - 1);
    for (; c->hkeys[k]; k = (k + 1) & (c->hcap - 1))
        if (!strcmp(c->hkeys[k], name)) return REFUSE("'%s' is defined twice", name);
    c->hkeys[k] = name;
    c->hvals[k] = vi;
    return BEX_OK;
}

static int new_val(ctx *c, int kind, int rank, const int64_t *dims) {
    nn_graph *g = c->g;
    if (g->nvals == g->capvals) {
        int cap = g->capvals ? g->capvals * 2 : 64;
        val *p = bex__realloc(g->v, (size_t)cap * sizeof *p);
        int *u = bex__realloc(c->uses, (size_t)cap * sizeof *u);
        if (u) c->uses = u;
        if (!p || !u) {
            if (p) g->v = p;
            return -1;
        }
        g->v = p;
        g->capvals = cap;
    }
    val *v = &g->v[g->nvals];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->rank = rank;
    v->count = 1;
    for (int k = 0; k < rank; k++) {
        v->dims[k] = dims[k];
        v->count *= (size_t)dims[k]; /* checked by the callers */
    }
    v->def = -1;
    v->last = -1;
    v->alt = -1;
    c->uses[g->nvals] = 0;
    return g->nvals++;
}

/* checks a shape's element count against the caps; returns BEX_OK or a refusal */
static int check_shape(ctx *c, int rank, const int64_t *dims) {
    if (rank < 0 || rank > MAXR) return REFUSE("rank %d (at most %d)", rank, MAXR);
    size_t n = 1;
    for (int k = 0; k < rank; k++)
        if (dims[k] < 0 || !bex__mul_size(n, (size_t)dims[k], &n) || n > MAX_ACT_ELEMENTS)
            return REFUSE("a tensor of more than %zu elements or a negative dimension", MAX_ACT_ELEMENTS);
    return BEX_OK;
}

/* a new run value (output of a step); -1 with a refusal / nomem message */
static int new_run(ctx *c, int rank, const int64_t *dims, int nhwc, int *out) {
    int rc = check_shape(c, rank, dims);
    if (rc) return rc;
    int vi = new_val(c, V_RUN, rank, dims);
    if (vi < 0) return NOMEM();
    c->g->v[vi].nhwc = nhwc && rank == 4;
    *out = vi;
    return BEX_OK;
}

static int new_const(ctx *c, int rank, const int64_t *dims, int isint, int *out) {
    int rc = check_shape(c, rank, dims);
    if (rc) return rc;
    int vi = new_val(c, V_CONST, rank, dims);
    if (vi < 0) return NOMEM();
    val *v = &c->g->v[vi];
    v->isint = isint;
    size_t n = v->count ? v->count : 1;
    if (isint) v->i = bex__calloc(n, sizeof(int64_t));
    else v->f = bex__calloc(n, sizeof(float));
    if (!v->i && !v->f) return NOMEM();
    *out = vi;
    return BEX_OK;
}

static int is_float_type_dt(int dt) {
    return dt == ONNX_FLOAT || dt == ONNX_FLOAT16 || dt == ONNX_DOUBLE;
}

/* a double as int64, saturating (NaN as 0): no undefined conversion on hostile values */
static int64_t to_i64(double d) {
    if (!(d == d)) return 0;
    if (d >= 9.2e18) return (int64_t)9.2e18;
    if (d <= -9.2e18) return -(int64_t)9.2e18;
    return (int64_t)d;
}

static double cget(const val *v, size_t k) { return v->isint ? (double)v->i[k] : (double)v->f[k]; }

static int new_step(ctx *c, int op, int *si) {
    nn_graph *g = c->g;
    if (g->nsteps == g->capsteps) {
        int cap = g->capsteps ? g->capsteps * 2 : 64;
        step *p = bex__realloc(g->s, (size_t)cap * sizeof *p);
        if (!p) return NOMEM();
        g->s = p;
        g->capsteps = cap;
    }
    step *s = &g->s[g->nsteps];
    memset(s, 0, sizeof *s);
    s->op = op;
    s->in[0] = s->in[1] = s->in[2] = -1;
    s->out = -1;
    *si = g->nsteps++;
    return BEX_OK;
}

static void step_free(step *s) {
    nn_conv_free(&s->conv);
    nn_dwconv_free(&s->dw);
    bex__free(s->gw);
    bex__free(s->gb);
    bex__free_aligned(s->packed);
    bex__free(s->ry0);
    bex__free(s->ry1);
    bex__free(s->rx0);
    bex__free(s->rx1);
    bex__free(s->rly);
    bex__free(s->rlx);
    bex__free(s->scale);
    bex__free(s->shift);
}

/* logical strides of a value in its physical layout */
static void strides_of(const val *v, int64_t *st) {
    if (v->nhwc) {
        const int64_t C = v->dims[1], H = v->dims[2], W = v->dims[3];
        st[0] = H * W * C;
        st[1] = 1;
        st[2] = W * C;
        st[3] = C;
        return;
    }
    int64_t s = 1;
    for (int k = v->rank - 1; k >= 0; k--) {
        st[k] = s;
        s *= v->dims[k];
    }
}

/* ---------------------------------------------------------------- attributes */

static const onnx_attr *attr(const onnx_node *n, const char *name) {
    for (int k = 0; k < n->nattr; k++)
        if (!strcmp(n->attr[k].name, name)) return &n->attr[k];
    return NULL;
}
static int64_t attr_i(const onnx_node *n, const char *name, int64_t def) {
    const onnx_attr *a = attr(n, name);
    return a ? a->i : def;
}
static float attr_f(const onnx_node *n, const char *name, float def) {
    const onnx_attr *a = attr(n, name);
    return a ? a->f : def;
}
static const char *attr_s(const onnx_node *n, const char *name, const char *def) {
    const onnx_attr *a = attr(n, name);
    return a && a->s ? a->s : def;
}
static const int64_t *attr_ints(const onnx_node *n, const char *name, size_t *cnt) {
    const onnx_attr *a = attr(n, name);
    *cnt = a ? a->nints : 0;
    return a ? a->ints : NULL;
}

/* ---------------------------------------------------------------- node inputs */

/* the value of node input k (-1 if absent or empty) */
static int in_val(ctx *c, int k) {
    if (k >= c->node->nin || !c->node->in[k][0]) return -1;
    return lookup(c, c->node->in[k]);
}

static int is_const(ctx *c, int vi) { return vi >= 0 && c->g->v[vi].kind == V_CONST; }

/* input k as a constant integer list (refusal if not) */
static int const_ints(ctx *c, int k, const char *what, int64_t *out, int *n, int max) {
    int vi = in_val(c, k);
    if (vi < 0 || !is_const(c, vi)) return REFUSE("%s must be a constant", what);
    const val *v = &c->g->v[vi];
    if (v->rank > 1 || v->count > (size_t)max) return REFUSE("%s: more than %d values", what, max);
    for (size_t j = 0; j < v->count; j++) {
        double d = cget(v, j);
        out[j] = v->isint ? v->i[j] : to_i64(d);
    }
    *n = (int)v->count;
    return BEX_OK;
}

static int norm_axis(ctx *c, int64_t a, int rank, int *out) {
    if (rank < 1 || a < -rank || a >= rank) return REFUSE("axis %lld out of range for rank %d", (long long)a, rank);
    *out = (int)(a < 0 ? a + rank : a);
    return BEX_OK;
}

/* ---------------------------------------------------------------- layout conversion */

static int add_copy_step(ctx *c, int src, int dst);

/* vi in the requested layout (nhwc 1 / row-major 0): itself or a converted copy */
static int want_layout(ctx *c, int vi, int nhwc, int *out) {
    val *v = &c->g->v[vi];
    if (v->kind == V_CONST || v->rank != 4 || v->nhwc == nhwc) {
        *out = vi;
        return BEX_OK;
    }
    if (v->alt >= 0) {
        *out = v->alt;
        return BEX_OK;
    }
    int64_t dims[MAXR];
    memcpy(dims, v->dims, sizeof dims);
    int ni, rc = new_run(c, 4, dims, nhwc, &ni);
    if (rc) return rc;
    if ((rc = add_copy_step(c, vi, ni))) return rc;
    c->g->v[vi].alt = ni;
    c->g->v[ni].alt = vi;
    *out = ni;
    return BEX_OK;
}

/* marks a run value as read by step si */
static void use(nn_graph *g, int vi, int si) {
    if (vi >= 0 && g->v[vi].last < si) g->v[vi].last = si;
}

/* drops dims of size 1 and merges neighbours contiguous in all stride arrays (ns of them) */
static void simplify(int *nd, int64_t *dims, int64_t **st, int ns) {
    int o = 0;
    for (int k = 0; k < *nd; k++) {
        if (dims[k] == 1) continue;
        if (o > 0) {
            int merge = 1;
            for (int j = 0; j < ns; j++)
                if (st[j][o - 1] != st[j][k] * dims[k]) merge = 0;
            if (merge) {
                dims[o - 1] *= dims[k];
                for (int j = 0; j < ns; j++) st[j][o - 1] = st[j][k];
                continue;
            }
        }
        dims[o] = dims[k];
        for (int j = 0; j < ns; j++) st[j][o] = st[j][k];
        o++;
    }
    if (o == 0) {
        dims[0] = 1;
        for (int j = 0; j < ns; j++) st[j][0] = 0;
        o = 1;
    }
    *nd = o;
}

/* orders the walk physically for an NHWC output: logical (n, c, h, w) -> (n, h, w, c) */
static void walk_order(const val *out, int nd, int64_t *dims, int64_t **st, int ns) {
    if (!out->nhwc || nd != 4) return;
    static const int perm[4] = {0, 2, 3, 1};
    int64_t t[4];
    for (int k = 0; k < 4; k++) t[k] = dims[perm[k]];
    memcpy(dims, t, sizeof t);
    for (int j = 0; j < ns; j++) {
        for (int k = 0; k < 4; k++) t[k] = st[j][perm[k]];
        memcpy(st[j], t, sizeof t);
    }
}

/* a strided copy: dst[walk] = src[walk] over the output's logical dims, src strides given */
static int add_strided_copy(ctx *c, int src, const int64_t *sst, int64_t soff, int dst, int64_t doff,
                            int nd, const int64_t *dims) {
    int si, rc = new_step(c, S_COPY, &si);
    if (rc) return rc;
    step *s = &c->g->s[si];
    s->in[0] = src;
    s->nin = 1;
    s->out = dst;
    s->nd = nd;
    int64_t dstst[MAXR];
    strides_of(&c->g->v[dst], dstst);
    for (int k = 0; k < nd; k++) {
        s->dims[k] = dims[k];
        s->s0[k] = sst[k];
        s->s2[k] = dstst[k];
    }
    s->off0 = soff;
    s->off2 = doff;
    s->nd2 = 0;
    int64_t *st[2] = {s->s0, s->s2};
    walk_order(&c->g->v[dst], s->nd, s->dims, st, 2);
    simplify(&s->nd, s->dims, st, 2);
    return BEX_OK;
}

/* dst = src with another shape or layout, same logical row-major order of elements */
static int add_copy_step(ctx *c, int src, int dst) {
    val *a = &c->g->v[src], *b = &c->g->v[dst];
    int64_t sa[MAXR], sb[MAXR];
    strides_of(a, sa);
    strides_of(b, sb);
    if (a->rank == b->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank))
        return add_strided_copy(c, src, sa, 0, dst, 0, a->rank, a->dims);
    /* different shapes: walk the source's dims and the destination's at once */
    int si, rc = new_step(c, S_COPY, &si);
    if (rc) return rc;
    step *s = &c->g->s[si];
    s->in[0] = src;
    s->nin = 1;
    s->out = dst;
    s->nd = a->rank;
    memcpy(s->dims, a->dims, sizeof s->dims);
    memcpy(s->s0, sa, sizeof sa);
    s->nd2 = b->rank;
    memcpy(s->dims2, b->dims, sizeof s->dims2);
    memcpy(s->t2, sb, sizeof sb);
    int64_t *st0[1] = {s->s0}, *st1[1] = {s->t2};
    simplify(&s->nd, s->dims, st0, 1);
    simplify(&s->nd2, s->dims2, st1, 1);
    return BEX_OK;
}

/* ---------------------------------------------------------------- broadcasting */

/* the broadcast of shapes a and b (numpy rules) */
static int broadcast(ctx *c, const val *a, const val *b, int *rank, int64_t *dims) {
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int k = 0; k < r; k++) {
        int ka = k - (r - a->rank), kb = k - (r - b->rank);
        int64_t da = ka >= 0 ? a->dims[ka] : 1, db = kb >= 0 ? b->dims[kb] : 1;
        if (da != db && da != 1 && db != 1)
            return REFUSE("shapes do not broadcast (%lld against %lld)", (long long)da, (long long)db);
        dims[k] = da == 1 ? db : da;
    }
    *rank = r;
    return BEX_OK;
}

/* strides of v seen through the broadcast to rank r / dims (0 along broadcast axes) */
static void bstrides(const val *v, int r, const int64_t *dims, int64_t *out) {
    int64_t st[MAXR];
    strides_of(v, st);
    for (int k = 0; k < r; k++) {
        int kv = k - (r - v->rank);
        out[k] = kv >= 0 && v->dims[kv] == dims[k] && dims[k] != 1 ? st[kv] : 0;
    }
}

/* ---------------------------------------------------------------- constant folding */

static double bin1(int op, double x, double y, int isint) {
    switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    default:
        if (isint) {
            const int64_t a = to_i64(x), b = to_i64(y);
            return b != 0 && !(a == INT64_MIN && b == -1) ? (double)(a / b) : 0;
        }
        return x / y;
    }
}

static void cset(val *v, size_t k, double d) {
    if (v->isint) {
        v->i[k] = to_i64(d);
    } else
        v->f[k] = (float)d;
}

/* odometer: advances idx over dims (row-major); returns 0 when done */
static int odo_next(int nd, const int64_t *dims, int64_t *idx) {
    for (int k = nd - 1; k >= 0; k--) {
        if (++idx[k] < dims[k]) return 1;
        idx[k] = 0;
    }
    return 0;
}

static int fold_binary(ctx *c, int op, int a, int b, int *out) {
    int r;
    int64_t dims[MAXR], sa[MAXR], sb[MAXR], idx[MAXR] = {0};
    int rc = broadcast(c, &c->g->v[a], &c->g->v[b], &r, dims);
    if (rc) return rc;
    const int isint = c->g->v[a].isint && c->g->v[b].isint;
    if ((rc = new_const(c, r, dims, isint, out))) return rc;
    val *va = &c->g->v[a], *vb = &c->g->v[b], *vo = &c->g->v[*out];
    bstrides(va, r, dims, sa);
    bstrides(vb, r, dims, sb);
    for (size_t k = 0; k < vo->count; k++) {
        size_t oa = 0, ob = 0;
        for (int j = 0; j < r; j++) {
            oa += (size_t)(idx[j] * sa[j]);
            ob += (size_t)(idx[j] * sb[j]);
        }
        cset(vo, k, bin1(op, cget(va, oa), cget(vb, ob), isint));
        odo_next(r, dims, idx);
    }
    return BEX_OK;
}

/* copies constant src into a new constant of another shape (same element order) */
static int fold_reshape(ctx *c, int src, int rank, const int64_t *dims, int *out) {
    int rc = new_const(c, rank, dims, c->g->v[src].isint, out);
    if (rc) return rc;
    val *a = &c->g->v[src], *o = &c->g->v[*out];
    if (o->count != a->count) return REFUSE("cannot reshape %zu elements to %zu", a->count, o->count);
    if (a->count) {
        if (a->isint) memcpy(o->i, a->i, a->count * sizeof *o->i);
        else memcpy(o->f, a->f, a->count * sizeof *o->f);
    }
    return BEX_OK;
}

/* the output shape of Reshape given the target list (0 copies, -1 infers) */
static int reshape_dims(ctx *c, const val *x, const int64_t *t, int n, int allowzero, int64_t *dims) {
    if (n > MAXR) return REFUSE("rank above %d", MAXR);
    int infer = -1;
    size_t known = 1;
    for (int k = 0; k < n; k++) {
        int64_t d = t[k];
        if (d == 0 && !allowzero) {
            if (k >= x->rank) return REFUSE("a 0 in the shape past the input's rank");
            d = x->dims[k];
        }
        if (d == -1) {
            if (infer >= 0) return REFUSE("two -1 in the shape");
            infer = k;
            d = 1;
        } else if (d < 0)
            return REFUSE("a negative dimension in the shape");
        if (!bex__mul_size(known, (size_t)d, &known) || known > MAX_ACT_ELEMENTS)
            return REFUSE("the shape is too large");
        dims[k] = d;
    }
    if (infer >= 0) {
        if (known == 0 || x->count % known) return REFUSE("cannot infer the -1 of the shape");
        dims[infer] = (int64_t)(x->count / known);
    } else if (known != x->count)
        return REFUSE("cannot reshape %zu elements to %zu", x->count, known);
    return BEX_OK;
}

/* the output shape of Unsqueeze / Squeeze / Flatten */
static int unsqueeze_dims(ctx *c, const val *x, const int64_t *ax, int nax, int *rank, int64_t *dims) {
    int r = x->rank + nax;
    if (r > MAXR) return REFUSE("rank above %d", MAXR);
    int mark[MAXR] = {0};
    for (int k = 0; k < nax; k++) {
        int a = 0;
        int rc = norm_axis(c, ax[k], r, &a);
        if (rc) return rc;
        if (mark[a]) return REFUSE("an axis twice");
        mark[a] = 1;
    }
    for (int k = 0, j = 0; k < r; k++) dims[k] = mark[k] ? 1 : x->dims[j++];
    *rank = r;
    return BEX_OK;
}

static int squeeze_dims(ctx *c, const val *x, const int64_t *ax, int nax, int *rank, int64_t *dims) {
    int mark[MAXR] = {0};
    for (int k = 0; k < nax; k++) {
        int a = 0;
        int rc = norm_axis(c, ax[k], x->rank, &a);
        if (rc) return rc;
        if (x->dims[a] != 1) return REFUSE("squeezing an axis of size %lld", (long long)x->dims[a]);
        mark[a] = 1;
    }
    int r = 0;
    for (int k = 0; k < x->rank; k++)
        if (!(nax ? mark[k] : x->dims[k] == 1)) dims[r++] = x->dims[k];
    *rank = r;
    return BEX_OK;
}

/* Slice's per-axis start and step and the output dims (constant starts / ends / axes / steps) */
static int slice_params(ctx *c, const val *x, int64_t *start, int64_t *stepv, int64_t *dims) {
    int64_t st[MAXR], en[MAXR], ax[MAXR], sp[MAXR];
    int ns, ne, na = 0, np = 0, rc;
    const onnx_node *n = c->node;
    if (c->m->opset < 10) {
        size_t a, b, d;
        const int64_t *p = attr_ints(n, "starts", &a), *q = attr_ints(n, "ends", &b), *r = attr_ints(n, "axes", &d);
        if (a > MAXR || b != a || d > MAXR) return REFUSE("bad starts / ends / axes");
        memcpy(st, p, a * sizeof *st);
        memcpy(en, q, b * sizeof *en);
        if (d) memcpy(ax, r, d * sizeof *ax);
        ns = ne = (int)a;
        na = (int)d;
    } else {
        if ((rc = const_ints(c, 1, "starts", st, &ns, MAXR))) return rc;
        if ((rc = const_ints(c, 2, "ends", en, &ne, MAXR))) return rc;
        if (in_val(c, 3) >= 0 && (rc = const_ints(c, 3, "axes", ax, &na, MAXR))) return rc;
        if (in_val(c, 4) >= 0 && (rc = const_ints(c, 4, "steps", sp, &np, MAXR))) return rc;
        if (ne != ns || (na && na != ns) || (np && np != ns)) return REFUSE("starts, ends, axes and steps differ in length");
    }
    for (int k = 0; k < x->rank; k++) {
        start[k] = 0;
        stepv[k] = 1;
        dims[k] = x->dims[k];
    }
    int seen[MAXR] = {0};
    for (int k = 0; k < ns; k++) {
        int a = 0;
        if ((rc = norm_axis(c, na ? ax[k] : k, x->rank, &a))) return rc;
        if (seen[a]++) return REFUSE("an axis twice");
        int64_t d = x->dims[a], s = st[k], e = en[k], p = np ? sp[k] : 1;
        if (p == 0) return REFUSE("a step of 0");
        if (s < 0) s += d;
        if (e < 0) e += d;
        if (p > 0) {
            s = s < 0 ? 0 : s > d ? d : s;
            e = e < 0 ? 0 : e > d ? d : e;
            dims[a] = e > s ? (e - s + p - 1) / p : 0;
        } else {
            s = s < 0 ? -1 : s > d - 1 ? d - 1 : s;
            e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
            dims[a] = s > e ? (s - e + (-p) - 1) / (-p) : 0;
        }
        start[a] = s;
        stepv[a] = p;
    }
    return BEX_OK;
}

/* Gather on constants (any axis, constant indices) */
static int fold_gather(ctx *c, int x, int ind, int *out) {
    const val *vx = &c->g->v[x], *vi = &c->g->v[ind];
    int axis = 0, rc = norm_axis(c, attr_i(c->node, "axis", 0), vx->rank, &axis);
    if (rc) return rc;
    int r = vx->rank - 1 + vi->rank;
    if (r > MAXR) return REFUSE("rank above %d", MAXR);
    int64_t dims[MAXR];
    int k = 0;
    for (int j = 0; j < axis; j++) dims[k++] = vx->dims[j];
    for (int j = 0; j < vi->rank; j++) dims[k++] = vi->dims[j];
    for (int j = axis + 1; j < vx->rank; j++) dims[k++] = vx->dims[j];
    if ((rc = new_const(c, r, dims, vx->isint, out))) return rc;
    vx = &c->g->v[x];
    vi = &c->g->v[ind];
    val *vo = &c->g->v[*out];
    size_t outer = 1, inner = 1, ax = (size_t)vx->dims[axis];
    for (int j = 0; j < axis; j++) outer *= (size_t)vx->dims[j];
    for (int j = axis + 1; j < vx->rank; j++) inner *= (size_t)vx->dims[j];
    size_t o = 0;
    for (size_t a = 0; a < outer; a++)
        for (size_t q = 0; q < vi->count; q++) {
            int64_t id = vi->isint ? vi->i[q] : to_i64(cget(vi, q));
            if (id < 0) id += (int64_t)ax;
            if (id < 0 || (size_t)id >= ax) return REFUSE("an index out of range");
            for (size_t b = 0; b < inner; b++, o++) cset(vo, o, cget(vx, (a * ax + (size_t)id) * inner + b));
        }
    return BEX_OK;
}

/* a constant in a new value computed by walking src through strides (transpose, slice) */
static int fold_walk(ctx *c, int src, int rank, const int64_t *dims, const int64_t *st, int64_t off, int *out) {
    int rc = new_const(c, rank, dims, c->g->v[src].isint, out);
    if (rc) return rc;
    val *a = &c->g->v[src], *o = &c->g->v[*out];
    int64_t idx[MAXR] = {0};
    for (size_t k = 0; k < o->count; k++) {
        int64_t p = off;
        for (int j = 0; j < rank; j++) p += idx[j] * st[j];
        cset(o, k, cget(a, (size_t)p));
        odo_next(rank, dims, idx);
    }
    return BEX_OK;
}

/* ---------------------------------------------------------------- building steps */

/* a constant's floats (integer constants get a float copy) */
static int as_float(ctx *c, int vi) {
    val *v = &c->g->v[vi];
    if (v->f) return BEX_OK;
    v->f = bex__malloc((v->count ? v->count : 1) * sizeof(float));
    if (!v->f) return NOMEM();
    for (size_t k = 0; k < v->count; k++) v->f[k] = (float)v->i[k];
    return BEX_OK;
}

static int add_binary(ctx *c, int op, int a, int b, int *out) {
    int r, rc;
    int64_t dims[MAXR];
    if (is_const(c, a) && (rc = as_float(c, a))) return rc;
    if (is_const(c, b) && (rc = as_float(c, b))) return rc;
    if ((rc = broadcast(c, &c->g->v[a], &c->g->v[b], &r, dims))) return rc;
    if ((rc = new_run(c, r, dims, 1, out))) return rc;
    int si;
    if ((rc = new_step(c, S_BINARY, &si))) return rc;
    step *s = &c->g->s[si];
    s->kind = op;
    s->in[0] = a;
    s->in[1] = b;
    s->nin = 2;
    s->out = *out;
    s->nd = r;
    memcpy(s->dims, dims, sizeof dims);
    bstrides(&c->g->v[a], r, dims, s->s0);
    bstrides(&c->g->v[b], r, dims, s->s1);
    strides_of(&c->g->v[*out], s->s2);
    int64_t *st[3] = {s->s0, s->s1, s->s2};
    walk_order(&c->g->v[*out], s->nd, s->dims, st, 3);
    simplify(&s->nd, s->dims, st, 3);
    c->g->v[*out].def = si;
    return BEX_OK;
}

static int add_unary(ctx *c, int uop, float a, float b, int x, int *out) {
    const val *v = &c->g->v[x];
    int64_t dims[MAXR];
    memcpy(dims, v->dims, sizeof dims);
    int rc = new_run(c, v->rank, dims, c->g->v[x].nhwc, out);
    if (rc) return rc;
    int si;
    if ((rc = new_step(c, S_UNARY, &si))) return rc;
    step *s = &c->g->s[si];
    s->uop = uop;
    s->a = a;
    s->b = b;
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    c->g->v[*out].def = si;
    return BEX_OK;
}

/* the step that produced run value x, if x can take an epilogue or a folded affine */
static step *fusable(ctx *c, int x) {
    const val *v = &c->g->v[x];
    if (v->kind != V_RUN || v->def < 0 || c->uses[x] != 1) return NULL;
    step *s = &c->g->s[v->def];
    if (s->out != x || s->act != NN_ACT_NONE) return NULL;
    if (s->op == S_CONV || s->op == S_DW || s->op == S_GCONV || s->op == S_GEMM || s->op == S_BINARY) return s;
    return NULL;
}

/* pads and output size along one axis; auto_pad as ONNX */
static int conv_axis(ctx *c, const char *ap, int64_t in, int64_t k, int64_t s, int64_t d, int64_t *pb,
                     int64_t *pe, int64_t *out) {
    const int64_t ek = (k - 1) * d + 1;
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ek - in;
        if (total < 0) total = 0;
        *pb = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
        *pe = total - *pb;
    } else if (!strcmp(ap, "VALID")) {
        *pb = *pe = 0;
        *out = in >= ek ? (in - ek) / s + 1 : 0;
    } else if (!strcmp(ap, "NOTSET")) {
        *out = in + *pb + *pe >= ek ? (in + *pb + *pe - ek) / s + 1 : 0;
    } else
        return REFUSE("auto_pad '%s' not supported", ap);
    if (*out < 1) return REFUSE("the window is larger than the padded input");
    return BEX_OK;
}

/* kernel / strides / dilations / pads attributes of a 2-D window op */
static int window_attrs(ctx *c, const val *x, int64_t kh, int64_t kw, int64_t *st, int64_t *dl,
                        int64_t *pads, int64_t *oh, int64_t *ow) {
    size_t n;
    const int64_t *p;
    st[0] = st[1] = dl[0] = dl[1] = 1;
    pads[0] = pads[1] = pads[2] = pads[3] = 0;
    if ((p = attr_ints(c->node, "strides", &n)) && n) {
        if (n != 2) return REFUSE("strides of %zu values (only 2-D is supported)", n);
        st[0] = p[0];
        st[1] = p[1];
    }
    if ((p = attr_ints(c->node, "dilations", &n)) && n) {
        if (n != 2) return REFUSE("dilations of %zu values (only 2-D is supported)", n);
        dl[0] = p[0];
        dl[1] = p[1];
    }
    if ((p = attr_ints(c->node, "pads", &n)) && n) {
        if (n != 4) return REFUSE("pads of %zu values (only 2-D is supported)", n);
        for (int k = 0; k < 4; k++) pads[k] = p[k];
    }
    for (int k = 0; k < 2; k++)
        if (st[k] < 1 || st[k] > 4096 || dl[k] < 1 || dl[k] > 4096)
            return REFUSE("strides or dilations out of range");
    for (int k = 0; k < 4; k++)
        if (pads[k] < 0 || pads[k] > 4096) return REFUSE("pads out of range (negative pads are not supported)");
    if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096) return REFUSE("kernel size out of range");
    const char *ap = attr_s(c->node, "auto_pad", "NOTSET");
    int rc = conv_axis(c, ap, x->dims[2], kh, st[0], dl[0], &pads[0], &pads[2], oh);
    if (!rc) rc = conv_axis(c, ap, x->dims[3], kw, st[1], dl[1], &pads[1], &pads[3], ow);
    return rc;
}

static int build_conv(ctx *c, int x, int w, int b, int *out) {
    int rc;
    if (c->g->v[x].rank != 4) return REFUSE("only 2-D convolutions (4-D inputs) are supported");
    if (!is_const(c, w) || (b >= 0 && !is_const(c, b))) return REFUSE("weights must be constants");
    if ((rc = as_float(c, w)) || (b >= 0 && (rc = as_float(c, b)))) return rc;
    if ((rc = want_layout(c, x, 1, &x))) return rc;
    const val *vx = &c->g->v[x], *vw = &c->g->v[w];
    const int64_t G = attr_i(c->node, "group", 1);
    if (vw->rank != 4) return REFUSE("weights of rank %d", vw->rank);
    const int64_t M = vw->dims[0], cg = vw->dims[1], kh = vw->dims[2], kw = vw->dims[3], C = vx->dims[1];
    if (G < 1 || C % G || M % G || cg != C / G) return REFUSE("weights [%lld, %lld, ...] do not fit %lld channels in %lld groups", (long long)M, (long long)cg, (long long)C, (long long)G);
    if (b >= 0 && c->g->v[b].count != (size_t)M) return REFUSE("a bias of %zu values for %lld channels", c->g->v[b].count, (long long)M);
    size_t nk;
    const int64_t *ks = attr_ints(c->node, "kernel_shape", &nk);
    if (nk && (nk != 2 || ks[0] != kh || ks[1] != kw)) return REFUSE("kernel_shape does not match the weights");
    int64_t st[2], dl[2], pads[4], oh, ow;
    if ((rc = window_attrs(c, vx, kh, kw, st, dl, pads, &oh, &ow))) return rc;
    int64_t dims[4] = {vx->dims[0], M, oh, ow};
    if (M > (1 << 20) || C > (1 << 20)) return REFUSE("too many channels");
    if ((rc = new_run(c, 4, dims, 1, out))) return rc;
    int si;
    if ((rc = new_step(c, S_CONV, &si))) return rc;
    step *s = &c->g->s[si];
    vw = &c->g->v[w];
    const float *W = vw->f, *B = b >= 0 ? c->g->v[b].f : NULL;
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->geom = (nn_conv_geom){(int)st[0], (int)st[1], (int)pads[0], (int)pads[1], (int)dl[0], (int)dl[1]};
    s->groups = (int)G;
    s->kh = (int)kh;
    s->kw = (int)kw;
    s->cin = (int)C;
    s->cout = (int)M;
    c->g->v[*out].def = si;
    size_t kk = (size_t)kh * (size_t)kw;
    if (G == 1) {
        size_t n;
        if (!bex__mul_size(kk * (size_t)C, (size_t)M, &n) || n > ONNX_MAX_ELEMENTS) return REFUSE("weights too large");
        float *hwio = bex__malloc(n * sizeof *hwio);
        if (!hwio) return NOMEM();
        for (int64_t o = 0; o < M; o++)
            for (int64_t i = 0; i < C; i++)
                for (size_t t = 0; t < kk; t++)
                    hwio[(t * (size_t)C + (size_t)i) * (size_t)M + (size_t)o] = W[((size_t)o * (size_t)C + (size_t)i) * kk + t];
        rc = nn_conv_init(&s->conv, (int)kh, (int)kw, (int)C, (int)M, hwio, B, NULL, NULL);
        bex__free(hwio);
        if (rc == BEX_ERR_NOMEM) return NOMEM();
        if (rc) return REFUSE("convolution too large");
        size_t sc = nn_conv2d_ex_scratch(&s->conv, (int)oh, (int)ow, &s->geom);
        if (sc > c->g->scratch_floats) c->g->scratch_floats = sc;
        return BEX_OK;
    }
    if (G == C && M == C && dl[0] == 1 && dl[1] == 1 && st[0] == st[1]) {
        s->op = S_DW;
        float *hwc = bex__malloc(kk * (size_t)C * sizeof *hwc);
        if (!hwc) return NOMEM();
        for (int64_t ch = 0; ch < C; ch++)
            for (size_t t = 0; t < kk; t++) hwc[t * (size_t)C + (size_t)ch] = W[(size_t)ch * kk + t];
        rc = nn_dwconv_init(&s->dw, (int)kh, (int)kw, (int)C, hwc, B, NULL, NULL);
        bex__free(hwc);
        if (rc == BEX_ERR_NOMEM) return NOMEM();
        return rc ? REFUSE("convolution too large") : BEX_OK;
    }
    s->op = S_GCONV; /* grouped or dilated depthwise: the direct loop */
    s->gw = bex__malloc(vw->count * sizeof(float));
    s->gb = bex__calloc((size_t)M, sizeof(float));
    if (!s->gw || !s->gb) return NOMEM();
    memcpy(s->gw, W, vw->count * sizeof(float));
    if (B) memcpy(s->gb, B, (size_t)M * sizeof(float));
    return BEX_OK;
}

static int build_bn(ctx *c, int x, int *out) {
    int iv[4], rc;
    for (int k = 0; k < 4; k++) {
        iv[k] = in_val(c, k + 1);
        if (!is_const(c, iv[k])) return REFUSE("scale, bias, mean and variance must be constants");
        if ((rc = as_float(c, iv[k]))) return rc;
    }
    const val *vx = &c->g->v[x];
    if (vx->rank < 2) return REFUSE("an input of rank %d", vx->rank);
    const size_t C = (size_t)vx->dims[1];
    for (int k = 0; k < 4; k++)
        if (c->g->v[iv[k]].count != C) return REFUSE("parameters of %zu values for %zu channels", c->g->v[iv[k]].count, C);
    if (c->node->nout > 1) return REFUSE("training outputs not supported");
    float *sc = bex__malloc(C * sizeof *sc), *sh = bex__malloc(C * sizeof *sh);
    if (!sc || !sh) {
        bex__free(sc);
        bex__free(sh);
        return NOMEM();
    }
    const float eps = attr_f(c->node, "epsilon", 1e-5f);
    const float *g = c->g->v[iv[0]].f, *bb = c->g->v[iv[1]].f, *mu = c->g->v[iv[2]].f, *var = c->g->v[iv[3]].f;
    for (size_t k = 0; k < C; k++) {
        sc[k] = (float)(g[k] / sqrt((double)var[k] + eps));
        sh[k] = bb[k] - mu[k] * sc[k];
    }
    step *s = fusable(c, x);
    if (s && s->op != S_GEMM && s->op != S_BINARY) { /* fold into the convolution */
        rc = BEX_OK;
        if (s->op == S_CONV) {
            nn_conv nc;
            rc = nn_conv_init(&nc, s->conv.kh, s->conv.kw, s->conv.cin, s->conv.cout, s->conv.w, s->conv.b, sc, sh);
            if (!rc) {
                nn_conv_free(&s->conv);
                s->conv = nc;
            }
        } else if (s->op == S_DW) {
            nn_dwconv nd;
            rc = nn_dwconv_init(&nd, s->dw.kh, s->dw.kw, s->dw.c, s->dw.w, s->dw.b, sc, sh);
            if (!rc) {
                nn_dwconv_free(&s->dw);
                s->dw = nd;
            }
        } else {
            size_t per = (size_t)(s->cin / s->groups) * (size_t)s->kh * (size_t)s->kw;
            for (size_t o = 0; o < C; o++) {
                for (size_t t = 0; t < per; t++) s->gw[o * per + t] *= sc[o];
                s->gb[o] = s->gb[o] * sc[o] + sh[o];
            }
        }
        bex__free(sc);
        bex__free(sh);
        if (rc) return NOMEM();
        *out = x;
        return BEX_OK;
    }
    int64_t dims[MAXR];
    memcpy(dims, vx->dims, sizeof dims);
    int si;
    if ((rc = new_run(c, vx->rank, dims, c->g->v[x].nhwc, out)) || (rc = new_step(c, S_AFFINE, &si))) {
        bex__free(sc);
        bex__free(sh);
        return rc;
    }
    s = &c->g->s[si];
    s->scale = sc;
    s->shift = sh;
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    vx = &c->g->v[x];
    s->n = C;
    s->inner = 1;
    if (!vx->nhwc)
        for (int k = 2; k < vx->rank; k++) s->inner *= (size_t)vx->dims[k];
    c->g->v[*out].def = si;
    return BEX_OK;
}

/* Gemm / MatMul with constant B: out = act(A * B + bias) through the packed GEMM */
static int build_gemm(ctx *c, int a, int b, int bias, int transb, float alpha, float beta, int *out) {
    int rc;
    if ((rc = as_float(c, b)) || (bias >= 0 && (rc = as_float(c, bias)))) return rc;
    if ((rc = want_layout(c, a, 0, &a))) return rc;
    const val *va = &c->g->v[a], *vb = &c->g->v[b];
    if (vb->rank != 2 || va->rank < 1) return REFUSE("weights of rank %d", vb->rank);
    const int64_t K = transb ? vb->dims[1] : vb->dims[0], N = transb ? vb->dims[0] : vb->dims[1];
    if (va->dims[va->rank - 1] != K) return REFUSE("inner dimensions differ (%lld, %lld)", (long long)va->dims[va->rank - 1], (long long)K);
    if (K < 1 || N < 1 || K > (1 << 22) || N > (1 << 22)) return REFUSE("sizes out of range");
    const int64_t M = (int64_t)(va->count / (size_t)K);
    if (M > INT32_MAX) return REFUSE("sizes out of range");
    int64_t dims[MAXR];
    memcpy(dims, va->dims, sizeof dims);
    dims[va->rank - 1] = N;
    if (bias >= 0) {
        const val *vc = &c->g->v[bias];
        if (vc->count != 1 && vc->count != (size_t)N) return REFUSE("a bias of %zu values for %lld outputs (only per-output biases are supported)", vc->count, (long long)N);
    }
    if ((rc = new_run(c, va->rank, dims, 0, out))) return rc;
    int si;
    if ((rc = new_step(c, S_GEMM, &si))) return rc;
    step *s = &c->g->s[si];
    s->in[0] = a;
    s->nin = 1;
    s->out = *out;
    s->M = (int)M;
    s->N = (int)N;
    s->K = (int)K;
    c->g->v[*out].def = si;
    float *bk = bex__malloc((size_t)K * (size_t)N * sizeof *bk), *bv = bex__calloc((size_t)N, sizeof *bv);
    if (!bk || !bv) {
        bex__free(bk);
        bex__free(bv);
        return NOMEM();
    }
    vb = &c->g->v[b];
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < N; j++)
            bk[k * N + j] = alpha * (transb ? vb->f[j * K + k] : vb->f[k * N + j]);
    if (bias >= 0) {
        const val *vc = &c->g->v[bias];
        for (int64_t j = 0; j < N; j++) bv[j] = beta * vc->f[vc->count == 1 ? 0 : j];
    }
    s->kernel = nn_kernel_current();
    size_t pf = nn_pack_b_size(s->kernel, (int)K, (int)N);
    s->packed = pf ? bex__malloc_aligned(pf * sizeof(float)) : NULL;
    if (s->packed) nn_pack_b(s->kernel, (int)K, (int)N, bk, (size_t)N, bv, s->packed);
    bex__free(bk);
    bex__free(bv);
    return s->packed ? BEX_OK : NOMEM();
}

static int build_pool(ctx *c, int x, int isavg, int *out) {
    int rc;
    if (c->g->v[x].rank != 4) return REFUSE("only 2-D pooling (4-D inputs) is supported");
    if ((rc = want_layout(c, x, 1, &x))) return rc;
    size_t n;
    const int64_t *ks = attr_ints(c->node, "kernel_shape", &n);
    if (n != 2) return REFUSE("kernel_shape of %zu values (only 2-D is supported)", n);
    int64_t st[2], dl[2], pads[4], oh, ow;
    const val *vx = &c->g->v[x];
    if ((rc = window_attrs(c, vx, ks[0], ks[1], st, dl, pads, &oh, &ow))) return rc;
    if (dl[0] != 1 || dl[1] != 1) return REFUSE("dilations not supported");
    if (attr_i(c->node, "ceil_mode", 0)) {
        if (strcmp(attr_s(c->node, "auto_pad", "NOTSET"), "NOTSET")) return REFUSE("ceil_mode with auto_pad not supported");
        const int64_t in[2] = {vx->dims[2], vx->dims[3]};
        int64_t *o[2] = {&oh, &ow};
        for (int k = 0; k < 2; k++) {
            int64_t span = in[k] + pads[k] + pads[k + 2] - ks[k];
            int64_t v = (span + st[k] - 1) / st[k] + 1;
            if ((v - 1) * st[k] >= in[k] + pads[k]) v--;
            *o[k] = v;
        }
    }
    if (c->node->nout > 1 && c->node->out[1][0]) return REFUSE("the Indices output is not supported");
    int64_t dims[4] = {vx->dims[0], vx->dims[1], oh, ow};
    if ((rc = new_run(c, 4, dims, 1, out))) return rc;
    int si;
    if ((rc = new_step(c, S_POOL, &si))) return rc;
    step *s = &c->g->s[si];
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->kind = isavg;
    s->incl_pad = (int)attr_i(c->node, "count_include_pad", 0);
    s->pk_h = (int)ks[0];
    s->pk_w = (int)ks[1];
    s->ps_h = (int)st[0];
    s->ps_w = (int)st[1];
    s->pp_t = (int)pads[0];
    s->pp_l = (int)pads[1];
    s->pp_b = (int)pads[2];
    s->pp_r = (int)pads[3];
    c->g->v[*out].def = si;
    return BEX_OK;
}

/* source index and weight of each output coordinate of a resize along one axis */
static int resize_axis(ctx *c, int64_t in, int64_t outn, double scale, const char *ctm, const char *nm,
                       int linear, int **i0, int **i1, float **lam) {
    *i0 = bex__malloc((size_t)outn * sizeof(int));
    *i1 = bex__malloc((size_t)outn * sizeof(int));
    *lam = bex__malloc((size_t)outn * sizeof(float));
    if (!*i0 || !*i1 || !*lam) return NOMEM();
    for (int64_t o = 0; o < outn; o++) {
        double x;
        if (!strcmp(ctm, "half_pixel")) x = (o + 0.5) / scale - 0.5;
        else if (!strcmp(ctm, "pytorch_half_pixel")) x = outn > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
        else if (!strcmp(ctm, "align_corners")) x = outn == 1 ? 0.0 : (double)o * (double)(in - 1) / (double)(outn - 1);
        else if (!strcmp(ctm, "asymmetric")) x = o / scale;
        else return REFUSE("coordinate_transformation_mode '%s' not supported", ctm);
        if (linear) {
            if (x < 0) x = 0;
            if (x > in - 1) x = (double)(in - 1);
            int64_t a = (int64_t)floor(x);
            (*i0)[o] = (int)a;
            (*i1)[o] = (int)(a + 1 < in ? a + 1 : in - 1);
            (*lam)[o] = (float)(x - (double)a);
        } else {
            double r;
            if (!strcmp(nm, "round_prefer_floor")) r = x - floor(x) == 0.5 ? floor(x) : floor(x + 0.5);
            else if (!strcmp(nm, "round_prefer_ceil")) r = ceil(x) - x == 0.5 ? ceil(x) : floor(x + 0.5);
            else if (!strcmp(nm, "floor")) r = floor(x);
            else if (!strcmp(nm, "ceil")) r = ceil(x);
            else return REFUSE("nearest_mode '%s' not supported", nm);
            int64_t a = to_i64(r);
            if (a < 0) a = 0;
            if (a > in - 1) a = in - 1;
            (*i0)[o] = (*i1)[o] = (int)a;
            (*lam)[o] = 0.0f;
        }
    }
    return BEX_OK;
}

static int build_resize(ctx *c, int x, int upsample, int *out) {
    int rc;
    if (c->g->v[x].rank != 4) return REFUSE("only 4-D inputs are supported");
    const char *mode = attr_s(c->node, "mode", "nearest");
    const int linear = !strcmp(mode, "linear") || !strcmp(mode, "bilinear");
    if (!linear && strcmp(mode, "nearest")) return REFUSE("mode '%s' not supported", mode);
    if (attr_i(c->node, "exclude_outside", 0) || attr_i(c->node, "antialias", 0) || attr(c->node, "axes"))
        return REFUSE("exclude_outside, antialias and axes are not supported");
    const char *ctm = upsample || c->m->opset < 11 ? "asymmetric" : attr_s(c->node, "coordinate_transformation_mode", "half_pixel");
    const char *nm = upsample || c->m->opset < 11 ? "floor" : attr_s(c->node, "nearest_mode", "round_prefer_floor");
    if (upsample || c->m->opset < 11) nm = "floor";
    double sc[4] = {1, 1, 1, 1};
    int64_t od[4];
    const val *vx = &c->g->v[x];
    int scales_in = upsample || c->m->opset < 11 ? 1 : 2, sizes_in = upsample || c->m->opset < 11 ? -1 : 3;
    int vs = in_val(c, scales_in), vz = sizes_in >= 0 ? in_val(c, sizes_in) : -1;
    const onnx_attr *sa = upsample ? attr(c->node, "scales") : NULL;
    if (sa && sa->nfloats == 4) {
        for (int k = 0; k < 4; k++) sc[k] = sa->floats[k];
    } else if (vs >= 0 && is_const(c, vs) && c->g->v[vs].count == 4) {
        for (int k = 0; k < 4; k++) sc[k] = cget(&c->g->v[vs], (size_t)k);
    } else if (vz >= 0 && is_const(c, vz) && c->g->v[vz].count == 4) {
        for (int k = 0; k < 4; k++) {
            od[k] = to_i64(cget(&c->g->v[vz], (size_t)k));
            sc[k] = vx->dims[k] ? (double)od[k] / (double)vx->dims[k] : 1;
        }
        vs = -2;
    } else
        return REFUSE("scales or sizes must be constants of 4 values");
    if (vs != -2)
        for (int k = 0; k < 4; k++) {
            if (!(sc[k] > 0 && sc[k] < 4096)) return REFUSE("a scale out of range");
            od[k] = (int64_t)floor((double)vx->dims[k] * sc[k]);
        }
    if (od[0] != vx->dims[0] || od[1] != vx->dims[1]) return REFUSE("resizing the batch or channel axis is not supported");
    if ((rc = want_layout(c, x, 1, &x))) return rc;
    if ((rc = new_run(c, 4, od, 1, out))) return rc;
    int si;
    if ((rc = new_step(c, S_RESIZE, &si))) return rc;
    step *s = &c->g->s[si];
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->linear = linear;
    c->g->v[*out].def = si;
    vx = &c->g->v[x];
    if ((rc = resize_axis(c, vx->dims[2], od[2], sc[2], ctm, nm, linear, &s->ry0, &s->ry1, &s->rly))) return rc;
    s = &c->g->s[si];
    return resize_axis(c, vx->dims[3], od[3], sc[3], ctm, nm, linear, &s->rx0, &s->rx1, &s->rlx);
}

static int build_pad(ctx *c, int x, int *out) {
    int rc;
    const val *vx = &c->g->v[x];
    int64_t pads[2 * MAXR];
    int np;
    float value = 0.0f;
    if (c->m->opset < 11) {
        size_t n;
        const int64_t *p = attr_ints(c->node, "pads", &n);
        if (n > 2 * MAXR) return REFUSE("too many pads");
        if (n) memcpy(pads, p, n * sizeof *p);
        np = (int)n;
        value = attr_f(c->node, "value", 0.0f);
    } else {
        if ((rc = const_ints(c, 1, "pads", pads, &np, 2 * MAXR))) return rc;
        int cv = in_val(c, 2);
        if (cv >= 0) {
            if (!is_const(c, cv) || c->g->v[cv].count != 1) return REFUSE("constant_value must be a constant scalar");
            value = (float)cget(&c->g->v[cv], 0);
        }
        if (in_val(c, 3) >= 0) return REFUSE("axes not supported");
    }
    if (np != 2 * vx->rank) return REFUSE("%d pads for rank %d", np, vx->rank);
    const char *mode = attr_s(c->node, "mode", "constant");
    int pm = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "edge") ? 1 : !strcmp(mode, "reflect") ? 2 : -1;
    if (pm < 0) return REFUSE("mode '%s' not supported", mode);
    int64_t dims[MAXR];
    for (int k = 0; k < vx->rank; k++) {
        if (pads[k] < 0 || pads[k + vx->rank] < 0 || pads[k] > 65536 || pads[k + vx->rank] > 65536)
            return REFUSE("negative or huge pads are not supported");
        if (pm == 2 && (pads[k] >= vx->dims[k] || pads[k + vx->rank] >= vx->dims[k])) return REFUSE("reflect pads as large as the input");
        if (pm && vx->dims[k] == 0) return REFUSE("padding an empty tensor");
        dims[k] = vx->dims[k] + pads[k] + pads[k + vx->rank];
    }
    if ((rc = new_run(c, vx->rank, dims, 1, out))) return rc;
    int si;
    if ((rc = new_step(c, S_PAD, &si))) return rc;
    step *s = &c->g->s[si];
    vx = &c->g->v[x];
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->padmode = pm;
    s->a = value;
    s->nd = vx->rank;
    memcpy(s->dims, dims, sizeof dims);
    memcpy(s->dims2, vx->dims, sizeof s->dims2);
    memcpy(s->pb, pads, sizeof s->pb);
    strides_of(vx, s->s0);
    strides_of(&c->g->v[*out], s->s2);
    c->g->v[*out].def = si;
    return BEX_OK;
}

/* softmax / lpnorm on a row-major copy: outer x n x inner */
static int build_rows(ctx *c, int op, int x, int axis, int coerce2d, int *out) {
    int rc;
    if ((rc = want_layout(c, x, 0, &x))) return rc;
    const val *vx = &c->g->v[x];
    int a = 0;
    if ((rc = norm_axis(c, axis, vx->rank, &a))) return rc;
    int64_t dims[MAXR];
    memcpy(dims, vx->dims, sizeof dims);
    if ((rc = new_run(c, vx->rank, dims, 0, out))) return rc;
    int si;
    if ((rc = new_step(c, op, &si))) return rc;
    step *s = &c->g->s[si];
    vx = &c->g->v[x];
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->outer = s->n = s->inner = 1;
    for (int k = 0; k < vx->rank; k++) {
        size_t d = (size_t)vx->dims[k];
        if (k < a) s->outer *= d;
        else if (k == a || coerce2d) s->n *= d;
        else s->inner *= d;
    }
    c->g->v[*out].def = si;
    return BEX_OK;
}

static int build_reduce(ctx *c, int x, int *out) {
    int rc;
    const val *vx = &c->g->v[x];
    int64_t ax[MAXR];
    int nax = 0;
    if (c->m->opset >= 18) {
        if (in_val(c, 1) >= 0 && (rc = const_ints(c, 1, "axes", ax, &nax, MAXR))) return rc;
    } else {
        size_t n;
        const int64_t *p = attr_ints(c->node, "axes", &n);
        if (n > MAXR) return REFUSE("too many axes");
        if (n) memcpy(ax, p, n * sizeof *p);
        nax = (int)n;
    }
    const int keep = (int)attr_i(c->node, "keepdims", 1);
    if (nax == 0 && attr_i(c->node, "noop_with_empty_axes", 0)) return REFUSE("noop_with_empty_axes not supported");
    int mark[MAXR] = {0};
    for (int k = 0; k < nax; k++) {
        int a = 0;
        if ((rc = norm_axis(c, ax[k], vx->rank, &a))) return rc;
        mark[a] = 1;
    }
    int64_t kd[MAXR], od[MAXR];
    int orank = 0;
    size_t group = 1;
    for (int k = 0; k < vx->rank; k++) {
        int red = nax == 0 || mark[k];
        kd[k] = red ? 1 : vx->dims[k];
        if (red) group *= (size_t)vx->dims[k];
        if (!red || keep) od[orank++] = kd[k];
    }
    if ((rc = new_run(c, orank, od, 0, out))) return rc;
    int si;
    if ((rc = new_step(c, S_REDUCE, &si))) return rc;
    step *s = &c->g->s[si];
    vx = &c->g->v[x];
    s->in[0] = x;
    s->nin = 1;
    s->out = *out;
    s->nd = vx->rank;
    memcpy(s->dims, vx->dims, sizeof s->dims);
    strides_of(vx, s->s0);
    int64_t st = 1;
    for (int k = vx->rank - 1; k >= 0; k--) { /* row-major over the kept dims, 0 on reduced */
        s->s2[k] = kd[k] == 1 && (nax == 0 || mark[k]) ? 0 : st;
        st *= kd[k];
    }
    s->n = group;
    c->g->v[*out].def = si;
    return BEX_OK;
}

static int build_matmul_rt(ctx *c, int a, int b, int *out) {
    int rc;
    if ((is_const(c, a) && (rc = as_float(c, a))) || (is_const(c, b) && (rc = as_float(c, b)))) return rc;
    if ((rc = want_layout(c, a, 0, &a)) || (rc = want_layout(c, b, 0, &b))) return rc;
    const val *va = &c->g->v[a], *vb = &c->g->v[b];
    if (va->rank < 2 || vb->rank < 2) return REFUSE("1-D operands not supported");
    const int64_t M = va->dims[va->rank - 2], K = va->dims[va->rank - 1], N = vb->dims[vb->rank - 1];
    if (vb->dims[vb->rank - 2] != K) return REFUSE("inner dimensions differ");
    const size_t mk = (size_t)M * (size_t)K, kn = (size_t)K * (size_t)N;
    if (!mk || !kn) return REFUSE("empty operands");
    size_t ba = va->count / mk, bb = vb->count / kn;
    if (bb != 1 && (bb != ba || va->rank != vb->rank)) return REFUSE("broadcast batch dimensions not supported");
    int64_t dims[MAXR];
    memcpy(dims, va->dims, sizeof dims);
    dims[va->rank - 1] = N;
    if ((rc = new_run(c, va->rank, dims, 0, out))) return rc;
    int si;
    if ((rc = new_step(c, S_MATMUL, &si))) return rc;
    step *s = &c->g->s[si];
    s->in[0] = a;
    s->in[1] = b;
    s->nin = 2;
    s->out = *out;
    s->M = (int)M;
    s->N = (int)N;
    s->K = (int)K;
    s->outer = ba;
    s->inner = bb;
    c->g->v[*out].def = si;
    return BEX_OK;
}

static int build_concat(ctx *c, int *xs, int nx, int *out) {
    int rc, allc = 1, r = c->g->v[xs[0]].rank, a = 0;
    if ((rc = norm_axis(c, attr_i(c->node, "axis", 0), r, &a))) return rc;
    int64_t dims[MAXR];
    memcpy(dims, c->g->v[xs[0]].dims, sizeof dims);
    dims[a] = 0;
    for (int k = 0; k < nx; k++) {
        const val *v = &c->g->v[xs[k]];
        if (v->rank != r) return REFUSE("inputs of different ranks");
        for (int j = 0; j < r; j++)
            if (j != a && v->dims[j] != dims[j]) return REFUSE("inputs of different shapes");
        dims[a] += v->dims[a];
        if (v->kind != V_CONST) allc = 0;
    }
    int isint = 1;
    for (int k = 0; k < nx; k++) isint &= c->g->v[xs[k]].isint;
    if (allc) {
        if ((rc = new_const(c, r, dims, isint, out))) return rc;
    } else {
        for (int k = 0; k < nx; k++)
            if (is_const(c, xs[k]) && (rc = as_float(c, xs[k]))) return rc;
        if ((rc = new_run(c, r, dims, 1, out))) return rc;
    }
    int64_t off = 0;
    for (int k = 0; k < nx; k++) {
        const val *v = &c->g->v[xs[k]];
        int64_t st[MAXR], ost[MAXR], vd[MAXR];
        strides_of(v, st);
        memcpy(vd, v->dims, sizeof vd);
        if (allc) { /* row-major walk into the constant */
            val *o = &c->g->v[*out];
            strides_of(o, ost);
            int64_t idx[MAXR] = {0};
            for (size_t e = 0; e < v->count; e++) {
                int64_t p = off * ost[a];
                for (int j = 0; j < r; j++) p += idx[j] * ost[j];
                cset(o, (size_t)p, cget(v, e));
                odo_next(r, vd, idx);
            }
        } else {
            int64_t ost2[MAXR];
            strides_of(&c->g->v[*out], ost2);
            if ((rc = add_strided_copy(c, xs[k], st, 0, *out, off * ost2[a], r, vd))) return rc;
            c->g->v[*out].def = c->g->nsteps - 1;
        }
        off += vd[a];
    }
    return BEX_OK;
}

/* ---------------------------------------------------------------- nodes */

static int op_is(const onnx_node *n, const char *s) { return !strcmp(n->op, s); }

/* the operators build_node knows (some only in some forms, refused there) */
static const char *const known_ops[] = {
    "Identity", "Dropout", "Constant", "Shape", "Size", "ConstantOfShape", "Cast", "Gather",
    "Concat", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Add", "Sub",
    "Mul", "Div", "PRelu", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSwish", "HardSigmoid",
    "Tanh", "Conv", "BatchNormalization", "Gemm", "MatMul", "MaxPool", "AveragePool",
    "GlobalAveragePool", "GlobalMaxPool", "Pad", "Resize", "Upsample", "Softmax",
    "LpNormalization", "ReduceMean", "Split"};

static int build_node(ctx *c) {
    const onnx_node *n = c->node;
    int x[ONNX_MAX_IO], rc, out = -1;
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx"))
        return REFUSE("operator not supported (domain '%s')", n->domain);
    size_t known = 0;
    while (known < sizeof known_ops / sizeof known_ops[0] && strcmp(known_ops[known], n->op)) known++;
    if (known == sizeof known_ops / sizeof known_ops[0]) return REFUSE("operator not supported");
    for (int k = 0; k < n->nattr; k++)
        if (n->attr[k].has_subgraph) return REFUSE("operator not supported (subgraphs)");
    int allc = 1, nx = n->nin;
    for (int k = 0; k < n->nin; k++) {
        x[k] = in_val(c, k);
        if (n->in[k][0] && x[k] < 0) return REFUSE("input '%s' is not defined before its use", n->in[k]);
        if (x[k] >= 0 && c->g->v[x[k]].kind != V_CONST) allc = 0;
    }
    if (n->nout < 1 || !n->out[0][0]) return REFUSE("a node without an output");
    for (int k = 1; k < n->nout; k++)
        if (n->out[k][0] && !op_is(n, "Dropout") && !op_is(n, "MaxPool") && !op_is(n, "Split"))
            return REFUSE("more than one output (not supported)");
    const int need1 = !op_is(n, "Constant");
    if (need1 && (nx < 1 || x[0] < 0)) return REFUSE("a missing input");
    const val *v0 = need1 ? &c->g->v[x[0]] : NULL;
    if (op_is(n, "Identity") || op_is(n, "Dropout")) {
        if (op_is(n, "Dropout") && n->nout > 1 && n->out[1][0]) return REFUSE("the mask output is not supported");
        return bind(c, n->out[0], x[0]);
    }
    if (op_is(n, "Constant")) {
        const onnx_attr *a = n->nattr == 1 ? &n->attr[0] : NULL;
        if (!a) return REFUSE("needs exactly one attribute");
        int64_t dims[1] = {0};
        if (a->t) {
            const onnx_tensor *t = a->t;
            if ((rc = new_const(c, t->rank, t->dims, t->i != NULL || (!t->f && !is_float_type_dt(t->dtype)), &out))) return rc;
            val *v = &c->g->v[out];
            if (t->count && t->f && v->f) memcpy(v->f, t->f, t->count * sizeof *v->f);
            if (t->count && t->i && v->i) memcpy(v->i, t->i, t->count * sizeof *v->i);
        } else if (!strcmp(a->name, "value_float") || !strcmp(a->name, "value_int")) {
            if ((rc = new_const(c, 0, dims, a->name[6] == 'i', &out))) return rc;
            cset(&c->g->v[out], 0, a->name[6] == 'i' ? (double)a->i : (double)a->f);
        } else if (!strcmp(a->name, "value_floats") || !strcmp(a->name, "value_ints")) {
            const int isint = a->name[6] == 'i';
            dims[0] = (int64_t)(isint ? a->nints : a->nfloats);
            if ((rc = new_const(c, 1, dims, isint, &out))) return rc;
            for (int64_t k = 0; k < dims[0]; k++) cset(&c->g->v[out], (size_t)k, isint ? (double)a->ints[k] : a->floats[k]);
        } else
            return REFUSE("attribute '%s' not supported", a->name);
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Shape") || op_is(n, "Size")) {
        int64_t st = attr_i(n, "start", 0), en = attr_i(n, "end", v0->rank), r = v0->rank;
        if (st < 0) st += r;
        if (en < 0) en += r;
        st = st < 0 ? 0 : st > r ? r : st;
        en = en < 0 ? 0 : en > r ? r : en;
        int64_t dims[1] = {en > st ? en - st : 0};
        const int isshape = op_is(n, "Shape");
        size_t cnt = c->g->v[x[0]].count;
        if ((rc = new_const(c, isshape, dims, 1, &out))) return rc;
        v0 = &c->g->v[x[0]];
        if (isshape) for (int64_t k = 0; k < dims[0]; k++) c->g->v[out].i[k] = v0->dims[st + k];
        else c->g->v[out].i[0] = (int64_t)cnt;
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "ConstantOfShape")) {
        int64_t dims[MAXR];
        int nd;
        if ((rc = const_ints(c, 0, "the shape", dims, &nd, MAXR))) return rc;
        const onnx_attr *a = attr(n, "value");
        const int isint = a && a->t && a->t->i;
        if ((rc = new_const(c, nd, dims, isint, &out))) return rc;
        double fill = a && a->t && a->t->count ? (a->t->f ? a->t->f[0] : (double)a->t->i[0]) : 0.0;
        for (size_t k = 0; k < c->g->v[out].count; k++) cset(&c->g->v[out], k, fill);
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Cast")) {
        const int64_t to = attr_i(n, "to", 1);
        const int toint = !(to == ONNX_FLOAT || to == ONNX_DOUBLE || to == ONNX_FLOAT16);
        if (!allc) {
            if (toint) return REFUSE("a cast of run-time data to type %lld (not supported)", (long long)to);
            return bind(c, n->out[0], x[0]);
        }
        if ((rc = new_const(c, v0->rank, v0->dims, toint, &out))) return rc;
        v0 = &c->g->v[x[0]];
        for (size_t k = 0; k < v0->count; k++) cset(&c->g->v[out], k, to == ONNX_BOOL ? (cget(v0, k) != 0) : cget(v0, k));
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Gather")) {
        if (!allc) return REFUSE("Gather on run-time data is not supported");
        if (nx < 2 || x[1] < 0) return REFUSE("a missing input");
        if ((rc = fold_gather(c, x[0], x[1], &out))) return rc;
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Concat")) {
        if ((rc = build_concat(c, x, nx, &out))) return rc;
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Reshape") || op_is(n, "Flatten") || op_is(n, "Squeeze") || op_is(n, "Unsqueeze")) {
        int64_t dims[MAXR], t[MAXR];
        int r = 0, nt = 0;
        if (op_is(n, "Reshape")) {
            if ((rc = const_ints(c, 1, "the shape", t, &nt, MAXR))) return rc;
            if ((rc = reshape_dims(c, &c->g->v[x[0]], t, nt, (int)attr_i(n, "allowzero", 0), dims))) return rc;
            r = nt;
        } else if (op_is(n, "Flatten")) {
            int a = 0;
            int64_t ax = attr_i(n, "axis", 1);
            if (ax < -v0->rank || ax > v0->rank) return REFUSE("axis out of range");
            a = (int)(ax < 0 ? ax + v0->rank : ax);
            dims[0] = dims[1] = 1;
            for (int k = 0; k < v0->rank; k++) dims[k >= a] *= v0->dims[k];
            r = 2;
        } else {
            if (c->m->opset >= 13) {
                if (in_val(c, 1) >= 0 && (rc = const_ints(c, 1, "axes", t, &nt, MAXR))) return rc;
            } else {
                size_t cnt;
                const int64_t *p = attr_ints(n, "axes", &cnt);
                if (cnt > MAXR) return REFUSE("too many axes");
                if (cnt) memcpy(t, p, cnt * sizeof *p);
                nt = (int)cnt;
            }
            rc = op_is(n, "Squeeze") ? squeeze_dims(c, v0, t, nt, &r, dims) : unsqueeze_dims(c, v0, t, nt, &r, dims);
            if (rc) return rc;
        }
        if (allc) rc = fold_reshape(c, x[0], r, dims, &out);
        else if (!(rc = new_run(c, r, dims, 1, &out))) {
            rc = add_copy_step(c, x[0], out);
            c->g->v[out].def = c->g->nsteps - 1;
        }
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "Transpose") || op_is(n, "Slice")) {
        int64_t dims[MAXR], st[MAXR], ist[MAXR], off = 0;
        const int r = v0->rank;
        strides_of(v0, ist);
        if (op_is(n, "Transpose")) {
            size_t np;
            const int64_t *p = attr_ints(n, "perm", &np);
            int seen[MAXR] = {0};
            if (np && (int)np != r) return REFUSE("perm of %zu values for rank %d", np, r);
            for (int k = 0; k < r; k++) {
                int64_t q = np ? p[k] : r - 1 - k;
                if (q < 0 || q >= r || seen[q]++) return REFUSE("a bad perm");
                dims[k] = v0->dims[q];
                st[k] = ist[q];
            }
        } else {
            int64_t start[MAXR], sp[MAXR];
            if ((rc = slice_params(c, &c->g->v[x[0]], start, sp, dims))) return rc;
            for (int k = 0; k < r; k++) {
                st[k] = ist[k] * sp[k];
                off += start[k] * ist[k];
            }
        }
        if (allc) rc = fold_walk(c, x[0], r, dims, st, off, &out);
        else if (!(rc = new_run(c, r, dims, 1, &out))) {
            rc = add_strided_copy(c, x[0], st, off, out, 0, r, dims);
            c->g->v[out].def = c->g->nsteps - 1;
        }
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "Split")) {
        int a;
        if ((rc = norm_axis(c, attr_i(n, "axis", 0), v0->rank, &a))) return rc;
        int64_t sp[ONNX_MAX_IO];
        int ns = 0;
        if (c->m->opset >= 13 && in_val(c, 1) >= 0) {
            if ((rc = const_ints(c, 1, "split", sp, &ns, ONNX_MAX_IO))) return rc;
        } else if (c->m->opset < 13) {
            size_t cnt;
            const int64_t *p = attr_ints(n, "split", &cnt);
            if (cnt > ONNX_MAX_IO) return REFUSE("too many splits");
            if (cnt) memcpy(sp, p, cnt * sizeof *p);
            ns = (int)cnt;
        }
        const int64_t d = v0->dims[a];
        if (!ns) { /* equal parts (the last smaller, as opset 18's num_outputs) */
            ns = n->nout;
            const int64_t part = (d + ns - 1) / ns;
            for (int k = 0; k < ns; k++) sp[k] = k < ns - 1 ? part : d - part * (ns - 1);
        }
        if (ns != n->nout) return REFUSE("%d splits for %d outputs", ns, n->nout);
        int64_t sum = 0;
        for (int k = 0; k < ns; k++) {
            if (sp[k] < 0 || sp[k] > d) return REFUSE("a split of %lld", (long long)sp[k]);
            sum += sp[k];
        }
        if (sum != d) return REFUSE("splits add up to %lld, not %lld", (long long)sum, (long long)d);
        int64_t off = 0;
        for (int k = 0; k < ns; k++) {
            const val *v = &c->g->v[x[0]];
            int64_t dims[MAXR], st[MAXR];
            memcpy(dims, v->dims, sizeof dims);
            dims[a] = sp[k];
            strides_of(v, st);
            const int64_t base = off * st[a];
            if (allc) rc = fold_walk(c, x[0], v->rank, dims, st, base, &out);
            else if (!(rc = new_run(c, v->rank, dims, 1, &out))) {
                rc = add_strided_copy(c, x[0], st, base, out, 0, c->g->v[x[0]].rank, dims);
                c->g->v[out].def = c->g->nsteps - 1;
            }
            if (rc || (rc = bind(c, n->out[k], out))) return rc;
            off += sp[k];
        }
        return BEX_OK;
    }
    static const char *const bins[] = {"Add", "Sub", "Mul", "Div"};
    for (int k = 0; k < 4; k++)
        if (op_is(n, bins[k])) {
            if (nx != 2 || x[1] < 0) return REFUSE("needs two inputs");
            if (allc) rc = fold_binary(c, k, x[0], x[1], &out);
            else rc = add_binary(c, k, x[0], x[1], &out);
            return rc ? rc : bind(c, n->out[0], out);
        }
    /* from here on: operators on run-time data only */
    if (allc) return REFUSE("operator not supported on constants");
    if (op_is(n, "PRelu")) {
        if (nx != 2 || x[1] < 0) return REFUSE("needs two inputs");
        return (rc = add_binary(c, B_PRELU, x[0], x[1], &out)) ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "Relu") || op_is(n, "Clip")) {
        float lo = -INFINITY, hi = INFINITY;
        if (op_is(n, "Relu")) lo = 0.0f;
        else if (c->m->opset < 11) {
            lo = attr_f(n, "min", -INFINITY);
            hi = attr_f(n, "max", INFINITY);
        } else {
            int a = in_val(c, 1), b = in_val(c, 2);
            if ((a >= 0 && (!is_const(c, a) || c->g->v[a].count != 1)) || (b >= 0 && (!is_const(c, b) || c->g->v[b].count != 1)))
                return REFUSE("min and max must be constant scalars");
            if (a >= 0) lo = (float)cget(&c->g->v[a], 0);
            if (b >= 0) hi = (float)cget(&c->g->v[b], 0);
        }
        step *s = lo == 0.0f && (hi == INFINITY || hi == 6.0f) ? fusable(c, x[0]) : NULL;
        if (s) {
            s->act = hi == 6.0f ? NN_ACT_RELU6 : NN_ACT_RELU;
            return bind(c, n->out[0], x[0]);
        }
        return (rc = add_unary(c, U_CLIP, lo, hi, x[0], &out)) ? rc : bind(c, n->out[0], out);
    }
    static const struct { const char *name; int uop; float a, b; } un[] = {
        {"LeakyRelu", U_LEAKY, 0.01f, 0}, {"Sigmoid", U_SIGMOID, 0, 0}, {"HardSwish", U_HSWISH, 0, 0},
        {"HardSigmoid", U_HSIGMOID, 0.2f, 0.5f}, {"Tanh", U_TANH, 0, 0}};
    for (size_t k = 0; k < sizeof un / sizeof un[0]; k++)
        if (op_is(n, un[k].name)) {
            rc = add_unary(c, un[k].uop, attr_f(n, "alpha", un[k].a), attr_f(n, "beta", un[k].b), x[0], &out);
            return rc ? rc : bind(c, n->out[0], out);
        }
    if (op_is(n, "Conv")) {
        rc = build_conv(c, x[0], nx > 1 ? x[1] : -1, nx > 2 ? x[2] : -1, &out);
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "BatchNormalization")) {
        if (nx != 5) return REFUSE("needs five inputs");
        return (rc = build_bn(c, x[0], &out)) ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "Gemm")) {
        if (nx < 2 || !is_const(c, x[1])) return REFUSE("B must be a constant (not supported otherwise)");
        if (attr_i(n, "transA", 0)) return REFUSE("transA not supported");
        if (c->g->v[x[0]].rank != 2) return REFUSE("A of rank %d", c->g->v[x[0]].rank);
        rc = build_gemm(c, x[0], x[1], nx > 2 ? x[2] : -1, (int)attr_i(n, "transB", 0), attr_f(n, "alpha", 1.0f),
                        attr_f(n, "beta", 1.0f), &out);
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "MatMul")) {
        if (nx != 2 || x[1] < 0) return REFUSE("needs two inputs");
        if (is_const(c, x[1]) && c->g->v[x[1]].rank == 2 && c->g->v[x[0]].rank >= 2)
            rc = build_gemm(c, x[0], x[1], -1, 0, 1.0f, 1.0f, &out);
        else
            rc = build_matmul_rt(c, x[0], x[1], &out);
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "MaxPool") || op_is(n, "AveragePool")) {
        if (attr_i(n, "storage_order", 0)) return REFUSE("storage_order not supported");
        return (rc = build_pool(c, x[0], op_is(n, "AveragePool"), &out)) ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "GlobalAveragePool") || op_is(n, "GlobalMaxPool")) {
        if (v0->rank != 4) return REFUSE("only 4-D inputs are supported");
        int xi;
        if ((rc = want_layout(c, x[0], 1, &xi))) return rc;
        int64_t dims[4] = {c->g->v[xi].dims[0], c->g->v[xi].dims[1], 1, 1};
        int si;
        if ((rc = new_run(c, 4, dims, 1, &out)) || (rc = new_step(c, S_GPOOL, &si))) return rc;
        step *s = &c->g->s[si];
        s->in[0] = xi;
        s->nin = 1;
        s->out = out;
        s->kind = op_is(n, "GlobalAveragePool");
        c->g->v[out].def = si;
        return bind(c, n->out[0], out);
    }
    if (op_is(n, "Pad")) return (rc = build_pad(c, x[0], &out)) ? rc : bind(c, n->out[0], out);
    if (op_is(n, "Resize") || op_is(n, "Upsample"))
        return (rc = build_resize(c, x[0], op_is(n, "Upsample"), &out)) ? rc : bind(c, n->out[0], out);
    if (op_is(n, "Softmax")) {
        const int v13 = c->m->opset >= 13;
        rc = build_rows(c, S_SOFTMAX, x[0], (int)attr_i(n, "axis", v13 ? -1 : 1), !v13, &out);
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "LpNormalization")) {
        const int64_t p = attr_i(n, "p", 2);
        if (p != 1 && p != 2) return REFUSE("p = %lld not supported", (long long)p);
        rc = build_rows(c, S_LPNORM, x[0], (int)attr_i(n, "axis", -1), 0, &out);
        if (!rc) c->g->s[c->g->nsteps - 1].kind = (int)p;
        return rc ? rc : bind(c, n->out[0], out);
    }
    if (op_is(n, "ReduceMean")) return (rc = build_reduce(c, x[0], &out)) ? rc : bind(c, n->out[0], out);
    return REFUSE("operator not supported");
}

/* ---------------------------------------------------------------- running */

static const float *data_of(const nn_graph *g, int vi) {
    const val *v = &g->v[vi];
    return v->kind == V_CONST ? v->f : v->d;
}

/* the offset of index idx through strides st */
static inline int64_t at(int nd, const int64_t *idx, const int64_t *st) {
    int64_t p = 0;
    for (int k = 0; k < nd; k++) p += idx[k] * st[k];
    return p;
}

static size_t outer_count(int nd, const int64_t *dims) {
    size_t n = 1;
    for (int k = 0; k < nd - 1; k++) n *= (size_t)dims[k];
    return nd > 0 && dims[nd - 1] > 0 ? n : 0;
}

GRAPH_O3 static void run_copy(const step *s, const float *src, float *dst) {
    if (s->nd2 == 0) {
        const int nd = s->nd;
        const int64_t n = s->dims[nd - 1], a = s->s0[nd - 1], b = s->s2[nd - 1];
        int64_t idx[MAXR] = {0};
        for (size_t o = outer_count(nd, s->dims); o > 0; o--) {
            const float *p = src + s->off0 + at(nd - 1, idx, s->s0);
            float *q = dst + s->off2 + at(nd - 1, idx, s->s2);
            if (a == 1 && b == 1) memcpy(q, p, (size_t)n * sizeof *q);
            else
                for (int64_t k = 0; k < n; k++) q[k * b] = p[k * a];
            odo_next(nd - 1, s->dims, idx);
        }
        return;
    }
    /* two shapes: walk both in row-major order */
    size_t total = 1;
    for (int k = 0; k < s->nd; k++) total *= (size_t)s->dims[k];
    int64_t ia[MAXR] = {0}, ib[MAXR] = {0};
    for (size_t e = 0; e < total; e++) {
        dst[at(s->nd2, ib, s->t2)] = src[at(s->nd, ia, s->s0)];
        odo_next(s->nd, s->dims, ia);
        odo_next(s->nd2, s->dims2, ib);
    }
}

static inline float binop(int op, float x, float y) {
    switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    default: return x > 0.0f ? x : x * y;
    }
}

GRAPH_O3 static void run_binary(const step *s, const float *a, const float *b, float *y) {
    const int nd = s->nd;
    const int64_t n = s->dims[nd - 1], sa = s->s0[nd - 1], sb = s->s1[nd - 1], sy = s->s2[nd - 1];
    int64_t idx[MAXR] = {0};
    for (size_t o = outer_count(nd, s->dims); o > 0; o--) {
        const float *p = a + at(nd - 1, idx, s->s0), *q = b + at(nd - 1, idx, s->s1);
        float *r = y + at(nd - 1, idx, s->s2);
        if (sa == 1 && sb == 1 && sy == 1) {
            switch (s->kind) {
            case B_ADD: for (int64_t k = 0; k < n; k++) r[k] = p[k] + q[k]; break;
            case B_MUL: for (int64_t k = 0; k < n; k++) r[k] = p[k] * q[k]; break;
            default: for (int64_t k = 0; k < n; k++) r[k] = binop(s->kind, p[k], q[k]); break;
            }
        } else
            for (int64_t k = 0; k < n; k++) r[k * sy] = binop(s->kind, p[k * sa], q[k * sb]);
        odo_next(nd - 1, s->dims, idx);
    }
}

static inline float unop(const step *s, float v) {
    switch (s->uop) {
    case U_LEAKY: return v >= 0.0f ? v : v * s->a;
    case U_CLIP: return v < s->a ? s->a : v > s->b ? s->b : v;
    case U_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case U_HSWISH: {
        float t = v / 6.0f + 0.5f;
        return v * (t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t);
    }
    case U_HSIGMOID: {
        float t = s->a * v + s->b;
        return t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    }
    case U_TANH: return tanhf(v);
    default: return v > 0.0f ? v : 0.0f;
    }
}

/* one loop per operator, so that each vectorises */
GRAPH_O3 static void run_unary(const step *s, const float *x, float *y, size_t n) {
    const float a = s->a, b = s->b;
    switch (s->uop) {
    case U_CLIP:
        for (size_t k = 0; k < n; k++) {
            const float v = x[k] < a ? a : x[k];
            y[k] = v > b ? b : v;
        }
        break;
    case U_LEAKY:
        for (size_t k = 0; k < n; k++) y[k] = x[k] >= 0.0f ? x[k] : x[k] * a;
        break;
    case U_HSIGMOID:
        for (size_t k = 0; k < n; k++) {
            const float t = a * x[k] + b;
            y[k] = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
        }
        break;
    case U_HSWISH:
        for (size_t k = 0; k < n; k++) {
            const float t = x[k] / 6.0f + 0.5f;
            y[k] = x[k] * (t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t);
        }
        break;
    default:
        for (size_t k = 0; k < n; k++) y[k] = unop(s, x[k]);
        break;
    }
}

static void run_gconv(const step *s, const val *vx, const val *vy, const float *x, float *y) {
    const int H = (int)vx->dims[2], W = (int)vx->dims[3], C = s->cin, OH = (int)vy->dims[2], OW = (int)vy->dims[3];
    const int M = s->cout, cg = C / s->groups, mg = M / s->groups;
    const nn_conv_geom *g = &s->geom;
    for (int64_t b = 0; b < vx->dims[0]; b++) {
        const float *xb = x + (size_t)b * H * W * C;
        float *yb = y + (size_t)b * OH * OW * M;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float *o = yb + ((size_t)oy * OW + ox) * M;
                for (int m = 0; m < M; m++) {
                    const int gi = m / mg;
                    const float *w = s->gw + (size_t)m * cg * s->kh * s->kw;
                    float acc = s->gb[m];
                    for (int ky = 0; ky < s->kh; ky++) {
                        const int iy = oy * g->stride_h - g->pad_t + ky * g->dil_h;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < s->kw; kx++) {
                            const int ix = ox * g->stride_w - g->pad_l + kx * g->dil_w;
                            if (ix < 0 || ix >= W) continue;
                            const float *p = xb + ((size_t)iy * W + ix) * C + (size_t)gi * cg;
                            for (int i = 0; i < cg; i++) acc += p[i] * w[((size_t)i * s->kh + ky) * s->kw + kx];
                        }
                    }
                    if (s->act == NN_ACT_RELU) acc = acc > 0.0f ? acc : 0.0f;
                    else if (s->act == NN_ACT_RELU6) acc = acc > 0.0f ? (acc < 6.0f ? acc : 6.0f) : 0.0f;
                    o[m] = acc;
                }
            }
    }
}

GRAPH_O3 static void run_pool(const step *s, const val *vx, const val *vy, const float *x, float *y) {
    const int H = (int)vx->dims[2], W = (int)vx->dims[3], C = (int)vx->dims[1];
    const int OH = (int)vy->dims[2], OW = (int)vy->dims[3];
    for (int64_t b = 0; b < vx->dims[0]; b++) {
        const float *xb = x + (size_t)b * H * W * C;
        float *yb = y + (size_t)b * OH * OW * C;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float *o = yb + ((size_t)oy * OW + ox) * C;
                const int a0 = oy * s->ps_h - s->pp_t, b0 = ox * s->ps_w - s->pp_l;
                const int y0 = a0 < 0 ? 0 : a0, y1 = a0 + s->pk_h > H ? H : a0 + s->pk_h;
                const int x0 = b0 < 0 ? 0 : b0, x1 = b0 + s->pk_w > W ? W : b0 + s->pk_w;
                for (int ch = 0; ch < C; ch++) o[ch] = s->kind ? 0.0f : -FLT_MAX;
                for (int iy = y0; iy < y1; iy++)
                    for (int ix = x0; ix < x1; ix++) {
                        const float *p = xb + ((size_t)iy * W + ix) * C;
                        if (s->kind)
                            for (int ch = 0; ch < C; ch++) o[ch] += p[ch];
                        else
                            for (int ch = 0; ch < C; ch++) o[ch] = p[ch] > o[ch] ? p[ch] : o[ch];
                    }
                if (s->kind) {
                    int cnt;
                    if (s->incl_pad) {
                        const int py0 = a0 < -s->pp_t ? -s->pp_t : a0, py1 = a0 + s->pk_h > H + s->pp_b ? H + s->pp_b : a0 + s->pk_h;
                        const int px0 = b0 < -s->pp_l ? -s->pp_l : b0, px1 = b0 + s->pk_w > W + s->pp_r ? W + s->pp_r : b0 + s->pk_w;
                        cnt = (py1 - py0) * (px1 - px0);
                    } else
                        cnt = (y1 - y0) * (x1 - x0);
                    const float inv = cnt > 0 ? 1.0f / (float)cnt : 0.0f;
                    for (int ch = 0; ch < C; ch++) o[ch] *= inv;
                }
            }
    }
}

static void run_resize(const step *s, const val *vx, const val *vy, const float *x, float *y) {
    const int H = (int)vx->dims[2], W = (int)vx->dims[3], C = (int)vx->dims[1];
    const int OH = (int)vy->dims[2], OW = (int)vy->dims[3];
    for (int64_t b = 0; b < vx->dims[0]; b++) {
        const float *xb = x + (size_t)b * H * W * C;
        float *yb = y + (size_t)b * OH * OW * C;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float *o = yb + ((size_t)oy * OW + ox) * C;
                const float *p00 = xb + ((size_t)s->ry0[oy] * W + s->rx0[ox]) * C;
                if (!s->linear) {
                    memcpy(o, p00, (size_t)C * sizeof *o);
                    continue;
                }
                const float *p01 = xb + ((size_t)s->ry0[oy] * W + s->rx1[ox]) * C;
                const float *p10 = xb + ((size_t)s->ry1[oy] * W + s->rx0[ox]) * C;
                const float *p11 = xb + ((size_t)s->ry1[oy] * W + s->rx1[ox]) * C;
                const float ly = s->rly[oy], lx = s->rlx[ox];
                for (int ch = 0; ch < C; ch++)
                    o[ch] = (1.0f - ly) * ((1.0f - lx) * p00[ch] + lx * p01[ch]) + ly * ((1.0f - lx) * p10[ch] + lx * p11[ch]);
            }
    }
}

static void run_pad(const step *s, const float *x, float *y) {
    const int nd = s->nd;
    size_t total = 1;
    for (int k = 0; k < nd; k++) total *= (size_t)s->dims[k];
    int64_t idx[MAXR] = {0};
    for (size_t e = 0; e < total; e++) {
        int64_t p = 0;
        int inside = 1;
        for (int k = 0; k < nd; k++) {
            int64_t i = idx[k] - s->pb[k], d = s->dims2[k];
            if (i < 0 || i >= d) {
                if (s->padmode == 0) { inside = 0; break; }
                if (s->padmode == 1) i = i < 0 ? 0 : d - 1;
                else i = i < 0 ? -i : 2 * (d - 1) - i;
            }
            p += i * s->s0[k];
        }
        y[at(nd, idx, s->s2)] = inside ? x[p] : s->a;
        odo_next(nd, s->dims, idx);
    }
}

static void run_step(nn_graph *g, const step *s) {
    const val *vx = &g->v[s->in[0]], *vy = &g->v[s->out];
    const float *x = data_of(g, s->in[0]);
    float *y = g->v[s->out].d;
    switch (s->op) {
    case S_CONV:
    case S_DW: {
        const int H = (int)vx->dims[2], W = (int)vx->dims[3], C = (int)vx->dims[1];
        const int OH = (int)vy->dims[2], OW = (int)vy->dims[3], M = (int)vy->dims[1];
        for (int64_t b = 0; b < vx->dims[0]; b++) {
            nn_tensor tx = {H, W, C, (float *)x + (size_t)b * H * W * C};
            nn_tensor ty = {OH, OW, M, y + (size_t)b * OH * OW * M};
            if (s->op == S_CONV) nn_conv2d_ex(&s->conv, &tx, &s->geom, s->act, &ty, g->scratch);
            else nn_depthwise_ex(&s->dw, &tx, s->geom.stride_h, s->geom.pad_t, s->geom.pad_l, s->act, &ty);
        }
        break;
    }
    case S_GCONV: run_gconv(s, vx, vy, x, y); break;
    case S_GEMM:
        nn_gemm_packed(s->kernel, s->M, s->N, s->K, x, (size_t)s->K, s->packed, s->act, y, (size_t)s->N);
        break;
    case S_MATMUL: {
        const float *b = data_of(g, s->in[1]);
        const size_t MK = (size_t)s->M * s->K, KN = (size_t)s->K * s->N, MN = (size_t)s->M * s->N;
        for (size_t t = 0; t < s->outer; t++) {
            const float *A = x + t * MK, *B = b + (s->inner == 1 ? 0 : t * KN);
            float *Y = y + t * MN;
            memset(Y, 0, MN * sizeof *Y);
            for (int i = 0; i < s->M; i++)
                for (int k = 0; k < s->K; k++) {
                    const float a = A[(size_t)i * s->K + k];
                    const float *br = B + (size_t)k * s->N;
                    float *yr = Y + (size_t)i * s->N;
                    for (int j = 0; j < s->N; j++) yr[j] += a * br[j];
                }
        }
        break;
    }
    case S_UNARY: run_unary(s, x, y, vx->count); break;
    case S_BINARY:
        run_binary(s, x, data_of(g, s->in[1]), y);
        if (s->act != NN_ACT_NONE) { /* a fused Relu / Clip(0, 6) */
            nn_tensor t = {1, 1, (int)vy->count, y};
            if (vy->count <= INT32_MAX) nn_activate(&t, s->act);
        }
        break;
    case S_COPY: run_copy(s, x, y); break;
    case S_POOL: run_pool(s, vx, vy, x, y); break;
    case S_GPOOL: {
        const size_t C = (size_t)vx->dims[1], HW = (size_t)(vx->dims[2] * vx->dims[3]);
        for (int64_t b = 0; b < vx->dims[0]; b++) {
            const float *p = x + (size_t)b * HW * C;
            float *o = y + (size_t)b * C;
            for (size_t ch = 0; ch < C; ch++) o[ch] = s->kind ? 0.0f : -FLT_MAX;
            for (size_t i = 0; i < HW; i++)
                for (size_t ch = 0; ch < C; ch++) {
                    const float v = p[i * C + ch];
                    o[ch] = s->kind ? o[ch] + v : (v > o[ch] ? v : o[ch]);
                }
            if (s->kind && HW)
                for (size_t ch = 0; ch < C; ch++) o[ch] /= (float)HW;
        }
        break;
    }
    case S_PAD: run_pad(s, x, y); break;
    case S_RESIZE: run_resize(s, vx, vy, x, y); break;
    case S_SOFTMAX:
    case S_LPNORM:
        for (size_t o = 0; o < s->outer; o++)
            for (size_t i = 0; i < s->inner; i++) {
                const float *p = x + o * s->n * s->inner + i;
                float *q = y + o * s->n * s->inner + i;
                if (s->op == S_SOFTMAX) {
                    float mx = -INFINITY, sum = 0.0f;
                    for (size_t j = 0; j < s->n; j++) mx = p[j * s->inner] > mx ? p[j * s->inner] : mx;
                    for (size_t j = 0; j < s->n; j++) sum += q[j * s->inner] = expf(p[j * s->inner] - mx);
                    for (size_t j = 0; j < s->n; j++) q[j * s->inner] /= sum;
                } else {
                    double nrm = 0.0;
                    for (size_t j = 0; j < s->n; j++) {
                        const double v = p[j * s->inner];
                        nrm += s->kind == 1 ? fabs(v) : v * v;
                    }
                    if (s->kind == 2) nrm = sqrt(nrm);
                    const float inv = nrm > 0.0 ? (float)(1.0 / nrm) : 0.0f;
                    for (size_t j = 0; j < s->n; j++) q[j * s->inner] = p[j * s->inner] * inv;
                }
            }
        break;
    case S_REDUCE: {
        memset(y, 0, vy->count * sizeof *y);
        size_t total = vx->count;
        int64_t idx[MAXR] = {0};
        for (size_t e = 0; e < total; e++) {
            y[at(s->nd, idx, s->s2)] += x[at(s->nd, idx, s->s0)];
            odo_next(s->nd, s->dims, idx);
        }
        const float inv = s->n ? 1.0f / (float)s->n : 0.0f;
        for (size_t k = 0; k < vy->count; k++) y[k] *= inv;
        break;
    }
    case S_AFFINE:
        for (size_t k = 0; k < vx->count; k++) {
            const size_t ch = vx->nhwc ? k % s->n : (k / s->inner) % s->n;
            y[k] = x[k] * s->scale[ch] + s->shift[ch];
        }
        break;
    }
}

int nn_graph_run(nn_graph *g, const float *const *inputs, float *const *outputs, char *err,
                 size_t errlen) {
    if (!g || (g->nin && !inputs) || (g->nout && !outputs))
        return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_run: NULL argument");
    for (int k = 0; k < g->nin; k++)
        if (!inputs[k]) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_run: input %d is NULL", k);
    for (int k = 0; k < g->nout; k++)
        if (!outputs[k]) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_run: output %d is NULL", k);
#ifdef GRAPH_HAVE_MXCSR
    const unsigned csr = _mm_getcsr();
    if (!g->keep_denormals) _mm_setcsr(csr | 0x8040); /* flush to zero, denormals are zero */
#endif
    for (int k = 0; k < g->nin; k++) g->v[g->in_idx[k]].d = (float *)inputs[k];
    for (int k = 0; k < g->nsteps; k++) run_step(g, &g->s[k]);
    for (int k = 0; k < g->nout; k++) {
        const val *v = &g->v[g->out_idx[k]];
        const float *src = data_of(g, g->out_idx[k]);
        if (!v->count) continue;
        if (!v->nhwc) {
            memcpy(outputs[k], src, v->count * sizeof(float));
            continue;
        }
        const size_t C = (size_t)v->dims[1], HW = (size_t)(v->dims[2] * v->dims[3]);
        for (int64_t b = 0; b < v->dims[0]; b++)
            for (size_t i = 0; i < HW; i++)
                for (size_t ch = 0; ch < C; ch++)
                    outputs[k][((size_t)b * C + ch) * HW + i] = src[((size_t)b * HW + i) * C + ch];
    }
#ifdef GRAPH_HAVE_MXCSR
    _mm_setcsr(csr);
#endif
    return BEX_OK;
}

/* ---------------------------------------------------------------- load */

void nn_graph_free(nn_graph *g) {
    if (!g) return;
    for (int k = 0; k < g->nvals; k++) {
        bex__free(g->v[k].f);
        bex__free(g->v[k].i);
    }
    for (int k = 0; k < g->nsteps; k++) step_free(&g->s[k]);
    for (int k = 0; k < g->nin; k++) bex__free(g->in_names[k]);
    for (int k = 0; k < g->nout; k++) bex__free(g->out_names[k]);
    bex__free(g->v);
    bex__free(g->s);
    bex__free(g->in_idx);
    bex__free(g->out_idx);
    bex__free(g->in_names);
    bex__free(g->out_names);
    bex__free(g->in_info);
    bex__free(g->out_info);
    bex__free_aligned(g->arena);
    bex__free_aligned(g->scratch);
    bex__free(g);
}

static char *dup_str(const char *s) {
    char *d = bex__malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

/* liveness and the arena: each run value gets a block no other value uses while it lives */
static int plan_memory(ctx *c) {
    nn_graph *g = c->g;
    for (int k = 0; k < g->nvals; k++) g->v[k].def = g->v[k].last = -1;
    for (int si = 0; si < g->nsteps; si++) {
        const step *s = &g->s[si];
        for (int j = 0; j < 3; j++)
            if (s->in[j] >= 0) use(g, s->in[j], si);
        val *o = &g->v[s->out];
        if (o->def < 0) o->def = si;
        use(g, s->out, si);
    }
    for (int k = 0; k < g->nout; k++) use(g, g->out_idx[k], g->nsteps);
    typedef struct { size_t off, size; int until; } block;
    block *bl = bex__malloc((size_t)(g->nsteps + 1) * sizeof *bl);
    if (!bl) return NOMEM();
    int nb = 0;
    size_t total = 0;
    for (int si = 0; si < g->nsteps; si++) { /* values in the order they are made */
        const int vi = g->s[si].out;
        val *v = &g->v[vi];
        if (v->kind != V_RUN || v->def != si) continue;
        const size_t need = (v->count + 15) & ~(size_t)15;
        int best = -1;
        for (int b = 0; b < nb; b++)
            if (bl[b].until < si && bl[b].size >= need && (best < 0 || bl[b].size < bl[best].size)) best = b;
        if (best < 0) {
            if (total + need > MAX_ARENA) {
                bex__free(bl);
                return REFUSE("activations of more than %zu floats in all", MAX_ARENA);
            }
            best = nb++;
            bl[best].off = total;
            bl[best].size = need;
            total += need;
        }
        bl[best].until = v->last;
        v->off = bl[best].off;
    }
    bex__free(bl);
    g->arena_floats = total;
    g->arena = bex__malloc_aligned((total ? total : 16) * sizeof(float));
    if (!g->arena) return NOMEM();
    memset(g->arena, 0, (total ? total : 16) * sizeof(float));
    if (g->scratch_floats) {
        g->scratch = bex__malloc_aligned(g->scratch_floats * sizeof(float));
        if (!g->scratch) return NOMEM();
    }
    for (int k = 0; k < g->nvals; k++) {
        val *v = &g->v[k];
        if (v->kind == V_RUN) v->d = g->arena + v->off;
        if (v->kind == V_CONST && v->last < 0) { /* folded away: not needed at run time */
            bex__free(v->f);
            bex__free(v->i);
            v->f = NULL;
            v->i = NULL;
        }
        v->name = NULL;
    }
    return BEX_OK;
}

static int build(ctx *c) {
    const onnx_model *m = c->m;
    nn_graph *g = c->g;
    size_t names = (size_t)m->ninit + (size_t)m->ninputs + 16;
    for (int k = 0; k < m->nnodes; k++) names += (size_t)m->nodes[k].nout;
    c->hcap = 64;
    while (c->hcap < names * 2) c->hcap *= 2;
    for (int k = 0; k < m->nnodes; k++) names += (size_t)m->nodes[k].nin;
    names += (size_t)m->noutputs;
    while (c->hcap < names * 2) c->hcap *= 2;
    c->hkeys = bex__calloc(c->hcap, sizeof *c->hkeys);
    c->hvals = bex__calloc(c->hcap, sizeof *c->hvals);
    c->ckeys = bex__calloc(c->hcap, sizeof *c->ckeys);
    c->cvals = bex__calloc(c->hcap, sizeof *c->cvals);
    if (!c->hkeys || !c->hvals || !c->ckeys || !c->cvals) return NOMEM();
    for (int k = 0; k < m->nnodes; k++)
        for (int j = 0; j < m->nodes[k].nin; j++)
            if (m->nodes[k].in[j][0]) (*reads(c, m->nodes[k].in[j], 1))++;
    for (int k = 0; k < m->noutputs; k++) (*reads(c, m->outputs[k].name, 1))++;
    int rc, vi;
    if (m->opset > 0 && m->opset < 7) return REFUSE("opset %lld is older than 7 (not supported)", (long long)m->opset);
    for (int k = 0; k < m->ninit; k++) {
        const onnx_tensor *t = &m->init[k];
        if ((rc = new_const(c, t->rank, t->dims, t->i != NULL || (t->count == 0 && !is_float_type_dt(t->dtype)), &vi))) return rc;
        val *v = &g->v[vi];
        if (t->count && t->f) memcpy(v->f, t->f, t->count * sizeof *v->f);
        if (t->count && t->i) memcpy(v->i, t->i, t->count * sizeof *v->i);
        v->name = t->name;
        if ((rc = bind(c, t->name, vi))) return rc;
    }
    /* the graph's inputs that are not initializers */
    g->in_idx = bex__calloc((size_t)m->ninputs + 1, sizeof *g->in_idx);
    g->in_names = bex__calloc((size_t)m->ninputs + 1, sizeof *g->in_names);
    if (!g->in_idx || !g->in_names) return NOMEM();
    for (int k = 0; k < m->ninputs; k++) {
        const onnx_value_info *in = &m->inputs[k];
        if (lookup(c, in->name) >= 0) continue;
        if (in->elem_type != ONNX_FLOAT) return REFUSE("input '%s': type %d (only float32 inputs are supported)", in->name, in->elem_type);
        if (in->rank < 0) return REFUSE("input '%s': no shape given", in->name);
        int64_t dims[MAXR];
        for (int j = 0; j < in->rank; j++) {
            dims[j] = in->dims[j];
            if (dims[j] < 0) {
                if (j != 0) return REFUSE("input '%s': a symbolic dimension other than the first (not supported)", in->name);
                dims[j] = c->batch;
            }
        }
        if ((rc = check_shape(c, in->rank, dims))) return rc;
        if ((vi = new_val(c, V_INPUT, in->rank, dims)) < 0) return NOMEM();
        if ((rc = bind(c, in->name, vi))) return rc;
        g->in_idx[g->nin] = vi;
        if (!(g->in_names[g->nin++] = dup_str(in->name))) return NOMEM();
    }
    for (int k = 0; k < m->nnodes; k++) {
        c->node = &m->nodes[k];
        if ((rc = build_node(c))) return rc;
    }
    c->node = NULL;
    if (m->noutputs < 1) return REFUSE("the graph has no outputs");
    g->out_idx = bex__calloc((size_t)m->noutputs, sizeof *g->out_idx);
    g->out_names = bex__calloc((size_t)m->noutputs, sizeof *g->out_names);
    if (!g->out_idx || !g->out_names) return NOMEM();
    for (int k = 0; k < m->noutputs; k++) {
        int o = lookup(c, m->outputs[k].name);
        if (o < 0) return REFUSE("output '%s' is not computed by the graph", m->outputs[k].name);
        if (g->v[o].kind == V_CONST && (rc = as_float(c, o))) return rc;
        if (g->v[o].kind == V_CONST) g->v[o].last = 0;
        g->out_idx[g->nout] = o;
        if (!(g->out_names[g->nout++] = dup_str(m->outputs[k].name))) return NOMEM();
    }
    for (int si = 0; si < g->nsteps; si++)
        for (int j = 0; j < 3; j++) {
            int u = g->s[si].in[j];
            if (u >= 0 && g->v[u].kind == V_CONST) g->v[u].last = si;
        }
    if ((rc = plan_memory(c))) return rc;
    g->in_info = bex__calloc((size_t)g->nin + 1, sizeof *g->in_info);
    g->out_info = bex__calloc((size_t)g->nout + 1, sizeof *g->out_info);
    if (!g->in_info || !g->out_info) return NOMEM();
    for (int k = 0; k < g->nin + g->nout; k++) {
        nn_graph_info *inf = k < g->nin ? &g->in_info[k] : &g->out_info[k - g->nin];
        const val *v = &g->v[k < g->nin ? g->in_idx[k] : g->out_idx[k - g->nin]];
        inf->name = k < g->nin ? g->in_names[k] : g->out_names[k - g->nin];
        inf->rank = v->rank;
        memcpy(inf->dims, v->dims, sizeof inf->dims);
        inf->count = v->count;
    }
    return BEX_OK;
}

static int load_model(const onnx_model *m, const char *what, const nn_graph_options *opt, nn_graph **out,
                      char *err, size_t errlen) {
    ctx c = {0};
    c.m = m;
    c.what = what;
    c.err = err;
    c.errlen = errlen;
    c.batch = opt && opt->batch > 0 ? opt->batch : 1;
    c.g = bex__calloc(1, sizeof *c.g);
    if (c.g) c.g->keep_denormals = opt && opt->keep_denormals;
    int rc = c.g ? build(&c) : bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", what);
    bex__free(c.hkeys);
    bex__free(c.hvals);
    bex__free(c.ckeys);
    bex__free(c.cvals);
    bex__free(c.uses);
    if (rc != BEX_OK) {
        nn_graph_free(c.g);
        return rc;
    }
    *out = c.g;
    return BEX_OK;
}

int nn_graph_load_onnx_mem(const void *data, size_t len, const nn_graph_options *opt,
                           nn_graph **out, char *err, size_t errlen) {
    onnx_model m;
    if (!data || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_load_onnx_mem: NULL argument");
    int rc = onnx_parse(data, len, "model", &m, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = load_model(&m, "model", opt, out, err, errlen);
    onnx_model_free(&m);
    return rc;
}

int nn_graph__load_parsed(const onnx_model *m, const char *what, const nn_graph_options *opt, nn_graph **out,
                          char *err, size_t errlen) {
    return load_model(m, what, opt, out, err, errlen);
}

int nn_graph__read_file(const char *path, uint8_t **data, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return bex__fail(err, errlen, BEX_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)sb.st_size > ONNX_MAX_FILE) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_MODEL, "%s: %lld bytes, more than the limit of %zu", path,
                         (long long)sb.st_size, ONNX_MAX_FILE);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = bex__malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != n || rerr) {
        bex__free(buf);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: read error", path);
    }
    *data = buf;
    *len = n;
    return BEX_OK;
}

int nn_graph_load_onnx(const char *path, const nn_graph_options *opt, nn_graph **out, char *err,
                       size_t errlen) {
    if (!path || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "nn_graph_load_onnx: NULL argument");
    uint8_t *buf;
    size_t len;
    int rc = nn_graph__read_file(path, &buf, &len, err, errlen);
    if (rc != BEX_OK) return rc;
    onnx_model m;
    rc = onnx_parse(buf, len, path, &m, err, errlen);
    bex__free(buf); /* the parsed model holds copies */
    if (rc != BEX_OK) return rc;
    rc = load_model(&m, path, opt, out, err, errlen);
    onnx_model_free(&m);
    return rc;
}

int nn_graph_input_count(const nn_graph *g) { return g ? g->nin : 0; }
int nn_graph_output_count(const nn_graph *g) { return g ? g->nout : 0; }

int nn_graph_input(const nn_graph *g, int i, nn_graph_info *info) {
    if (!g || i < 0 || i >= g->nin || !info) return BEX_ERR_ARG;
    *info = g->in_info[i];
    return BEX_OK;
}

int nn_graph_output(const nn_graph *g, int i, nn_graph_info *info) {
    if (!g || i < 0 || i >= g->nout || !info) return BEX_ERR_ARG;
    *info = g->out_info[i];
    return BEX_OK;
}
