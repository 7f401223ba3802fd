/*
 * eval.h - what the `bex eval` protocols share (cli/ only): the LFW image set, its pairs and
 * people, embedding every image once on several threads, and a template cache so that a
 * second protocol run on the same images does not embed them again.
 *
 *   eval_set s = {0};
 *   person *pp; int np;
 *   if (eval_read_people(lfw, &s, &pp, &np) != 0) ...;     // lfw-names.txt: every image
 *   if (eval_embed_all(&s, models_dir, align, 2, "lfw.cache") != 0) ...;
 *   s.imgs[i].found == 1 ? s.imgs[i].t : no template
 */
#ifndef BEX_CLI_EVAL_H
#define BEX_CLI_EVAL_H

#include <stdio.h>

#include "bex/eval.h"
#include "bex/face.h"
#include "bex/model.h"
#include "bex/quality.h"

/* One image of the protocol and what the face pipeline made of it. */
typedef struct eval_img {
    char path[1024];
    int found;          /* 1 a face, 0 none, -1 unreadable */
    int lit;            /* 1 if the face was found only by the lighting retry */
    int wide;           /* 1 if the face was found only by the wider padding (wide_pad_retry) */
    int n_faces;        /* faces the detector kept */
    float second_ratio; /* the capture policy's several-faces measure, bex_capture_other_face (0 if one face) */
    bex_quality q;      /* capture quality of the largest face (found == 1) */
    float t[BEX_TEMPLATE_DIM]; /* the largest face's template (found == 1) */
    float t_alt[BEX_TEMPLATE_DIM]; /* with --flip: the same face's template without flip, so
                                  that one run measures both (eval_swap_flip) */
    float *tx;          /* with --model (cli_model): the model's template, eval_set.dim floats
                           (malloc; t is then unused); NULL for the built-in model;
                           last: the cache holds what comes before it */
} eval_img;

typedef struct eval_set {
    eval_img *imgs;
    int n, cap;
    size_t root_len; /* strlen of "<root>/lfw-deepfunneled/": the cache keys on what follows */
    int dim;         /* floats in a template: BEX_TEMPLATE_DIM, or --model's embedding */
    /* what eval_embed_all did in this run (images from the cache not counted) */
    int embedded;
    double embed_wall_s;
    bex_engine_stats stats; /* summed over the threads' engines */
    bex_engine_stats stats_flip; /* with --flip: the flip engines' (templates only) */
} eval_set;

typedef struct eval_pair {
    int a, b, mated, fold;
} eval_pair;

typedef struct person {
    char name[128];
    int first, count; /* images first .. first + count - 1 in the set */
    int role;         /* protocol-specific */
} person;

/* The index of root/lfw-deepfunneled/name/name_NNNN.jpg in s, added if new; -1 out of memory. */
int eval_image_index(eval_set *s, const char *root, const char *name, int num);

/* Reads LFW's pairs.txt (View 2: "10 300", then per fold 300 mated "name i j" and 300
 * non-mated "name1 i name2 j" lines); keeps per_fold of each kind per fold (0 = all).
 * NULL after printing the reason. */
eval_pair *eval_read_pairs(const char *file, const char *root, eval_set *s, int per_fold, int *n,
                           int *folds);

/* Reads root/lfw-names.txt ("Name count" lines) and adds every image of every person to s.
 * 0 on success; -1 after printing the reason. */
int eval_read_people(const char *root, eval_set *s, person **pp, int *np);

/* Options every `bex eval` protocol takes. eval_parse_common consumes argv[*i] (and its
 * value) when it is one of --lfw --out --cache --align --threads --trials --seed --variant
 * --light --flip --model (cli_load_model: the templates are then the described model's;
 * docs/models.md) and returns 1; 0 when it is not one of them; -1 on a bad value (message
 * printed). */
