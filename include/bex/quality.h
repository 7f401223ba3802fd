/*
 * quality.h - is this capture fit for matching, and if not, what should the traveller do?
 * Face image quality in the spirit of ISO/IEC 29794-5 (and its reference code, OFIQ), from one
 * detected face: size, pose, sharpness, exposure and contrast, an overall score, and problems a
 * kiosk can show at once.
 *
 *   bex_face faces[4];
 *   int n;
 *   if (bex_detect(eng, &img, faces, 4, &n, err, sizeof err) == BEX_OK && n > 0) {
 *       bex_quality q;
 *       if (bex_face_quality(&img, &faces[0], NULL, &q, err, sizeof err) == BEX_OK) {
 *           printf("score %.0f\n", q.score);
 *           for (int i = 0; i < q.n_problems; i++)   // most urgent first
 *               printf("%s: %s\n", bex_quality_problem_name(q.problems[i]),
 *                      bex_quality_problem_message(q.problems[i]));
 *       }
 *   }
 *
 * Nothing here is a conformance claim: the measures are simple, documented stand-ins for the
 * ISO/IEC 29794-5 components (no eyes-open, occlusion or expression measure yet).
 *
 * Measures (all on the face region: the polygon of the jaw line 0..16 and eyebrows 26..17,
 * clipped to the image; luminance Y = (77 R + 150 G + 29 B) / 256):
 *  - size: the detector box, and the inter-eye distance between the centres of landmarks
 *    36..41 and 42..47.
 *  - pose: roll from the eye line. Yaw and pitch from a weak-perspective (scaled orthographic)
 *    least-squares fit of 10 landmarks (eye corners, nose bridge, nose tip, subnasale, mouth
 *    corners, chin) to a generic head built from rounded anthropometric proportions; the angles
 *    are those of the fitted face's forward direction, less a fixed pitch offset that puts the
 *    median LFW face at 0. Limits: one generic head for everyone (a flatter or longer nose
 *    scales yaw and pitch by roughly +-20%), no perspective (fine beyond ~50 cm), and the
 *    landmark network's far-side points degrade past ~40 degrees of yaw, so large angles are
 *    rough. Not calibrated against ground-truth head pose.
 *  - sharpness: the face region's luminance, area-averaged down so that the inter-eye distance is
 *    at most 40 px (a sharp high-resolution face must not read as blurred because its detail
 *    spans many pixels; smaller faces are left as they are), then the standard deviation of the
 *    4-neighbour Laplacian over the region divided by the region's luminance standard deviation,
 *    times 100. The division makes it independent of exposure and contrast (a dark photo is
 *    reported as dark, not as blurred); sensor noise raises it.
 *  - exposure: mean luminance, and the fractions of region pixels at or below 25 (under) and at
 *    or above 245 (over). contrast: the standard deviation of luminance.
 *
 * Score: 100 x the product of one factor per measure. Each factor is a logistic curve equal to
 * 0.5 at the measure's threshold (below) and 0.95 at a "good" value, so one problem alone caps
 * the score near 50 and two near 25, while measures comfortably inside their limits cost
 * little. The "good" values: inter-eye distance 1.5 x the minimum; |yaw|, |pitch|, |roll| at
 * 0.5 x their maximum; sharpness 1.5 x its minimum; mean luminance 1.6 x the minimum and
 * 0.85 x the maximum (each side its own factor); under/over-exposed fraction 0.5 x their
 * maximum; contrast 1.6 x its minimum; landmarks inside the image: factor 0.5 at 97% and
 * 0.95 at 100%.
 */
#ifndef BEX_QUALITY_H
#define BEX_QUALITY_H

#include "bex/bex.h"
#include "bex/face.h"
#include "bex/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What is wrong with a capture. Codes are never renumbered; bex_quality lists them in this
 * order, which is the order a kiosk should fix them in (framing, then pose, then light). */
typedef enum bex_quality_problem {
    BEX_QUALITY_OK = 0,             /* no problem (never listed; its message is "Photo is good") */
    BEX_QUALITY_FACE_OUTSIDE = 1,   /* a landmark or the box lies outside the photo */
    BEX_QUALITY_TOO_SMALL = 2,      /* inter-eye distance below min_eye_distance_px */
    BEX_QUALITY_POSE = 3,           /* |yaw| or |pitch| above its maximum */
    BEX_QUALITY_ROLL = 4,           /* |roll| above max_roll_deg */
    BEX_QUALITY_TOO_DARK = 5,       /* mean luminance or under-exposed fraction out of range */
    BEX_QUALITY_TOO_BRIGHT = 6,     /* mean luminance or over-exposed fraction out of range */
    BEX_QUALITY_BLURRED = 7,        /* sharpness below min_sharpness */
    BEX_QUALITY_LOW_CONTRAST = 8,   /* contrast below min_contrast */
} bex_quality_problem;

