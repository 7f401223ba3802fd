/*
 * engine.c - the face pipeline behind include/bex/face.h: detect, landmarks, align, describe.
 *
 * Faces that fill the frame (passport photos, chip images, tight kiosk captures) defeat the
 * SSD detector, whose anchors expect some background. When the image yields no face, or only
 * faces narrower than a third of its shorter side (a bystander's, while the traveller's fills
 * the frame), the engine searches again in a copy padded with black by half its longer side on
 * every side and maps the results back; the original's faces are kept as found, so small faces
 * in large scenes are found as before. A photo that still gives no face is searched in a copy
 * padded by its whole longer side (tight crops of small frames), then in a contrast-normalised
 * copy (src/face/lighting.c: dark exposures, light from one side). With opt.flip a template is
 * the normalised mean of the chip's and its mirror's (src/face/flip.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/calibration.h"
#include "bex/face.h"
#include "face/align.h"
#include "face/flip.h"
#include "face/lighting.h"
#include "face/nets.h"
#include "face/recognizer.h"
#include "image/transform.h"
#include "util/util.h"

#define MAX_DETECTIONS 100

/* Where SSD MobileNetV1 puts its box around a face BlazeFace short range has found, relative to
 * BlazeFace's box (x + DX w, y + DY h, W w, H h): means over the 298 of 330 LFW images (every
 * 40th) where both found the central face (standard deviations 0.08, 0.07, 0.11, 0.09). */
#define BLAZE_TO_SSD_DX (-0.0021f)
#define BLAZE_TO_SSD_DY (-0.1684f)
#define BLAZE_TO_SSD_W 0.9558f
#define BLAZE_TO_SSD_H 1.1279f

/* A detection from either detector, in px of the searched image. */
typedef struct det_box {
    float x, y, w, h, score;
    float area; /* the box's area inside the searched image: the order faces are returned in */
    int has_kp;
    float kp[BLZ_KEYPOINTS][2];
} det_box;

