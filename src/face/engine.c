/*
 * engine.c - the face pipeline behind include/bex/face.h: detect, landmarks, align, describe.
 *
 * Faces that fill the frame (passport photos, chip images, tight kiosk captures) defeat the
 * SSD detector, whose anchors expect some background. When the image yields no face, the
 * engine searches again in a copy padded with black by half its longer side on every side and maps the results back; detection in the original comes first, so small
 * faces in large scenes are found as before.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/calibration.h"
#include "bex/face.h"
#include "face/align.h"
#include "face/nets.h"
#include "image/transform.h"
#include "util/util.h"

#define MAX_DETECTIONS 100

struct bex_engine {
    bex_engine_options opt;
    ssd_net ssd;
    lmk_net lmk;
    rec_net rec;
    ssd_box boxes[MAX_DETECTIONS];
    bex_engine_stats stats;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void bex_engine_get_stats(const bex_engine *eng, bex_engine_stats *out) { *out = eng->stats; }

void bex_engine_options_default(bex_engine_options *opt) {
    opt->min_score = 0.5f;
    opt->max_faces = MAX_DETECTIONS;
    opt->pad_retry = 1;
    opt->retry_min_score = 0.3f;
    opt->align = BEX_ALIGN_DEFAULT;
}

static const char *const model_files[3] = {
    "ssd_mobilenetv1_model-weights_manifest.json",
    "face_landmark_68_model-weights_manifest.json",
    "face_recognition_model-weights_manifest.json",
};

int bex_engine_open(const char *model_dir, const bex_engine_options *opt, bex_engine **out,
                    char *err, size_t errlen) {
    if (!model_dir || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_engine_open: no model directory");
    bex_engine *e = bex__calloc(1, sizeof *e);
    if (!e) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
    if (opt) e->opt = *opt;
    else bex_engine_options_default(&e->opt);
    if (e->opt.max_faces <= 0 || e->opt.max_faces > MAX_DETECTIONS) e->opt.max_faces = MAX_DETECTIONS;
    if (!(e->opt.min_score > 0 && e->opt.min_score < 1) ||
        !(e->opt.retry_min_score > 0 && e->opt.retry_min_score < 1)) {
        bex__free(e);
        return bex__fail(err, errlen, BEX_ERR_ARG, "detector score thresholds must be between 0 and 1");
    }
    char path[4096];
    int rc;
    snprintf(path, sizeof path, "%s/%s", model_dir, model_files[0]);
    if ((rc = ssd_load(&e->ssd, path, err, errlen)) != BEX_OK) goto fail0;
    snprintf(path, sizeof path, "%s/%s", model_dir, model_files[1]);
    if ((rc = lmk_load(&e->lmk, path, err, errlen)) != BEX_OK) goto fail1;
    snprintf(path, sizeof path, "%s/%s", model_dir, model_files[2]);
    if ((rc = rec_load(&e->rec, path, err, errlen)) != BEX_OK) goto fail2;
    *out = e;
    return BEX_OK;
fail2:
    lmk_free(&e->lmk);
fail1:
    ssd_free(&e->ssd);
fail0:
    bex__free(e);
    return rc;
}

void bex_engine_close(bex_engine *eng) {
    if (!eng) return;
    ssd_free(&eng->ssd);
    lmk_free(&eng->lmk);
    rec_free(&eng->rec);
    bex__free(eng);
}

static int by_area_desc(const void *a, const void *b) {
    const bex_face *fa = a, *fb = b;
    float aa = fa->box[2] * fa->box[3], ab = fb->box[2] * fb->box[3];
    if (aa != ab) return aa < ab ? 1 : -1;
    return fa->score < fb->score ? 1 : (fa->score > fb->score ? -1 : 0);
}

/* Detection + landmarks (+ templates when `embed`) on one image, no retry. */
static int run_pipeline(bex_engine *e, const bex_image *img, float min_score, int embed,
                        bex_face *faces, int max, int *n, char *err, size_t errlen) {
    double t0 = now_ms();
    int nb = ssd_detect(&e->ssd, img, min_score, e->opt.max_faces, e->boxes, MAX_DETECTIONS);
    double t1 = now_ms();
    e->stats.images++;
    e->stats.detect_ms += t1 - t0;
    int k = 0;
    for (int i = 0; i < nb; i++) {
        bex_face f;
        memset(&f, 0, sizeof f);
        f.box[0] = e->boxes[i].x;
        f.box[1] = e->boxes[i].y;
        f.box[2] = e->boxes[i].w;
        f.box[3] = e->boxes[i].h;
        f.score = e->boxes[i].score;
        t0 = now_ms();
        int lrc = lmk_predict(&e->lmk, img, f.box, f.landmarks);
        e->stats.landmarks_ms += now_ms() - t0;
        e->stats.faces++;
        if (lrc != 0) continue; /* the box is empty once clipped to the image */
        if (embed) {
            int rc = bex_face_template(e, img, &f, e->opt.align, err, errlen);
            if (rc == BEX_ERR_NO_FACE) continue;
            if (rc != BEX_OK) return rc;
        }
        faces[k++] = f;
        if (k == max) break;
    }
    qsort(faces, (size_t)k, sizeof *faces, by_area_desc);
    *n = k;
    return BEX_OK;
}

