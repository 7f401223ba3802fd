/*
 * fuzz_mrz.c - libFuzzer target for the MRZ parser (bex_mrz_parse_at): any bytes, as a reader
 * might deliver them. Every failure must carry a message; whatever parses must hold
 * NUL-terminated fields and a known format.
 *
 *   make fuzz && mkdir -p /tmp/mrz-corpus &&
 *   build-fuzz/fuzz_mrz -max_total_time=120 -max_len=200 /tmp/mrz-corpus tests/fuzz/corpus/mrz
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/mrz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char text[512];
    if (size >= sizeof text) size = sizeof text - 1;
    memcpy(text, data, size);
    text[size] = 0;
    bex_mrz m;
    char err[256] = "";
    if (bex_mrz_parse_at(text, "2026-11-26", &m, err, sizeof err) != BEX_OK) {
        if (err[0] == '\0') __builtin_trap();
        return 0;
    }
    if (m.format < BEX_MRZ_TD1 || m.format > BEX_MRZ_MRVB || m.n_failed > BEX_MRZ_MAX_FAILED) __builtin_trap();
    if (strlen(m.surname) >= sizeof m.surname || strlen(m.doc_number) >= sizeof m.doc_number ||
        strlen(m.birth_date) != 10 || strlen(m.expiry_date) != 10)
        __builtin_trap();
    return 0;
}
