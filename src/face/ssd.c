/*
 * ssd.c - the SSD MobileNetV1 face detector, as face-api.js runs it.
 *
 * Input: the image padded with zeros at the right or bottom to a square, resized bilinearly
 * to 512x512 and scaled to -1..1. Backbone: MobileNetV1 (a 3x3 stride-2 conv, then 13
 * depthwise + pointwise pairs, ReLU6, batch norm folded into the weights at load). Heads:
 * eight extra convs and six box predictors over 5118 anchors, decoded with face-api's
 * box coder (scales 10, 10, 5, 5), sigmoid scores, then greedy NMS at IoU 0.5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face/nets.h"
#include "image/transform.h"
#include "util/util.h"

#define BN_EPSILON 0.0010000000474974513f /* face-api's mobileNetV1 batch-norm epsilon */

/* Layers 2, 4, 6 and 12 of MobileNetV1 downsample. */
static int dw_stride(int layer) { return (layer == 2 || layer == 4 || layer == 6 || layer == 12) ? 2 : 1; }

/* Prediction-layer convs 1, 3, 5 and 7 downsample. */
static int pred_stride(int i) { return (i & 1) ? 2 : 1; }

/* Anchors per location and feature map side of box predictors 0..5 (512 input). */
static const int head_anchors[6] = {3, 6, 6, 6, 6, 6};
static const int head_side[6] = {32, 16, 8, 4, 2, 1};