struct bex_engine {
    bex_engine_options opt;
    ssd_net *ssd;                   /* loaded for BEX_DETECTOR_SSD only */
    blz_net *blz_short, *blz_full;  /* loaded for the BlazeFace detectors */
    mesh_net *mesh;                 /* Face Mesh, loaded for BEX_ALIGN_FACEMESH only */
    lmk_net lmk;
    rec_net rec;
    face_onnx *onnx;                /* the recognizer when opt.model names one; else rec */
    ssd_box sboxes[MAX_DETECTIONS];
    blz_box bboxes[MAX_DETECTIONS];
    det_box boxes[MAX_DETECTIONS];  /* the image's detections */
    det_box pboxes[MAX_DETECTIONS]; /* the padded copy's */
    bex_engine_stats stats;
    bex_range range;   /* bex_engine_set_range: which BlazeFace model looks first */
    float *mirror; /* [150][150][3]: the mirrored chip (opt.flip), src/face/flip.c */
    float mesh_pts[MESH_POINTS][2]; /* Face Mesh's points for the face being described */
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void bex_engine_get_stats(const bex_engine *eng, bex_engine_stats *out) { *out = eng->stats; }

void bex_engine_options_default(bex_engine_options *opt) {
    memset(opt, 0, sizeof *opt); /* model NULL: the built-in recognizer */
    opt->min_score = 0.5f;
    opt->max_faces = MAX_DETECTIONS;
    opt->pad_retry = 1;
    opt->retry_min_score = 0.3f;
    opt->align = BEX_ALIGN_DEFAULT;
    opt->pad_retry_below = BEX_PAD_RETRY_BELOW_DEFAULT;
    opt->detector = BEX_DETECTOR_DEFAULT;
    opt->full_range_fallback = 1;
    opt->blaze_box_as_ssd = 0; /* measured: no better than BlazeFace's own box (face.h) */
    opt->light_retry = BEX_LIGHT_DEFAULT;
    opt->flip = BEX_FLIP_DEFAULT;
    opt->wide_pad_retry = 1;
}

static const char *const model_files[6] = {
    "ssd_mobilenetv1_model-weights_manifest.json",
    "face_landmark_68_model-weights_manifest.json",
    "face_recognition_model-weights_manifest.json",
    "facemesh-detection-short.json", /* BlazeFace short range, tfjs graph model */
    "face_detection_full_range.tflite", /* BlazeFace full range: Google's file (src/nn/tflite.c) */
    "facemesh.json",                 /* Face Mesh */
};

static void free_detectors(bex_engine *e) {
    if (e->ssd) ssd_free(e->ssd);
    if (e->blz_short) blz_free(e->blz_short);
    if (e->blz_full) blz_free(e->blz_full);
    bex__free(e->ssd);
    bex__free(e->blz_short);
    bex__free(e->blz_full);
    if (e->mesh) mesh_free(e->mesh);
    bex__free(e->mesh);
    e->ssd = NULL;
    e->blz_short = e->blz_full = NULL;
    e->mesh = NULL;
}

/* Loads the detector(s) the options choose. */
static int load_detectors(bex_engine *e, const char *model_dir, char *err, size_t errlen) {
    char path[4096];
    int rc;
    bex_detector d = e->opt.detector;
    if (d == BEX_DETECTOR_SSD) {
        if (!(e->ssd = bex__calloc(1, sizeof *e->ssd))) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
        snprintf(path, sizeof path, "%s/%s", model_dir, model_files[0]);
        if ((rc = ssd_load(e->ssd, path, err, errlen)) != BEX_OK) {
            bex__free(e->ssd);
            e->ssd = NULL;
        }
        return rc;
    }
    if (d == BEX_DETECTOR_BLAZEFACE) {
        if (!(e->blz_short = bex__calloc(1, sizeof *e->blz_short))) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
        snprintf(path, sizeof path, "%s/%s", model_dir, model_files[3]);
        if ((rc = blz_load(e->blz_short, path, err, errlen)) != BEX_OK) goto fail;
        if (e->blz_short->input != 128) {
            rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s: not the short-range (128 px) model", path);
            goto fail;
        }
    }
    if (d == BEX_DETECTOR_BLAZEFACE_FULL || (d == BEX_DETECTOR_BLAZEFACE && e->opt.full_range_fallback)) {
        if (!(e->blz_full = bex__calloc(1, sizeof *e->blz_full))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
            goto fail;
        }
        snprintf(path, sizeof path, "%s/%s", model_dir, model_files[4]);
        if ((rc = blz_load(e->blz_full, path, err, errlen)) != BEX_OK) goto fail;
        if (e->blz_full->input != 192) {
            rc = bex__fail(err, errlen, BEX_ERR_MODEL, "%s: not the full-range (192 px) model", path);
            goto fail;
        }
    }
    if (e->opt.align == BEX_ALIGN_FACEMESH && d != BEX_DETECTOR_SSD) { /* it needs keypoints */
        if (!(e->mesh = bex__calloc(1, sizeof *e->mesh))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
            goto fail;
        }
        snprintf(path, sizeof path, "%s/%s", model_dir, model_files[5]);
        if ((rc = mesh_load(e->mesh, path, err, errlen)) != BEX_OK) goto fail;
    }
    return BEX_OK;
fail:
    free_detectors(e);
    return rc;
}

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
    if (!(e->opt.pad_retry_below >= 0 && e->opt.pad_retry_below <= 1)) {
        bex__free(e);
        return bex__fail(err, errlen, BEX_ERR_ARG, "pad_retry_below must be a fraction from 0 to 1");
    }
    if (e->opt.detector != BEX_DETECTOR_BLAZEFACE && e->opt.detector != BEX_DETECTOR_BLAZEFACE_FULL &&
        e->opt.detector != BEX_DETECTOR_SSD) {
        int d = (int)e->opt.detector;
        bex__free(e);
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown face detector %d", d);
    }
    if ((unsigned)e->opt.light_retry > BEX_LIGHT_CLAHE) {
        int m = (int)e->opt.light_retry;
        bex__free(e);
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown lighting retry method %d", m);
    }
    if (e->opt.flip && !(e->mirror = bex__malloc(sizeof(float) * ALIGN_CHIP * ALIGN_CHIP * 3))) {
        bex__free(e);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory opening the face engine");
    }
    char path[4096];
    int rc;
    if ((rc = load_detectors(e, model_dir, err, errlen)) != BEX_OK) goto fail0;
    snprintf(path, sizeof path, "%s/%s", model_dir, model_files[1]);
    if ((rc = lmk_load(&e->lmk, path, err, errlen)) != BEX_OK) goto fail1;
    snprintf(path, sizeof path, "%s/%s", model_dir, model_files[2]);
    if ((rc = rec_load(&e->rec, path, err, errlen)) != BEX_OK) goto fail2;
    if (e->opt.model) {
        if ((rc = face_onnx_open(e->opt.model, &e->onnx, err, errlen)) != BEX_OK) {
            rec_free(&e->rec);
            goto fail2;
        }
        e->opt.model = face_onnx_model(e->onnx); /* the engine's own copy */
    }
    *out = e;
    return BEX_OK;
fail2:
    lmk_free(&e->lmk);
fail1:
    free_detectors(e);
fail0:
    bex__free(e->mirror);
    bex__free(e);
    return rc;
}

