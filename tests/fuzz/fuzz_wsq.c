/*
 * fuzz_wsq.c - libFuzzer target for fingerprint image decoding (include/bex/finger.h): any
 * bytes through bex_finger_image_decode, so the WSQ decoder (src/finger/wsq.c), the TIFF path
 * through libtiff and the photo formats are all reached. Every failure must carry a message;
 * every success must be a sane image that rescales to 500 ppi.
 *
 *   make fuzz && mkdir -p /tmp/wsq-corpus &&
 *   build-fuzz/fuzz_wsq -max_total_time=300 -max_len=65536 /tmp/wsq-corpus tests/fuzz/corpus/wsq
 * The seeds: the two WSQ fixtures of tests/data/finger/, cuts of them, small TIFFs;
 * `make test` replays them through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>

#include "bex/finger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond) {
    if (!cond) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    err[0] = 0;
    /* small pixel cap: a hostile header must not make the fuzzer allocate much */
    bex_image_limits lim = {1 << 20, 4000000};
    bex_finger_image img;
    int rc = bex_finger_image_decode(data, size, 0, &lim, &img, err, sizeof err);
    need(rc == BEX_OK || err[0] != 0);
    if (rc != BEX_OK) return 0;
    need(img.width > 0 && img.height > 0 && img.px != NULL);
    need((uint64_t)img.width * (uint64_t)img.height <= lim.max_pixels);
    need(img.ppi >= 250 && img.ppi <= 2000);
    volatile unsigned sum = 0; /* every pixel readable (ASan sees a short buffer) */
    for (size_t i = 0, n = (size_t)img.width * img.height; i < n; i++) sum += img.px[i];
    bex_finger_image o;
    err[0] = 0;
    rc = bex_finger_image_to_500(&img, &o, err, sizeof err);
    need(rc == BEX_OK || err[0] != 0);
    if (rc == BEX_OK) {
        need(o.ppi == 500 && o.width > 0 && o.height > 0);
        bex_finger_image_free(&o);
    }
    bex_finger_image_free(&img);
    return 0;
}