/* Loads a conv whose tfjs weights are `wname` [kh][kw][cin][cout] with a bias `bname`. */
static int load_conv(nn_conv *cv, const nn_weights *w, const char *wname, const char *bname,
                     char *err, size_t errlen) {
    int shape[4];
    const int any4[4] = {-1, -1, -1, -1};
    const float *f = nn_weights_get(w, wname, 4, any4, shape, err, errlen);
    if (!f) return BEX_ERR_MODEL;
    const int bdims[1] = {shape[3]};
    const float *b = nn_weights_get(w, bname, 1, bdims, NULL, err, errlen);
    if (!b) return BEX_ERR_MODEL;
    if (nn_conv_init(cv, shape[0], shape[1], shape[2], shape[3], f, b, NULL, NULL) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading %s", wname);
    return BEX_OK;
}

static int load_dw(nn_dwconv *dw, const nn_weights *w, int layer, char *err, size_t errlen) {
    char name[128], pre[64];
    snprintf(pre, sizeof pre, "MobilenetV1/Conv2d_%d_depthwise", layer);
    snprintf(name, sizeof name, "%s/depthwise_weights", pre);
    int shape[4];
    const int d4[4] = {3, 3, -1, 1};
    const float *f = nn_weights_get(w, name, 4, d4, shape, err, errlen);
    if (!f) return BEX_ERR_MODEL;
    int c = shape[2];
    const int d1[1] = {c};
    const float *bn[4];
    static const char *parts[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s/BatchNorm/%s", pre, parts[i]);
        if (!(bn[i] = nn_weights_get(w, name, 1, d1, NULL, err, errlen))) return BEX_ERR_MODEL;
    }
    /* batchNorm(x) = (x - mean) * gamma / sqrt(var + eps) + beta = x * s + (beta - mean * s) */
    float *scale = bex__malloc(sizeof(float) * (size_t)c * 2);
    if (!scale) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the detector");
    float *shift = scale + c;
    for (int i = 0; i < c; i++) {
        scale[i] = bn[0][i] / sqrtf(bn[3][i] + BN_EPSILON);
        shift[i] = bn[1][i] - bn[2][i] * scale[i];
    }
    int rc = nn_dwconv_init(dw, 3, 3, c, f, NULL, scale, shift);
    bex__free(scale);
    if (rc != BEX_OK) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the detector");
    return BEX_OK;
}

static float *falloc(size_t n) { return bex__malloc_aligned(n * sizeof(float)); }

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

int ssd_load(ssd_net *net, const char *manifest, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    nn_weights *w = NULL;
    int rc = nn_weights_load(manifest, &w, err, errlen);
    if (rc != BEX_OK) return rc;
    char wn[128], bn[128];

    if ((rc = load_conv(&net->conv0, w, "MobilenetV1/Conv2d_0_pointwise/weights",
                        "MobilenetV1/Conv2d_0_pointwise/convolution_bn_offset", err, errlen)))
        goto fail;
    for (int l = 1; l <= 13; l++) {
        if ((rc = load_dw(&net->dw[l - 1], w, l, err, errlen))) goto fail;
        snprintf(wn, sizeof wn, "MobilenetV1/Conv2d_%d_pointwise/weights", l);
        snprintf(bn, sizeof bn, "MobilenetV1/Conv2d_%d_pointwise/convolution_bn_offset", l);
        if ((rc = load_conv(&net->pw[l - 1], w, wn, bn, err, errlen))) goto fail;
    }
    for (int i = 0; i < 8; i++) {
        snprintf(wn, sizeof wn, "Prediction/Conv2d_%d_pointwise/weights", i);
        snprintf(bn, sizeof bn, "Prediction/Conv2d_%d_pointwise/convolution_bn_offset", i);
        if ((rc = load_conv(&net->pred[i], w, wn, bn, err, errlen))) goto fail;
    }
    for (int i = 0; i < 6; i++) {
        snprintf(wn, sizeof wn, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/weights", i);
        snprintf(bn, sizeof bn, "Prediction/BoxPredictor_%d/BoxEncodingPredictor/biases", i);
        if ((rc = load_conv(&net->box_enc[i], w, wn, bn, err, errlen))) goto fail;
        snprintf(wn, sizeof wn, "Prediction/BoxPredictor_%d/ClassPredictor/weights", i);
        snprintf(bn, sizeof bn, "Prediction/BoxPredictor_%d/ClassPredictor/biases", i);
        if ((rc = load_conv(&net->cls[i], w, wn, bn, err, errlen))) goto fail;
        if (net->box_enc[i].cout != head_anchors[i] * 4 || net->cls[i].cout != head_anchors[i] * 3) {
            rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s: box predictor %d has an unexpected shape", manifest, i);
            goto fail;
        }
    }
    {
        const int ad[3] = {1, SSD_ANCHORS, 4};
        const float *a = nn_weights_get(w, "Output/extra_dim", 3, ad, NULL, err, errlen);
        if (!a) { rc = BEX_ERR_MODEL; goto fail; }
        if (!(net->anchors = falloc(SSD_ANCHORS * 4))) goto nomem;
        memcpy(net->anchors, a, sizeof(float) * SSD_ANCHORS * 4);
    }
    nn_weights_free(w);
    w = NULL;

    /* Activation buffers and the largest im2col scratch any layer needs. */
    size_t act = (size_t)256 * 256 * 64;
    size_t scratch = nn_conv2d_scratch(&net->conv0, SSD_INPUT, SSD_INPUT, 2, NN_PAD_SAME);
    int side = SSD_INPUT / 2;
    for (int l = 1; l <= 13; l++) {
        side = nn_out_size(side, 3, dw_stride(l), NN_PAD_SAME);
        scratch = max_sz(scratch, nn_conv2d_scratch(&net->pw[l - 1], side, side, 1, NN_PAD_SAME));
        act = max_sz(act, (size_t)side * side * (size_t)net->pw[l - 1].cout);
    }
    int pside = side; /* 16 */
    for (int i = 0; i < 8; i++) {
        scratch = max_sz(scratch, nn_conv2d_scratch(&net->pred[i], pside, pside, pred_stride(i), NN_PAD_SAME));
        pside = nn_out_size(pside, net->pred[i].kh, pred_stride(i), NN_PAD_SAME);
        if (!(net->pred_out[i] = falloc((size_t)pside * pside * net->pred[i].cout))) goto nomem;
    }
    for (int i = 0; i < 6; i++) {
        scratch = max_sz(scratch, nn_conv2d_scratch(&net->box_enc[i], head_side[i], head_side[i], 1, NN_PAD_SAME));
        scratch = max_sz(scratch, nn_conv2d_scratch(&net->cls[i], head_side[i], head_side[i], 1, NN_PAD_SAME));
    }
    net->scratch_len = scratch;
    if (!(net->input = falloc((size_t)SSD_INPUT * SSD_INPUT * 3)) || !(net->buf_a = falloc(act)) ||
        !(net->buf_b = falloc(act)) || !(net->conv11 = falloc((size_t)32 * 32 * 512)) ||
        !(net->box_raw = falloc(SSD_ANCHORS * 4)) || !(net->cls_raw = falloc(SSD_ANCHORS * 3)) ||
        !(net->scratch = falloc(scratch ? scratch : 1)))
        goto nomem;
    return BEX_OK;

nomem:
    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the face detector");
fail:
    nn_weights_free(w);
    ssd_free(net);
    return rc;
}

void ssd_free(ssd_net *net) {
    nn_conv_free(&net->conv0);
    for (int i = 0; i < 13; i++) {
        nn_dwconv_free(&net->dw[i]);
        nn_conv_free(&net->pw[i]);
    }
    for (int i = 0; i < 8; i++) {
        nn_conv_free(&net->pred[i]);
        bex__free_aligned(net->pred_out[i]);
    }
    for (int i = 0; i < 6; i++) {
        nn_conv_free(&net->box_enc[i]);
        nn_conv_free(&net->cls[i]);
    }
    bex__free_aligned(net->anchors);
    bex__free_aligned(net->input);
    bex__free_aligned(net->buf_a);
    bex__free_aligned(net->buf_b);
    bex__free_aligned(net->conv11);
    bex__free_aligned(net->box_raw);
    bex__free_aligned(net->cls_raw);
    bex__free_aligned(net->scratch);
    memset(net, 0, sizeof *net);
}

/* Runs conv cv on x into a tensor y over buffer d, sizing y from x. */
static nn_tensor run_conv(ssd_net *net, const nn_conv *cv, const nn_tensor *x, int stride,
                          nn_act act, float *d) {
    nn_tensor y = {nn_out_size(x->h, cv->kh, stride, NN_PAD_SAME),
                   nn_out_size(x->w, cv->kw, stride, NN_PAD_SAME), cv->cout, d};
    nn_conv2d(cv, x, stride, NN_PAD_SAME, act, &y, net->scratch);
    return y;
}

/* The network proper: net->input -> box_raw, cls_raw. */
static void ssd_forward(ssd_net *net) {
    nn_tensor x = {SSD_INPUT, SSD_INPUT, 3, net->input};
    nn_tensor cur = run_conv(net, &net->conv0, &x, 2, NN_ACT_RELU6, net->buf_a); /* 256x256x32 */
    nn_tensor conv11 = {0};
    for (int l = 1; l <= 13; l++) {
        int s = dw_stride(l);
        /* depthwise into one ping-pong buffer, pointwise into the other; layer 11's output is
         * kept aside for box predictor 0 */
        float *tbuf = cur.d == net->buf_a ? net->buf_b : net->buf_a;
        float *obuf = tbuf == net->buf_a ? net->buf_b : net->buf_a;
        nn_tensor t = {nn_out_size(cur.h, 3, s, NN_PAD_SAME), nn_out_size(cur.w, 3, s, NN_PAD_SAME),
                       cur.c, tbuf};
        nn_depthwise(&net->dw[l - 1], &cur, s, NN_PAD_SAME, NN_ACT_RELU6, &t);
        float *dst = (l == 11) ? net->conv11 : obuf;
        cur = run_conv(net, &net->pw[l - 1], &t, 1, NN_ACT_RELU6, dst);
        if (l == 11) conv11 = cur; /* 32x32x512 */
    }
    /* cur: 16x16x1024 */
    nn_tensor p[8];
    const nn_tensor *in = &cur;
    for (int i = 0; i < 8; i++) {
        p[i] = run_conv(net, &net->pred[i], in, pred_stride(i), NN_ACT_RELU6, net->pred_out[i]);
        in = &p[i];
    }
    /* Box predictors read conv11, the backbone output and prediction convs 1, 3, 5, 7; their
     * NHWC outputs, flattened, are exactly the anchor-major rows of the concatenation. */
    const nn_tensor *src[6] = {&conv11, &cur, &p[1], &p[3], &p[5], &p[7]};
    size_t off = 0;
    for (int i = 0; i < 6; i++) {
        run_conv(net, &net->box_enc[i], src[i], 1, NN_ACT_NONE, net->box_raw + off * 4);
        run_conv(net, &net->cls[i], src[i], 1, NN_ACT_NONE, net->cls_raw + off * 3);
        off += (size_t)head_side[i] * head_side[i] * head_anchors[i];
    }
}

static int cand_cmp(const void *a, const void *b) {
    float sa = ((const ssd_cand *)a)->score, sb = ((const ssd_cand *)b)->score;
    if (sa != sb) return sa < sb ? 1 : -1;
    return ((const ssd_cand *)a)->idx - ((const ssd_cand *)b)->idx; /* stable, as JS sort */
}

static float iou(const float *a, const float *b) {
    float ay0 = fminf(a[0], a[2]), ax0 = fminf(a[1], a[3]), ay1 = fmaxf(a[0], a[2]), ax1 = fmaxf(a[1], a[3]);
    float by0 = fminf(b[0], b[2]), bx0 = fminf(b[1], b[3]), by1 = fmaxf(b[0], b[2]), bx1 = fmaxf(b[1], b[3]);
    float area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0 || area_b <= 0) return 0;
    float ih = fmaxf(fminf(ay1, by1) - fmaxf(ay0, by0), 0), iw = fmaxf(fminf(ax1, bx1) - fmaxf(ax0, bx0), 0);
    float inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

int ssd_detect(ssd_net *net, const bex_image *img, float min_score, int max_results,
               ssd_box *out, int max) {
    /* face-api: padToSquare (zeros appended right / bottom), resizeBilinear to 512, x/127.5-1 */
    int side = img->width > img->height ? img->width : img->height;
    bex__image_crop_pad_resize_f32(img, 0, 0, img->width, img->height, 0, 0, side, SSD_INPUT, net->input);
    float *in = net->input;
    for (size_t i = 0; i < (size_t)SSD_INPUT * SSD_INPUT * 3; i++) in[i] = in[i] / 127.5f - 1.0f;

    ssd_forward(net);

    /* Decode: anchors are (ymin, xmin, ymax, xmax); predictions (ty, tx, th, tw) with scales
     * 10, 10, 5, 5. Boxes are written back over box_raw. */
    ssd_cand *cands = net->cands, *keep = net->keep;
    int nc = 0;
    for (int i = 0; i < SSD_ANCHORS; i++) {
        const float *a = net->anchors + i * 4;
        float *v = net->box_raw + i * 4;
        float sy = a[2] - a[0], sx = a[3] - a[1];
        float cy = a[0] + sy / 2, cx = a[1] + sx / 2;
        float hy = expf(v[2] / 5) * sy / 2, hx = expf(v[3] / 5) * sx / 2;
        float my = v[0] / 10 * sy + cy, mx = v[1] / 10 * sx + cx;
        v[0] = my - hy;
        v[1] = mx - hx;
        v[2] = my + hy;
        v[3] = mx + hx;
        float score = 1.0f / (1.0f + expf(-net->cls_raw[i * 3 + 1]));
        if (score > min_score) cands[nc++] = (ssd_cand){score, i};
    }
    qsort(cands, (size_t)nc, sizeof *cands, cand_cmp);

    /* Greedy NMS at IoU 0.5, at most max_results kept. */
    int nk = 0;
    int limit = max_results < SSD_ANCHORS ? max_results : SSD_ANCHORS;
    for (int c = 0; c < nc && nk < limit; c++) {
        const float *bc = net->box_raw + cands[c].idx * 4;
        int ok = 1;
        for (int j = nk - 1; j >= 0 && ok; j--)
            if (iou(bc, net->box_raw + keep[j].idx * 4) > 0.5f) ok = 0;
        if (ok) keep[nk++] = cands[c];
    }

    /* Back to original px: the 512 square covers the padded square of the image. */
    float sc = (float)SSD_INPUT / (float)side;
    float rw = roundf(img->width * sc), rh = roundf(img->height * sc);
    float pad_x = SSD_INPUT / rw, pad_y = SSD_INPUT / rh;
    int n = 0;
    for (int k = 0; k < nk && n < max; k++) {
        const float *b = net->box_raw + keep[k].idx * 4;
        float top = fmaxf(0, b[0]) * pad_y, bottom = fminf(1, b[2]) * pad_y;
        float left = fmaxf(0, b[1]) * pad_x, right = fminf(1, b[3]) * pad_x;
        out[n++] = (ssd_box){left * img->width, top * img->height, (right - left) * img->width,
                             (bottom - top) * img->height, keep[k].score};
    }
    return n;
}
