/*
 * test_pa.c - passive authentication (passive_auth.h) against a test PKI made here, at test
 * time, with OpenSSL's API and fixed dates (so every outcome reproduces): CSCAs, Document
 * Signers, CRLs, a master list, SODs over a synthetic DG1 (bex_mrz_make_td3) and a DG2 that
 * wraps an LFW fixture JPEG in tag 0x75. Then every way of breaking them, one test each.
 * No key leaves the process; the only files written go to a temporary folder, removed after.
 */
#include <dirent.h>
#include <stdint.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bex/mrz.h"
#include "bex/passive_auth.h"
#include "test.h"

/* fixed times (seconds since the epoch, UTC) */
#define T2019 1546300800LL /* 2019-01-01 */
#define T2020 1577836800LL /* 2020-01-01 */
#define T2021 1609459200LL /* 2021-01-01 */
#define T2026 1780272000LL /* 2026-06-01: the check time */
#define T2030 1893456000LL /* 2030-01-01 */
#define T2035 2051222400LL /* 2035-01-01 */

/* ---- the test PKI ---- */

static EVP_PKEY *key_ec(void) { return EVP_EC_gen("P-256"); }
static EVP_PKEY *key_rsa(void) { return EVP_RSA_gen(2048); }

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

/* A certificate for key, issued by issuer (NULL: self-signed), a CA's or a signer's. */
static X509 *make_cert(EVP_PKEY *key, const char *c, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, int64_t not_before, int64_t not_after, int ca) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before);
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after);
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

/* A CRL of ca listing serial (0: none). */
static X509_CRL *make_crl(X509 *ca, EVP_PKEY *ca_key, long serial, int64_t last, int64_t next) {
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, (time_t)last);
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)next);
    X509_CRL_set1_nextUpdate(crl, t);
    if (serial) {
        X509_REVOKED *rv = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, serial);
        X509_REVOKED_set_serialNumber(rv, s);
        ASN1_TIME_set(t, (time_t)last);
        X509_REVOKED_set_revocationDate(rv, t);
        X509_CRL_add0_revoked(crl, rv);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    X509_CRL_sort(crl);
    X509_CRL_sign(crl, ca_key, EVP_sha256());
    return crl;
}

/* CMS SignedData over content with eContentType oid, signed attributes, the signer's
 * certificate included; RSA-PSS when pss. DER, malloc'd. */
