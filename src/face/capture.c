/*
 * capture.c - one usable face from a photo, or the distinct reason there is none; every face of
 * a photo for vehicle lanes; and the same from a photo's bytes, as plain data for the programs
 * (include/bex/quality.h, "acquisition").
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/quality.h"
#include "face/align.h"
#include "util/util.h"

#define CAPTURE_MAX_FACES 8
/* bex_capture_all's scratch: the engine returns at most 100 faces (bex_engine_options'
 * max_faces), so a larger max needs no more room. */
#define CAPTURE_ALL_MAX 100

void bex_capture_policy_default(bex_capture_policy *pol) {
    if (!pol) return;
    memset(pol, 0, sizeof *pol);
    pol->min_eye_distance_px = BEX_QUALITY_DEFAULT_MIN_EYE_DISTANCE_PX;
    pol->min_quality = BEX_CAPTURE_DEFAULT_MIN_QUALITY;
    pol->max_other_face = BEX_CAPTURE_DEFAULT_MAX_OTHER_FACE;
    bex_quality_options_default(&pol->quality);
}

const char *bex_capture_outcome_name(int status) {
    switch (status) {
    case BEX_OK: return "ok";
    case BEX_ERR_NO_FACE: return "no_face";
    case BEX_ERR_SEVERAL_FACES: return "several_faces";
    case BEX_ERR_FACE_TOO_SMALL: return "face_too_small";
    case BEX_ERR_LOW_QUALITY: return "low_quality";
    default: return NULL;
    }
}

/* The policy, or the defaults for NULL, into *out; BEX_ERR_ARG when it cannot be applied. */
static int policy_or_default(const bex_capture_policy *pol, bex_capture_policy *out, const char *fn,
                             char *err, size_t errlen) {
    if (pol) *out = *pol;
    else bex_capture_policy_default(out);
    if (!(out->min_eye_distance_px >= 0 && out->min_quality >= 0 && out->min_quality <= 100 &&
          out->max_other_face > 0 && isfinite(out->max_other_face) && out->range >= BEX_RANGE_DEFAULT &&
          out->range <= BEX_RANGE_FAR))
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "%s: the policy needs min_eye_distance_px >= 0, min_quality in 0..100 and "
                         "max_other_face > 0 and a known camera range",
                         fn);
    return BEX_OK;
}