void bex_engine_close(bex_engine *eng) {
    if (!eng) return;
    free_detectors(eng);
    lmk_free(&eng->lmk);
    rec_free(&eng->rec);
    face_onnx_close(eng->onnx);
    bex__free(eng->mirror);
    bex__free(eng);
}

/* Detector boxes, largest first (ties: higher score first), as faces are returned. The area
 * counted is the part of the box inside the image: BlazeFace boxes a face cut by the frame
 * edge whole, beyond the image, and a bystander half out of the frame came first in 73 LFW
 * images (the traveller's face is the one in the frame). */
static void set_areas(det_box *b, int n, const bex_image *img) {
    for (int i = 0; i < n; i++) {
        float w = fminf(b[i].x + b[i].w, (float)img->width) - fmaxf(b[i].x, 0.0f);
        float h = fminf(b[i].y + b[i].h, (float)img->height) - fmaxf(b[i].y, 0.0f);
        b[i].area = w > 0 && h > 0 ? w * h : 0;
    }
}

static int by_area_desc(const void *a, const void *b) {
    const det_box *ba = a, *bb = b;
    float aa = ba->area, ab = bb->area;
    if (aa != ab) return aa < ab ? 1 : -1;
    return ba->score < bb->score ? 1 : (ba->score > bb->score ? -1 : 0);
}

/* A BlazeFace face narrower than this in the image is dropped: the landmarks and descriptor
 * can do nothing with it, and an image much smaller than the network's input, upscaled to it,
 * gives false faces (a 7x5 px grey test image gave one at score 0.56). */
#define BLAZE_MIN_FACE_PX 12.0f

static int from_blz(const blz_box *b, int n, det_box *out) {
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!(b[i].w >= BLAZE_MIN_FACE_PX)) continue;
        det_box *d = &out[k++];
        d->x = b[i].x, d->y = b[i].y, d->w = b[i].w, d->h = b[i].h, d->score = b[i].score;
        d->has_kp = 1;
        memcpy(d->kp, b[i].kp, sizeof d->kp);
    }
    return k;
}

/* The detector on one image: writes up to MAX_DETECTIONS boxes (best score first) to out.
 * BlazeFace short range first; the full-range model when it finds nothing (and the options
 * ask for it). min_score applies to SSD and the short-range model; the full-range model keeps
 * its graph's 0.6 unless min_score is higher. BlazeFace faces narrower than BLAZE_MIN_FACE_PX
 * are dropped. */
static int find_boxes(bex_engine *e, const bex_image *img, float min_score, det_box *out) {
    double t0 = now_ms();
    int nb = 0, max = e->opt.max_faces;
    if (e->ssd) {
        nb = ssd_detect(e->ssd, img, min_score, max, e->sboxes, MAX_DETECTIONS);
        for (int i = 0; i < nb; i++) {
            det_box *d = &out[i];
            memset(d, 0, sizeof *d);
            d->x = e->sboxes[i].x, d->y = e->sboxes[i].y, d->w = e->sboxes[i].w, d->h = e->sboxes[i].h;
            d->score = e->sboxes[i].score;
        }
    } else {
        float ms = e->blz_full && min_score < e->blz_full->min_score ? e->blz_full->min_score : min_score;
        int far = e->range == BEX_RANGE_FAR && e->blz_full;
        if (far) nb = from_blz(e->bboxes, blz_detect(e->blz_full, img, ms, e->bboxes, max), out);
        if (nb == 0 && e->blz_short) nb = from_blz(e->bboxes, blz_detect(e->blz_short, img, min_score, e->bboxes, max), out);
        if (nb == 0 && e->blz_full && !far) nb = from_blz(e->bboxes, blz_detect(e->blz_full, img, ms, e->bboxes, max), out);
    }
    e->stats.images++;
    e->stats.detect_ms += now_ms() - t0;
    return nb;
}

