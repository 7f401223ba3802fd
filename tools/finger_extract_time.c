/*
 * finger_extract_time.c - the extractor's speed: every image of FVC2002-style databases
 * (DIR/FFF_I.tif, fingers 101..110, impressions 1..8) read into memory once, then extracted
 * PASSES times on this thread; prints per pass the mean CPU time per extraction (the thread's
 * CPU clock, so other processes on the machine do not count), the wall time, the mean per
 * database and the slowest single image, so the spread between passes shows.
 *
 *   build/tools/finger_extract_time [--passes N] DIR[:PPI]...
 *   build/tools/finger_extract_time ../shared/data/fvc2002/DB{1,3,4}_B ../shared/data/fvc2002/DB2_B:569
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/finger.h"

#define NF 10
#define NI 8
#define MAXDB 8

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    static bex_finger_image img[MAXDB][NF * NI];
    static bex_finger_template t;
    const char *name[MAXDB];
    int ndb = 0, passes = 5;
    char err[256];
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--passes") && a + 1 < argc) {
            passes = atoi(argv[++a]);
            if (passes < 1 || passes > 1000) passes = 5;
            continue;
        }
        if (ndb == MAXDB) {
            fprintf(stderr, "finger_extract_time: at most %d databases\n", MAXDB);
            return 2;
        }
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", argv[a]);
        int ppi = 500;
        char *colon = strrchr(dir, ':');
        if (colon) {
            ppi = atoi(colon + 1);
            *colon = 0;
        }
        name[ndb] = argv[a];
        for (int f = 0; f < NF; f++)
            for (int i = 0; i < NI; i++) {
                char path[1200];
                snprintf(path, sizeof path, "%s/%d_%d.tif", dir, 101 + f, i + 1);
                if (bex_finger_image_load(path, ppi, NULL, &img[ndb][f * NI + i], err,
                                          sizeof err) != BEX_OK) {
                    fprintf(stderr, "finger_extract_time: %s\n", err);
                    return 2;
                }
            }
        ndb++;
    }
    if (!ndb) {
        fprintf(stderr, "usage: finger_extract_time [--passes N] DIR[:PPI]...\n");
        return 2;
    }
    for (int p = 0; p < passes; p++) {
        double per_db[MAXDB] = {0}, slowest = 0, c0 = cpu_s(), w0 = wall_s();
        for (int d = 0; d < ndb; d++)
            for (int k = 0; k < NF * NI; k++) {
                double a = cpu_s();
                if (bex_finger_extract(&img[d][k], 0, &t, err, sizeof err) != BEX_OK) {
                    fprintf(stderr, "finger_extract_time: %s\n", err);
                    return 2;
                }
                double s = cpu_s() - a;
                per_db[d] += s;
                if (s > slowest) slowest = s;
            }
        int n = ndb * NF * NI;
        printf("pass %d: %.2f ms an extraction (CPU), %.2f ms wall; slowest image %.2f ms;", p + 1,
               (cpu_s() - c0) * 1e3 / n, (wall_s() - w0) * 1e3 / n, slowest * 1e3);
        for (int d = 0; d < ndb; d++) printf(" %s %.2f", name[d], per_db[d] * 1e3 / (NF * NI));
        printf("\n");
    }
    for (int d = 0; d < ndb; d++)
        for (int k = 0; k < NF * NI; k++) bex_finger_image_free(&img[d][k]);
    return 0;
}