typedef struct eval_opts {
    const char *lfw, *out, *cache;
    bex_align align;
    int threads, trials;
    unsigned long long seed;
    bex_variant variant; /* applied to every image after decoding (--variant) */
    bex_light light;     /* the engine's lighting retry (--light off|stretch|gamma|clahe) */
    int flip;            /* flip test-time augmentation (--flip) */
    int model_flip;      /* --model with flip: the model's templates are made with it (set by
                            eval_embed_all, which then clears flip: no without-flip figures) */
} eval_opts;
/* The options above as JSON members: "align":..,"variant":..,"light_retry":..,"flip":.. */
void eval_print_opts(const eval_opts *o);
void eval_opts_default(eval_opts *o, int trials);
int eval_parse_common(int argc, char **argv, int *i, eval_opts *o);

/* Files written whole or not at all: eval_open_atomic opens path.tmp (its name into tmp);
 * eval_close_atomic closes it and renames it over path, or removes it and returns -1 after
 * printing why. */
FILE *eval_open_atomic(const char *path, char *tmp, size_t tmplen);
int eval_close_atomic(FILE *f, const char *tmp, const char *path);

/* Creates the output folder (an existing one is fine). 0, or -1 after printing the reason. */
int eval_make_out_dir(const char *out);

/* eval_read_people, then eval_make_out_dir(out); on failure frees what it read. */
int eval_load_people(const char *root, const char *out, eval_set *s, person **pp, int *np);

/* Embeds every image of s not yet found in the cache o->cache (may be NULL) with o->threads
 * engines (o->align, o->light), each image first turned into o->variant, showing
 * progress on a terminal, then rewrites the cache atomically. The cache is keyed by all of
 * these and by the model weights, so runs with other settings never mix. 0 on success; -1
 * when the models cannot be loaded. Unreadable images are reported and marked found = -1.
 * With o->flip, t is the flip template (bex_engine_options.flip) and t_alt the plain one of
 * the same detection: the flip template is made with bex_face_template from the plain run's
 * landmarks, which is what a flip engine computes (detection and landmarks do not depend on
 * flip), without detecting twice; a face found only by the lighting retry is embedded again
 * by the flip engine, as its template comes from the normalised copy. With --model, o->flip
 * is turned off first (flip is the built-in model's; a note is printed). */
int eval_embed_all(eval_set *s, const char *models, eval_opts *o);

/* Swaps every image's t and t_alt: after a --flip run, the templates without flip. */
void eval_swap_flip(eval_set *s);

/* "failure_to_acquire":{..} for the images of s: images with no face (counted, never dropped,
 * as in every protocol here), their share, and those found only by the lighting retry. */
void eval_print_fta(const eval_set *s);

/* Cosine similarity in float with eight partial sums: the bulk comparisons of calibration
 * (tens of millions), within 1e-6 of bex_template_similarity. */
float eval_dot(const float *a, const float *b);
/* The same for n floats (any n; for n = BEX_TEMPLATE_DIM the same sums as eval_dot). */
float eval_dot_n(const float *a, const float *b, int n);
/* An image's template: tx when a model made it, else t. */
static inline const float *eval_template(const eval_img *im) { return im->tx ? im->tx : im->t; }
/* The similarity of two images' templates (both found), s->dim floats: bex_template_similarity
 * for 128, bex_template_similarity_dim otherwise. */
float eval_similarity(const eval_set *s, const eval_img *a, const eval_img *b);
/* Frees s->imgs and every image's tx. */
void eval_set_free(eval_set *s);

/* A small deterministic generator (xorshift64*), so that a protocol's random draws repeat. */
unsigned long long eval_rng(unsigned long long *s);

/* "faceapi" or "similarity". */
const char *eval_align_name(bex_align a);

int cmd_eval_calibrate(const char *models, int argc, char **argv);
/* eval_finger.c: `bex eval finger` (the FVC protocol; the finger threshold table). */
int cmd_eval_finger(int argc, char **argv);
/* calib_store.c: `bex eval calibrate --store DB` and `bex eval drift` (the store's own data). */
int cmd_eval_calibrate_store(int argc, char **argv);
int cmd_eval_drift(int argc, char **argv);

#endif
