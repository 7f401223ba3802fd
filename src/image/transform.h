/*
 * transform.h - pixel transforms between decoding and the face networks (internal to the
 * library): EXIF orientation, constant-colour padding, and the float resamplers that feed the
 * networks (TensorFlow-exact bilinear resize of a zero-padded crop, and an affine warp).
 *
 * The float resamplers write into a caller-allocated HWC buffer (out_h * out_w * 3 floats,
 * raw 0..255 values) and allocate nothing, so they can sit in a per-frame hot path. They
 * return BEX_OK or BEX_ERR_ARG (the output is then untouched).
 */
#ifndef BEX_IMAGE_TRANSFORM_H
#define BEX_IMAGE_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "bex/image.h"

/* Turns an image stored with EXIF orientation 1..8 upright, in place (orientations 5..8 swap
 * width and height and reallocate img->px). Other values are a no-op. BEX_ERR_NOMEM on
 * allocation failure (img unchanged). */
int bex__image_orient(bex_image *img, int orientation, char *err, size_t errlen);

/* A new image: src with a border of border_px px of colour rgb[3] on each of the four sides.
 * *out is written only on success; the caller frees it with bex_image_free. */
int bex__image_pad(const bex_image *src, int border_px, const uint8_t rgb[3], bex_image *out,
                   char *err, size_t errlen);

/* tf.image.resizeBilinear(img, [out_h, out_w]) with alignCorners = halfPixelCenters = false
 * over the whole image, as TensorFlow's float32 kernel computes it:
 *   s = d * (float)(in / out); i0 = floor(s); i1 = min(i0 + 1, in - 1); f = s - i0;
 *   top = tl + (tr - tl) * fx; bottom = bl + (br - bl) * fx; v = top + (bottom - top) * fy.
 * out holds out_h * out_w * 3 floats. */
int bex__image_resize_bilinear_f32(const bex_image *src, int out_w, int out_h, float *out);

/* face-api's "pad to square, then resize" without building the padded canvas:
 * the crop [cx, cy, cw, ch] of src (which must lie inside src) is placed at (pad_left, pad_top)
 * in a zero-filled canvas x canvas square (pad_left + cw <= canvas, pad_top + ch <= canvas),
 * and that canvas is resized to out_size x out_size exactly as bex__image_resize_bilinear_f32
 * would resize it. out holds out_size * out_size * 3 floats.
 *   SSD input:        canvas = max(w, h) of the whole image, pad_left = pad_top = 0.
 *   landmark / recog: canvas = bex__image_centre_pad(cw, ch, &pad_left, &pad_top). */
int bex__image_crop_pad_resize_f32(const bex_image *src, int cx, int cy, int cw, int ch,
                                   int pad_left, int pad_top, int canvas, int out_size,
                                   float *out);

/* The centred padding face-api's padToSquare(x, true) applies to a w x h tensor: of the
 * difference d = |w - h|, round(d * 0.5) (JavaScript Math.round) goes after (bottom/right) and
 * the rest before (top/left). Sets *pad_left and *pad_top and returns the canvas side
 * max(w, h). */
int bex__image_centre_pad(int w, int h, int *pad_left, int *pad_top);

/* Affine warp: output pixel (u, v), 0 <= u < out_w, 0 <= v < out_h, samples src at
 *   x = m[0] * u + m[1] * v + m[2],  y = m[3] * u + m[4] * v + m[5]
 * (m is the output-to-source map), bilinearly, with pixel centres at integer coordinates.
 * Neighbours outside the image count as 0 (black), so edges fade to black over one pixel,
 * like OpenCV's warpAffine with BORDER_CONSTANT 0. out holds out_h * out_w * 3 floats. */
int bex__image_warp_affine_f32(const bex_image *src, const float m[6], int out_w, int out_h,
                               float *out);

#endif
