/*
 * test_trust_store.c - the trust store kept in the record store (trust.h): a test PKI made here
 * with OpenSSL's API and fixed dates (a UT CSCA and its Document Signer, an LK CSCA and its,
 * a master list of the LK CSCA signed by a list signer the UT CSCA issued, one signed by a
 * signer of a CSCA never loaded, a CRL), loaded into a store in a temporary file; then what
 * bex_store_trust_get gives entries, chip by chip (bex_pa_verify), after loads, refusals,
 * removals and another handle's writes, and the audit rows with their actor.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bex/trust.h"
#include "test.h"

#define T2020 1577836800LL /* 2020-01-01 */
#define T2026 1780272000LL /* 2026-06-01: the check time */
#define T2035 2051222400LL /* 2035-01-01 */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

static X509 *make_cert(EVP_PKEY *key, const char *c, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
                       int ca) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)T2020);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)T2035);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)c, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_set_pubkey(x, key);
    add_ext(x, issuer ? issuer : x, NID_basic_constraints, ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE");
    add_ext(x, issuer ? issuer : x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
    if (issuer) add_ext(x, issuer, NID_authority_key_identifier, "keyid");
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static uint8_t *cms_sign(const uint8_t *content, size_t len, const char *oid, X509 *signer, EVP_PKEY *key,
                         size_t *out_len) {
    BIO *in = BIO_new_mem_buf(content, (int)len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    CMS_add1_signer(cms, signer, key, EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP);
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    CMS_set1_eContentType(cms, o);
    ASN1_OBJECT_free(o);
    uint8_t *out = NULL;
    unsigned char *der = NULL;
    int n = CMS_final(cms, in, NULL, CMS_BINARY) == 1 ? i2d_CMS_ContentInfo(cms, &der) : 0;
    if (n > 0 && (out = malloc((size_t)n))) {
        memcpy(out, der, (size_t)n);
        *out_len = (size_t)n;
    }
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return out;
}

static uint8_t *wrap(unsigned tag, const uint8_t *v, size_t len, size_t *out_len) {
    uint8_t *o = malloc(len + 6), *p = o;
    *p++ = (uint8_t)tag;
    if (len < 0x80) *p++ = (uint8_t)len;
    else if (len < 0x100) { *p++ = 0x81; *p++ = (uint8_t)len; }
    else if (len < 0x10000) { *p++ = 0x82; *p++ = (uint8_t)(len >> 8); *p++ = (uint8_t)len; }
    else { *p++ = 0x83; *p++ = (uint8_t)(len >> 16); *p++ = (uint8_t)(len >> 8); *p++ = (uint8_t)len; }
    memcpy(p, v, len);
    *out_len = (size_t)(p - o) + len;
    return o;
}

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob der_cert(X509 *x) {
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    blob b = {malloc((size_t)n), (size_t)n};
    memcpy(b.p, d, (size_t)n);
    OPENSSL_free(d);
    return b;
}

/* a master list (CscaMasterList by hand) of one certificate, signed */
static blob master_list(X509 *entry, X509 *signer, EVP_PKEY *key) {
    blob c = der_cert(entry);
    size_t setl, mll;
    uint8_t *set = wrap(0x31, c.p, c.n, &setl);
    uint8_t *in = malloc(setl + 3);
    in[0] = 0x02; in[1] = 0x01; in[2] = 0x00;
    memcpy(in + 3, set, setl);
    uint8_t *ml = wrap(0x30, in, setl + 3, &mll);
    blob b = {NULL, 0};
    b.p = cms_sign(ml, mll, "2.23.136.1.1.2", signer, key, &b.n);
    free(c.p);
    free(set);
    free(in);
    free(ml);
    return b;
}

/* a chip's SOD over two groups, signed by ds */
static blob sod(X509 *ds, EVP_PKEY *key, const bex_dg *dgs) {
    uint8_t *lds = NULL;
    size_t lds_len = 0, cl = 0;
    char err[256];
    blob b = {NULL, 0};
    if (bex_pa_build_lds_security_object("SHA-256", dgs, 2, &lds, &lds_len, err, sizeof err) != BEX_OK) return b;
    uint8_t *cms = cms_sign(lds, lds_len, "2.23.136.1.1.1", ds, key, &cl);
    if (cms) b.p = wrap(0x77, cms, cl, &b.n);
    free(cms);
    bex_pa_free(lds);
    return b;
}

static struct {
    EVP_PKEY *k_ut, *k_lk, *k_x, *k_ds;
    blob ut, lk_pem_crl, crl, ml, ml_rogue, sod_ut, sod_lk;
    bex_dg dgs[2];
} P;
static const uint8_t dg1[] = {0x61, 0x03, 0x5f, 0x1f, 0x00}, dg2[] = {0x75, 0x02, 0x01, 0x02};

static void make_pki(void) {
    P.k_ut = EVP_EC_gen("P-256");
    P.k_lk = EVP_EC_gen("P-256");
    P.k_x = EVP_EC_gen("P-256");
    P.k_ds = EVP_EC_gen("P-256");
    X509 *ut = make_cert(P.k_ut, "UT", "Utopia CSCA", NULL, NULL, 1, 1);
    X509 *lk = make_cert(P.k_lk, "LK", "Lilliput CSCA", NULL, NULL, 2, 1);
    X509 *x = make_cert(P.k_x, "ZZ", "Never loaded CSCA", NULL, NULL, 3, 1);
    X509 *ds_ut = make_cert(P.k_ds, "UT", "Utopia DS", ut, P.k_ut, 0x1001, 0);
    X509 *ds_lk = make_cert(P.k_ds, "LK", "Lilliput DS", lk, P.k_lk, 0x2001, 0);
    X509 *mls = make_cert(P.k_ds, "UT", "Utopia ML signer", ut, P.k_ut, 0x1002, 0);
    X509 *rogue = make_cert(P.k_ds, "ZZ", "Rogue ML signer", x, P.k_x, 0x3001, 0);
    P.ut = der_cert(ut);
    P.ml = master_list(lk, mls, P.k_ds);
    P.ml_rogue = master_list(lk, rogue, P.k_ds);
    /* a CRL of the LK CSCA revoking nothing, DER alone and in a PEM file after the LK CSCA */
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(lk));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, (time_t)T2020);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)T2035);
    X509_CRL_set1_nextUpdate(crl, t);
    ASN1_TIME_free(t);
    X509_CRL_sign(crl, P.k_lk, EVP_sha256());
    unsigned char *d = NULL;
    int n = i2d_X509_CRL(crl, &d);
    P.crl.p = malloc((size_t)n);
    memcpy(P.crl.p, d, (size_t)n);
    P.crl.n = (size_t)n;
    OPENSSL_free(d);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, lk);
    PEM_write_bio_X509_CRL(b, crl);
    char *pp;
    long pl = BIO_get_mem_data(b, &pp);
    P.lk_pem_crl.p = malloc((size_t)pl);
    memcpy(P.lk_pem_crl.p, pp, (size_t)pl);
    P.lk_pem_crl.n = (size_t)pl;
    BIO_free(b);
    X509_CRL_free(crl);
    P.dgs[0] = (bex_dg){1, dg1, sizeof dg1};
    P.dgs[1] = (bex_dg){2, dg2, sizeof dg2};
    P.sod_ut = sod(ds_ut, P.k_ds, P.dgs);
    P.sod_lk = sod(ds_lk, P.k_ds, P.dgs);
    X509 *xs[] = {ut, lk, x, ds_ut, ds_lk, mls, rogue};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) X509_free(xs[i]);
}

