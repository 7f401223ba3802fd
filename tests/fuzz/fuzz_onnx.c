/*
 * fuzz_onnx.c - libFuzzer target for the ONNX reader and executor (nn_graph_load_onnx_mem):
 * any bytes as a model file. A failure must carry a message and leave nothing allocated; a
 * model that loads (small inputs only) is run once on zeros and must not crash.
 *
 *   make fuzz && mkdir -p /tmp/onnx-corpus &&
 *   build-fuzz/fuzz_onnx -max_total_time=120 /tmp/onnx-corpus tests/fuzz/corpus/onnx
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bex/bex.h"
#include "nn/graph.h"
#include "fuzz_graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    nn_graph *g = NULL;
    char err[256] = "";
    if (nn_graph_load_onnx_mem(data, size, NULL, &g, err, sizeof err) != BEX_OK) {
        if (err[0] == '\0' || g) __builtin_trap();
        return 0;
    }
    fuzz_graph_run_once(g);
    nn_graph_free(g);
    return 0;
}
