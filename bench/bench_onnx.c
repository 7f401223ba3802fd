/*
 * bench_onnx.c - time per inference of an ONNX model in bex's executor (one thread).
 *
 *   build/bench/bench_onnx [MODEL [INPUT.bin [RUNS]]]
 *
 * Defaults: models/face_detection_front_128x128_barracuda.onnx (BlazeFace) on
 * tests/data/onnx/blazeface.input.bin, 300 runs after 20 warm-ups; prints the median, min and
 * max milliseconds per run. With BENCH_DENORMALS=1 the run keeps the caller's floating-point
 * mode (denormals not flushed), to measure what FTZ / DAZ buys. The peer, onnxruntime-node on
 * one thread: BENCH=300 node tools/onnx-ref/ref.js DIR NAME (bench/bench_onnx.sh runs both).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bex/bex.h"
#include "nn/graph.h"
#include "nn/nn.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "models/face_detection_front_128x128_barracuda.onnx";
    const char *input = argc > 2 ? argv[2] : "tests/data/onnx/blazeface.input.bin";
    int runs = argc > 3 ? atoi(argv[3]) : 300;
    if (runs < 1) runs = 1;
    char err[512];
    nn_graph_options opt = {0};
    const char *dn = getenv("BENCH_DENORMALS");
    opt.keep_denormals = dn && !strcmp(dn, "1");
    nn_graph *g;
    if (nn_graph_load_onnx(model, &opt, &g, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bench_onnx: %s\n", err);
        return 1;
    }
    size_t nin = 0, nout = 0;
    nn_graph_info inf;
    for (int k = 0; k < nn_graph_input_count(g); k++) nin += (nn_graph_input(g, k, &inf), inf.count);
    for (int k = 0; k < nn_graph_output_count(g); k++) nout += (nn_graph_output(g, k, &inf), inf.count);
    float *in = calloc(nin + 1, sizeof *in), *out = calloc(nout + 1, sizeof *out);
    FILE *f = fopen(input, "rb");
    if (!f || fread(in, sizeof *in, nin, f) != nin) {
        fprintf(stderr, "bench_onnx: %s: cannot read %zu floats\n", input, nin);
        return 1;
    }
    fclose(f);
    const float *ins[16];
    float *outs[16];
    size_t o = 0;
    for (int k = 0; k < nn_graph_input_count(g) && k < 16; k++) ins[k] = in + o, o += (nn_graph_input(g, k, &inf), inf.count);
    o = 0;
    for (int k = 0; k < nn_graph_output_count(g) && k < 16; k++) outs[k] = out + o, o += (nn_graph_output(g, k, &inf), inf.count);
    for (int k = 0; k < 20; k++) nn_graph_run(g, ins, outs, err, sizeof err);
    double *t = malloc((size_t)runs * sizeof *t);
    for (int k = 0; k < runs; k++) {
        double t0 = now_ms();
        nn_graph_run(g, ins, outs, err, sizeof err);
        t[k] = now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    printf("%s: bex (%s kernel%s) median %.3f ms, min %.3f, max %.3f (%d runs, 1 thread)\n", model,
           nn_kernel_current()->name, opt.keep_denormals ? ", denormals kept" : "", t[runs / 2], t[0],
           t[runs - 1], runs);
    free(t);
    free(in);
    free(out);
    nn_graph_free(g);
    return 0;
}