static char path[256];

static bex_store *open_store(const char *actor) {
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = actor;
    bex_store *st = NULL;
    char err[256];
    if (bex_store_open(path, &o, &st, err, sizeof err) != BEX_OK) printf("  open: %s\n", err);
    return st;
}

static void fresh(void) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bex_trust_XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    unlink(path);
}

static void drop(void) {
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static long long sql_int(const char *sql) {
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return v;
}

/* the outcome of a chip against the store's trust store */
static bex_pa_outcome chip(bex_store *st, const blob *sd) {
    const bex_trust_store *ts = NULL;
    char err[256];
    if (bex_store_trust_get(st, &ts, err, sizeof err) != BEX_OK || !ts) {
        printf("  trust_get: %s\n", err);
        return BEX_PA_MALFORMED;
    }
    bex_pa_result r;
    if (bex_pa_verify(ts, sd->p, sd->n, P.dgs, 2, T2026, &r, err, sizeof err) != BEX_OK) return BEX_PA_MALFORMED;
    return r.outcome;
}

static size_t n_csca(bex_store *st) {
    const bex_trust_store *ts = NULL;
    char err[256];
    size_t c = 99, r;
    if (bex_store_trust_get(st, &ts, err, sizeof err) == BEX_OK) bex_trust_count(ts, &c, &r);
    return c;
}

static size_t n_rows(bex_store *st, int with_removed) {
    bex_trust_file_info *rows;
    size_t n = 99;
    char err[256];
    if (bex_store_trust_list(st, with_removed, &rows, &n, err, sizeof err) != BEX_OK) return 99;
    free(rows);
    return n;
}

TEST(empty_store_gives_an_empty_trust_store) {
    fresh();
    bex_store *st = open_store("test:admin");
    CHECK(st != NULL);
    CHECK(n_csca(st) == 0);
    CHECK(chip(st, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(n_rows(st, 1) == 0);
    bex_store_close(st);
    drop();
}

TEST(load_csca_then_again) {
    fresh();
    bex_store *st = open_store("test:admin");
    bex_trust_file_info i;
    char err[256];
    CHECK(chip(st, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "/etc/bex/csca/ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(i.id > 0 && !i.already && !i.restored);
    CHECK(!strcmp(i.kind, "csca") && i.n_csca == 1 && i.n_crl == 0 && !strcmp(i.country, "UT"));
    CHECK(!strcmp(i.name, "ut.der") && strlen(i.sha256) == 64 && !strcmp(i.added_by, "test:admin"));
    CHECK(!strcmp(i.not_after, "2035-01-01T00:00:00Z"));
    CHECK(!i.removed_at[0] && !i.trusted_list);
    CHECK(chip(st, &P.sod_ut) == BEX_PA_AUTHENTIC);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_UNKNOWN_SIGNER);
    bex_trust_file_info j;
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "again.der", 0, T2026, &j, err, sizeof err) == BEX_OK);
    CHECK(j.already && j.id == i.id && !strcmp(j.name, "ut.der"));
    CHECK(n_rows(st, 1) == 1);
    bex_store_close(st);
    CHECK(sql_int("SELECT count(*) FROM audit WHERE action = 'trust_load' AND actor = 'test:admin' "
                  "AND object = 'trust_file 1'") == 1);
    CHECK(sql_int("SELECT count(*) FROM trust_files WHERE length(bytes) > 0") == 1);
    drop();
}

TEST(refused_files_add_nothing) {
    fresh();
    bex_store *st = open_store("test:admin");
    bex_trust_file_info i;
    char err[256];
    static const uint8_t junk[] = "this is no certificate";
    CHECK(bex_store_trust_load(st, junk, sizeof junk, "junk.pem", 0, T2026, &i, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "junk.pem") != NULL);
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n - 1, "cut.der", 0, T2026, &i, err, sizeof err) != BEX_OK);
    /* a master list whose signer chains to no CSCA in force */
    CHECK(bex_store_trust_load(st, P.ml.p, P.ml.n, "ml.ml", 0, T2026, &i, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(bex_store_trust_load(st, P.ml_rogue.p, P.ml_rogue.n, "rogue.ml", 0, T2026, &i, err, sizeof err) ==
          BEX_ERR_CORRUPT);
    /* a master list whose signature is broken, even trusted */
    blob bad = {malloc(P.ml.n), P.ml.n};
    memcpy(bad.p, P.ml.p, P.ml.n);
    bad.p[bad.n - 1] ^= 1;
    CHECK(bex_store_trust_load(st, bad.p, bad.n, "bad.ml", BEX_TRUST_ML_TRUSTED, T2026, &i, err, sizeof err) != BEX_OK);
    free(bad.p);
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "ut.der", 8, T2026, &i, err, sizeof err) == BEX_ERR_ARG);
    CHECK(n_rows(st, 1) == 1 && n_csca(st) == 1);
    bex_store_close(st);
    CHECK(sql_int("SELECT count(*) FROM audit WHERE action LIKE 'trust%'") == 1);
    drop();
}

