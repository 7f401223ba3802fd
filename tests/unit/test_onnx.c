/*
 * test_onnx.c - bex's ONNX executor (src/nn/onnx.c, src/nn/graph.c) against onnxruntime.
 *
 * tests/data/onnx/ holds small models made by tools/onnx-ref/make_models.py (random weights,
 * every supported operator, odd shapes) with their inputs and onnxruntime-node's outputs
 * (tools/onnx-ref/ref.js; see tests/data/onnx/README.md). Each output must match within
 * max |bex - ort| <= 1e-4 * max(1, max |ort|). Also: refusals (an unsupported operator named,
 * truncated and hostile files), allocation failures at every point of a load (no leak, no
 * crash, under the sanitizer build), the portable kernel, and the real BlazeFace ONNX model
 * from models/ (skipped when tools/fetch-models.sh has not fetched it).
 */
#include <stdint.h>
#if defined(__x86_64__) || defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "bex/bex.h"
#include "nn/graph.h"
#include "nn/nn.h"
#include "test.h"
#include "util/util.h"

#define DATA "tests/data/onnx/"
#define TOL 1e-4

static void *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Loads DIR NAME.onnx, runs it on NAME.input.bin and compares with NAME.output.bin; returns
 * the worst error relative to the output's scale (or -1 on a failure, reported). */
static int64_t batch; /* nn_graph_options.batch for the next check */

static double check_model(const char *model, const char *dir, const char *name, int verbose) {
    char path[512], err[512] = "";
    nn_graph *g = NULL;
    nn_graph_options opt = {0};
    opt.batch = batch;
    int rc = nn_graph_load_onnx(model, &opt, &g, err, sizeof err);
    if (rc != BEX_OK) {
        printf("  %s: load failed: %s\n", name, err);
        return -1;
    }
    size_t inlen, outlen;
    snprintf(path, sizeof path, "%s%s.input.bin", dir, name);
    float *in = slurp(path, &inlen);
    snprintf(path, sizeof path, "%s%s.output.bin", dir, name);
    float *ref = slurp(path, &outlen);
    size_t nin = 0, nout = 0;
    for (int k = 0; k < nn_graph_input_count(g); k++) {
        nn_graph_info inf;
        nn_graph_input(g, k, &inf);
        nin += inf.count;
    }
    for (int k = 0; k < nn_graph_output_count(g); k++) {
        nn_graph_info inf;
        nn_graph_output(g, k, &inf);
        nout += inf.count;
    }
    double worst = -1;
    if (!in || !ref || inlen != nin * 4 || outlen != nout * 4) {
        printf("  %s: fixture sizes do not match the model (%zu / %zu input floats, %zu / %zu output)\n", name,
               inlen / 4, nin, outlen / 4, nout);
        goto done;
    }
    const float *ins[16];
    float *outs[16];
    float *got = malloc(nout * sizeof *got + 1);
    size_t o = 0;
    for (int k = 0; k < nn_graph_input_count(g) && k < 16; k++) {
        nn_graph_info inf;
        nn_graph_input(g, k, &inf);
        ins[k] = in + o;
        o += inf.count;
    }
    o = 0;
    for (int k = 0; k < nn_graph_output_count(g) && k < 16; k++) {
        nn_graph_info inf;
        nn_graph_output(g, k, &inf);
        outs[k] = got + o;
        o += inf.count;
    }
    for (int rep = 0; rep < 2; rep++) { /* twice: a run leaves nothing behind that changes the next */
        if (nn_graph_run(g, ins, outs, err, sizeof err) != BEX_OK) {
            printf("  %s: run failed: %s\n", name, err);
            free(got);
            goto done;
        }
    }
    worst = 0;
    o = 0;
    for (int k = 0; k < nn_graph_output_count(g); k++) {
        nn_graph_info inf;
        nn_graph_output(g, k, &inf);
        double scale = 1, e = 0;
        for (size_t j = 0; j < inf.count; j++) scale = fmax(scale, fabs(ref[o + j]));
        for (size_t j = 0; j < inf.count; j++) {
            double d = fabs((double)got[o + j] - ref[o + j]);
            if (!(d <= e)) e = d; /* NaN counts */
        }
        if (verbose || e / scale > TOL)
            printf("  %s output %d '%s' (%zu values): max abs error %.3g, scale %.3g\n", name, k, inf.name,
                   inf.count, e, scale);
        if (!(e / scale <= worst)) worst = e / scale;
        o += inf.count;
    }
    free(got);
done:
    free(in);
    free(ref);
    nn_graph_free(g);
    return worst;
}

