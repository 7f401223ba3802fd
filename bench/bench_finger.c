/*
 * bench_finger.c - fingerprint comparisons a second on one core: bex's MCC matcher on real
 * FVC2002 templates (or synthetic ones when no data folder is given), with each popcount
 * kernel, 1:N gallery search, and template preparation.
 *
 *   make bench && build/bench/bench_finger [FVC2002_DIR]
 *   build/bench/bench_finger ../shared/data/fvc2002      (DB1_B..DB4_B; DB2_B read at 569 ppi)
 *
 * Real templates: the 80 images of each DB are extracted with bex_finger_extract and every
 * pair within a DB is compared (4 x 3160 comparisons, genuine and impostor alike, as a 1:N
 * search meets them). Synthetic: 320 templates of 25-55 random minutiae. Each measurement is
 * repeated 5 times on this thread; it prints the best, the median and the worst (CPU time of
 * the thread, so that other processes on a shared machine do not count).
 *
 * Peers: no fingerprint matcher installs from Debian or npm (apt-cache search nbis, bozorth,
 * sourceafis, fingerprint; npm view sourceafis: not found; libfprint carries NBIS inside but
 * exposes no comparison of two templates), so the ratios printed are against figures stated
 * in issue 17, not run here: SourceAFIS about 12,500 comparisons a second per core, and
 * bozorth3 4-6 ms a comparison as measured on this machine when the issue was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/finger.h"
#include "finger/match.h"

#define NT 320
#define REPS 5

static bex_finger_template tpl[NT];
static bex_finger_prepared *pr[NT];
static int db_of[NT];

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* best, median, worst of REPS rates */
static void spread(const char *what, double *rate, const char *unit) {
    qsort(rate, REPS, sizeof *rate, cmp_d);
    printf("%-44s %10.0f %s (median %.0f, worst %.0f; %d runs)\n", what, rate[REPS - 1], unit,
           rate[REPS / 2], rate[0], REPS);
}

static uint64_t rs = 88172645463325252ull;
static unsigned rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (unsigned)(rs >> 11);
}

static void synthetic(void) {
    for (int i = 0; i < NT; i++) {
        bex_finger_template *t = &tpl[i];
        memset(t, 0, sizeof *t);
        t->width = 300;
        t->height = 400;
        t->n = 25 + (int)(rnd() % 31);
        for (int k = 0; k < t->n; k++)
            t->m[k] = (bex_minutia){(uint16_t)(20 + rnd() % 260), (uint16_t)(20 + rnd() % 360),
                                    (uint8_t)rnd(), (uint8_t)(1 + rnd() % 2), 60};
        db_of[i] = i / 80;
    }
}

static int from_fvc(const char *dir) {
    int k = 0;
    double minu = 0;
    for (int d = 0; d < 4; d++)
        for (int f = 101; f <= 110; f++)
            for (int i = 1; i <= 8; i++, k++) {
                char path[1024], err[256];
                snprintf(path, sizeof path, "%s/DB%d_B/%d_%d.tif", dir, d + 1, f, i);
                bex_finger_image img;
                if (bex_finger_image_load(path, d == 1 ? 569 : 500, NULL, &img, err, sizeof err) != BEX_OK ||
                    bex_finger_extract(&img, 0, &tpl[k], err, sizeof err) != BEX_OK) {
                    fprintf(stderr, "bench_finger: %s\n", err);
                    return -1;
                }
                bex_finger_image_free(&img);
                db_of[k] = d;
                minu += tpl[k].n;
            }
    printf("templates: FVC2002 DB1-4 B, %d, %.1f minutiae on average\n", NT, minu / NT);
    return 0;
}

/* every pair within a DB with the given kernel; returns comparisons/s; sum guards the work */
static double pass(const fm_kernel *k, double *sum) {
    long n = 0;
    double s = 0, t0 = cpu_s();
    for (int i = 0; i < NT; i++)
        for (int j = i + 1; j < NT && db_of[j] == db_of[i]; j++) {
            s += k ? bex__finger_compare_with(pr[i], pr[j], k)
                   : bex_finger_compare_prepared(pr[i], pr[j]);
            n++;
        }
    *sum = s;
    return n / (cpu_s() - t0);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        if (from_fvc(argv[1])) return 1;
    } else {
        synthetic();
        printf("templates: synthetic, %d of 25-55 random minutiae (give the FVC2002 folder for "
               "real ones)\n", NT);
    }
    double rate[REPS], sum = 0;

    /* preparing: cylinders and the pair tables, once per template */
    for (int r = 0; r < REPS; r++) {
        double t0 = cpu_s();
        for (int i = 0; i < NT; i++) {
            if (r) bex_finger_prepared_free(pr[i]);
            if (bex_finger_prepare(&tpl[i], &pr[i], NULL, 0) != BEX_OK) return 1;
        }
        rate[r] = NT / (cpu_s() - t0);
    }
    spread("templates prepared a second", rate, "/s");

    const char *names[] = {"plain", "popcnt", "avx512"};
    double ref = -1;
    for (int k = 0; k < 3; k++) {
        const fm_kernel *kern = fm_kernel_by_name(names[k]);
        if (!kern) {
            printf("kernel %-8s not on this CPU\n", names[k]);
            continue;
        }
        for (int r = 0; r < REPS; r++) rate[r] = pass(kern, &sum);
        if (ref < 0) ref = sum;
        char what[64];
        snprintf(what, sizeof what, "comparisons a second, kernel %s", names[k]);
        spread(what, rate, "/s");
        if (sum != ref) printf("  (scores differ from the plain kernel's: a bug)\n");
    }
    for (int r = 0; r < REPS; r++) rate[r] = pass(NULL, &sum);
    printf("default kernel: %s\n", fm_kernel_best()->name);
    spread("comparisons a second, default", rate, "/s");
    qsort(rate, REPS, sizeof *rate, cmp_d);
    double med = rate[REPS / 2];

    /* 1:N: the 320 templates 16 times over (5,120 entries), each DB's first print as probe */
    bex_finger_gallery *g = bex_finger_gallery_new();
    char err[256];
    for (int c = 0; c < 16; c++)
        for (int i = 0; i < NT; i++)
            if (bex_finger_gallery_add(g, (int64_t)c * NT + i, &tpl[i], err, sizeof err) != BEX_OK) {
                fprintf(stderr, "bench_finger: %s\n", err);
                return 1;
            }
    for (int r = 0; r < REPS; r++) {
        bex_finger_hit hits[10];
        double t0 = cpu_s();
        for (int d = 0; d < 4; d++) bex_finger_gallery_search(g, &tpl[d * 80], hits, 10);
        rate[r] = 4.0 * (double)bex_finger_gallery_size(g) / (cpu_s() - t0);
    }
    spread("1:N search, gallery entries scanned a second", rate, "/s");
    bex_finger_gallery_free(g);

    printf("\npeers (stated in issue 17, not run here: none installs from Debian or npm):\n");
    printf("  SourceAFIS, about 12,500 comparisons/s per core: bex is %.1fx (median)\n",
           med / 12500.0);
    printf("  bozorth3 (NBIS), 4-6 ms a comparison on this machine: bex is %.0f-%.0fx (median)\n",
           med * 0.004, med * 0.006);
    for (int i = 0; i < NT; i++) bex_finger_prepared_free(pr[i]);
    return 0;
}
