/*
 * recognition.c - dlib's ResNet face descriptor (face-api.js's FaceRecognitionNet).
 *
 * A 150x150 RGB face chip, mean-subtracted and /255, goes through a 7x7 stride-2 conv, a 3x3
 * max pool and 14 residual blocks (32, 64, 128, 256 channels; the "down" blocks use a 3x3
 * stride-2 VALID conv and an average-pooled, zero-extended shortcut), then a global average
 * and a 256x128 matrix: the 128-d descriptor. Every conv's bias and scale layer are folded
 * into its weights at load.
 */
#include <stdio.h>
#include <string.h>

#include "face/nets.h"
#include "util/util.h"

static const float mean_rgb[3] = {122.782f, 117.001f, 104.298f};

/* Names of the residual blocks in execution order; "down" ones halve the resolution. */
static const char *const block_names[14] = {
    "conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2", "conv64_3",
    "conv128_down", "conv128_1", "conv128_2", "conv256_down", "conv256_1", "conv256_2",
    "conv256_down_out"};

static int is_down(int i) { return i == 3 || i == 7 || i == 10 || i == 13; }

static float *falloc(size_t n) { return bex__malloc_aligned(n * sizeof(float)); }

/* conv `pre`/conv/{filters,bias} followed by pre/scale/{weights,biases}, folded. */
static int load_conv_layer(nn_conv *cv, const nn_weights *w, const char *pre, char *err,
                           size_t errlen) {
    char name[96];
    int fs[4];
    const int any4[4] = {-1, -1, -1, -1};
    snprintf(name, sizeof name, "%s/conv/filters", pre);
    const float *f = nn_weights_get(w, name, 4, any4, fs, err, errlen);
    if (!f) return BEX_ERR_MODEL;
    const int d1[1] = {fs[3]};
    const float *p[3];
    static const char *parts[3] = {"conv/bias", "scale/weights", "scale/biases"};
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s/%s", pre, parts[i]);
        if (!(p[i] = nn_weights_get(w, name, 1, d1, NULL, err, errlen))) return BEX_ERR_MODEL;
    }
    if (nn_conv_init(cv, fs[0], fs[1], fs[2], fs[3], f, p[0], p[1], p[2]) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the descriptor net");
    return BEX_OK;
}

int rec_load(rec_net *net, const char *manifest, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    nn_weights *w = NULL;
    int rc = nn_weights_load(manifest, &w, err, errlen);
    if (rc != BEX_OK) return rc;
    char pre[64];
    if ((rc = load_conv_layer(&net->conv32_down, w, "conv32_down", err, errlen))) goto fail;
    for (int i = 0; i < 14; i++) {
        snprintf(pre, sizeof pre, "%s/conv1", block_names[i]);
        if ((rc = load_conv_layer(&net->res[i].c1, w, pre, err, errlen))) goto fail;
        snprintf(pre, sizeof pre, "%s/conv2", block_names[i]);
        if ((rc = load_conv_layer(&net->res[i].c2, w, pre, err, errlen))) goto fail;
    }
    {
        const int fd[2] = {256, 128};
        const float *fc = nn_weights_get(w, "fc", 2, fd, NULL, err, errlen);
        if (!fc) { rc = BEX_ERR_MODEL; goto fail; }
        if (!(net->fc = falloc(256 * 128))) goto nomem;
        memcpy(net->fc, fc, sizeof(float) * 256 * 128);
    }
    nn_weights_free(w);
    w = NULL;

    size_t act = (size_t)72 * 72 * 32; /* conv32_down's output, the largest */
    size_t scratch = nn_conv2d_scratch(&net->conv32_down, REC_INPUT, REC_INPUT, 2, NN_PAD_VALID);
    int side = 35;
    for (int i = 0; i < 14; i++) {
        int s = is_down(i) ? 2 : 1;
        nn_pad pad = is_down(i) ? NN_PAD_VALID : NN_PAD_SAME;
        size_t a = nn_conv2d_scratch(&net->res[i].c1, side, side, s, pad);
        if (a > scratch) scratch = a;
        int o = nn_out_size(side, 3, s, pad);
        a = nn_conv2d_scratch(&net->res[i].c2, o, o, 1, NN_PAD_SAME);
        if (a > scratch) scratch = a;
        if (is_down(i)) side = nn_out_size(side, 2, 2, NN_PAD_VALID);
    }
    net->scratch_len = scratch;
    if (!(net->input = falloc((size_t)REC_INPUT * REC_INPUT * 3)) || !(net->x = falloc(act)) ||
        !(net->y = falloc(act)) || !(net->t = falloc(act)) || !(net->p = falloc(act)) ||
        !(net->scratch = falloc(scratch ? scratch : 1)))
        goto nomem;
    return BEX_OK;
nomem:
    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the descriptor net");
fail:
    nn_weights_free(w);
    rec_free(net);
    return rc;
}

