/*
 * test_finger_extract.c - the minutiae extractor (bex_finger_extract, bex_finger_enrol_check,
 * bex_finger_problem_code in include/bex/finger.h) on the FVC2002 fixtures of
 * tests/data/finger/: sane minutiae counts inside the image; directions that follow the print
 * when it is turned by exactly 90 degrees; blank, black and noise images refused with the right
 * problems; a print cut in half flagged partial; a blurred and noised copy scored lower than
 * the original; bad arguments and failed allocations reported, never a crash.
 */
#include <stdint.h>

#include "bex/finger.h"
#include "test.h"
#include "util/util.h"

static const struct {
    const char *name;
    int ppi;
} FIX[] = {
    {"fvc2002_DB1_B_101_1.tif", 500}, {"fvc2002_DB1_B_101_2.tif", 500},
    {"fvc2002_DB1_B_101_3.tif", 500}, {"fvc2002_DB1_B_102_1.tif", 500},
    {"fvc2002_DB2_B_101_1.tif", 569}, {"fvc2002_DB2_B_101_2.tif", 569},
    {"fvc2002_DB3_B_101_1.tif", 500}, {"fvc2002_DB3_B_101_2.tif", 500},
    {"fvc2002_DB4_B_101_1.tif", 500}, {"fvc2002_DB4_B_101_2.tif", 500},
};
#define NFIX ((int)(sizeof FIX / sizeof FIX[0]))

static int load(int i, bex_finger_image *img) {
    char path[256], err[256];
    snprintf(path, sizeof path, "%s%s", TEST_DATA("finger/"), FIX[i].name);
    int rc = bex_finger_image_load(path, FIX[i].ppi, NULL, img, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    return rc == BEX_OK;
}

/* An image of w x h px at 500 ppi owned by the caller (free px). */
static bex_finger_image make(int w, int h) {
    bex_finger_image im = {w, h, 500, BEX_PPI_DECLARED, malloc((size_t)w * h)};
    return im;
}

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static bex_finger_template tpl; /* large: keep off the stack */

TEST(fixtures_give_sane_minutiae) {
    for (int i = 0; i < NFIX; i++) {
        bex_finger_image img;
        char err[256];
        if (!load(i, &img)) {
            CHECK(0);
            continue;
        }
        CHECK(bex_finger_extract(&img, 2, &tpl, err, sizeof err) == BEX_OK);
        int w500 = (int)(img.width * 500.0 / FIX[i].ppi + 0.5);
        CHECK(abs(tpl.width - w500) <= 1);
        CHECK(tpl.finger_position == 2);
        CHECK(tpl.n >= 12 && tpl.n <= 100);
        CHECK(tpl.quality >= 40 && tpl.quality <= 100);
        CHECK(tpl.area_px > 20000 && tpl.area_px <= tpl.width * tpl.height);
        CHECK(!(tpl.problems & (BEX_FINGER_SMALL_AREA | BEX_FINGER_FEW_MINUTIAE |
                                BEX_FINGER_LOW_CONTRAST)));
        int ends = 0, bifs = 0, ordered = 1;
        for (int k = 0; k < tpl.n; k++) {
            const bex_minutia *m = &tpl.m[k];
            CHECK(m->x < tpl.width && m->y < tpl.height);
            /* The extractor keeps minutiae 11 px inside the print and the image. */
            CHECK(m->x >= 10 && m->y >= 10 && m->x < tpl.width - 10 && m->y < tpl.height - 10);
            CHECK(m->quality >= 1 && m->quality <= 100);
            CHECK(m->type == BEX_MINUTIA_ENDING || m->type == BEX_MINUTIA_BIFURCATION);
            ends += m->type == BEX_MINUTIA_ENDING, bifs += m->type == BEX_MINUTIA_BIFURCATION;
            if (k && m->quality > tpl.m[k - 1].quality) ordered = 0;
        }
        CHECK(ordered); /* best quality first */
        CHECK(ends > 0 && bifs > 0);
        CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_OK);
        bex_finger_image_free(&img);
    }
}

/* The print turned 90 degrees clockwise on the screen: (x, y) -> (h-1-y, x). In ISO's
 * counter-clockwise angles each direction turns by -64 units. */