/* Landmarks (and the template when `embed`) of the face in box b of src. BEX_ERR_NO_FACE when
 * the box holds none that can be used (empty once clipped to the image, or its aligned crop
 * lies outside); *f is written only on BEX_OK. */
static int describe(bex_engine *e, const bex_image *src, const det_box *b, int embed, bex_face *f,
                    char *err, size_t errlen) {
    bex_face g;
    memset(&g, 0, sizeof g);
    g.box[0] = b->x;
    g.box[1] = b->y;
    g.box[2] = b->w;
    g.box[3] = b->h;
    g.score = b->score;
    if (b->has_kp) {
        g.has_keypoints = 1;
        memcpy(g.keypoints, b->kp, sizeof g.keypoints);
        if (e->opt.blaze_box_as_ssd) { /* SSD's box relative to BlazeFace's, measured (face.h) */
            g.box[0] = b->x + BLAZE_TO_SSD_DX * b->w;
            g.box[1] = b->y + BLAZE_TO_SSD_DY * b->h;
            g.box[2] = b->w * BLAZE_TO_SSD_W;
            g.box[3] = b->h * BLAZE_TO_SSD_H;
        }
    }
    double t0 = now_ms();
    int lrc = lmk_predict(&e->lmk, src, g.box, g.landmarks);
    e->stats.landmarks_ms += now_ms() - t0;
    e->stats.faces++;
    if (lrc != 0) return BEX_ERR_NO_FACE;
    if (e->mesh && g.has_keypoints) { /* on the detector's own box, whatever the landmark net got */
        const float bb[4] = {b->x, b->y, b->w, b->h};
        t0 = now_ms();
        float s = mesh_predict(e->mesh, src, bb, (const float(*)[2])g.keypoints, e->mesh_pts);
        e->stats.mesh_ms += now_ms() - t0;
        e->stats.meshes++;
        if (s >= MESH_MIN_SCORE) {
            g.has_mesh = 1;
            align_mesh_points((const float(*)[2])e->mesh_pts, g.mesh_points);
        }
    }
    if (embed) {
        int rc = bex_face_template(e, src, &g, e->opt.align, err, errlen);
        if (rc != BEX_OK) return rc;
    }
    *f = g;
    return BEX_OK;
}

/* Moves a face found in the padded copy back to the original's px. */
static void unpad(bex_face *f, int border) {
    f->box[0] -= border;
    f->box[1] -= border;
    for (int j = 0; j < BEX_LANDMARKS; j++) {
        f->landmarks[j][0] -= border;
        f->landmarks[j][1] -= border;
    }
    for (int j = 0; j < 6; j++) {
        f->keypoints[j][0] -= border;
        f->keypoints[j][1] -= border;
    }
    for (int j = 0; j < 5; j++) {
        f->mesh_points[j][0] -= border;
        f->mesh_points[j][1] -= border;
    }
    f->padded = 1;
}

/* Whether two x, y, w, h boxes, one from the image and one from the padded copy, are one face:
 * of about one size (widths within SAME_FACE_SCALE of each other) and the larger covering more
 * than SAME_FACE_OVERLAP of the smaller. The same face found in both overlaps by IoU 0.66..0.97
 * on the 62 LFW fixtures, but a small face (30 px, near the detector's limit in the half-scale
 * copy) can come back as a box 1.5 times as wide around the image's: IoU 0.4, covered entirely.
 * The size condition keeps a small box that lies inside a face that fills the frame (a false
 * detection on it) from hiding that face. Two people's faces do not lie half inside one
 * another; if they did, the image's face alone is kept, as without the retry. */