static double check_case(const char *dir, const char *name, int verbose) {
    char model[512];
    batch = !strcmp(name, "batch") ? 3 : 0; /* its symbolic batch dimension, run as 3 */
    snprintf(model, sizeof model, "%s%s.onnx", dir, name);
    return check_model(model, dir, name, verbose);
}

static const char *const cases[] = {"conv", "depthwise", "act", "binary", "concat_pool",
                                    "shape", "misc", "denormal", "opset9", "batch", "split"};

TEST(parity_with_onnxruntime) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double e = check_case(DATA, cases[k], 0);
        if (!(e >= 0 && e <= TOL)) printf("  case %s: error %g\n", cases[k], e);
        CHECK(e >= 0 && e <= TOL);
    }
}

TEST(parity_on_the_scalar_kernel) {
    const nn_kernel *k = nn_kernel_by_name("scalar");
    CHECK(k != NULL);
    nn_kernel_set(k);
    for (size_t j = 0; j < sizeof cases / sizeof cases[0]; j++) {
        double e = check_case(DATA, cases[j], 0);
        CHECK(e >= 0 && e <= TOL);
    }
    nn_kernel_set(NULL);
}

TEST(blazeface_onnx) {
    FILE *f = fopen("models/face_detection_front_128x128_barracuda.onnx", "rb");
    if (!f) SKIP("models/face_detection_front_128x128_barracuda.onnx not installed (tools/fetch-models.sh)");
    fclose(f);
    /* the model from models/, the input and onnxruntime's outputs from tests/data/onnx/ */
    double e = check_model("models/face_detection_front_128x128_barracuda.onnx", DATA, "blazeface", 1);
    CHECK(e >= 0 && e <= TOL);
}

static int load_mem(const void *p, size_t n, char *err, size_t errlen) {
    nn_graph *g = NULL;
    int rc = nn_graph_load_onnx_mem(p, n, NULL, &g, err, errlen);
    nn_graph_free(g);
    return rc;
}

/* a ModelProto with one node of operator op (hand-encoded protobuf) */
static size_t tiny_model(uint8_t *buf, const char *op, int64_t dim) {
    uint8_t node[128], graph[256], vi[128];
    size_t n = 0, gn = 0, vn = 0;
    node[n++] = 0x0a; node[n++] = 1; node[n++] = 'x';                 /* input "x" */
    node[n++] = 0x12; node[n++] = 1; node[n++] = 'y';                 /* output "y" */
    node[n++] = 0x1a; node[n++] = 5; memcpy(node + n, "mynode", 5); n += 5; /* name "mynod" */
    node[n++] = 0x22; node[n++] = (uint8_t)strlen(op); memcpy(node + n, op, strlen(op)); n += strlen(op);
    /* ValueInfoProto x: float [dim] */
    uint8_t dimb[16], shape[32], tt[48], tp[64];
    size_t dn = 0, sn = 0, tn = 0, pn = 0;
    dimb[dn++] = 0x08;
    uint64_t u = (uint64_t)dim;
    do { dimb[dn++] = (uint8_t)((u & 0x7f) | (u > 0x7f ? 0x80 : 0)); u >>= 7; } while (u);
    shape[sn++] = 0x0a; shape[sn++] = (uint8_t)dn; memcpy(shape + sn, dimb, dn); sn += dn;
    tt[tn++] = 0x08; tt[tn++] = 1; tt[tn++] = 0x12; tt[tn++] = (uint8_t)sn; memcpy(tt + tn, shape, sn); tn += sn;
    tp[pn++] = 0x0a; tp[pn++] = (uint8_t)tn; memcpy(tp + pn, tt, tn); pn += tn;
    vi[vn++] = 0x0a; vi[vn++] = 1; vi[vn++] = 'x'; vi[vn++] = 0x12; vi[vn++] = (uint8_t)pn; memcpy(vi + vn, tp, pn); vn += pn;
    graph[gn++] = 0x0a; graph[gn++] = (uint8_t)n; memcpy(graph + gn, node, n); gn += n;
    graph[gn++] = 0x5a; graph[gn++] = (uint8_t)vn; memcpy(graph + gn, vi, vn); gn += vn;   /* input */
    vi[2] = 'y';
    graph[gn++] = 0x62; graph[gn++] = (uint8_t)vn; memcpy(graph + gn, vi, vn); gn += vn;   /* output */
    size_t m = 0;
    buf[m++] = 0x08; buf[m++] = 7;                                    /* ir_version 7 */
    buf[m++] = 0x42; buf[m++] = 2; buf[m++] = 0x10; buf[m++] = 13;    /* opset 13 */
    buf[m++] = 0x3a; buf[m++] = (uint8_t)gn; memcpy(buf + m, graph, gn); m += gn;
    return m;
}

