/*
 * index_cmd.c - `bex index`: a gallery of face templates in a file (include/bex/index.h).
 *
 *   bex index add [--format float32|float16|int8] [--align A] [--model FILE] [CAPTURE] FILE SUBJECT IMG...
 *   bex index search [--k K] [--fpir F] [--align A] [--model FILE] [CAPTURE] FILE PROBE
 *   bex index remove FILE --subject ID | --template ID
 *   bex index info FILE
 *
 * `add` creates FILE if it does not exist (in --format, default int8) and enrols the face of
 * each image as a template of SUBJECT (a number), with the next free template id; images
 * that fail the capture policy are listed and skipped. Every change is saved atomically.
 * `search` answers with the best K subjects and the decision at FPIR F for the index's
 * subjects. The file records the model (and alignment) its templates come from: add and
 * search refuse templates of another (a file of version 1 recorded none and takes either
 * alignment of the built-in model, so pass the same --align to add and search for it).
 * --model FILE (docs/models.md) makes and searches templates of an agency's model; search
 * then decides at that model's own calibrated threshold (refused without a calibration).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bex/index.h"
#include "bex/model.h"
#include "cli.h"

/* a JSON string: the model's identity comes from the file, so any byte is escaped */
static void put_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static int parse_id(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s) return 0;
    *out = v;
    return 1;
}

/* the identity and template length of the model the engine will use: --model's, or the
 * built-in one for the alignment */
static const char *model_identity(bex_align align) {
    return cli_model() ? cli_model()->identity : bex_model_builtin_identity(align == BEX_ALIGN_FACEAPI);
}
static int model_dim(void) { return cli_model() ? cli_model()->embedding : BEX_TEMPLATE_DIM; }

static int load_or_new(const char *file, bex_index_format fmt, const char *model, int dim, bex_index **ix) {
    char err[512];
    if (access(file, F_OK) != 0) {
        if (bex_index_open_model(dim, fmt, model, ix, err, sizeof err) == BEX_OK) return 1;
    } else if (bex_index_load(file, ix, err, sizeof err) == BEX_OK) {
        char e2[400];
        if (bex_index_check_model(*ix, model, e2, sizeof e2) != BEX_OK)
            snprintf(err, sizeof err, "%.100s: %s", file, e2);
        else if (bex_index_dim(*ix) == dim) return 1;
        else snprintf(err, sizeof err, "%s holds %d-dimensional vectors, not face templates", file, bex_index_dim(*ix));
        bex_index_close(*ix);
    }
    fprintf(stderr, "bex: %s\n", err);
    return 0;
}

static int save(bex_index *ix, const char *file) {
    char err[512];
    if (bex_index_save(ix, file, err, sizeof err) == BEX_OK) return 1;
    fprintf(stderr, "bex: %s\n", err);
    return 0;
}

static int cmd_add(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    bex_index_format fmt = BEX_INDEX_INT8;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = cli_parse_capture_opt(argc, argv, &i, &pol);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "float32")) fmt = BEX_INDEX_FLOAT32;
            else if (!strcmp(f, "float16")) fmt = BEX_INDEX_FLOAT16;
            else if (!strcmp(f, "int8")) fmt = BEX_INDEX_INT8;
            else {
                fprintf(stderr, "bex: unknown index format '%s' (use float32, float16 or int8)\n", f);
                return 2;
            }
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else
            return cli_usage_error("index add takes [--format F] [--align A] [--model FILE] FILE SUBJECT IMG...");
    }
    if (argc - i < 3) return cli_usage_error("index add takes a file, a subject id and images: bex index add FILE SUBJECT IMG...");
    const char *file = argv[i];
    int64_t subject;
    if (!parse_id(argv[i + 1], &subject)) {
        fprintf(stderr, "bex: the subject id must be a whole number, not '%s'\n", argv[i + 1]);
        return 2;
    }
    bex_index *ix;
    if (!load_or_new(file, fmt, model_identity(align), model_dim(), &ix)) return 2;
    bex_engine *eng;
    if (!cli_open_engine(models, align, &eng)) {
        bex_index_close(ix);
        return 2;
    }
    int failed = 0, added = 0;
    char err[512];
    for (int k = i + 2; k < argc; k++) {
        static bex_capture_result cap;
        if (cli_acquire(eng, argv[k], &pol, &cap) != BEX_OK) { /* the outcome went to stdout and stderr */
            failed++;
            continue;
        }
        int64_t tid = bex_index_next_template_id(ix);
        if (bex_index_add(ix, tid, subject, cap.template_, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            failed++;
            continue;
        }
        printf("{\"image\":");
        bex_json_str(stdout, argv[k]);
        printf(",\"subject\":%lld,\"template\":%lld,\"quality\":%.1f}\n", (long long)subject, (long long)tid, cap.quality.score);
        added++;
    }
    bex_engine_close(eng);
    int ok = added == 0 || save(ix, file);
    bex_index_close(ix);
    if (!ok) return 2;
    return failed ? 3 : 0;
}

