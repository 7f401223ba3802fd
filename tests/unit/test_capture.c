/*
 * test_capture.c - from a photo's bytes to a template or a capture outcome (bex_capture_photo),
 * every face of a photo (bex_capture_all, bex_capture_photo_all), and a small second face that
 * must not change the traveller's capture. Composites are built here from the LFW fixtures with
 * the library's own image functions (padding, bilinear resize) and handed over as PPM bytes, so
 * no fixture file is added. Needs models/ for the faces; SKIPs without it.
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "bex/face.h"
#include "bex/quality.h"
#include "image/transform.h"
#include "test.h"

#define MODELS "models"
#define LFW(name) TEST_DATA("lfw/" name ".jpg")
#define GOOD LFW("Akhmed_Zakayev_0001")      /* one frontal face */
#define SECOND LFW("Candice_Bergen_0001")    /* the face pasted in as someone else's */

static bex_engine *eng;

/* ---- images and bytes ------------------------------------------------------------------ */

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int load(const char *path, bex_image *img) {
    char err[256];
    int rc = bex_image_load(path, NULL, img, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    return rc == BEX_OK;
}

/* The image as PPM (P6) bytes: what bex_capture_photo takes, with no encoder needed. */
static uint8_t *ppm(const bex_image *img, size_t *len) {
    char head[64];
    int h = snprintf(head, sizeof head, "P6\n%d %d\n255\n", img->width, img->height);
    size_t px = (size_t)img->width * img->height * 3;
    uint8_t *b = malloc((size_t)h + px);
    memcpy(b, head, (size_t)h);
    memcpy(b + h, img->px, px);
    *len = (size_t)h + px;
    return b;
}

/* A copy of the crop [x, y, w, h] of src (clamped to it), resized to out_w x out_h with the
 * library's TensorFlow bilinear resize. */
static bex_image crop_resize(const bex_image *src, int x, int y, int w, int h, int out_w, int out_h) {
    if (x < 0) w += x, x = 0;
    if (y < 0) h += y, y = 0;
    if (x + w > src->width) w = src->width - x;
    if (y + h > src->height) h = src->height - y;
    bex_image c = {w, h, malloc((size_t)w * h * 3)};
    for (int r = 0; r < h; r++)
        memcpy(c.px + (size_t)r * w * 3, src->px + ((size_t)(y + r) * src->width + x) * 3, (size_t)w * 3);
    float *f = malloc(sizeof(float) * (size_t)out_w * out_h * 3);
    bex_image o = {out_w, out_h, malloc((size_t)out_w * out_h * 3)};
    CHECK(bex__image_resize_bilinear_f32(&c, out_w, out_h, f) == BEX_OK);
    for (size_t i = 0; i < (size_t)out_w * out_h * 3; i++) {
        float v = roundf(f[i]);
        o.px[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    free(f);
    bex_image_free(&c);
    return o;
}

static void paste(bex_image *dst, const bex_image *src, int x0, int y0) {
    for (int y = 0; y < src->height; y++)
        for (int x = 0; x < src->width; x++) {
            int X = x0 + x, Y = y0 + y;
            if (X < 0 || Y < 0 || X >= dst->width || Y >= dst->height) continue;
            memcpy(dst->px + ((size_t)Y * dst->width + X) * 3, src->px + ((size_t)y * src->width + x) * 3, 3);
        }
}

static bex_image canvas(int w, int h, uint8_t grey) {
    bex_image o = {w, h, malloc((size_t)w * h * 3)};
    memset(o.px, grey, (size_t)w * h * 3);
    return o;
}

/* The largest face of an LFW fixture, cut out with a margin of 15% of its box on each side
 * (or the whole photo, when whole) and scaled so that the face is face_w px wide. */
static bex_image face_scaled(const char *path, float face_w, int whole) {
    bex_image img, none = {0, 0, NULL};
    if (!load(path, &img)) return none;
    bex_face f[4];
    int n = 0;
    CHECK(bex_detect(eng, &img, f, 4, &n, NULL, 0) == BEX_OK && n >= 1);
    if (n < 1) { bex_image_free(&img); return none; }
    float mx = 0.15f * f[0].box[2], my = 0.15f * f[0].box[3], s = face_w / f[0].box[2];
    int x = (int)(f[0].box[0] - mx), y = (int)(f[0].box[1] - my);
    int w = (int)(f[0].box[2] + 2 * mx), h = (int)(f[0].box[3] + 2 * my);
    if (whole) x = 0, y = 0, w = img.width, h = img.height;
    bex_image o = crop_resize(&img, x, y, w, h, (int)lroundf(w * s), (int)lroundf(h * s));
    bex_image_free(&img);
    return o;
}

static float norm(const float *t) {
    double s = 0;
    for (int i = 0; i < BEX_TEMPLATE_DIM; i++) s += (double)t[i] * t[i];
    return (float)sqrt(s);
}

/* ---- outcome names --------------------------------------------------------------------- */

TEST(outcome_names) {
    CHECK(!strcmp(bex_capture_outcome_name(BEX_OK), "ok"));
    CHECK(!strcmp(bex_capture_outcome_name(BEX_ERR_NO_FACE), "no_face"));
    CHECK(!strcmp(bex_capture_outcome_name(BEX_ERR_SEVERAL_FACES), "several_faces"));
    CHECK(!strcmp(bex_capture_outcome_name(BEX_ERR_FACE_TOO_SMALL), "face_too_small"));
    CHECK(!strcmp(bex_capture_outcome_name(BEX_ERR_LOW_QUALITY), "low_quality"));
    CHECK(bex_capture_outcome_name(BEX_ERR_FORMAT) == NULL);
    CHECK(bex_capture_outcome_name(BEX_ERR_LIMIT) == NULL);
    CHECK(bex_capture_outcome_name(-1) == NULL);
    for (int s = 0; s <= BEX_ERR_LOW_QUALITY; s++) /* a name for exactly the OK and the outcomes */
        CHECK((bex_capture_outcome_name(s) != NULL) == (s == BEX_OK || bex_status_is_capture_failure(s)));
}

/* ---- one traveller from bytes ---------------------------------------------------------- */

TEST(bytes_to_template) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    size_t len;
    uint8_t *b = read_file(GOOD, &len);
    CHECK(b != NULL);
    if (!b) return;
    bex_capture_result r;
    char err[256] = "";
    CHECK(bex_capture_photo(eng, b, len, NULL, NULL, &r, err, sizeof err) == BEX_OK);
    CHECK(r.acquired == 1);
    CHECK(r.status == BEX_OK);
    CHECK(r.outcome && !strcmp(r.outcome, "ok"));
    CHECK(r.message[0] == 0);
    CHECK(r.n_faces == 1);
    CHECK_NEAR(norm(r.template_), 1, 1e-4);
    CHECK(r.quality.score > BEX_CAPTURE_DEFAULT_MIN_QUALITY && r.quality.score <= 100);
    CHECK(r.box[2] > 60 && r.box[3] > 60);
    /* the same as bex_capture on the decoded image */
    bex_image img;
    CHECK(load(GOOD, &img));
    bex_face f;
    bex_quality q;
    int n = 0;
    CHECK(bex_capture(eng, &img, NULL, &f, &q, &n, NULL, 0) == BEX_OK);
    CHECK_NEAR(bex_template_similarity(f.template_, r.template_), 1, 1e-6);
    CHECK_NEAR(q.score, r.quality.score, 1e-4);
    CHECK(!memcmp(f.box, r.box, sizeof r.box));
    bex_image_free(&img);
    free(b);
}

TEST(unreadable_photo_is_an_error) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    size_t len;
    uint8_t *b = read_file(GOOD, &len);
    CHECK(b != NULL);
    if (!b) return;
    bex_capture_result r, before;
    memset(&r, 0x5a, sizeof r);
    before = r;
    char err[256] = "";
    /* truncated: half a JPEG */
    int rc = bex_capture_photo(eng, b, len / 2, NULL, NULL, &r, err, sizeof err);
    printf("  truncated: %d %s\n", rc, err);
    CHECK(rc == BEX_ERR_CORRUPT || rc == BEX_ERR_FORMAT);
    CHECK(strstr(err, "photo") != NULL);
    CHECK(!memcmp(&r, &before, sizeof r)); /* written only on success */
    /* not an image at all */
    static const uint8_t junk[] = "this is not a photo, it is a sentence";
    err[0] = 0;
    CHECK(bex_capture_photo(eng, junk, sizeof junk - 1, NULL, NULL, &r, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "the photo cannot be read: not a JPEG, PNG") != NULL);
    /* corrupt in the middle: the entropy-coded data overwritten */
    uint8_t *c = malloc(len);
    memcpy(c, b, len);
    for (size_t i = len / 3; i < len / 3 + 64; i++) c[i] = 0xFF;
    err[0] = 0;
    rc = bex_capture_photo(eng, c, len, NULL, NULL, &r, err, sizeof err);
    printf("  corrupt: %d %s\n", rc, err);
    CHECK(rc != BEX_OK || r.status == BEX_OK || bex_status_is_capture_failure(r.status)); /* never a crash */
    CHECK(rc == BEX_OK || strstr(err, "photo") != NULL);
    free(c);
    /* nothing */
    CHECK(bex_capture_photo(eng, b, 0, NULL, NULL, &r, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_capture_photo(eng, NULL, 0, NULL, NULL, &r, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(bex_capture_photo(eng, NULL, 5, NULL, NULL, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_capture_photo(NULL, b, len, NULL, NULL, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_capture_photo(eng, b, len, NULL, NULL, NULL, err, sizeof err) == BEX_ERR_ARG);
    bex_capture_policy bad;
    bex_capture_policy_default(&bad);
    bad.min_quality = 101;
    CHECK(bex_capture_photo(eng, b, len, NULL, &bad, &r, err, sizeof err) == BEX_ERR_ARG);
    CHECK(!memcmp(&r, &before, sizeof r));
    free(b);
}

TEST(photo_over_the_limits) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    size_t len;
    uint8_t *b = read_file(GOOD, &len);
    CHECK(b != NULL);
    if (!b) return;
    bex_capture_result r;
    char err[256] = "";
    bex_image_limits lim = {0, 250 * 250 - 1}; /* one pixel short of the photo */
    CHECK(bex_capture_photo(eng, b, len, &lim, NULL, &r, err, sizeof err) == BEX_ERR_LIMIT);
    printf("  pixels: %s\n", err);
    CHECK(strstr(err, "the photo is too large") != NULL && strstr(err, "limit") != NULL);
    CHECK(strstr(err, "--") == NULL); /* no command-line flag named by the library */
    lim = (bex_image_limits){len - 1, 0};
    CHECK(bex_capture_photo(eng, b, len, &lim, NULL, &r, err, sizeof err) == BEX_ERR_LIMIT);
    printf("  bytes: %s\n", err);
    CHECK(strstr(err, "the photo is too large") != NULL);
    lim = (bex_image_limits){len, 250 * 250}; /* exactly at both limits: fine */
    CHECK(bex_capture_photo(eng, b, len, &lim, NULL, &r, err, sizeof err) == BEX_OK && r.acquired);
    /* the _all variant decodes under the same limits */
    lim = (bex_image_limits){0, 1000};
    int n = -1;
    CHECK(bex_capture_photo_all(eng, b, len, &lim, NULL, &r, 1, &n, err, sizeof err) == BEX_ERR_LIMIT);
    CHECK(n == -1);
    free(b);
}

TEST(no_face_is_an_outcome) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    size_t len;
    uint8_t *b = read_file(TEST_DATA("image/gray.pgm"), &len);
    CHECK(b != NULL);
    if (!b) return;
    bex_capture_result r;
    char err[256] = "";
    CHECK(bex_capture_photo(eng, b, len, NULL, NULL, &r, err, sizeof err) == BEX_OK);
    CHECK(!r.acquired);
    CHECK(r.status == BEX_ERR_NO_FACE);
    CHECK(r.outcome && !strcmp(r.outcome, "no_face"));
    CHECK(strstr(r.message, "no face found") != NULL);
    CHECK(r.n_faces == 0);
    CHECK(r.quality.score == 0 && r.box[2] == 0 && norm(r.template_) == 0);
    int n = -1;
    CHECK(bex_capture_photo_all(eng, b, len, NULL, NULL, &r, 4, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 0);
    free(b);
}

/* Two travellers side by side, of one size: refused by the single capture (whose face is it?),
 * each acquired by the _all call. A third face, far smaller, is its own outcome. */
TEST(several_faces_and_every_face) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_image a = face_scaled(GOOD, 90, 0), b = face_scaled(LFW("Emmanuelle_Beart_0001"), 90, 0),
              c = face_scaled(LFW("Lucy_Liu_0003"), 30, 0);
    CHECK(a.px && b.px && c.px);
    if (!a.px || !b.px || !c.px) return;
    bex_image scene = canvas(420, 260, 100);
    paste(&scene, &a, 20, 40);
    paste(&scene, &b, 220, 40);
    paste(&scene, &c, 360, 200);
    size_t len;
    uint8_t *bytes = ppm(&scene, &len);
    bex_capture_result r;
    char err[256] = "";
    CHECK(bex_capture_photo(eng, bytes, len, NULL, NULL, &r, err, sizeof err) == BEX_OK);
    CHECK(!r.acquired);
    CHECK(r.status == BEX_ERR_SEVERAL_FACES);
    CHECK(r.outcome && !strcmp(r.outcome, "several_faces"));
    CHECK(strstr(r.message, "one person at a time") != NULL);
    CHECK(r.n_faces == 3);
    CHECK(r.quality.score > 0); /* the largest face's, for the kiosk to show */
    printf("  single capture: %s (%s), %d faces\n", r.outcome, r.message, r.n_faces);

    bex_capture_result all[4];
    int n = 0;
    CHECK(bex_capture_photo_all(eng, bytes, len, NULL, NULL, all, 4, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 3);
    for (int i = 0; i < n; i++)
        printf("  face %d: box [%.0f %.0f %.0f %.0f] %s, quality %.1f, eyes %.1f px\n", i, all[i].box[0],
               all[i].box[1], all[i].box[2], all[i].box[3], all[i].outcome, all[i].quality.score,
               all[i].quality.eye_distance_px);
    if (n == 3) {
        for (int i = 0; i < n; i++) CHECK(all[i].n_faces == 3);
        for (int i = 1; i < n; i++) CHECK(all[i].box[2] * all[i].box[3] <= all[i - 1].box[2] * all[i - 1].box[3]);
        /* the two travellers: acquired, each with its own template */
        CHECK(all[0].acquired && all[1].acquired);
        CHECK(norm(all[0].template_) > 0.99f && norm(all[1].template_) > 0.99f);
        CHECK(bex_template_similarity(all[0].template_, all[1].template_) < bex_verify_threshold(BEX_ALIGN_DEFAULT));
        /* each is the face of its own photo */
        bex_image img;
        bex_face f;
        bex_quality q;
        int nf;
        CHECK(load(GOOD, &img));
        CHECK(bex_capture(eng, &img, NULL, &f, &q, &nf, NULL, 0) == BEX_OK);
        int left = all[0].box[0] < all[1].box[0] ? 0 : 1; /* GOOD was pasted on the left */
        float s = bex_template_similarity(f.template_, all[left].template_);
        printf("  left face vs its source photo: similarity %.4f\n", s);
        CHECK(s >= bex_verify_threshold(BEX_ALIGN_DEFAULT));
        bex_image_free(&img);
        /* the small one: too small, no template */
        CHECK(all[2].status == BEX_ERR_FACE_TOO_SMALL);
        CHECK(!all[2].acquired && !strcmp(all[2].outcome, "face_too_small"));
        CHECK(strstr(all[2].message, "move closer") != NULL);
        CHECK(norm(all[2].template_) == 0);
    }
    /* max 2: the two largest */
    bex_capture_result two[2];
    CHECK(bex_capture_photo_all(eng, bytes, len, NULL, NULL, two, 2, &n, err, sizeof err) == BEX_OK);
    CHECK(n == 2);
    if (n == 2) CHECK(two[0].acquired && two[1].acquired);
    /* the image call, and its errors */
    CHECK(bex_capture_all(eng, &scene, NULL, all, 4, &n, err, sizeof err) == BEX_OK && n == 3);
    CHECK(bex_capture_all(eng, &scene, NULL, all, 0, &n, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_capture_all(eng, &scene, NULL, NULL, 4, &n, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_capture_all(eng, NULL, NULL, all, 4, &n, err, sizeof err) == BEX_ERR_ARG);
    /* a floor that every face fails: each says why */
    bex_capture_policy strict;
    bex_capture_policy_default(&strict);
    strict.min_quality = 100;
    CHECK(bex_capture_all(eng, &scene, &strict, all, 4, &n, err, sizeof err) == BEX_OK && n == 3);
    if (n == 3) {
        CHECK(all[0].status == BEX_ERR_LOW_QUALITY && !strcmp(all[0].outcome, "low_quality"));
        CHECK(strstr(all[0].message, "below the floor of 100") != NULL);
        CHECK(all[1].status == BEX_ERR_LOW_QUALITY);
    }
    free(bytes);
    bex_image_free(&scene);
    bex_image_free(&a);
    bex_image_free(&b);
    bex_image_free(&c);
}

/* ---- a small second face ----------------------------------------------------------------
 *
 * A traveller's face, and the same photo with a much smaller face (0.3, 0.45, 0.6 of the
 * traveller's width: a child, someone behind) pasted in the corner, clear of the traveller's
 * face. The capture must come out the same: same outcome, same face, the template within a
 * cosine of 0.995 and the quality score within 3 points (measured: at least 0.99922 and at most
 * 0.96 points; the detector sees the whole photo, so the traveller's box can move by a pixel).
 *
 * The frame-filling faces (found only in the padded copy) broke this: the image itself then
 * yields the small face alone, and the padded retry, run only when the image yielded none,
 * never looked for the traveller's. The small face was taken for the traveller's: the outcome
 * face_too_small (quality 1.6 to 14.3) in 7 of the 9 frame-filling composites. */
/* The several-faces measure (bex_capture_other_face): box widths clipped to the image, so that
 * a face cut by the frame's edge counts by the part in the picture, as SSD's clipped boxes did
 * when max_other_face 0.8 was set (BlazeFace boxes such a face whole, beyond the image); and
 * the eye distances of faces wholly inside it. */
static bex_face box_face(float x, float y, float w, float h, float eyes) {
    bex_face f;
    memset(&f, 0, sizeof f);
    f.box[0] = x, f.box[1] = y, f.box[2] = w, f.box[3] = h;
    for (int i = 0; i < 6; i++) { /* eye centres at the box's middle height, eyes apart */
        f.landmarks[36 + i][0] = x + w / 2 - eyes / 2, f.landmarks[36 + i][1] = y + h / 2;
        f.landmarks[42 + i][0] = x + w / 2 + eyes / 2, f.landmarks[42 + i][1] = y + h / 2;
    }
    return f;
}

TEST(other_face_measured_inside_the_image) {
    bex_face f[3] = {box_face(80, 80, 100, 100, 40), box_face(-50, 20, 100, 100, 40), box_face(0, 0, 0, 0, 0)};
    CHECK(bex_capture_other_face(f, 1, 250, 250) == 0);                        /* one face */
    CHECK(bex_capture_other_face(NULL, 2, 250, 250) == 0 && bex_capture_other_face(f, 2, 0, 250) == 0);
    /* half of it in the picture: half the width; its eyes, on a cut face, do not count */
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 0.5, 1e-6);
    f[1] = box_face(200, 20, 100, 100, 40);
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 0.5, 1e-6);             /* the right edge */
    f[1] = box_face(10, -20, 60, 60, 40);
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 0.6, 1e-6);             /* cut at the top */
    f[1] = box_face(10, 150, 85, 85, 20);
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 0.85, 1e-6);            /* whole: its own width */
    /* a box narrower than the first's but eyes as far apart: of one size (two travellers
     * side by side; BlazeFace's boxes for them can differ by a quarter) */
    f[1] = box_face(10, 150, 77, 77, 36);
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 0.9, 1e-5);
    f[1] = box_face(10, 150, 30, 30, 10), f[2] = box_face(160, 0, 90, 90, 20);
    CHECK_NEAR(bex_capture_other_face(f, 3, 250, 250), 0.9, 1e-6);             /* the largest other decides */
    f[1] = box_face(300, 0, 100, 100, 40);
    CHECK(bex_capture_other_face(f, 2, 250, 250) == 0);                        /* wholly outside */
    /* a face cut by the frame taken first (the largest box) beside a whole one: refused by
     * the widths in the picture, the first face's eyes not trusted */
    f[0] = box_face(-60, 0, 120, 120, 80), f[1] = box_face(100, 0, 100, 100, 30);
    CHECK_NEAR(bex_capture_other_face(f, 2, 250, 250), 100.0 / 60, 1e-5);
    CHECK(bex_capture_other_face(f, 2, 250, 250) >= BEX_CAPTURE_DEFAULT_MAX_OTHER_FACE);
    f[0] = box_face(300, 0, 120, 120, 40);
    CHECK(bex_capture_other_face(f, 2, 250, 250) == 0); /* a first face with nothing in the picture */
}

/* The genuine cases under the default detector (BlazeFace) and the default policy: two
 * travellers of one size side by side, and the vehicle lane's three faces through a car window
 * (tests/data/lfw/lane_three_faces.jpg, issue 11) are refused as several faces. */
TEST(several_faces_blazeface) {
    bex_engine *be = NULL;
    char err[256] = "";
    if (bex_engine_open(MODELS, NULL, &be, err, sizeof err) != BEX_OK) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_image a = face_scaled(GOOD, 90, 0), b = face_scaled(LFW("Emmanuelle_Beart_0001"), 90, 0);
    CHECK(a.px && b.px);
    if (a.px && b.px) {
        bex_image scene = canvas(420, 260, 100);
        paste(&scene, &a, 20, 40);
        paste(&scene, &b, 220, 40);
        size_t len;
        uint8_t *bytes = ppm(&scene, &len);
        bex_capture_result r;
        CHECK(bex_capture_photo(be, bytes, len, NULL, NULL, &r, err, sizeof err) == BEX_OK);
        CHECK(!r.acquired && r.status == BEX_ERR_SEVERAL_FACES && r.n_faces >= 2);
        printf("  two side by side: %s, %d faces\n", r.outcome ? r.outcome : "?", r.n_faces);
        bex_capture_result all[4];
        int n = 0;
        if (bex_capture_photo_all(be, bytes, len, NULL, NULL, all, 4, &n, err, sizeof err) == BEX_OK)
            for (int i = 0; i < n; i++)
                printf("    face %d: box [%.0f %.0f %.0f %.0f] eyes %.1f px\n", i, all[i].box[0], all[i].box[1],
                       all[i].box[2], all[i].box[3], all[i].quality.eye_distance_px);
        free(bytes);
        bex_image_free(&scene);
    }
    size_t len = 0;
    uint8_t *lane = read_file(TEST_DATA("lfw/lane_three_faces.jpg"), &len);
    CHECK(lane != NULL);
    if (lane) {
        bex_capture_result r;
        CHECK(bex_capture_photo(be, lane, len, NULL, NULL, &r, err, sizeof err) == BEX_OK);
        CHECK(!r.acquired && r.status == BEX_ERR_SEVERAL_FACES && r.n_faces == 3);
        printf("  lane: %s, %d faces\n", r.outcome ? r.outcome : "?", r.n_faces);
        free(lane);
    }
    bex_image_free(&a);
    bex_image_free(&b);
    bex_engine_close(be);
}

static void same_capture(const char *main_path, int border) {
    bex_image photo, img;
    if (!load(main_path, &photo)) return;
    static const uint8_t grey[3] = {110, 110, 110};
    if (border) {
        CHECK(bex__image_pad(&photo, border, grey, &img, NULL, 0) == BEX_OK);
        bex_image_free(&photo);
    } else {
        img = photo;
    }
    bex_face f0, f1;
    bex_quality q0, q1;
    int n0 = 0, n1 = 0;
    char err[256];
    int rc0 = bex_capture(eng, &img, NULL, &f0, &q0, &n0, err, sizeof err);
    CHECK(rc0 == BEX_OK && n0 == 1);
    const float frac[3] = {0.3f, 0.45f, 0.6f};
    for (int k = 0; k < 3 && rc0 == BEX_OK; k++) {
        bex_image small = face_scaled(SECOND, frac[k] * f0.box[2], 0);
        if (!small.px) break;
        bex_image comp = canvas(img.width, img.height, 0);
        memcpy(comp.px, img.px, (size_t)img.width * img.height * 3);
        paste(&comp, &small, comp.width - small.width, comp.height - small.height);
        int rc1 = bex_capture(eng, &comp, NULL, &f1, &q1, &n1, err, sizeof err);
        float s = rc1 == BEX_OK ? bex_template_similarity(f0.template_, f1.template_) : 0;
        printf("  %s%s +%.2f: %s, %d faces, largest [%.0f %.0f %.0f %.0f]%s, similarity %.5f, quality %.2f -> %.2f\n",
               strrchr(main_path, '/') + 1, border ? " on a larger canvas" : "", frac[k],
               bex_capture_outcome_name(rc1), n1, f1.box[0], f1.box[1], f1.box[2], f1.box[3],
               f1.padded ? " padded" : "", s, q0.score, q1.score);
        CHECK(rc1 == rc0);
        CHECK(n1 == 2);
        CHECK(fabsf(f1.box[0] - f0.box[0]) < 5 && fabsf(f1.box[2] - f0.box[2]) < 5);
        CHECK(f1.padded == f0.padded);
        CHECK(s > 0.995f);
        CHECK(fabsf(q1.score - q0.score) < 3);
        bex_image_free(&comp);
        bex_image_free(&small);
    }
    bex_image_free(&img);
}

TEST(small_second_face_changes_nothing) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    /* the three LFW fixtures whose face fills the frame (found after padding) */
    same_capture(LFW("John_McCain_0003"), 0);
    same_capture(LFW("Kevin_Stallings_0002"), 0);
    same_capture(LFW("Portia_de_Rossi_0001"), 0);
    /* an ordinary face, in its photo and on a larger canvas */
    same_capture(GOOD, 0);
    same_capture(GOOD, 100);
}

/* pad_retry_below = 0 is the old rule (the padded copy only when the image yields no face):
 * the small face alone is found. Out of 0..1 the engine does not open. */
TEST(pad_retry_below_option) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_engine_options o;
    bex_engine_options_default(&o);
    CHECK_NEAR(o.pad_retry_below, 1.0 / 3, 1e-6);
    bex_engine *e = NULL;
    char err[256] = "";
    o.pad_retry_below = 1.5f;
    CHECK(bex_engine_open(MODELS, &o, &e, err, sizeof err) == BEX_ERR_ARG && e == NULL);
    CHECK(strstr(err, "pad_retry_below") != NULL);
    o.pad_retry_below = NAN;
    CHECK(bex_engine_open(MODELS, &o, &e, err, sizeof err) == BEX_ERR_ARG);
    o.pad_retry_below = 0;
    o.detector = BEX_DETECTOR_SSD; /* the padded retry is SSD's */
    CHECK(bex_engine_open(MODELS, &o, &e, err, sizeof err) == BEX_OK);
    if (!e) return;
    bex_image img;
    if (load(LFW("Kevin_Stallings_0002"), &img)) {
        bex_image small = face_scaled(SECOND, 30, 0);
        paste(&img, &small, img.width - small.width, img.height - small.height);
        bex_face f[4];
        int n = 0, m = 0;
        CHECK(bex_detect(e, &img, f, 4, &n, NULL, 0) == BEX_OK);
        CHECK(n == 1 && f[0].box[2] < 40 && !f[0].padded); /* the small face, alone */
        CHECK(bex_detect(eng, &img, f, 4, &m, NULL, 0) == BEX_OK);
        CHECK(m == 2 && f[0].box[2] > 70 && f[0].padded); /* the traveller's, then the small one */
        bex_image_free(&small);
        bex_image_free(&img);
    }
    bex_engine_close(e);
}

