/*
 * test_tflite.c - the TFLite reader (src/nn/tflite.c) and its graph.
 *
 * Parity: Google's face_detection_short_range.tflite and the tfjs short-range graph model
 * (facemesh-detection-short, run by blazeface.c's own interpreter) hold the same weights
 * (tools/blazeface-ref/tflite_weights.py), so on the same input tensor the two must give the
 * same raw outputs: every regressor and score logit of every anchor, on the fixture faces.
 * Also: the full-range .tflite loads with the declared shapes, a patched operator code is
 * refused by name, and hostile bytes (truncations, a corrupted copy) are refused with a
 * message. The model tests SKIP when models/ lacks the files (tools/fetch-models.sh).
 */
#include <unistd.h>

#include "bex/image.h"
#include "face/nets.h"
#include "nn/graph.h"
#include "test.h"

#define MODELS "models"
#define SHORT_TFLITE MODELS "/face_detection_short_range.tflite"
#define FULL_TFLITE MODELS "/face_detection_full_range.tflite"
#define SHORT_TFJS MODELS "/facemesh-detection-short.json"
#define FULL_TFJS MODELS "/facemesh-detection-full.json"
/* The same float16 weights widened to float, summed in other orders (graph.c's kernels and
 * layouts against blazeface.c's): the rows of the anchors that score (logit > -1) agree to
 * TOL_TOP absolute (logits, and regressors in input px); every value of every anchor to
 * TOL_SCALE times the image's largest output (far anchors regress hundreds of px, where
 * float32 summation order shows at 1e-3 px). */
#define TOL_TOP 1e-4
#define TOL_SCALE 1e-4

static int readable(const char *p) { return access(p, R_OK) == 0; }

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); b = NULL; }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* tests/data/tflite/tiny.tflite (make-tiny.py: every operator the reader knows, float16
 * weights through DEQUANTIZE, SAME and VALID windows, fused RELU, channel PAD, half-pixel
 * RESIZE_BILINEAR, RESHAPE of 4-D tensors and CONCATENATION) against numpy's outputs. */
