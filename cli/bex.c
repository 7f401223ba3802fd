/*
 * bex.c - the `bex` command: parses arguments, calls the public API, prints JSON.
 *
 *   bex detect IMG                 faces, boxes, scores and 68 landmarks as JSON
 *   bex embed [--align A] IMG...   one JSON line per image, with each face's template
 *   bex verify IMG1 IMG2           1:1 decision on the two largest faces (exit 0/1/2)
 *
 * Errors go to stderr as one line; exit status 2 means an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bex/bex.h"
#include "bex/face.h"
#include "bex/image.h"
#include "bex/quality.h"
#include "cli.h"

#define MAX_FACES 32

static const char *usage =
    "usage: bex [--models DIR] COMMAND ...\n"
    "  detect IMG               detect faces: boxes, scores, 68 landmarks (JSON)\n"
    "  embed [--align faceapi|similarity] IMG...\n"
    "                           one JSON line per image with each face's 128-d template\n"
    "                           (default alignment: similarity, measured best on LFW View 1)\n"
    "  verify [--align A] [--threshold S] IMG1 IMG2\n"
    "                           compare the largest face of each image; exit 0 match,\n"
    "                           1 no match, 2 error\n"
    "  quality IMG              capture quality of each face: size, pose, sharpness, exposure,\n"
    "                           contrast, a 0-100 score and what to fix; exit 0 fit, 1 not\n"
    "  eval verify --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N]\n"
    "                           LFW View 2 verification: 10-fold accuracy, TAR at FAR, EER,\n"
    "                           DET curve and score histograms (SVG, CSV) in --out\n"
    "  eval identify --lfw DIR [--out DIR] [--trials N] [--seed S] [--align A]\n"
    "                           open-set 1:N on LFW: FNIR at FPIR 0.003 / 0.01 and rank-1,\n"
    "                           N = 420 (random trials) and the full gallery\n"
    "  version                  print the version\n"
    "Models are read from --models DIR, else $BEX_MODELS, else the models/ folder next to\n"
    "the bex build (tools/fetch-models.sh installs them).\n";

/* A usage mistake: one line on stderr, exit status 2. */
int cli_usage_error(const char *msg) {
    fprintf(stderr, "bex: %s (bex --help shows the usage)\n", msg);
    return 2;
}

