/*
 * pa.c - passive authentication (passive_auth.h): EF.SOD's CMS SignedData and the
 * LDSSecurityObject inside it, the Document Signer chained to a CSCA of the trust store at the
 * caller's check time with CRLs, every data group's hash; the trust store and ICAO master lists;
 * DG1's MRZ against the printed one. Every signature, hash, certificate and CRL check is
 * OpenSSL libcrypto's (CMS, X509_STORE, EVP); this file only parses what OpenSSL hands back,
 * maps its verdicts to outcomes and bounds the input. ICAO Doc 9303 Part 10 (LDS), 11
 * (security mechanisms) and 12 (PKI) are the references.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "bex/passive_auth.h"
#include "util/util.h"

/* id-icao-mrtd-security-ldsSecurityObject and id-icao-cscaMasterList (Doc 9303-10, -12) */
#define OID_LDS_SECURITY_OBJECT "2.23.136.1.1.1"
#define OID_CSCA_MASTER_LIST "2.23.136.1.1.2"
/* a master list of every state's CSCAs holds a few hundred; far more is no master list */
#define MAX_MASTER_LIST_CERTS 10000
#define MAX_DIR_FILES 10000

static const char *const outcome_names[] = {
    "authentic", "data_group_altered", "signature_invalid", "unknown_signer",
    "expired_signer", "revoked", "malformed", "mrz_mismatch",
};

const char *bex_pa_outcome_name(bex_pa_outcome o) {
    if ((unsigned)o >= sizeof outcome_names / sizeof *outcome_names) return "unknown";
    return outcome_names[o];
}

/* ---- ASN.1 of the LDS security object and the master list (OpenSSL's template decoder) ---- */

/* DataGroupHash ::= SEQUENCE { dataGroupNumber INTEGER, dataGroupHashValue OCTET STRING } */
typedef struct pa_dghash_st {
    ASN1_INTEGER *number;
    ASN1_OCTET_STRING *hash;
} PA_DGHASH;
DEFINE_STACK_OF(PA_DGHASH)
ASN1_SEQUENCE(PA_DGHASH) = {
    ASN1_SIMPLE(PA_DGHASH, number, ASN1_INTEGER),
    ASN1_SIMPLE(PA_DGHASH, hash, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(PA_DGHASH)

/* LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString } */
typedef struct pa_ldsver_st {
    ASN1_PRINTABLESTRING *lds_version;
    ASN1_PRINTABLESTRING *unicode_version;
} PA_LDSVER;
ASN1_SEQUENCE(PA_LDSVER) = {
    ASN1_SIMPLE(PA_LDSVER, lds_version, ASN1_PRINTABLESTRING),
    ASN1_SIMPLE(PA_LDSVER, unicode_version, ASN1_PRINTABLESTRING),
} static_ASN1_SEQUENCE_END(PA_LDSVER)

/* LDSSecurityObject ::= SEQUENCE { version INTEGER (v0, v1), hashAlgorithm
 * AlgorithmIdentifier, dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash,
 * ldsVersionInfo LDSVersionInfo OPTIONAL (v1) } */
typedef struct pa_ldsso_st {
    ASN1_INTEGER *version;
    X509_ALGOR *hash_alg;
    STACK_OF(PA_DGHASH) *hashes;
    PA_LDSVER *version_info;
} PA_LDSSO;
ASN1_SEQUENCE(PA_LDSSO) = {
    ASN1_SIMPLE(PA_LDSSO, version, ASN1_INTEGER),
    ASN1_SIMPLE(PA_LDSSO, hash_alg, X509_ALGOR),
    ASN1_SEQUENCE_OF(PA_LDSSO, hashes, PA_DGHASH),
    ASN1_OPT(PA_LDSSO, version_info, PA_LDSVER),
} static_ASN1_SEQUENCE_END(PA_LDSSO)

/* CscaMasterList ::= SEQUENCE { version INTEGER (v0), certList SET OF Certificate } */
typedef struct pa_mlist_st {
    ASN1_INTEGER *version;
    STACK_OF(X509) *certs;
} PA_MLIST;
ASN1_SEQUENCE(PA_MLIST) = {
    ASN1_SIMPLE(PA_MLIST, version, ASN1_INTEGER),
    ASN1_SET_OF(PA_MLIST, certs, X509),
} static_ASN1_SEQUENCE_END(PA_MLIST)

/* DER decoding of a whole buffer: NULL when it does not parse or leaves bytes over. */
static void *d2i_whole(const ASN1_ITEM *it, const uint8_t *p, size_t len) {
    if (len > (size_t)INT32_MAX) return NULL;
    const unsigned char *q = p;
    ASN1_VALUE *v = ASN1_item_d2i(NULL, &q, (long)len, it);
    if (v && q != p + len) {
        ASN1_item_free(v, it);
        v = NULL;
    }
    return v;
}

static X509 *d2i_x509_whole(const uint8_t *p, size_t len) {
    return d2i_whole(ASN1_ITEM_rptr(X509), p, len);
}
static X509_CRL *d2i_crl_whole(const uint8_t *p, size_t len) {
    return d2i_whole(ASN1_ITEM_rptr(X509_CRL), p, len);
}
static CMS_ContentInfo *d2i_cms_whole(const uint8_t *p, size_t len) {
    return d2i_whole(ASN1_ITEM_rptr(CMS_ContentInfo), p, len);
}

/* The digests the SOD may name (Doc 9303-12: SHA-1 for old documents, SHA-2 family). */
static const struct {
    const char *name;
    int nid;
} hashes[] = {
    {"SHA-1", NID_sha1}, {"SHA-224", NID_sha224}, {"SHA-256", NID_sha256},
    {"SHA-384", NID_sha384}, {"SHA-512", NID_sha512},
};

static const char *hash_name(int nid) {
    for (size_t i = 0; i < sizeof hashes / sizeof *hashes; i++)
        if (hashes[i].nid == nid) return hashes[i].name;
    return NULL;
}

/* ---- BER-TLV, just enough for the 0x77 and 0x61 wrappers ---- */

/* One TLV at p: a tag of 1 to 3 bytes, a definite length (short form or 0x81..0x83). */
static int tlv(const uint8_t *p, size_t n, unsigned *tag, size_t *hdr, size_t *len) {
    size_t i = 0;
    if (n < 2) return 0;
    unsigned t = p[i++];
    if ((t & 0x1f) == 0x1f) {
        do {
            if (i >= n || i >= 3) return 0;
            t = (t << 8) | p[i];
        } while (p[i++] & 0x80);
    }
    if (i >= n) return 0;
    size_t l = p[i++];
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k < 1 || k > 3 || n - i < k) return 0;
        l = 0;
        while (k--) l = (l << 8) | p[i++];
    }
    if (l > n - i) return 0;
    *tag = t;
    *hdr = i;
    *len = l;
    return 1;
}

