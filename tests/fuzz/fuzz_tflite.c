/*
 * fuzz_tflite.c - libFuzzer target for the TFLite reader and executor (nn_graph_load_tflite_mem):
 * any bytes as a model file. A failure must carry a message and leave nothing allocated; a
 * model that loads (small inputs only) is run once on zeros and must not crash.
 *
 *   make fuzz && mkdir -p /tmp/tflite-corpus &&
 *   build-fuzz/fuzz_tflite -max_total_time=120 /tmp/tflite-corpus tests/fuzz/corpus/tflite
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bex/bex.h"
#include "nn/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nn_graph *g = NULL;
    char err[256] = "";
    if (nn_graph_load_tflite_mem(data, size, NULL, &g, err, sizeof err) != BEX_OK) {
        if (err[0] == '\0' || g) __builtin_trap();
        return 0;
    }
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
    nn_graph_free(g);
    return 0;
}
