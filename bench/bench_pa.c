/*
 * bench_pa.c - what checking an ePassport chip costs at an entry (issue 14): bex_pa_verify
 * (passive_auth.h) on one chip, against its peer in the same run, the bare OpenSSL work any
 * verifier must do: CMS_verify of EF.SOD with its DS certificate against an X509_STORE holding
 * the CSCA (and the CRL when there is one), then SHA-256 of DG1 and DG2, each found among the
 * security object's hashes. The ratio bex / peer is what bex's own parsing, checks and
 * messages add. Then the chip check against one face capture (bex_capture_photo), when the
 * models are in models/.
 *
 * The PKI is made here, in memory, with OpenSSL's API, as tests/unit/test_pa.c makes it: a
 * CSCA and a Document Signer for ECDSA P-256, RSA-2048 (PKCS #1 v1.5) and RSA-2048 PSS. The
 * chip holds DG1 (bex_lds_build_dg1 around a synthetic TD3 MRZ) and DG2 (bex_lds_build_dg2
 * around an LFW fixture JPEG), hashed with SHA-256 into an LDSSecurityObject
 * (bex_pa_build_lds_security_object) signed with CMS_sign. Trust stores: the right CSCA alone,
 * or among 250 (about an ICAO master list: 246 other states' CSCAs and, as after key rollovers,
 * two earlier CSCAs under the same name as the right one); with CRLs, every CSCA's CRL is
 * loaded, the right one's listing 50 other serials. No key or file leaves the process.
 *
 *   make bench && build/bench/bench_pa [ROUNDS]
 *
 * Prints, per configuration, the median time per chip over ROUNDS rounds (default 7; each
 * round times a batch of checks and keeps the time per check) and the spread (lowest and
 * highest round), bex and the peer rounds interleaved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bex/face.h"
#include "bex/lds.h"
#include "bex/mrz.h"
#include "bex/passive_auth.h"
#include "bex/quality.h"

#define T2019 1546300800LL /* 2019-01-01 */
#define T2020 1577836800LL /* 2020-01-01 */
#define T2030 1893456000LL /* 2030-01-01 */
#define T2035 2051222400LL /* 2035-01-01 */
#define T_CHECK 1780272000LL /* 2026-06-01: the check time */

#define N_STORE 250
#define MAX_ROUNDS 31

static const char *photo_path = "tests/data/lfw/Aaron_Eckhart_0001.jpg";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_pa: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* ---- the PKI ---- */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (e) X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

/* A CSCA (issuer NULL: self-signed) or a Document Signer certificate for key. */
static X509 *make_cert(EVP_PKEY *key, const char *c, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
                       int ca) {
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(ca ? T2019 : T2020));
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(ca ? T2035 : T2030));
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)c, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_set_pubkey(x, key);
    X509 *iss = issuer ? issuer : x;
    add_ext(x, iss, NID_basic_constraints, ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE");
    add_ext(x, iss, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    add_ext(x, iss, NID_subject_key_identifier, "hash");
    add_ext(x, iss, NID_authority_key_identifier, "keyid");
    if (!X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256())) die("X509_sign failed");
    return x;
}

/* A CRL of ca listing n_revoked serials from 0x5000 (none of them a DS's). */
static X509_CRL *make_crl(X509 *ca, EVP_PKEY *ca_key, int n_revoked) {
    X509_CRL *crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
    ASN1_TIME *t = ASN1_TIME_new();
    ASN1_TIME_set(t, (time_t)(T_CHECK - 86400 * 10));
    X509_CRL_set1_lastUpdate(crl, t);
    ASN1_TIME_set(t, (time_t)(T_CHECK + 86400 * 80));
    X509_CRL_set1_nextUpdate(crl, t);
    for (int i = 0; i < n_revoked; i++) {
        X509_REVOKED *rv = X509_REVOKED_new();
        ASN1_INTEGER *s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, 0x5000 + i);
        X509_REVOKED_set_serialNumber(rv, s);
        ASN1_TIME_set(t, (time_t)(T_CHECK - 86400 * 100));
        X509_REVOKED_set_revocationDate(rv, t);
        X509_CRL_add0_revoked(crl, rv);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(t);
    /* the authorityKeyIdentifier Doc 9303-12 asks of a CRL: without it OpenSSL may take the
     * CRL of an earlier CSCA under the same name, whose signature then fails, and bex reports
     * the DS checked with no CRL (crl_checked 0), even when the right CRL lists it */
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (!e || !X509_CRL_add_ext(crl, e, -1)) die("CRL extension failed");
    X509_EXTENSION_free(e);
    X509_CRL_sort(crl);
    if (!X509_CRL_sign(crl, ca_key, EVP_sha256())) die("X509_CRL_sign failed");
    /* as a verifier has it, decoded from DER: OpenSSL reads a CRL's extensions (the AKID it
     * picks a CRL by) only when decoding one */
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    const unsigned char *p = der;
    X509_CRL *loaded = n > 0 ? d2i_X509_CRL(NULL, &p, n) : NULL;
    if (!loaded) die("CRL encoding failed");
    OPENSSL_free(der);
    X509_CRL_free(crl);
    return loaded;
}