/* ---- the trust store ---- */

struct bex_trust_store {
    X509_STORE *store; /* CSCAs (every one a trust anchor) and CRLs */
};

int bex_trust_open(bex_trust_store **out, char *err, size_t errlen) {
    if (!out) return bex__fail(err, errlen, BEX_ERR_ARG, "no place for the trust store");
    bex_trust_store *ts = bex__calloc(1, sizeof *ts);
    if (!ts) return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    ts->store = X509_STORE_new();
    if (!ts->store) {
        bex__free(ts);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory (OpenSSL)");
    }
    *out = ts;
    return BEX_OK;
}

void bex_trust_close(bex_trust_store *ts) {
    if (!ts) return;
    X509_STORE_free(ts->store);
    bex__free(ts);
}

/* what the store holds, a certificate or CRL loaded twice counted once (OpenSSL keeps one) */
void bex_trust_count(const bex_trust_store *ts, size_t *n_csca, size_t *n_crl) {
    size_t c = 0, r = 0;
    if (ts) {
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(ts->store);
        for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
            X509_LOOKUP_TYPE t = X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i));
            c += t == X509_LU_X509;
            r += t == X509_LU_CRL;
        }
    }
    if (n_csca) *n_csca = c;
    if (n_crl) *n_crl = r;
}

/* What a chain check found: OpenSSL's verdict with the errors the callback let pass. */
typedef struct chain_state {
    int expired, expired_depth; /* a certificate outside its validity at the check time */
    int no_crl;                 /* no (usable) CRL of the DS's issuer in the store */
} chain_state;

static int chain_cb(int ok, X509_STORE_CTX *ctx) {
    if (ok) return 1;
    chain_state *st = X509_STORE_CTX_get_app_data(ctx);
    switch (X509_STORE_CTX_get_error(ctx)) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        /* go on: a revoked or unchained signer is the graver finding */
        if (!st->expired) st->expired_depth = X509_STORE_CTX_get_error_depth(ctx);
        st->expired = 1;
        return 1;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
        /* a state whose CRL the operator has not loaded (or a CRL that is not its CSCA's):
         * the DS is checked without one, and the result says so */
        st->no_crl = 1;
        return 1;
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        /* a CRL past its nextUpdate is still the best word on revocation the store has:
         * its entries count */
        return 1;
    default:
        return 0;
    }
}

/* OpenSSL looks a CRL up by its issuer's name: where several CSCAs share one name (a key
 * rollover) and a CRL carries no authorityKeyIdentifier, it may try another CSCA's CRL, fail its
 * signature and go on without one (chain_cb's no_crl). So when the chain holds but no CRL was
 * used, every CRL of the store under the CSCA's name is tried with that CSCA's key: one that
 * verifies is its CRL (st->no_crl cleared), and the signer on it is revoked. OpenSSL does the
 * signature check and the look-up (X509_CRL_verify, X509_CRL_get0_by_cert). */
static int revoked_by_own_crl(const bex_trust_store *ts, X509_STORE_CTX *ctx, X509 *cert, chain_state *st) {
    STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
    if (sk_X509_num(ch) < 2) return 0;
    X509 *csca = sk_X509_value(ch, 1);
    EVP_PKEY *key = X509_get0_pubkey(csca);
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(ts->store);
    int revoked = 0;
    for (int i = 0; key && i < sk_X509_OBJECT_num(objs) && !revoked; i++) {
        X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));
        if (!crl || X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(csca)) != 0) continue;
        if (X509_CRL_verify(crl, key) != 1) continue;
        st->no_crl = 0;
        X509_REVOKED *rev = NULL;
        revoked = X509_CRL_get0_by_cert(crl, &rev, cert) == 1;
    }
    return revoked;
}

/* Chains cert to a CSCA of the store at check_time, with the CRLs the store holds for its
 * issuer. BEX_PA_AUTHENTIC or the outcome; why gets a sentence. */
static bex_pa_outcome chain(const bex_trust_store *ts, X509 *cert, int64_t check_time, int *crl_checked,
                            char *why, size_t whylen) {
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    chain_state st = {0, 0, 0};
    bex_pa_outcome o = BEX_PA_UNKNOWN_SIGNER;
    if (!ctx || !X509_STORE_CTX_init(ctx, ts->store, cert, NULL)) {
        snprintf(why, whylen, "the certificate check could not start (out of memory)");
        X509_STORE_CTX_free(ctx);
        return o;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)check_time);
    /* every CSCA the operator loaded is a trust anchor, link certificates included */
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_CRL_CHECK);
    X509_STORE_CTX_set_app_data(ctx, &st);
    X509_STORE_CTX_set_verify_cb(ctx, chain_cb);
    int ok = X509_verify_cert(ctx);
    int e = X509_STORE_CTX_get_error(ctx);
    if (ok != 1) {
        if (e == X509_V_ERR_CERT_REVOKED) {
            o = BEX_PA_REVOKED;
            snprintf(why, whylen, "the signer certificate is on its CSCA's revocation list");
        } else {
            o = BEX_PA_UNKNOWN_SIGNER;
            snprintf(why, whylen, "no CSCA in the trust store issued the signer certificate (%s)",
                     X509_verify_cert_error_string(e));
        }
    } else if (st.no_crl && revoked_by_own_crl(ts, ctx, cert, &st)) {
        o = BEX_PA_REVOKED;
        snprintf(why, whylen, "the signer certificate is on its CSCA's revocation list");
    } else if (st.expired) {
        o = BEX_PA_EXPIRED_SIGNER;
        snprintf(why, whylen, "the %s certificate is outside its validity period at the check time",
                 st.expired_depth == 0 ? "signer" : "CSCA");
    } else {
        o = BEX_PA_AUTHENTIC;
    }
    if (crl_checked) *crl_checked = ok == 1 && !st.no_crl;
    X509_STORE_CTX_free(ctx);
    return o;
}