static uint8_t *cms_sign(const uint8_t *content, size_t len, const char *oid, X509 *signer, EVP_PKEY *key,
                         const EVP_MD *md, int pss, size_t *out_len) {
    BIO *in = BIO_new_mem_buf(content, (int)len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    CMS_SignerInfo *si = CMS_add1_signer(cms, signer, key, md, CMS_BINARY | CMS_NOSMIMECAP | (pss ? CMS_KEY_PARAM : 0));
    if (pss) {
        EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
    }
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    CMS_set1_eContentType(cms, o);
    ASN1_OBJECT_free(o);
    uint8_t *out = NULL;
    if (CMS_final(cms, in, NULL, CMS_BINARY) == 1) {
        unsigned char *der = NULL;
        int n = i2d_CMS_ContentInfo(cms, &der);
        if (n > 0 && (out = malloc((size_t)n))) {
            memcpy(out, der, (size_t)n);
            *out_len = (size_t)n;
        }
        OPENSSL_free(der);
    } else {
        ERR_print_errors_fp(stdout);
    }
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return out;
}

/* tag + definite length + value, malloc'd */
static uint8_t *wrap(unsigned tag, const uint8_t *v, size_t len, size_t *out_len) {
    uint8_t *o = malloc(len + 6), *p = o;
    if (tag > 0xff) *p++ = (uint8_t)(tag >> 8);
    *p++ = (uint8_t)tag;
    if (len < 0x80) *p++ = (uint8_t)len;
    else if (len < 0x100) { *p++ = 0x81; *p++ = (uint8_t)len; }
    else if (len < 0x10000) { *p++ = 0x82; *p++ = (uint8_t)(len >> 8); *p++ = (uint8_t)len; }
    else { *p++ = 0x83; *p++ = (uint8_t)(len >> 16); *p++ = (uint8_t)(len >> 8); *p++ = (uint8_t)len; }
    memcpy(p, v, len);
    *out_len = (size_t)(p - o) + len;
    return o;
}

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

typedef struct chip {
    uint8_t *dg1, *dg2, *sod;
    size_t dg1_len, dg2_len, sod_len;
    char mrz[96];
} chip;

/* DG1 around a synthetic TD3 MRZ (number as given) and DG2 around an LFW photo. */
static void make_groups(chip *c, const char *number, const char *photo) {
    char err[256];
    memset(c, 0, sizeof *c);
    if (bex_mrz_make_td3("P", "UTO", "TESTER", "PAT", number, "UTO", "1980-02-03", 'F', "2031-04-05", c->mrz,
                         err, sizeof err) != BEX_OK)
        printf("  mrz: %s\n", err);
    char flat[96];
    size_t n = 0;
    for (const char *s = c->mrz; *s; s++)
        if (*s != '\n') flat[n++] = *s;
    size_t l5;
    uint8_t *m = wrap(0x5F1F, (const uint8_t *)flat, n, &l5);
    c->dg1 = wrap(0x61, m, l5, &c->dg1_len);
    free(m);
    size_t jl = 0;
    uint8_t *jpeg = read_all(photo, &jl);
    c->dg2 = jpeg ? wrap(0x75, jpeg, jl, &c->dg2_len) : NULL;
    free(jpeg);
}

/* The SOD over the chip's two groups (and DG3 when extra), hashed with hash, signed. */
static void sign_chip(chip *c, const char *hash, X509 *ds, EVP_PKEY *key, const EVP_MD *md, int pss) {
    bex_dg dgs[2] = {{1, c->dg1, c->dg1_len}, {2, c->dg2, c->dg2_len}};
    uint8_t *lds = NULL;
    size_t lds_len = 0, cl = 0;
    char err[256];
    if (bex_pa_build_lds_security_object(hash, dgs, 2, &lds, &lds_len, err, sizeof err) != BEX_OK) {
        printf("  lds: %s\n", err);
        return;
    }
    uint8_t *cms = cms_sign(lds, lds_len, "2.23.136.1.1.1", ds, key, md, pss, &cl);
    free(c->sod);
    c->sod = cms ? wrap(0x77, cms, cl, &c->sod_len) : NULL;
    free(cms);
    bex_pa_free(lds);
}

static void free_chip(chip *c) {
    free(c->dg1);
    free(c->dg2);
    free(c->sod);
}

/* The PKI every test shares: made once. */
static struct {
    EVP_PKEY *csca_key, *other_key, *ds_key, *rsa_key, *linked_key, *mls_key;
    X509 *csca, *other_csca, *ds, *ds_expired, *ds_other, *ds_rsa, *csca_rsa, *linked_csca, *ds_linked, *mls;
    chip chip, chip2;
} P;

static const char *photo1 = TEST_DATA("lfw/Aaron_Eckhart_0001.jpg");
static const char *photo2 = TEST_DATA("lfw/Akhmed_Zakayev_0001.jpg");

static void make_pki(void) {
    P.csca_key = key_ec();
    P.other_key = key_ec();
    P.ds_key = key_ec();
    P.rsa_key = key_rsa();
    P.linked_key = key_ec();
    P.mls_key = key_ec();
    P.csca = make_cert(P.csca_key, "UT", "Utopia CSCA (test)", NULL, NULL, 1, T2019, T2035, 1);
    P.other_csca = make_cert(P.other_key, "ZZ", "Unknown CSCA (test)", NULL, NULL, 1, T2019, T2035, 1);
    P.ds = make_cert(P.ds_key, "UT", "Utopia DS 1 (test)", P.csca, P.csca_key, 0x1001, T2020, T2030, 0);
    P.ds_expired = make_cert(P.ds_key, "UT", "Utopia DS 0 (test)", P.csca, P.csca_key, 0x1000, T2020, T2021, 0);
    P.ds_other = make_cert(P.ds_key, "ZZ", "Unknown DS (test)", P.other_csca, P.other_key, 0x2001, T2020, T2030, 0);
    P.csca_rsa = make_cert(P.rsa_key, "UR", "Utopia RSA CSCA (test)", NULL, NULL, 7, T2019, T2035, 1);
    P.ds_rsa = make_cert(P.rsa_key, "UR", "Utopia RSA DS (test)", P.csca_rsa, P.rsa_key, 0x7001, T2020, T2030, 0);
    /* a state whose CSCA comes only through the master list UT's list signer signs */
    P.linked_csca = make_cert(P.linked_key, "LK", "Linked CSCA (test)", NULL, NULL, 9, T2019, T2035, 1);
    P.ds_linked = make_cert(P.ds_key, "LK", "Linked DS (test)", P.linked_csca, P.linked_key, 0x9001, T2020, T2030, 0);
    P.mls = make_cert(P.mls_key, "UT", "Utopia master list signer (test)", P.csca, P.csca_key, 0x3001, T2020, T2030, 0);
    make_groups(&P.chip, "UT1234567", photo1);
    make_groups(&P.chip2, "UT7654321", photo2);
    sign_chip(&P.chip, "SHA-256", P.ds, P.ds_key, EVP_sha256(), 0);
    sign_chip(&P.chip2, "SHA-256", P.ds, P.ds_key, EVP_sha256(), 0);
}

static void der_of(X509 *x, uint8_t **p, size_t *len) {
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    *p = d;
    *len = (size_t)n;
}

/* A store with the UT CSCA (and optionally more, and a CRL). */
static bex_trust_store *store_with(X509 *a, X509 *b, X509_CRL *crl) {
    bex_trust_store *ts = NULL;
    char err[256];
    CHECK(bex_trust_open(&ts, err, sizeof err) == BEX_OK);
    X509 *xs[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!xs[i]) continue;
        uint8_t *d;
        size_t n;
        der_of(xs[i], &d, &n);
        int rc = bex_trust_add(ts, d, n, "csca", 0, T2026, err, sizeof err);
        if (rc != BEX_OK) printf("  %s\n", err);
        CHECK(rc == BEX_OK);
        OPENSSL_free(d);
    }
    if (crl) {
        BIO *bio = BIO_new(BIO_s_mem());
        PEM_write_bio_X509_CRL(bio, crl); /* CRLs as PEM, certificates as DER: both paths */
        char *p;
        long n = BIO_get_mem_data(bio, &p);
        int rc = bex_trust_add(ts, (const uint8_t *)p, (size_t)n, "crl.pem", 0, T2026, err, sizeof err);
        if (rc != BEX_OK) printf("  %s\n", err);
        CHECK(rc == BEX_OK);
        BIO_free(bio);
    }
    return ts;
}

