/*
 * align.c - from 68 landmarks to the 150x150 chip the descriptor network reads.
 *
 * Two alignments (and the second's fit from BlazeFace's keypoints or five Face Mesh points):
 *  - face-api.js's "dlib alignment": an axis-aligned square placed from the eye and mouth
 *    centres (side = mean eye-to-mouth distance / 0.45), cropped, padded to a centred square
 *    and resized bilinearly to 150x150. No rotation. Kept for parity with the reference.
 *  - a similarity transform (rotation, uniform scale, translation) fitted by least squares
 *    from 33 landmarks to dlib's mean face shape, placed in a 150 px chip with padding 0.25,
 *    as dlib's get_face_chip_details / extract_image_chip align for this network.
 */
#include <math.h>

#include "face/align.h"
#include "face/nets.h"
#include "image/transform.h"

/* dlib's mean face shape for landmarks 17..67 (unit square), a published constant of
 * dlib's shape-predictor alignment. */
static const double mean_x[51] = {
    0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
    0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
    0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
    0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
    0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
    0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
    0.553364, 0.490127, 0.42689};
static const double mean_y[51] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
    0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
    0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
    0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
    0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
    0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
    0.784792, 0.824182, 0.831803, 0.824182};

#define CHIP_PADDING 0.25 /* dlib's face recognition example: get_face_chip_details(s, 150, 0.25) */

/* Landmarks the fit uses: 27..67 without the lower lip (55..59, 65..67); the eyebrows and
 * jaw move too much with expression and pose. */
static int used_point(int i) {
    return i >= 27 && !(i >= 55 && i <= 59) && !(i >= 65 && i <= 67);
}

int align_faceapi_box(const float face_box[4], const float lm[68][2], int img_w, int img_h, int box[4]) {
    /* face-api's FaceLandmarks keep the dimensions of the landmark crop, and alignDlib clamps
     * the width with them (a quirk kept for parity) */
    int crop[4];
    if (face__landmark_crop(face_box, img_w, img_h, crop) != 0) return -1;
    double c[3][2] = {{0}};
    static const int from[3] = {36, 42, 48}, to[3] = {42, 48, 68};
    for (int k = 0; k < 3; k++) {
        for (int i = from[k]; i < to[k]; i++) {
            c[k][0] += lm[i][0];
            c[k][1] += lm[i][1];
        }
        c[k][0] /= to[k] - from[k];
        c[k][1] /= to[k] - from[k];
    }
    double d0 = hypot(c[2][0] - c[0][0], c[2][1] - c[0][1]);
    double d1 = hypot(c[2][0] - c[1][0], c[2][1] - c[1][1]);
    double size = floor(((d0 + d1) / 2) / 0.45);
    double rx = (c[0][0] + c[1][0] + c[2][0]) / 3, ry = (c[0][1] + c[1][1] + c[2][1]) / 3;
    double x = floor(fmax(0, rx - 0.5 * size)), y = floor(fmax(0, ry - 0.43 * size));
    double w = fmin(size, crop[2] + x), h = fmin(size, crop[3] + y);
    /* extractFaceTensors: clip at the image borders, then floor */
    double cw = fmin(w, img_w - x), ch = fmin(h, img_h - y);
    box[0] = (int)x;
    box[1] = (int)y;
    box[2] = (int)floor(cw);
    box[3] = (int)floor(ch);
    return box[2] > 0 && box[3] > 0 ? 0 : -1;
}

int align_faceapi_chip(const bex_image *img, const float face_box[4], const float lm[68][2], float *chip) {
    int b[4];
    if (align_faceapi_box(face_box, lm, img->width, img->height, b) != 0) return -1;
    int pad_left, pad_top;
    int side = bex__image_centre_pad(b[2], b[3], &pad_left, &pad_top);
    return bex__image_crop_pad_resize_f32(img, b[0], b[1], b[2], b[3], pad_left, pad_top, side,
                                          ALIGN_CHIP, chip) == 0 ? 0 : -1;
}

