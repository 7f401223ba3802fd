/*
 * fuzz_names.c - libFuzzer target for names (include/bex/names.h): any bytes, split at '\n'
 * into surname a, given names a, surname b, given names b, as a manifest or a form might
 * deliver them. Every failure must carry a message; a transliteration must be A-Z with single
 * inner spaces; an MRZ name field must be exactly its width of A-Z and '<'; a comparison must
 * give a known verdict with a reason, the same both ways round, and SAME for a name against
 * itself.
 *
 *   make fuzz && mkdir -p /tmp/names-corpus &&
 *   build-fuzz/fuzz_names -max_total_time=120 -max_len=1200 /tmp/names-corpus tests/fuzz/corpus/names
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bex/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* at most 300 bytes a part: past BEX_NAME_MAX_BYTES, so the limit is reached too */
#define PART_CAP 300

static void check_mrz_text(const char *s) {
    size_t n = strlen(s);
    if (n >= BEX_NAME_MRZ_MAX || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))) __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' && s[i + 1] == ' ') __builtin_trap();
        if (s[i] != ' ' && (s[i] < 'A' || s[i] > 'Z')) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char part[4][PART_CAP + 1];
    size_t k = 0;
    for (int p = 0; p < 4; p++) {
        size_t n = 0;
        while (k < size && data[k] != '\n') {
            if (n < PART_CAP) part[p][n++] = (char)data[k];
            k++;
        }
        part[p][n] = 0;
        if (k < size) k++; /* the '\n' */
    }
    char out[BEX_NAME_MRZ_MAX], err[256];
    for (int p = 0; p < 4; p++) {
        err[0] = 0;
        if (bex_name_to_mrz(part[p], out, sizeof out, err, sizeof err) == BEX_OK) check_mrz_text(out);
        else if (!err[0]) __builtin_trap();
    }
    static const int widths[3] = {BEX_NAME_FIELD_TD1, BEX_NAME_FIELD_TD2, BEX_NAME_FIELD_TD3};
    for (int w = 0; w < 3; w++) {
        char field[BEX_NAME_FIELD_TD3 + 1];
        int truncated = -1;
        err[0] = 0;
        if (bex_name_mrz_field(part[0], part[1], widths[w], field, &truncated, err, sizeof err) != BEX_OK) {
            if (!err[0]) __builtin_trap();
            continue;
        }
        if (strlen(field) != (size_t)widths[w] || (truncated != 0 && truncated != 1)) __builtin_trap();
        for (int i = 0; i < widths[w]; i++)
            if (field[i] != '<' && (field[i] < 'A' || field[i] > 'Z')) __builtin_trap();
    }
    bex_name_match ab, ba, aa;
    err[0] = 0;
    int rc = bex_name_compare(part[0], part[1], part[2], part[3], &ab, err, sizeof err);
    if (rc != BEX_OK) {
        if (!err[0]) __builtin_trap();
        return 0;
    }
    if (!ab.reason || !ab.reason[0] || !strcmp(bex_name_verdict_name(ab.verdict), "unknown")) __builtin_trap();
    if (bex_name_compare(part[2], part[3], part[0], part[1], &ba, err, sizeof err) != BEX_OK ||
        ba.verdict != ab.verdict)
        __builtin_trap();
    if (bex_name_compare(part[0], part[1], part[0], part[1], &aa, err, sizeof err) != BEX_OK ||
        aa.verdict != BEX_NAME_SAME)
        __builtin_trap();
    return 0;
}
