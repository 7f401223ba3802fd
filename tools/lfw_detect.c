/*
 * lfw_detect.c - failure to acquire of a detector configuration over every LFW image.
 *
 *   build/tools/lfw_detect [--detector blazeface|blazeface-full|ssd] [--no-fallback]
 *                          [--no-pad-retry] [--threads T] LFW_DIR/lfw-deepfunneled
 *
 * Runs bex_detect (detector + 68 landmarks) on every .jpg under the folder (LFW: 13,233) and
 * reports how many images yield a face: directly, only in the padded retry, or not at all,
 * and the detector calls and ms per image. The images with no face go to stderr.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/face.h"
#include "bex/image.h"

static char **paths;
static int npaths, cap, next;
static int *result; /* 0 none, 1 direct, 2 padded */
static bex_engine_options opt;
static const char *models = "models";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bex_engine_stats total;

static void scan(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcmp(e->d_name + n - 4, ".jpg")) {
            if (npaths == cap) {
                cap = cap ? cap * 2 : 16384;
                paths = realloc(paths, sizeof *paths * (size_t)cap);
            }
            paths[npaths++] = strdup(p);
        } else if (depth < 2) {
            scan(p, depth + 1);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void *worker(void *arg) {
    (void)arg;
    bex_engine *e;
    char err[256];
    if (bex_engine_open(models, &opt, &e, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "lfw_detect: %s\n", err);
        exit(2);
    }
    for (;;) {
        pthread_mutex_lock(&lock);
        int i = next++;
        pthread_mutex_unlock(&lock);
        if (i >= npaths) break;
        bex_image img;
        if (bex_image_load(paths[i], NULL, &img, err, sizeof err) != BEX_OK) continue;
        bex_face f[8];
        int n = 0;
        if (bex_detect(e, &img, f, 8, &n, err, sizeof err) == BEX_OK && n > 0) result[i] = f[0].padded ? 2 : 1;
        bex_image_free(&img);
    }
    bex_engine_stats s;
    bex_engine_get_stats(e, &s);
    pthread_mutex_lock(&lock);
    total.images += s.images;
    total.detect_ms += s.detect_ms;
    total.landmarks_ms += s.landmarks_ms;
    pthread_mutex_unlock(&lock);
    bex_engine_close(e);
    return NULL;
}

int main(int argc, char **argv) {
    int threads = 2;
    const char *dir = NULL;
    bex_engine_options_default(&opt);
    if (getenv("BEX_MODELS")) models = getenv("BEX_MODELS");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--detector") && i + 1 < argc) {
            i++;
            opt.detector = !strcmp(argv[i], "ssd") ? BEX_DETECTOR_SSD
                           : !strcmp(argv[i], "blazeface-full") ? BEX_DETECTOR_BLAZEFACE_FULL : BEX_DETECTOR_BLAZEFACE;
        } else if (!strcmp(argv[i], "--no-fallback")) opt.full_range_fallback = 0;
        else if (!strcmp(argv[i], "--no-pad-retry")) opt.pad_retry = 0;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else dir = argv[i];
    }
    if (!dir || threads < 1 || threads > 16) {
        fprintf(stderr, "usage: lfw_detect [--detector D] [--no-fallback] [--no-pad-retry] [--threads T] LFW/lfw-deepfunneled\n");
        return 2;
    }
    scan(dir, 0);
    qsort(paths, (size_t)npaths, sizeof *paths, cmp_str);
    result = calloc((size_t)npaths + 1, sizeof *result);
    pthread_t th[16];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int direct = 0, padded = 0, none = 0;
    for (int i = 0; i < npaths; i++) {
        if (result[i] == 1) direct++;
        else if (result[i] == 2) padded++;
        else {
            none++;
            fprintf(stderr, "no face: %s\n", paths[i]);
        }
    }
    static const char *dn[3] = {"blazeface", "blazeface-full", "ssd"};
    printf("detector %s, full-range fallback %s, padded retry %s: %d images; face found directly %d, only in the padded "
           "retry %d, none %d (failure to acquire %.3f%%); %.2f detector calls and %.2f ms detecting per image; %.1f s\n",
           dn[opt.detector], opt.detector == BEX_DETECTOR_BLAZEFACE && opt.full_range_fallback ? "on" : "off",
           opt.pad_retry ? "on" : "off", npaths, direct, padded, none, 100.0 * none / npaths,
           (double)total.images / npaths, total.detect_ms / npaths,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
