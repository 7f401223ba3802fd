/*
 * recognizer_onnx.c - an agency's face model as the engine's recognizer: a model description
 * (model.h) names the ONNX file, its input and how to align and normalise a face for it; the
 * graph executor (src/nn/graph.h) runs it. The chip is cut with the same warp as the built-in
 * alignment, through ArcFace's five points or dlib's chip transform (align.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "face/align.h"
#include "face/recognizer.h"
#include "image/transform.h"
#include "nn/graph.h"
#include "util/util.h"

struct face_onnx {
    bex_model m;
    nn_graph *g;
    int n_out, out_index;
    float *chip;  /* w * h * 3, RGB HWC, 0..255 */
    float *mirror; /* the chip mirrored (flip) */
    float *in;    /* the input tensor */
    float **outs; /* every output's buffer (the executor fills them all) */
};

void face_onnx_preprocess(const bex_model *m, const float *chip, float *in) {
    size_t plane = (size_t)m->width * m->height;
    for (size_t p = 0; p < plane; p++)
        for (int c = 0; c < 3; c++) {
            int src = m->bgr ? 2 - c : c; /* the model's channel c is RGB channel src */
            float v = (chip[p * 3 + src] - m->mean[c]) / m->std[c];
            if (m->nhwc) in[p * 3 + c] = v;
            else in[(size_t)c * plane + p] = v;
        }
}

void face_onnx_close(face_onnx *r) {
    if (!r) return;
    if (r->outs)
        for (int i = 0; i < r->n_out; i++) bex__free(r->outs[i]);
    bex__free(r->outs);
    bex__free(r->chip);
    bex__free(r->mirror);
    bex__free(r->in);
    nn_graph_free(r->g);
    bex__free(r);
}

const bex_model *face_onnx_model(const face_onnx *r) { return &r->m; }

int face_onnx_open(const bex_model *m, face_onnx **out, char *err, size_t errlen) {
    if (!m || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "face_onnx_open: NULL argument");
    face_onnx *r = bex__calloc(1, sizeof *r);
    if (!r) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the face model");
    r->m = *m;
    int rc = nn_graph_load_onnx(m->onnx, NULL, &r->g, err, errlen);
    if (rc != BEX_OK) {
        r->g = NULL;
        face_onnx_close(r);
        return rc;
    }
    nn_graph_info in;
    int want[4] = {1, 3, m->height, m->width};
    if (m->nhwc) want[1] = m->height, want[2] = m->width, want[3] = 3;
    if (nn_graph_input_count(r->g) != 1 || nn_graph_input(r->g, 0, &in) != BEX_OK || in.rank != 4 ||
        in.dims[0] != want[0] || in.dims[1] != want[1] || in.dims[2] != want[2] || in.dims[3] != want[3]) {
        rc = bex__fail(err, errlen, BEX_ERR_MODEL,
                       "%s: the network does not take one %s input of 1 x %d x %d x %d, as the description %s says",
                       m->onnx, m->nhwc ? "NHWC" : "NCHW", want[1], want[2], want[3], m->name);
        face_onnx_close(r);
        return rc;
    }
    r->n_out = nn_graph_output_count(r->g);
    r->out_index = -1;
    for (int i = 0; i < r->n_out; i++) {
        nn_graph_info o;
        if (nn_graph_output(r->g, i, &o) != BEX_OK) continue;
        if (m->output[0] ? (o.name && !strcmp(o.name, m->output)) : i == m->output_index) r->out_index = i;
    }
    nn_graph_info o;
    if (r->out_index < 0) {
        rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s has no output %s%s%s (it has %d)", m->onnx,
                       m->output[0] ? "\"" : "number ", m->output[0] ? m->output : "", m->output[0] ? "\"" : "",
                       r->n_out);
        face_onnx_close(r);
        return rc;
    }
    nn_graph_output(r->g, r->out_index, &o);
    if (o.count != (size_t)m->embedding) {
        rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s's output gives %zu floats; the description says %d", m->onnx,
                       o.count, m->embedding);
        face_onnx_close(r);
        return rc;
    }
    size_t px = (size_t)m->width * m->height * 3;
    r->chip = bex__malloc(px * sizeof(float));
    r->mirror = bex__malloc(px * sizeof(float));
    r->in = bex__malloc(in.count * sizeof(float));
    r->outs = bex__calloc((size_t)r->n_out, sizeof *r->outs);
    int ok = r->chip && r->mirror && r->in && r->outs;
    for (int i = 0; ok && i < r->n_out; i++) {
        nn_graph_info oi;
        ok = nn_graph_output(r->g, i, &oi) == BEX_OK && (r->outs[i] = bex__malloc((oi.count ? oi.count : 1) * sizeof(float)));
    }
    if (!ok) {
        face_onnx_close(r);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for the face model's buffers");
    }
    *out = r;
    return BEX_OK;
}

