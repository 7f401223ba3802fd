/*
 * fuzz_model.c - libFuzzer target for the model description parser (bex_model_parse): any
 * bytes as a description file. Every failure must carry a message; whatever parses must hold
 * its fields within their stated limits.
 *
 *   make fuzz && mkdir -p /tmp/model-corpus &&
 *   build-fuzz/fuzz_model -max_total_time=120 -max_len=2048 /tmp/model-corpus tests/fuzz/corpus/model
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bex_model m;
    char err[256] = "";
    if (bex_model_parse((const char *)data, size, "dir", "dir/m.json", &m, err, sizeof err) != BEX_OK) {
        if (err[0] == '\0') __builtin_trap();
        return 0;
    }
    if (m.width < 16 || m.width > BEX_MODEL_MAX_INPUT || m.height < 16 || m.height > BEX_MODEL_MAX_INPUT ||
        m.embedding < 1 || m.embedding > BEX_MODEL_MAX_DIM || strlen(m.name) < 1 || strlen(m.version) < 1 ||
        !(m.std[0] > 0 && m.std[1] > 0 && m.std[2] > 0) || !isfinite(m.mean[0]) || m.identity[0] != 0 ||
        (strncmp(m.onnx, "dir/", 4) != 0 && m.onnx[0] != '/'))
        __builtin_trap();
    return 0;
}