TEST(refusals) {
    char err[512];
    uint8_t buf[512];
    size_t n = tiny_model(buf, "Relu", 5);
    nn_graph *g = NULL;
    CHECK(nn_graph_load_onnx_mem(buf, n, NULL, &g, err, sizeof err) == BEX_OK);
    if (g) {
        float x[5] = {-1, 2, -3, 4, 0}, y[5];
        CHECK(nn_graph_run(g, (const float *const[]){x}, (float *const[]){y}, err, sizeof err) == BEX_OK);
        CHECK(y[0] == 0 && y[1] == 2 && y[3] == 4);
        nn_graph_free(g);
    }
    n = tiny_model(buf, "LSTM", 5);
    CHECK(load_mem(buf, n, err, sizeof err) == BEX_ERR_MODEL);
    printf("  LSTM: %s\n", err);
    CHECK(strstr(err, "'mynod'") && strstr(err, "(LSTM)") && strstr(err, "operator not supported"));
    /* every truncation of a valid model is refused cleanly (or, at a field boundary, loads) */
    n = tiny_model(buf, "Relu", 5);
    for (size_t k = 0; k < n; k++) {
        err[0] = 0;
        int rc = load_mem(buf, k, err, sizeof err);
        CHECK(rc == BEX_OK || (rc == BEX_ERR_MODEL && err[0]));
    }
    CHECK(load_mem(buf, 3, err, sizeof err) == BEX_ERR_MODEL);
    printf("  truncated: %s\n", err);
    /* absurd dimensions */
    n = tiny_model(buf, "Relu", (int64_t)1 << 40);
    CHECK(load_mem(buf, n, err, sizeof err) == BEX_ERR_MODEL);
    printf("  huge input: %s\n", err);
    /* garbage */
    memset(buf, 0xff, 64);
    CHECK(load_mem(buf, 64, err, sizeof err) == BEX_ERR_MODEL);
    CHECK(load_mem("", 0, err, sizeof err) == BEX_ERR_MODEL);
    CHECK(nn_graph_load_onnx("tests/fuzz/corpus/onnx/external", NULL, &g, err, sizeof err) == BEX_ERR_MODEL);
    printf("  external: %s\n", err);
    CHECK(strstr(err, "external data") != NULL);
    CHECK(nn_graph_load_onnx("tests/fuzz/corpus/onnx/lstm", NULL, &g, err, sizeof err) == BEX_ERR_MODEL);
    CHECK(strstr(err, "(LSTM): operator not supported") != NULL);
    CHECK(nn_graph_load_onnx("tests/data/onnx/no-such-model.onnx", NULL, &g, err, sizeof err) == BEX_ERR_IO);
}

TEST(every_allocation_failure) {
    size_t len;
    void *p = slurp(DATA "shape.onnx", &len);
    CHECK(p != NULL);
    if (!p) return;
    char err[512];
    int ok = 0;
    for (long k = 1; k < 100000 && !ok; k++) {
        bex__alloc_fail_after(k);
        nn_graph *g = NULL;
        int rc = nn_graph_load_onnx_mem(p, len, NULL, &g, err, sizeof err);
        bex__alloc_fail_after(0);
        if (rc == BEX_OK) ok = 1;
        else if (rc != BEX_ERR_NOMEM) {
            printf("  allocation %ld failed: rc %d: %s\n", k, rc, err);
            CHECK(rc == BEX_ERR_NOMEM);
            break;
        }
        nn_graph_free(g);
    }
    CHECK(ok);
    free(p);
}

