/*
 * test_blazeface.c - MediaPipe BlazeFace in bex (src/face/blazeface.c): parity of the raw
 * network outputs with tfjs, anchors, decoding, weighted NMS, and end to end on fixtures.
 *
 * tests/data/blazeface/ref.jsonl holds what @tensorflow/tfjs 4.22.0 (wasm backend) computed
 * with the same graph models on the decoded fixture pixels (tests/data/ref/pixels/, two of
 * them cropped tight around the face): for each image and model, the raw output rows
 * [score logit, 16 regressors] of the 8 top-scoring anchors (tools/blazeface-ref/ref.js).
 * bex builds the input tensor itself (blz_preprocess), as ref.js does.
 */
#include <cjson/cJSON.h>
#include <unistd.h>

#include "bex/face.h"
#include "bex/image.h"
#include "face/nets.h"
#include "test.h"

#define MODELS "models"
#define REF "tests/data/blazeface/ref.jsonl"
/* Parity tolerance: |bex - tfjs| <= TOL_ABS + TOL_REL * |tfjs| for every value of the rows
 * (logits and regressors in input px; the same float16-widened weights, summed in another
 * order). */
#define TOL_ABS 5e-4
#define TOL_REL 1e-5

static blz_net *net_short, *net_full;

static int have_models(void) {
    return access(MODELS "/facemesh-detection-short.bin", R_OK) == 0 &&
           access(MODELS "/facemesh-detection-full.bin", R_OK) == 0;
}

static int load_png(const char *name, const char *crop, bex_image *out) {
    char path[512], err[256];
    snprintf(path, sizeof path, "tests/data/ref/pixels/%s", name);
    bex_image img;
    if (bex_image_load(path, NULL, &img, err, sizeof err) != BEX_OK) {
        printf("  %s: %s\n", path, err);
        return -1;
    }
    if (!crop) {
        *out = img;
        return 0;
    }
    int x, y, w, h;
    if (sscanf(crop, "%d,%d,%d,%d", &x, &y, &w, &h) != 4) return -1;
    out->width = w;
    out->height = h;
    out->px = malloc((size_t)w * h * 3);
    for (int r = 0; r < h; r++) memcpy(out->px + (size_t)r * w * 3, img.px + ((size_t)(y + r) * img.width + x) * 3, (size_t)w * 3);
    bex_image_free(&img);
    return 0;
}

TEST(parity_with_tfjs) {
    if (!net_short || !net_full) { SKIP("models/ lacks the BlazeFace graph models (tools/fetch-models.sh)"); return; }
    FILE *f = fopen(REF, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[16384];
    int lines = 0, rows = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        CHECK(j != NULL);
        if (!j) continue;
        const char *file = cJSON_GetObjectItem(j, "file")->valuestring;
        const cJSON *crop = cJSON_GetObjectItem(j, "crop");
        const char *model = cJSON_GetObjectItem(j, "model")->valuestring;
        blz_net *net = !strcmp(model, "short") ? net_short : net_full;
        CHECK(cJSON_GetObjectItem(j, "anchors")->valueint == net->n_anchors);
        bex_image img;
        if (load_png(file, cJSON_IsString(crop) ? crop->valuestring : NULL, &img) == 0) {
            float lb[3];
            blz_preprocess(net, &img, lb);
            blz_forward(net);
            const cJSON *row;
            cJSON_ArrayForEach(row, cJSON_GetObjectItem(j, "top")) {
                int a = cJSON_GetArrayItem(row, 0)->valueint;
                for (int k = 0; k < 17; k++) {
                    double ref = cJSON_GetArrayItem(row, k + 1)->valuedouble, got = net->raw[(size_t)a * 17 + k];
                    double d = fabs(got - ref);
                    if (d > worst) worst = d;
                    if (d > TOL_ABS + TOL_REL * fabs(ref)) {
                        printf("  %s%s%s %s anchor %d value %d: bex %.6f tfjs %.6f\n", file, cJSON_IsString(crop) ? "@" : "",
                               cJSON_IsString(crop) ? crop->valuestring : "", model, a, k, got, ref);
                        test_cur_failed = 1;
                    }
                }
                rows++;
            }
            bex_image_free(&img);
        } else {
            test_cur_failed = 1;
        }
        lines++;
        cJSON_Delete(j);
    }
    fclose(f);
    printf("  %d image x model outputs, %d rows of 17: worst |bex - tfjs| %.2e\n", lines, rows, worst);
    CHECK(lines == 14);
}

