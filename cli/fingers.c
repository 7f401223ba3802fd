/*
 * fingers.c - the fingers a crossing is given, as `bex entry`, `bex exit`, `bex lookup` and the
 * service take them (cli.h, "fingers"): images by ANSI/NIST-ITL finger position (1-10), slaps
 * (13 right four, 14 left four, 15 both thumbs) cut into fingers, fingers declared missing;
 * each decoded (finger.h: WSQ, TIFF, the face formats), rescaled to 500 ppi and extracted into
 * the template the border rules take. Translation only: what is done with them is border.h's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_fingers_init(cli_fingers *f) {
    memset(f, 0, sizeof *f);
}

void cli_fingers_free(cli_fingers *f) {
    for (int i = 0; i < f->nbytes; i++) free(f->bytes[i]);
    memset(f, 0, sizeof *f);
}

static int parse_pos(const char *s, int lo, int hi, int *pos) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < lo || v > hi) return 0;
    *pos = (int)v;
    return *end == '=' || *end == 0;
}

int cli_finger_opt(int argc, char **argv, int *i, cli_fingers *f) {
    const char *a = argv[*i];
    int finger = !strcmp(a, "--finger"), slap = !strcmp(a, "--slap"), missing = !strcmp(a, "--finger-missing"),
        ppi = !strcmp(a, "--finger-ppi");
    if (!finger && !slap && !missing && !ppi) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bex: %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    f->asked = 1;
    if (ppi) {
        char *end;
        long p = strtol(v, &end, 10);
        if (*end || p < 100 || p > 2000) {
            fprintf(stderr, "bex: --finger-ppi takes a resolution of 100 to 2000 pixels per inch\n");
            return -1;
        }
        f->ppi = (int)p;
        return 1;
    }
    if (f->nspec == CLI_MAX_FINGER_SPECS) {
        fprintf(stderr, "bex: at most %d finger images and declarations\n", CLI_MAX_FINGER_SPECS);
        return -1;
    }
    int pos = 0;
    const char *eq = strchr(v, '=');
    if (missing ? !parse_pos(v, 1, 10, &pos) || eq
                : !eq || !eq[1] || !parse_pos(v, slap ? 13 : 1, slap ? 15 : 10, &pos)) {
        fprintf(stderr, "bex: %s takes %s\n", a,
                missing ? "a finger position, 1 (right thumb) to 10 (left little finger)"
                : slap  ? "POS=FILE, POS 13 (right four fingers), 14 (left four) or 15 (both thumbs)"
                        : "POS=FILE, POS an ANSI/NIST-ITL finger position: 1 right thumb .. 5 right little, "
                          "6 left thumb .. 10 left little");
        return -1;
    }
    f->spec[f->nspec].pos = pos;
    f->spec[f->nspec].path = missing ? NULL : eq + 1;
    f->spec[f->nspec].slap = slap;
    f->nspec++;
    return 1;
}

static int add_capture(cli_fingers *f, int pos, const bex_finger_template *t, const void *img, size_t len, char *err,
                       size_t errlen) {
    for (int k = 0; k < f->n; k++)
        if (f->c[k].position == pos) {
            snprintf(err, errlen, "finger position %d is given twice", pos);
            return BEX_ERR_ARG;
        }
    if (f->n == BEX_CROSSING_MAX_FINGERS) {
        snprintf(err, errlen, "more than %d fingers", BEX_CROSSING_MAX_FINGERS);
        return BEX_ERR_LIMIT;
    }
    bex_finger_capture *c = &f->c[f->n];
    c->position = pos;
    c->t = NULL;
    if (t) {
        f->t[f->n] = *t;
        c->t = &f->t[f->n];
    }
    c->image = img;
    c->image_len = len;
    f->n++;
    return BEX_OK;
}

int cli_fingers_add_missing(cli_fingers *f, int pos, char *err, size_t errlen) {
    if (pos < 1 || pos > 10) {
        snprintf(err, errlen, "finger position %d is not one of 1 to 10", pos);
        return BEX_ERR_ARG;
    }
    f->asked = 1;
    return add_capture(f, pos, NULL, NULL, 0, err, errlen);
}

int cli_fingers_add_image(cli_fingers *f, int pos, int slap, uint8_t *bytes, size_t len, const char *what, char *err,
                          size_t errlen) {
    f->asked = 1;
    if (f->nbytes == CLI_MAX_FINGER_SPECS) {
        free(bytes);
        snprintf(err, errlen, "at most %d finger images", CLI_MAX_FINGER_SPECS);
        return BEX_ERR_LIMIT;
    }
    f->bytes[f->nbytes++] = bytes; /* owned from here on, whatever happens */
    bex_finger_image img;
    memset(&img, 0, sizeof img);
    char why[256];
    int rc = bex_finger_image_decode(bytes, len, f->ppi, f->limits, &img, why, sizeof why);
    if (rc != BEX_OK) {
        snprintf(err, errlen, "%s: %s%s", what, why,
                 rc == BEX_ERR_UNSUPPORTED && strstr(why, "declare the real resolution") ? " (--finger-ppi N; finger_ppi over HTTP)" : "");
        return rc;
    }
    f->pixels += (uint64_t)img.width * (uint64_t)img.height;
    bex_finger_template t;
    if (!slap) {
        rc = bex_finger_extract(&img, pos, &t, why, sizeof why);
        if (rc == BEX_OK) rc = add_capture(f, pos, &t, bytes, len, why, sizeof why);
    } else {
        bex_finger_image parts[4];
        int positions[4], n = 0;
        memset(parts, 0, sizeof parts);
        rc = bex_finger_slap_segment(&img, pos, parts, positions, &n, why, sizeof why);
        /* a slap's fingers keep no image of their own (the slap is not cut into files) */
        for (int k = 0; rc == BEX_OK && k < n; k++) {
            rc = bex_finger_extract(&parts[k], positions[k], &t, why, sizeof why);
            if (rc == BEX_OK) rc = add_capture(f, positions[k], &t, NULL, 0, why, sizeof why);
        }
        for (int k = 0; k < 4; k++) bex_finger_image_free(&parts[k]);
    }
    bex_finger_image_free(&img);
    if (rc != BEX_OK) snprintf(err, errlen, "%s: %s", what, why);
    return rc;
}

int cli_fingers_load(cli_fingers *f) {
    char err[512];
    for (int i = 0; i < f->nspec; i++) {
        int rc;
        if (!f->spec[i].path) {
            rc = cli_fingers_add_missing(f, f->spec[i].pos, err, sizeof err);
        } else {
            size_t len = 0;
            char *b = cli_read_file(f->spec[i].path, CLI_MAX_FINGER_BYTES, &len);
            if (!b) return 0;
            rc = cli_fingers_add_image(f, f->spec[i].pos, f->spec[i].slap, (uint8_t *)b, len, f->spec[i].path, err,
                                       sizeof err);
        }
        if (rc != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            return 0;
        }
    }
    return 1;
}