float face_onnx_mirror_axis2(const bex_model *m) {
    /* dlib-150: the built-in chip's column 74 (flip.h: dlib's mean face is symmetric about
     * x = 0.490127 of its square, 74.01 px of 150), scaled. arcface-112: the mid-lines of the
     * eyes (55.9132), the nose (56.0252) and the mouth corners (56.1396), averaged, scaled. */
    if (m->alignment == BEX_MODEL_ALIGN_ARCFACE112) return 2.0f * 56.0260f * (float)m->width / 112.0f;
    return 148.0f * (float)m->width / 150.0f;
}

void face_onnx_mirror(const float *src, float *dst, int w, int h, float axis2) {
    for (int u = 0; u < w; u++) {
        float x = axis2 - (float)u;
        if (x < 0) x = 0;
        if (x > (float)(w - 1)) x = (float)(w - 1);
        int x0 = (int)x, x1 = x0 + 1 < w ? x0 + 1 : x0;
        float f = x - (float)x0;
        for (int v = 0; v < h; v++) {
            const float *a = src + ((size_t)v * w + x0) * 3, *b = src + ((size_t)v * w + x1) * 3;
            float *d = dst + ((size_t)v * w + u) * 3;
            for (int c = 0; c < 3; c++) d[c] = f == 0 ? a[c] : (1 - f) * a[c] + f * b[c];
        }
    }
}

/* The network on one chip: its unit-length embedding into out */
static int run_chip(face_onnx *r, const float *chip, float *out, char *err, size_t errlen) {
    const bex_model *m = &r->m;
    face_onnx_preprocess(m, chip, r->in);
    int rc = nn_graph_run(r->g, (const float *const[]){r->in}, r->outs, err, errlen);
    if (rc != BEX_OK) return rc;
    const float *d = r->outs[r->out_index];
    double ss = 0;
    for (int i = 0; i < m->embedding; i++) ss += (double)d[i] * d[i];
    if (!(ss > 0) || !isfinite(ss))
        return bex__fail(err, errlen, BEX_ERR_MODEL, "model %s gave a zero or non-finite embedding", m->name);
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < m->embedding; i++) out[i] = d[i] * inv;
    return BEX_OK;
}

int face_onnx_template(face_onnx *r, const bex_image *img, const float lm[68][2], int flip, float *out, char *err,
                       size_t errlen) {
    const bex_model *m = &r->m;
    float t[6];
    align_model_transform(lm, m->alignment == BEX_MODEL_ALIGN_ARCFACE112, m->width, m->height, t);
    if (bex__image_warp_affine_f32(img, t, m->width, m->height, r->chip) != 0)
        return bex__fail(err, errlen, BEX_ERR_NO_FACE, "the face's aligned crop lies outside the image");
    float a[BEX_TEMPLATE_MAX_DIM], b[BEX_TEMPLATE_MAX_DIM];
    int rc = run_chip(r, r->chip, flip ? a : out, err, errlen);
    if (rc != BEX_OK || !flip) return rc;
    face_onnx_mirror(r->chip, r->mirror, m->width, m->height, face_onnx_mirror_axis2(m));
    if ((rc = run_chip(r, r->mirror, b, err, errlen)) != BEX_OK) return rc;
    double ss = 0; /* the normalised mean of the two unit templates */
    for (int i = 0; i < m->embedding; i++) {
        a[i] += b[i];
        ss += (double)a[i] * a[i];
    }
    if (!(ss > 0)) return bex__fail(err, errlen, BEX_ERR_MODEL, "model %s gave opposite templates for a face and its mirror", m->name);
    float inv = (float)(1.0 / sqrt(ss));
    for (int i = 0; i < m->embedding; i++) out[i] = a[i] * inv;
    return BEX_OK;
}