/* The SignedData's one SignerInfo and the certificate it names, found among the SignedData's
 * certificates. 0 with why when either is missing; *signer is the caller's to X509_free. */
static int find_signer(CMS_ContentInfo *cms, CMS_SignerInfo **si, X509 **signer, char *why, size_t whylen) {
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    if (sk_CMS_SignerInfo_num(sis) != 1) {
        snprintf(why, whylen, "the SignedData has %d signer infos, not one", sk_CMS_SignerInfo_num(sis));
        return 0;
    }
    *si = sk_CMS_SignerInfo_value(sis, 0);
    *signer = NULL;
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (CMS_SignerInfo_cert_cmp(*si, x) == 0) {
            X509_up_ref(x);
            *signer = x;
            break;
        }
    }
    sk_X509_pop_free(certs, X509_free);
    if (!*signer) {
        snprintf(why, whylen, "the SignedData does not carry its signer's certificate");
        return 0;
    }
    return 1;
}

/* The signature over the signed attributes with the signer's key, the messageDigest attribute
 * against the content's digest (OpenSSL's EVP), the contentType attribute against the
 * eContentType. 1 when all hold, else 0 with why. */
static int verify_signed_content(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 *signer,
                                 const ASN1_OCTET_STRING *content, char *why, size_t whylen) {
    if (CMS_signed_get_attr_count(si) <= 0) {
        snprintf(why, whylen, "the signature has no signed attributes");
        return 0;
    }
    CMS_SignerInfo_set1_signer_cert(si, signer);
    if (CMS_SignerInfo_verify(si) != 1) {
        snprintf(why, whylen, "the signature does not verify with the signer certificate");
        return 0;
    }
    const ASN1_OBJECT *ctype = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
    if (!ctype || OBJ_cmp(ctype, CMS_get0_eContentType(cms)) != 0) {
        snprintf(why, whylen, "the signed contentType attribute is missing or names another content");
        return 0;
    }
    const ASN1_OCTET_STRING *md_attr =
        CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
    X509_ALGOR *dig = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    const EVP_MD *md = dig ? EVP_get_digestbyobj(dig->algorithm) : NULL;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (!md_attr) {
        snprintf(why, whylen, "the signed messageDigest attribute is missing");
        return 0;
    }
    if (!md || !EVP_Digest(content->data, (size_t)content->length, d, &dlen, md, NULL)) {
        snprintf(why, whylen, "the signature's digest algorithm is not supported");
        return 0;
    }
    if ((unsigned)md_attr->length != dlen || memcmp(md_attr->data, d, dlen) != 0) {
        snprintf(why, whylen, "the signed digest does not match the security object");
        return 0;
    }
    return 1;
}

/* A SignedData whose eContentType is oid, with its content embedded. */
static int signed_content(CMS_ContentInfo *cms, const char *oid, const ASN1_OCTET_STRING **content,
                          char *why, size_t whylen) {
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        snprintf(why, whylen, "the CMS content is not SignedData");
        return 0;
    }
    ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
    int same = want && OBJ_cmp(CMS_get0_eContentType(cms), want) == 0;
    ASN1_OBJECT_free(want);
    if (!same) {
        snprintf(why, whylen, "the SignedData's content type is not %s", oid);
        return 0;
    }
    ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
    if (!pos || !*pos || (*pos)->length <= 0) {
        snprintf(why, whylen, "the SignedData holds no content");
        return 0;
    }
    *content = *pos;
    return 1;
}

static int is_ca(X509 *x) {
    return X509_check_ca(x) >= 1;
}

/* A master list: its signature, its signer's chain (unless trusted), then its certificates
 * into the store. */
static int add_master_list(bex_trust_store *ts, CMS_ContentInfo *cms, const char *what, unsigned flags,
                           int64_t check_time, char *err, size_t errlen) {
    char why[200];
    const ASN1_OCTET_STRING *content;
    CMS_SignerInfo *si;
    X509 *signer = NULL;
    if (!signed_content(cms, OID_CSCA_MASTER_LIST, &content, why, sizeof why) ||
        !find_signer(cms, &si, &signer, why, sizeof why))
        return bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: not a master list: %s", what, why);
    int rc = BEX_OK;
    PA_MLIST *ml = NULL;
    if (!verify_signed_content(cms, si, signer, content, why, sizeof why)) {
        rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: master list signature: %s", what, why);
        goto out;
    }
    if (!(flags & BEX_TRUST_ML_TRUSTED)) {
        int crl;
        bex_pa_outcome o = chain(ts, signer, check_time, &crl, why, sizeof why);
        if (o != BEX_PA_AUTHENTIC) {
            rc = bex__fail(err, errlen, BEX_ERR_CORRUPT, "%s: master list signer: %s (%s)", what, why,
                           bex_pa_outcome_name(o));
            goto out;
        }
    }
    ml = d2i_whole(ASN1_ITEM_rptr(PA_MLIST), content->data, (size_t)content->length);
    if (!ml) {
        rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: the master list's content is not a CscaMasterList", what);
        goto out;
    }
    int n = sk_X509_num(ml->certs);
    if (n > MAX_MASTER_LIST_CERTS) {
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: the master list holds %d certificates, more than %d",
                       what, n, MAX_MASTER_LIST_CERTS);
        goto out;
    }
    /* only CA certificates become trust anchors: a list's entry that is none (a signer's
     * certificate slipped in) would otherwise vouch for itself under partial chains */
    for (int i = 0; i < n; i++)
        if (is_ca(sk_X509_value(ml->certs, i)) && !X509_STORE_add_cert(ts->store, sk_X509_value(ml->certs, i))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory adding certificates", what);
            goto out;
        }
