/*
 * align.h - landmark-based alignment to the descriptor's 150x150 chip (internal).
 */
#ifndef BEX_FACE_ALIGN_H
#define BEX_FACE_ALIGN_H

#include "bex/image.h"

#define ALIGN_CHIP 150 /* px, the descriptor network's input side */

/* face-api.js's crop box (x, y, w, h in whole px, clipped to the image) for a face detected at
 * face_box with 68 landmarks. 0, or -1 when it is empty. */
int align_faceapi_box(const float face_box[4], const float lm[68][2], int img_w, int img_h, int box[4]);
/* Fills chip (150*150*3 floats, 0..255) with face-api's axis-aligned crop. 0 or -1. */
int align_faceapi_chip(const bex_image *img, const float face_box[4], const float lm[68][2], float *chip);

/* The similarity transform from chip px to image px: x = m0 u + m1 v + m2,
 * y = m3 u + m4 v + m5. */
void align_similarity_transform(const float lm[68][2], float m[6]);
/* Fills chip with the rotation-corrected, dlib-style chip. 0 or -1. */
int align_similarity_chip(const bex_image *img, const float lm[68][2], float *chip);

/* ArcFace's five reference points in its 112x112 crop (InsightFace's arcface_dst): the eye
 * centres, the nose tip, the mouth corners, left to right as seen in the image. */
extern const float align_arcface_ref[5][2];
/* The eye centres from 68 landmarks, in float as the quality measures take them: the means of
 * 36..41 (left in the image) and 42..47. */
void align_eye_centres(const float lm[68][2], float left[2], float right[2]);
/* The five points from 68 landmarks: the means of 36..41 and 42..47, 30, 48 and 54. */
void align_five_points(const float lm[68][2], float pts[5][2]);
/* The least-squares similarity transform (rotation, uniform scale, translation: no shear, no
 * reflection) from crop px (u, v) to image px (x, y) taking n crop points to n image points:
 * x = m0 u + m1 v + m2, y = m3 u + m4 v + m5. */
void align_fit_similarity(const float (*crop)[2], const float (*image)[2], int n, float m[6]);
/* The transform of a w x h crop for an ONNX model: ArcFace's points scaled to w x h
 * (arcface != 0), or the dlib chip's transform scaled from 150 px to w x h. */
void align_model_transform(const float lm[68][2], int arcface, int w, int h, float m[6]);
/* The similarity transform (as above) fitted to four BlazeFace keypoints (right eye, left eye,
 * nose tip, mouth centre) against dlib's mean face: eye centres = means of points 36-41 and
 * 42-47, nose tip = point 30, mouth centre = mean of 48-67. */
void align_keypoints_transform(const float kp[4][2], float m[6]);
int align_keypoints_chip(const bex_image *img, const float kp[4][2], float *chip);
/* The same fitted to five Face Mesh points (mesh_points: right eye centre, left eye centre,
 * nose tip, right and left mouth corner) against dlib's mean face: eye centres = means of
 * points 36-41 and 42-47, nose tip = point 30, mouth corners = points 48 and 54. */
void align_mesh_points(const float mesh[][2], float pts[5][2]);
void align_mesh_transform(const float pts[5][2], float m[6]);
int align_mesh_chip(const bex_image *img, const float pts[5][2], float *chip);

#endif