TEST(tiny_model_matches_numpy) {
    FILE *f = fopen("tests/data/tflite/tiny.expected", "r");
    CHECK(f != NULL);
    if (!f) return;
    float x[32], heads[80], relu[16], got_h[80], got_r[16];
    char line[256];
    CHECK(fgets(line, sizeof line, f) != NULL); /* the comment */
    int ok = 1;
    for (int k = 0; k < 32; k++) ok &= fscanf(f, "%f", &x[k]) == 1;
    for (int k = 0; k < 80; k++) ok &= fscanf(f, "%f", &heads[k]) == 1;
    for (int k = 0; k < 16; k++) ok &= fscanf(f, "%f", &relu[k]) == 1;
    fclose(f);
    CHECK(ok);
    nn_graph *g = NULL;
    char err[256] = "";
    int rc = nn_graph_load_tflite("tests/data/tflite/tiny.tflite", NULL, &g, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    CHECK(rc == BEX_OK);
    if (!g) return;
    nn_graph_info o0, o1;
    nn_graph_output(g, 0, &o0);
    nn_graph_output(g, 1, &o1);
    CHECK(!strcmp(o0.name, "heads") && o0.count == 80 && !strcmp(o1.name, "relu") && o1.count == 16);
    CHECK(o1.rank == 4 && o1.dims[1] == 2 && o1.dims[2] == 2 && o1.dims[3] == 4); /* NHWC, as TFLite */
    CHECK(nn_graph_run(g, (const float *const[]){x}, (float *const[]){got_h, got_r}, err, sizeof err) == BEX_OK);
    double worst = 0;
    for (int k = 0; k < 80; k++) worst = fmax(worst, fabs(got_h[k] - heads[k]));
    for (int k = 0; k < 16; k++) worst = fmax(worst, fabs(got_r[k] - relu[k]));
    printf("  max |bex - numpy| %.3g\n", worst);
    CHECK(worst < 1e-5);
    nn_graph_free(g);
    /* the seed with an operator the reader does not know */
    size_t len;
    unsigned char *b = slurp("tests/fuzz/corpus/tflite/softmax.tflite", &len);
    CHECK(b && nn_graph_load_tflite_mem(b, len, NULL, &g, err, sizeof err) == BEX_ERR_MODEL && strstr(err, "SOFTMAX"));
    free(b);
}

TEST(loads_both_models) {
    if (!readable(SHORT_TFLITE) || !readable(FULL_TFLITE)) { SKIP("models/ lacks the BlazeFace .tflite files"); return; }
    static const struct { const char *path; int side, anchors; } m[2] = {{SHORT_TFLITE, 128, 896}, {FULL_TFLITE, 192, 2304}};
    for (int k = 0; k < 2; k++) {
        nn_graph *g = NULL;
        char err[256] = "";
        int rc = nn_graph_load_tflite(m[k].path, NULL, &g, err, sizeof err);
        if (rc != BEX_OK) printf("  %s\n", err);
        CHECK(rc == BEX_OK);
        if (!g) continue;
        nn_graph_info in, o0, o1;
        CHECK(nn_graph_input_count(g) == 1 && nn_graph_output_count(g) == 2);
        nn_graph_input(g, 0, &in);
        nn_graph_output(g, 0, &o0);
        nn_graph_output(g, 1, &o1);
        CHECK(in.rank == 4 && in.dims[0] == 1 && in.dims[1] == m[k].side && in.dims[2] == m[k].side && in.dims[3] == 3);
        CHECK(o0.rank == 3 && o0.dims[1] == m[k].anchors && o0.dims[2] == 16);
        CHECK(o1.rank == 3 && o1.dims[1] == m[k].anchors && o1.dims[2] == 1);
        nn_graph_free(g);
    }
}

TEST(short_range_parity_with_tfjs) {
    if (!readable(SHORT_TFLITE) || !readable(SHORT_TFJS)) { SKIP("models/ lacks the short-range models"); return; }
    char err[256] = "";
    nn_graph *g = NULL;
    blz_net *net = calloc(1, sizeof *net);
    CHECK(nn_graph_load_tflite(SHORT_TFLITE, NULL, &g, err, sizeof err) == BEX_OK);
    CHECK(blz_load(net, SHORT_TFJS, err, sizeof err) == BEX_OK);
    if (!g || !net->in) { printf("  %s\n", err); nn_graph_free(g); free(net); return; }
    static const char *const files[] = {"Aaron_Eckhart_0001.png", "Akhmed_Zakayev_0001.png", "Candice_Bergen_0001.png",
                                        "Dario_Franchitti_0001.png", "Emmanuelle_Beart_0001.png"};
    float *reg = malloc(896 * 16 * sizeof *reg), *cls = malloc(896 * sizeof *cls);
    double worst = 0, worst_logit = 0, worst_rel = 0, worst_top = 0;
    int ntop = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/ref/pixels/%s", files[i]);
        bex_image img;
        if (bex_image_load(path, NULL, &img, err, sizeof err) != BEX_OK) { printf("  %s\n", err); test_cur_failed = 1; continue; }
        float lb[3];
        blz_preprocess(net, &img, lb);
        blz_forward(net);
        CHECK(nn_graph_run(g, (const float *const[]){net->in}, (float *const[]){reg, cls}, err, sizeof err) == BEX_OK);
        double scale = 0; /* the largest output of the image */
        for (int a = 0; a < 896 * 17; a++) scale = fmax(scale, fabs(net->raw[a]));
        int bad = 0;
        for (int a = 0; a < 896; a++) {
            /* the anchors that score (logit > -1, the top of the image) to TOL_TOP absolute */
            const double tol = net->raw[a * 17] > -1.0 ? TOL_TOP : TOL_SCALE * scale;
            for (int j = 0; j < 17; j++) {
                double want = net->raw[a * 17 + j], got = j ? reg[a * 16 + j - 1] : cls[a];
                double d = fabs(got - want);
                if (d > worst) worst = d;
                if (!j && d > worst_logit) worst_logit = d;
                if (d / scale > worst_rel) worst_rel = d / scale;
                if (net->raw[a * 17] > -1.0 && d > worst_top) worst_top = d;
                if (net->raw[a * 17] > -1.0 && !j) ntop++;
                if (d > tol && bad++ < 3)
                    printf("  %s anchor %d value %d: tflite %.6f tfjs %.6f\n", files[i], a, j, got, want);
            }
        }
        CHECK(bad == 0);
        bex_image_free(&img);
    }
    printf("  5 faces x 896 anchors x 17 values: max |tflite - tfjs| %.3g (score logits %.3g; the %d rows scoring > -1: %.3g),"
           " max |d| / (the image's largest output) %.3g\n", worst, worst_logit, ntop, worst_top, worst_rel);
    free(reg);
    free(cls);
    nn_graph_free(g);
    blz_free(net);
    free(net);
}