/* Prints s as a JSON string. */
void cli_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void print_face(FILE *f, const bex_face *face, int with_template) {
    fprintf(f, "{\"box\":[%.2f,%.2f,%.2f,%.2f],\"score\":%.5f,", face->box[0], face->box[1],
            face->box[2], face->box[3], face->score);
    if (face->padded) fprintf(f, "\"padded\":true,");
    fprintf(f, "\"landmarks\":[");
    for (int i = 0; i < BEX_LANDMARKS; i++)
        fprintf(f, "%s[%.2f,%.2f]", i ? "," : "", face->landmarks[i][0], face->landmarks[i][1]);
    fprintf(f, "]");
    if (with_template) {
        fprintf(f, ",\"template\":[");
        for (int i = 0; i < BEX_TEMPLATE_DIM; i++)
            fprintf(f, "%s%.8g", i ? "," : "", face->template_[i]);
        fprintf(f, "]");
    }
    fprintf(f, "}");
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

static int open_engine(const char *models, bex_align align, bex_engine **eng) {
    char dir[4096], err[512];
    cli_find_models(models, dir, sizeof dir);
    bex_engine_options opt;
    bex_engine_options_default(&opt);
    opt.align = align;
    if (bex_engine_open(dir, &opt, eng, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: cannot load the face models: %s (run tools/fetch-models.sh, or pass --models DIR)\n", err);
        return 0;
    }
    return 1;
}

int cli_parse_align(const char *s, bex_align *a) {
    if (!strcmp(s, "faceapi")) *a = BEX_ALIGN_FACEAPI;
    else if (!strcmp(s, "similarity")) *a = BEX_ALIGN_SIMILARITY;
    else {
        fprintf(stderr, "bex: unknown alignment '%s' (use faceapi or similarity)\n", s);
        return 0;
    }
    return 1;
}

/* Loads an image and finds its faces; on failure prints the message to stderr, and as a JSON
 * error line to stdout when json_errors is set. Returns the number of faces or -1. */
static int faces_of(bex_engine *eng, const char *path, int embed, bex_face *faces, int json_errors) {
    char err[512];
    bex_image img;
    int n = 0, rc = bex_image_load(path, NULL, &img, err, sizeof err);
    if (rc == BEX_OK) {
        rc = embed ? bex_embed(eng, &img, faces, MAX_FACES, &n, err, sizeof err)
                   : bex_detect(eng, &img, faces, MAX_FACES, &n, err, sizeof err);
        bex_image_free(&img);
    }
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        if (json_errors) {
            printf("{\"image\":");
            cli_json_str(stdout, path);
            printf(",\"error\":");
            cli_json_str(stdout, err);
            printf("}\n");
        }
        return -1;
    }
    return n;
}

static int cmd_detect(const char *models, int argc, char **argv) {
    if (argc != 1) return cli_usage_error("detect takes one image: bex detect IMG");
    bex_engine *eng;
    if (!open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    int n = faces_of(eng, argv[0], 0, faces, 0);
    bex_engine_close(eng);
    if (n < 0) return 2;
    printf("{\"faces\":[");
    for (int i = 0; i < n; i++) {
        if (i) putchar(',');
        print_face(stdout, &faces[i], 0);
    }
    printf("]}\n");
    return 0;
}

static int cmd_embed(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else return cli_usage_error("embed takes [--align faceapi|similarity] IMG...");
    }
    if (i == argc) return cli_usage_error("embed needs at least one image: bex embed IMG...");
    bex_engine *eng;
    if (!open_engine(models, align, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    int failed = 0;
    for (; i < argc; i++) {
        int n = faces_of(eng, argv[i], 1, faces, 1);
        if (n < 0) { failed++; fflush(stdout); continue; }
        printf("{\"image\":");
        cli_json_str(stdout, argv[i]);
        printf(",\"faces\":[");
        for (int k = 0; k < n; k++) {
            if (k) putchar(',');
            print_face(stdout, &faces[k], 1);
        }
        printf("]}\n");
        fflush(stdout);
    }
    bex_engine_close(eng);
    return failed ? 2 : 0;
}

/* `bex quality IMG`: capture quality of each face, largest first; exit 0 when the largest
 * face has no problem, 1 when it has (the messages say what to do), 2 on error or no face. */
static int cmd_quality(const char *models, int argc, char **argv) {
    if (argc != 1) return cli_usage_error("quality takes one image: bex quality IMG");
    bex_engine *eng;
    if (!open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    char err[512];
    bex_image img;
    int n = 0, rc = bex_image_load(argv[0], NULL, &img, err, sizeof err);
    if (rc == BEX_OK) {
        rc = bex_detect(eng, &img, faces, MAX_FACES, &n, err, sizeof err);
        if (rc != BEX_OK) bex_image_free(&img);
    }
    bex_engine_close(eng);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    if (n == 0) {
        bex_image_free(&img);
        fprintf(stderr, "bex: no face found in %s; face the camera in good light\n", argv[0]);
        return 2;
    }
    int status = 0;
    printf("{\"faces\":[");
    for (int i = 0; i < n; i++) {
        bex_quality q;
        if (bex_face_quality(&img, &faces[i], NULL, &q, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            status = 2;
            break;
        }
        if (i == 0 && q.n_problems > 0) status = 1;
        printf("%s{\"box\":[%.2f,%.2f,%.2f,%.2f],\"score\":%.1f,\"eye_distance_px\":%.1f,"
               "\"yaw_deg\":%.1f,\"pitch_deg\":%.1f,\"roll_deg\":%.1f,\"sharpness\":%.1f,"
               "\"brightness\":%.1f,\"underexposed\":%.3f,\"overexposed\":%.3f,\"contrast\":%.1f,"
               "\"problems\":[",
               i ? "," : "", faces[i].box[0], faces[i].box[1], faces[i].box[2], faces[i].box[3], q.score,
               q.eye_distance_px, q.yaw_deg, q.pitch_deg, q.roll_deg, q.sharpness, q.brightness,
               q.underexposed, q.overexposed, q.contrast);
        for (int k = 0; k < q.n_problems; k++) {
            printf("%s{\"problem\":\"%s\",\"message\":", k ? "," : "", bex_quality_problem_name(q.problems[k]));
            cli_json_str(stdout, bex_quality_problem_message(q.problems[k]));
            printf("}");
        }
        printf("]}");
    }
    printf("]}\n");
    bex_image_free(&img);
    return status;
}

static int cmd_verify(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    int have_threshold = 0;
    float threshold = 0;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
            char *end;
            errno = 0;
            threshold = strtof(argv[++i], &end);
            if (errno || *end || threshold < -1 || threshold > 1) {
                fprintf(stderr, "bex: --threshold takes a cosine similarity between -1 and 1\n");
                return 2;
            }
            have_threshold = 1;
        } else return cli_usage_error("verify takes [--align A] [--threshold S] IMG1 IMG2");
    }
    if (argc - i != 2) return cli_usage_error("verify takes two images: bex verify IMG1 IMG2");
    if (!have_threshold)
        threshold = bex_verify_threshold(align);
    bex_engine *eng;
    if (!open_engine(models, align, &eng)) return 2;
    static bex_face a[MAX_FACES], b[MAX_FACES];
    int na = faces_of(eng, argv[i], 1, a, 0);
    int nb = na < 0 ? -1 : faces_of(eng, argv[i + 1], 1, b, 0);
    bex_engine_close(eng);
    if (na < 0 || nb < 0) return 2;
    if (na == 0 || nb == 0) {
        fprintf(stderr, "bex: no face found in %s; use a photo where the face is visible, frontal and lit\n",
                na == 0 ? argv[i] : argv[i + 1]);
        return 2;
    }
    float sim = bex_template_similarity(a[0].template_, b[0].template_);
    float dist = bex_template_distance(a[0].template_, b[0].template_);
    int match = sim >= threshold;
    printf("{\"similarity\":%.6f,\"distance\":%.6f,\"threshold\":%.4f,\"match\":%s,\"faces\":[%d,%d]}\n",
           sim, dist, threshold, match ? "true" : "false", na, nb);
    return match ? 0 : 1;
}

int main(int argc, char **argv) {
    const char *models = NULL;
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) { models = argv[i + 1]; i += 2; }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(usage, stdout); return 0; }
        else {
            fprintf(stderr, "bex: unknown option '%s' (bex --help shows the usage)\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) return cli_usage_error("no command given; try bex verify IMG1 IMG2");
    const char *cmd = argv[i++];
    if (!strcmp(cmd, "detect")) return cmd_detect(models, argc - i, argv + i);
    if (!strcmp(cmd, "embed")) return cmd_embed(models, argc - i, argv + i);
    if (!strcmp(cmd, "verify")) return cmd_verify(models, argc - i, argv + i);
    if (!strcmp(cmd, "eval")) return cmd_eval(models, argc - i, argv + i);
    if (!strcmp(cmd, "quality")) return cmd_quality(models, argc - i, argv + i);
    if (!strcmp(cmd, "version")) { printf("bex %s\n", BEX_VERSION); return 0; }
    if (!strcmp(cmd, "help")) { fputs(usage, stdout); return 0; }
    fprintf(stderr, "bex: unknown command '%s' (bex --help shows the usage)\n", cmd);
    return 2;
}
