/*
 * capture.c - one usable face from a photo, or the distinct reason there is none
 * (include/bex/quality.h, "acquisition").
 */
#include <math.h>
#include <string.h>

#include "bex/quality.h"
#include "util/util.h"

#define CAPTURE_MAX_FACES 8

void bex_capture_policy_default(bex_capture_policy *pol) {
    if (!pol) return;
    memset(pol, 0, sizeof *pol);
    pol->min_eye_distance_px = BEX_QUALITY_DEFAULT_MIN_EYE_DISTANCE_PX;
    pol->min_quality = BEX_CAPTURE_DEFAULT_MIN_QUALITY;
    pol->max_other_face = BEX_CAPTURE_DEFAULT_MAX_OTHER_FACE;
    bex_quality_options_default(&pol->quality);
}

/* The most urgent problem's instruction, or a general one. */
static const char *advice(const bex_quality *q) {
    return q->n_problems > 0 ? bex_quality_problem_message(q->problems[0])
                             : "Face the camera in even light, with nothing covering the face";
}

int bex_capture(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol, bex_face *face,
                bex_quality *q, int *n_faces, char *err, size_t errlen) {
    if (!eng || !img || !face || !q || !n_faces)
        return bex__fail(err, errlen, BEX_ERR_ARG, "bex_capture: NULL argument");
    bex_capture_policy def;
    if (!pol) {
        bex_capture_policy_default(&def);
        pol = &def;
    }
    if (!(pol->min_eye_distance_px >= 0 && pol->min_quality >= 0 && pol->min_quality <= 100 &&
          pol->max_other_face > 0 && isfinite(pol->max_other_face)))
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "bex_capture: the policy needs min_eye_distance_px >= 0, min_quality in 0..100 and "
                         "max_other_face > 0");
    bex_face faces[CAPTURE_MAX_FACES];
    int n = 0, rc = bex_embed(eng, img, faces, CAPTURE_MAX_FACES, &n, err, errlen);
    if (rc != BEX_OK) return rc;
    *n_faces = n;
    if (n == 0)
        return bex__fail(err, errlen, BEX_ERR_NO_FACE,
                         "no face found: face the camera, uncovered, in even light");
    bex_quality qq;
    if ((rc = bex_face_quality(img, &faces[0], &pol->quality, &qq, err, errlen)) != BEX_OK) return rc;
    *face = faces[0];
    memset(face->template_, 0, sizeof face->template_);
    *q = qq;
    /* faces come largest box first */
    if (n > 1 && faces[0].box[2] > 0 && faces[1].box[2] >= pol->max_other_face * faces[0].box[2])
        return bex__fail(err, errlen, BEX_ERR_SEVERAL_FACES,
                         "%d faces of similar size in the photo: one person at a time, please", n);
    if (qq.eye_distance_px < pol->min_eye_distance_px)
        return bex__fail(err, errlen, BEX_ERR_FACE_TOO_SMALL,
                         "face too small (%.0f px between the eyes, at least %.0f needed): move closer to the camera",
                         qq.eye_distance_px, pol->min_eye_distance_px);
    if (qq.score < pol->min_quality)
        return bex__fail(err, errlen, BEX_ERR_LOW_QUALITY, "capture quality %.1f is below the floor of %.1f: %s",
                         qq.score, pol->min_quality, advice(&qq));
    *face = faces[0];
    return BEX_OK;
}