static bex_pa_outcome verify(const bex_trust_store *ts, const chip *c, const uint8_t *sod, size_t sod_len,
                             int64_t at, bex_pa_result *r) {
    bex_dg dgs[2] = {{1, c->dg1, c->dg1_len}, {2, c->dg2, c->dg2_len}};
    char err[256];
    int rc = bex_pa_verify(ts, sod, sod_len, dgs, 2, at, r, err, sizeof err);
    CHECK(rc == BEX_OK);
    CHECK(r->message[0] != 0);
    if (rc != BEX_OK) return (bex_pa_outcome)-1;
    return r->outcome;
}

/* ---- the tests ---- */

TEST(authentic_ecdsa_sha256) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    bex_pa_result r;
    CHECK(P.chip.sod && P.chip.dg2);
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    CHECK(!strcmp(r.hash_algorithm, "SHA-256"));
    CHECK(!strcmp(r.signer_country, "UT") && !strcmp(r.issuer_country, "UT"));
    CHECK(!strcmp(r.signer_serial, "1001"));
    CHECK(r.n_checked == 2 && r.checked[0] == 1 && r.checked[1] == 2);
    CHECK(r.n_sod_groups == 2 && r.crl_checked == 0);
    CHECK(!strcmp(bex_pa_outcome_name(r.outcome), "authentic"));
    /* no personal data in the message: neither the document number nor the name */
    CHECK(!strstr(r.message, "UT1234567") && !strstr(r.message, "TESTER"));
    bex_trust_close(ts);
}

TEST(authentic_every_sha) {
    static const char *const hs[] = {"SHA-1", "SHA-224", "SHA-384", "SHA-512"};
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        chip c = P.chip;
        c.sod = NULL;
        sign_chip(&c, hs[i], P.ds, P.ds_key, EVP_sha384(), 0);
        bex_pa_result r;
        CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
        CHECK(!strcmp(r.hash_algorithm, hs[i]));
        free(c.sod);
    }
    bex_trust_close(ts);
}

TEST(authentic_rsa_pkcs1_and_pss) {
    bex_trust_store *ts = store_with(P.csca_rsa, NULL, NULL);
    for (int pss = 0; pss <= 1; pss++) {
        chip c = P.chip;
        c.sod = NULL;
        sign_chip(&c, "SHA-256", P.ds_rsa, P.rsa_key, EVP_sha256(), pss);
        bex_pa_result r;
        CHECK(c.sod != NULL);
        CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
        CHECK(!strcmp(r.signer_country, "UR"));
        /* the signature algorithm is the one asked for */
        const unsigned char *q = c.sod + 4;
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)c.sod_len - 4);
        X509_ALGOR *sig = NULL;
        CHECK(cms != NULL);
        if (cms) CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), NULL, NULL, NULL, &sig);
        CHECK(sig && OBJ_obj2nid(sig->algorithm) == (pss ? NID_rsassaPss : NID_rsaEncryption));
        CMS_ContentInfo_free(cms);
        /* the same SOD's last byte (the signature's) changed */
        c.sod[c.sod_len - 1] ^= 0x01;
        CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_SIGNATURE_INVALID);
        free(c.sod);
    }
    bex_trust_close(ts);
}

/* Brainpool curves: many states' CSCAs and Document Signers use them (Doc 9303-12 allows them) */
TEST(authentic_ecdsa_brainpool) {
    EVP_PKEY *ck = EVP_EC_gen("brainpoolP384r1"), *dk = EVP_EC_gen("brainpoolP256r1");
    CHECK(ck && dk);
    if (!ck || !dk) return;
    X509 *csca = make_cert(ck, "BP", "Brainpool CSCA (test)", NULL, NULL, 3, T2019, T2035, 1);
    X509 *ds = make_cert(dk, "BP", "Brainpool DS (test)", csca, ck, 0x4001, T2020, T2030, 0);
    bex_trust_store *ts = store_with(csca, NULL, NULL);
    chip c = P.chip;
    c.sod = NULL;
    sign_chip(&c, "SHA-384", ds, dk, EVP_sha384(), 0);
    bex_pa_result r;
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    c.sod[c.sod_len - 1] ^= 0x01;
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_SIGNATURE_INVALID);
    free(c.sod);
    bex_trust_close(ts);
    X509_free(ds);
    X509_free(csca);
    EVP_PKEY_free(dk);
    EVP_PKEY_free(ck);
}