#define SAME_FACE_OVERLAP 0.5f
#define SAME_FACE_SCALE 2.0f
static int same_face(const det_box *a, float bx, float by, float bw, float bh) {
    float iw = fminf(a->x + a->w, bx + bw) - fmaxf(a->x, bx), ih = fminf(a->y + a->h, by + bh) - fmaxf(a->y, by);
    float smaller = fminf(a->w * a->h, bw * bh);
    if (iw <= 0 || ih <= 0 || !(smaller > 0)) return 0;
    if (a->w > SAME_FACE_SCALE * bw || bw > SAME_FACE_SCALE * a->w) return 0;
    return iw * ih > SAME_FACE_OVERLAP * smaller;
}

/* Inserts f into faces[0..*k) by area (largest first), keeping at most max. */
static void insert_by_area(bex_face *faces, int *k, int max, const bex_face *f) {
    float a = f->box[2] * f->box[3];
    int p = 0;
    while (p < *k) {
        float b = faces[p].box[2] * faces[p].box[3];
        if (a > b || (a == b && f->score > faces[p].score)) break;
        p++;
    }
    if (p >= max) return;
    int last = *k < max ? *k : max - 1; /* the entry pushed out of a full array is dropped */
    memmove(faces + p + 1, faces + p, sizeof *faces * (size_t)(last - p));
    faces[p] = *f;
    if (*k < max) (*k)++;
}

/*
 * The faces of img, largest first. Boxes are sorted by area before any landmark is computed, so
 * a `max` smaller than the number of faces keeps the largest ones, not the most confident.
 *
 * The padded retry runs when the image yields no face, and also when the largest face it yields
 * is narrower than pad_retry_below of the image's shorter side: a face that fills the frame is
 * missed by the detector whether or not a smaller face (a child beside the traveller, someone
 * behind) is found, and without this the smaller face would be taken for the traveller's. The
 * copy's faces that are not faces of the image (same_face) join the image's, by area; the
 * image's own faces are kept as they are.
 */
static int detect_pass(bex_engine *e, const bex_image *img, int embed, bex_face *faces,
                       int max, int *n, char *err, size_t errlen) {
    if (!e || !img || !img->px || img->width <= 0 || img->height <= 0 || !faces || max <= 0 || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "invalid arguments to face detection");
    int nb = find_boxes(e, img, e->opt.min_score, e->boxes);
    set_areas(e->boxes, nb, img);
    qsort(e->boxes, (size_t)nb, sizeof *e->boxes, by_area_desc);
    int k = 0, rc;
    for (int i = 0; i < nb && k < max; i++) {
        rc = describe(e, img, &e->boxes[i], embed, &faces[k], err, errlen);
        if (rc == BEX_OK) k++;
        else if (rc != BEX_ERR_NO_FACE) return rc;
    }
    int shorter = img->width < img->height ? img->width : img->height;
    /* The padded retry is SSD's: BlazeFace, whose letterbox already shows it a frame-filling
     * face with a border, acquired every LFW image without it (docs/face-pipeline.md). */
    if (!e->ssd || !e->opt.pad_retry || (k > 0 && !(faces[0].box[2] < e->opt.pad_retry_below * (float)shorter))) {
        *n = k;
        return BEX_OK;
    }

    /* Search a copy padded to twice the size; map everything back. */
    int border = (img->width > img->height ? img->width : img->height) / 2;
    static const uint8_t black[3] = {0, 0, 0};
    bex_image padded;
    rc = bex__image_pad(img, border, black, &padded, err, errlen);
    if (rc != BEX_OK) return rc;
    int np = find_boxes(e, &padded, e->opt.min_score, e->pboxes);
    set_areas(e->pboxes, np, &padded);
    qsort(e->pboxes, (size_t)np, sizeof *e->pboxes, by_area_desc);
    for (int i = 0; i < np && rc == BEX_OK; i++) {
        const det_box *b = &e->pboxes[i];
        if (k == max && b->w * b->h <= faces[max - 1].box[2] * faces[max - 1].box[3]) break;
        int same = 0;
        for (int j = 0; j < nb && !same; j++) same = same_face(&e->boxes[j], b->x - border, b->y - border, b->w, b->h);
        if (same) continue;
        bex_face f;
        rc = describe(e, &padded, b, embed, &f, err, errlen);
        if (rc == BEX_OK) {
            unpad(&f, border);
            insert_by_area(faces, &k, max, &f);
        } else if (rc == BEX_ERR_NO_FACE) {
            rc = BEX_OK;
        }
    }
    /* Still nothing: the best candidate above the lower retry threshold, if that is lower. */
    if (rc == BEX_OK && k == 0 && e->opt.retry_min_score < e->opt.min_score) {
        np = find_boxes(e, &padded, e->opt.retry_min_score, e->pboxes);
        for (int i = 0; i < np && k == 0 && rc == BEX_OK; i++) { /* by score, as found */
            rc = describe(e, &padded, &e->pboxes[i], embed, &faces[0], err, errlen);
            if (rc == BEX_OK) {
                unpad(&faces[0], border);
                k = 1;
            } else if (rc == BEX_ERR_NO_FACE) {
                rc = BEX_OK;
            }
        }
    }
    bex_image_free(&padded);
    if (rc != BEX_OK) return rc;
    *n = k;
    return BEX_OK;
}

