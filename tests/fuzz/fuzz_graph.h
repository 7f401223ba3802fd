/*
 * fuzz_graph.h - what the model-file fuzz targets (fuzz_onnx.c, fuzz_tflite.c) do with a graph
 * that loaded: run it once on zeros (small models only); it must not fail or crash.
 */
#ifndef BEX_FUZZ_GRAPH_H
#define BEX_FUZZ_GRAPH_H

#include <stddef.h>
#include <stdlib.h>

#include "bex/bex.h"
#include "nn/graph.h"

static void fuzz_graph_run_once(nn_graph *g) {
    char err[256] = "";
    int nin = nn_graph_input_count(g), nout = nn_graph_output_count(g);
    size_t total = 0;
    nn_graph_info inf;
    for (int k = 0; k < nin; k++)
        if (nn_graph_input(g, k, &inf) == BEX_OK) total += inf.count;
    for (int k = 0; k < nout; k++)
        if (nn_graph_output(g, k, &inf) == BEX_OK) total += inf.count;
    if (nin <= 64 && nout <= 64 && total <= ((size_t)1 << 22)) { /* run it once on zeros */
        float *buf = calloc(total + 1, sizeof *buf);
        const float *ins[64];
        float *outs[64];
        size_t o = 0;
        for (int k = 0; k < nin; k++) {
            nn_graph_input(g, k, &inf);
            ins[k] = buf + o;
            o += inf.count;
        }
        for (int k = 0; k < nout; k++) {
            nn_graph_output(g, k, &inf);
            outs[k] = buf + o;
            o += inf.count;
        }
        if (buf && nn_graph_run(g, ins, outs, err, sizeof err) != BEX_OK) __builtin_trap();
        free(buf);
    }
}

#endif
