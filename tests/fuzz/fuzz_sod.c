/*
 * fuzz_sod.c - libFuzzer target for passive authentication (passive_auth.h): EF.SOD, the trust
 * files and DG1 as a hostile chip and a hostile trust file would hand them over. The input is
 *   [u16 big-endian n][n bytes: one trust file (CSCA, CRL or master list), 0 for none]
 *   [u16 big-endian m][m bytes: DG1] [the rest: EF.SOD]
 * so that a seed can carry the CSCA that chains its SOD and reach the hash checks. Every
 * verification must end in an outcome with a message (never an error for hostile bytes), and
 * the result's lists must stay within their bounds. Seeds: tests/fuzz/make_sod_seeds.sh.
 *
 *   make fuzz && mkdir -p /tmp/sod-corpus &&
 *   build-fuzz/fuzz_sod -max_total_time=120 /tmp/sod-corpus tests/fuzz/corpus/sod
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/passive_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2027-06-01T00:00:00Z: inside the seeds' validity periods */
#define CHECK_TIME 1811808000LL

static int take(const uint8_t **p, size_t *n, const uint8_t **out, size_t *len) {
    if (*n < 2) return 0;
    size_t l = (size_t)(*p)[0] << 8 | (*p)[1];
    if (*n - 2 < l) return 0;
    *out = *p + 2;
    *len = l;
    *p += 2 + l;
    *n -= 2 + l;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *p = data, *trust = NULL, *dg1 = NULL;
    size_t n = size, trust_len = 0, dg1_len = 0;
    if (!take(&p, &n, &trust, &trust_len) || !take(&p, &n, &dg1, &dg1_len)) {
        /* not in the layout: the whole input as an SOD and as a trust file */
        p = data;
        n = size;
        trust = data;
        trust_len = size;
    }
    bex_trust_store *ts = NULL;
    char err[256] = "";
    if (bex_trust_open(&ts, err, sizeof err) != BEX_OK) return 0;
    if (trust_len) {
        err[0] = 0;
        if (bex_trust_add(ts, trust, trust_len, "fuzz", 0, CHECK_TIME, err, sizeof err) != BEX_OK && !err[0])
            __builtin_trap();
    }
    bex_dg dgs[1] = {{1, dg1, dg1_len}};
    bex_pa_result r;
    if (bex_pa_verify(ts, p, n, dgs, dg1 ? 1 : 0, CHECK_TIME, &r, err, sizeof err) != BEX_OK) __builtin_trap();
    if ((unsigned)r.outcome > BEX_PA_MALFORMED || !r.message[0] || strlen(r.message) >= sizeof r.message)
        __builtin_trap();
    if (r.n_checked < 0 || r.n_checked > BEX_PA_MAX_DG || r.n_sod_groups < 0 || r.n_sod_groups > BEX_PA_MAX_DG ||
        r.altered_group < 0 || r.altered_group > BEX_PA_MAX_DG || strlen(r.signer_serial) >= sizeof r.signer_serial)
        __builtin_trap();
    if (r.outcome == BEX_PA_AUTHENTIC && r.n_checked != (dg1 ? 1 : 0)) __builtin_trap();
    if (dg1) {
        char msg[256] = "";
        bex_pa_outcome o = bex_pa_check_mrz(dg1, dg1_len, "P<UTO", msg, sizeof msg);
        if ((o != BEX_PA_AUTHENTIC && o != BEX_PA_MRZ_MISMATCH && o != BEX_PA_MALFORMED) || !msg[0]) __builtin_trap();
    }
    bex_trust_close(ts);
    return 0;
}