/* A face that fills a small frame (a tight crop of 100 px) can be missed in the copy padded by
 * half the longer side and found when the face is a third of the canvas: detect_pass on a copy
 * padded by the whole longer side, without its own padded retry, and faces mapped back. */
static int wide_pad_pass(bex_engine *e, const bex_image *img, int embed, bex_face *faces, int max, int *n,
                         char *err, size_t errlen) {
    int border = img->width > img->height ? img->width : img->height;
    static const uint8_t black[3] = {0, 0, 0};
    bex_image padded;
    int rc = bex__image_pad(img, border, black, &padded, err, errlen);
    if (rc != BEX_OK) return rc;
    int keep = e->opt.pad_retry;
    e->opt.pad_retry = 0;
    rc = detect_pass(e, &padded, embed, faces, max, n, err, errlen);
    e->opt.pad_retry = keep;
    for (int i = 0; rc == BEX_OK && i < *n; i++) unpad(&faces[i], border);
    bex_image_free(&padded);
    return rc;
}

/* detect_pass; when it finds no face, a wider padding (opt.wide_pad_retry), then once more in a
 * lighting-normalised copy (opt.light_retry, src/face/lighting.c). */
static int detect_or_embed(bex_engine *e, const bex_image *img, int embed, bex_face *faces,
                           int max, int *n, char *err, size_t errlen) {
    int rc = detect_pass(e, img, embed, faces, max, n, err, errlen);
    if (rc == BEX_OK && *n == 0 && e->opt.wide_pad_retry && e->opt.pad_retry) {
        rc = wide_pad_pass(e, img, embed, faces, max, n, err, errlen);
        if (rc == BEX_OK && *n > 0) e->stats.wide_pad_found++;
    }
    if (rc != BEX_OK || *n > 0 || e->opt.light_retry == BEX_LIGHT_OFF) return rc;
    bex_image lit;
    if ((rc = bex__light_normalise(img, e->opt.light_retry, &lit, err, errlen)) != BEX_OK) return rc;
    e->stats.light_retries++;
    rc = detect_pass(e, &lit, embed, faces, max, n, err, errlen);
    if (rc == BEX_OK && *n > 0) e->stats.light_found++;
    bex_image_free(&lit);
    return rc;
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
    if (eng->onnx) { /* the model's own alignment and network; `align` is the built-in model's */
        const bex_model *m = face_onnx_model(eng->onnx);
        /* writes template_ only on success */
        int rc = face_onnx_template(eng->onnx, img, face->landmarks, eng->opt.flip, face->template_, err, errlen);
        if (rc == BEX_OK) {
            memset(face->template_ + m->embedding, 0, sizeof(float) * (size_t)(BEX_TEMPLATE_MAX_DIM - m->embedding));
            face->dim = m->embedding;
            eng->stats.templates++;
        }
        eng->stats.descriptor_ms += now_ms() - t0;
        return rc;
    }
    int rc;
    if (align == BEX_ALIGN_FACEAPI) rc = align_faceapi_chip(img, face->box, face->landmarks, eng->rec.input);
    else if (align == BEX_ALIGN_KEYPOINTS && face->has_keypoints) rc = align_keypoints_chip(img, (const float(*)[2])face->keypoints, eng->rec.input);
    else if (align == BEX_ALIGN_FACEMESH && face->has_mesh) rc = align_mesh_chip(img, (const float(*)[2])face->mesh_points, eng->rec.input);
    else rc = align_similarity_chip(img, face->landmarks, eng->rec.input);
    double t1 = now_ms();
    eng->stats.align_ms += t1 - t0;
    if (rc != 0) return bex__fail(err, errlen, BEX_ERR_NO_FACE, "the face's aligned crop lies outside the image");
    float d[BEX_TEMPLATE_DIM];
    /* rec_forward normalises its input in place: the mirror is taken first */
    if (eng->opt.flip) bex__chip_mirror(eng->rec.input, eng->mirror, ALIGN_CHIP, bex__chip_mirror_axis2(align));
    rec_forward(&eng->rec, d);
    double ss = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) ss += (double)d[i] * d[i];
    float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    memset(face->template_, 0, sizeof face->template_);
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) face->template_[i] = d[i] * inv;
    if (eng->opt.flip) { /* the normalised mean of the two unit templates */
        memcpy(eng->rec.input, eng->mirror, sizeof(float) * ALIGN_CHIP * ALIGN_CHIP * 3);
        rec_forward(&eng->rec, d);
        double sm = 0, st = 0;
        for (int i = 0; i < BEX_TEMPLATE_DIM; i++) sm += (double)d[i] * d[i];
        float im = sm > 0 ? (float)(1.0 / sqrt(sm)) : 0.0f;
        for (int i = 0; i < BEX_TEMPLATE_DIM; i++) {
            face->template_[i] += d[i] * im;
            st += (double)face->template_[i] * face->template_[i];
        }
        float it = st > 0 ? (float)(1.0 / sqrt(st)) : 0.0f;
        for (int i = 0; i < BEX_TEMPLATE_DIM; i++) face->template_[i] *= it;
    }
    face->dim = BEX_TEMPLATE_DIM;
    eng->stats.descriptor_ms += now_ms() - t1;
    eng->stats.templates++;
    return BEX_OK;
}

