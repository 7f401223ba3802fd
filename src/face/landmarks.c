/*
 * landmarks.c - face-api.js's 68-point landmark net (FaceLandmark68Net).
 *
 * Four dense blocks of separable convolutions over a 112x112 face crop (mean-subtracted,
 * /255), a 7x7 average pool and a fully connected layer to 136 numbers: (x, y) of the 68
 * iBUG points relative to the padded square crop. The crop, padding and mapping back to
 * image pixels reproduce face-api's extractFaceTensors, padToSquare and postProcess.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "face/nets.h"
#include "image/transform.h"
#include "util/util.h"

static const float mean_rgb[3] = {122.782f, 117.001f, 104.298f};

static float *falloc(size_t n) { return bex__malloc_aligned(n * sizeof(float)); }

/* Separable conv `pre` (depthwise_filter, pointwise_filter, bias) into dw / pw. */
static int load_sep(nn_dwconv *dw, nn_conv *pw, const nn_weights *w, const char *pre, char *err,
                    size_t errlen) {
    char name[96];
    int ds[4], ps[4];
    const int any4[4] = {-1, -1, -1, -1};
    snprintf(name, sizeof name, "%s/depthwise_filter", pre);
    const float *df = nn_weights_get(w, name, 4, any4, ds, err, errlen);
    if (!df) return BEX_ERR_MODEL;
    snprintf(name, sizeof name, "%s/pointwise_filter", pre);
    const int pd[4] = {1, 1, ds[2], -1};
    const float *pf = nn_weights_get(w, name, 4, pd, ps, err, errlen);
    if (!pf) return BEX_ERR_MODEL;
    snprintf(name, sizeof name, "%s/bias", pre);
    const int bd[1] = {ps[3]};
    const float *b = nn_weights_get(w, name, 1, bd, NULL, err, errlen);
    if (!b) return BEX_ERR_MODEL;
    if (nn_dwconv_init(dw, ds[0], ds[1], ds[2], df, NULL, NULL, NULL) != BEX_OK ||
        nn_conv_init(pw, 1, 1, ps[2], ps[3], pf, b, NULL, NULL) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the landmark net");
    return BEX_OK;
}

int lmk_load(lmk_net *net, const char *manifest, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    nn_weights *w = NULL;
    int rc = nn_weights_load(manifest, &w, err, errlen);
    if (rc != BEX_OK) return rc;
    char pre[32];
    {
        const int fd[4] = {3, 3, 3, 32}, bd[1] = {32};
        const float *f = nn_weights_get(w, "dense0/conv0/filters", 4, fd, NULL, err, errlen);
        const float *b = f ? nn_weights_get(w, "dense0/conv0/bias", 1, bd, NULL, err, errlen) : NULL;
        if (!b) { rc = BEX_ERR_MODEL; goto fail; }
        if (nn_conv_init(&net->conv0_plain, 3, 3, 3, 32, f, b, NULL, NULL) != BEX_OK) goto nomem;
    }
    for (int blk = 0; blk < 4; blk++) {
        for (int c = (blk == 0 ? 1 : 0); c < 4; c++) {
            snprintf(pre, sizeof pre, "dense%d/conv%d", blk, c);
            if ((rc = load_sep(&net->dw[blk][c], &net->pw[blk][c], w, pre, err, errlen))) goto fail;
        }
    }
    if (net->pw[3][3].cout != 256) {
        rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s: dense3 should have 256 channels", manifest);
        goto fail;
    }
    {
        const int wd[2] = {256, 136}, bd[1] = {136};
        const float *fw = nn_weights_get(w, "fc/weights", 2, wd, NULL, err, errlen);
        const float *fb = fw ? nn_weights_get(w, "fc/bias", 1, bd, NULL, err, errlen) : NULL;
        if (!fb) { rc = BEX_ERR_MODEL; goto fail; }
        if (!(net->fc_w = falloc(256 * 136)) || !(net->fc_b = falloc(136))) goto nomem;
        memcpy(net->fc_w, fw, sizeof(float) * 256 * 136);
        memcpy(net->fc_b, fb, sizeof(float) * 136);
    }
    nn_weights_free(w);
    w = NULL;

    size_t act = (size_t)56 * 56 * 32; /* the largest activation: dense0's output */
    size_t scratch = nn_conv2d_scratch(&net->conv0_plain, LMK_INPUT, LMK_INPUT, 2, NN_PAD_SAME);
    int side = LMK_INPUT;
    for (int blk = 0; blk < 4; blk++) {
        side = nn_out_size(side, 3, 2, NN_PAD_SAME);
        for (int c = (blk == 0 ? 1 : 0); c < 4; c++) {
            size_t s = nn_conv2d_scratch(&net->pw[blk][c], side, side, 1, NN_PAD_SAME);
            if (s > scratch) scratch = s;
        }
    }
    net->scratch_len = scratch;
    /* input also receives each block's output as the next block's input */
    if (!(net->input = falloc(act)) || !(net->out1 = falloc(act)) || !(net->relu_in = falloc(act)) ||
        !(net->out2 = falloc(act)) || !(net->tmp = falloc(act)) || !(net->sum = falloc(act)) ||
        !(net->pooled = falloc(256)) || !(net->scratch = falloc(scratch ? scratch : 1)))
        goto nomem;
    return BEX_OK;
nomem:
    rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory loading the landmark net");
fail:
    nn_weights_free(w);
    lmk_free(net);
    return rc;
}

void lmk_free(lmk_net *net) {
    nn_conv_free(&net->conv0_plain);
    for (int b = 0; b < 4; b++)
        for (int c = 0; c < 4; c++) {
            nn_dwconv_free(&net->dw[b][c]);
            nn_conv_free(&net->pw[b][c]);
        }
    bex__free_aligned(net->fc_w);
    bex__free_aligned(net->fc_b);
    bex__free_aligned(net->input);
    bex__free_aligned(net->out1);
    bex__free_aligned(net->out2);
    bex__free_aligned(net->tmp);
    bex__free_aligned(net->sum);
    bex__free_aligned(net->relu_in);
    bex__free_aligned(net->pooled);
    bex__free_aligned(net->scratch);
    memset(net, 0, sizeof *net);
}

/* y = pointwise(depthwise(x)) + bias, no activation; the depthwise result goes to tmp. */
static void sep_conv(lmk_net *net, int blk, int c, const nn_tensor *x, int stride, float *tmp,
                     nn_tensor *y) {
    const nn_dwconv *dw = &net->dw[blk][c];
    nn_tensor t = {nn_out_size(x->h, 3, stride, NN_PAD_SAME), nn_out_size(x->w, 3, stride, NN_PAD_SAME),
                   x->c, tmp};
    nn_depthwise(dw, x, stride, NN_PAD_SAME, NN_ACT_NONE, &t);
    y->h = t.h;
    y->w = t.w;
    y->c = net->pw[blk][c].cout;
    nn_conv2d(&net->pw[blk][c], &t, 1, NN_PAD_SAME, NN_ACT_NONE, y, net->scratch);
}

/* One dense block: out1 = relu(conv0(x), stride 2); each later conv reads relu of the running
 * sum of the earlier outputs; the block returns relu(out1 + out2 + out3 + out4) in net->sum.
 * x must not be net->sum. */
static nn_tensor dense_block(lmk_net *net, int blk, const nn_tensor *x) {
    nn_tensor o1 = {nn_out_size(x->h, 3, 2, NN_PAD_SAME), nn_out_size(x->w, 3, 2, NN_PAD_SAME), 0, net->out1};
    if (blk == 0) {
        o1.c = net->conv0_plain.cout;
        nn_conv2d(&net->conv0_plain, x, 2, NN_PAD_SAME, NN_ACT_RELU, &o1, net->scratch);
    } else {
        sep_conv(net, blk, 0, x, 2, net->tmp, &o1);
        nn_activate(&o1, NN_ACT_RELU);
    }
    size_t n = (size_t)o1.h * o1.w * o1.c;
    nn_tensor sum = o1, in = o1, out = o1, relu_in = o1;
    sum.d = net->sum;
    out.d = net->out2;
    relu_in.d = net->relu_in;
    memcpy(sum.d, o1.d, n * sizeof(float));
    for (int c = 1; c < 4; c++) {
        sep_conv(net, blk, c, &in, 1, net->tmp, &out); /* out_c */
        nn_add(&sum, &out, NN_ACT_NONE, &sum);          /* sum = out1 + ... + out_c */
        if (c < 3) {
            memcpy(relu_in.d, sum.d, n * sizeof(float));
            nn_activate(&relu_in, NN_ACT_RELU);
            in = relu_in;
        }
    }
    nn_activate(&sum, NN_ACT_RELU);
    return sum;
}

int face__landmark_crop(const float box[4], int img_w, int img_h, int crop[4]) {
    /* face-api's extractFaceTensors: Box.clipAtImageBorders, which floors each field */
    double x0 = fmax(box[0], 0), y0 = fmax(box[1], 0);
    double w = fmin((double)box[0] + box[2] - x0, img_w - x0);
    double h = fmin((double)box[1] + box[3] - y0, img_h - y0);
    int cx = (int)floor(x0), cy = (int)floor(y0), cw = (int)floor(w), ch = (int)floor(h);
    if (cw <= 0 || ch <= 0 || cx >= img_w || cy >= img_h) return -1;
    if (cx + cw > img_w) cw = img_w - cx;
    if (cy + ch > img_h) ch = img_h - cy;
    crop[0] = cx;
    crop[1] = cy;
    crop[2] = cw;
    crop[3] = ch;
    return 0;
}

int lmk_predict(lmk_net *net, const bex_image *img, const float box[4], float out[68][2]) {
    int cr[4];
    if (face__landmark_crop(box, img->width, img->height, cr) != 0) return -1;
    int cx = cr[0], cy = cr[1], cw = cr[2], ch = cr[3];

    int pad_left, pad_top;
    int side = bex__image_centre_pad(cw, ch, &pad_left, &pad_top);
    bex__image_crop_pad_resize_f32(img, cx, cy, cw, ch, pad_left, pad_top, side, LMK_INPUT, net->input);
    float *in = net->input;
    for (size_t i = 0; i < (size_t)LMK_INPUT * LMK_INPUT; i++)
        for (int c = 0; c < 3; c++) in[i * 3 + c] = (in[i * 3 + c] - mean_rgb[c]) / 255.0f;

    nn_tensor x = {LMK_INPUT, LMK_INPUT, 3, net->input};
    nn_tensor y = dense_block(net, 0, &x);
    for (int blk = 1; blk < 4; blk++) {
        /* the block's output (net->sum) is the next block's input: move it out of the way */
        memcpy(net->input, y.d, (size_t)y.h * y.w * y.c * sizeof(float));
        x = y;
        x.d = net->input;
        y = dense_block(net, blk, &x);
    }
    /* y: 7x7x256; avgPool 7x7 stride 2 VALID = the mean over the whole map */
    nn_mean_hw(&y, net->pooled);
    float o[136];
    nn_matvec(net->pooled, net->fc_w, net->fc_b, 256, 136, o);

    /* postProcess: undo the (nominal, centred) square padding in 112-px units. */
    float scale = (float)LMK_INPUT / (float)side;
    float sw = cw * scale, shh = ch * scale;
    float padx = sw < shh ? fabsf(sw - shh) / 2 : 0, pady = shh < sw ? fabsf(sw - shh) / 2 : 0;
    for (int i = 0; i < 68; i++) {
        float rx = (o[2 * i] * LMK_INPUT - padx) / sw, ry = (o[2 * i + 1] * LMK_INPUT - pady) / shh;
        out[i][0] = rx * cw + box[0];
        out[i][1] = ry * ch + box[1];
    }
    return 0;
}