/* EF.SOD: CMS SignedData over the LDSSecurityObject (eContentType 2.23.136.1.1.1, SHA-256,
 * signed attributes, the DS certificate included; RSA-PSS when pss), in tag 0x77. */
static uint8_t *sign_sod(const uint8_t *lds, size_t len, X509 *ds, EVP_PKEY *key, int pss, size_t *out_len) {
    BIO *in = BIO_new_mem_buf(lds, (int)len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    CMS_SignerInfo *si =
        CMS_add1_signer(cms, ds, key, EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP | (pss ? CMS_KEY_PARAM : 0));
    if (!si) die("CMS_add1_signer failed");
    if (pss) {
        EVP_PKEY_CTX *pctx = CMS_SignerInfo_get0_pkey_ctx(si);
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
    }
    ASN1_OBJECT *o = OBJ_txt2obj("2.23.136.1.1.1", 1);
    CMS_set1_eContentType(cms, o);
    ASN1_OBJECT_free(o);
    if (CMS_final(cms, in, NULL, CMS_BINARY) != 1) die("CMS_final failed");
    unsigned char *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0) die("i2d_CMS_ContentInfo failed");
    bex_bytes b = {0};
    bex_tlv_put(&b, 0x77, der, (size_t)n);
    if (bex_bytes_done(&b) != BEX_OK) die("out of memory");
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    *out_len = b.len;
    return b.data;
}

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20;
    uint8_t *b = malloc(cap);
    *len = fread(b, 1, cap, f);
    fclose(f);
    return b;
}

/* ---- what is timed ---- */

typedef struct chip {
    const char *name;
    bex_bytes dg1, dg2;
    uint8_t *sod;
    size_t sod_len;
    X509 *csca;
    EVP_PKEY *csca_key;
} chip;

typedef struct stores {
    bex_trust_store *bex;
    X509_STORE *peer;
} stores;

static int run_bex(const chip *c, const stores *s) {
    bex_dg dgs[2] = {{1, c->dg1.data, c->dg1.len}, {2, c->dg2.data, c->dg2.len}};
    bex_pa_result r;
    char err[256];
    if (bex_pa_verify(s->bex, c->sod, c->sod_len, dgs, 2, T_CHECK, &r, err, sizeof err) != BEX_OK) die(err);
    return r.outcome == BEX_PA_AUTHENTIC ? r.crl_checked + 1 : 0;
}

/* The peer: what a verifier cannot skip. Parse the ContentInfo, CMS_verify (signature, signed
 * digest, the DS chained to the store at the check time), hash each group and find its hash in
 * the verified security object (a byte search stands in for parsing it: cheaper, not weaker
 * for these groups). */
