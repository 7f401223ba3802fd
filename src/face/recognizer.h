/*
 * recognizer.h - the seam between the engine and the network that turns an aligned face into
 * a template (internal to src/face/). Two backends: the built-in dlib ResNet (nets.h's
 * rec_net, run by engine.c on its 150x150 chip) and an ONNX model described by a model file
 * (recognizer_onnx.c, run by the graph executor of src/nn/graph.h).
 */
#ifndef BEX_FACE_RECOGNIZER_H
#define BEX_FACE_RECOGNIZER_H

#include "bex/face.h"
#include "bex/model.h"

typedef struct face_onnx face_onnx;

/* Loads the model's network and checks it against the description: one input of 1 x 3 x H x W
 * (NCHW) or 1 x H x W x 3 (NHWC) as described, and the named (or numbered) output holding
 * `embedding` floats. Buffers are sized here; a template allocates nothing. BEX_ERR_MODEL
 * with a message saying what differs; the executor's own errors as it gives them. */
int face_onnx_open(const bex_model *m, face_onnx **out, char *err, size_t errlen);
void face_onnx_close(face_onnx *r);
/* The unit-length template (m->embedding floats) of the face with landmarks lm in img:
 * aligned as the description says, normalised, run. With flip, the network runs on the chip
 * and on its mirror image (face_onnx_mirror) and the template is the normalised mean of the two
 * unit vectors, as the built-in recognizer's flip (engine.c). BEX_ERR_NO_FACE when the crop
 * lies outside the image; BEX_ERR_MODEL when the network gives a zero or non-finite vector. */
int face_onnx_template(face_onnx *r, const bex_image *img, const float lm[68][2], int flip, float *out,
                       char *err, size_t errlen);
/* The mirror of a w x h chip (HWC, 3 floats a pixel) about the face's axis for the model's
 * alignment: column u of dst is column axis2 - u of src (linearly interpolated when axis2 is not
 * whole; clamped to the chip). axis2: dlib-150 148 * w / 150 (the built-in chip's, flip.h),
 * arcface-112 2 x 56.0258 * w / 112 (the mean of the reference points' mid-lines). Exposed
 * for the tests. */
float face_onnx_mirror_axis2(const bex_model *m);
void face_onnx_mirror(const float *src, float *dst, int w, int h, float axis2);
const bex_model *face_onnx_model(const face_onnx *r);

/* The network input for a w x h RGB chip (HWC, 0..255): channel order, (v - mean) / std and
 * layout as m says, into in (3 w h floats). Exposed for the tests. */
void face_onnx_preprocess(const bex_model *m, const float *chip, float *in);

#endif
