/*
 * cli.h - helpers shared by the `bex` command's files (cli/ only).
 */
#ifndef BEX_CLI_H
#define BEX_CLI_H

#include <stdio.h>

#include "bex/calibration.h"
#include "bex/face.h"
#include "bex/quality.h"
#include "bex/store.h"

/* A usage mistake: prints "bex: MSG (bex --help shows the usage)" to stderr, returns 2. */
int cli_usage_error(const char *msg);
/* Prints s as a JSON string (quoted, escaped). */
void cli_json_str(FILE *f, const char *s);
/* The models folder: opt, else $BEX_MODELS, else models/ beside the build, else ./models. */
void cli_find_models(const char *opt, char *out, size_t n);

/* "faceapi" or "similarity" into *a; otherwise prints a message and returns 0. */
int cli_parse_align(const char *s, bex_align *a);

/* Opens the face engine from the models folder (cli_find_models); prints why not and
 * returns 0 on failure. */
int cli_open_engine(const char *models, bex_align align, bex_engine **eng);
/* A capture outcome's JSON name ("no_face", ...); NULL for a status that is none. */
const char *cli_outcome_name(int rc);
/* --min-quality, --min-eye-distance, --max-other-face: 1 consumed, 0 not one, -1 bad value. */
int cli_parse_capture_opt(int argc, char **argv, int *i, bex_capture_policy *pol);
/* Loads path and acquires one face under the policy; prints a capture outcome as JSON on
 * stdout and every failure on stderr. Returns BEX_OK or the status. */
int cli_acquire(bex_engine *eng, const char *path, const bex_capture_policy *pol, bex_face *face,
                bex_quality *q, int *n);
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

/* The record system's commands (cli/store_cmd.c): entry, exit, manifest, gallery, overstays,
 * flags, purge, audit. -1 when cmd is none of them. */
int cmd_store(const char *models, const char *cmd, int argc, char **argv);

/* The record system's results as JSON (cli/store_json.c), for the command and the service.
 * A capture failure (outcome name and message) is shown when the name is not NULL. */
void cli_print_match(FILE *f, const char *key, const bex_match *m);
void cli_print_flags(FILE *f, const bex_flag *flags, int n);
void cli_print_capture(FILE *f, const char *outcome, const char *message);
void cli_print_entry(FILE *f, const bex_entry_result *r, const char *capture_failure,
                     const char *capture_message, const char *doc_failure, const char *doc_message);
void cli_print_exit(FILE *f, const bex_exit_result *r, const char *capture_failure,
                    const char *capture_message);

/* The overstay report of bex_store_overstays' rows: format 0 JSON (the overstays, totals and
 * tables by country, class and port, DHS's columns), 1 CSV of the overstays, 2/3/4 CSV table
 * by country / class / port. Progress on a terminal from t0 (cli_now; < 0: none). Returns
 * the number of overstays, -1 for a bad as_of. */
long cli_print_overstays(FILE *f, const bex_overstay_row *rows, size_t n, const char *asof, int eu,
                         int format, double t0);

/* `bex serve ...` (cli/serve.c). */
int cmd_serve(const char *models, int argc, char **argv);

/* `bex simulate ...` (cli/simulate.c). */
int cmd_simulate(int argc, char **argv);

/* `bex index ...` (cli/index_cmd.c). */
int cmd_index(const char *models, int argc, char **argv);

/* `bex eval ...` (cli/eval.c). */
int cmd_eval(const char *models, int argc, char **argv);

#endif