/* Google's full-range file against the third party's conversion (other weights, so only a
 * sanity check): the same one face on each fixture, the boxes overlapping by IoU >= FULL_IOU. */
#define FULL_IOU 0.8
TEST(full_range_boxes_agree_with_tfjs) {
    if (!readable(FULL_TFLITE) || !readable(FULL_TFJS)) { SKIP("models/ lacks the full-range models"); return; }
    char err[256] = "";
    blz_net *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    CHECK(blz_load(a, FULL_TFLITE, err, sizeof err) == BEX_OK);
    CHECK(blz_load(b, FULL_TFJS, err, sizeof err) == BEX_OK);
    CHECK(a->input == 192 && a->n_anchors == 2304 && a->min_score == 0.6f);
    static const char *const files[] = {"Aaron_Eckhart_0001.png", "Akhmed_Zakayev_0001.png", "Candice_Bergen_0001.png",
                                        "Dario_Franchitti_0001.png", "Emmanuelle_Beart_0001.png"};
    double worst = 0;
    for (size_t i = 0; a->graph && b->in && i < sizeof files / sizeof files[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "tests/data/ref/pixels/%s", files[i]);
        bex_image img;
        if (bex_image_load(path, NULL, &img, err, sizeof err) != BEX_OK) { test_cur_failed = 1; continue; }
        blz_box p[4], q[4];
        int np = blz_detect(a, &img, a->min_score, p, 4), nq = blz_detect(b, &img, b->min_score, q, 4);
        CHECK(np == 1 && nq == 1);
        if (np == 1 && nq == 1) {
            double d = fmax(fmax(fabs(p[0].x - q[0].x), fabs(p[0].y - q[0].y)), fmax(fabs(p[0].w - q[0].w), fabs(p[0].h - q[0].h)));
            double iw = fmin(p[0].x + p[0].w, q[0].x + q[0].w) - fmax(p[0].x, q[0].x);
            double ih = fmin(p[0].y + p[0].h, q[0].y + q[0].h) - fmax(p[0].y, q[0].y);
            double inter = iw > 0 && ih > 0 ? iw * ih : 0, iou = inter / (p[0].w * p[0].h + q[0].w * q[0].h - inter);
            printf("  %s: tflite box %.1f %.1f %.1f %.1f score %.3f, tfjs %.1f %.1f %.1f %.1f score %.3f: max |d| %.1f px, IoU %.3f\n",
                   files[i], p[0].x, p[0].y, p[0].w, p[0].h, p[0].score, q[0].x, q[0].y, q[0].w, q[0].h, q[0].score, d, iou);
            CHECK(iou >= FULL_IOU);
            if (d > worst) worst = d;
        }
        bex_image_free(&img);
    }
    blz_free(a);
    blz_free(b);
    free(a);
    free(b);
}

