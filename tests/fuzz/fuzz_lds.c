/*
 * fuzz_lds.c - libFuzzer target for the chip's file parsers (include/bex/lds.h): any bytes,
 * given to every parser (EF.COM, DG1, DG2, DG3, DG11/DG12, EF.SOD) and to the TLV walker, as
 * a hostile chip or a tampered chip dump might deliver them. Every failure must carry a
 * message naming the file; whatever parses must point inside the input.
 *
 *   make fuzz && mkdir -p /tmp/lds-corpus &&
 *   build-fuzz/fuzz_lds -max_total_time=300 -max_len=8192 /tmp/lds-corpus tests/fuzz/corpus/lds
 * The seeds are the chip test_lds builds (BEX_LDS_CORPUS=dir build/tests/test_lds writes
 * them) plus its hostile variants; `make test` replays them through tests/fuzz/replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/lds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(int cond) {
    if (!cond) __builtin_trap();
}

/* a failure has a message; a range lies inside the input */
static void failed_with_message(int rc, const char *err) { need(rc == BEX_OK || err[0] != 0); }
static void inside(size_t off, size_t len, size_t size) { need(off <= size && len <= size - off); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    int rc;

    err[0] = 0;
    rc = bex_tlv_check(data, 0, size, 0, err, sizeof err);
    failed_with_message(rc, err);

    bex_lds_com com;
    err[0] = 0;
    rc = bex_lds_parse_com(data, size, &com, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) need(com.n_tags <= 16 && strlen(com.lds_version) == 4);

    bex_lds_dg1 d1;
    err[0] = 0;
    rc = bex_lds_parse_dg1(data, size, &d1, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) need(strlen(d1.text) == d1.text_len && d1.mrz.format >= BEX_MRZ_TD1);

    bex_lds_dg2 d2;
    err[0] = 0;
    rc = bex_lds_parse_dg2(data, size, &d2, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) {
        need(d2.n_faces >= 1 && d2.n_faces <= BEX_LDS_MAX_FACES);
        for (int i = 0; i < d2.n_faces; i++) inside(d2.faces[i].image_off, d2.faces[i].image_len, size);
    }

    bex_lds_dg3 d3;
    err[0] = 0;
    rc = bex_lds_parse_dg3(data, size, &d3, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) {
        need(d3.n_fingers >= 1 && d3.n_fingers <= BEX_LDS_MAX_FINGERS);
        for (int i = 0; i < d3.n_fingers; i++)
            inside(d3.fingers[i].image_off, d3.fingers[i].image_len, size);
    }

    bex_lds_details dd;
    err[0] = 0;
    rc = bex_lds_parse_details(data, size, &dd, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) {
        need(dd.n >= 0 && dd.n <= BEX_LDS_MAX_FIELDS);
        for (int i = 0; i < dd.n; i++) {
            if (dd.f[i].text) need(strlen(dd.f[i].text) <= BEX_LDS_MAX_TEXT_BYTES);
            else inside(dd.f[i].image_off, dd.f[i].image_len, size);
        }
        bex_lds_details_free(&dd);
    }

    size_t off = 0, len = 0;
    err[0] = 0;
    rc = bex_lds_parse_sod(data, size, &off, &len, err, sizeof err);
    failed_with_message(rc, err);
    if (rc == BEX_OK) inside(off, len, size);
    return 0;
}