TEST(dg2_byte_changed_is_altered) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    chip c = P.chip;
    c.dg2 = malloc(c.dg2_len);
    memcpy(c.dg2, P.chip.dg2, c.dg2_len);
    c.dg2[c.dg2_len / 2] ^= 0x40;
    bex_pa_result r;
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_DATA_GROUP_ALTERED);
    CHECK(r.altered_group == 2);
    CHECK(r.n_checked == 1 && r.checked[0] == 1);
    CHECK(strstr(r.message, "data group 2") != NULL);
    free(c.dg2);
    bex_trust_close(ts);
}

TEST(group_missing_from_sod_is_altered) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    static const uint8_t dg3[] = {0x63, 0x02, 0x01, 0x02};
    bex_dg dgs[3] = {{1, P.chip.dg1, P.chip.dg1_len}, {3, dg3, sizeof dg3}, {2, P.chip.dg2, P.chip.dg2_len}};
    bex_pa_result r;
    char err[256];
    CHECK(bex_pa_verify(ts, P.chip.sod, P.chip.sod_len, dgs, 3, T2026, &r, err, sizeof err) == BEX_OK);
    CHECK(r.outcome == BEX_PA_DATA_GROUP_ALTERED && r.altered_group == 3);
    /* a group the SOD lists but the reader did not read (DG2 here) is no failure */
    CHECK(bex_pa_verify(ts, P.chip.sod, P.chip.sod_len, dgs, 1, T2026, &r, err, sizeof err) == BEX_OK);
    CHECK(r.outcome == BEX_PA_AUTHENTIC && r.n_checked == 1);
    /* the caller's mistakes are errors, not outcomes */
    bex_dg twice[2] = {{1, P.chip.dg1, P.chip.dg1_len}, {1, P.chip.dg1, P.chip.dg1_len}};
    CHECK(bex_pa_verify(ts, P.chip.sod, P.chip.sod_len, twice, 2, T2026, &r, err, sizeof err) == BEX_ERR_ARG);
    bex_dg bad[1] = {{17, dg3, sizeof dg3}};
    CHECK(bex_pa_verify(ts, P.chip.sod, P.chip.sod_len, bad, 1, T2026, &r, err, sizeof err) == BEX_ERR_ARG);
    bex_trust_close(ts);
}

TEST(swapped_sod_is_altered) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    bex_pa_result r;
    /* chip 2's genuine SOD with chip 1's groups: the first group differs */
    CHECK(verify(ts, &P.chip, P.chip2.sod, P.chip2.sod_len, T2026, &r) == BEX_PA_DATA_GROUP_ALTERED);
    CHECK(r.altered_group == 1);
    bex_trust_close(ts);
}

TEST(unknown_csca) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    chip c = P.chip;
    c.sod = NULL;
    sign_chip(&c, "SHA-256", P.ds_other, P.ds_key, EVP_sha256(), 0);
    bex_pa_result r;
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(!strcmp(r.issuer_country, "ZZ"));
    /* an empty store knows no one */
    bex_trust_store *empty = store_with(NULL, NULL, NULL);
    CHECK(verify(empty, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_UNKNOWN_SIGNER);
    /* the DS itself is no CSCA: refused when loaded as one */
    uint8_t *d;
    size_t n;
    char err[256];
    der_of(P.ds, &d, &n);
    CHECK(bex_trust_add(ts, d, n, "ds.der", 0, T2026, err, sizeof err) == BEX_ERR_FORMAT);
    OPENSSL_free(d);
    free(c.sod);
    bex_trust_close(empty);
    bex_trust_close(ts);
}

TEST(expired_signer_at_check_time) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    chip c = P.chip;
    c.sod = NULL;
    sign_chip(&c, "SHA-256", P.ds_expired, P.ds_key, EVP_sha256(), 0);
    bex_pa_result r;
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_EXPIRED_SIGNER);
    CHECK(strstr(r.message, "signer certificate") != NULL);
    /* the same SOD checked within the DS's validity */
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2020 + 86400 * 100, &r) == BEX_PA_AUTHENTIC);
    /* before the DS existed, and after the CSCA ended */
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2019 + 86400, &r) == BEX_PA_EXPIRED_SIGNER);
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2035 + 86400, &r) == BEX_PA_EXPIRED_SIGNER);
    free(c.sod);
    bex_trust_close(ts);
}

TEST(revoked_by_crl) {
    X509_CRL *crl = make_crl(P.csca, P.csca_key, 0x1001, T2021, T2030);
    bex_trust_store *ts = store_with(P.csca, NULL, crl);
    size_t nc, nr;
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 1 && nr == 1);
    bex_pa_result r;
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_REVOKED);
    CHECK(!strcmp(bex_pa_outcome_name(r.outcome), "revoked"));
    bex_trust_close(ts);
    X509_CRL_free(crl);
    /* a CRL that lists another serial: authentic, and the CRL was consulted */
    crl = make_crl(P.csca, P.csca_key, 0x0999, T2021, T2030);
    ts = store_with(P.csca, NULL, crl);
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    CHECK(r.crl_checked == 1);
    bex_trust_close(ts);
    X509_CRL_free(crl);
    /* the other CSCA's CRL naming the same serial does not revoke UT's signer */
    crl = make_crl(P.other_csca, P.other_key, 0x1001, T2021, T2030);
    ts = store_with(P.csca, NULL, crl);
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    CHECK(r.crl_checked == 0);
    bex_trust_close(ts);
    X509_CRL_free(crl);
}

