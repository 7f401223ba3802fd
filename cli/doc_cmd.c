/*
 * doc_cmd.c - `bex doc verify DIR [--trust DIR_OR_FILE]... [--trusted-list FILE]... [--at TIME]
 * [--mrz TEXT]`: passive authentication (passive_auth.h) of a chip's files as readers save
 * them, printed as one JSON object. Exit 0 authentic (and the MRZ agrees, when given), 1 any
 * other outcome, 2 an error (unreadable folder, no EF.SOD, a trust file that does not load).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bex/image.h"
#include "bex/json.h"
#include "bex/lds.h"
#include "bex/passive_auth.h"
#include "bex/timestamp.h"
#include "bex/trust.h"
#include "cli.h"

#define MAX_DG_FILE_BYTES ((size_t)16 << 20)
/* read a little past the library's cap so that an oversized SOD is its outcome (malformed) */
#define MAX_SOD_FILE_BYTES ((size_t)1 << 20)
#define MAX_TRUST_ARGS 32

/* 0 for EF.SOD, 1..16 for DGn, -1 for any other file. Names as chip readers save them, case
 * aside: EF_SOD / SOD / EF.SOD, DG2 / EF_DG2, with .bin or .der. */
static int chip_file(const char *name) {
    char base[64];
    size_t n = strlen(name);
    const char *dot = strrchr(name, '.');
    if (!dot || n >= sizeof base) return -1;
    if (strcasecmp(dot, ".bin") && strcasecmp(dot, ".der")) return -1;
    size_t k = (size_t)(dot - name);
    for (size_t i = 0; i < k; i++) base[i] = (char)tolower((unsigned char)name[i]);
    base[k] = 0;
    if (!strcmp(base, "ef_sod") || !strcmp(base, "sod") || !strcmp(base, "ef.sod")) return 0;
    const char *d = !strncmp(base, "ef_dg", 5) ? base + 5 : !strncmp(base, "dg", 2) ? base + 2 : NULL;
    if (!d || !*d || strlen(d) > 2) return -1;
    for (const char *p = d; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    int g = atoi(d);
    return g >= 1 && g <= BEX_PA_MAX_DG ? g : -1;
}

static void print_ints(const int *v, int n) {
    putchar('[');
    for (int i = 0; i < n; i++) printf("%s%d", i ? "," : "", v[i]);
    putchar(']');
}

static int doc_verify(int argc, char **argv) {
    const char *dir = NULL, *at = NULL, *mrz = NULL;
    const char *trust[MAX_TRUST_ARGS];
    unsigned trust_flags[MAX_TRUST_ARGS];
    int n_trust = 0;
    cli_common c = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_common_opt(argc, argv, &i, &c);
        if (r < 0) return 2;
        if (r) continue;
        if ((!strcmp(a, "--trust") || !strcmp(a, "--trusted-list")) && i + 1 < argc) {
            if (n_trust == MAX_TRUST_ARGS) return cli_usage_error("too many --trust options");
            trust_flags[n_trust] = !strcmp(a, "--trusted-list") ? BEX_TRUST_ML_TRUSTED : 0;
            trust[n_trust++] = argv[++i];
        } else if (!strcmp(a, "--at") && i + 1 < argc) {
            at = argv[++i];
        } else if (!strcmp(a, "--mrz") && i + 1 < argc) {
            mrz = argv[++i];
        } else if (!dir && a[0] != '-') {
            dir = a;
        } else {
            return cli_usage_error("doc verify takes DIR [--trust DIR_OR_FILE]... [--trusted-list FILE]... "
                                   "[--at TIME] [--mrz TEXT] [--db FILE]");
        }
    }
    if (!dir) return cli_usage_error("doc verify needs the folder of the chip's files");
    if (c.db && n_trust) return cli_usage_error("doc verify takes the trust files (--trust) or the store's (--db), not both");
    int64_t t;
    char when[24];
    if (!at) {
        bex_time_now(when);
        at = when;
    }
    if (bex_time_parse(at, &t) != BEX_OK) {
        fprintf(stderr, "bex: --at takes an ISO 8601 time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n");
        return 2;
    }
    bex_time_format(t, when);

    int status = 2;
    char err[512];
    bex_trust_store *own = NULL;
    const bex_trust_store *ts = NULL;
    bex_store *st = NULL;
    char *files[BEX_PA_MAX_DG + 1] = {0};
    size_t lens[BEX_PA_MAX_DG + 1] = {0};
    if (c.db) {
        /* the store's trust store, as entries verify chips against it */
        c.must_exist = 1;
        if (!cli_open_store(&c, &st)) return 2;
        if (bex_store_trust_get(st, &ts, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            goto out;
        }
    } else {
        if (bex_trust_open(&own, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            return 2;
        }
        ts = own;
        /* master lists are verified at the check time too, so that a run can be reproduced */
        for (int i = 0; i < n_trust; i++)
            if (bex_trust_load_path(own, trust[i], trust_flags[i], t, err, sizeof err) != BEX_OK) {
                fprintf(stderr, "bex: %s\n", err);
                goto out;
            }
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bex: cannot open the folder %s\n", dir);
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        int g = chip_file(e->d_name);
        if (g < 0) continue;
        if (files[g]) {
            fprintf(stderr, "bex: %s holds %s twice (%s)\n", dir, g ? "a data group" : "EF.SOD", e->d_name);
            closedir(d);
            goto out;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        files[g] = cli_read_file(path, g ? MAX_DG_FILE_BYTES : MAX_SOD_FILE_BYTES, &lens[g]);
        if (!files[g]) {
            closedir(d);
            goto out;
        }
    }
    closedir(d);
    if (!files[0]) {
        fprintf(stderr, "bex: %s holds no EF.SOD (EF_SOD.bin)\n", dir);
        goto out;
    }
    if (mrz && !files[1]) {
        fprintf(stderr, "bex: %s holds no DG1 to compare --mrz with\n", dir);
        goto out;
    }
    bex_dg dgs[BEX_PA_MAX_DG];
    size_t n = 0;
    for (int g = 1; g <= BEX_PA_MAX_DG; g++)
        if (files[g]) dgs[n++] = (bex_dg){g, (const uint8_t *)files[g], lens[g]};
    bex_pa_result r;
    if (bex_pa_verify(ts, (const uint8_t *)files[0], lens[0], dgs, n, t, &r, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        goto out;
    }
    /* the document's state's own CSCA must have issued its signer: DG1's issuing state (MRZ
     * characters 3-5, every format) */
    char dg1_text[96];
    if (r.outcome == BEX_PA_AUTHENTIC && files[1] &&
        bex_pa_dg1_mrz((const uint8_t *)files[1], lens[1], dg1_text, sizeof dg1_text) == BEX_OK && strlen(dg1_text) > 5) {
        char state[4] = {0};
        for (int k = 0; k < 3 && dg1_text[2 + k] != '<'; k++) state[k] = dg1_text[2 + k];
        char m[160];
        if (bex_pa_check_issuer(&r, state, m, sizeof m) != BEX_PA_AUTHENTIC) {
            r.outcome = BEX_PA_UNKNOWN_SIGNER;
            snprintf(r.message, sizeof r.message, "%s", m);
        }
    }
    bex_pa_outcome mo = BEX_PA_AUTHENTIC;
    char mmsg[256] = "";
    if (mrz) mo = bex_pa_check_mrz((const uint8_t *)files[1], lens[1], mrz, mmsg, sizeof mmsg);
    bex_pa_outcome overall = r.outcome != BEX_PA_AUTHENTIC ? r.outcome : mo;
    size_t n_csca, n_crl;
    bex_trust_count(ts, &n_csca, &n_crl);

    printf("{\"outcome\":\"%s\",\"authentic\":%s,\"checked_at\":\"%s\",\"passive_authentication\":{\"outcome\":\"%s\","
           "\"message\":",
           bex_pa_outcome_name(overall), overall == BEX_PA_AUTHENTIC ? "true" : "false", when,
           bex_pa_outcome_name(r.outcome));
    bex_json_str(stdout, r.message);
    if (r.altered_group) printf(",\"altered_group\":%d", r.altered_group);
    printf(",\"hash_algorithm\":");
    bex_json_str(stdout, r.hash_algorithm);
    printf(",\"signer\":{\"country\":");
    bex_json_str(stdout, r.signer_country);
    printf(",\"issuer_country\":");
    bex_json_str(stdout, r.issuer_country);
    printf(",\"serial\":");
    bex_json_str(stdout, r.signer_serial);
    printf("},\"crl_checked\":%s,\"sod_groups\":", r.crl_checked ? "true" : "false");
    print_ints(r.sod_groups, r.n_sod_groups);
    printf(",\"groups_checked\":");
    print_ints(r.checked, r.n_checked);
    printf("}");
    if (mrz) {
        printf(",\"mrz\":{\"outcome\":\"%s\",\"message\":", bex_pa_outcome_name(mo));
        bex_json_str(stdout, mmsg);
        printf("}");
    }
    printf(",\"trust_store\":{\"csca\":%zu,\"crl\":%zu}}\n", n_csca, n_crl);
    status = overall == BEX_PA_AUTHENTIC ? 0 : 1;
out:
    for (int g = 0; g <= BEX_PA_MAX_DG; g++) free(files[g]);
    bex_trust_close(own);
    bex_store_close(st);
    return status;
}

/* Writes one file of the chip: 0 or 2 (message on stderr). */
static int put_file(const char *dir, const char *name, const uint8_t *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        if (f) fclose(f);
        fprintf(stderr, "bex: cannot write %s\n", path);
        return 2;
    }
    return 0;
}

/* `bex doc make DIR --mrz TEXT --photo IMG [--signer CERT.pem --key KEY.pem]`: a test chip's
 * files as a reader saves them (EF_COM.bin, DG1.bin, DG2.bin with a 19794-5 face record, and,
 * with a Document Signer, EF_SOD.bin over DG1 and DG2 with SHA-256). No real passport's data
 * exists here: tests and the demo day make their own CSCA and Document Signer with openssl. */
static int doc_make(int argc, char **argv) {
    const char *dir = NULL, *mrz = NULL, *photo = NULL, *signer = NULL, *key = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--mrz") && i + 1 < argc) mrz = argv[++i];
        else if (!strcmp(a, "--photo") && i + 1 < argc) photo = argv[++i];
        else if (!strcmp(a, "--signer") && i + 1 < argc) signer = argv[++i];
        else if (!strcmp(a, "--key") && i + 1 < argc) key = argv[++i];
        else if (!dir && a[0] != '-') dir = a;
        else return cli_usage_error("doc make takes DIR --mrz TEXT --photo IMG [--signer CERT.pem --key KEY.pem]");
    }
    if (!dir || !mrz || !photo) return cli_usage_error("doc make needs DIR, --mrz and --photo");
    if (!signer != !key) return cli_usage_error("--signer and --key go together");
    char err[512];
    size_t plen;
    char *img = cli_read_file(photo, (size_t)2 << 20, &plen);
    if (!img) return 2;
    bex_image im;
    bex_image_format fmt = bex_image_sniff((const uint8_t *)img, plen);
    if ((fmt != BEX_IMAGE_JPEG && fmt != BEX_IMAGE_JP2) ||
        bex_image_decode((const uint8_t *)img, plen, NULL, &im, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s: a chip's face is a JPEG or JPEG 2000 image that decodes\n", photo);
        free(img);
        return 2;
    }
    char *text = strdup(mrz);
    if (!text) {
        free(img);
        bex_image_free(&im);
        return 2;
    }
    cli_unescape_newlines(text);
    bex_lds_face_in face = {.image = (const uint8_t *)img, .image_len = plen,
                            .image_data_type = fmt == BEX_IMAGE_JP2, .width = im.width, .height = im.height,
                            .face_image_type = 1};
    bex_image_free(&im);
    const uint8_t tags[2] = {0x61, 0x75};
    bex_bytes com = {0}, dg1 = {0}, dg2 = {0};
    uint8_t *so = NULL, *sod = NULL;
    size_t so_len = 0, sod_len = 0;
    int status = 2;
    if (bex_lds_build_com("0107", "040000", tags, 2, &com, err, sizeof err) != BEX_OK ||
        bex_lds_build_dg1(text, &dg1, err, sizeof err) != BEX_OK || bex_lds_build_dg2(&face, 1, &dg2, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        goto out;
    }
    if (signer) {
        bex_dg dgs[2] = {{1, dg1.data, dg1.len}, {2, dg2.data, dg2.len}};
        if (bex_pa_build_lds_security_object("SHA-256", dgs, 2, &so, &so_len, err, sizeof err) != BEX_OK ||
            bex_pa_sign_sod(so, so_len, signer, key, &sod, &sod_len, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            goto out;
        }
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "bex: cannot make the folder %s\n", dir);
        goto out;
    }
    if (put_file(dir, "EF_COM.bin", com.data, com.len) || put_file(dir, "DG1.bin", dg1.data, dg1.len) ||
        put_file(dir, "DG2.bin", dg2.data, dg2.len) || (sod && put_file(dir, "EF_SOD.bin", sod, sod_len)))
        goto out;
    printf("{\"folder\":");
    bex_json_str(stdout, dir);
    printf(",\"files\":[\"EF_COM.bin\",\"DG1.bin\",\"DG2.bin\"%s],\"signed\":%s}\n", sod ? ",\"EF_SOD.bin\"" : "",
           sod ? "true" : "false");
    status = 0;
out:
    bex_bytes_free(&com);
    bex_bytes_free(&dg1);
    bex_bytes_free(&dg2);
    bex_pa_free(so);
    bex_pa_free(sod);
    free(text);
    free(img);
    return status;
}

int cmd_doc(int argc, char **argv) {
    if (argc > 0 && !strcmp(argv[0], "verify")) return doc_verify(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "make")) return doc_make(argc - 1, argv + 1);
    return cli_usage_error("doc takes: verify DIR [--trust DIR_OR_FILE]... [--at TIME] [--mrz TEXT] [--db FILE] | "
                           "make DIR --mrz TEXT --photo IMG [--signer CERT.pem --key KEY.pem]");
}