TEST(anchors) {
    static float xy[BLZ_MAX_ANCHORS + 8][2];
    blz_anchor_opts s = {128, 4, {8, 16, 16, 16}, 1.0f};
    CHECK(blz_anchors(&s, &xy[0][0], BLZ_MAX_ANCHORS) == 896);
    /* 16 x 16 cells of 2 anchors (stride 8), then 8 x 8 cells of 6 (three stride-16 layers) */
    CHECK_NEAR(xy[0][0], 0.5f / 16, 1e-7);
    CHECK_NEAR(xy[1][0], 0.5f / 16, 1e-7);
    CHECK_NEAR(xy[2][0], 1.5f / 16, 1e-7);
    CHECK_NEAR(xy[32][1], 1.5f / 16, 1e-7);
    CHECK_NEAR(xy[512][0], 0.5f / 8, 1e-7);
    CHECK_NEAR(xy[517][0], 0.5f / 8, 1e-7);
    CHECK_NEAR(xy[518][0], 1.5f / 8, 1e-7);
    CHECK_NEAR(xy[895][0], 7.5f / 8, 1e-7);
    CHECK_NEAR(xy[895][1], 7.5f / 8, 1e-7);
    blz_anchor_opts fr = {192, 1, {4}, 0.0f};
    CHECK(blz_anchors(&fr, &xy[0][0], BLZ_MAX_ANCHORS) == 2304);
    CHECK_NEAR(xy[1][0], 1.5f / 48, 1e-7);
    CHECK_NEAR(xy[2303][1], 47.5f / 48, 1e-7);
    CHECK(blz_anchors(&s, &xy[0][0], 895) == -1); /* room is checked */
}

TEST(decode) {
    float raw[3][17];
    memset(raw, 0, sizeof raw);
    const float anchors[3][2] = {{0.25f, 0.5f}, {0.5f, 0.5f}, {0.75f, 0.25f}};
    raw[0][0] = 0.0f;   /* sigmoid 0.5: kept at min 0.5 (>=) */
    raw[1][0] = -1.0f;  /* 0.27: dropped */
    raw[2][0] = 500.0f; /* clipped to 100 first */
    raw[0][1] = 12.8f;  /* x centre + 0.1 of the 128 px input */
    raw[0][2] = -6.4f;
    raw[0][3] = 32.0f;  /* w 0.25 */
    raw[0][4] = 64.0f;  /* h 0.5 */
    raw[0][5] = 6.4f;   /* right eye at anchor + 0.05 */
    raw[0][16] = -12.8f;
    blz_box out[3];
    int n = blz_decode(&raw[0][0], &anchors[0][0], 3, 128, 0.5f, out, 3);
    CHECK(n == 2);
    CHECK_NEAR(out[0].score, 0.5f, 1e-6);
    CHECK_NEAR(out[0].x, 0.35f - 0.125f, 1e-6);
    CHECK_NEAR(out[0].y, 0.45f - 0.25f, 1e-6);
    CHECK_NEAR(out[0].w, 0.25f, 1e-6);
    CHECK_NEAR(out[0].h, 0.5f, 1e-6);
    CHECK_NEAR(out[0].kp[0][0], 0.30f, 1e-6);
    CHECK_NEAR(out[0].kp[0][1], 0.5f, 1e-6);
    CHECK_NEAR(out[0].kp[5][1], 0.4f, 1e-6);
    CHECK_NEAR(out[1].score, 1.0f, 1e-6);
    CHECK(isfinite(out[1].score));
    CHECK_NEAR(out[1].kp[3][0], 0.75f, 1e-6);
    CHECK(blz_decode(&raw[0][0], &anchors[0][0], 3, 128, 0.5f, out, 1) == 1); /* max */
}

static blz_box mk(float x, float y, float w, float h, float s) {
    blz_box b;
    memset(&b, 0, sizeof b);
    b.x = x, b.y = y, b.w = w, b.h = h, b.score = s;
    for (int k = 0; k < BLZ_KEYPOINTS; k++) b.kp[k][0] = x + w / 2, b.kp[k][1] = y + h / 2;
    return b;
}