/* A key rollover: an earlier CSCA under the same name, and CRLs without an
 * authorityKeyIdentifier. OpenSSL may try the earlier CSCA's CRL for the signer, fail its
 * signature and go on without one; the CSCA's own CRL must still revoke (found by bench_pa). */
static void add_crl(bex_trust_store *ts, X509_CRL *crl) {
    unsigned char *d = NULL;
    int n = i2d_X509_CRL(crl, &d);
    char err[256];
    CHECK(n > 0 && bex_trust_add(ts, d, (size_t)n, "crl.der", 0, T2026, err, sizeof err) == BEX_OK);
    OPENSSL_free(d);
}

TEST(revoked_with_a_rolled_over_csca_of_the_same_name) {
    EVP_PKEY *old_key = key_ec();
    X509 *old_csca = make_cert(old_key, "UT", "Utopia CSCA (test)", NULL, NULL, 2, T2019, T2035, 1);
    for (int order = 0; order < 2; order++) {
        X509_CRL *old_crl = make_crl(old_csca, old_key, 0x0777, T2021, T2030);
        X509_CRL *crl = make_crl(P.csca, P.csca_key, 0x1001, T2021, T2030);
        bex_trust_store *ts = store_with(order ? P.csca : old_csca, order ? old_csca : P.csca, NULL);
        add_crl(ts, order ? crl : old_crl);
        add_crl(ts, order ? old_crl : crl);
        bex_pa_result r;
        CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_REVOKED);
        bex_trust_close(ts);
        /* and with the CSCA's own CRL listing another serial: authentic, its CRL consulted */
        X509_CRL_free(crl);
        crl = make_crl(P.csca, P.csca_key, 0x0999, T2021, T2030);
        ts = store_with(order ? P.csca : old_csca, order ? old_csca : P.csca, NULL);
        add_crl(ts, order ? crl : old_crl);
        add_crl(ts, order ? old_crl : crl);
        CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_AUTHENTIC && r.crl_checked == 1);
        bex_trust_close(ts);
        X509_CRL_free(crl);
        X509_CRL_free(old_crl);
    }
    X509_free(old_csca);
    EVP_PKEY_free(old_key);
}

/* A state's signers come from its own CSCA: a chip verified against another state's CSCA is no
 * authentic passport of its issuing state (found by the issue 14 audit: any loaded CSCA vouched
 * for every state's passports). */
TEST(issuing_state_against_the_signers_csca) {
    bex_pa_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.issuer_country, sizeof r.issuer_country, "GB");
    char m[160];
    CHECK(bex_pa_check_issuer(&r, "GBR", m, sizeof m) == BEX_PA_AUTHENTIC);
    CHECK(bex_pa_check_issuer(&r, "GBD", m, sizeof m) == BEX_PA_AUTHENTIC);
    CHECK(bex_pa_check_issuer(&r, "FRA", m, sizeof m) == BEX_PA_UNKNOWN_SIGNER && strstr(m, "FRA") && strstr(m, "GB"));
    CHECK(bex_pa_check_issuer(&r, "USA", m, sizeof m) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(bex_pa_check_issuer(&r, "QQQ", m, sizeof m) == BEX_PA_UNKNOWN_SIGNER && strstr(m, "no country code"));
    CHECK(bex_pa_check_issuer(&r, NULL, m, sizeof m) == BEX_PA_UNKNOWN_SIGNER);
    snprintf(r.issuer_country, sizeof r.issuer_country, "DE");
    CHECK(bex_pa_check_issuer(&r, "D", NULL, 0) == BEX_PA_AUTHENTIC); /* Germany's MRZ code */
    r.issuer_country[0] = 0;                                           /* a CSCA without C= */
    CHECK(bex_pa_check_issuer(&r, "DEU", m, sizeof m) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(!strcmp(bex_state_alpha2("UTO"), "UT") && !strcmp(bex_state_alpha2("ZWE"), "ZW") &&
          !strcmp(bex_state_alpha2("ABW"), "AW") && !strcmp(bex_state_alpha2("RKS"), "XK") && !bex_state_alpha2("XX"));
}

TEST(corrupted_signature_and_content) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    chip c = P.chip;
    c.sod = malloc(P.chip.sod_len);
    memcpy(c.sod, P.chip.sod, P.chip.sod_len);
    bex_pa_result r;
    c.sod[c.sod_len - 1] ^= 0x01; /* the ECDSA signature's last byte */
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_SIGNATURE_INVALID);
    memcpy(c.sod, P.chip.sod, P.chip.sod_len);
    /* a DG2 hash inside the signed content changed to fit a new DG2: the signed digest breaks */
    unsigned char h[32];
    unsigned hl;
    EVP_Digest(P.chip.dg2, P.chip.dg2_len, h, &hl, EVP_sha256(), NULL);
    uint8_t *at = memmem(c.sod, c.sod_len, h, hl);
    CHECK(at != NULL);
    if (at) {
        at[0] ^= 0xff;
        CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_SIGNATURE_INVALID);
        CHECK(strstr(r.message, "digest") != NULL);
    }
    free(c.sod);
    bex_trust_close(ts);
}