#define BEX_QUALITY_PROBLEM_COUNT 9 /* codes 0..8 */

/* Thresholds. bex_quality_options_default fills the defaults given here; every field must be
 * finite and >= 0 (fractions <= 1), else BEX_ERR_ARG. */
typedef struct bex_quality_options {
    /* 30 px. ICAO 9303 / ISO/IEC 19794-5 ask 90 px (120 preferred) of a passport photo and 60 px
     * is a common floor for enrolment. The descriptor itself sees faces at ~48 px between the
     * eyes (dlib's 150 px chip), so below ~30 px it works from an upsampled, detail-poor face.
     * LFW's 250x250 crops measure 36..47 px (5th..95th percentile): 40 would flag ~38% of them.
     * Raise it to 60 or 90 for enrolment-grade captures. */
    float min_eye_distance_px;
    /* Pose limits, set where errors start on LFW View 2 (README.md, "Accuracy by capture
     * quality"): accuracy is flat up to 30 degrees of yaw and falls beyond it (below 40:
     * 97.3%, above: 92.3%, against 98.2% for frontal pairs), but falls from 20 degrees of
     * pitch and from 5-10 of roll. ISO/IEC 19794-5 frontal asks +-5 yaw/pitch and +-8 roll,
     * too strict for a live kiosk given the estimate's error. */
    float max_yaw_deg;          /* 30 (flags 4% of LFW's images; 20 flagged 16% at no gain) */
    float max_pitch_deg;        /* 20 (flags 4%) */
    float max_roll_deg;         /* 10 (flags 3%) */
    float min_brightness;       /* mean luminance, 0..255: 50 (the darkest 1% of LFW faces
                                   measure ~76: dark skin in fair light must stay above it) */
    float max_brightness;       /* 210 */
    float max_underexposed;     /* fraction of region pixels <= 25: 0.35 */
    float max_overexposed;      /* fraction of region pixels >= 245: 0.20 */
    float min_sharpness;        /* the normalised Laplacian measure above: 18 (LFW: 5th percentile
                                   20, median 35; one 3x3 box blur: median 19; three: 14) */
    float min_contrast;         /* luminance std, 0..255: 15 */
} bex_quality_options;

#define BEX_QUALITY_DEFAULT_MIN_EYE_DISTANCE_PX 30.0f
#define BEX_QUALITY_DEFAULT_MAX_YAW_DEG 30.0f
#define BEX_QUALITY_DEFAULT_MAX_PITCH_DEG 20.0f
#define BEX_QUALITY_DEFAULT_MAX_ROLL_DEG 10.0f
#define BEX_QUALITY_DEFAULT_MIN_BRIGHTNESS 50.0f
#define BEX_QUALITY_DEFAULT_MAX_BRIGHTNESS 210.0f
#define BEX_QUALITY_DEFAULT_MAX_UNDEREXPOSED 0.35f
#define BEX_QUALITY_DEFAULT_MAX_OVEREXPOSED 0.20f
#define BEX_QUALITY_DEFAULT_MIN_SHARPNESS 18.0f
#define BEX_QUALITY_DEFAULT_MIN_CONTRAST 15.0f

/* The measures of one face. Plain numbers and codes, so a caller can print it as JSON. */
typedef struct bex_quality {
    float score;            /* 0..100, higher is better */
    float box_width_px;     /* the detector box */
    float box_height_px;
    float eye_distance_px;  /* between the eye centres */
    /* Degrees. yaw > 0: the face turns towards the image's right (the subject's left);
     * pitch > 0: chin up (the face points above the camera); roll > 0: the head tilts clockwise
     * as the image shows it (the eye line descends to the image's right). */
    float yaw_deg;
    float pitch_deg;
    float roll_deg;
    float sharpness;        /* normalised Laplacian, ~0..200 (see above); LFW median ~35, 5th percentile ~20 */
    float brightness;       /* mean luminance of the face region, 0..255 */
    float underexposed;     /* fraction of region pixels with luminance <= 25, 0..1 */
    float overexposed;      /* fraction of region pixels with luminance >= 245, 0..1 */
    float contrast;         /* luminance standard deviation over the region, 0..~128 */
    float inside;           /* fraction of the 68 landmarks inside the image, 0..1 */
    int region_px;          /* pixels of the face region inside the image that were measured */
    int n_problems;         /* entries used in problems[] */
    bex_quality_problem problems[BEX_QUALITY_PROBLEM_COUNT]; /* most urgent first */
} bex_quality;

/* Fills *opt with the defaults above. */
void bex_quality_options_default(bex_quality_options *opt);