/* Faces come largest first even when fewer are asked for than there are and the smaller face
 * scores higher with the detector (it did: the boxes were cut to max by score, then sorted). */
TEST(largest_face_first_whatever_max) {
    if (!eng) SKIP("models/ not installed (tools/fetch-models.sh)");
    bex_image img;
    if (!load(GOOD, &img)) return;
    static const uint8_t grey[3] = {110, 110, 110};
    bex_image big;
    CHECK(bex__image_pad(&img, 100, grey, &big, NULL, 0) == BEX_OK);
    bex_image small = face_scaled(LFW("Lucy_Liu_0003"), 40, 1); /* the whole photo, scaled */
    paste(&big, &small, big.width - small.width, big.height - small.height);
    bex_face f[4], one;
    int n = 0, m = 0;
    CHECK(bex_detect(eng, &big, f, 4, &n, NULL, 0) == BEX_OK);
    CHECK(n == 2);
    if (n == 2) {
        printf("  largest w %.0f score %.3f, small w %.0f score %.3f\n", f[0].box[2], f[0].score, f[1].box[2],
               f[1].score);
        CHECK(f[0].box[2] > 2 * f[1].box[2]);
        CHECK(f[1].score > f[0].score); /* what makes this a test */
    }
    CHECK(bex_detect(eng, &big, &one, 1, &m, NULL, 0) == BEX_OK && m == 1);
    if (n == 2 && m == 1) CHECK(!memcmp(one.box, f[0].box, sizeof one.box));
    CHECK(bex_embed(eng, &big, &one, 1, &m, NULL, 0) == BEX_OK && m == 1);
    if (n == 2 && m == 1) CHECK(!memcmp(one.box, f[0].box, sizeof one.box));
    bex_capture_result r;
    CHECK(bex_capture_all(eng, &big, NULL, &r, 1, &m, NULL, 0) == BEX_OK && m == 1);
    if (n == 2 && m == 1) CHECK(!memcmp(r.box, f[0].box, sizeof r.box) && r.acquired);
    bex_image_free(&small);
    bex_image_free(&big);
    bex_image_free(&img);
}