TEST(mrz_against_printed) {
    char msg[256], out[128];
    CHECK(bex_pa_dg1_mrz(P.chip.dg1, P.chip.dg1_len, out, sizeof out) == BEX_OK);
    CHECK(strlen(out) == 88);
    CHECK(bex_pa_check_mrz(P.chip.dg1, P.chip.dg1_len, P.chip.mrz, msg, sizeof msg) == BEX_PA_AUTHENTIC);
    char crlf[128];
    size_t k = 0;
    for (const char *s = P.chip.mrz; *s; s++) {
        if (*s == '\n') crlf[k++] = '\r';
        crlf[k++] = *s;
    }
    strcpy(crlf + k, "\r\n");
    CHECK(bex_pa_check_mrz(P.chip.dg1, P.chip.dg1_len, crlf, msg, sizeof msg) == BEX_PA_AUTHENTIC);
    /* chip 2's DG1 against chip 1's printed page */
    CHECK(bex_pa_check_mrz(P.chip2.dg1, P.chip2.dg1_len, P.chip.mrz, msg, sizeof msg) == BEX_PA_MRZ_MISMATCH);
    CHECK(!strcmp(bex_pa_outcome_name(BEX_PA_MRZ_MISMATCH), "mrz_mismatch"));
    CHECK(!strstr(msg, "UT7654321") && !strstr(msg, "UT1234567"));
    CHECK(bex_pa_check_mrz(P.chip.dg2, P.chip.dg2_len, P.chip.mrz, msg, sizeof msg) == BEX_PA_MALFORMED);
    static const uint8_t short1[] = {0x61, 0x05, 0x5F, 0x1F, 0x03, 'P', '<'};
    CHECK(bex_pa_dg1_mrz(short1, sizeof short1, out, sizeof out) == BEX_ERR_CORRUPT);
}

/* Doc 9303's specimen passport MRZ (ERIKSSON, UTO) in DG1's layout from Part 10: tag 61,
 * length 5B, tag 5F1F, length 58 (88 characters), the two lines joined */
