/*
 * common.c - what the `bex` command's files share (cli.h): usage errors, the models folder and
 * face engines, capture options, reading files, progress on a terminal, the store's common
 * options (--db, --actor), option values and ids, durations, and photos read into templates or
 * capture outcomes. Nothing here decides anything.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void cli_progress(const char *what, size_t done, size_t total, double t0) {
    if (!isatty(2)) return;
    double el = cli_now() - t0, rate = done / (el > 0 ? el : 1e-9);
    fprintf(stderr, "\r%s: %zu / %zu, %.0f/s, %.0f s left   ", what, done, total, rate,
            rate > 0 ? (total - done) / rate : 0.0);
    if (done == total) fputc('\n', stderr);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

char *cli_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            if (cap >= max) {
                fprintf(stderr, "bex: %s is larger than %zu bytes\n", path, max);
                free(b);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            char *nb = realloc(b, cap + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = !b || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "bex: cannot read %s\n", path);
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

/* ---- usage, models, engines, capture options ---- */

/* A usage mistake: one line on stderr, exit status 2. */
int cli_usage_error(const char *msg) {
    fprintf(stderr, "bex: %s (bex --help shows the usage)\n", msg);
    return 2;
}



/* The models folder: --models, $BEX_MODELS, <dir of this executable>/../models, ./models. */
void cli_find_models(const char *opt, char *out, size_t n) {
    if (opt) { snprintf(out, n, "%s", opt); return; }
    const char *env = getenv("BEX_MODELS");
    if (env && *env) { snprintf(out, n, "%s", env); return; }
    char exe[2048];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            int k = snprintf(out, n, "%s/../models/ssd_mobilenetv1_model-weights_manifest.json", exe);
            if (k > 0 && (size_t)k < n && access(out, R_OK) == 0) {
                k = snprintf(out, n, "%s/../models", exe);
                if (k > 0 && (size_t)k < n) return;
            }
        }
    }
    snprintf(out, n, "models");
}

/* the model --model FILE described, for every engine this process opens */
static bex_model model_desc;
static int model_set;