static int run_peer(const chip *c, const stores *s) {
    if (c->sod_len < 4 || c->sod[1] != 0x82) return 0; /* 0x77 0x82 LL LL: these SODs are 256..65535 bytes */
    const unsigned char *p = c->sod + 4;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)c->sod_len - 4);
    if (!cms) return 0;
    BIO *out = BIO_new(BIO_s_mem());
    int ok = CMS_verify(cms, NULL, s->peer, NULL, out, CMS_BINARY) == 1;
    char *lds = NULL;
    long lds_len = BIO_get_mem_data(out, &lds);
    const bex_bytes *g[2] = {&c->dg1, &c->dg2};
    for (int i = 0; i < 2 && ok; i++) {
        unsigned char d[32];
        unsigned dl = 0;
        ok = EVP_Digest(g[i]->data, g[i]->len, d, &dl, EVP_sha256(), NULL) &&
             memmem(lds, (size_t)lds_len, d, dl) != NULL;
    }
    BIO_free(out);
    CMS_ContentInfo_free(cms);
    if (ok) ERR_clear_error();
    return ok;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct timing {
    double med, lo, hi; /* seconds per check */
} timing;

static timing summarise(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    timing r = {n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, t[0], t[n - 1]};
    return r;
}

/* ROUNDS rounds, bex and the peer interleaved, each a batch of reps checks. */
static void bench(const chip *c, const stores *s, int rounds, timing *tb, timing *tp) {
    double b[MAX_ROUNDS], q[MAX_ROUNDS];
    int reps = 1;
    /* a batch of about 20 ms */
    double t0 = now_s();
    while (now_s() - t0 < 0.02) {
        run_bex(c, s);
        reps++;
    }
    for (int r = 0; r < rounds; r++) {
        t0 = now_s();
        for (int i = 0; i < reps; i++) run_bex(c, s);
        b[r] = (now_s() - t0) / reps;
        t0 = now_s();
        for (int i = 0; i < reps; i++) run_peer(c, s);
        q[r] = (now_s() - t0) / reps;
    }
    *tb = summarise(b, rounds);
    *tp = summarise(q, rounds);
}

/* ---- stores ---- */

static void bex_add_x509(bex_trust_store *ts, X509 *x) {
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    char err[256];
    if (n <= 0 || bex_trust_add(ts, d, (size_t)n, "csca", 0, T_CHECK, err, sizeof err) != BEX_OK) die(err);
    OPENSSL_free(d);
}

static void bex_add_crl(bex_trust_store *ts, X509_CRL *crl) {
    unsigned char *d = NULL;
    int n = i2d_X509_CRL(crl, &d);
    char err[256];
    if (n <= 0 || bex_trust_add(ts, d, (size_t)n, "crl", 0, T_CHECK, err, sizeof err) != BEX_OK) die(err);
    OPENSSL_free(d);
}

/* The same CSCAs (and CRLs) in a bex store and in a bare X509_STORE set for the check time
 * (with CRL checking when there are CRLs). */
static stores make_stores(X509 **cas, X509_CRL **crls, int n) {
    stores s;
    char err[256];
    if (bex_trust_open(&s.bex, err, sizeof err) != BEX_OK) die(err);
    s.peer = X509_STORE_new();
    for (int i = 0; i < n; i++) {
        bex_add_x509(s.bex, cas[i]);
        X509_STORE_add_cert(s.peer, cas[i]);
        if (crls) {
            bex_add_crl(s.bex, crls[i]);
            X509_STORE_add_crl(s.peer, crls[i]);
        }
    }
    X509_VERIFY_PARAM *vp = X509_STORE_get0_param(s.peer);
    X509_VERIFY_PARAM_set_time(vp, (time_t)T_CHECK);
    X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_ANY);
    if (crls) X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CRL_CHECK);
    return s;
}

static void free_stores(stores *s) {
    bex_trust_close(s->bex);
    X509_STORE_free(s->peer);
}

/* ---- one face capture, for scale ---- */

