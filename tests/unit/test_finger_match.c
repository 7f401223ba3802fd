/*
 * test_finger_match.c - the fingerprint matcher (src/finger/match*.c): a print against a
 * moved, noisy, partial copy of itself scores well above an unrelated print, whatever the
 * rotation; scores are symmetric and in 0..1; every popcount kernel gives the same scores;
 * bad templates are refused with a message; the 1:N gallery finds the mate and forgets a
 * removed entry.
 *
 * The templates are synthetic: minutiae spread at random over a print-sized area at least a
 * ridge or so apart, as an extractor finds them. A "mate" is the same minutiae turned by some
 * angle about the print's centre and moved (ISO conventions: y down, angles counter-clockwise),
 * with each position moved up to 4 px, each direction up to 10 degrees, a fifth of them lost
 * and a few spurious ones added: what a second impression of the same finger looks like to a
 * minutiae comparator.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#include "bex/finger.h"
#include "finger/match.h"
#include "test.h"

#define PI 3.14159265358979

static uint64_t rng_state;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}
static double unif(double lo, double hi) { return lo + (hi - lo) * (rnd() / 2147483648.0); }

/* n minutiae over a w x h print, centred on a 512 x 512 image, at least 9 px apart */
static void random_print(bex_finger_template *t, int n, int w, int h) {
    memset(t, 0, sizeof *t);
    t->width = 512;
    t->height = 512;
    int tries = 0;
    while (t->n < n && tries++ < 100000) {
        double x = 256 + unif(-w / 2.0, w / 2.0), y = 256 + unif(-h / 2.0, h / 2.0);
        int ok = 1;
        for (int i = 0; i < t->n && ok; i++) {
            double dx = t->m[i].x - x, dy = t->m[i].y - y;
            if (dx * dx + dy * dy < 81) ok = 0;
        }
        if (!ok) continue;
        bex_minutia *m = &t->m[t->n++];
        m->x = (uint16_t)lround(x);
        m->y = (uint16_t)lround(y);
        m->angle = (uint8_t)(rnd() & 255);
        m->type = (uint8_t)(1 + (rnd() & 1));
        m->quality = 60;
    }
}

/* the mate of a: turned by deg (counter-clockwise as the image is seen) about (256, 256),
 * moved by (tx, ty), with noise, losses and spurious minutiae as the header says */
static void mate(const bex_finger_template *a, bex_finger_template *b, double deg, double tx,
                 double ty, double noise_px, double noise_deg, double lose, int spurious) {
    memset(b, 0, sizeof *b);
    b->width = a->width;
    b->height = a->height;
    double f = deg * PI / 180, c = cos(f), s = sin(f);
    for (int i = 0; i < a->n; i++) {
        if (unif(0, 1) < lose) continue;
        double dx = a->m[i].x - 256.0, dy = a->m[i].y - 256.0;
        /* y is down: a counter-clockwise turn on screen is clockwise in (x, y) */
        double x = 256 + dx * c + dy * s + tx + unif(-noise_px, noise_px);
        double y = 256 - dx * s + dy * c + ty + unif(-noise_px, noise_px);
        double ang = a->m[i].angle + deg * 256 / 360 + unif(-noise_deg, noise_deg) * 256 / 360;
        bex_minutia *m = &b->m[b->n++];
        m->x = (uint16_t)lround(x);
        m->y = (uint16_t)lround(y);
        m->angle = (uint8_t)((long)lround(ang) & 255);
        m->type = a->m[i].type;
        m->quality = 60;
    }
    for (int k = 0; k < spurious && b->n < BEX_FINGER_MAX_MINUTIAE; k++) {
        bex_minutia *m = &b->m[b->n++];
        m->x = (uint16_t)lround(256 + unif(-120, 120));
        m->y = (uint16_t)lround(256 + unif(-150, 150));
        m->angle = (uint8_t)(rnd() & 255);
        m->type = 1;
    }
}

static float cmp(const bex_finger_template *a, const bex_finger_template *b) {
    return bex_finger_compare(a, b);
}

TEST(self_scores_high) {
    rng_state = 1;
    for (int k = 0; k < 10; k++) {
        bex_finger_template a;
        random_print(&a, 40, 260, 320);
        float s = cmp(&a, &a);
        CHECK(s >= 0.95f && s <= 1.0f);
    }
}