TEST(rotation_by_90_degrees_turns_directions) {
    bex_finger_image img;
    char err[256];
    if (!load(0, &img)) {
        CHECK(0);
        return;
    }
    bex_finger_image rot = make(img.height, img.width);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            rot.px[(size_t)x * rot.width + (img.height - 1 - y)] = img.px[(size_t)y * img.width + x];
    static bex_finger_template r;
    CHECK(bex_finger_extract(&img, 0, &tpl, err, sizeof err) == BEX_OK);
    CHECK(bex_finger_extract(&rot, 0, &r, err, sizeof err) == BEX_OK);
    int matched = 0, agree = 0;
    for (int i = 0; i < tpl.n; i++) {
        int ex = img.height - 1 - tpl.m[i].y, ey = tpl.m[i].x, best = -1, bd = 6 * 6 + 1;
        for (int j = 0; j < r.n; j++) {
            int dx = r.m[j].x - ex, dy = r.m[j].y - ey;
            if (dx * dx + dy * dy < bd) bd = dx * dx + dy * dy, best = j;
        }
        if (best < 0) continue;
        matched++;
        int want = (tpl.m[i].angle - 64 + 256) % 256;
        int d = abs(r.m[best].angle - want);
        if (d > 128) d = 256 - d;
        agree += d <= 12; /* 17 degrees */
    }
    printf("  %d of %d minutiae found again after the turn, %d with the turned direction\n",
           matched, tpl.n, agree);
    CHECK(matched >= tpl.n * 6 / 10);
    CHECK(agree >= matched * 8 / 10);
    free(rot.px);
    bex_finger_image_free(&img);
}

/* A synthetic print with one minutia: horizontal ridges of period 9 px whose phase turns once
 * around the centre (phase 2 pi (y - c) / 9 + atan2(y - c, x - c)), so that the right half holds
 * one ridge more than the left and a dark ridge runs in from the right along y = c and stops at
 * the centre. ANSI/NIST-ITL's three-ray rule (which ISO/IEC 19794-2 shares) makes a ridge
 * ending point from its end back along its ridge, here East; ISO's angle turns
 * counter-clockwise from the x axis with y up. flip mirrors the image (the ridge comes from the
 * West: 128), turn turns it 90 degrees counter-clockwise on the screen (from the North: 64);
 * invert swaps ridges and valleys (a bifurcation). */
static void one_minutia(int invert, int flip, int turn, int want) {
    int n = 256, c = 128;
    bex_finger_image im = make(n, n);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double psi = 2 * M_PI * (y - c) / 9.0 + atan2(y - c, x - c);
            int v = (int)lrint(128 - (invert ? -100 : 100) * cos(psi)); /* cos 1: dark, a ridge */
            int ox = flip ? n - 1 - x : x, oy = y;
            if (turn) { /* counter-clockwise: (x, y) -> (y, n-1-x) */
                int t = ox;
                ox = oy, oy = n - 1 - t;
            }
            im.px[(size_t)oy * n + ox] = (uint8_t)v;
        }
    char err[256];
    CHECK(bex_finger_extract(&im, 0, &tpl, err, sizeof err) == BEX_OK);
    int found = 0;
    for (int i = 0; i < tpl.n; i++) {
        int dx = tpl.m[i].x - c, dy = tpl.m[i].y - c;
        if (dx * dx + dy * dy > 10 * 10) continue;
        found++;
        CHECK(tpl.m[i].type == (invert ? BEX_MINUTIA_BIFURCATION : BEX_MINUTIA_ENDING));
        int d = abs(tpl.m[i].angle - want);
        if (d > 128) d = 256 - d;
        CHECK(d <= 8);
        printf("  %s at (%d, %d), angle %d (want %d)\n", invert ? "bifurcation" : "ridge ending",
               tpl.m[i].x, tpl.m[i].y, tpl.m[i].angle, want);
    }
    CHECK(found == 1);
    free(im.px);
}

TEST(minutia_directions_follow_iso) {
    one_minutia(0, 0, 0, 0);   /* ridge from the East */
    one_minutia(0, 1, 0, 128); /* from the West */
    one_minutia(0, 0, 1, 64);  /* from the North (up in the image) */
    one_minutia(0, 1, 1, 192); /* from the South */
    /* Inverted, a valley ends there: a ridge from the West forks around it, and the
     * bifurcation points between its branches, East. */
    one_minutia(1, 0, 0, 0);
    one_minutia(1, 0, 1, 64);
}