/* 3000 random corruptions of a valid model: each is refused with a message or loads and runs */
TEST(corrupted_models) {
    size_t len;
    uint8_t *p = slurp(DATA "concat_pool.onnx", &len);
    CHECK(p != NULL);
    if (!p) return;
    uint8_t *q = malloc(len);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int loaded = 0;
    for (int t = 0; t < 3000; t++) {
        memcpy(q, p, len);
        for (int k = 0; k < 1 + t % 4; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(seed >> 33) % len;
            q[at] = (uint8_t)(seed >> 20);
        }
        nn_graph *g = NULL;
        char err[512] = "";
        int rc = nn_graph_load_onnx_mem(q, len, NULL, &g, err, sizeof err);
        if (rc != BEX_OK) {
            CHECK(err[0] != 0 && g == NULL);
            continue;
        }
        loaded++;
        size_t total = 0;
        nn_graph_info inf;
        for (int k = 0; k < nn_graph_input_count(g); k++) total += (nn_graph_input(g, k, &inf), inf.count);
        for (int k = 0; k < nn_graph_output_count(g); k++) total += (nn_graph_output(g, k, &inf), inf.count);
        if (total < ((size_t)1 << 22) && nn_graph_input_count(g) <= 16 && nn_graph_output_count(g) <= 16) {
            float *buf = calloc(total + 1, sizeof *buf);
            const float *ins[16];
            float *outs[16];
            size_t o = 0;
            for (int k = 0; k < nn_graph_input_count(g); k++) ins[k] = buf + o, o += (nn_graph_input(g, k, &inf), inf.count);
            for (int k = 0; k < nn_graph_output_count(g); k++) outs[k] = buf + o, o += (nn_graph_output(g, k, &inf), inf.count);
            CHECK(nn_graph_run(g, ins, outs, err, sizeof err) == BEX_OK);
            free(buf);
        }
        nn_graph_free(g);
    }
    printf("  %d of 3000 corrupted models still loaded and ran\n", loaded);
    free(q);
    free(p);
}

/* nn_graph_run flushes denormals while it runs and gives the caller its own mode back */
TEST(fp_mode_restored) {
#if defined(__x86_64__) || defined(__SSE__)
    char err[512];
    nn_graph *g = NULL;
    CHECK(nn_graph_load_onnx(DATA "denormal.onnx", NULL, &g, err, sizeof err) == BEX_OK);
    if (!g) return;
    nn_graph_info in, out;
    nn_graph_input(g, 0, &in);
    nn_graph_output(g, 0, &out);
    float *x = calloc(in.count, sizeof *x), *y = calloc(out.count, sizeof *y);
    for (size_t k = 0; k < in.count; k++) x[k] = (float)(k % 7) - 3.0f;
    const unsigned before = _mm_getcsr();
    _mm_setcsr(before & ~0x8040u); /* a caller without FTZ / DAZ */
    const unsigned mine = _mm_getcsr();
    CHECK(nn_graph_run(g, (const float *const[]){x}, (float *const[]){y}, err, sizeof err) == BEX_OK);
    CHECK(_mm_getcsr() == mine);
    volatile float tiny = 1e-39f; /* and the caller's denormals are still denormals */
    CHECK(tiny * 1.0f != 0.0f);
    _mm_setcsr(before);
    free(x);
    free(y);
    nn_graph_free(g);
#else
    SKIP("no MXCSR on this machine");
#endif
}

/* test_onnx --dir DIR: the parity check alone on the models in DIR (the live parity test) */
static const char *live_dir;

TEST(parity_live) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double e = check_case(live_dir, cases[k], 1);
        CHECK(e >= 0 && e <= TOL);
    }
}

/* test_onnx --case DIR NAME: the same check on one model DIR/NAME.onnx (tests/tools/test_byom.sh:
 * the built-in recognition network as tools/onnx-ref/export_dlib.py writes it) */
static const char *live_name;

TEST(parity_case) {
    double e = check_case(live_dir, live_name, 1);
    CHECK(e >= 0 && e <= TOL);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--dir")) {
        live_dir = argv[2];
        RUN(parity_live);
        return test_summary();
    }
    if (argc == 4 && !strcmp(argv[1], "--case")) {
        live_dir = argv[2];
        live_name = argv[3];
        RUN(parity_case);
        return test_summary();
    }
    RUN(parity_with_onnxruntime);
    RUN(parity_on_the_scalar_kernel);
    RUN(blazeface_onnx);
    RUN(refusals);
    RUN(every_allocation_failure);
    RUN(corrupted_models);
    RUN(fp_mode_restored);
    return test_summary();
}
