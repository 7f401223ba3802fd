/*
 * fuzz_fmr.c - libFuzzer target for the finger minutiae record readers (ISO/IEC 19794-2:2005
 * and ANSI INCITS 378-2004, src/finger/record.c): any bytes, as a damaged or hostile record
 * might arrive in an ANSI/NIST-ITL transaction or a file. Every failure must carry a message;
 * what parses must hold values in range, and must write back to a record that reads to the
 * same templates (the writer's 500 ppi, ANSI's 2-degree angles: a read -> write -> read is
 * stable because the first read already quantised).
 *
 *   make fuzz && mkdir -p /tmp/fmr-corpus &&
 *   build-fuzz/fuzz_fmr -max_total_time=300 -max_len=4096 /tmp/fmr-corpus tests/fuzz/corpus/fmr
 * The seeds come from test_finger_record (BEX_FMR_CORPUS=dir build/tests/test_finger_record
 * writes them); `make test` replays them through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bex/finger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond) {
    if (!cond) __builtin_trap();
}

static bex_finger_template a[BEX_FINGER_RECORD_MAX_VIEWS], b[BEX_FINGER_RECORD_MAX_VIEWS];

static void check(int ansi, const uint8_t *data, size_t size) {
    char err[256];
    int n = -1, m = -1;
    err[0] = 0;
    int rc = ansi ? bex_finger_ansi_read(data, size, a, BEX_FINGER_RECORD_MAX_VIEWS, &n, err, sizeof err)
                  : bex_finger_iso_read(data, size, a, BEX_FINGER_RECORD_MAX_VIEWS, &n, err, sizeof err);
    need(rc == BEX_OK || err[0] != 0);
    if (rc != BEX_OK) return;
    need(n >= 1 && n <= BEX_FINGER_RECORD_MAX_VIEWS);
    for (int v = 0; v < n; v++) {
        need(a[v].n >= 0 && a[v].n <= BEX_FINGER_MAX_MINUTIAE && a[v].finger_position <= 10 && a[v].quality <= 100);
        for (int k = 0; k < a[v].n; k++)
            need(a[v].m[k].x < a[v].width && a[v].m[k].y < a[v].height && a[v].m[k].type <= 2 && a[v].m[k].quality <= 100);
    }
    uint8_t *out = NULL;
    size_t len = 0;
    rc = ansi ? bex_finger_ansi_write(a, n, &out, &len, err, sizeof err) : bex_finger_iso_write(a, n, &out, &len, err, sizeof err);
    if (rc != BEX_OK) { /* only a view too large for 14-bit coordinates may be refused */
        need(rc == BEX_ERR_ARG && err[0] != 0);
        return;
    }
    rc = ansi ? bex_finger_ansi_read(out, len, b, BEX_FINGER_RECORD_MAX_VIEWS, &m, err, sizeof err)
              : bex_finger_iso_read(out, len, b, BEX_FINGER_RECORD_MAX_VIEWS, &m, err, sizeof err);
    need(rc == BEX_OK && m == n);
    for (int v = 0; v < n; v++) {
        need(b[v].n == a[v].n && b[v].finger_position == a[v].finger_position && b[v].quality == a[v].quality);
        for (int k = 0; k < a[v].n; k++) { /* field by field: the struct has a padding byte */
            const bex_minutia *p = &a[v].m[k], *q = &b[v].m[k];
            need(p->x == q->x && p->y == q->y && p->angle == q->angle && p->type == q->type && p->quality == q->quality);
        }
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check(0, data, size);
    check(1, data, size);
    need(bex_finger_record_sniff(data, size) <= 2);
    return 0;
}