TEST(weighted_nms) {
    blz_box in[4], out[4];
    in[0] = mk(0.6f, 0.6f, 0.2f, 0.2f, 0.7f);  /* alone */
    in[1] = mk(0.1f, 0.1f, 0.2f, 0.2f, 0.6f);
    in[2] = mk(0.12f, 0.1f, 0.2f, 0.2f, 0.9f); /* best: averages with in[1] (IoU 0.82) */
    in[3] = mk(0.25f, 0.1f, 0.2f, 0.2f, 0.8f); /* IoU 0.21 with the best: its own */
    int n = blz_weighted_nms(in, 4, 0.3f, out, 4);
    CHECK(n == 3);
    /* 0.9 first: its cluster is {0.9 at x 0.12, 0.6 at x 0.10}; in[3] overlaps it by
     * IoU (0.07 * 0.2) / (0.08 - 0.014) = 0.21: not merged */
    CHECK_NEAR(out[0].score, 0.9f, 1e-6);
    CHECK_NEAR(out[0].x, (0.12f * 0.9f + 0.10f * 0.6f) / 1.5f, 1e-6);
    CHECK_NEAR(out[0].w, 0.2f, 1e-6);
    CHECK_NEAR(out[0].kp[2][0], (0.22f * 0.9f + 0.20f * 0.6f) / 1.5f, 1e-6);
    CHECK_NEAR(out[1].score, 0.8f, 1e-6);
    CHECK_NEAR(out[1].x, 0.25f, 1e-6);
    CHECK_NEAR(out[2].score, 0.7f, 1e-6);
    /* max caps the output */
    in[0] = mk(0.6f, 0.6f, 0.2f, 0.2f, 0.7f);
    in[1] = mk(0.1f, 0.1f, 0.2f, 0.2f, 0.6f);
    CHECK(blz_weighted_nms(in, 2, 0.3f, out, 1) == 1);
    CHECK(blz_weighted_nms(in, 0, 0.3f, out, 1) == 0);
}

/* The fixtures' faces: one each, a box of sane size around the keypoints, eyes level and
 * apart, nose below the eyes and mouth below the nose. */
TEST(fixture_faces_found) {
    if (!net_short || !net_full) { SKIP("models/ lacks the BlazeFace graph models"); return; }
    static const char *const files[] = {"Aaron_Eckhart_0001.png", "Akhmed_Zakayev_0001.png", "Candice_Bergen_0001.png",
                                        "Dario_Franchitti_0001.png", "Emmanuelle_Beart_0001.png"};
    for (int m = 0; m < 2; m++) {
        blz_net *net = m ? net_full : net_short;
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            bex_image img;
            if (load_png(files[i], NULL, &img) != 0) { test_cur_failed = 1; continue; }
            blz_box b[4];
            int n = blz_detect(net, &img, net->min_score, b, 4);
            CHECK(n == 1);
            if (n >= 1) {
                CHECK(b[0].w > 60 && b[0].w < 160 && b[0].h > 60 && b[0].h < 160);
                CHECK(b[0].x > 20 && b[0].y > 20 && b[0].x + b[0].w < 230 && b[0].y + b[0].h < 230);
                float eye_dx = b[0].kp[BLZ_KP_LEFT_EYE][0] - b[0].kp[BLZ_KP_RIGHT_EYE][0];
                CHECK(eye_dx > 25 && eye_dx < 70);
                CHECK(fabsf(b[0].kp[BLZ_KP_LEFT_EYE][1] - b[0].kp[BLZ_KP_RIGHT_EYE][1]) < 15);
                CHECK(b[0].kp[BLZ_KP_NOSE][1] > b[0].kp[BLZ_KP_LEFT_EYE][1]);
                CHECK(b[0].kp[BLZ_KP_MOUTH][1] > b[0].kp[BLZ_KP_NOSE][1]);
                for (int k = 0; k < 4; k++)
                    CHECK(b[0].kp[k][0] > b[0].x && b[0].kp[k][0] < b[0].x + b[0].w && b[0].kp[k][1] > b[0].y &&
                          b[0].kp[k][1] < b[0].y + b[0].h);
            }
            bex_image_free(&img);
        }
    }
}

/* A tight crop (the face fills the frame) is found by the short-range model, no padding. */
TEST(tight_crop_found) {
    if (!net_short) { SKIP("models/ lacks the BlazeFace graph models"); return; }
    bex_image img;
    if (load_png("Aaron_Eckhart_0001.png", "70,75,110,110", &img) != 0) { test_cur_failed = 1; return; }
    blz_box b[4];
    int n = blz_detect(net_short, &img, 0.5f, b, 4);
    CHECK(n == 1);
    if (n == 1) CHECK(b[0].w > 70);
    bex_image_free(&img);
}