int bex_engine_set_range(bex_engine *eng, bex_range r, char *err, size_t errlen) {
    if (!eng) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_engine_set_range: NULL engine");
    if (r != BEX_RANGE_DEFAULT && r != BEX_RANGE_NEAR && r != BEX_RANGE_FAR)
        return bex__fail(err, errlen, BEX_ERR_ARG, "unknown camera range %d", (int)r);
    if ((r == BEX_RANGE_NEAR && !eng->blz_short) || (r == BEX_RANGE_FAR && !eng->blz_full))
        return bex__fail(err, errlen, BEX_ERR_ARG, "a %s camera needs BlazeFace's %s model, which this engine's "
                         "detector (%s) does not load", bex_range_name(r), r == BEX_RANGE_FAR ? "full-range" : "short-range",
                         eng->ssd ? "ssd" : eng->blz_short ? "blazeface without the full-range fallback" : "blazeface-full");
    eng->range = r;
    return BEX_OK;
}

bex_range bex_engine_range(const bex_engine *eng) { return eng ? eng->range : BEX_RANGE_DEFAULT; }

const char *bex_range_name(bex_range r) {
    return r == BEX_RANGE_NEAR ? "near" : r == BEX_RANGE_FAR ? "far" : r == BEX_RANGE_DEFAULT ? "default" : "unknown";
}

int bex_range_parse(const char *s, bex_range *out) {
    if (!s || !out) return BEX_ERR_ARG;
    if (!strcmp(s, "near")) *out = BEX_RANGE_NEAR;
    else if (!strcmp(s, "far")) *out = BEX_RANGE_FAR;
    else return BEX_ERR_ARG;
    return BEX_OK;
}

const char *bex_engine_model(const bex_engine *eng) {
    if (eng->onnx) return face_onnx_model(eng->onnx)->identity;
    return bex_model_builtin_identity(eng->opt.align == BEX_ALIGN_FACEAPI);
}

int bex_engine_dim(const bex_engine *eng) {
    return eng->onnx ? face_onnx_model(eng->onnx)->embedding : BEX_TEMPLATE_DIM;
}

float bex_template_similarity_dim(const float *a, const float *b, int dim) {
    double s = 0;
    for (int i = 0; i < dim; i++) s += (double)a[i] * b[i];
    return (float)s;
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
