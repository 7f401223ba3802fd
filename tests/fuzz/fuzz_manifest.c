/*
 * fuzz_manifest.c - libFuzzer target for carriers' manifests (bex_manifest_parse_json): any
 * bytes as a manifest upload. Every failure must carry a message and leave nothing allocated;
 * whatever parses must hold NUL-terminated fields within their sizes.
 *
 *   make fuzz && mkdir -p /tmp/manifest-corpus &&
 *   build-fuzz/fuzz_manifest -max_total_time=120 /tmp/manifest-corpus tests/fuzz/corpus/manifest
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/border.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bex_manifest m;
    char err[256] = "";
    if (bex_manifest_parse_json((const char *)data, size, &m, err, sizeof err) != BEX_OK) {
        if (err[0] == '\0' || m.entries || m.n) __builtin_trap();
        return 0;
    }
    if (!m.id[0] || strlen(m.id) >= sizeof m.id || strlen(m.scheduled) >= sizeof m.scheduled) __builtin_trap();
    for (size_t i = 0; i < m.n; i++)
        if (!m.entries[i].number[0] || strlen(m.entries[i].surname) >= sizeof m.entries[i].surname) __builtin_trap();
    bex_manifest_free(&m);
    return 0;
}