out:
    ASN1_item_free((ASN1_VALUE *)ml, ASN1_ITEM_rptr(PA_MLIST));
    X509_free(signer);
    return rc;
}

/* One DER object: a CSCA certificate, a CRL or a master list. */
static int add_der(bex_trust_store *ts, const uint8_t *p, size_t len, const char *what, unsigned flags,
                   int64_t check_time, char *err, size_t errlen) {
    X509 *x = d2i_x509_whole(p, len);
    if (x) {
        int rc = BEX_OK;
        if (!is_ca(x)) rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: the certificate is not a CA's (no CSCA)", what);
        else if (!X509_STORE_add_cert(ts->store, x)) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", what);
        X509_free(x);
        return rc;
    }
    X509_CRL *crl = d2i_crl_whole(p, len);
    if (crl) {
        int rc = BEX_OK;
        if (!X509_STORE_add_crl(ts->store, crl)) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", what);
        X509_CRL_free(crl);
        return rc;
    }
    CMS_ContentInfo *cms = d2i_cms_whole(p, len);
    if (cms) {
        int rc = add_master_list(ts, cms, what, flags, check_time, err, errlen);
        CMS_ContentInfo_free(cms);
        return rc;
    }
    return bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: neither a certificate, a CRL nor a master list", what);
}

int bex_trust_add(bex_trust_store *ts, const uint8_t *data, size_t len, const char *what, unsigned flags,
                  int64_t check_time, char *err, size_t errlen) {
    if (!ts || (!data && len)) return bex__fail(err, errlen, BEX_ERR_ARG, "no trust store or no data");
    if (!what) what = "trust file";
    if (len > BEX_PA_MAX_TRUST_FILE_BYTES)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: larger than %zu bytes", what, BEX_PA_MAX_TRUST_FILE_BYTES);
    if (len > (size_t)INT32_MAX) return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: too large", what);
    int rc = BEX_OK;
    if (!memmem(data, len, "-----BEGIN ", 11)) {
        rc = add_der(ts, data, len, what, flags, check_time, err, errlen);
        ERR_clear_error();
        return rc;
    }
    /* PEM: every block is decoded before any is added, so that a bad file adds nothing */
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    bex_trust_store tmp = {X509_STORE_new()};
    int blocks = 0;
    if (!bio || !tmp.store) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory (OpenSSL)");
        goto out;
    }
    /* the blocks go into a scratch store first; master lists are verified against the real one */
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long dlen = 0;
        if (!PEM_read_bio(bio, &name, &header, &der, &dlen)) break;
        blocks++;
        if (!strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CRL")) {
            rc = add_der(&tmp, der, (size_t)dlen, what, flags, check_time, err, errlen);
        } else if (!strcmp(name, "CMS") || !strcmp(name, "PKCS7")) {
            rc = add_der(ts, der, (size_t)dlen, what, flags, check_time, err, errlen);
        } else {
            rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: a PEM block of type '%.40s' is no CSCA, CRL or master list",
                           what, name);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        if (rc != BEX_OK || blocks > MAX_MASTER_LIST_CERTS) break;
    }
    if (rc == BEX_OK && blocks == 0) rc = bex__fail(err, errlen, BEX_ERR_FORMAT, "%s: no PEM block could be read", what);
    if (rc == BEX_OK && blocks > MAX_MASTER_LIST_CERTS)
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: more than %d PEM blocks", what, MAX_MASTER_LIST_CERTS);
    if (rc == BEX_OK) {
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(tmp.store);
        for (int i = 0; i < sk_X509_OBJECT_num(objs) && rc == BEX_OK; i++) {
            X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
            int ok = X509_OBJECT_get_type(o) == X509_LU_X509 ? X509_STORE_add_cert(ts->store, X509_OBJECT_get0_X509(o))
                                                             : X509_STORE_add_crl(ts->store, X509_OBJECT_get0_X509_CRL(o));
            if (!ok) rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", what);
        }
    }
out:
    BIO_free(bio);
    X509_STORE_free(tmp.store);
    ERR_clear_error();
    return rc;
}

const char *bex_trust_file_kind_name(bex_trust_file_kind k) {
    switch (k) {
    case BEX_TRUST_FILE_CSCA: return "csca";
    case BEX_TRUST_FILE_CRL: return "crl";
    case BEX_TRUST_FILE_MASTER_LIST: return "master_list";
    }
    return "unknown";
}

