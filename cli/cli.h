/*
 * cli.h - what the `bex` command's files share (cli/common.c), and the commands each file
 * holds. The service (server/) uses the same helpers: it is a command of the same program.
 */
#ifndef BEX_CLI_H
#define BEX_CLI_H

#include <stdio.h>

#include "bex/border.h"
#include "bex/calibration.h"
#include "bex/face.h"
#include "bex/json.h"
#include "bex/quality.h"
#include "bex/store.h"

/* ---- cli/common.c ---- */

/* A usage mistake: prints "bex: MSG (bex --help shows the usage)" to stderr, returns 2. */
int cli_usage_error(const char *msg);
/* The models folder: opt, else $BEX_MODELS, else models/ beside the build, else ./models. */
void cli_find_models(const char *opt, char *out, size_t n);

/* "faceapi", "similarity", "keypoints" or "facemesh" into *a; otherwise prints a message and returns 0. */
int cli_parse_align(const char *s, bex_align *a);

/* The face detector every engine the command opens uses: `--detector blazeface|blazeface-full|
 * ssd`, taken by main from anywhere on the command line (default BEX_DETECTOR_DEFAULT). */
extern bex_detector cli_detector;
/* The camera's range, `--camera near|far` anywhere on the line (face.h: bex_range): set on
 * every engine the command opens (`bex serve`: the default of requests without ?camera=). */
extern bex_range cli_range;
extern int cli_flip; /* --no-flip: 0 */
/* "blazeface", "blazeface-full" or "ssd" into *d; otherwise prints a message and returns 0. */
int cli_parse_detector(const char *s, bex_detector *d);

/* Opens the face engine from the models folder (cli_find_models); prints why not and
 * returns 0 on failure. */
int cli_open_engine(const char *models, bex_align align, bex_engine **eng);
/* --model FILE: loads a model description (model.h) that every engine opened after it uses
 * (and every store: cli_open_store);
 * 0 with the message on stderr when it cannot be loaded. cli_model: it, or NULL for the
 * built-in model. */
int cli_load_model(const char *path);
const bex_model *cli_model(void);
/* A capture outcome's JSON name ("no_face", ...: bex_capture_outcome_name); NULL for a status
 * that is none, BEX_OK included. */
const char *cli_outcome_name(int rc);
/* --min-quality, --min-eye-distance, --max-other-face: 1 consumed, 0 not one, -1 bad value. */
int cli_parse_capture_opt(int argc, char **argv, int *i, bex_capture_policy *pol);
/* The most bytes a photo file may have before it is decoded (the decoder's own limit, 32 MiB
 * by default, then speaks of the photo). */
#define CLI_MAX_PHOTO_BYTES ((size_t)64 << 20)
/* Reads path and acquires one face under the policy (bex_capture_photo); prints a capture
 * outcome as JSON on stdout and every failure on stderr. Returns BEX_OK (r->acquired), the
 * outcome's status, or an error's. */
int cli_acquire(bex_engine *eng, const char *path, const bex_capture_policy *pol, bex_capture_result *r);
/* A face's quality measures as a JSON object. */
void cli_print_quality(FILE *f, const bex_quality *q);
/* "operating_point":..,"threshold":..,"calibration":{..} (no braces around). */
void cli_print_operating_point(const bex_operating_point *op);
/* A rate in (0, 0.1] for --fmr / --fpir; prints why not and returns 0. */
int cli_parse_rate(const char *opt, const char *s, double *v);

/* A whole file, NUL-terminated after its *len bytes (at most max); NULL with a message on
 * stderr. free() it. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* Progress of bulk work on stderr when it is a terminal: count, rate, time left. t0 from
 * cli_now() (monotonic seconds). */
void cli_progress(const char *what, size_t done, size_t total, double t0);
double cli_now(void);

/* ---- cli/fingers.c: the fingers a crossing or a look-up is given ---- */

#define CLI_MAX_FINGER_SPECS 13                  /* images and declarations on one line */
#define CLI_MAX_FINGER_BYTES ((size_t)16 << 20)  /* one finger or slap image file */

typedef struct cli_fingers {
    int asked;                                   /* any finger option or field was given */
    int ppi;                                     /* --finger-ppi: declared resolution (0: the
                                                    file's, else 500) */
    const bex_image_limits *limits;              /* the decoder's (NULL: its defaults) */
    struct {
        int pos, slap;
        const char *path;                        /* NULL: declared missing */
    } spec[CLI_MAX_FINGER_SPECS];                /* as the options gave them, read by _load */
    int nspec;
    bex_finger_capture c[BEX_CROSSING_MAX_FINGERS]; /* what the border takes */
    bex_finger_template t[BEX_CROSSING_MAX_FINGERS];
    int n;
    uint8_t *bytes[CLI_MAX_FINGER_SPECS];        /* the images read (owned) */
    int nbytes;
    uint64_t pixels;                             /* decoded so far, all images together */
} cli_fingers;

