/*
 * chip.c - an ePassport chip's files for an entry (border.h: bex_chip): read from a reader's
 * folder, its MRZ (DG1) for the entry's document and its face (DG2) for the document photo.
 * The check itself (passive authentication, DG1 against the printed MRZ) is made by
 * bex_border_entry against the store's trust store; the rule is bex_chip_decide (entry.c).
 */
#include <stdio.h>
#include <string.h>

#include "bex/border.h"

int bex_chip_read_dir(const char *dir, bex_lds *files, bex_chip *chip, char *err, size_t errlen) {
    memset(chip, 0, sizeof *chip);
    int rc = bex_lds_read_files(dir, files, err, errlen);
    if (rc != BEX_OK) return rc;
    for (int i = 0; i < BEX_LDS_NFILES; i++) {
        chip->file[i] = files->file[i];
        chip->file_len[i] = files->file_len[i];
    }
    return BEX_OK;
}

int bex_chip_mrz(const bex_chip *chip, const char *today, bex_mrz *out, char *err, size_t errlen) {
    char text[96];
    if (!chip || !chip->file[1]) {
        snprintf(err, errlen, "the chip's files hold no DG1 (its MRZ)");
        return BEX_ERR_CORRUPT;
    }
    if (bex_pa_dg1_mrz(chip->file[1], chip->file_len[1], text, sizeof text) != BEX_OK) {
        snprintf(err, errlen, "the chip's DG1 holds no readable MRZ");
        return BEX_ERR_CORRUPT;
    }
    /* DG1 runs the lines together: TD3 2 x 44, TD2 2 x 36, TD1 3 x 30 (Doc 9303 Part 10) */
    size_t n = strlen(text), line = n == 88 ? 44 : n == 72 ? 36 : n == 90 ? 30 : 0;
    char lines[100];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < sizeof lines; i++) {
        if (line && i && i % line == 0) lines[k++] = '\n';
        lines[k++] = text[i];
    }
    lines[k] = 0;
    char why[200];
    if (bex_mrz_parse_at(lines, today, out, why, sizeof why) != BEX_OK) {
        snprintf(err, errlen, "the chip's MRZ (DG1) does not parse: %s", why);
        return BEX_ERR_ARG;
    }
    return BEX_OK;
}

int bex_chip_face_image(const bex_chip *chip, const uint8_t **img, size_t *len, char *why, size_t whylen) {
    *img = NULL;
    *len = 0;
    if (!chip || !chip->file[2]) {
        snprintf(why, whylen, "the chip's files hold no DG2 (its face)");
        return BEX_ERR_CORRUPT;
    }
    bex_lds_dg2 dg2;
    char e[200];
    if (bex_lds_parse_dg2(chip->file[2], chip->file_len[2], &dg2, e, sizeof e) != BEX_OK) {
        snprintf(why, whylen, "the chip's DG2 cannot be read: %s", e);
        return BEX_ERR_CORRUPT;
    }
    if (dg2.n_faces < 1 || dg2.faces[0].image_len == 0) {
        snprintf(why, whylen, "the chip's DG2 holds no face image");
        return BEX_ERR_CORRUPT;
    }
    *img = chip->file[2] + dg2.faces[0].image_off;
    *len = dg2.faces[0].image_len;
    return BEX_OK;
}
