/*
 * test_quality.c - capture quality (bex/quality.h): a good LFW face scores high with no
 * problem, and each defect made to it on purpose (dark, bright, blurred, small, rolled, mirrored)
 * is named. Needs models/ for detection; SKIPs without it.
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "bex/face.h"
#include "bex/quality.h"
#include "test.h"

#define MODELS "models"
#define GOOD TEST_DATA("lfw/Akhmed_Zakayev_0001.jpg")   /* frontal, even light */
#define TURNED TEST_DATA("lfw/Emmanuelle_Beart_0003.jpg") /* yaw ~ -13 degrees */

static bex_engine *eng;

static int has(const bex_quality *q, bex_quality_problem p) {
    for (int i = 0; i < q->n_problems; i++)
        if (q->problems[i] == p) return 1;
    return 0;
}

static void show(const char *what, const bex_quality *q) {
    printf("  %-8s score %5.1f ied %5.1f yaw %6.1f pitch %6.1f roll %6.1f sharp %5.1f bright %5.1f "
           "contrast %5.1f:", what, q->score, q->eye_distance_px, q->yaw_deg, q->pitch_deg,
           q->roll_deg, q->sharpness, q->brightness, q->contrast);
    for (int i = 0; i < q->n_problems; i++) printf(" %s", bex_quality_problem_name(q->problems[i]));
    printf("\n");
}

/* Detects the largest face and measures it; 0 if no face was found. */
static int measure(const bex_image *img, bex_quality *q) {
    bex_face f[4];
    int n = 0;
    char err[256];
    if (bex_detect(eng, img, f, 4, &n, err, sizeof err) != BEX_OK || n < 1) return 0;
    return bex_face_quality(img, &f[0], NULL, q, err, sizeof err) == BEX_OK;
}

static int load(const char *path, bex_image *img) {
    return bex_image_load(path, NULL, img, NULL, 0) == BEX_OK;
}

static bex_image blank(int w, int h) {
    bex_image o = {w, h, calloc((size_t)w * h * 3, 1)};
    return o;
}

/* ---- image edits ----------------------------------------------------------------------- */

static void box_blur(bex_image *img) { /* 3x3 box, edges clamped */
    int w = img->width, h = img->height;
    uint8_t *t = malloc((size_t)w * h * 3);
    memcpy(t, img->px, (size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                        int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                        s += t[((size_t)yy * w + xx) * 3 + c];
                    }
                img->px[((size_t)y * w + x) * 3 + c] = (uint8_t)((s + 4) / 9);
            }
    free(t);
}

static bex_image downscale(const bex_image *s, int k) { /* area average, k x k cells */
    bex_image o = blank(s->width / k, s->height / k);
    for (int y = 0; y < o.height; y++)
        for (int x = 0; x < o.width; x++)
            for (int c = 0; c < 3; c++) {
                int sum = 0;
                for (int dy = 0; dy < k; dy++)
                    for (int dx = 0; dx < k; dx++)
                        sum += s->px[((size_t)(y * k + dy) * s->width + x * k + dx) * 3 + c];
                o.px[((size_t)y * o.width + x) * 3 + c] = (uint8_t)((sum + k * k / 2) / (k * k));
            }
    return o;
}

/* The content turned clockwise (as displayed) by deg about the centre, bilinear, grey fill. */
static bex_image rotate(const bex_image *s, double deg) {
    bex_image o = blank(s->width, s->height);
    double a = deg * M_PI / 180, ca = cos(a), sa = sin(a);
    double cx = (s->width - 1) / 2.0, cy = (s->height - 1) / 2.0;
    for (int v = 0; v < o.height; v++)
        for (int u = 0; u < o.width; u++) {
            double du = u - cx, dv = v - cy;
            double x = ca * du + sa * dv + cx, y = -sa * du + ca * dv + cy;
            int x0 = (int)floor(x), y0 = (int)floor(y);
            double fx = x - x0, fy = y - y0;
            for (int c = 0; c < 3; c++) {
                double acc = 0;
                for (int j = 0; j < 2; j++)
                    for (int i = 0; i < 2; i++) {
                        int xx = x0 + i, yy = y0 + j;
                        double p = (xx < 0 || yy < 0 || xx >= s->width || yy >= s->height)
                                       ? 128 : s->px[((size_t)yy * s->width + xx) * 3 + c];
                        acc += p * (i ? fx : 1 - fx) * (j ? fy : 1 - fy);
                    }
                o.px[((size_t)v * o.width + u) * 3 + c] = (uint8_t)lround(acc);
            }
        }
    return o;
}

/* ---- tests ----------------------------------------------------------------------------- */

static bex_quality good_q;
static bex_face good_face; /* the good photo's face, for edits that keep the geometry */
static int good_ok;