/* seconds since the epoch of an ASN.1 time; 0 if it cannot be read */
static int64_t asn1_epoch(const ASN1_TIME *t) {
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    int64_t y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    /* days from civil (proleptic Gregorian), 1970-01-01 = 0 */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/* the C= of a name into c (2 or 3 letters), "" if none */
static void name_country(const X509_NAME *n, char c[4]) {
    c[0] = 0;
    int i = n ? X509_NAME_get_index_by_NID(n, NID_countryName, -1) : -1;
    if (i < 0) return;
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
    int l = v ? ASN1_STRING_length(v) : 0;
    if (l < 2 || l > 3) return;
    memcpy(c, ASN1_STRING_get0_data(v), (size_t)l);
    c[l] = 0;
}

int bex_trust_describe(const uint8_t *data, size_t len, const char *what, bex_trust_file_summary *s, char *err,
                       size_t errlen) {
    if (!s || (!data && len)) return bex__fail(err, errlen, BEX_ERR_ARG, "no trust file or no place for its summary");
    memset(s, 0, sizeof *s);
    bex_trust_store *ts;
    int rc = bex_trust_open(&ts, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = bex_trust_add(ts, data, len, what, BEX_TRUST_ML_TRUSTED, 0, err, errlen);
    if (rc != BEX_OK) {
        bex_trust_close(ts);
        return rc;
    }
    int pem = memmem(data, len, "-----BEGIN ", 11) != NULL, ml;
    if (pem) {
        ml = memmem(data, len, "-----BEGIN CMS-----", 19) || memmem(data, len, "-----BEGIN PKCS7-----", 21);
    } else {
        X509 *x = d2i_x509_whole(data, len);
        X509_CRL *c = x ? NULL : d2i_crl_whole(data, len);
        ml = !x && !c;
        X509_free(x);
        X509_CRL_free(c);
    }
    int64_t cert_max = 0, crl_max = 0;
    int mixed = 0;
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(ts->store);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
        char c[4];
        if (X509_OBJECT_get_type(o) == X509_LU_X509) {
            X509 *x = X509_OBJECT_get0_X509(o);
            s->n_csca++;
            int64_t t = asn1_epoch(X509_get0_notAfter(x));
            if (t > cert_max) cert_max = t;
            name_country(X509_get_subject_name(x), c);
        } else {
            X509_CRL *x = X509_OBJECT_get0_X509_CRL(o);
            s->n_crl++;
            int64_t t = asn1_epoch(X509_CRL_get0_nextUpdate(x));
            if (t > crl_max) crl_max = t;
            name_country(X509_CRL_get_issuer(x), c);
        }
        if (i == 0) memcpy(s->country, c, sizeof c);
        else if (strcmp(s->country, c)) mixed = 1;
    }
    if (mixed) s->country[0] = 0;
    s->kind = ml ? BEX_TRUST_FILE_MASTER_LIST : s->n_csca ? BEX_TRUST_FILE_CSCA : BEX_TRUST_FILE_CRL;
    s->not_after = s->n_csca ? cert_max : crl_max;
    bex_trust_close(ts);
    ERR_clear_error();
    return BEX_OK;
}

static int trust_ext(const char *name) {
    static const char *const exts[] = {".pem", ".crt", ".cer", ".der", ".crl", ".ml"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && !strcasecmp(name + n - k, exts[i])) return 1;
    }
    return 0;
}

