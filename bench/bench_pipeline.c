/*
 * bench_pipeline.c - the face pipeline's speed, stage by stage, against face-api.js.
 *
 *   build/bench/bench_pipeline [--rounds R] [--no-peer] [--detectors-only | --facemesh] [IMG...]
 *
 * On a fixed list of LFW images (default: the fixtures in tests/data/lfw/), measures
 * milliseconds per stage (decode, detect, landmarks, align, descriptor) and images per second
 * for the whole pipeline (decode to templates) on one thread and on two threads (one engine
 * each). When Node.js and tools/faceapi-ref/node_modules are present it then runs face-api.js
 * (tfjs wasm backend) on the same images in the same run (tools/faceapi-ref/bench.js) and
 * prints the ratio. First, the three detectors side by side (BlazeFace short range, BlazeFace
 * full range, SSD MobileNetV1): detector ms per image over the same decoded images, each
 * round timed apart, so the spread between rounds shows. --facemesh measures instead Face Mesh
 * (BEX_ALIGN_FACEMESH's landmark model) against the 68-point landmark net: ms a face on one
 * thread, same faces. Nothing here is asserted: the figures are reported.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/face.h"
#include "bex/image.h"

#define MAX_IMGS 512

static char *paths[MAX_IMGS];
static int npaths, rounds = 5;
static const char *models = "models";

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

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

static bex_engine *open_engine_with(const bex_engine_options *o) {
    bex_engine *e;
    char err[256];
    if (bex_engine_open(models, o, &e, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench: %s\n", err);
        exit(2);
    }
    return e;
}

static bex_engine *open_engine(void) { return open_engine_with(NULL); }

/* Detector ms per image of each detector on the decoded list, rounds timed apart (the detector
 * alone: bex_engine_stats.detect_ms, no padded retry, no full-range fallback). */
static void bench_detectors(void) {
    static const struct { const char *name; bex_detector d; } dets[3] = {
        {"blazeface (short range, 128 px)", BEX_DETECTOR_BLAZEFACE},
        {"blazeface-full (full range, 192 px)", BEX_DETECTOR_BLAZEFACE_FULL},
        {"ssd (SSD MobileNetV1, 512 px)", BEX_DETECTOR_SSD}};
    bex_image *imgs = calloc((size_t)npaths, sizeof *imgs);
    char err[256];
    for (int i = 0; i < npaths; i++)
        if (bex_image_load(paths[i], NULL, &imgs[i], err, sizeof err) != BEX_OK) { fprintf(stderr, "bench: %s\n", err); exit(2); }
    printf("detectors side by side, %d images x %d rounds; ms per image: mean of rounds [min, max round]\n", npaths, rounds);
    for (int k = 0; k < 3; k++) {
        bex_engine_options o;
        bex_engine_options_default(&o);
        o.detector = dets[k].d;
        o.pad_retry = 0;
        o.full_range_fallback = 0;
        bex_engine *e = open_engine_with(&o);
        bex_face f[16];
        int n = 0, found = 0;
        for (int i = 0; i < npaths; i++) bex_detect(e, &imgs[i], f, 16, &n, err, sizeof err); /* warm-up */
        double sum = 0, lo = 1e30, hi = 0;
        for (int r = 0; r < rounds; r++) {
            bex_engine_stats a, b;
            bex_engine_get_stats(e, &a);
            for (int i = 0; i < npaths; i++) {
                n = 0;
                bex_detect(e, &imgs[i], f, 16, &n, err, sizeof err);
                if (r == 0) found += n > 0;
            }
            bex_engine_get_stats(e, &b);
            double ms = (b.detect_ms - a.detect_ms) / npaths;
            sum += ms;
            if (ms < lo) lo = ms;
            if (ms > hi) hi = ms;
        }
        printf("  %-38s %6.2f ms  [%.2f, %.2f]   faces found in %d of %d images\n", dets[k].name, sum / rounds, lo, hi, found, npaths);
        bex_engine_close(e);
    }
    for (int i = 0; i < npaths; i++) bex_image_free(&imgs[i]);
    free(imgs);
}

/* Face Mesh and the 68-point net, ms a face on one thread over the decoded list (bex_detect on
 * a BEX_ALIGN_FACEMESH engine runs both on every face BlazeFace finds), rounds timed apart. */