TEST(good_face_scores_high) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_image img;
    CHECK(load(GOOD, &img));
    bex_face f[4];
    int n = 0;
    CHECK(bex_detect(eng, &img, f, 4, &n, NULL, 0) == BEX_OK && n >= 1);
    if (n < 1) return;
    good_face = f[0];
    good_ok = bex_face_quality(&img, &good_face, NULL, &good_q, NULL, 0) == BEX_OK;
    CHECK(good_ok);
    show("good", &good_q);
    CHECK(good_q.score > 60);
    CHECK(good_q.n_problems == 0);
    CHECK(good_q.eye_distance_px > 30 && good_q.eye_distance_px < 60);
    CHECK(fabsf(good_q.roll_deg) < 5 && fabsf(good_q.yaw_deg) < 10 && fabsf(good_q.pitch_deg) < 15);
    CHECK(good_q.brightness > 80 && good_q.brightness < 180);
    CHECK(good_q.inside == 1.0f);
    bex_image_free(&img);
}

TEST(dark_is_too_dark) {
    if (!eng || !good_ok) SKIP("needs models/ and the good face");
    bex_image img;
    CHECK(load(GOOD, &img));
    for (size_t i = 0; i < (size_t)img.width * img.height * 3; i++)
        img.px[i] = (uint8_t)lround(img.px[i] * 0.2);
    /* the detector no longer finds this face; scaling pixels moves nothing, so the quality is
     * measured at the original's box and landmarks */
    bex_quality q;
    CHECK(bex_face_quality(&img, &good_face, NULL, &q, NULL, 0) == BEX_OK);
    show("dark", &q);
    CHECK(has(&q, BEX_QUALITY_TOO_DARK));
    CHECK(!has(&q, BEX_QUALITY_TOO_BRIGHT));
    CHECK(q.brightness < good_q.brightness * 0.3f);
    CHECK(q.score < good_q.score - 20);
    bex_image_free(&img);
}

TEST(bright_is_too_bright) {
    if (!eng || !good_ok) SKIP("needs models/ and the good face");
    bex_image img;
    CHECK(load(GOOD, &img));
    for (size_t i = 0; i < (size_t)img.width * img.height * 3; i++) {
        int v = img.px[i] * 2 + 40;
        img.px[i] = (uint8_t)(v > 255 ? 255 : v);
    }
    bex_quality q;
    CHECK(measure(&img, &q));
    show("bright", &q);
    CHECK(has(&q, BEX_QUALITY_TOO_BRIGHT));
    CHECK(!has(&q, BEX_QUALITY_TOO_DARK));
    CHECK(q.overexposed > 0.2f);
    CHECK(q.score < good_q.score - 20);
    bex_image_free(&img);
}

TEST(blur_is_blurred) {
    if (!eng || !good_ok) SKIP("needs models/ and the good face");
    bex_image img;
    CHECK(load(GOOD, &img));
    for (int i = 0; i < 4; i++) box_blur(&img);
    bex_quality q;
    CHECK(measure(&img, &q));
    show("blurred", &q);
    CHECK(has(&q, BEX_QUALITY_BLURRED));
    CHECK(q.sharpness < good_q.sharpness * 0.6f);
    CHECK(!has(&q, BEX_QUALITY_TOO_DARK) && !has(&q, BEX_QUALITY_TOO_BRIGHT));
    CHECK(q.score < good_q.score - 20);
    bex_image_free(&img);
}

TEST(small_face_move_closer) {
    if (!eng || !good_ok) SKIP("needs models/ and the good face");
    bex_image img;
    CHECK(load(GOOD, &img));
    bex_image s = downscale(&img, 4);
    bex_quality q;
    CHECK(measure(&s, &q));
    show("1/4", &q);
    CHECK(has(&q, BEX_QUALITY_TOO_SMALL));
    CHECK_NEAR(q.eye_distance_px, good_q.eye_distance_px / 4, 3);
    CHECK(!strcmp(bex_quality_problem_message(BEX_QUALITY_TOO_SMALL), "Move closer to the camera"));
    bex_image_free(&s);
    bex_image_free(&img);
}

TEST(rotated_hold_head_straight) {
    if (!eng || !good_ok) SKIP("needs models/ and the good face");
    bex_image img;
    CHECK(load(GOOD, &img));
    bex_image r = rotate(&img, 25);
    bex_quality q;
    CHECK(measure(&r, &q));
    show("rot+25", &q);
    CHECK(has(&q, BEX_QUALITY_ROLL));
    CHECK_NEAR(q.roll_deg, 25, 5);
    bex_image_free(&r);
    r = rotate(&img, -25);
    CHECK(measure(&r, &q));
    show("rot-25", &q);
    CHECK(has(&q, BEX_QUALITY_ROLL));
    CHECK_NEAR(q.roll_deg, -25, 5);
    bex_image_free(&r);
    bex_image_free(&img);
}