static int load_file(bex_trust_store *ts, const char *path, unsigned flags, int64_t check_time, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return bex__fail(err, errlen, BEX_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t cap = BEX_PA_MAX_TRUST_FILE_BYTES + 1;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size < cap) cap = (size_t)sb.st_size + 1;
    uint8_t *buf = bex__malloc(cap);
    if (!buf) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t n = fread(buf, 1, cap, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) rc = bex__fail(err, errlen, BEX_ERR_IO, "cannot read %s", path);
    else if (n > BEX_PA_MAX_TRUST_FILE_BYTES)
        rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s is larger than %zu bytes", path, BEX_PA_MAX_TRUST_FILE_BYTES);
    else rc = bex_trust_add(ts, buf, n, path, flags, check_time, err, errlen);
    bex__free(buf);
    return rc;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bex_trust_load_path(bex_trust_store *ts, const char *path, unsigned flags, int64_t check_time, char *err,
                        size_t errlen) {
    if (!ts || !path) return bex__fail(err, errlen, BEX_ERR_ARG, "no trust store or no path");
    struct stat sb;
    if (stat(path, &sb) != 0) return bex__fail(err, errlen, BEX_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return load_file(ts, path, flags, check_time, err, errlen);
    DIR *d = opendir(path);
    if (!d) return bex__fail(err, errlen, BEX_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = BEX_OK;
    struct dirent *e;
    while (rc == BEX_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !trust_ext(e->d_name)) continue;
        if (n == MAX_DIR_FILES) {
            rc = bex__fail(err, errlen, BEX_ERR_LIMIT, "%s holds more than %d trust files", path, MAX_DIR_FILES);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = bex__realloc(names, nc * sizeof *names);
            if (!nn) {
                rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
                break;
            }
            names = nn;
            cap = nc;
        }
        size_t k = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[n] = bex__malloc(k))) {
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(names[n++], k, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == BEX_OK; i++) {
        if (stat(names[i], &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        rc = load_file(ts, names[i], flags, check_time, err, errlen);
    }
    for (size_t i = 0; i < n; i++) bex__free(names[i]);
    bex__free(names);
    return rc;
}

/* ---- verification ---- */

static void set_outcome(bex_pa_result *r, bex_pa_outcome o, const char *fmt, const char *why) {
    r->outcome = o;
    snprintf(r->message, sizeof r->message, fmt, why);
}

/* C= of a name into out[4], "" if none. */
static void country(const X509_NAME *name, char out[4]) {
    out[0] = 0;
    char buf[16];
    int n = X509_NAME_get_text_by_NID((X509_NAME *)name, NID_countryName, buf, sizeof buf);
    if (n > 0 && n < 4) memcpy(out, buf, (size_t)n + 1);
}

static void signer_facts(X509 *ds, bex_pa_result *r) {
    country(X509_get_subject_name(ds), r->signer_country);
    country(X509_get_issuer_name(ds), r->issuer_country);
    const ASN1_INTEGER *sn = X509_get0_serialNumber(ds);
    BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    if (hex && strlen(hex) < sizeof r->signer_serial) snprintf(r->signer_serial, sizeof r->signer_serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

/* The LDSSecurityObject's digest and its groups' hashes; 0 with why when it is not one. */
static int parse_lds(const ASN1_OCTET_STRING *content, PA_LDSSO **out, const EVP_MD **md, const uint8_t *hash[17],
                     bex_pa_result *r, char *why, size_t whylen) {
    PA_LDSSO *lds = d2i_whole(ASN1_ITEM_rptr(PA_LDSSO), content->data, (size_t)content->length);
    if (!lds) {
        snprintf(why, whylen, "the signed content is not an LDSSecurityObject");
        return 0;
    }
    *out = lds;
    long v = ASN1_INTEGER_get(lds->version);
    if (v != 0 && v != 1) {
        snprintf(why, whylen, "the LDSSecurityObject's version is %ld, not 0 or 1", v);
        return 0;
    }
    const char *hn = hash_name(OBJ_obj2nid(lds->hash_alg->algorithm));
    if (!hn) {
        snprintf(why, whylen, "the data groups' hash algorithm is not SHA-1 or SHA-2");
        return 0;
    }
    snprintf(r->hash_algorithm, sizeof r->hash_algorithm, "%s", hn);
    *md = EVP_get_digestbynid(OBJ_obj2nid(lds->hash_alg->algorithm));
    if (!*md) {
        snprintf(why, whylen, "%s is not available", hn);
        return 0;
    }
    int n = sk_PA_DGHASH_num(lds->hashes);
    if (n < 1 || n > BEX_PA_MAX_DG) {
        snprintf(why, whylen, "the LDSSecurityObject lists %d data groups, not 1 to %d", n, BEX_PA_MAX_DG);
        return 0;
    }
    int size = EVP_MD_get_size(*md);
    for (int i = 0; i < n; i++) {
        PA_DGHASH *h = sk_PA_DGHASH_value(lds->hashes, i);
        long g = ASN1_INTEGER_get(h->number);
        if (g < 1 || g > BEX_PA_MAX_DG) {
            snprintf(why, whylen, "the LDSSecurityObject lists a data group numbered %ld", g);
            return 0;
        }
        if (hash[g]) {
            snprintf(why, whylen, "the LDSSecurityObject lists data group %ld twice", g);
            return 0;
        }
        if (h->hash->length != size) {
            snprintf(why, whylen, "data group %ld's hash has %d bytes, not %s's %d", g, h->hash->length, hn, size);
            return 0;
        }
        hash[g] = h->hash->data;
    }
    for (int g = 1; g <= BEX_PA_MAX_DG; g++)
        if (hash[g]) r->sod_groups[r->n_sod_groups++] = g;
    return 1;
}

int bex_pa_verify(const bex_trust_store *ts, const uint8_t *sod, size_t sod_len, const bex_dg *dgs, size_t n_dgs,
                  int64_t check_time, bex_pa_result *r, char *err, size_t errlen) {
    if (!ts || !r || (!sod && sod_len) || (!dgs && n_dgs))
        return bex__fail(err, errlen, BEX_ERR_ARG, "passive authentication needs a trust store, the SOD and a result");
    const bex_dg *by_number[BEX_PA_MAX_DG + 1] = {0};
    for (size_t i = 0; i < n_dgs; i++) {
        int g = dgs[i].number;
        if (g < 1 || g > BEX_PA_MAX_DG) return bex__fail(err, errlen, BEX_ERR_ARG, "data group number %d is not 1..16", g);
        if (by_number[g]) return bex__fail(err, errlen, BEX_ERR_ARG, "data group %d handed in twice", g);
        if (!dgs[i].data && dgs[i].len) return bex__fail(err, errlen, BEX_ERR_ARG, "data group %d has no bytes", g);
        by_number[g] = &dgs[i];
    }
    memset(r, 0, sizeof *r);
    char why[200];
    CMS_ContentInfo *cms = NULL;
    X509 *ds = NULL;
    PA_LDSSO *lds = NULL;
    const EVP_MD *md = NULL;
    const uint8_t *hash[BEX_PA_MAX_DG + 1] = {0};
    const ASN1_OCTET_STRING *content;
    CMS_SignerInfo *si;

    /* parse: 0x77 { ContentInfo }, SignedData of an LDSSecurityObject */
    unsigned tag;
    size_t hdr, len;
    if (sod_len > BEX_PA_MAX_SOD_BYTES) {
        snprintf(why, sizeof why, "EF.SOD has %zu bytes, more than %zu", sod_len, BEX_PA_MAX_SOD_BYTES);
        goto malformed;
    }
    if (!tlv(sod, sod_len, &tag, &hdr, &len) || tag != 0x77) {
        snprintf(why, sizeof why, "EF.SOD does not start with a complete tag 0x77");
        goto malformed;
    }
    for (size_t i = hdr + len; i < sod_len; i++)
        if (sod[i] != 0 && sod[i] != 0xff) { /* readers may pad the file; nothing else may follow */
            snprintf(why, sizeof why, "EF.SOD has bytes after its 0x77 object");
            goto malformed;
        }
    if (!(cms = d2i_cms_whole(sod + hdr, len))) {
        snprintf(why, sizeof why, "EF.SOD does not hold a CMS ContentInfo");
        goto malformed;
    }
    if (!signed_content(cms, OID_LDS_SECURITY_OBJECT, &content, why, sizeof why) ||
        !find_signer(cms, &si, &ds, why, sizeof why) || !parse_lds(content, &lds, &md, hash, r, why, sizeof why))
        goto malformed;
    signer_facts(ds, r);

    if (!verify_signed_content(cms, si, ds, content, why, sizeof why)) {
        set_outcome(r, BEX_PA_SIGNATURE_INVALID, "signature invalid: %s", why);
        goto out;
    }
    bex_pa_outcome o = chain(ts, ds, check_time, &r->crl_checked, why, sizeof why);
    if (o != BEX_PA_AUTHENTIC) {
        set_outcome(r, o, "%s", why);
        goto out;
    }
    for (int g = 1; g <= BEX_PA_MAX_DG; g++) {
        if (!by_number[g]) continue;
        if (!hash[g]) {
            r->outcome = BEX_PA_DATA_GROUP_ALTERED;
            r->altered_group = g;
            snprintf(r->message, sizeof r->message, "data group %d is present but the SOD does not list it", g);
            goto out;
        }
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned dlen = 0;
        if (!EVP_Digest(by_number[g]->data, by_number[g]->len, d, &dlen, md, NULL)) {
            bex__fail(err, errlen, BEX_ERR_NOMEM, "hashing data group %d failed (OpenSSL)", g);
            ERR_clear_error();
            CMS_ContentInfo_free(cms);
            X509_free(ds);
            ASN1_item_free((ASN1_VALUE *)lds, ASN1_ITEM_rptr(PA_LDSSO));
            return BEX_ERR_NOMEM;
        }
        if (memcmp(d, hash[g], dlen) != 0) {
            r->outcome = BEX_PA_DATA_GROUP_ALTERED;
            r->altered_group = g;
            snprintf(r->message, sizeof r->message, "data group %d's %s hash differs from the SOD's", g,
                     r->hash_algorithm);
            goto out;
        }
        r->checked[r->n_checked++] = g;
    }
    r->outcome = BEX_PA_AUTHENTIC;
    snprintf(r->message, sizeof r->message, "signature, signer chain%s and %d data group hash%s verified",
             r->crl_checked ? " (CRL checked)" : " (no CRL of its CSCA in the store)", r->n_checked,
             r->n_checked == 1 ? "" : "es");
    goto out;
malformed:
    set_outcome(r, BEX_PA_MALFORMED, "malformed SOD: %s", why);
out:
    ERR_clear_error();
    CMS_ContentInfo_free(cms);
    X509_free(ds);
    ASN1_item_free((ASN1_VALUE *)lds, ASN1_ITEM_rptr(PA_LDSSO));
    return BEX_OK;
}

/* ---- DG1's MRZ ---- */

int bex_pa_dg1_mrz(const uint8_t *dg1, size_t len, char *out, size_t outlen) {
    unsigned tag;
    size_t hdr, l;
    if (!dg1 || !out || !tlv(dg1, len, &tag, &hdr, &l) || tag != 0x61) return BEX_ERR_CORRUPT;
    const uint8_t *p = dg1 + hdr;
    size_t n = l;
    while (n) {
        size_t h2, l2;
        if (!tlv(p, n, &tag, &h2, &l2)) return BEX_ERR_CORRUPT;
        if (tag == 0x5F1F) {
            if (l2 + 1 > outlen) return BEX_ERR_LIMIT;
            for (size_t i = 0; i < l2; i++)
                if (p[h2 + i] < 0x20 || p[h2 + i] > 0x7e) return BEX_ERR_CORRUPT;
            memcpy(out, p + h2, l2);
            out[l2] = 0;
            return l2 ? BEX_OK : BEX_ERR_CORRUPT;
        }
        p += h2 + l2;
        n -= h2 + l2;
    }
    return BEX_ERR_CORRUPT;
}

bex_pa_outcome bex_pa_check_mrz(const uint8_t *dg1, size_t len, const char *printed, char *message, size_t msglen) {
    char chip[128], mrz[128];
    if (bex_pa_dg1_mrz(dg1, len, chip, sizeof chip) != BEX_OK) {
        if (message && msglen) snprintf(message, msglen, "DG1 holds no MRZ (tag 0x61 around 0x5F1F)");
        return BEX_PA_MALFORMED;
    }
    size_t n = 0;
    for (const char *s = printed ? printed : ""; *s; s++) {
        if (*s == '\r' || *s == '\n') continue;
        if (n + 1 >= sizeof mrz) break;
        mrz[n++] = *s;
    }
    mrz[n] = 0;
    if (!strcmp(chip, mrz)) {
        if (message && msglen) snprintf(message, msglen, "the chip's MRZ matches the printed MRZ");
        return BEX_PA_AUTHENTIC;
    }
    size_t at = 0;
    while (chip[at] && chip[at] == mrz[at]) at++;
    if (message && msglen)
        snprintf(message, msglen, "the chip's MRZ (%zu characters) differs from the printed MRZ (%zu) from character %zu on",
                 strlen(chip), n, at + 1);
    return BEX_PA_MRZ_MISMATCH;
}

/* ---- building ---- */

void bex_pa_free(void *p) {
    bex__free(p);
}

int bex_pa_build_lds_security_object(const char *hash, const bex_dg *dgs, size_t n_dgs, uint8_t **out,
                                     size_t *out_len, char *err, size_t errlen) {
    if (!hash || !out || !out_len || !dgs || n_dgs < 1 || n_dgs > BEX_PA_MAX_DG)
        return bex__fail(err, errlen, BEX_ERR_ARG, "an LDS security object needs a hash and 1 to 16 data groups");
    int nid = NID_undef;
    for (size_t i = 0; i < sizeof hashes / sizeof *hashes; i++)
        if (!strcmp(hashes[i].name, hash)) nid = hashes[i].nid;
    const EVP_MD *md = EVP_get_digestbynid(nid);
    if (!md) return bex__fail(err, errlen, BEX_ERR_ARG, "unknown hash '%.20s'", hash);
    int rc = BEX_OK;
    unsigned char *der = NULL;
    PA_LDSSO *lds = (PA_LDSSO *)ASN1_item_new(ASN1_ITEM_rptr(PA_LDSSO));
    if (!lds || !ASN1_INTEGER_set(lds->version, 0) ||
        !X509_ALGOR_set0(lds->hash_alg, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL)) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory (OpenSSL)");
        goto out;
    }
    for (size_t i = 0; i < n_dgs; i++) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned dlen;
        if (dgs[i].number < 1 || dgs[i].number > BEX_PA_MAX_DG || (!dgs[i].data && dgs[i].len)) {
            rc = bex__fail(err, errlen, BEX_ERR_ARG, "data group number %d is not 1..16", dgs[i].number);
            goto out;
        }
        PA_DGHASH *h = (PA_DGHASH *)ASN1_item_new(ASN1_ITEM_rptr(PA_DGHASH));
        if (!h || !EVP_Digest(dgs[i].data, dgs[i].len, d, &dlen, md, NULL) || !ASN1_INTEGER_set(h->number, dgs[i].number) ||
            !ASN1_OCTET_STRING_set(h->hash, d, (int)dlen) || !sk_PA_DGHASH_push(lds->hashes, h)) {
            ASN1_item_free((ASN1_VALUE *)h, ASN1_ITEM_rptr(PA_DGHASH));
            rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory (OpenSSL)");
            goto out;
        }
    }
    int n = ASN1_item_i2d((ASN1_VALUE *)lds, &der, ASN1_ITEM_rptr(PA_LDSSO));
    if (n <= 0 || !(*out = bex__malloc((size_t)n))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(*out, der, (size_t)n);
    *out_len = (size_t)n;
out:
    OPENSSL_free(der);
    ASN1_item_free((ASN1_VALUE *)lds, ASN1_ITEM_rptr(PA_LDSSO));
    ERR_clear_error();
    return rc;
}

/* Signing is for making test chips (bex doc make): OpenSSL's CMS_sign with the content type
 * Doc 9303 Part 10 gives EF.SOD, the signer's certificate included, SHA-256, and the DER
 * wrapped in EF.SOD's tag 0x77. */
int bex_pa_sign_sod(const uint8_t *lds_so, size_t len, const char *signer_pem, const char *key_pem, uint8_t **sod,
                    size_t *sod_len, char *err, size_t errlen) {
    *sod = NULL;
    *sod_len = 0;
    int rc = BEX_ERR_FORMAT;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    CMS_ContentInfo *cms = NULL;
    BIO *in = NULL;
    unsigned char *der = NULL;
    FILE *f = fopen(signer_pem, "r");
    if (f) {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!cert) {
        snprintf(err, errlen, "%s: no PEM certificate to sign with", signer_pem);
        goto out;
    }
    if ((f = fopen(key_pem, "r"))) {
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!key) {
        snprintf(err, errlen, "%s: no PEM private key (unencrypted) to sign with", key_pem);
        goto out;
    }
    in = BIO_new_mem_buf(lds_so, (int)len);
    ASN1_OBJECT *type = OBJ_txt2obj("2.23.136.1.1.1", 1);
    unsigned fl = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    cms = in && type ? CMS_sign(NULL, NULL, NULL, NULL, fl) : NULL;
    if (!cms || !CMS_set1_eContentType(cms, type) || !CMS_add1_signer(cms, cert, key, EVP_sha256(), fl) ||
        !CMS_final(cms, in, NULL, fl)) {
        ASN1_OBJECT_free(type);
        snprintf(err, errlen, "signing the security object failed (does the key belong to the certificate?)");
        rc = BEX_ERR_ARG;
        goto out;
    }
    ASN1_OBJECT_free(type);
    int n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0) {
        snprintf(err, errlen, "encoding the signed security object failed");
        goto out;
    }
    size_t hdr = n < 128 ? 2 : n < 256 ? 3 : n < 65536 ? 4 : 5;
    uint8_t *o = bex__malloc(hdr + (size_t)n);
    if (!o) {
        rc = BEX_ERR_NOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    o[0] = 0x77;
    if (hdr == 2) o[1] = (uint8_t)n;
    else if (hdr == 3) o[1] = 0x81, o[2] = (uint8_t)n;
    else if (hdr == 4) o[1] = 0x82, o[2] = (uint8_t)(n >> 8), o[3] = (uint8_t)n;
    else o[1] = 0x83, o[2] = (uint8_t)(n >> 16), o[3] = (uint8_t)(n >> 8), o[4] = (uint8_t)n;
    memcpy(o + hdr, der, (size_t)n);
    *sod = o;
    *sod_len = hdr + (size_t)n;
    rc = BEX_OK;
out:
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

/* ---- the issuing state against its signer's CSCA ---- */

typedef struct state_code {
    const char *alpha3, *alpha2;
} state_code;

static const state_code states[] = {
#include "states.inc"
};

static int cmp_state(const void *key, const void *elem) {
    return strcmp((const char *)key, ((const state_code *)elem)->alpha3);
}

const char *bex_state_alpha2(const char *alpha3) {
    if (!alpha3) return NULL;
    const state_code *s = bsearch(alpha3, states, sizeof states / sizeof *states, sizeof *states, cmp_state);
    return s ? s->alpha2 : NULL;
}

bex_pa_outcome bex_pa_check_issuer(const bex_pa_result *r, const char *issuing_state, char *message,
                                   size_t msglen) {
    char buf[160];
    if (!message) {
        message = buf;
        msglen = sizeof buf;
    }
    const char *a2 = bex_state_alpha2(issuing_state);
    if (!r || !issuing_state) {
        snprintf(message, msglen, "no issuing state to check the signer against");
        return BEX_PA_UNKNOWN_SIGNER;
    }
    if (!a2) {
        snprintf(message, msglen, "the issuing state %.3s has no country code to check its signer's CSCA against",
                 issuing_state);
        return BEX_PA_UNKNOWN_SIGNER;
    }
    if (strcmp(a2, r->issuer_country) != 0) {
        snprintf(message, msglen, "the document is %.3s's but its signer was issued by a CSCA of %.3s: another "
                 "state's CSCA cannot vouch for it", issuing_state, r->issuer_country[0] ? r->issuer_country : "no country");
        return BEX_PA_UNKNOWN_SIGNER;
    }
    snprintf(message, msglen, "issued by a CSCA of %s, the document's state", a2);
    return BEX_PA_AUTHENTIC;
}