static void bench_mesh(void) {
    bex_image *imgs = calloc((size_t)npaths, sizeof *imgs);
    char err[256];
    for (int i = 0; i < npaths; i++)
        if (bex_image_load(paths[i], NULL, &imgs[i], err, sizeof err) != BEX_OK) { fprintf(stderr, "bench: %s\n", err); exit(2); }
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.align = BEX_ALIGN_FACEMESH;
    bex_engine *e = open_engine_with(&o);
    bex_face f[16];
    int n = 0;
    for (int i = 0; i < npaths; i++) bex_detect(e, &imgs[i], f, 16, &n, err, sizeof err); /* warm-up */
    double msum = 0, mlo = 1e30, mhi = 0, lsum = 0;
    unsigned long faces = 0;
    for (int r = 0; r < rounds; r++) {
        bex_engine_stats a, b;
        bex_engine_get_stats(e, &a);
        for (int i = 0; i < npaths; i++) bex_detect(e, &imgs[i], f, 16, &n, err, sizeof err);
        bex_engine_get_stats(e, &b);
        double ms = (b.mesh_ms - a.mesh_ms) / (double)(b.meshes - a.meshes);
        msum += ms;
        if (ms < mlo) mlo = ms;
        if (ms > mhi) mhi = ms;
        lsum += (b.landmarks_ms - a.landmarks_ms) / (double)(b.faces - a.faces);
        faces = b.meshes - a.meshes;
    }
    printf("landmark models, one thread, %d images x %d rounds, %lu faces a round; ms a face: mean of rounds [min, max round]\n",
           npaths, rounds, faces);
    printf("  Face Mesh (192 px crop, 468 points)       %6.2f ms  [%.2f, %.2f]\n", msum / rounds, mlo, mhi);
    printf("  68-point landmark net (112 px crop)       %6.2f ms\n", lsum / rounds);
    bex_engine_close(e);
    for (int i = 0; i < npaths; i++) bex_image_free(&imgs[i]);
    free(imgs);
}

/* One pass over the list: decode + embed each image. Returns the number of faces. */
static int pass(bex_engine *e, int from, int step, double *decode_ms) {
    int faces = 0;
    for (int i = from; i < npaths; i += step) {
        bex_image img;
        char err[256];
        double t0 = now_ms();
        if (bex_image_load(paths[i], NULL, &img, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bench: %s\n", err);
            exit(2);
        }
        if (decode_ms) *decode_ms += now_ms() - t0;
        bex_face f[16];
        int n = 0;
        bex_embed(e, &img, f, 16, &n, err, sizeof err);
        faces += n;
        bex_image_free(&img);
    }
    return faces;
}

typedef struct job { bex_engine *e; int from; } job;

static void *thread_main(void *arg) {
    job *j = arg;
    for (int r = 0; r < rounds; r++) pass(j->e, j->from, 2, NULL);
    return NULL;
}

/* Runs face-api.js on the same images; returns its mean ms per image (full chain) or -1. */
static double run_peer(void) {
    if (access("tools/faceapi-ref/node_modules/@vladmandic/face-api", R_OK) != 0 || system("node --version >/dev/null 2>&1") != 0) {
        printf("\npeer: face-api.js not installed (tools/faceapi-ref/setup.sh), ratio not measured\n");
        return -1;
    }
    size_t len = 4096;
    for (int i = 0; i < npaths; i++) len += strlen(paths[i]) + 3;
    char *cmd = malloc(len);
    size_t off = (size_t)snprintf(cmd, len, "node tools/faceapi-ref/bench.js --json");
    for (int i = 0; i < npaths; i++) off += (size_t)snprintf(cmd + off, len - off, " '%s'", paths[i]);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p) return -1;
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    pclose(p);
    printf("\nface-api.js (same images, same run): %s", out);
    /* the full-chain mean is "full":{"mean":X ...} in bench.js's JSON */
    char *k = strstr(out, "\"full\"");
    char *m = k ? strstr(k, "\"mean\"") : NULL;
    if (!m) k = strstr(out, "\"total\""), m = k ? strstr(k, "\"mean\"") : NULL;
    if (!m) return -1;
    return atof(strchr(m, ':') + 1);
}

