/*
 * finger_fvc.c - the matcher's development measurement: the FVC protocol on FVC2002-style
 * databases (DIR/FFF_I.tif, fingers 101..110, impressions 1..8), with bex's extractor and
 * matcher, and the matcher's parameters changed from the command line to compare settings.
 *
 *   build/tools/finger_fvc [--try "name=value,..."]... DIR[:PPI]...
 *   build/tools/finger_fvc ../shared/data/fvc2002/DB{1,3,4}_B ../shared/data/fvc2002/DB2_B:569
 *
 * Each image is extracted once (at PPI, 500 by default: the FVC2002 files state none). Then,
 * for each --try (or the defaults when none), every template is prepared with those settings
 * and scored:
 *   - genuine pairs: each impression against every other of its finger, 28 per finger;
 *   - impostor pairs (FVC): the first impressions of different fingers, 45;
 *   - cross-finger impostors: every impression against every impression of the other
 *     fingers, 2880 (for the low-FMR points).
 * It prints per database (bex_fvc_measure, as bex eval finger does) the EER (FVC's
 * definition: the middle of the interval where FMR and FNMR cross) with the FVC impostors and with the cross-finger ones, FMR100 / FMR1000 /
 * ZeroFMR (the smallest FNMR with FMR at most 1%, 0.1%, 0 over the cross-finger impostors),
 * and then the means over the databases, and the comparisons a second on this thread (CPU
 * time, best of 3 passes). Every template is used whatever its quality: a failure to enrol is
 * not taken out (bex eval finger reports those).
 *
 * Parameter names are those of fm_params (src/finger/match.h): radius sigma_s sigma_d mu_psi
 * omega min_vc min_m min_me delta_theta min_np max_np mu_p tau_p max_nr n_rel w_r rel_min_norm
 * mu1 tau1 mu2 tau2 mu3 tau3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/finger.h"
#include "bex/eval.h"
#include "finger/match.h"

#define NF 10
#define NI 8
#define MAXDB 8
#define MAXTRY 64

typedef struct db {
    const char *dir;
    int ppi;
    bex_finger_template t[NF][NI];
} db;

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* FVC's EER: t1 the largest threshold with FNMR <= FMR, t2 the smallest with FNMR >= FMR;
 * the interval [low, high] of the one where the two are closer; its middle. */
/* The FVC figures of one impostor set (bex_fvc_measure, as bex eval finger gives them). */
static bex_fvc_rates rates(const float *g, int ng, const float *im, int ni) {
    static double gd[NF * NI * (NI - 1) / 2], id[NF * (NF - 1) / 2 * NI * NI];
    for (int i = 0; i < ng; i++) gd[i] = g[i];
    for (int i = 0; i < ni; i++) id[i] = im[i];
    bex_fvc_rates r;
    char err[256];
    if (bex_fvc_measure(gd, (size_t)ng, id, (size_t)ni, &r, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "finger_fvc: %s\n", err);
        exit(1);
    }
    return r;
}

static int set_param(fm_params *p, const char *name, double v) {
#define F(f)                                                                                   \
    if (!strcmp(name, #f)) {                                                                   \
        p->f = (__typeof__(p->f))v;                                                            \
        return 0;                                                                              \
    }
    F(radius) F(sigma_s) F(sigma_d) F(mu_psi) F(omega) F(min_vc) F(min_m) F(min_me)
    F(delta_theta) F(min_np) F(max_np) F(mu_p) F(tau_p) F(max_nr) F(n_rel) F(w_r) F(mu1)
    F(tau1) F(mu2) F(tau2) F(mu3) F(tau3) F(rel_min_norm)
#undef F
    return -1;
}

static int apply(fm_params *p, const char *spec) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        char *eq = strchr(s, '=');
        if (!eq) return -1;
        *eq = 0;
        if (set_param(p, s, atof(eq + 1))) {
            fprintf(stderr, "finger_fvc: no parameter '%s'\n", s);
            return -1;
        }
    }
    return 0;
}

static db dbs[MAXDB];

