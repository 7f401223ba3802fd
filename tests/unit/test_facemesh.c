/*
 * test_facemesh.c - MediaPipe Face Mesh in bex (src/face/facemesh.c) and the alignment on its
 * points (BEX_ALIGN_FACEMESH): the graph loads and is told apart from another, its points fall
 * where the 68-point net puts the same points and near BlazeFace's eye keypoints on LFW
 * fixtures (upright and turned by 20 degrees), and a Face Mesh template of one photo verifies the same person's other photo
 * and not another person's. Skips when models/ lacks facemesh.json (tools/fetch-models.sh).
 */
#include <cjson/cJSON.h>
#include <unistd.h>

#include "bex/face.h"
#include "bex/image.h"
#include "face/align.h"
#include "face/nets.h"
#include "image/transform.h"
#include "test.h"

#define MODELS "models"
#define REF "tests/data/facemesh/ref.jsonl"
/* Parity tolerance for every raw output (x, y in input px 0..192, z): the reference is printed
 * to 6 significant digits, and the float16-widened weights are summed in another order. */
#define TOL_ABS 2e-3
#define TOL_REL 2e-5

static int have_models(void) {
    return access(MODELS "/facemesh.bin", R_OK) == 0 && access(MODELS "/facemesh-detection-short.bin", R_OK) == 0 &&
           access(MODELS "/face_recognition_model.bin", R_OK) == 0;
}

static bex_engine *open_engine(void) {
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.align = BEX_ALIGN_FACEMESH;
    bex_engine *e = NULL;
    char err[256];
    if (bex_engine_open(MODELS, &o, &e, err, sizeof err) != BEX_OK) printf("  engine: %s\n", err);
    return e;
}

/* Turns img by deg degrees about its centre (nearest pixel, black outside) into a new image. */
static int rolled(const bex_image *img, double deg, bex_image *out) {
    int w = img->width, h = img->height;
    out->width = w, out->height = h;
    if (!(out->px = calloc((size_t)w * h * 3, 1))) return -1;
    double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int v = 0; v < h; v++)
        for (int u = 0; u < w; u++) {
            int x = (int)lround(c * (u - cx) + s * (v - cy) + cx), y = (int)lround(-s * (u - cx) + c * (v - cy) + cy);
            if (x >= 0 && y >= 0 && x < w && y < h) memcpy(out->px + ((size_t)v * w + u) * 3, img->px + ((size_t)y * w + x) * 3, 3);
        }
    return 0;
}

TEST(loads_and_refuses_others) {
    if (!have_models()) SKIP("models/ lacks facemesh.json (tools/fetch-models.sh)");
    char err[256] = "";
    mesh_net *m = calloc(1, sizeof *m);
    CHECK(mesh_load(m, MODELS "/facemesh.json", err, sizeof err) == BEX_OK);
    CHECK(m->g.input == MESH_INPUT && m->mesh && m->score);
    mesh_free(m);
    /* BlazeFace's graph runs in the same interpreter but is not Face Mesh */
    CHECK(mesh_load(m, MODELS "/facemesh-detection-full.json", err, sizeof err) == BEX_ERR_MODEL);
    CHECK(strstr(err, "not Face Mesh") != NULL);
    free(m);
}

