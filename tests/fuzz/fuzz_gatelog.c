/*
 * fuzz_gatelog.c - libFuzzer target for an offline gate's log lines (bex_gate_log_parse): a
 * log comes back from a device in the field and may be damaged or forged. Every failure must
 * carry a message; whatever parses must be a whole record (a device name, a sequence number,
 * canonical time, a port, a sealed template) that writes back as exactly the bytes read (the
 * bytes signed are the bytes parsed) and parses again to the same record; a signature check
 * and opening the template with fixed keys must not crash (nor open).
 *
 *   make fuzz && mkdir -p /tmp/gatelog-corpus &&
 *   build-fuzz/fuzz_gatelog -max_total_time=120 /tmp/gatelog-corpus tests/fuzz/corpus/gatelog
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bex/border.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *line = malloc(size + 1);
    if (!line) return 0;
    memcpy(line, data, size);
    line[size] = 0;
    bex_gate_record r;
    char err[256] = "";
    if (bex_gate_log_parse(line, &r, err, sizeof err) != BEX_OK) {
        if (!err[0]) __builtin_trap();
        free(line);
        return 0;
    }
    if (strlen(r.at) != 20 || !r.port[0] || !r.device[0] || r.seq < 1 || strlen(r.departure) >= sizeof r.departure)
        __builtin_trap();
    char out[BEX_GATE_LINE_MAX];
    size_t n = bex_gate_log_line(&r, out);
    if (n < 2 || out[n - 1] != '\n' || n - 1 != strlen(line) || memcmp(out, line, n - 1)) __builtin_trap();
    out[n - 1] = 0;
    bex_gate_record again;
    if (bex_gate_log_parse(out, &again, err, sizeof err) != BEX_OK || memcmp(&again, &r, sizeof r)) __builtin_trap();
    static const unsigned char pk[32] = {1, 2, 3}, sk[32] = {4, 5, 6};
    (void)bex_gate_log_verify(&r, pk);
    if (bex_gate_log_open(&r, pk, sk)) __builtin_trap();
    free(line);
    return 0;
}
