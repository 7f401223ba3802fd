/*
 * bench_byom.c - the recognition stage of a described model (docs/models.md) against the
 * built-in one, on the same faces.
 *
 *   build/bench/bench_byom --model DESC [--rounds R] [--models DIR] [IMG...]
 *
 * On a list of images (default: the fixtures in tests/data/lfw/), finds every face once with
 * the built-in engine, then in R rounds computes every face's template with the built-in
 * model and with the described one, alternately (A B A B ...: a machine whose load changes
 * changes both alike). The time is the engine's own (bex_engine_get_stats): the built-in
 * model's align_ms + descriptor_ms (the chip, then the network), the described model's
 * descriptor_ms (its chip warp is inside it). Prints ms per face for each round, then the
 * median, min and max of each, the median of the per-round ratios, and the lowest cosine
 * between the two models' templates (for the exported built-in network, about 1). The stats
 * are wall time; on a shared machine they carry the other processes' load, so the thread's
 * CPU time over the same loop (CLOCK_THREAD_CPUTIME_ID) is printed beside them.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/face.h"
#include "bex/image.h"
#include "bex/model.h"

#define MAX_IMGS 512
#define MAX_FACES 4096
#define MAX_ROUNDS 100

static char *paths[MAX_IMGS];
static int npaths;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void default_list(void) {
    DIR *d = opendir("tests/data/lfw");
    if (!d) { fprintf(stderr, "bench: tests/data/lfw not found; run from the repository root or name images\n"); exit(2); }
    struct dirent *e;
    while ((e = readdir(d)) && npaths < MAX_IMGS) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".jpg")) {
            char *p = malloc(n + 32);
            snprintf(p, n + 32, "tests/data/lfw/%s", e->d_name);
            paths[npaths++] = p;
        }
    }
    closedir(d);
    qsort(paths, (size_t)npaths, sizeof *paths, cmp_str);
}

static bex_image imgs[MAX_IMGS];
static bex_face faces[MAX_FACES];
static int face_img[MAX_FACES], nfaces;

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* every face's template with engine e; returns the stage's ms (stats), *cpu the loop's CPU ms */
static double round_of(bex_engine *e, int builtin, float (*out)[BEX_TEMPLATE_MAX_DIM], double *cpu) {
    bex_engine_stats s0, s1;
    bex_engine_get_stats(e, &s0);
    double c0 = cpu_ms();
    char err[256];
    for (int k = 0; k < nfaces; k++) {
        bex_face f = faces[k];
        if (bex_face_template(e, &imgs[face_img[k]], &f, BEX_ALIGN_DEFAULT, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bench: %s\n", err);
            exit(2);
        }
        if (out) memcpy(out[k], f.template_, sizeof out[k]);
    }
    bex_engine_get_stats(e, &s1);
    if (cpu) *cpu = cpu_ms() - c0;
    return (s1.descriptor_ms - s0.descriptor_ms) + (builtin ? s1.align_ms - s0.align_ms : 0);
}

static void spread(const char *label, double *v, int n) {
    double s[MAX_ROUNDS];
    memcpy(s, v, sizeof *v * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_dbl);
    printf("%s: median %.2f ms per face, min %.2f, max %.2f (%d rounds)\n", label, s[n / 2], s[0], s[n - 1], n);
}

int main(int argc, char **argv) {
    const char *models = "models", *desc = NULL;
    int rounds = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--models") && i + 1 < argc) models = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc) desc = argv[++i];
        else if (npaths < MAX_IMGS) paths[npaths++] = argv[i];
    }
    if (!desc) {
        fprintf(stderr, "usage: bench_byom --model DESC [--rounds R] [--models DIR] [IMG...]\n");
        return 2;
    }
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    if (!npaths) default_list();
    char err[512];
    static bex_model m;
    if (bex_model_load(desc, &m, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    bex_engine *a, *b;
    bex_engine_options o;
    bex_engine_options_default(&o);
    if (bex_engine_open(models, &o, &a, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    o.model = &m;
    if (bex_engine_open(models, &o, &b, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    for (int i = 0; i < npaths; i++) {
        if (bex_image_load(paths[i], NULL, &imgs[i], err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bench: %s\n", err);
            return 2;
        }
        int n = 0;
        if (bex_detect(a, &imgs[i], faces + nfaces, MAX_FACES - nfaces, &n, err, sizeof err) != BEX_OK) n = 0;
        for (int k = 0; k < n; k++) face_img[nfaces + k] = i;
        nfaces += n;
    }
    if (!nfaces) {
        fprintf(stderr, "bench: no faces\n");
        return 2;
    }
    static float ta[MAX_FACES][BEX_TEMPLATE_MAX_DIM], tb[MAX_FACES][BEX_TEMPLATE_MAX_DIM];
    round_of(a, 1, ta, NULL); /* warm-up, and the templates compared */
    round_of(b, 0, tb, NULL);
    double worst = 2;
    if (m.embedding == BEX_TEMPLATE_DIM)
        for (int k = 0; k < nfaces; k++) {
            double c = bex_template_similarity(ta[k], tb[k]);
            if (c < worst) worst = c;
        }
    printf("recognition stage, %d faces in %d images, %d rounds, built-in vs %s\n", nfaces, npaths, rounds, m.identity);
    double va[MAX_ROUNDS], vb[MAX_ROUNDS], r[MAX_ROUNDS], ca[MAX_ROUNDS], cb[MAX_ROUNDS], rc[MAX_ROUNDS];
    for (int k = 0; k < rounds; k++) {
        va[k] = round_of(a, 1, NULL, &ca[k]) / nfaces;
        vb[k] = round_of(b, 0, NULL, &cb[k]) / nfaces;
        ca[k] /= nfaces;
        cb[k] /= nfaces;
        r[k] = vb[k] / va[k];
        rc[k] = cb[k] / ca[k];
        printf("  round %d: built-in %.2f ms per face (CPU %.2f), model %.2f (CPU %.2f)\n", k + 1, va[k], ca[k], vb[k],
               cb[k]);
    }
    spread("stats, built-in (align + descriptor)", va, rounds);
    spread("stats, model (warp + ONNX graph)   ", vb, rounds);
    spread("CPU,   built-in                    ", ca, rounds);
    spread("CPU,   model                       ", cb, rounds);
    qsort(r, (size_t)rounds, sizeof *r, cmp_dbl);
    qsort(rc, (size_t)rounds, sizeof *rc, cmp_dbl);
    printf("ratio model / built-in: stats median %.3f (min %.3f, max %.3f); CPU median %.3f (min %.3f, max %.3f)\n",
           r[rounds / 2], r[0], r[rounds - 1], rc[rounds / 2], rc[0], rc[rounds - 1]);
    if (worst <= 1) printf("lowest cosine between the two models' templates: %.7f\n", worst);
    for (int i = 0; i < npaths; i++) bex_image_free(&imgs[i]);
    bex_engine_close(a);
    bex_engine_close(b);
    return 0;
}