TEST(dg1_in_doc9303_layout) {
    static const char specimen[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
                                   "L898902C36UTO7408122F1204159ZE184226B<<<<<10";
    uint8_t dg1[5 + 88] = {0x61, 0x5B, 0x5F, 0x1F, 0x58};
    memcpy(dg1 + 5, specimen, 88);
    char out[128], msg[256];
    CHECK(bex_pa_dg1_mrz(dg1, sizeof dg1, out, sizeof out) == BEX_OK);
    CHECK(!strcmp(out, specimen));
    CHECK(bex_pa_check_mrz(dg1, sizeof dg1,
                           "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n",
                           msg, sizeof msg) == BEX_PA_AUTHENTIC);
    CHECK(bex_pa_check_mrz(dg1, sizeof dg1,
                           "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<11",
                           msg, sizeof msg) == BEX_PA_MRZ_MISMATCH);
    CHECK(strstr(msg, "character 88") != NULL);
    CHECK(bex_pa_dg1_mrz(dg1, sizeof dg1, out, 50) == BEX_ERR_LIMIT);
    /* the same MRZ under a long-form length, as some issuers write it */
    uint8_t dg1l[6 + 88] = {0x61, 0x81, 0x5B, 0x5F, 0x1F, 0x58};
    memcpy(dg1l + 6, specimen, 88);
    CHECK(bex_pa_dg1_mrz(dg1l, sizeof dg1l, out, sizeof out) == BEX_OK && !strcmp(out, specimen));
    /* one byte short of its own length */
    CHECK(bex_pa_dg1_mrz(dg1, sizeof dg1 - 1, out, sizeof out) == BEX_ERR_CORRUPT);
}

TEST(truncated_and_oversized_sods_are_malformed) {
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    bex_pa_result r;
    int all = 1;
    for (size_t n = 0; n < P.chip.sod_len; n++) {
        bex_pa_outcome o = verify(ts, &P.chip, P.chip.sod, n, T2026, &r);
        if (o != BEX_PA_MALFORMED) {
            printf("  a %zu-byte prefix gave %s\n", n, bex_pa_outcome_name(o));
            all = 0;
            break;
        }
    }
    CHECK(all);
    /* the inner object truncated inside a complete 0x77 */
    size_t wl;
    uint8_t *w = wrap(0x77, P.chip.sod + 4, P.chip.sod_len - 40, &wl);
    CHECK(verify(ts, &P.chip, w, wl, T2026, &r) == BEX_PA_MALFORMED);
    free(w);
    /* more than the cap, with a header claiming it all */
    size_t big = BEX_PA_MAX_SOD_BYTES + 100, bl;
    uint8_t *filler = calloc(1, big);
    memcpy(filler, P.chip.sod, P.chip.sod_len);
    uint8_t *b = wrap(0x77, filler, big, &bl);
    CHECK(verify(ts, &P.chip, b, bl, T2026, &r) == BEX_PA_MALFORMED);
    CHECK(strstr(r.message, "more than") != NULL);
    free(b);
    free(filler);
    /* trailing bytes after the SOD; zero padding is allowed */
    uint8_t *t = calloc(1, P.chip.sod_len + 8);
    memcpy(t, P.chip.sod, P.chip.sod_len);
    CHECK(verify(ts, &P.chip, t, P.chip.sod_len + 8, T2026, &r) == BEX_PA_AUTHENTIC);
    t[P.chip.sod_len + 3] = 'x';
    CHECK(verify(ts, &P.chip, t, P.chip.sod_len + 8, T2026, &r) == BEX_PA_MALFORMED);
    free(t);
    /* another tag, and a signed content that is no LDS security object */
    uint8_t *o = malloc(P.chip.sod_len);
    memcpy(o, P.chip.sod, P.chip.sod_len);
    o[0] = 0x76;
    CHECK(verify(ts, &P.chip, o, P.chip.sod_len, T2026, &r) == BEX_PA_MALFORMED);
    free(o);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    size_t cl;
    uint8_t *cms = cms_sign(junk, sizeof junk, "2.23.136.1.1.1", P.ds, P.ds_key, EVP_sha256(), 0, &cl);
    uint8_t *s = wrap(0x77, cms, cl, &wl);
    CHECK(verify(ts, &P.chip, s, wl, T2026, &r) == BEX_PA_MALFORMED);
    free(s);
    free(cms);
    cms = cms_sign(junk, sizeof junk, "1.2.840.113549.1.7.1", P.ds, P.ds_key, EVP_sha256(), 0, &cl);
    s = wrap(0x77, cms, cl, &wl);
    CHECK(verify(ts, &P.chip, s, wl, T2026, &r) == BEX_PA_MALFORMED);
    free(s);
    free(cms);
    bex_trust_close(ts);
}

/* A master list signed by UT's list signer (issued by the UT CSCA), carrying the LK CSCA, the
 * UT CSCA and (when with_ds) a Document Signer's certificate, which is no CA. */
static uint8_t *make_master_list_with(size_t *len, int with_ds) {
    /* CscaMasterList ::= SEQUENCE { version INTEGER 0, certList SET OF Certificate } by hand
     * around OpenSSL's encoding of each certificate (a SET OF's order is not checked) */
    unsigned char *c1 = NULL, *c2 = NULL, *c3 = NULL;
    int l1 = i2d_X509(P.linked_csca, &c1), l2 = i2d_X509(P.csca, &c2), l3 = with_ds ? i2d_X509(P.ds_other, &c3) : 0;
    size_t setl;
    uint8_t *both = malloc((size_t)(l1 + l2 + l3));
    memcpy(both, c1, (size_t)l1);
    memcpy(both + l1, c2, (size_t)l2);
    if (l3) memcpy(both + l1 + l2, c3, (size_t)l3);
    uint8_t *set = wrap(0x31, both, (size_t)(l1 + l2 + l3), &setl);
    uint8_t *seq_in = malloc(setl + 3);
    seq_in[0] = 0x02; seq_in[1] = 0x01; seq_in[2] = 0x00;
    memcpy(seq_in + 3, set, setl);
    size_t mll;
    uint8_t *ml = wrap(0x30, seq_in, setl + 3, &mll);
    uint8_t *cms = cms_sign(ml, mll, "2.23.136.1.1.2", P.mls, P.mls_key, EVP_sha256(), 0, len);
    OPENSSL_free(c1);
    OPENSSL_free(c2);
    OPENSSL_free(c3);
    free(both);
    free(set);
    free(seq_in);
    free(ml);
    return cms;
}

static uint8_t *make_master_list(size_t *len) {
    return make_master_list_with(len, 0);
}

TEST(master_list_chains_another_csca) {
    size_t mll;
    uint8_t *ml = make_master_list(&mll);
    CHECK(ml != NULL);
    chip c = P.chip;
    c.sod = NULL;
    sign_chip(&c, "SHA-256", P.ds_linked, P.ds_key, EVP_sha256(), 0);
    bex_pa_result r;
    char err[256];
    bex_trust_store *ts = store_with(P.csca, NULL, NULL);
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_UNKNOWN_SIGNER);
    CHECK(bex_trust_add(ts, ml, mll, "list.ml", 0, T2026, err, sizeof err) == BEX_OK);
    size_t nc, nr;
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 2 && nr == 0);
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    CHECK(!strcmp(r.issuer_country, "LK"));
    bex_trust_close(ts);
    /* an empty store cannot verify the list's signer: refused unless the caller trusts it */
    ts = store_with(NULL, NULL, NULL);
    CHECK(bex_trust_add(ts, ml, mll, "list.ml", 0, T2026, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(strstr(err, "list.ml") != NULL);
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 0);
    CHECK(bex_trust_add(ts, ml, mll, "list.ml", BEX_TRUST_ML_TRUSTED, T2026, err, sizeof err) == BEX_OK);
    CHECK(verify(ts, &c, c.sod, c.sod_len, T2026, &r) == BEX_PA_AUTHENTIC);
    bex_trust_close(ts);
    /* a Document Signer's certificate inside a list does not become a trust anchor */
    free(ml);
    ml = make_master_list_with(&mll, 1);
    ts = store_with(P.csca, NULL, NULL);
    CHECK(bex_trust_add(ts, ml, mll, "list.ml", 0, T2026, err, sizeof err) == BEX_OK);
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 2);
    chip o = P.chip;
    o.sod = NULL;
    sign_chip(&o, "SHA-256", P.ds_other, P.ds_key, EVP_sha256(), 0);
    CHECK(verify(ts, &o, o.sod, o.sod_len, T2026, &r) == BEX_PA_UNKNOWN_SIGNER);
    free(o.sod);
    bex_trust_close(ts);
    /* a list whose signature is broken is refused even when trusted */
    ml[mll - 1] ^= 1;
    ts = store_with(P.csca, NULL, NULL);
    CHECK(bex_trust_add(ts, ml, mll, "list.ml", BEX_TRUST_ML_TRUSTED, T2026, err, sizeof err) == BEX_ERR_CORRUPT);
    bex_trust_close(ts);
    free(c.sod);
    free(ml);
}