void rec_free(rec_net *net) {
    nn_conv_free(&net->conv32_down);
    for (int i = 0; i < 14; i++) {
        nn_conv_free(&net->res[i].c1);
        nn_conv_free(&net->res[i].c2);
    }
    bex__free_aligned(net->fc);
    bex__free_aligned(net->input);
    bex__free_aligned(net->x);
    bex__free_aligned(net->y);
    bex__free_aligned(net->t);
    bex__free_aligned(net->p);
    bex__free_aligned(net->scratch);
    memset(net, 0, sizeof *net);
}

/* y = act(cv(x)) with the output shape derived from x. */
static nn_tensor conv(rec_net *net, const nn_conv *cv, const nn_tensor *x, int stride, nn_pad pad,
                      nn_act act, float *d) {
    nn_tensor y = {nn_out_size(x->h, cv->kh, stride, pad), nn_out_size(x->w, cv->kw, stride, pad),
                   cv->cout, d};
    nn_conv2d(cv, x, stride, pad, act, &y, net->scratch);
    return y;
}

/* A residual block on x (in buffer x->d); the result goes to `dst`. Uses net->t and net->p. */
static nn_tensor residual(rec_net *net, int i, const nn_tensor *x, float *dst) {
    const rec_layer *L = &net->res[i];
    if (!is_down(i)) {
        nn_tensor a = conv(net, &L->c1, x, 1, NN_PAD_SAME, NN_ACT_RELU, net->t);
        nn_tensor b = conv(net, &L->c2, &a, 1, NN_PAD_SAME, NN_ACT_NONE, dst);
        nn_add(&b, x, NN_ACT_RELU, &b);
        return b;
    }
    nn_tensor a = conv(net, &L->c1, x, 2, NN_PAD_VALID, NN_ACT_RELU, net->t);
    nn_tensor b = conv(net, &L->c2, &a, 1, NN_PAD_SAME, NN_ACT_NONE, net->p);
    /* shortcut: 2x2 average pool of x, zero-extended to b's channels; b is zero-extended by a
     * row and a column when the pool is larger (face-api's residualDown) */
    nn_tensor pooled = {nn_out_size(x->h, 2, 2, NN_PAD_VALID), nn_out_size(x->w, 2, 2, NN_PAD_VALID),
                        x->c, net->t};
    nn_avgpool(x, 2, 2, NN_PAD_VALID, &pooled);
    nn_tensor out = {pooled.h, pooled.w, b.c, dst};
    for (int yy = 0; yy < out.h; yy++)
        for (int xx = 0; xx < out.w; xx++) {
            float *o = out.d + ((size_t)yy * out.w + xx) * out.c;
            const float *pp = pooled.d + ((size_t)yy * pooled.w + xx) * pooled.c;
            int inside = yy < b.h && xx < b.w;
            const float *bb = inside ? b.d + ((size_t)yy * b.w + xx) * b.c : NULL;
            for (int c = 0; c < out.c; c++) {
                float v = (c < pooled.c ? pp[c] : 0.0f) + (inside ? bb[c] : 0.0f);
                o[c] = v > 0 ? v : 0;
            }
        }
    return out;
}

void rec_forward(rec_net *net, float out[128]) {
    float *in = net->input;
    for (size_t i = 0; i < (size_t)REC_INPUT * REC_INPUT; i++)
        for (int c = 0; c < 3; c++) in[i * 3 + c] = (in[i * 3 + c] - mean_rgb[c]) / 255.0f;
    nn_tensor x = {REC_INPUT, REC_INPUT, 3, in};
    nn_tensor a = conv(net, &net->conv32_down, &x, 2, NN_PAD_VALID, NN_ACT_RELU, net->x); /* 72x72x32 */
    nn_tensor cur = {nn_out_size(a.h, 3, 2, NN_PAD_VALID), nn_out_size(a.w, 3, 2, NN_PAD_VALID), a.c, net->y};
    nn_maxpool(&a, 3, 2, NN_PAD_VALID, &cur); /* 35x35x32 */
    for (int i = 0; i < 14; i++) {
        float *dst = cur.d == net->x ? net->y : net->x;
        cur = residual(net, i, &cur, dst);
    }
    /* cur: 2x2x256 */
    float avg[256];
    nn_mean_hw(&cur, avg);
    nn_matvec(avg, net->fc, NULL, 256, 128, out);
}