/* Least-squares similarity from chip points (u, v) to image points (x, y):
 * x = a u - b v + tx, y = b u + a v + ty. */
static void fit_similarity(const double *U, const double *V, const double *X, const double *Y, int n,
                           float m[6]) {
    double su = 0, sv = 0, sx = 0, sy = 0;
    for (int k = 0; k < n; k++) {
        su += U[k]; sv += V[k]; sx += X[k]; sy += Y[k];
    }
    su /= n; sv /= n; sx /= n; sy /= n;
    double num_a = 0, num_b = 0, den = 0;
    for (int k = 0; k < n; k++) {
        double u = U[k] - su, v = V[k] - sv, x = X[k] - sx, y = Y[k] - sy;
        num_a += u * x + v * y;
        num_b += u * y - v * x;
        den += u * u + v * v;
    }
    double a = num_a / den, b = num_b / den;
    m[0] = (float)a;
    m[1] = (float)-b;
    m[2] = (float)(sx - (a * su - b * sv));
    m[3] = (float)b;
    m[4] = (float)a;
    m[5] = (float)(sy - (b * su + a * sv));
}

static double chip_u(int i) { return (CHIP_PADDING + mean_x[i - 17]) / (2 * CHIP_PADDING + 1) * ALIGN_CHIP; }
static double chip_v(int i) { return (CHIP_PADDING + mean_y[i - 17]) / (2 * CHIP_PADDING + 1) * ALIGN_CHIP; }

void align_similarity_transform(const float lm[68][2], float m[6]) {
    int n = 0;
    double U[51], V[51], X[51], Y[51];
    for (int i = 17; i < 68; i++) {
        if (!used_point(i)) continue;
        U[n] = chip_u(i);
        V[n] = chip_v(i);
        X[n] = lm[i][0];
        Y[n] = lm[i][1];
        n++;
    }
    fit_similarity(U, V, X, Y, n, m);
}

/* A similarity fit of n points to the means of dlib's mean-face points [from[k], to[k]). */
static void fit_to_mean_face(const float (*pts)[2], const int *from, const int *to, int n, float m[6]) {
    double U[5], V[5], X[5], Y[5];
    for (int k = 0; k < n; k++) {
        double u = 0, v = 0;
        for (int i = from[k]; i < to[k]; i++) {
            u += chip_u(i);
            v += chip_v(i);
        }
        U[k] = u / (to[k] - from[k]);
        V[k] = v / (to[k] - from[k]);
        X[k] = pts[k][0];
        Y[k] = pts[k][1];
    }
    fit_similarity(U, V, X, Y, n, m);
}

void align_keypoints_transform(const float kp[4][2], float m[6]) {
    static const int from[4] = {36, 42, 30, 48}, to[4] = {42, 48, 31, 68};
    fit_to_mean_face(kp, from, to, 4, m);
}

int align_keypoints_chip(const bex_image *img, const float kp[4][2], float *chip) {
    float m[6];
    align_keypoints_transform(kp, m);
    return bex__image_warp_affine_f32(img, m, ALIGN_CHIP, ALIGN_CHIP, chip) == 0 ? 0 : -1;
}

void align_mesh_points(const float mesh[][2], float pts[5][2]) {
    for (int k = 0; k < 2; k++) {
        const int *eye = k ? mesh_left_eye : mesh_right_eye;
        double x = 0, y = 0;
        for (int i = 0; i < 6; i++) {
            x += mesh[eye[i]][0];
            y += mesh[eye[i]][1];
        }
        pts[k][0] = (float)(x / 6);
        pts[k][1] = (float)(y / 6);
    }
    static const int at[3] = {MESH_NOSE_TIP, MESH_MOUTH_RIGHT, MESH_MOUTH_LEFT};
    for (int k = 0; k < 3; k++) {
        pts[2 + k][0] = mesh[at[k]][0];
        pts[2 + k][1] = mesh[at[k]][1];
    }
}