/* Measures one face found in img by bex_detect or bex_embed (its box and landmarks, in img's
 * pixels). opt may be NULL (defaults). *out is written only on success. Errors: BEX_ERR_ARG
 * (NULL pointer, empty image, non-finite landmarks, bad options), BEX_ERR_NOMEM. Allocates a
 * scratch buffer the size of the face region per call and frees it before returning. */
int bex_face_quality(const bex_image *img, const bex_face *face, const bex_quality_options *opt,
                     bex_quality *out, char *err, size_t errlen);

/* A plain-language instruction for a kiosk screen, e.g. "Move closer to the camera".
 * Static; never NULL ("Unknown problem" for an unknown code). */
const char *bex_quality_problem_message(int code);

/* A short stable identifier for machine output, e.g. "too_small". Static; never NULL. */
const char *bex_quality_problem_name(int code);

/* ---- acquisition: one usable face, or a distinct reason why not ---------------------------
 *
 *   bex_capture_policy pol;
 *   bex_capture_policy_default(&pol);
 *   bex_face face; bex_quality q; int n;
 *   int rc = bex_capture(eng, &img, &pol, &face, &q, &n, err, sizeof err);
 *   if (rc == BEX_OK) use(face.template_);
 *   else if (bex_status_is_capture_failure(rc)) show(err);   // "Move closer to the camera ..."
 *
 * The outcomes, checked in this order (ISO/IEC 19795-1's failure to acquire; at enrolment,
 * failure to enrol):
 *   BEX_ERR_NO_FACE         no face found
 *   BEX_ERR_SEVERAL_FACES   another face at least max_other_face times the largest's size
 *                           (bex_capture_other_face)
 *                           (two people at a gate camera: whose photo is it?)
 *   BEX_ERR_FACE_TOO_SMALL  inter-eye distance below min_eye_distance_px
 *   BEX_ERR_LOW_QUALITY     quality score below min_quality
 * Each message says what to do. On these four outcomes *n_faces is set, and when a face was
 * found *face (without template) and *q describe the largest one, so a kiosk can show its
 * problems; on BEX_OK all three are set and face->template_ is computed. */
typedef struct bex_capture_policy {
    float min_eye_distance_px; /* BEX_QUALITY_DEFAULT_MIN_EYE_DISTANCE_PX */
    float min_quality;         /* quality score floor, 0..100: BEX_CAPTURE_DEFAULT_MIN_QUALITY;
                                  0 turns the floor off */
    float max_other_face;      /* BEX_CAPTURE_DEFAULT_MAX_OTHER_FACE; above 1 allows any number
                                  of faces (the largest is used) */
    bex_quality_options quality; /* for the score and its problems */
    bex_range range;           /* the camera's range (face.h: bex_engine_set_range) for this
                                  capture; BEX_RANGE_DEFAULT (the default): the engine's own */
} bex_capture_policy;

/* The quality floor, from README.md ("Accuracy by capture quality"): on LFW View 2 the pairs
 * with an image scoring under 20 are 92.0% accurate against 99.1% above 40 (8 times the
 * errors), and the floor refuses about 5% of LFW's images. */
#define BEX_CAPTURE_DEFAULT_MIN_QUALITY 20.0f
/* A second face at least 0.8 of the largest's size: two people equally near the camera. A
 * bystander further back (smaller) does not stop the capture. Sizes as bex_capture_other_face
 * measures them (inside the picture; box or eyes): 0.8 was set on the SSD detector's boxes,
 * which stop at the image's edge, and BlazeFace's do not. */
#define BEX_CAPTURE_DEFAULT_MAX_OTHER_FACE 0.8f

void bex_capture_policy_default(bex_capture_policy *pol);

/* The several-faces measure of faces[0..n) (largest box first, as bex_embed and bex_detect
 * give them, with their landmarks) in an image_width x image_height image: over the other
 * faces, the largest of
 *   - its box's width over the first face's, each clipped to the image first (the part of the
 *     face in the picture: BlazeFace boxes a face cut by the frame whole, beyond the image);
 *   - when both faces lie wholly inside the image, its eye distance (68 landmarks) over the
 *     first face's: boxes of two faces of one size can differ by a quarter (hair, pose), eye
 *     distances less; on a face cut by the frame they are not to be trusted.
 * 0 with fewer than two faces or a first face with nothing in the picture. The capture is
 * refused as "several faces" when this is >= max_other_face. Evidence (LFW, both detectors):
 * docs/face-pipeline.md, "The several-faces rule". */
float bex_capture_other_face(const bex_face *faces, int n, int image_width, int image_height);

/* Finds the faces in img (bex_embed) and applies the policy (pol may be NULL: defaults).
 * Errors besides the four outcomes: BEX_ERR_ARG, BEX_ERR_NOMEM. */