TEST(trust_folder_load) {
    char dir[] = "/tmp/bex-pa-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[600];
    snprintf(p, sizeof p, "%s/10-csca.pem", dir);
    FILE *f = fopen(p, "w");
    PEM_write_X509(f, P.csca);
    PEM_write_X509(f, P.csca_rsa);
    fclose(f);
    snprintf(p, sizeof p, "%s/20-csca.crl", dir);
    X509_CRL *crl = make_crl(P.csca, P.csca_key, 0x1001, T2021, T2030);
    f = fopen(p, "wb");
    i2d_X509_CRL_fp(f, crl);
    fclose(f);
    X509_CRL_free(crl);
    size_t mll;
    uint8_t *ml = make_master_list(&mll);
    snprintf(p, sizeof p, "%s/30-list.ml", dir);
    f = fopen(p, "wb");
    fwrite(ml, 1, mll, f);
    fclose(f);
    free(ml);
    snprintf(p, sizeof p, "%s/README.txt", dir); /* skipped: not a trust file's name */
    f = fopen(p, "w");
    fputs("not a certificate\n", f);
    fclose(f);
    bex_trust_store *ts = store_with(NULL, NULL, NULL);
    char err[256];
    int rc = bex_trust_load_path(ts, dir, 0, T2026, err, sizeof err);
    if (rc != BEX_OK) printf("  %s\n", err);
    CHECK(rc == BEX_OK);
    size_t nc, nr;
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 3 && nr == 1);
    bex_pa_result r;
    CHECK(verify(ts, &P.chip, P.chip.sod, P.chip.sod_len, T2026, &r) == BEX_PA_REVOKED);
    /* the same folder again: what is already held is counted once */
    CHECK(bex_trust_load_path(ts, dir, 0, T2026, err, sizeof err) == BEX_OK);
    bex_trust_count(ts, &nc, &nr);
    CHECK(nc == 3 && nr == 1);
    bex_trust_close(ts);
    /* a file that is none of the three stops the load, named */
    snprintf(p, sizeof p, "%s/40-bad.der", dir);
    f = fopen(p, "w");
    fputs("garbage", f);
    fclose(f);
    ts = store_with(NULL, NULL, NULL);
    CHECK(bex_trust_load_path(ts, dir, 0, T2026, err, sizeof err) == BEX_ERR_FORMAT);
    CHECK(strstr(err, "40-bad.der") != NULL);
    bex_trust_close(ts);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(dir);
}

TEST(outcome_names_are_stable) {
    static const char *const want[] = {"authentic", "data_group_altered", "signature_invalid", "unknown_signer",
                                       "expired_signer", "revoked", "malformed", "mrz_mismatch"};
    for (int i = 0; i < 8; i++) CHECK(!strcmp(bex_pa_outcome_name((bex_pa_outcome)i), want[i]));
    CHECK(!strcmp(bex_pa_outcome_name((bex_pa_outcome)99), "unknown"));
}

int main(void) {
    make_pki();
    RUN(authentic_ecdsa_sha256);
    RUN(authentic_every_sha);
    RUN(authentic_rsa_pkcs1_and_pss);
    RUN(authentic_ecdsa_brainpool);
    RUN(dg2_byte_changed_is_altered);
    RUN(group_missing_from_sod_is_altered);
    RUN(swapped_sod_is_altered);
    RUN(unknown_csca);
    RUN(expired_signer_at_check_time);
    RUN(revoked_by_crl);
    RUN(revoked_with_a_rolled_over_csca_of_the_same_name);
    RUN(issuing_state_against_the_signers_csca);
    RUN(corrupted_signature_and_content);
    RUN(mrz_against_printed);
    RUN(dg1_in_doc9303_layout);
    RUN(truncated_and_oversized_sods_are_malformed);
    RUN(master_list_chains_another_csca);
    RUN(trust_folder_load);
    RUN(outcome_names_are_stable);
    free_chip(&P.chip);
    free_chip(&P.chip2);
    EVP_PKEY *keys[] = {P.csca_key, P.other_key, P.ds_key, P.rsa_key, P.linked_key, P.mls_key};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) EVP_PKEY_free(keys[i]);
    X509 *xs[] = {P.csca, P.other_csca, P.ds, P.ds_expired, P.ds_other, P.ds_rsa, P.csca_rsa, P.linked_csca, P.ds_linked, P.mls};
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) X509_free(xs[i]);
    return test_summary();
}