void align_mesh_transform(const float pts[5][2], float m[6]) {
    static const int from[5] = {36, 42, 30, 48, 54}, to[5] = {42, 48, 31, 49, 55};
    fit_to_mean_face(pts, from, to, 5, m);
}

int align_mesh_chip(const bex_image *img, const float pts[5][2], float *chip) {
    float m[6];
    align_mesh_transform(pts, m);
    return bex__image_warp_affine_f32(img, m, ALIGN_CHIP, ALIGN_CHIP, chip) == 0 ? 0 : -1;
}

int align_similarity_chip(const bex_image *img, const float lm[68][2], float *chip) {
    float m[6];
    align_similarity_transform(lm, m);
    return bex__image_warp_affine_f32(img, m, ALIGN_CHIP, ALIGN_CHIP, chip) == 0 ? 0 : -1;
}

const float align_arcface_ref[5][2] = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};

void align_eye_centres(const float lm[68][2], float left[2], float right[2]) {
    left[0] = left[1] = right[0] = right[1] = 0;
    for (int i = 0; i < 6; i++) {
        left[0] += lm[36 + i][0] / 6;
        left[1] += lm[36 + i][1] / 6;
        right[0] += lm[42 + i][0] / 6;
        right[1] += lm[42 + i][1] / 6;
    }
}

void align_five_points(const float lm[68][2], float pts[5][2]) {
    for (int e = 0; e < 2; e++) {
        double x = 0, y = 0;
        for (int i = 36 + 6 * e; i < 42 + 6 * e; i++) {
            x += lm[i][0];
            y += lm[i][1];
        }
        pts[e][0] = (float)(x / 6);
        pts[e][1] = (float)(y / 6);
    }
    static const int at[3] = {30, 48, 54};
    for (int k = 0; k < 3; k++) {
        pts[2 + k][0] = lm[at[k]][0];
        pts[2 + k][1] = lm[at[k]][1];
    }
}

void align_fit_similarity(const float (*crop)[2], const float (*image)[2], int n, float m[6]) {
    /* as align_similarity_transform: x = a u - b v + tx, y = b u + a v + ty */
    double su = 0, sv = 0, sx = 0, sy = 0;
    for (int k = 0; k < n; k++) {
        su += crop[k][0]; sv += crop[k][1]; sx += image[k][0]; sy += image[k][1];
    }
    su /= n; sv /= n; sx /= n; sy /= n;
    double num_a = 0, num_b = 0, den = 0;
    for (int k = 0; k < n; k++) {
        double u = crop[k][0] - su, v = crop[k][1] - sv, x = image[k][0] - sx, y = image[k][1] - sy;
        num_a += u * x + v * y;
        num_b += u * y - v * x;
        den += u * u + v * v;
    }
    double a = den > 0 ? num_a / den : 1, b = den > 0 ? num_b / den : 0;
    m[0] = (float)a;
    m[1] = (float)-b;
    m[2] = (float)(sx - (a * su - b * sv));
    m[3] = (float)b;
    m[4] = (float)a;
    m[5] = (float)(sy - (b * su + a * sv));
}

void align_model_transform(const float lm[68][2], int arcface, int w, int h, float m[6]) {
    if (arcface) {
        float ref[5][2], pts[5][2];
        for (int k = 0; k < 5; k++) {
            ref[k][0] = align_arcface_ref[k][0] * (float)w / 112.0f;
            ref[k][1] = align_arcface_ref[k][1] * (float)h / 112.0f;
        }
        align_five_points(lm, pts);
        align_fit_similarity((const float (*)[2])ref, (const float (*)[2])pts, 5, m);
        return;
    }
    align_similarity_transform(lm, m);
    float sx = (float)ALIGN_CHIP / (float)w, sy = (float)ALIGN_CHIP / (float)h;
    m[0] *= sx;
    m[3] *= sx;
    m[1] *= sy;
    m[4] *= sy;
}
