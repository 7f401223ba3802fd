/*
 * fuzz_nist.c - libFuzzer target for the ANSI/NIST-ITL traditional-encoding reader
 * (include/bex/nist.h): any bytes, as a hostile or damaged transaction might arrive. Every
 * failure must carry a message; whatever parses must have its records tile the input, every
 * field value inside it, and must write back to the same bytes.
 *
 *   make fuzz && mkdir -p /tmp/nist-corpus &&
 *   build-fuzz/fuzz_nist -max_total_time=300 -max_len=65536 /tmp/nist-corpus tests/fuzz/corpus/nist
 * The seeds come from test_nist (BEX_NIST_CORPUS=dir build/tests/test_nist writes them);
 * `make test` replays them through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bex/nist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond) {
    if (!cond) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    bex_nist t;
    err[0] = 0;
    int rc = bex_nist_parse(data, size, &t, err, sizeof err);
    need(rc == BEX_OK || err[0] != 0);
    if (rc != BEX_OK) return 0;
    size_t at = 0;
    need(t.n_records >= 2 && t.n_records <= BEX_NIST_MAX_RECORDS && t.records[0].type == 1);
    for (int i = 0; i < t.n_records; i++) {
        const bex_nist_record *r = &t.records[i];
        need(r->offset == at && r->len <= size - at);
        at += r->len;
        need(r->n_fields >= 1 && r->n_fields <= BEX_NIST_MAX_FIELDS);
        for (int k = 0; k < r->n_fields; k++) {
            const bex_nist_field *f = &r->fields[k];
            need(f->value >= data + r->offset && f->value + f->len <= data + r->offset + r->len);
            if (k) need(f->field > r->fields[k - 1].field);
        }
    }
    need(at == size);
    uint8_t *out;
    size_t out_len;
    /* CNT is rewritten with two-digit IDCs and fields in canonical form, so only the
     * reparse is required to succeed, not byte equality */
    rc = bex_nist_write(&t, &out, &out_len, err, sizeof err);
    need(rc == BEX_OK || err[0] != 0);
    if (rc == BEX_OK) {
        bex_nist again;
        need(bex_nist_parse(out, out_len, &again, err, sizeof err) == BEX_OK);
        need(again.n_records == t.n_records);
        bex_nist_free(&again);
        free(out);
    }
    bex_nist_free(&t);
    return 0;
}