static int detect_or_embed(bex_engine *e, const bex_image *img, int embed, bex_face *faces,
                           int max, int *n, char *err, size_t errlen) {
    if (!e || !img || !img->px || img->width <= 0 || img->height <= 0 || !faces || max <= 0 || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "invalid arguments to face detection");
    int rc = run_pipeline(e, img, e->opt.min_score, embed, faces, max, n, err, errlen);
    if (rc != BEX_OK || *n > 0 || !e->opt.pad_retry) return rc;

    /* No face: search a copy padded to twice the size; map everything back. */
    int border = (img->width > img->height ? img->width : img->height) / 2;
    int px = border, py = border;
    static const uint8_t black[3] = {0, 0, 0};
    bex_image padded;
    rc = bex__image_pad(img, border, black, &padded, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = run_pipeline(e, &padded, e->opt.min_score, embed, faces, max, n, err, errlen);
    /* Still nothing: the best candidate above the lower retry threshold, if that is lower. */
    if (rc == BEX_OK && *n == 0 && e->opt.retry_min_score < e->opt.min_score)
        rc = run_pipeline(e, &padded, e->opt.retry_min_score, embed, faces, 1, n, err, errlen);
    bex_image_free(&padded);
    if (rc != BEX_OK) return rc;
    for (int i = 0; i < *n; i++) {
        faces[i].box[0] -= px;
        faces[i].box[1] -= py;
        for (int j = 0; j < BEX_LANDMARKS; j++) {
            faces[i].landmarks[j][0] -= px;
            faces[i].landmarks[j][1] -= py;
        }
        faces[i].padded = 1;
    }
    return BEX_OK;
}

int bex_detect(bex_engine *eng, const bex_image *img, bex_face *faces, int max, int *n,
               char *err, size_t errlen) {
    return detect_or_embed(eng, img, 0, faces, max, n, err, errlen);
}

int bex_embed(bex_engine *eng, const bex_image *img, bex_face *faces, int max, int *n,
              char *err, size_t errlen) {
    return detect_or_embed(eng, img, 1, faces, max, n, err, errlen);
}

int bex_face_template(bex_engine *eng, const bex_image *img, bex_face *face, bex_align align,
                      char *err, size_t errlen) {
    if (!eng || !img || !face) return bex__fail(err, errlen, BEX_ERR_ARG, "invalid arguments to bex_face_template");
    double t0 = now_ms();
    int rc = align == BEX_ALIGN_FACEAPI ? align_faceapi_chip(img, face->box, face->landmarks, eng->rec.input)
                                        : align_similarity_chip(img, face->landmarks, eng->rec.input);
    double t1 = now_ms();
    eng->stats.align_ms += t1 - t0;
    if (rc != 0) return bex__fail(err, errlen, BEX_ERR_NO_FACE, "the face's aligned crop lies outside the image");
    float d[BEX_TEMPLATE_DIM];
    rec_forward(&eng->rec, d);
    eng->stats.descriptor_ms += now_ms() - t1;
    eng->stats.templates++;
    double ss = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) ss += (double)d[i] * d[i];
    float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) face->template_[i] = d[i] * inv;
    return BEX_OK;
}

float bex_verify_threshold(bex_align align) {
    bex_operating_point op;
    if (bex_operating_point_verify(align, BEX_DEFAULT_FMR, &op, NULL, 0) != BEX_OK) return 1.0f; /* cannot happen */
    return op.threshold;
}

float bex_template_similarity(const float *a, const float *b) {
    double s = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) s += (double)a[i] * b[i];
    return (float)s;
}

float bex_template_distance(const float *a, const float *b) {
    double s = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) {
        double d = (double)a[i] - b[i];
        s += d * d;
    }
    return (float)sqrt(s);
}