static int cmd_search(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    double fpir = BEX_DEFAULT_FPIR;
    int k = 5, i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = cli_parse_capture_opt(argc, argv, &i, &pol);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--fpir") && i + 1 < argc) {
            if (!cli_parse_rate("--fpir", argv[++i], &fpir)) return 2;
        } else if (!strcmp(argv[i], "--k") && i + 1 < argc) {
            k = atoi(argv[++i]);
            if (k < 1 || k > BEX_INDEX_MAX_K) {
                fprintf(stderr, "bex: --k takes a number of candidates from 1 to %d\n", BEX_INDEX_MAX_K);
                return 2;
            }
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else
            return cli_usage_error("index search takes [--k K] [--fpir F] [--align A] [--model FILE] FILE PROBE");
    }
    if (argc - i != 2) return cli_usage_error("index search takes a file and a probe image: bex index search FILE PROBE");
    char err[512];
    bex_index *ix;
    if (bex_index_load(argv[i], &ix, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    if (bex_index_check_model(ix, model_identity(align), err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", argv[i], err);
        bex_index_close(ix);
        return 2;
    }
    bex_engine *eng;
    if (!cli_open_engine(models, align, &eng)) {
        bex_index_close(ix);
        return 2;
    }
    static bex_capture_result cap;
    int rc = cli_acquire(eng, argv[i + 1], &pol, &cap);
    bex_engine_close(eng);
    if (rc != BEX_OK) {
        bex_index_close(ix);
        return cli_outcome_name(rc) ? 3 : 2;
    }
    bex_index_hit *c = malloc(sizeof *c * (size_t)k);
    size_t got = 0;
    bex_operating_point op;
    int match = 0;
    if (!c) rc = BEX_ERR_NOMEM;
    else if (!cli_model()) rc = bex_index_identify(ix, cap.template_, k, NULL, align, fpir, c, &got, &op, &match, err, sizeof err);
    else if (bex_index_subjects(ix) == 0) {
        snprintf(err, sizeof err, "the gallery searched is empty");
        rc = BEX_ERR_ARG;
    }
    else if ((rc = bex_operating_point_identify_model(cli_model(), align, fpir, (long long)bex_index_subjects(ix), &op, err,
                                                      sizeof err)) == BEX_OK &&
             (rc = bex_index_search_subjects(ix, cap.template_, k, NULL, c, &got, err, sizeof err)) == BEX_OK)
        match = got > 0 && bex_operating_point_accepts(&op, c[0].score); /* at the model's own threshold */
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", c ? err : "out of memory");
        free(c);
        bex_index_close(ix);
        return 2;
    }
    printf("{\"gallery_subjects\":%zu,\"templates\":%zu,", bex_index_subjects(ix), bex_index_count(ix));
    cli_print_operating_point(&op);
    printf(",\"candidates\":[");
    for (size_t j = 0; j < got; j++)
        printf("%s{\"rank\":%zu,\"subject\":%lld,\"template\":%lld,\"similarity\":%.6f,\"match\":%s}", j ? "," : "",
               j + 1, (long long)c[j].subject_id, (long long)c[j].template_id, c[j].score,
               bex_operating_point_accepts(&op, c[j].score) ? "true" : "false");
    printf("],\"match\":%s}\n", match ? "true" : "false");
    free(c);
    bex_index_close(ix);
    return match ? 0 : 1;
}

static int cmd_remove(int argc, char **argv) {
    int64_t id;
    if (argc != 3 || (strcmp(argv[1], "--subject") && strcmp(argv[1], "--template")) || !parse_id(argv[2], &id))
        return cli_usage_error("index remove takes FILE --subject ID or FILE --template ID");
    char err[512];
    bex_index *ix;
    if (bex_index_load(argv[0], &ix, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    size_t removed = 0;
    int rc;
    if (!strcmp(argv[1], "--subject")) rc = bex_index_remove_subject(ix, id, &removed, err, sizeof err);
    else {
        rc = bex_index_remove(ix, id, err, sizeof err);
        removed = rc == BEX_OK;
    }
    if (rc != BEX_OK) fprintf(stderr, "bex: %s\n", err);
    int ok = rc == BEX_OK && (removed == 0 || save(ix, argv[0]));
    if (ok) printf("{\"removed\":%zu,\"templates\":%zu}\n", removed, bex_index_count(ix));
    bex_index_close(ix);
    return ok ? 0 : 2;
}

static int cmd_info(int argc, char **argv) {
    if (argc != 1) return cli_usage_error("index info takes one file: bex index info FILE");
    char err[512];
    bex_index *ix;
    if (bex_index_load(argv[0], &ix, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    static const char *fmts[3] = {"float32", "float16", "int8"};
    printf("{\"templates\":%zu,\"subjects\":%zu,\"dim\":%d,\"format\":\"%s\",\"bytes_per_template\":%zu,"
           "\"kernel\":\"%s\",\"model\":",
           bex_index_count(ix), bex_index_subjects(ix), bex_index_dim(ix), fmts[bex_index_get_format(ix)],
           bex_index_bytes_per_template(ix), bex_index_kernel_name(ix));
    put_json_string(bex_index_model(ix));
    printf("}\n");
    bex_index_close(ix);
    return 0;
}

int cmd_index(const char *models, int argc, char **argv) {
    if (argc >= 1 && !strcmp(argv[0], "add")) return cmd_add(models, argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "search")) return cmd_search(models, argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "remove")) return cmd_remove(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "info")) return cmd_info(argc - 1, argv + 1);
    return cli_usage_error("index takes add, search, remove or info: bex index add FILE SUBJECT IMG...");
}