static void check_refused(const bex_finger_image *im, const char *what) {
    char err[256];
    CHECK(bex_finger_extract(im, 0, &tpl, err, sizeof err) == BEX_OK);
    CHECK(tpl.problems & BEX_FINGER_FEW_MINUTIAE);
    CHECK(tpl.problems & BEX_FINGER_SMALL_AREA);
    CHECK(tpl.quality < 20);
    CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_ERR_LOW_QUALITY);
    CHECK(strstr(err, "cannot enrol") != NULL);
    printf("  %s: problems 0x%x quality %d: %s\n", what, (unsigned)tpl.problems, tpl.quality, err);
}

TEST(blank_black_and_noise_images_are_refused) {
    bex_finger_image im = make(300, 300);
    memset(im.px, 255, 300 * 300);
    check_refused(&im, "white");
    CHECK(tpl.problems & BEX_FINGER_LOW_CONTRAST);
    memset(im.px, 0, 300 * 300);
    check_refused(&im, "black");
    uint32_t s = 7;
    for (int i = 0; i < 300 * 300; i++) im.px[i] = (uint8_t)(lcg(&s) & 255);
    check_refused(&im, "noise");
    free(im.px);
    bex_finger_image tiny = make(20, 20);
    memset(tiny.px, 128, 400);
    check_refused(&tiny, "20 x 20 px");
    free(tiny.px);
}

/* The upper half of a print is cut away: what is left runs into the image's top edge. */
TEST(half_print_is_partial) {
    bex_finger_image img;
    char err[256];
    if (!load(0, &img)) { /* DB1 101_1: the print inside the image but for a sliver */
        CHECK(0);
        return;
    }
    CHECK(bex_finger_extract(&img, 0, &tpl, err, sizeof err) == BEX_OK);
    CHECK(!(tpl.problems & BEX_FINGER_PARTIAL));
    int keep = img.height / 2;
    bex_finger_image half = make(img.width, keep);
    memcpy(half.px, img.px + (size_t)(img.height - keep) * img.width, (size_t)keep * img.width);
    CHECK(bex_finger_extract(&half, 0, &tpl, err, sizeof err) == BEX_OK);
    CHECK(tpl.problems & BEX_FINGER_PARTIAL);
    free(half.px);
    bex_finger_image_free(&img);
}

/* A 5 x 5 box blur and strong noise lower the score of every good fixture. */
TEST(degraded_copy_scores_lower) {
    for (int i = 0; i < NFIX; i += 2) {
        bex_finger_image img;
        char err[256];
        if (!load(i, &img)) {
            CHECK(0);
            continue;
        }
        CHECK(bex_finger_extract(&img, 0, &tpl, err, sizeof err) == BEX_OK);
        int good = tpl.quality;
        bex_finger_image bad = make(img.width, img.height);
        bad.ppi = img.ppi;
        uint32_t s = 99;
        for (int y = 0; y < img.height; y++)
            for (int x = 0; x < img.width; x++) {
                int sum = 0, n = 0;
                for (int dy = -2; dy <= 2; dy++)
                    for (int dx = -2; dx <= 2; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= img.width || yy >= img.height) continue;
                        sum += img.px[(size_t)yy * img.width + xx], n++;
                    }
                int v = sum / n + (int)(lcg(&s) % 121) - 60;
                bad.px[(size_t)y * img.width + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        CHECK(bex_finger_extract(&bad, 0, &tpl, err, sizeof err) == BEX_OK);
        printf("  %s: quality %d, degraded %d\n", FIX[i].name, good, tpl.quality);
        CHECK(tpl.quality < good);
        free(bad.px);
        bex_finger_image_free(&img);
    }
}

TEST(problem_codes) {
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_TOO_DRY), "too_dry") == 0);
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_TOO_WET), "too_wet") == 0);
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_PARTIAL), "partial") == 0);
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_SMALL_AREA), "small_area") == 0);
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_FEW_MINUTIAE), "few_minutiae") == 0);
    CHECK(strcmp(bex_finger_problem_code(BEX_FINGER_LOW_CONTRAST), "low_contrast") == 0);
    CHECK(bex_finger_problem_code(1u << 20) == NULL);
    CHECK(bex_finger_problem_code(0) == NULL);
}

