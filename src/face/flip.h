/*
 * flip.h - flip test-time augmentation (internal to the library): the mirror image of an
 * aligned face chip, whose template the engine averages with the chip's own when
 * bex_engine_options.flip is set.
 */
#ifndef BEX_FACE_FLIP_H
#define BEX_FACE_FLIP_H

#include "bex/face.h"

/* The column a chip made with `align` is mirrored about, times two: column u of the mirror is
 * column (axis2 - u) of the chip. dlib's mean face shape is symmetric about x = 0.490127 of
 * its unit square (the nose line), which the similarity alignment (padding 0.25, 150 px)
 * places at column 74.01, not the chip's centre 74.5: mirroring about the centre would move
 * the face 1 px sideways, so that chip is mirrored about column 74 (axis2 = 148). face-api's
 * crop is centred on the face (axis2 = 149). */
int bex__chip_mirror_axis2(bex_align align);

/* dst = src mirrored left to right about axis2 / 2: dst[v][u] = src[v][axis2 - u], the
 * column clamped to 0..side-1 (the one column that falls outside repeats the edge). Both are
 * side x side x 3 floats (HWC) and must not overlap. */
void bex__chip_mirror(const float *src, float *dst, int side, int axis2);

#endif