TEST(parity_with_tfjs) {
    if (!have_models()) SKIP("models/ lacks facemesh.json (tools/fetch-models.sh)");
    char err[256] = "";
    mesh_net *net = calloc(1, sizeof *net);
    CHECK(mesh_load(net, MODELS "/facemesh.json", err, sizeof err) == BEX_OK);
    FILE *f = fopen(REF, "r");
    CHECK(f != NULL);
    if (!f || !net->mesh) {
        if (f) fclose(f);
        free(net);
        return;
    }
    static char line[1 << 16];
    int images = 0;
    double worst = 0;
    while (fgets(line, sizeof line, f)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *file = cJSON_GetObjectItem(j, "file"), *m = cJSON_GetObjectItem(j, "m"),
                    *flag = cJSON_GetObjectItem(j, "flag"), *mesh = cJSON_GetObjectItem(j, "mesh");
        CHECK(cJSON_IsString(file) && cJSON_GetArraySize(m) == 6 && cJSON_IsNumber(flag) &&
              cJSON_GetArraySize(mesh) == MESH_POINTS * 3);
        char path[512];
        bex_image img;
        snprintf(path, sizeof path, "tests/data/ref/pixels/%s", cJSON_IsString(file) ? file->valuestring : "");
        if (cJSON_GetArraySize(m) == 6 && cJSON_GetArraySize(mesh) == MESH_POINTS * 3 &&
            bex_image_load(path, NULL, &img, err, sizeof err) == BEX_OK) {
            float w[6];
            for (int k = 0; k < 6; k++) w[k] = (float)cJSON_GetArrayItem(m, k)->valuedouble;
            CHECK(bex__image_warp_affine_f32(&img, w, MESH_INPUT, MESH_INPUT, net->g.in) == BEX_OK);
            for (int k = 0; k < MESH_INPUT * MESH_INPUT * 3; k++) net->g.in[k] /= 255.0f;
            blz_forward(&net->g);
            CHECK_NEAR(net->score[0], flag->valuedouble, 1e-4);
            for (int k = 0; k < MESH_POINTS * 3; k++) {
                double r = cJSON_GetArrayItem(mesh, k)->valuedouble, d = fabs(net->mesh[k] - r);
                if (d > worst) worst = d;
                if (!(d <= TOL_ABS + TOL_REL * fabs(r))) {
                    printf("  %s: output %d is %g, tfjs %g\n", file->valuestring, k, net->mesh[k], r);
                    test_cur_failed = 1;
                    break;
                }
            }
            images++;
            bex_image_free(&img);
        }
        cJSON_Delete(j);
    }
    fclose(f);
    printf("  %d crops, worst |bex - tfjs| %.2e (input px)\n", images, worst);
    CHECK(images == 3);
    mesh_free(net);
    free(net);
}

/* The ROI: upright eyes give an axis-aligned square 1.5 times the box, centred on it. */
TEST(roi) {
    float box[4] = {100, 50, 80, 100}, kp[BLZ_KEYPOINTS][2] = {{120, 90}, {160, 90}}, m[6];
    mesh_roi(box, (const float(*)[2])kp, m);
    CHECK_NEAR(m[0], 150.0 / 192, 1e-6);
    CHECK_NEAR(m[1], 0, 1e-6);
    CHECK_NEAR(m[0] * 96 + m[2], 140, 1e-4); /* the crop's centre is the box's */
    CHECK_NEAR(m[4] * 96 + m[5], 100, 1e-4);
    kp[1][1] = 130; /* eyes at 45 degrees: the crop turns with them */
    mesh_roi(box, (const float(*)[2])kp, m);
    CHECK_NEAR(m[3], m[0], 1e-6);
    CHECK_NEAR(m[1], -m[0], 1e-6);
}

/* Face Mesh's five points lie where the 68-point net puts the same points (eye centres,
 * nose tip 30, mouth corners 48 and 54), its eye centres near BlazeFace's eye keypoints, all
 * inside the box. Tolerances in eye distances (about 40 px on LFW). */
static void check_points(const bex_face *f, const char *name) {
    float iod = hypotf(f->keypoints[1][0] - f->keypoints[0][0], f->keypoints[1][1] - f->keypoints[0][1]);
    float ref[5][2] = {{0}};
    for (int k = 0; k < 6; k++)
        for (int c = 0; c < 2; c++) {
            ref[0][c] += f->landmarks[36 + k][c] / 6;
            ref[1][c] += f->landmarks[42 + k][c] / 6;
        }
    static const int at[3] = {30, 48, 54};
    for (int k = 0; k < 3; k++) ref[2 + k][0] = f->landmarks[at[k]][0], ref[2 + k][1] = f->landmarks[at[k]][1];
    for (int k = 0; k < 5; k++) {
        float d = hypotf(f->mesh_points[k][0] - ref[k][0], f->mesh_points[k][1] - ref[k][1]);
        if (!(d < 0.15f * iod)) printf("  %s: mesh point %d is %.1f px from the 68-point net's (eyes %.1f px apart)\n", name, k, d, iod);
        CHECK(d < 0.15f * iod);
        CHECK(f->mesh_points[k][0] > f->box[0] && f->mesh_points[k][0] < f->box[0] + f->box[2]);
        CHECK(f->mesh_points[k][1] > f->box[1] && f->mesh_points[k][1] < f->box[1] + f->box[3]);
    }
    for (int k = 0; k < 2; k++) {
        float d = hypotf(f->mesh_points[k][0] - f->keypoints[k][0], f->mesh_points[k][1] - f->keypoints[k][1]);
        if (!(d < 0.3f * iod)) printf("  %s: mesh eye %d is %.1f px from BlazeFace's\n", name, k, d);
        CHECK(d < 0.3f * iod);
    }
}