/* Mates turned up to 60 degrees either way score well above unrelated prints, every time.
 * (Cylinders are compared only when their minutiae's directions differ by at most
 * delta_theta, 67.5 degrees: a finger is not laid on a scanner upside down, and allowing more
 * adds work and chances for an impostor's match; FVC2002's placements stay well inside.) */
TEST(mates_beat_strangers) {
    rng_state = 2;
    double gmin = 1, gsum = 0, imax = 0, isum = 0;
    int n = 0;
    for (int k = 0; k < 24; k++) {
        bex_finger_template a, b, other;
        random_print(&a, 40, 260, 320);
        random_print(&other, 40, 260, 320);
        double deg = -60 + k * 5.0 + unif(0, 5); /* -60 .. +60 degrees */
        mate(&a, &b, deg, unif(-30, 30), unif(-30, 30), 4, 10, 0.2, 6);
        float g = cmp(&a, &b), i = cmp(&a, &other);
        gmin = g < gmin ? g : gmin;
        imax = i > imax ? i : imax;
        gsum += g;
        isum += i;
        n++;
    }
    printf("  mates: min %.3f mean %.3f; strangers: max %.3f mean %.3f\n", gmin, gsum / n, imax,
           isum / n);
    CHECK(gmin > imax);         /* every mate above every stranger */
    CHECK(gmin >= 0.08);        /* and clearly so */
    CHECK(imax <= 0.05);
    CHECK(gsum / n >= 5 * (isum / n + 0.01));
}

/* Without noise, a turned copy keeps most of the score: cylinders turn with the minutiae.
 * Upside down (beyond delta_theta) it is not a mate any more. */
TEST(rotation_invariant) {
    rng_state = 3;
    bex_finger_template a, b;
    random_print(&a, 40, 260, 320);
    const double degs[] = {0, 33, 50, 60, -17, -45, -60};
    for (size_t k = 0; k < sizeof degs / sizeof *degs; k++) {
        mate(&a, &b, degs[k], 11, -7, 0, 0, 0, 0);
        float s = cmp(&a, &b);
        if (s < 0.75f) printf("  turned %g degrees: %.3f\n", degs[k], s);
        CHECK(s >= 0.75f);
    }
    mate(&a, &b, 180, 0, 0, 0, 0, 0, 0);
    CHECK(cmp(&a, &b) < 0.2f);
}

/* A mirror image is not the same finger: ISO's counter-clockwise angles are honoured. */
TEST(mirror_is_not_a_mate) {
    rng_state = 4;
    bex_finger_template a, b;
    random_print(&a, 40, 260, 320);
    b = a;
    for (int i = 0; i < b.n; i++) {
        b.m[i].x = (uint16_t)(512 - a.m[i].x);
        b.m[i].angle = (uint8_t)(128 - a.m[i].angle);
    }
    float s = cmp(&a, &b);
    CHECK(s < 0.2f);
}

TEST(symmetric_and_in_range) {
    rng_state = 5;
    for (int k = 0; k < 20; k++) {
        bex_finger_template a, b;
        random_print(&a, 10 + (int)(rnd() % 60), 260, 320);
        if (k % 2) mate(&a, &b, unif(-60, 60), 5, 5, 4, 10, 0.3, 8);
        else random_print(&b, 10 + (int)(rnd() % 60), 260, 320);
        bex_finger_prepared *pa = NULL, *pb = NULL;
        CHECK(bex_finger_prepare(&a, &pa, NULL, 0) == BEX_OK);
        CHECK(bex_finger_prepare(&b, &pb, NULL, 0) == BEX_OK);
        float ab = bex_finger_compare_prepared(pa, pb), ba = bex_finger_compare_prepared(pb, pa);
        CHECK(ab == ba);
        CHECK(ab >= 0.0f && ab <= 1.0f);
        CHECK(ab == bex_finger_compare(&a, &b));
        bex_finger_prepared_free(pa);
        bex_finger_prepared_free(pb);
    }
}