TEST(refuses_other_ops) {
    const char *dir = "/tmp";
    char json[512], bin[512], err[256] = "";
    snprintf(json, sizeof json, "%s/bex-test-blz-%d.json", dir, (int)getpid());
    snprintf(bin, sizeof bin, "bex-test-blz-%d.bin", (int)getpid());
    FILE *f = fopen(json, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f, "{\"format\":\"graph-model\",\"modelTopology\":{\"node\":["
               "{\"name\":\"input\",\"op\":\"Placeholder\",\"attr\":{\"shape\":{\"shape\":{\"dim\":[{\"size\":\"-1\"},"
               "{\"size\":\"128\"},{\"size\":\"128\"},{\"size\":\"3\"}]}}}},"
               "{\"name\":\"s\",\"op\":\"Tanh\",\"input\":[\"input\"]}]},"
               "\"weightsManifest\":[{\"paths\":[\"%s\"],\"weights\":[]}]}",
            bin);
    fclose(f);
    char binpath[600];
    snprintf(binpath, sizeof binpath, "%s/%s", dir, bin);
    f = fopen(binpath, "w");
    if (f) fclose(f);
    blz_net *net = calloc(1, sizeof *net);
    CHECK(blz_load(net, json, err, sizeof err) == BEX_ERR_MODEL);
    CHECK(strstr(err, "Tanh") != NULL);
    blz_free(net);
    free(net);
    remove(json);
    remove(binpath);
}

/* The engine's default detector is BlazeFace and its faces carry keypoints; SSD's do not. */
TEST(engine_default_detector) {
    if (!have_models()) { SKIP("models/ lacks the BlazeFace graph models"); return; }
    bex_engine_options o;
    bex_engine_options_default(&o);
    CHECK(o.detector == BEX_DETECTOR_BLAZEFACE);
    bex_engine *e = NULL;
    char err[256];
    CHECK(bex_engine_open(MODELS, &o, &e, err, sizeof err) == BEX_OK);
    bex_image img;
    bex_face faces[4];
    int n = 0;
    if (e && load_png("Candice_Bergen_0001.png", NULL, &img) == 0) {
        CHECK(bex_embed(e, &img, faces, 4, &n, err, sizeof err) == BEX_OK);
        CHECK(n == 1);
        if (n == 1) {
            CHECK(faces[0].has_keypoints);
            CHECK(faces[0].keypoints[BLZ_KP_RIGHT_EYE][0] < faces[0].keypoints[BLZ_KP_LEFT_EYE][0]);
            /* the 68-point net's eye centres lie near BlazeFace's eyes */
            float cx = 0, cy = 0;
            for (int k = 36; k < 42; k++) cx += faces[0].landmarks[k][0] / 6, cy += faces[0].landmarks[k][1] / 6;
            CHECK(fabsf(cx - faces[0].keypoints[0][0]) < 8 && fabsf(cy - faces[0].keypoints[0][1]) < 8);
            float t[BEX_TEMPLATE_DIM];
            memcpy(t, faces[0].template_, sizeof t);
            CHECK(bex_face_template(e, &img, &faces[0], BEX_ALIGN_KEYPOINTS, err, sizeof err) == BEX_OK);
            CHECK(bex_template_similarity(t, faces[0].template_) > 0.9f);
        }
        bex_image_free(&img);
    }
    /* a tiny image upscaled to the input gives no face (the engine's minimum face width) */
    bex_image grey;
    if (e && bex_image_load("tests/data/image/gray.pgm", NULL, &grey, err, sizeof err) == BEX_OK) {
        n = -1;
        CHECK(bex_detect(e, &grey, faces, 4, &n, err, sizeof err) == BEX_OK && n == 0);
        bex_image_free(&grey);
    }
    bex_engine_close(e);
    o.detector = (bex_detector)7;
    e = NULL;
    CHECK(bex_engine_open(MODELS, &o, &e, err, sizeof err) == BEX_ERR_ARG && e == NULL);
}

int main(void) {
    if (have_models()) {
        char err[256];
        net_short = calloc(1, sizeof *net_short);
        net_full = calloc(1, sizeof *net_full);
        if (blz_load(net_short, MODELS "/facemesh-detection-short.json", err, sizeof err) != BEX_OK) {
            printf("models: %s\n", err);
            free(net_short);
            net_short = NULL;
        }
        if (blz_load(net_full, MODELS "/facemesh-detection-full.json", err, sizeof err) != BEX_OK) {
            printf("models: %s\n", err);
            free(net_full);
            net_full = NULL;
        }
    }
    RUN(parity_with_tfjs);
    RUN(anchors);
    RUN(decode);
    RUN(weighted_nms);
    RUN(fixture_faces_found);
    RUN(tight_crop_found);
    RUN(refuses_other_ops);
    RUN(engine_default_detector);
    if (net_short) blz_free(net_short);
    if (net_full) blz_free(net_full);
    free(net_short);
    free(net_full);
    return test_summary();
}