int main(int argc, char **argv) {
    const char *tries[MAXTRY];
    int ntry = 0, ndb = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--try") && i + 1 < argc && ntry < MAXTRY) tries[ntry++] = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: finger_fvc [--try \"name=value,...\"]... DIR[:PPI]...\n");
            return 2;
        } else if (ndb < MAXDB) {
            char *c = strrchr(argv[i], ':');
            dbs[ndb].ppi = 500;
            if (c) {
                *c = 0;
                dbs[ndb].ppi = atoi(c + 1);
            }
            dbs[ndb++].dir = argv[i];
        }
    }
    if (!ndb) {
        fprintf(stderr, "usage: finger_fvc [--try \"name=value,...\"]... DIR[:PPI]...\n");
        return 2;
    }
    if (!ntry) tries[ntry++] = "";

    /* extract every image once */
    double ext_s = 0;
    int next = 0;
    for (int d = 0; d < ndb; d++) {
        int minu = 0;
        for (int f = 0; f < NF; f++)
            for (int i = 0; i < NI; i++) {
                char path[1024], err[256];
                snprintf(path, sizeof path, "%s/%d_%d.tif", dbs[d].dir, 101 + f, i + 1);
                bex_finger_image img;
                if (bex_finger_image_load(path, dbs[d].ppi, NULL, &img, err, sizeof err) != BEX_OK) {
                    fprintf(stderr, "finger_fvc: %s\n", err);
                    return 1;
                }
                double t0 = cpu_s();
                int rc = bex_finger_extract(&img, 0, &dbs[d].t[f][i], err, sizeof err);
                ext_s += cpu_s() - t0;
                next++;
                bex_finger_image_free(&img);
                if (rc != BEX_OK) {
                    fprintf(stderr, "finger_fvc: %s: %s\n", path, err);
                    return 1;
                }
                minu += dbs[d].t[f][i].n;
            }
        printf("%s: %d ppi, %.1f minutiae a template\n", dbs[d].dir, dbs[d].ppi,
               (double)minu / (NF * NI));
    }
    printf("extraction: %.1f ms an image (CPU)\n", 1e3 * ext_s / next);

    fm_params defaults = *bex__finger_match_params();
    for (int k = 0; k < ntry; k++) {
        fm_params *p = bex__finger_match_params();
        *p = defaults;
        if (apply(p, tries[k])) return 2;
        bex__finger_match_retune();
        double se = 0, sx = 0, s100 = 0, s1000 = 0, s0 = 0, cmp_s = 0;
        long ncmp = 0;
        printf("-- %s\n", tries[k][0] ? tries[k] : "defaults");
        for (int d = 0; d < ndb; d++) {
            static bex_finger_prepared *pr[NF][NI];
            for (int f = 0; f < NF; f++)
                for (int i = 0; i < NI; i++)
                    if (bex_finger_prepare(&dbs[d].t[f][i], &pr[f][i], NULL, 0) != BEX_OK) {
                        fprintf(stderr, "finger_fvc: prepare failed\n");
                        return 1;
                    }
            static float g[NF * NI * (NI - 1) / 2], im[NF * (NF - 1) / 2],
                x[NF * (NF - 1) / 2 * NI * NI];
            int ng = 0, ni = 0, nx = 0;
            double best = 1e9;
            for (int rep = 0; rep < 3; rep++) {
                ng = ni = nx = 0;
                double t0 = cpu_s();
                for (int f = 0; f < NF; f++)
                    for (int i = 0; i < NI; i++)
                        for (int j = i + 1; j < NI; j++)
                            g[ng++] = bex_finger_compare_prepared(pr[f][i], pr[f][j]);
                for (int f = 0; f < NF; f++)
                    for (int h = f + 1; h < NF; h++) {
                        im[ni++] = bex_finger_compare_prepared(pr[f][0], pr[h][0]);
                        for (int i = 0; i < NI; i++)
                            for (int j = 0; j < NI; j++)
                                x[nx++] = bex_finger_compare_prepared(pr[f][i], pr[h][j]);
                    }
                double el = cpu_s() - t0;
                if (el < best) best = el;
            }
            cmp_s += best;
            ncmp += ng + ni + nx;
            bex_fvc_rates fvc = rates(g, ng, im, ni), cross = rates(g, ng, x, nx);
            double e = fvc.eer, ex = cross.eer;
            double f100 = cross.fmr100, f1000 = cross.fmr1000, f0 = cross.zero_fmr;
            printf("%-40s EER %5.2f%%  cross-finger EER %5.2f%%  FMR100 %5.2f%%  FMR1000 %5.2f%%  "
                   "ZeroFMR %5.2f%%\n",
                   dbs[d].dir, 100 * e, 100 * ex, 100 * f100, 100 * f1000, 100 * f0);
            se += e, sx += ex, s100 += f100, s1000 += f1000, s0 += f0;
            for (int f = 0; f < NF; f++)
                for (int i = 0; i < NI; i++) bex_finger_prepared_free(pr[f][i]);
        }
        printf("%-40s EER %5.2f%%  cross-finger EER %5.2f%%  FMR100 %5.2f%%  FMR1000 %5.2f%%  "
               "ZeroFMR %5.2f%%  %.0f comparisons/s\n",
               "mean", 100 * se / ndb, 100 * sx / ndb, 100 * s100 / ndb, 100 * s1000 / ndb,
               100 * s0 / ndb, ncmp / cmp_s);
    }
    return 0;
}