/* operator code 0's builtin_code patched to SOFTMAX (25): refused, by name */
TEST(refuses_other_ops_by_name) {
    if (!readable(SHORT_TFLITE)) { SKIP("models/ lacks the short-range .tflite"); return; }
    size_t len;
    unsigned char *b = slurp(SHORT_TFLITE, &len);
    CHECK(b != NULL);
    if (!b) return;
    /* Model -> operator_codes[0] -> field 3 (builtin_code) and field 0 (deprecated code) */
    uint32_t root, vt_off, oc_vec, oc0;
    int32_t soff;
    memcpy(&root, b, 4);
    memcpy(&soff, b + root, 4);
    uint32_t vt = root - (uint32_t)soff;
    uint16_t f1;
    memcpy(&f1, b + vt + 4 + 2 * 1, 2);
    memcpy(&vt_off, b + root + f1, 4);
    oc_vec = root + f1 + vt_off;
    memcpy(&oc0, b + oc_vec + 4, 4);
    uint32_t t = oc_vec + 4 + oc0;
    memcpy(&soff, b + t, 4);
    vt = t - (uint32_t)soff;
    uint16_t vlen, o0 = 0, o3 = 0;
    memcpy(&vlen, b + vt, 2);
    memcpy(&o0, b + vt + 4, 2);
    if (vlen > 10) memcpy(&o3, b + vt + 10, 2);
    if (o0) b[t + o0] = 25;
    if (o3) { int32_t v = 25; memcpy(b + t + o3, &v, 4); }
    nn_graph *g = NULL;
    char err[256] = "";
    CHECK(nn_graph_load_tflite_mem(b, len, NULL, &g, err, sizeof err) == BEX_ERR_MODEL && g == NULL);
    CHECK(strstr(err, "SOFTMAX is not supported") != NULL);
    printf("  %s\n", err);
    free(b);
}

/* truncations and corruptions: refused (or loaded) without a crash, a message on refusal */
TEST(hostile_bytes) {
    nn_graph *g = NULL;
    char err[256] = "";
    CHECK(nn_graph_load_tflite_mem("", 0, NULL, &g, err, sizeof err) == BEX_ERR_MODEL && g == NULL && err[0]);
    CHECK(nn_graph_load_tflite_mem("\x08\0\0\0TFL3\xff\xff", 10, NULL, &g, err, sizeof err) == BEX_ERR_MODEL && !g);
    if (!readable(SHORT_TFLITE)) { SKIP("models/ lacks the short-range .tflite"); return; }
    size_t len;
    unsigned char *b = slurp(SHORT_TFLITE, &len);
    if (!b) { test_cur_failed = 1; return; }
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        err[0] = '\0';
        int rc = nn_graph_load_tflite_mem(b, cut, NULL, &g, err, sizeof err);
        CHECK(rc != BEX_OK && g == NULL && err[0]);
        if (g) { nn_graph_free(g); g = NULL; }
    }
    srand(7);
    unsigned char *c = malloc(len);
    for (int trial = 0; trial < 200 && c; trial++) {
        memcpy(c, b, len);
        for (int k = 0; k < 8; k++) c[(size_t)rand() % (len < 20000 ? len : 20000)] = (unsigned char)rand();
        err[0] = '\0';
        int rc = nn_graph_load_tflite_mem(c, len, NULL, &g, err, sizeof err);
        CHECK(rc == BEX_OK ? g != NULL : (g == NULL && err[0]));
        if (g) { nn_graph_free(g); g = NULL; }
    }
    free(c);
    free(b);
}

int main(void) {
    RUN(tiny_model_matches_numpy);
    RUN(loads_both_models);
    RUN(short_range_parity_with_tfjs);
    RUN(full_range_boxes_agree_with_tfjs);
    RUN(refuses_other_ops_by_name);
    RUN(hostile_bytes);
    return test_summary();
}
