/*
 * fuzz_galleryhdr.c - libFuzzer target for a gate's gallery file (bex_gallery_header_parse,
 * then bex_gate_gallery_open with a fixed key): the file travels to a device in the field and
 * may be damaged or forged. Every failure must carry a message; a header that parses must
 * name a device and a departure and account for the file's length exactly; opening must never
 * succeed without the service's signature (the fixed key here signs nothing).
 *
 *   make fuzz && mkdir -p /tmp/galleryhdr-corpus &&
 *   build-fuzz/fuzz_galleryhdr -max_total_time=120 /tmp/galleryhdr-corpus tests/fuzz/corpus/galleryhdr
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/border.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bex_gallery_header h;
    char err[256] = "";
    if (bex_gallery_header_parse(data, size, &h, err, sizeof err) != BEX_OK) {
        if (!err[0]) __builtin_trap();
        return 0;
    }
    if (!h.device[0] || !h.departure[0] || strlen(h.device) >= sizeof h.device ||
        strlen(h.departure) >= sizeof h.departure ||
        h.plain_bytes + BEX_GALLERY_HEADER_BYTES + 16 + BEX_GALLERY_SIG_BYTES != size)
        __builtin_trap();
    bex_gate_keys k;
    memset(&k, 0, sizeof k);
    memcpy(k.device, h.device, sizeof k.device);
    bex_index *ix = NULL;
    err[0] = 0;
    if (bex_gate_gallery_open(data, size, &k, NULL, 0, &ix, NULL, err, sizeof err) == BEX_OK || ix || !err[0])
        __builtin_trap();
    return 0;
}
