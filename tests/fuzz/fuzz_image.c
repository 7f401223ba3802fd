/*
 * fuzz_image.c - libFuzzer target for the image decoders (bex_image_decode: sniffing, JPEG
 * with EXIF, PNG, PNM, JPEG 2000) and, on whatever decodes, the transforms the face pipeline
 * runs on it. Small limits keep each run fast; any crash, sanitizer report or leak is a bug.
 *
 *   make fuzz && mkdir -p /tmp/corpus &&
 *   build-fuzz/fuzz_image -max_total_time=300 -max_len=4096 /tmp/corpus tests/fuzz/corpus/image
 * (new inputs go to the first folder; copy only the interesting ones, e.g. crashers, into
 * the seed corpus). `make test` replays the seeds through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/image.h"
#include "image/transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const bex_image_limits lim = {1 << 20, 4000000}; /* 1 MiB, 4 Mpx */
    bex_image img;
    char err[256];
    memset(&img, 0, sizeof img);
    int rc = bex_image_decode(data, size, &lim, &img, err, sizeof err);
    if (rc != BEX_OK) {
        /* every failure must come with a message */
        if (err[0] == '\0') __builtin_trap();
        return 0;
    }
    if (!img.px || img.width <= 0 || img.height <= 0) __builtin_trap();
    static float out[16 * 16 * 3];
    int pl, pt;
    int side = bex__image_centre_pad(img.width, img.height, &pl, &pt);
    if (bex__image_crop_pad_resize_f32(&img, 0, 0, img.width, img.height, pl, pt, side, 16, out))
        __builtin_trap();
    if (bex__image_resize_bilinear_f32(&img, 16, 9, out)) __builtin_trap();
    const float m[6] = {0.7f, -0.3f, (float)img.width / 3, 0.3f, 0.7f, -2.0f};
    if (bex__image_warp_affine_f32(&img, m, 16, 16, out)) __builtin_trap();
    if (img.width <= 64 && img.height <= 64) {
        static const uint8_t grey[3] = {128, 128, 128};
        bex_image padded;
        if (bex__image_pad(&img, 3, grey, &padded, err, sizeof err) == BEX_OK)
            bex_image_free(&padded);
    }
    bex_image_free(&img);
    return 0;
}
