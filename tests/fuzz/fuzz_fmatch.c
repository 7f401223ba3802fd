/*
 * fuzz_fmatch.c - libFuzzer target for the fingerprint matcher (src/finger/match*.c): any
 * bytes made into two templates, as a hostile or broken record could deliver them once its
 * reader has checked only the counts and ranges (any positions in 0..65535, duplicates, lines,
 * heaps, 0..128 minutiae). Preparing must succeed; the score must be in 0..1, the same both
 * ways round and with every popcount kernel this CPU runs; a 1:N gallery of the two must
 * return both, best first.
 *
 * Input: byte 0 and 1 the two minutiae counts (mod 129), then 5 bytes a minutia (x and y
 * big-endian 16-bit, angle), the first template's then the second's; short input gives fewer.
 *
 *   make fuzz && mkdir -p /tmp/fmatch-corpus &&
 *   build-fuzz/fuzz_fmatch -max_total_time=300 -max_len=1300 /tmp/fmatch-corpus tests/fuzz/corpus/fmatch
 * The seeds are FVC2002 fixtures' templates and odd shapes (made by hand with the layout
 * above); `make test` replays them through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/finger.h"
#include "finger/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond) {
    if (!cond) __builtin_trap();
}

static bex_finger_template t[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t at = 2;
    for (int k = 0; k < 2; k++) {
        memset(&t[k], 0, sizeof t[k]);
        int want = data[k] % (BEX_FINGER_MAX_MINUTIAE + 1);
        while (t[k].n < want && at + 5 <= size) {
            const uint8_t *p = data + at;
            t[k].m[t[k].n++] = (bex_minutia){(uint16_t)(p[0] << 8 | p[1]),
                                             (uint16_t)(p[2] << 8 | p[3]), p[4],
                                             BEX_MINUTIA_ENDING, 50};
            at += 5;
        }
    }
    bex_finger_prepared *a = NULL, *b = NULL;
    need(bex_finger_prepare(&t[0], &a, NULL, 0) == BEX_OK && a);
    need(bex_finger_prepare(&t[1], &b, NULL, 0) == BEX_OK && b);
    float s = bex_finger_compare_prepared(a, b);
    need(s >= 0.0f && s <= 1.0f);
    need(s == bex_finger_compare_prepared(b, a));
    const char *names[] = {"plain", "popcnt", "avx512"};
    for (int k = 0; k < 3; k++) {
        const fm_kernel *kern = fm_kernel_by_name(names[k]);
        if (kern) need(bex__finger_compare_with(a, b, kern) == s);
    }
    float self = bex_finger_compare_prepared(a, a);
    need(self >= 0.0f && self <= 1.0f);
    bex_finger_prepared_free(a);
    bex_finger_prepared_free(b);

    bex_finger_gallery *g = bex_finger_gallery_new();
    need(g != NULL);
    need(bex_finger_gallery_add(g, 1, &t[0], NULL, 0) == BEX_OK);
    need(bex_finger_gallery_add(g, 2, &t[1], NULL, 0) == BEX_OK);
    bex_finger_hit hits[3];
    int n = bex_finger_gallery_search(g, &t[1], hits, 3);
    need(n == 2 && hits[0].score >= hits[1].score);
    need(bex_finger_gallery_remove(g, 1) == BEX_OK && bex_finger_gallery_size(g) == 1);
    bex_finger_gallery_free(g);
    return 0;
}
