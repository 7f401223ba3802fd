/*
 * model.h - which face recognition model makes the templates: the built-in one (dlib's ResNet,
 * from face-api.js) or an agency's own ONNX model described by a small JSON file, and the
 * identity string that tells templates of one model from another's.
 *
 *   bex_model m;
 *   char err[256];
 *   if (bex_model_load("models/vendor-x/r100.json", &m, err, sizeof err) != BEX_OK) die(err);
 *   puts(m.identity);          // "vendor-x-r100@2.1 arcface-112 sha256:5f1c...": 32 hex digits
 *   bex_engine_options o;  bex_engine_options_default(&o);  o.model = &m;   // face.h
 *
 * The description file (docs/models.md):
 *
 *   {"name": "vendor-x-r100", "version": "2.1", "onnx": "r100.onnx",
 *    "input": {"width": 112, "height": 112, "channels": "rgb", "layout": "nchw",
 *              "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]},
 *    "alignment": "arcface-112", "embedding": 512, "output": "fc1"}
 *
 * "onnx" is relative to the description's folder. A pixel v (0..255) enters the network as
 * (v - mean[c]) / std[c]. "alignment" is "arcface-112" (the five ArcFace reference points
 * in a 112x112 crop, scaled to the input size) or "dlib-150" (dlib's 150x150 face chip, as the
 * built-in model, scaled likewise). "output" names the embedding output, or gives its index
 * as a number; default the first output. "license" and "comment" strings are kept as text
 * and otherwise ignored; any other key is refused (a misspelt key would be silently unused).
 *
 * The identity: "<name>@<version> <alignment> sha256:<first 32 hex digits of SHA-256 over
 * the ONNX file's bytes and the preprocessing (size, channels, layout, mean, std, alignment,
 * embedding, output) as canonical text>". Two descriptions that would make different templates
 * never share it; a renamed copy of the same file and description does not change the digest.
 * The built-in model's identity is what the record store has always written to samples.model:
 * "face-api.js@1.7.15 resnet34-128 similarity" (or "... faceapi" for that alignment).
 */
#ifndef BEX_MODEL_H
#define BEX_MODEL_H

#include <stddef.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_MODEL_ID_MAX 128          /* bytes of an identity, with its NUL */
#define BEX_MODEL_DESC_MAX_BYTES 65536 /* a description file larger than this is refused */
#define BEX_MODEL_MAX_DIM 1024        /* the largest embedding a model may give */
#define BEX_MODEL_MAX_INPUT 1024      /* the largest input width or height, px */

typedef enum bex_model_alignment {
    BEX_MODEL_ALIGN_DLIB150 = 0,    /* dlib's face chip (150x150, padding 0.25) */
    BEX_MODEL_ALIGN_ARCFACE112 = 1, /* ArcFace's five points in 112x112 */
} bex_model_alignment;

typedef struct bex_model {
    char name[41];      /* [A-Za-z0-9._-], 1..40 */
    char version[17];   /* [A-Za-z0-9._-], 1..16 */
    char onnx[4096];    /* the ONNX file's path, joined to the description's folder */
    int width, height;  /* px, 16..BEX_MODEL_MAX_INPUT */
    int bgr;            /* 1: channels in B, G, R order; 0: R, G, B */
    int nhwc;           /* 1: NHWC; 0: NCHW */
    float mean[3], std[3]; /* per channel, in the model's channel order; std > 0 */
    bex_model_alignment alignment;
    int embedding;      /* floats in a template, 1..BEX_MODEL_MAX_DIM */
    char output[64];    /* the output's name; "" for output_index */
    int output_index;   /* used when output is "": default 0 */
    char calibration[4096]; /* where its threshold table lives: <description minus .json>.calibration.json */
    char identity[BEX_MODEL_ID_MAX]; /* set by bex_model_load (needs the ONNX file's bytes) */
} bex_model;

/* Parses a description (len bytes of JSON, no NUL needed) into *out; dir is the folder
 * relative paths are taken from ("" or NULL: the current folder), desc_path the description's
 * own path (for out->calibration; may be NULL). Reads no file; out->identity is left empty.
 * BEX_ERR_FORMAT (not JSON) / BEX_ERR_ARG (a field missing, of the wrong type or out of range:
 * the message names it) / BEX_ERR_LIMIT (too large). *out is written only on success. */
int bex_model_parse(const char *json, size_t len, const char *dir, const char *desc_path,
                    bex_model *out, char *err, size_t errlen);

/* Reads and parses the description at path, then hashes its ONNX file into out->identity.
 * Adds BEX_ERR_IO (a file cannot be read) to bex_model_parse's errors. */
int bex_model_load(const char *path, bex_model *out, char *err, size_t errlen);

/* The identity of a model's templates from its description and the SHA-256 state of its
 * ONNX bytes, hex: what bex_model_load calls; for tests and tools. */
int bex_model_identity(const bex_model *m, const unsigned char onnx_sha256[32], char *out,
                       size_t outlen);

/* The built-in model's identity for its alignment (face.h's bex_align, as an int here so that
 * this header stands alone): 0 similarity, 1 faceapi. Static; never NULL. */
const char *bex_model_builtin_identity(int align);

/* 1 when the identity names the built-in model (either alignment). */
int bex_model_is_builtin(const char *identity);

#ifdef __cplusplus
}
#endif
#endif