/* Every kernel this CPU runs gives exactly the plain C kernel's scores (integer counts). */
TEST(kernels_agree) {
    const char *names[] = {"plain", "popcnt", "avx512"};
    const fm_kernel *plain = fm_kernel_by_name("plain");
    CHECK(plain != NULL);
    rng_state = 6;
    bex_finger_prepared *p[8] = {0};
    bex_finger_template base, t;
    random_print(&base, 50, 260, 320);
    for (int i = 0; i < 8; i++) {
        if (i < 4) mate(&base, &t, i * 25.0 - 40, 3, -4, 4, 10, 0.2, 5);
        else random_print(&t, 20 + i * 10, 260, 320);
        CHECK(bex_finger_prepare(&t, &p[i], NULL, 0) == BEX_OK);
    }
    int ran = 0;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const fm_kernel *kern = fm_kernel_by_name(names[k]);
        if (!kern) {
            printf("  kernel %s: not on this CPU\n", names[k]);
            continue;
        }
        ran++;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                CHECK(bex__finger_compare_with(p[i], p[j], kern) ==
                      bex__finger_compare_with(p[i], p[j], plain));
    }
    CHECK(ran >= 1);
    /* and the default one is among them */
    CHECK(bex_finger_compare_prepared(p[0], p[1]) == bex__finger_compare_with(p[0], p[1], plain));
    for (int i = 0; i < 8; i++) bex_finger_prepared_free(p[i]);
}