TEST(points_near_keypoints) {
    if (!have_models()) SKIP("models/ lacks facemesh.json (tools/fetch-models.sh)");
    bex_engine *e = open_engine();
    CHECK(e != NULL);
    if (!e) return;
    static const char *const names[] = {"Aaron_Eckhart_0001", "Candice_Bergen_0001", "Lucy_Liu_0002", "Hugo_Chavez_0033",
                                        "Vernon_Forrest_0001", "Maria_Callas_0001"};
    char err[256], path[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "tests/data/lfw/%s.jpg", names[i]);
        bex_image img, rot;
        if (bex_image_load(path, NULL, &img, err, sizeof err) != BEX_OK) {
            printf("  %s\n", err);
            test_cur_failed = 1;
            continue;
        }
        bex_face f[4];
        int n = 0;
        CHECK(bex_detect(e, &img, f, 4, &n, err, sizeof err) == BEX_OK && n >= 1);
        if (n >= 1) {
            CHECK(f[0].has_keypoints && f[0].has_mesh);
            if (f[0].has_mesh) check_points(&f[0], names[i]);
        }
        /* turned by 20 degrees: the crop is turned back with the eye keypoints */
        if (rolled(&img, 20, &rot) == 0) {
            n = 0;
            CHECK(bex_detect(e, &rot, f, 4, &n, err, sizeof err) == BEX_OK && n >= 1);
            if (n >= 1) {
                CHECK(f[0].has_mesh);
                if (f[0].has_mesh) check_points(&f[0], names[i]);
            }
            bex_image_free(&rot);
        }
        bex_image_free(&img);
    }
    bex_engine_stats st;
    bex_engine_get_stats(e, &st);
    CHECK(st.meshes >= 12);
    bex_engine_close(e);
}

static int embed_first(bex_engine *e, const char *name, bex_face *f) {
    char err[256], path[256];
    snprintf(path, sizeof path, "tests/data/lfw/%s.jpg", name);
    bex_image img;
    if (bex_image_load(path, NULL, &img, err, sizeof err) != BEX_OK) return -1;
    bex_face faces[4];
    int n = 0;
    int rc = bex_embed(e, &img, faces, 4, &n, err, sizeof err);
    bex_image_free(&img);
    if (rc != BEX_OK || n < 1) return -1;
    *f = faces[0];
    return 0;
}

/* The Face Mesh alignment's template verifies the same person's other photo above the
 * threshold, and not another person's. */
TEST(verifies_same_person) {
    if (!have_models()) SKIP("models/ lacks facemesh.json (tools/fetch-models.sh)");
    bex_engine *e = open_engine();
    CHECK(e != NULL);
    if (!e) return;
    static bex_face a, b, c; /* large */
    CHECK(embed_first(e, "Akhmed_Zakayev_0001", &a) == 0);
    CHECK(embed_first(e, "Akhmed_Zakayev_0003", &b) == 0);
    CHECK(embed_first(e, "Emmanuelle_Beart_0001", &c) == 0);
    CHECK(a.has_mesh && b.has_mesh && c.has_mesh);
    float thr = bex_verify_threshold(BEX_ALIGN_FACEMESH);
    float same = bex_template_similarity(a.template_, b.template_), other = bex_template_similarity(a.template_, c.template_);
    printf("  same person %.3f, another %.3f, threshold %.3f\n", same, other, thr);
    CHECK(same > thr);
    CHECK(other < thr);
    bex_engine_close(e);
}

int main(void) {
    RUN(loads_and_refuses_others);
    RUN(parity_with_tfjs);
    RUN(roi);
    RUN(points_near_keypoints);
    RUN(verifies_same_person);
    return test_summary();
}