TEST(mirror_flips_yaw) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_image img;
    CHECK(load(TURNED, &img));
    bex_quality a, b;
    CHECK(measure(&img, &a));
    show("turned", &a);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width / 2; x++)
            for (int c = 0; c < 3; c++) {
                uint8_t *p = img.px + ((size_t)y * img.width + x) * 3 + c;
                uint8_t *m = img.px + ((size_t)y * img.width + img.width - 1 - x) * 3 + c;
                uint8_t t = *p;
                *p = *m;
                *m = t;
            }
    CHECK(measure(&img, &b));
    show("mirror", &b);
    CHECK(fabsf(a.yaw_deg) > 5); /* the fixture is turned, so the sign means something */
    CHECK(a.yaw_deg * b.yaw_deg < 0);
    CHECK_NEAR(a.yaw_deg, -b.yaw_deg, 5);
    CHECK_NEAR(a.roll_deg, -b.roll_deg, 2);
    CHECK_NEAR(a.pitch_deg, b.pitch_deg, 5);
    bex_image_free(&img);
}

TEST(face_outside_the_photo) { /* no engine needed: a made-up face hanging off the left edge */
    bex_image img = blank(100, 100);
    memset(img.px, 120, 100 * 100 * 3);
    bex_face f;
    memset(&f, 0, sizeof f);
    f.box[0] = -40, f.box[1] = 20, f.box[2] = 60, f.box[3] = 60;
    for (int i = 0; i < BEX_LANDMARKS; i++) {
        f.landmarks[i][0] = -35 + (float)(i % 17) * 3.5f;
        f.landmarks[i][1] = 25 + (float)(i / 17) * 12;
    }
    bex_quality q;
    CHECK(bex_face_quality(&img, &f, NULL, &q, NULL, 0) == BEX_OK);
    CHECK(has(&q, BEX_QUALITY_FACE_OUTSIDE));
    CHECK(q.problems[0] == BEX_QUALITY_FACE_OUTSIDE);
    CHECK(q.inside < 1);
    CHECK(q.score >= 0 && q.score <= 100);
    bex_image_free(&img);
}

TEST(argument_errors) {
    bex_image img = blank(8, 8);
    bex_face f;
    memset(&f, 0, sizeof f);
    bex_quality q;
    char err[128] = "";
    CHECK(bex_face_quality(NULL, &f, NULL, &q, err, sizeof err) == BEX_ERR_ARG);
    CHECK(strlen(err) > 0);
    CHECK(bex_face_quality(&img, NULL, NULL, &q, NULL, 0) == BEX_ERR_ARG);
    CHECK(bex_face_quality(&img, &f, NULL, NULL, NULL, 0) == BEX_ERR_ARG);
    bex_image empty = {0, 0, NULL};
    CHECK(bex_face_quality(&empty, &f, NULL, &q, NULL, 0) == BEX_ERR_ARG);
    f.landmarks[3][1] = NAN;
    CHECK(bex_face_quality(&img, &f, NULL, &q, NULL, 0) == BEX_ERR_ARG);
    f.landmarks[3][1] = 0;
    bex_quality_options o;
    bex_quality_options_default(&o);
    o.max_overexposed = 2;
    CHECK(bex_face_quality(&img, &f, &o, &q, NULL, 0) == BEX_ERR_ARG);
    o.max_overexposed = 0.2f;
    o.min_sharpness = -1;
    CHECK(bex_face_quality(&img, &f, &o, &q, NULL, 0) == BEX_ERR_ARG);
    o.min_sharpness = 0; /* zero thresholds are allowed */
    CHECK(bex_face_quality(&img, &f, &o, &q, NULL, 0) == BEX_OK);
    CHECK(isfinite(q.score));
    bex_image_free(&img);
}

TEST(problem_strings) {
    for (int c = 0; c < BEX_QUALITY_PROBLEM_COUNT; c++) {
        CHECK(bex_quality_problem_message(c) && strlen(bex_quality_problem_message(c)) > 0);
        CHECK(bex_quality_problem_name(c) && strlen(bex_quality_problem_name(c)) > 0);
    }
    CHECK(!strcmp(bex_quality_problem_name(BEX_QUALITY_TOO_DARK), "too_dark"));
    CHECK(!strcmp(bex_quality_problem_message(-1), "Unknown problem"));
    CHECK(!strcmp(bex_quality_problem_name(BEX_QUALITY_PROBLEM_COUNT), "unknown"));
}

int main(void) {
    if (access(MODELS "/ssd_mobilenetv1_model.bin", R_OK) == 0) {
        char err[256];
        if (bex_engine_open(MODELS, NULL, &eng, err, sizeof err) != BEX_OK) printf("models: %s\n", err);
    }
    RUN(good_face_scores_high);
    RUN(dark_is_too_dark);
    RUN(bright_is_too_bright);
    RUN(blur_is_blurred);
    RUN(small_face_move_closer);
    RUN(rotated_hold_head_straight);
    RUN(mirror_flips_yaw);
    RUN(face_outside_the_photo);
    RUN(argument_errors);
    RUN(problem_strings);
    bex_engine_close(eng);
    return test_summary();
}