int cli_load_model(const char *path) {
    char err[512];
    if (bex_model_load(path, &model_desc, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 0;
    }
    model_set = 1;
    return 1;
}

const bex_model *cli_model(void) { return model_set ? &model_desc : NULL; }

int cli_open_engine(const char *models, bex_align align, bex_engine **eng) {
    char dir[4096], err[512];
    cli_find_models(models, dir, sizeof dir);
    bex_engine_options opt;
    bex_engine_options_default(&opt);
    opt.align = align;
    opt.model = cli_model();
    opt.detector = cli_detector;
    opt.flip = cli_flip;
    if (bex_engine_open(dir, &opt, eng, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: cannot load the face models: %s (run tools/fetch-models.sh, or pass --models DIR)\n", err);
        return 0;
    }
    if (cli_range != BEX_RANGE_DEFAULT && bex_engine_set_range(*eng, cli_range, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: --camera %s: %s\n", bex_range_name(cli_range), err);
        bex_engine_close(*eng);
        *eng = NULL;
        return 0;
    }
    return 1;
}

int cli_parse_align(const char *s, bex_align *a) {
    if (!strcmp(s, "faceapi")) *a = BEX_ALIGN_FACEAPI;
    else if (!strcmp(s, "similarity")) *a = BEX_ALIGN_SIMILARITY;
    else if (!strcmp(s, "keypoints")) *a = BEX_ALIGN_KEYPOINTS;
    else if (!strcmp(s, "facemesh")) *a = BEX_ALIGN_FACEMESH;
    else {
        fprintf(stderr, "bex: unknown alignment '%s' (use faceapi, similarity, keypoints or facemesh)\n", s);
        return 0;
    }
    return 1;
}

bex_detector cli_detector = BEX_DETECTOR_DEFAULT;
bex_range cli_range = BEX_RANGE_DEFAULT;
int cli_flip = BEX_FLIP_DEFAULT;

int cli_parse_detector(const char *s, bex_detector *d) {
    if (!strcmp(s, "blazeface")) *d = BEX_DETECTOR_BLAZEFACE;
    else if (!strcmp(s, "blazeface-full")) *d = BEX_DETECTOR_BLAZEFACE_FULL;
    else if (!strcmp(s, "ssd")) *d = BEX_DETECTOR_SSD;
    else {
        fprintf(stderr, "bex: unknown detector '%s' (use blazeface, blazeface-full or ssd)\n", s);
        return 0;
    }
    return 1;
}


const char *cli_outcome_name(int rc) { return rc == BEX_OK ? NULL : bex_capture_outcome_name(rc); }


/* Options shared by the commands that acquire a face under a capture policy. Returns 1 when
 * argv[*i] was one of them (consuming its value), 0 when not, -1 on a bad value. */
int cli_parse_capture_opt(int argc, char **argv, int *i, bex_capture_policy *pol) {
    const char *o = argv[*i];
    if (strcmp(o, "--min-quality") && strcmp(o, "--min-eye-distance") && strcmp(o, "--max-other-face")) return 0;
    if (*i + 1 >= argc) return 0;
    char *end;
    errno = 0;
    float v = strtof(argv[++*i], &end);
    int bad = errno || *end;
    if (!strcmp(o, "--min-quality")) {
        if (bad || !(v >= 0 && v <= 100)) {
            fprintf(stderr, "bex: --min-quality takes a quality score from 0 (no floor) to 100\n");
            return -1;
        }
        pol->min_quality = v;
    } else if (!strcmp(o, "--min-eye-distance")) {
        if (bad || !(v >= 0 && v <= 10000)) {
            fprintf(stderr, "bex: --min-eye-distance takes a distance in pixels (0 for no minimum)\n");
            return -1;
        }
        pol->min_eye_distance_px = v;
    } else {
        if (bad || !(v > 0 && v <= 1e6)) {
            fprintf(stderr, "bex: --max-other-face takes a ratio of face widths above 0 (above 1 allows any number of faces)\n");
            return -1;
        }
        pol->max_other_face = v;
    }
    return 1;
}

/* Acquires one face from a file under the policy (bex_capture_photo). Returns BEX_OK (r holds
 * the template), a capture outcome (message printed to stderr and, as JSON with the face's
 * quality when there is one, to stdout) or another error (message printed). */
int cli_acquire(bex_engine *eng, const char *path, const bex_capture_policy *pol, bex_capture_result *r) {
    size_t len = 0;
    char *bytes = cli_read_file(path, CLI_MAX_PHOTO_BYTES, &len);
    if (!bytes) return BEX_ERR_IO; /* the reason is on stderr */
    char err[512];
    int rc = bex_capture_photo(eng, (const uint8_t *)bytes, len, NULL, pol, r, err, sizeof err);
    free(bytes);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", path, err);
        return rc;
    }
    if (r->acquired) return BEX_OK;
    fprintf(stderr, "bex: %s: %s\n", path, r->message);
    printf("{\"image\":");
    bex_json_str(stdout, path);
    printf(",\"outcome\":\"%s\",\"code\":%d,\"message\":", r->outcome, r->status);
    bex_json_str(stdout, r->message);
    printf(",\"faces\":%d", r->n_faces);
    if (r->status != BEX_ERR_NO_FACE) {
        printf(",\"quality\":");
        cli_print_quality(stdout, &r->quality);
    }
    printf("}\n");
    return r->status;
}


void cli_print_operating_point(const bex_operating_point *op) {
    printf("\"operating_point\":\"%s\",\"threshold\":%.5f,\"calibration\":{\"fmr\":%g,\"false_matches\":%llu,"
           "\"comparisons\":%llu,\"fmr_measured\":%.3g,\"fmr_upper95\":%.3g,\"heldout_fmr\":%.3g,\"fnmr_measured\":%.4f}",
           op->name, op->threshold, op->fmr, op->false_matches, op->comparisons, op->fmr_measured,
           op->fmr_upper95, op->heldout_fmr, op->fnmr_measured);
}

/* --fmr / --fpir value: a rate in (0, 0.1]. */
int cli_parse_rate(const char *opt, const char *s, double *v) {
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (errno || *end || !(*v > 0 && *v <= 0.1)) {
        fprintf(stderr, "bex: %s takes a rate above 0 and at most 0.1, e.g. 1e-3\n", opt);
        return 0;
    }
    return 1;
}

void cli_print_quality(FILE *f, const bex_quality *q) {
    fprintf(f, "{\"score\":%.1f,\"eye_distance_px\":%.1f,\"yaw_deg\":%.1f,\"pitch_deg\":%.1f,\"roll_deg\":%.1f,"
               "\"sharpness\":%.1f,\"brightness\":%.1f,\"underexposed\":%.3f,\"overexposed\":%.3f,\"contrast\":%.1f,"
               "\"problems\":[",
            q->score, q->eye_distance_px, q->yaw_deg, q->pitch_deg, q->roll_deg, q->sharpness, q->brightness,
            q->underexposed, q->overexposed, q->contrast);
    for (int k = 0; k < q->n_problems; k++) {
        fprintf(f, "%s{\"problem\":\"%s\",\"message\":", k ? "," : "", bex_quality_problem_name(q->problems[k]));
        bex_json_str(f, bex_quality_problem_message(q->problems[k]));
        fprintf(f, "}");
    }
    fprintf(f, "]}");
}

/* ---- options ---- */

int cli_common_opt(int argc, char **argv, int *i, cli_common *c) {
    const char *a = argv[*i];
    if (strcmp(a, "--db") && strcmp(a, "--actor")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bex: %s needs a value\n", a);
        return -1;
    }
    if (!strcmp(a, "--db")) c->db = argv[++*i];
    else c->actor = argv[++*i];
    return 1;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **v) {
    if (strcmp(argv[*i], name)) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bex: %s needs a value\n", name);
        return -1;
    }
    *v = argv[++*i];
    return 1;
}

int cli_open_store(cli_common *c, bex_store **st) {
    if (!c->db) c->db = "bex.db";
    if (!c->actor) c->actor = getenv("BEX_ACTOR");
    if (!c->actor || !*c->actor) {
        const char *u = getenv("USER");
        snprintf(c->actor_buf, sizeof c->actor_buf, "cli:%s", u && *u ? u : "unknown");
        c->actor = c->actor_buf;
    }
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = c->actor;
    o.must_exist = c->must_exist;
    o.model = c->builtin ? c->from : cli_model();
    char err[512];
    int rc = bex_store_open(c->db, &o, st, err, sizeof err);
    if (rc != BEX_OK) {
        char label[512];
        fprintf(stderr, "bex: %s: %s%s\n", bex_store_target_label(c->db, label, sizeof label), err,
                c->must_exist && rc == BEX_ERR_IO ? " (--db names the store)" : "");
        return 0;
    }
    return 1;
}

int cli_parse_id(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x <= 0) return 0;
    *v = x;
    return 1;
}