void cli_fingers_init(cli_fingers *f);
void cli_fingers_free(cli_fingers *f);
/* --finger POS=FILE (1-10), --slap POS=FILE (13, 14, 15: cut into fingers), --finger-missing
 * POS (declared by the officer: amputated, bandaged), --finger-ppi N: 1 consumed, 0 not one,
 * -1 bad value (said on stderr). */
int cli_finger_opt(int argc, char **argv, int *i, cli_fingers *f);
/* Reads, decodes and extracts what the options named; 0 with the message on stderr. */
int cli_fingers_load(cli_fingers *f);
/* One image (bytes: malloc'ed, owned by f from the call on) at a finger position, or a slap
 * position cut into fingers; what names it in a message. The service's requests use these. */
int cli_fingers_add_image(cli_fingers *f, int pos, int slap, uint8_t *bytes, size_t len, const char *what,
                          char *err, size_t errlen);
int cli_fingers_add_missing(cli_fingers *f, int pos, char *err, size_t errlen);

/* The store's options every record command takes: --db FILE (default bex.db), --actor NAME
 * (default $BEX_ACTOR, else "cli:$USER"), for the audit log. */
typedef struct cli_common {
    const char *db;
    const char *actor;
    char actor_buf[64];
    int must_exist;  /* a command that only reads or changes records: a missing file is an error */
    int builtin;     /* 1: the store opens with `from` (NULL: the built-in model) even with
                        --model (reenrol, whose --model is the model to change to) */
    const bex_model *from;
} cli_common;

/* --db / --actor: 1 consumed (i advanced past the value), 0 not one, -1 missing value. */
int cli_common_opt(int argc, char **argv, int *i, cli_common *c);
/* A "--name VALUE" option: 1 and *v set when argv[*i] is `name`, 0 not it, -1 no value. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **v);
/* Opens the store with the actor and the model (--model FILE: cli_model, else the built-in
 * one); prints why not and returns 0 on failure. */
int cli_open_store(cli_common *c, bex_store **st);
/* A positive id; 0 when s is none. */
int cli_parse_id(const char *s, int64_t *v);
/* "12h", "3y", "90d", "30m", "45s", "0": seconds; -1 if not a duration. */
long long cli_parse_duration(const char *s);
/* "A\nB" as typed on a command line becomes two lines, as an MRZ reader delivers them. */
void cli_unescape_newlines(char *s);

/* A photo read from a file: one face (bex_capture_photo) or every face (--all-faces,
 * bex_capture_photo_all), with the file's bytes kept for image retention. */
#define CLI_MAX_FACES 16
typedef struct cli_photo {
    char *bytes;
    size_t len;
    bex_capture_result one;       /* one face, or (all faces) the no-face outcome */
    bex_capture_result *faces;    /* all faces: n_faces results, largest first */
    int n_faces;
} cli_photo;
/* 0 (a template or a capture outcome in p), 2 (an unreadable or undecodable file: message on
 * stderr). cli_photo_free it either way. */
int cli_photo_read(bex_engine *eng, const char *path, const bex_capture_policy *pol, int all, cli_photo *p);
void cli_photo_free(cli_photo *p);

/* The record system's commands (cli/store_cmd.c). -1 when cmd is none of them. */
int cmd_store(const char *models, const char *cmd, int argc, char **argv);

/* `bex serve ...` (server/serve.c). */
int cmd_serve(const char *models, int argc, char **argv);

/* `bex simulate ...` (cli/simulate.c). */
int cmd_simulate(int argc, char **argv);

/* `bex index ...` (cli/index_cmd.c). */
int cmd_index(const char *models, int argc, char **argv);

/* `bex eval ...` (cli/eval.c). */
int cmd_eval(const char *models, int argc, char **argv);

/* `bex doc verify ...` (cli/doc_cmd.c). */
int cmd_doc(int argc, char **argv);

/* `bex nist export|import ...` (cli/nist_cmd.c). */
int cmd_nist(const char *models, int argc, char **argv);
/* `bex finger extract|compare` (cli/finger_cmd.c). */
int cmd_finger(int argc, char **argv);

/* `bex trust load|list|remove ...` (cli/trust_cmd.c), and its JSON, which the service writes
 * too: one stored trust file; a load's answer ("status": added, already or restored, with the
 * file); the files with the trust store's counts. */
int cmd_trust(int argc, char **argv);
struct bex_trust_file_info;
struct bex_trust_store;
void cli_print_trust_file(FILE *f, const struct bex_trust_file_info *i);
void cli_print_trust_load(FILE *f, const struct bex_trust_file_info *i);
void cli_print_trust_list(FILE *f, const struct bex_trust_file_info *rows, size_t n, const struct bex_trust_store *ts);

#endif
