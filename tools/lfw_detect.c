/*
 * lfw_detect.c - failure to acquire of a detector configuration over every LFW image.
 *
 *   build/tools/lfw_detect [--detector blazeface|blazeface-full|ssd] [--no-fallback]
 *                          [--no-pad-retry] [--threads T] [--faces FILE] LFW_DIR/lfw-deepfunneled
 *
 * Runs bex_detect (detector + 68 landmarks) on every .jpg under the folder (LFW: 13,233) and
 * reports how many images yield a face: directly, only in the padded retry, or not at all,
 * and the detector calls and ms per image. The images with no face go to stderr.
 *
 * --faces FILE writes every face found (largest box first) as CSV: image (under the folder),
 * faces in the image, index, box x, y, w, h, detector score, and the eye distance from the
 * 68 landmarks (outer eye corners' midpoints, px): what the capture policy's "several faces"
 * rule is measured with (README, docs/face-pipeline.md).
 */
#include <math.h>
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
static bex_face (*faces)[8]; /* with --faces: each image's faces */
static int *nfaces;

static float eye_distance(const bex_face *f) {
    float l[2] = {0, 0}, r[2] = {0, 0};
    for (int k = 36; k < 42; k++) {
        l[0] += f->landmarks[k][0] / 6, l[1] += f->landmarks[k][1] / 6;
        r[0] += f->landmarks[k + 6][0] / 6, r[1] += f->landmarks[k + 6][1] / 6;
    }
    return hypotf(r[0] - l[0], r[1] - l[1]);
}

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
        if (faces && n > 0) {
            memcpy(faces[i], f, sizeof f[0] * (size_t)n);
            nfaces[i] = n;
        }
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
    const char *dir = NULL, *faces_csv = NULL;
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
        else if (!strcmp(argv[i], "--faces") && i + 1 < argc) faces_csv = argv[++i];
        else dir = argv[i];
    }
    if (!dir || threads < 1 || threads > 16) {
        fprintf(stderr, "usage: lfw_detect [--detector D] [--no-fallback] [--no-pad-retry] [--threads T] [--faces FILE] "
                        "LFW/lfw-deepfunneled\n");
        return 2;
    }
    scan(dir, 0);
    qsort(paths, (size_t)npaths, sizeof *paths, cmp_str);
    result = calloc((size_t)npaths + 1, sizeof *result);
    if (faces_csv) {
        faces = calloc((size_t)npaths + 1, sizeof *faces);
        nfaces = calloc((size_t)npaths + 1, sizeof *nfaces);
        if (!faces || !nfaces) {
            fprintf(stderr, "lfw_detect: out of memory\n");
            return 2;
        }
    }
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
    if (faces_csv) {
        FILE *fc = fopen(faces_csv, "w");
        if (!fc) {
            perror(faces_csv);
            return 2;
        }
        size_t skip = strlen(dir) + (dir[strlen(dir) - 1] != '/');
        fprintf(fc, "image,n,i,x,y,w,h,score,eye_px\n");
        for (int i = 0; i < npaths; i++)
            for (int k = 0; k < nfaces[i]; k++) {
                const bex_face *f = &faces[i][k];
                fprintf(fc, "%s,%d,%d,%.1f,%.1f,%.1f,%.1f,%.4f,%.2f\n", paths[i] + skip, nfaces[i], k, f->box[0],
                        f->box[1], f->box[2], f->box[3], f->score, eye_distance(f));
            }
        if (fclose(fc) != 0) {
            perror(faces_csv);
            return 2;
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