int bex_capture(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol,
                bex_face *face, bex_quality *q, int *n_faces, char *err, size_t errlen);

/* ---- from a photo's bytes to a template or an outcome, as plain data -----------------------
 *
 *   bex_capture_result r;
 *   if (bex_capture_photo(eng, bytes, len, NULL, NULL, &r, err, sizeof err) != BEX_OK)
 *       reject(err);                        // not a photo bex can read: corrupt, too large...
 *   else if (r.acquired) match(r.template_, r.quality.score);
 *   else record_failure(r.outcome, r.message); // "face_too_small", "Move closer ..."
 *
 * A photo that was read is never an error: a capture failure comes back as r.status, with its
 * stable name for JSON (bex_capture_outcome_name) and the message for the traveller, the same
 * in every program. For a vehicle lane, where every face is a traveller of its own,
 * bex_capture_all and bex_capture_photo_all judge each face (largest first) by the policy's
 * size and quality floors; the several-faces refusal does not apply. */
typedef struct bex_capture_result {
    int acquired;         /* 1: the face is usable and template_ holds its template */
    int status;           /* BEX_OK when acquired, else the outcome: BEX_ERR_NO_FACE,
                             BEX_ERR_SEVERAL_FACES, BEX_ERR_FACE_TOO_SMALL, BEX_ERR_LOW_QUALITY */
    const char *outcome;  /* bex_capture_outcome_name(status): "ok", "no_face", ... (static) */
    char message[256];    /* what the traveller should do, as bex_capture words it; "" when
                             acquired */
    int n_faces;          /* faces found in the photo (bex_capture_photo: at most 8; the _all
                             calls: the number of results) */
    float template_[BEX_TEMPLATE_MAX_DIM]; /* unit length when acquired (dim floats), zeros
                             otherwise */
    bex_quality quality;  /* the face's measures (quality.score, 0..100) when there is a face
                             (for SEVERAL_FACES: the largest one's); zeros for NO_FACE */
    float box[4];         /* the face's detector box, x, y, w, h in px of the upright photo;
                             zeros for NO_FACE */
    int dim;              /* floats in template_ (the engine's model); 0 when not acquired */
} bex_capture_result;

/* A capture outcome's stable name for machine output: "ok" (BEX_OK), "no_face",
 * "several_faces", "face_too_small", "low_quality"; NULL for any other status (an error, not
 * an outcome). Static. */
const char *bex_capture_outcome_name(int status);

/* Decodes the photo's len bytes (JPEG, PNG, PGM/PPM, JPEG 2000; limits may be NULL: the
 * defaults of image.h) and captures one face as bex_capture does (pol may be NULL: defaults).
 * BEX_OK whenever the photo was read, the verdict in *out, which is written only then. Errors:
 * BEX_ERR_FORMAT, BEX_ERR_CORRUPT, BEX_ERR_UNSUPPORTED (a photo bex cannot read), BEX_ERR_LIMIT
 * (over limits' bytes or pixels), with a message about the photo in err; BEX_ERR_ARG,
 * BEX_ERR_NOMEM. */
int bex_capture_photo(bex_engine *eng, const uint8_t *bytes, size_t len,
                      const bex_image_limits *limits, const bex_capture_policy *pol,
                      bex_capture_result *out, char *err, size_t errlen);

/* bex_capture_photo on a photo already decoded (a caller that decodes it itself, e.g. to
 * count its pixels against a budget of its own). */
int bex_capture_image(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol,
                      bex_capture_result *out, char *err, size_t errlen);

/* Every face of img, largest first: writes up to max results (caller-allocated, out[max]) and
 * their number to *n (0: no face, BEX_OK). Each face has its own verdict: BEX_OK (acquired,
 * with its template), BEX_ERR_FACE_TOO_SMALL or BEX_ERR_LOW_QUALITY, under pol's
 * min_eye_distance_px and min_quality (max_other_face is not used); n_faces is *n in each.
 * With more faces than max, the max largest are returned. out and *n are written only on
 * success. Errors: BEX_ERR_ARG (max < 1 among them), BEX_ERR_NOMEM. Allocates a scratch array
 * of min(max, 100) faces per call and frees it before returning. */
int bex_capture_all(bex_engine *eng, const bex_image *img, const bex_capture_policy *pol,
                    bex_capture_result *out, int max, int *n, char *err, size_t errlen);

/* bex_capture_all on a photo's bytes, decoded as bex_capture_photo decodes them (same errors
 * for a photo that cannot be read). */
int bex_capture_photo_all(bex_engine *eng, const uint8_t *bytes, size_t len,
                          const bex_image_limits *limits, const bex_capture_policy *pol,
                          bex_capture_result *out, int max, int *n, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