TEST(bad_templates_refused) {
    bex_finger_template t;
    memset(&t, 0, sizeof t);
    bex_finger_prepared *p = (bex_finger_prepared *)&t; /* must be reset to NULL on failure */
    char err[256] = "";
    t.n = -1;
    CHECK(bex_finger_prepare(&t, &p, err, sizeof err) == BEX_ERR_ARG);
    CHECK(p == NULL);
    CHECK(strstr(err, "minutiae") != NULL);
    t.n = BEX_FINGER_MAX_MINUTIAE + 1;
    CHECK(bex_finger_prepare(&t, &p, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_prepare(NULL, &p, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_prepare(&t, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_compare_prepared(NULL, NULL) == 0.0f);
    /* a print with no or too few minutiae prepares and matches nothing */
    t.n = 0;
    CHECK(bex_finger_prepare(&t, &p, err, sizeof err) == BEX_OK);
    CHECK(bex_finger_compare_prepared(p, p) == 0.0f);
    bex_finger_prepared_free(p);
    t.n = 1;
    t.m[0] = (bex_minutia){100, 100, 10, 1, 50};
    CHECK(bex_finger_compare(&t, &t) == 0.0f);
    /* all minutiae on one spot: no crash, a score in range */
    rng_state = 7;
    t.n = BEX_FINGER_MAX_MINUTIAE;
    for (int i = 0; i < t.n; i++) t.m[i] = (bex_minutia){65535, 65535, (uint8_t)rnd(), 1, 0};
    float s = bex_finger_compare(&t, &t);
    CHECK(s >= 0.0f && s <= 1.0f);
    /* and the far corners of the coordinate range */
    for (int i = 0; i < t.n; i++)
        t.m[i] = (bex_minutia){(uint16_t)(i % 2 ? 65535 : 0), (uint16_t)(i % 3 ? 65535 : 0),
                               (uint8_t)rnd(), 1, 0};
    s = bex_finger_compare(&t, &t);
    CHECK(s >= 0.0f && s <= 1.0f);
}

TEST(gallery_finds_the_mate) {
    rng_state = 8;
    bex_finger_gallery *g = bex_finger_gallery_new();
    CHECK(g != NULL);
    static bex_finger_template prints[40];
    char err[256];
    for (int i = 0; i < 40; i++) {
        random_print(&prints[i], 30 + i % 20, 260, 320);
        CHECK(bex_finger_gallery_add(g, 1000 + i, &prints[i], err, sizeof err) == BEX_OK);
    }
    CHECK(bex_finger_gallery_size(g) == 40);
    bex_finger_template probe;
    mate(&prints[17], &probe, 23, 10, -20, 4, 10, 0.2, 5);
    bex_finger_hit hits[5];
    int n = bex_finger_gallery_search(g, &probe, hits, 5);
    CHECK(n == 5);
    CHECK(hits[0].id == 1017);
    for (int i = 1; i < n; i++) CHECK(hits[i].score <= hits[i - 1].score);
    CHECK(hits[0].score == bex_finger_compare(&probe, &prints[17]));
    /* k above the size gives every entry */
    static bex_finger_hit all[64];
    CHECK(bex_finger_gallery_search(g, &probe, all, 64) == 40);
    /* removed: never a hit again; removing twice is an error */
    CHECK(bex_finger_gallery_remove(g, 1017) == BEX_OK);
    CHECK(bex_finger_gallery_remove(g, 1017) != BEX_OK);
    CHECK(bex_finger_gallery_size(g) == 39);
    n = bex_finger_gallery_search(g, &probe, all, 64);
    CHECK(n == 39);
    for (int i = 0; i < n; i++) CHECK(all[i].id != 1017);
    /* adding an id again replaces its template */
    CHECK(bex_finger_gallery_add(g, 1003, &prints[17], err, sizeof err) == BEX_OK);
    CHECK(bex_finger_gallery_size(g) == 39);
    n = bex_finger_gallery_search(g, &probe, hits, 1);
    CHECK(n == 1 && hits[0].id == 1003);
    CHECK(bex_finger_gallery_search(g, &probe, hits, 0) == 0);
    bex_finger_gallery_free(g);
    /* an empty gallery */
    g = bex_finger_gallery_new();
    CHECK(bex_finger_gallery_search(g, &probe, hits, 5) == 0);
    CHECK(bex_finger_gallery_remove(g, 1) != BEX_OK);
    bex_finger_gallery_free(g);
}

/* Searches run side by side while entries are added and removed: each finds the mate (never
 * removed) first, hits stay sorted, nothing crashes (the sanitizer build checks the memory). */
typedef struct searcher {
    bex_finger_gallery *g;
    const bex_finger_template *probe;
    int found, sorted, runs;
} searcher;

static void *search_loop(void *arg) {
    searcher *s = arg;
    for (int r = 0; r < 30; r++) {
        bex_finger_hit hits[8];
        int n = bex_finger_gallery_search(s->g, s->probe, hits, 8);
        s->runs++;
        if (n > 0 && hits[0].id == 5) s->found++;
        for (int i = 1; i < n; i++)
            if (hits[i].score > hits[i - 1].score) s->sorted = 0;
    }
    return NULL;
}

TEST(gallery_concurrent) {
    rng_state = 9;
    static bex_finger_template prints[24];
    bex_finger_gallery *g = bex_finger_gallery_new();
    char err[256];
    for (int i = 0; i < 24; i++) {
        random_print(&prints[i], 35, 260, 320);
        CHECK(bex_finger_gallery_add(g, i, &prints[i], err, sizeof err) == BEX_OK);
    }
    bex_finger_template probe;
    mate(&prints[5], &probe, -20, 5, 5, 3, 8, 0.1, 3);
    searcher s[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (searcher){g, &probe, 0, 1, 0};
        CHECK(pthread_create(&th[i], NULL, search_loop, &s[i]) == 0);
    }
    for (int r = 0; r < 60; r++) { /* churn every entry but the mate */
        int id = 6 + r % 18;
        CHECK(bex_finger_gallery_remove(g, id) == BEX_OK);
        CHECK(bex_finger_gallery_add(g, id, &prints[id], err, sizeof err) == BEX_OK);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK(s[i].runs == 30 && s[i].found == 30 && s[i].sorted);
    }
    CHECK(bex_finger_gallery_size(g) == 24);
    bex_finger_gallery_free(g);
}

/* Whatever the minutiae (duplicates, on a line, on a circle, anywhere in the coordinate
 * range, up to the maximum), preparing succeeds and scores stay in range and symmetric. */
TEST(odd_templates) {
    rng_state = 10;
    static bex_finger_template t[6];
    for (int round = 0; round < 12; round++) {
        for (int k = 0; k < 6; k++) {
            bex_finger_template *u = &t[k];
            memset(u, 0, sizeof *u);
            u->n = (int)(rnd() % (BEX_FINGER_MAX_MINUTIAE + 1));
            int shape = (int)(rnd() % 4);
            for (int i = 0; i < u->n; i++) {
                double x, y;
                if (shape == 0) x = rnd() % 65536, y = rnd() % 65536;                /* anywhere */
                else if (shape == 1) x = 100 + i * 3, y = 200;                        /* a line */
                else if (shape == 2) x = 250 + 150 * cos(i * 0.049), y = 250 + 150 * sin(i * 0.049); /* a circle */
                else x = 200 + rnd() % 4, y = 200 + rnd() % 4;                        /* a heap */
                u->m[i] = (bex_minutia){(uint16_t)x, (uint16_t)y, (uint8_t)rnd(), (uint8_t)(rnd() % 3),
                                        (uint8_t)(rnd() % 101)};
            }
        }
        for (int i = 0; i < 6; i++)
            for (int j = i; j < 6; j++) {
                float ab = bex_finger_compare(&t[i], &t[j]), ba = bex_finger_compare(&t[j], &t[i]);
                CHECK(ab >= 0.0f && ab <= 1.0f);
                CHECK(ab == ba);
            }
    }
}

/* Sparse prints (12 minutiae, a small or dry capture): a few chance-compatible pairs of two
 * strangers must not lift each other to a mate's score. The relaxation averages a pair's
 * support over at least rel_min_norm others for this; with the paper's nR - 1 the worst
 * stranger comes much closer to the mates. */
static void sparse_scores(double *imax, double *gmean) {
    rng_state = 11;
    *imax = 0;
    *gmean = 0;
    for (int k = 0; k < 60; k++) {
        bex_finger_template a, b, other;
        random_print(&a, 12, 200, 240);
        random_print(&other, 12, 200, 240);
        mate(&a, &b, unif(-30, 30), unif(-20, 20), unif(-20, 20), 3, 8, 0.0, 0);
        double i = cmp(&a, &other), g = cmp(&a, &b);
        if (i > *imax) *imax = i;
        *gmean += g / 60;
    }
}

TEST(sparse_strangers_stay_low) {
    double imax, gmean;
    sparse_scores(&imax, &gmean);
    printf("  sparse: strangers max %.3f, mates mean %.3f\n", imax, gmean);
    CHECK(imax < gmean / 4);
    fm_params *p = bex__finger_match_params(), keep = *p;
    p->rel_min_norm = 0; /* the paper's normalisation, for comparison */
    bex__finger_match_retune();
    double imax0, gmean0;
    sparse_scores(&imax0, &gmean0);
    printf("  the paper's normalisation: strangers max %.3f, mates mean %.3f\n", imax0, gmean0);
    *p = keep;
    bex__finger_match_retune();
    CHECK(imax / gmean < imax0 / gmean0);
}

/* Equal scores come out by smaller id first, whatever the order entries were added in. */
TEST(gallery_ties_by_id) {
    rng_state = 12;
    bex_finger_template a, probe;
    random_print(&a, 35, 260, 320);
    mate(&a, &probe, 10, 3, 3, 2, 5, 0.1, 2);
    bex_finger_gallery *g = bex_finger_gallery_new();
    char err[256];
    const int64_t ids[] = {907, 12, 450, -3, 77};
    for (int i = 0; i < 5; i++) CHECK(bex_finger_gallery_add(g, ids[i], &a, err, sizeof err) == BEX_OK);
    bex_finger_hit hits[5];
    CHECK(bex_finger_gallery_search(g, &probe, hits, 5) == 5);
    const int64_t want[] = {-3, 12, 77, 450, 907};
    for (int i = 0; i < 5; i++) {
        CHECK(hits[i].id == want[i]);
        CHECK(hits[i].score == hits[0].score);
    }
    CHECK(hits[0].score > 0.1f);
    bex_finger_gallery_free(g);
}

int main(void) {
    RUN(self_scores_high);
    RUN(mates_beat_strangers);
    RUN(rotation_invariant);
    RUN(mirror_is_not_a_mate);
    RUN(symmetric_and_in_range);
    RUN(kernels_agree);
    RUN(bad_templates_refused);
    RUN(odd_templates);
    RUN(sparse_strangers_stay_low);
    RUN(gallery_finds_the_mate);
    RUN(gallery_concurrent);
    RUN(gallery_ties_by_id);
    return test_summary();
}
