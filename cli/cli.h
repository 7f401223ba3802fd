/*
 * cli.h - helpers shared by the `bex` command's files (cli/ only).
 */
#ifndef BEX_CLI_H
#define BEX_CLI_H

#include <stdio.h>

#include "bex/face.h"

/* A usage mistake: prints "bex: MSG (bex --help shows the usage)" to stderr, returns 2. */
int cli_usage_error(const char *msg);
/* Prints s as a JSON string (quoted, escaped). */
void cli_json_str(FILE *f, const char *s);
/* The models folder: opt, else $BEX_MODELS, else models/ beside the build, else ./models. */
void cli_find_models(const char *opt, char *out, size_t n);

/* "faceapi" or "similarity" into *a; otherwise prints a message and returns 0. */
int cli_parse_align(const char *s, bex_align *a);

/* `bex eval ...` (cli/eval.c). */
int cmd_eval(const char *models, int argc, char **argv);

#endif