TEST(master_list_chained_or_trusted) {
    fresh();
    bex_store *st = open_store("test:admin");
    bex_trust_file_info i;
    char err[256];
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(bex_store_trust_load(st, P.ml.p, P.ml.n, "ICAO_ml.ml", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(i.kind, "master_list") && i.n_csca == 1 && !strcmp(i.country, "LK") && !i.trusted_list);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_AUTHENTIC);
    bex_store_close(st);
    drop();
    /* the operator vouches for a list whose signer is not in force */
    fresh();
    st = open_store("test:admin");
    CHECK(bex_store_trust_load(st, P.ml_rogue.p, P.ml_rogue.n, "rogue.ml", BEX_TRUST_ML_TRUSTED, T2026, &i, err,
                               sizeof err) == BEX_OK);
    CHECK(i.trusted_list == 1);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_AUTHENTIC && chip(st, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER);
    bex_store_close(st);
    drop();
}

TEST(crl_and_pem_kinds) {
    fresh();
    bex_store *st = open_store("test:admin");
    bex_trust_file_info i;
    char err[256];
    CHECK(bex_store_trust_load(st, P.crl.p, P.crl.n, "lk.crl", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(i.kind, "crl") && i.n_csca == 0 && i.n_crl == 1 && !strcmp(i.country, "LK"));
    CHECK(bex_store_trust_load(st, P.lk_pem_crl.p, P.lk_pem_crl.n, "lk.pem", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(i.kind, "csca") && i.n_csca == 1 && i.n_crl == 1);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_AUTHENTIC);
    bex_store_close(st);
    drop();
}

TEST(remove_withdraws_and_load_restores) {
    fresh();
    bex_store *st = open_store("test:admin");
    bex_trust_file_info i, j;
    char err[256];
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(bex_store_trust_load(st, P.lk_pem_crl.p, P.lk_pem_crl.n, "lk.pem", 0, T2026, &j, err, sizeof err) == BEX_OK);
    CHECK(chip(st, &P.sod_ut) == BEX_PA_AUTHENTIC && n_csca(st) == 2);
    bex_store_set_actor(st, "test:other");
    CHECK(bex_store_trust_remove(st, i.id, err, sizeof err) == BEX_OK);
    CHECK(chip(st, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER && n_csca(st) == 1);
    CHECK(chip(st, &P.sod_lk) == BEX_PA_AUTHENTIC);
    CHECK(bex_store_trust_remove(st, i.id, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_store_trust_remove(st, 999, err, sizeof err) == BEX_ERR_ARG);
    CHECK(n_rows(st, 0) == 1 && n_rows(st, 1) == 2);
    bex_trust_file_info *rows;
    size_t n;
    CHECK(bex_store_trust_list(st, 1, &rows, &n, err, sizeof err) == BEX_OK && n == 2);
    if (n == 2) CHECK(!strcmp(rows[0].removed_by, "test:other") && rows[0].removed_at[0] && !rows[1].removed_at[0]);
    free(rows);
    /* loading it again puts it back in force */
    CHECK(bex_store_trust_load(st, P.ut.p, P.ut.n, "ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(i.restored && !i.already && !i.removed_at[0] && !strcmp(i.added_by, "test:other"));
    CHECK(chip(st, &P.sod_ut) == BEX_PA_AUTHENTIC);
    bex_store_close(st);
    CHECK(sql_int("SELECT count(*) FROM audit WHERE action = 'trust_remove' AND actor = 'test:other' "
                  "AND object = 'trust_file 1'") == 1);
    CHECK(sql_int("SELECT count(*) FROM audit WHERE action = 'trust_restore' AND actor = 'test:other'") == 1);
    drop();
}

TEST(another_handle_sees_changes) {
    fresh();
    bex_store *a = open_store("test:a"), *b = open_store("test:b");
    bex_trust_file_info i;
    char err[256];
    CHECK(chip(a, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER);
    const bex_trust_store *t1 = NULL, *t2 = NULL;
    CHECK(bex_store_trust_get(a, &t1, err, sizeof err) == BEX_OK);
    CHECK(bex_store_trust_get(a, &t2, err, sizeof err) == BEX_OK && t1 == t2); /* no change: not built again */
    CHECK(bex_store_trust_load(b, P.ut.p, P.ut.n, "ut.der", 0, T2026, &i, err, sizeof err) == BEX_OK);
    CHECK(chip(a, &P.sod_ut) == BEX_PA_AUTHENTIC);
    CHECK(bex_store_trust_remove(b, i.id, err, sizeof err) == BEX_OK);
    CHECK(chip(a, &P.sod_ut) == BEX_PA_UNKNOWN_SIGNER);
    bex_store_close(a);
    bex_store_close(b);
    drop();
}

int main(void) {
    make_pki();
    RUN(empty_store_gives_an_empty_trust_store);
    RUN(load_csca_then_again);
    RUN(refused_files_add_nothing);
    RUN(master_list_chained_or_trusted);
    RUN(crl_and_pem_kinds);
    RUN(remove_withdraws_and_load_restores);
    RUN(another_handle_sees_changes);
    blob *bs[] = {&P.ut, &P.lk_pem_crl, &P.crl, &P.ml, &P.ml_rogue, &P.sod_ut, &P.sod_lk};
    for (size_t i = 0; i < sizeof bs / sizeof *bs; i++) free(bs[i]->p);
    EVP_PKEY *ks[] = {P.k_ut, P.k_lk, P.k_x, P.k_ds};
    for (size_t i = 0; i < sizeof ks / sizeof *ks; i++) EVP_PKEY_free(ks[i]);
    return test_summary();
}