/* bex_embed with the policy's camera range in force for this call only. */
static int embed_at_range(bex_engine *eng, const bex_image *img, bex_range range, bex_face *faces, int max, int *n,
                          char *err, size_t errlen) {
    bex_range was = bex_engine_range(eng);
    int rc = range == BEX_RANGE_DEFAULT ? BEX_OK : bex_engine_set_range(eng, range, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = bex_embed(eng, img, faces, max, n, err, errlen);
    bex_engine_set_range(eng, was, NULL, 0);
    return rc;
}

/* The most urgent problem's instruction, or a general one. */
static const char *advice(const bex_quality *q) {
    return q->n_problems > 0 ? bex_quality_problem_message(q->problems[0])
                             : "Face the camera in even light, with nothing covering the face";
}

/* One face's verdict by the size and quality floors: BEX_OK, BEX_ERR_FACE_TOO_SMALL or
 * BEX_ERR_LOW_QUALITY, with the traveller's message in msg. */
/* The width of a box's part inside [0, image_width). */
static float width_in_image(const bex_face *f, int image_width) {
    float x0 = fmaxf(f->box[0], 0), x1 = fminf(f->box[0] + f->box[2], (float)image_width);
    return x1 > x0 ? x1 - x0 : 0;
}

static int wholly_inside(const bex_face *f, int w, int h) {
    return f->box[0] >= 0 && f->box[1] >= 0 && f->box[0] + f->box[2] <= (float)w && f->box[1] + f->box[3] <= (float)h;
}

/* Between the centres of the two eyes' six landmarks each, as bex_face_quality measures it. */
static float eye_distance(const bex_face *f) {
    float l[2], r[2];
    align_eye_centres(f->landmarks, l, r);
    return hypotf(r[0] - l[0], r[1] - l[1]);
}

/* Faces come largest box first; the largest of the others decides, whatever its area. */
float bex_capture_other_face(const bex_face *faces, int n, int image_width, int image_height) {
    if (!faces || n < 2 || image_width < 1 || image_height < 1) return 0;
    float first = width_in_image(&faces[0], image_width), ratio = 0;
    if (!(first > 0)) return 0;
    float first_eyes = wholly_inside(&faces[0], image_width, image_height) ? eye_distance(&faces[0]) : 0;
    for (int i = 1; i < n; i++) {
        ratio = fmaxf(ratio, width_in_image(&faces[i], image_width) / first);
        if (first_eyes > 0 && wholly_inside(&faces[i], image_width, image_height))
            ratio = fmaxf(ratio, eye_distance(&faces[i]) / first_eyes);
    }
    return ratio;
}

static int judge(const bex_quality *q, const bex_capture_policy *pol, char *msg, size_t msglen) {
    if (q->eye_distance_px < pol->min_eye_distance_px)
        return bex__fail(msg, msglen, BEX_ERR_FACE_TOO_SMALL,
                         "face too small (%.0f px between the eyes, at least %.0f needed): move closer to the camera",
                         q->eye_distance_px, pol->min_eye_distance_px);
    if (q->score < pol->min_quality)
        return bex__fail(msg, msglen, BEX_ERR_LOW_QUALITY, "capture quality %.1f is below the floor of %.1f: %s",
                         q->score, pol->min_quality, advice(q));
    return BEX_OK;
}

int bex_capture(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol, bex_face *face,
                bex_quality *q, int *n_faces, char *err, size_t errlen) {
    if (!eng || !img || !face || !q || !n_faces)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture: NULL argument");
    bex_capture_policy p;
    int rc = policy_or_default(pol, &p, "bex_capture", err, errlen);
    if (rc != BEX_OK) return rc;
    bex_face faces[CAPTURE_MAX_FACES];
    int n = 0;
    if ((rc = embed_at_range(eng, img, p.range, faces, CAPTURE_MAX_FACES, &n, err, errlen)) != BEX_OK) return rc;
    *n_faces = n;
    if (n == 0)
        return bex__fail(err, errlen, BEX_ERR_NO_FACE,
                         "no face found: face the camera, uncovered, in even light");
    bex_quality qq;
    if ((rc = bex_face_quality(img, &faces[0], &p.quality, &qq, err, errlen)) != BEX_OK) return rc;
    *face = faces[0];
    memset(face->template_, 0, sizeof face->template_);
    *q = qq;
    if (n > 1 && bex_capture_other_face(faces, n, img->width, img->height) >= p.max_other_face)
        return bex__fail(err, errlen, BEX_ERR_SEVERAL_FACES,
                         "%d faces of similar size in the photo: one person at a time, please", n);
    if ((rc = judge(&qq, &p, err, errlen)) != BEX_OK) return rc;
    *face = faces[0];
    return BEX_OK;
}

/* ---- from bytes, as plain data ------------------------------------------------------------ */

/* Decodes a photo; the message speaks of the photo, whatever program or flag gave the limits. */
static int decode_photo(const uint8_t *bytes, size_t len, const bex_image_limits *limits, bex_image *img,
                        char *err, size_t errlen) {
    char why[400] = "";
    int rc = bex_image_decode(bytes, len, limits, img, why, sizeof why);
    if (rc == BEX_OK) return rc;
    if (rc == BEX_ERR_LIMIT) return bex__fail(err, errlen, rc, "the photo is too large: %s", why);
    if (rc == BEX_ERR_NOMEM) return bex__fail(err, errlen, rc, "out of memory decoding the photo: %s", why);
    return bex__fail(err, errlen, rc, "the photo cannot be read: %s", why);
}

/* A result for one face with its verdict (status and message) and measures. */
static void fill(bex_capture_result *r, int status, const char *msg, int n_faces, const bex_face *f,
                 const bex_quality *q) {
    memset(r, 0, sizeof *r);
    r->status = status;
    r->acquired = status == BEX_OK;
    r->outcome = bex_capture_outcome_name(status);
    if (status != BEX_OK) snprintf(r->message, sizeof r->message, "%s", msg);
    r->n_faces = n_faces;
    if (f) memcpy(r->box, f->box, sizeof r->box);
    if (q) r->quality = *q;
    if (f && r->acquired) memcpy(r->template_, f->template_, sizeof r->template_);
    r->dim = f && r->acquired ? f->dim : 0;
}

int bex_capture_photo(bex_engine *eng, const uint8_t *bytes, size_t len, const bex_image_limits *limits,
                      const bex_capture_policy *pol, bex_capture_result *out, char *err, size_t errlen) {
    if (!eng || !out || (!bytes && len))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture_photo: NULL argument");
    bex_capture_policy p;
    int rc = policy_or_default(pol, &p, "bex_capture_photo", err, errlen);
    if (rc != BEX_OK) return rc;
    bex_image img;
    if ((rc = decode_photo(bytes, len, limits, &img, err, errlen)) != BEX_OK) return rc;
    rc = bex_capture_image(eng, &img, &p, out, err, errlen);
    bex_image_free(&img);
    return rc;
}

int bex_capture_image(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol, bex_capture_result *out,
                      char *err, size_t errlen) {
    if (!eng || !img || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture_image: NULL argument");
    bex_face face;
    bex_quality q;
    int n = 0;
    char msg[256] = "";
    int rc = bex_capture(eng, img, pol, &face, &q, &n, msg, sizeof msg);
    if (rc != BEX_OK && !bex_status_is_capture_failure(rc)) return bex__fail(err, errlen, rc, "%s", msg);
    int found = rc != BEX_ERR_NO_FACE;
    fill(out, rc, msg, n, found ? &face : NULL, found ? &q : NULL);
    return BEX_OK;
}

int bex_capture_all(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol, bex_capture_result *out,
                    int max, int *n, char *err, size_t errlen) {
    if (!eng || !img || !out || max < 1 || !n)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture_all: NULL argument or max < 1");
    bex_capture_policy p;
    int rc = policy_or_default(pol, &p, "bex_capture_all", err, errlen);
    if (rc != BEX_OK) return rc;
    int room = max < CAPTURE_ALL_MAX ? max : CAPTURE_ALL_MAX;
    /* faces and their measures first, so that out is written only once all of them are */
    bex_face *faces = bex__malloc(sizeof *faces * (size_t)room);
    bex_quality *qs = bex__malloc(sizeof *qs * (size_t)room);
    if (!faces || !qs) {
        bex__free(faces);
        bex__free(qs);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory for %d faces", room);
    }
    int k = 0;
    rc = embed_at_range(eng, img, p.range, faces, room, &k, err, errlen);
    for (int i = 0; i < k && rc == BEX_OK; i++) rc = bex_face_quality(img, &faces[i], &p.quality, &qs[i], err, errlen);
    if (rc == BEX_OK) {
        for (int i = 0; i < k; i++) {
            char msg[256] = "";
            fill(&out[i], judge(&qs[i], &p, msg, sizeof msg), msg, k, &faces[i], &qs[i]);
        }
        *n = k;
    }
    bex__free(faces);
    bex__free(qs);
    return rc;
}

int bex_capture_photo_all(bex_engine *eng, const uint8_t *bytes, size_t len, const bex_image_limits *limits,
                          const bex_capture_policy *pol, bex_capture_result *out, int max, int *n, char *err,
                          size_t errlen) {
    if (!eng || !out || max < 1 || !n || (!bytes && len))
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture_photo_all: NULL argument or max < 1");
    bex_capture_policy p;
    int rc = policy_or_default(pol, &p, "bex_capture_photo_all", err, errlen);
    if (rc != BEX_OK) return rc;
    bex_image img;
    if ((rc = decode_photo(bytes, len, limits, &img, err, errlen)) != BEX_OK) return rc;
    rc = bex_capture_all(eng, &img, &p, out, max, n, err, errlen);
    bex_image_free(&img);
    return rc;
}