static double capture_time(int rounds) {
    bex_engine *eng = NULL;
    char err[256];
    if (bex_engine_open("models", NULL, &eng, err, sizeof err) != BEX_OK) {
        printf("\nface capture: skipped (models/ not usable: %s)\n", err);
        return 0;
    }
    size_t len = 0;
    uint8_t *jpeg = read_all(photo_path, &len);
    bex_capture_result *r = malloc(sizeof *r);
    double t[MAX_ROUNDS];
    int acquired = 1;
    for (int i = 0; i < rounds + 1; i++) { /* the first one warms up, untimed */
        double t0 = now_s();
        if (bex_capture_photo(eng, jpeg, len, NULL, NULL, r, err, sizeof err) != BEX_OK) die(err);
        if (i) t[i - 1] = now_s() - t0;
        acquired &= r->acquired;
    }
    timing c = summarise(t, rounds);
    printf("\nface capture (bex_capture_photo, one LFW fixture, one thread, %s): %.2f ms (%.2f-%.2f)\n",
           acquired ? "acquired" : "NOT acquired", c.med * 1e3, c.lo * 1e3, c.hi * 1e3);
    free(r);
    free(jpeg);
    bex_engine_close(eng);
    return c.med;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 3 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: bench_pa [ROUNDS: 3..%d]\n", MAX_ROUNDS);
        return 2;
    }
    double t_start = now_s();
    char err[256];

    /* the data groups */
    char mrz[96];
    if (bex_mrz_make_td3("P", "UTO", "TESTER", "PAT", "UT1234567", "UTO", "1980-02-03", 'F', "2031-04-05", mrz, err,
                         sizeof err) != BEX_OK)
        die(err);
    bex_bytes dg1 = {0}, dg2 = {0};
    if (bex_lds_build_dg1(mrz, &dg1, err, sizeof err) != BEX_OK) die(err);
    size_t jl = 0;
    uint8_t *jpeg = read_all(photo_path, &jl);
    if (!jpeg) die("tests/data/lfw fixture missing (run from the repository root)");
    bex_lds_face_in face = {jpeg, jl, 0, 250, 250, 1};
    if (bex_lds_build_dg2(&face, 1, &dg2, err, sizeof err) != BEX_OK) die(err);
    free(jpeg);
    bex_dg dgs[2] = {{1, dg1.data, dg1.len}, {2, dg2.data, dg2.len}};
    uint8_t *lds = NULL;
    size_t lds_len = 0;
    if (bex_pa_build_lds_security_object("SHA-256", dgs, 2, &lds, &lds_len, err, sizeof err) != BEX_OK) die(err);

    /* three signers, each under its own CSCA */
    EVP_PKEY *ec_ca = EVP_EC_gen("P-256"), *ec_ds = EVP_EC_gen("P-256");
    EVP_PKEY *rsa_ca = EVP_RSA_gen(2048), *rsa_ds = EVP_RSA_gen(2048);
    if (!ec_ca || !ec_ds || !rsa_ca || !rsa_ds) die("key generation failed");
    chip chips[3] = {{"ECDSA P-256", dg1, dg2, NULL, 0, NULL, ec_ca},
                     {"RSA-2048", dg1, dg2, NULL, 0, NULL, rsa_ca},
                     {"RSA-2048 PSS", dg1, dg2, NULL, 0, NULL, rsa_ca}};
    chips[0].csca = make_cert(ec_ca, "UT", "Utopia CSCA (test)", NULL, NULL, 1, 1);
    chips[1].csca = chips[2].csca = make_cert(rsa_ca, "UR", "Utopia RSA CSCA (test)", NULL, NULL, 7, 1);
    X509 *ds_ec = make_cert(ec_ds, "UT", "Utopia DS 1 (test)", chips[0].csca, ec_ca, 0x1001, 0);
    X509 *ds_rsa = make_cert(rsa_ds, "UR", "Utopia RSA DS (test)", chips[1].csca, rsa_ca, 0x7001, 0);
    chips[0].sod = sign_sod(lds, lds_len, ds_ec, ec_ds, 0, &chips[0].sod_len);
    chips[1].sod = sign_sod(lds, lds_len, ds_rsa, rsa_ds, 0, &chips[1].sod_len);
    chips[2].sod = sign_sod(lds, lds_len, ds_rsa, rsa_ds, 1, &chips[2].sod_len);

    /* the master-list-sized store: the two right CSCAs, two earlier EC CSCAs under the right
     * one's name (rollovers), and 246 other states' */
    X509 *cas[N_STORE];
    EVP_PKEY *keys[N_STORE];
    X509_CRL *crls[N_STORE];
    cas[0] = chips[0].csca, keys[0] = ec_ca;
    cas[1] = chips[1].csca, keys[1] = rsa_ca;
    for (int i = 2; i < N_STORE; i++) {
        keys[i] = EVP_EC_gen("P-256");
        if (!keys[i]) die("key generation failed");
        char c[3] = {(char)('A' + (i / 26) % 26), (char)('A' + i % 26), 0}, cn[64];
        if (i < 4) snprintf(c, sizeof c, "UT");
        snprintf(cn, sizeof cn, i < 4 ? "Utopia CSCA (test)" : "CSCA %d (test)", i);
        cas[i] = make_cert(keys[i], c, cn, NULL, NULL, 100 + i, 1);
    }
    for (int i = 0; i < N_STORE; i++) crls[i] = make_crl(cas[i], keys[i], i < 2 ? 50 : 0);
    /* OpenSSL's store finds a CSCA by subject name, so the order is of little account; the
     * earlier same-name CSCAs go in first */
    X509 *order[N_STORE];
    X509_CRL *corder[N_STORE];
    for (int i = 0; i < N_STORE; i++) {
        int j = (i + 2) % N_STORE; /* 2, 3, ... 249, 0, 1 */
        order[i] = cas[j];
        corder[i] = crls[j];
    }
    double t_setup = now_s() - t_start;

    printf("bench_pa: passive authentication of one chip (EF.SOD %zu-%zu bytes, DG1 %zu, DG2 %zu bytes), "
           "%d rounds, setup %.1f s\n",
           chips[0].sod_len, chips[2].sod_len, dg1.len, dg2.len, rounds, t_setup);
    printf("peer: d2i + CMS_verify against an X509_STORE + SHA-256 of DG1 and DG2 (bare OpenSSL %s)\n\n",
           OpenSSL_version(OPENSSL_VERSION));
    printf("%-14s %6s %4s  %-24s %-24s %9s\n", "signer", "CSCAs", "CRL", "bex ms/chip (spread)",
           "peer ms/chip (spread)", "bex/peer");
    double ec_med = 0;
    for (int ci = 0; ci < 3; ci++)
        for (int big = 0; big <= 1; big++)
            for (int crl = 0; crl <= 1; crl++) {
                chip *c = &chips[ci];
                X509_CRL *one_crl[1] = {crls[ci ? 1 : 0]};
                stores s = big ? make_stores(order, crl ? corder : NULL, N_STORE)
                               : make_stores(&c->csca, crl ? one_crl : NULL, 1);
                int want = crl ? 2 : 1;
                if (run_bex(c, &s) != want) die("bex_pa_verify did not find the chip authentic (with the CRL as loaded)");
                if (!run_peer(c, &s)) {
                    ERR_print_errors_fp(stderr);
                    die("the peer did not verify the chip");
                }
                timing tb, tp;
                bench(c, &s, rounds, &tb, &tp);
                char b[64], p[64];
                snprintf(b, sizeof b, "%.3f (%.3f-%.3f)", tb.med * 1e3, tb.lo * 1e3, tb.hi * 1e3);
                snprintf(p, sizeof p, "%.3f (%.3f-%.3f)", tp.med * 1e3, tp.lo * 1e3, tp.hi * 1e3);
                printf("%-14s %6d %4s  %-24s %-24s %9.2f\n", c->name, big ? N_STORE : 1, crl ? "yes" : "no", b, p,
                       tb.med / tp.med);
                if (ci == 0 && big && crl) ec_med = tb.med;
                free_stores(&s);
            }

    double cap = capture_time(rounds);
    if (cap > 0)
        printf("chip check (ECDSA P-256, 250 CSCAs, CRLs) / face capture: %.3f (%.2f ms / %.2f ms)\n", ec_med / cap,
               ec_med * 1e3, cap * 1e3);
    printf("\ntotal %.1f s\n", now_s() - t_start);

    for (int i = 0; i < N_STORE; i++) {
        X509_CRL_free(crls[i]);
        X509_free(cas[i]);
        EVP_PKEY_free(keys[i]);
    }
    X509_free(ds_ec);
    X509_free(ds_rsa);
    EVP_PKEY_free(ec_ds);
    EVP_PKEY_free(rsa_ds);
    for (int i = 0; i < 3; i++) free(chips[i].sod);
    bex_pa_free(lds);
    bex_bytes_free(&dg1);
    bex_bytes_free(&dg2);
    return 0;
}