TEST(enrol_check_reasons) {
    char err[256];
    memset(&tpl, 0, sizeof tpl);
    tpl.area_px = 80000, tpl.quality = 80, tpl.n = 30;
    CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_OK);
    tpl.n = 5;
    CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_ERR_LOW_QUALITY);
    CHECK(strstr(err, "too few minutiae") != NULL);
    tpl.n = 30, tpl.area_px = 1000;
    CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_ERR_LOW_QUALITY);
    CHECK(strstr(err, "too little of the print") != NULL);
    tpl.area_px = 80000, tpl.quality = 5, tpl.problems = BEX_FINGER_TOO_DRY;
    CHECK(bex_finger_enrol_check(&tpl, err, sizeof err) == BEX_ERR_LOW_QUALITY);
    CHECK(strstr(err, "dry") != NULL);
    CHECK(bex_finger_enrol_check(NULL, err, sizeof err) == BEX_ERR_ARG);
}

TEST(bad_arguments) {
    char err[256];
    bex_finger_image im = make(64, 64);
    memset(im.px, 200, 64 * 64);
    CHECK(bex_finger_extract(NULL, 0, &tpl, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_extract(&im, 0, NULL, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_finger_extract(&im, 11, &tpl, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strstr(err, "finger position") != NULL);
    im.ppi = 0;
    CHECK(bex_finger_extract(&im, 0, &tpl, err, sizeof err) == BEX_ERR_ARG);
    im.ppi = 500, im.width = 0;
    CHECK(bex_finger_extract(&im, 0, &tpl, err, sizeof err) == BEX_ERR_ARG);
    free(im.px);
    bex_finger_image wide = make(2600, 40); /* more than 5 inches: a slap, not a finger */
    memset(wide.px, 200, 2600 * 40);
    CHECK(bex_finger_extract(&wide, 0, &tpl, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(strstr(err, "2600") != NULL);
    free(wide.px);
}

/* Odd sizes and odd content (stripes, checkerboards, noise, a single dark line) never break the
 * extractor: every template is consistent with its image. */
TEST(odd_images_give_consistent_templates) {
    uint32_t s = 12345;
    for (int k = 0; k < 24; k++) {
        int w = 30 + (int)(lcg(&s) % 200), h = 30 + (int)(lcg(&s) % 200);
        bex_finger_image im = make(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v;
                switch (k % 4) {
                case 0: v = ((x + y / 2) / 4) % 2 ? 220 : 30; break;    /* slanted stripes */
                case 1: v = ((x / 5) + (y / 5)) % 2 ? 255 : 0; break;   /* checkerboard */
                case 2: v = (int)(lcg(&s) & 255); break;                /* noise */
                default: v = x == w / 2 ? 0 : 255; break;               /* one dark line */
                }
                im.px[(size_t)y * w + x] = (uint8_t)v;
            }
        char err[256];
        CHECK(bex_finger_extract(&im, 0, &tpl, err, sizeof err) == BEX_OK);
        CHECK(tpl.width == w && tpl.height == h);
        CHECK(tpl.n >= 0 && tpl.n <= BEX_FINGER_MAX_MINUTIAE);
        CHECK(tpl.area_px >= 0 && tpl.area_px <= w * h);
        for (int i = 0; i < tpl.n; i++) CHECK(tpl.m[i].x < w && tpl.m[i].y < h);
        free(im.px);
    }
}

TEST(failed_allocations_are_reported) {
    bex_finger_image img;
    char err[256];
    if (!load(8, &img)) {
        CHECK(0);
        return;
    }
    int nomem = 0;
    for (long k = 1; k <= 40; k++) {
        bex__alloc_fail_after(k);
        int rc = bex_finger_extract(&img, 0, &tpl, err, sizeof err);
        bex__alloc_fail_after(0);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        nomem += rc == BEX_ERR_NOMEM;
    }
    CHECK(nomem > 10);
    bex_finger_image_free(&img);
}

int main(void) {
    RUN(fixtures_give_sane_minutiae);
    RUN(rotation_by_90_degrees_turns_directions);
    RUN(minutia_directions_follow_iso);
    RUN(blank_black_and_noise_images_are_refused);
    RUN(half_print_is_partial);
    RUN(degraded_copy_scores_lower);
    RUN(problem_codes);
    RUN(enrol_check_reasons);
    RUN(bad_arguments);
    RUN(odd_images_give_consistent_templates);
    RUN(failed_allocations_are_reported);
    return test_summary();
}