long long cli_parse_duration(const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !isfinite(v)) return -1;
    double mult;
    if (!strcmp(end, "") || !strcmp(end, "s")) mult = 1;
    else if (!strcmp(end, "m")) mult = 60;
    else if (!strcmp(end, "h")) mult = 3600;
    else if (!strcmp(end, "d")) mult = 86400;
    else if (!strcmp(end, "y")) mult = 365.25 * 86400;
    else return -1;
    double r = v * mult;
    return r > 9e15 ? -1 : (long long)(r + 0.5);
}

void cli_unescape_newlines(char *s) {
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

/* ---- photos ---- */

void cli_photo_free(cli_photo *p) {
    free(p->bytes);
    free(p->faces);
    memset(p, 0, sizeof *p);
}

int cli_photo_read(bex_engine *eng, const char *path, const bex_capture_policy *pol, int all, cli_photo *p) {
    memset(p, 0, sizeof *p);
    p->bytes = cli_read_file(path, CLI_MAX_PHOTO_BYTES, &p->len);
    if (!p->bytes) return 2;
    char err[512];
    int rc;
    if (!all) {
        rc = bex_capture_photo(eng, (const uint8_t *)p->bytes, p->len, NULL, pol, &p->one, err, sizeof err);
    } else {
        p->faces = calloc(CLI_MAX_FACES, sizeof *p->faces);
        rc = p->faces ? bex_capture_photo_all(eng, (const uint8_t *)p->bytes, p->len, NULL, pol, p->faces,
                                              CLI_MAX_FACES, &p->n_faces, err, sizeof err)
                      : BEX_ERR_NOMEM;
        if (rc == BEX_OK && p->n_faces == 0) { /* no face at all: the one outcome */
            p->one.status = BEX_ERR_NO_FACE;
            p->one.outcome = bex_capture_outcome_name(BEX_ERR_NO_FACE);
            snprintf(p->one.message, sizeof p->one.message, "no face found: face the camera, uncovered, in even light");
        }
    }
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", path, rc == BEX_ERR_NOMEM ? "out of memory" : err);
        cli_photo_free(p);
        return 2;
    }
    return 0;
}