int main(int argc, char **argv) {
    int peer = 1, detectors_only = 0, facemesh = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-peer")) peer = 0;
        else if (!strcmp(argv[i], "--detectors-only")) detectors_only = 1;
        else if (!strcmp(argv[i], "--facemesh")) facemesh = 1;
        else if (!strcmp(argv[i], "--models") && i + 1 < argc) models = argv[++i];
        else if (npaths < MAX_IMGS) paths[npaths++] = argv[i];
    }
    if (!npaths) default_list();
    if (rounds < 1) rounds = 1;
    if (facemesh) {
        bench_mesh();
        return 0;
    }
    bench_detectors();
    if (detectors_only) return 0;
    printf("\n");

    /* The whole pipeline on one thread: today's default (BlazeFace) and the previous release's
     * (SSD MobileNetV1 with its padded retry, no flip), rounds interleaved so that both see the same
     * load; each round timed apart for the spread. */
    static const struct { const char *name; bex_detector d; } pipes[2] = {
        {"default (BlazeFace, flip)", BEX_DETECTOR_BLAZEFACE}, {"previous (SSD, no flip)", BEX_DETECTOR_SSD}};
    bex_engine *pe[2];
    bex_engine_stats ps0[2], ps1[2];
    double pdecode[2] = {0, 0}, psum[2] = {0, 0}, plo[2] = {1e30, 1e30}, phi[2] = {0, 0};
    int pfaces[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        bex_engine_options o;
        bex_engine_options_default(&o);
        o.detector = pipes[k].d;
        if (k == 1) o.flip = 0; /* the previous release had no flip */
        pe[k] = open_engine_with(&o);
        pass(pe[k], 0, 1, NULL); /* warm-up */
        bex_engine_get_stats(pe[k], &ps0[k]);
    }
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            double t0 = now_ms();
            pfaces[k] += pass(pe[k], 0, 1, &pdecode[k]);
            double ms = (now_ms() - t0) / npaths;
            psum[k] += ms;
            if (ms < plo[k]) plo[k] = ms;
            if (ms > phi[k]) phi[k] = ms;
        }
    int imgs = npaths * rounds;
    printf("bex face pipeline (decode to templates), %d images x %d rounds (models: %s)\n", npaths, rounds, models);
    for (int k = 0; k < 2; k++) {
        bex_engine_get_stats(pe[k], &ps1[k]);
        const bex_engine_stats *a = &ps0[k], *b = &ps1[k];
        printf("  %-27s one thread, ms per image: decode %.2f  detect %.2f  landmarks %.2f  align %.2f  descriptor %.2f"
               "  total %.2f [%.2f, %.2f round]  (%.1f images/s, %d faces a round, %.2f detector calls an image)\n",
               pipes[k].name, pdecode[k] / imgs, (b->detect_ms - a->detect_ms) / imgs, (b->landmarks_ms - a->landmarks_ms) / imgs,
               (b->align_ms - a->align_ms) / imgs, (b->descriptor_ms - a->descriptor_ms) / imgs, psum[k] / rounds, plo[k], phi[k],
               1000.0 / (psum[k] / rounds), pfaces[k] / rounds, (double)(b->images - a->images) / imgs);
    }
    printf("  the default is %.2fx faster than the previous pipeline on one thread\n", psum[1] / psum[0]);
    bex_engine_close(pe[1]);
    bex_engine *e = pe[0];
    double one = psum[0] / rounds * imgs;

    bex_engine *e2 = open_engine();
    pass(e2, 0, 1, NULL);
    job j[2] = {{e, 0}, {e2, 1}};
    pthread_t th[2];
    double t0 = now_ms();
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_main, &j[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    double two = now_ms() - t0;
    printf("default, two threads: %.2f ms per image (%.1f images/s, %.2fx one thread)\n", two / imgs,
           1000.0 * imgs / two, one / two);
    bex_engine_close(e);
    bex_engine_close(e2);

    if (peer) {
        double fa = run_peer();
        if (fa > 0)
            printf("ratio: bex is %.1fx faster than face-api.js on one thread (%.2f vs %.2f ms per image), %.1fx with two threads\n",
                   fa / (one / imgs), one / imgs, fa, fa / (two / imgs));
    }
    return 0;
}