/* The policy's camera range picks which BlazeFace model looks first, for that capture only: a
 * far camera's box is the full-range model's (another box than the short-range model's), and
 * the engine is left as it was. An engine without that model refuses the range. */
TEST(camera_range_per_capture) {
    bex_engine *be = NULL;
    char err[256] = "";
    if (bex_engine_open(MODELS, NULL, &be, err, sizeof err) != BEX_OK) SKIP("models/ not installed (tools/fetch-models.sh)");
    size_t len;
    uint8_t *b = read_file(GOOD, &len);
    CHECK(b != NULL);
    bex_capture_policy near, far;
    bex_capture_policy_default(&near);
    bex_capture_policy_default(&far);
    CHECK(near.range == BEX_RANGE_DEFAULT);
    near.range = BEX_RANGE_NEAR;
    far.range = BEX_RANGE_FAR;
    bex_capture_result rn, rf, rd;
    CHECK(b && bex_capture_photo(be, b, len, NULL, &near, &rn, err, sizeof err) == BEX_OK && rn.acquired);
    CHECK(b && bex_capture_photo(be, b, len, NULL, &far, &rf, err, sizeof err) == BEX_OK && rf.acquired);
    CHECK(bex_engine_range(be) == BEX_RANGE_DEFAULT);
    CHECK(b && bex_capture_photo(be, b, len, NULL, NULL, &rd, err, sizeof err) == BEX_OK && rd.acquired);
    printf("  near box %.1f x %.1f, far box %.1f x %.1f\n", rn.box[2], rn.box[3], rf.box[2], rf.box[3]);
    CHECK(fabsf(rn.box[2] - rf.box[2]) > 1.0f);  /* two models, two boxes */
    CHECK(rd.box[2] == rn.box[2] && rd.box[1] == rn.box[1]); /* the default detector is near */
    /* both find the same person */
    CHECK(bex_template_similarity(rn.template_, rf.template_) > 0.9f);
    far.range = (bex_range)7;
    CHECK(b && bex_capture_photo(be, b, len, NULL, &far, &rf, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_engine_set_range(be, BEX_RANGE_FAR, err, sizeof err) == BEX_OK && bex_engine_range(be) == BEX_RANGE_FAR);
    bex_engine_close(be);
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.detector = BEX_DETECTOR_SSD;
    if (bex_engine_open(MODELS, &o, &be, err, sizeof err) == BEX_OK) {
        CHECK(bex_engine_set_range(be, BEX_RANGE_FAR, err, sizeof err) == BEX_ERR_ARG && strstr(err, "full-range"));
        near.range = BEX_RANGE_NEAR;
        CHECK(b && bex_capture_photo(be, b, len, NULL, &near, &rn, err, sizeof err) == BEX_ERR_ARG);
        bex_engine_close(be);
    }
    free(b);
}

int main(void) {
    if (access(MODELS "/ssd_mobilenetv1_model.bin", R_OK) == 0) {
        char err[256];
        /* These cases were built around the SSD detector: its padded retry for faces that fill
         * the frame, and small second faces (a third of the traveller's width) that it finds
         * and BlazeFace's short-range model, made for faces that fill a good part of the
         * frame, does not. Pinned to SSD until BlazeFace has its own cases. */
        bex_engine_options o;
        bex_engine_options_default(&o);
        o.detector = BEX_DETECTOR_SSD;
        if (bex_engine_open(MODELS, &o, &eng, err, sizeof err) != BEX_OK) printf("models: %s\n", err);
    }
    RUN(outcome_names);
    RUN(other_face_measured_inside_the_image);
    RUN(several_faces_blazeface);
    RUN(bytes_to_template);
    RUN(unreadable_photo_is_an_error);
    RUN(photo_over_the_limits);
    RUN(no_face_is_an_outcome);
    RUN(several_faces_and_every_face);
    RUN(small_second_face_changes_nothing);
    RUN(pad_retry_below_option);
    RUN(largest_face_first_whatever_max);
    RUN(camera_range_per_capture);
    bex_engine_close(eng);
    return test_summary();
}
