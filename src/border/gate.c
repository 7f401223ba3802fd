/*
 * gate.c - offline gates (border.h): registered devices and their keys, a departure's gallery
 * as a file sealed to one device and signed by the service, the decision against it with no
 * store at hand (the one 1:N rule, bex_identify_decide), the gate's signed log line, and
 * `bex sync`'s check of each line before it is recorded as an exit.
 *
 * Cryptography is libsodium's (Debian's libsodium-dev): Ed25519 signatures (crypto_sign),
 * X25519 sealed boxes for the file key (crypto_box_seal), XChaCha20-Poly1305 for the gallery
 * (crypto_aead_xchacha20poly1305_ietf), BLAKE2b for a synced line's fingerprint
 * (crypto_generichash). Nothing here is a primitive of its own.
 *
 * A gallery file: a header of BEX_GALLERY_HEADER_BYTES in the clear (magic "BEXGAL01", device
 * name [32], departure [48], issued and expiry times (int64 LE, seconds), the plaintext's
 * length (uint64 LE), the file key sealed to the device [80], the nonce [24]), the ciphertext
 * of the gallery with the header as associated data, then the service's Ed25519 signature of
 * everything before it. The plaintext: "BEXGALP2", dim (uint32 LE), 0 (uint32), count (uint64
 * LE), the decision block (DECISION_BYTES: the 1:N threshold as float32 LE bits, calibrated
 * (uint32), the FPIR (float64 bits), the calibration id and the gallery size N (int64 LE), the
 * operating point [128] and the calibration's name [128], NUL-padded, 0 to the end), then per
 * template its id, its subject (int64 LE each) and dim float32 LE. A gallery of another model
 * than the built-in one is "BEXGALP3": the same, with the model's identity [128] (NUL-padded)
 * after the decision block, so that a gate refuses templates of another model; the built-in
 * model's galleries stay "BEXGALP2" (readable by gates of earlier releases, which refuse a P3
 * file as "no gallery inside"). "BEXGALP1" files (no decision block) are still read; their
 * gate decides with the shipped table. P1 and P2 hold the built-in model's 128 floats.
 *
 * A log line: {"v":2,"device":..,"seq":..,"at":..,"departure":..,"port":..,"decision":..,
 * "subject":..,"template":"HEX","sig":"HEX"}: the template sealed to the service's X25519 key
 * (crypto_box_seal; its length gives the template's), the signature over the bytes before
 * ,"sig". A template of another model than the built-in one makes a "v":3 line, with
 * "model":"<identity>" before "template".
 * Only the exact form written is parsed (it is written again and compared), so the bytes
 * signed are the bytes read.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bex/rules.h"
#include "bex/timestamp.h"
#include "store/records.h"
#include "util/util.h"

/* ---- libsodium ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_state = -1;
static void sodium_start(void) { sodium_state = sodium_init() < 0 ? -1 : 0; }

int bex_crypto_init(char *err, size_t errlen) {
    pthread_once(&sodium_once, sodium_start);
    if (sodium_state < 0) {
        snprintf(err, errlen, "libsodium could not start (sodium_init)");
        return BEX_ERR_IO;
    }
    return BEX_OK;
}

static void hex(const unsigned char *b, size_t n, char *out) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[b[i] >> 4];
        out[2 * i + 1] = d[b[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly 2n lowercase hex digits into b; 0 when they are not. */
static int unhex(const char *s, unsigned char *b, size_t n) {
    if (strlen(s) != 2 * n) return 0;
    for (size_t i = 0; i < n; i++) {
        int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
        if (h < 0 || l < 0) return 0;
        b[i] = (unsigned char)(h * 16 + l);
    }
    return 1;
}

static int name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n >= BEX_GATE_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

/* Printable ASCII without '"' and '\\' (a value written into a JSON line as it is). */
static int plain_text(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\') return 0;
    return 1;
}

static int port_ok(const char *p) {
    size_t n = strlen(p);
    if (n < 1 || n > 7) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9'))) return 0;
    return 1;
}

/* ---- key files ---- */

#define KEYFILE_MAGIC "bex gate key file 1"

int bex_border_gate_register(bex_store *st, const char *name, const char *port, const char *keyfile,
                             bex_gate_device *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!name_ok(name)) {
        snprintf(err, errlen, "a gate's name is 1 to %d of A-Z, a-z, 0-9, '.', '_', '-'", BEX_GATE_NAME_MAX - 1);
        return BEX_ERR_ARG;
    }
    if (port && !port_ok(port)) {
        snprintf(err, errlen, "a gate's port is a port code of 1 to 7 capital letters or digits");
        return BEX_ERR_ARG;
    }
    if (!keyfile || !*keyfile) {
        snprintf(err, errlen, "a gate's registration writes its key file: a path is needed");
        return BEX_ERR_ARG;
    }
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    int found = 0;
    bex_gate_device old;
    if ((rc = bex__gate_get(st, name, &old, &found, err, errlen)) != BEX_OK) return rc;
    if (found) {
        snprintf(err, errlen, "a gate named %s is registered already (revoke it and register another name)", name);
        return BEX_ERR_ARG;
    }
    int fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, errno == EEXIST ? "%s exists: a key file is never overwritten"
                                              : "cannot create the key file %s: %s", keyfile, strerror(errno));
        return BEX_ERR_IO;
    }
    (void)fchmod(fd, 0600); /* whatever the umask allowed: the owner only */
    unsigned char sk[64], bsk[32];
    bex__service_keys fresh, svc;
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->port, sizeof out->port, "%s", port ? port : "");
    bex_time_now(out->created_at);
    crypto_sign_keypair(out->sign_public, sk);
    crypto_box_keypair(out->box_public, bsk);
    crypto_sign_keypair(fresh.sign_public, fresh.sign_secret); /* the service's, kept only if the store */
    crypto_box_keypair(fresh.box_public, fresh.box_secret);     /* has none yet */
    rc = bex__begin(st, err, errlen);
    if (rc == BEX_OK) rc = bex__gate_insert(st, out, &out->id, err, errlen);
    if (rc == BEX_OK) rc = bex__service_key(st, &fresh, out->created_at, &svc, err, errlen);
    if (rc == BEX_OK) {
        char obj[64], detail[64];
        snprintf(obj, sizeof obj, "gate %s", name);
        snprintf(detail, sizeof detail, "port %s", port ? port : "any");
        rc = bex__audit(st, "gate_register", obj, detail, err, errlen);
    }
    if (rc == BEX_OK) {
        char h_sk[129], h_bpk[65], h_bsk[65], h_svc[65], h_svcb[65], text[600];
        hex(sk, 64, h_sk);
        hex(out->box_public, 32, h_bpk);
        hex(bsk, 32, h_bsk);
        hex(svc.sign_public, 32, h_svc);
        hex(svc.box_public, 32, h_svcb);
        int k = snprintf(text, sizeof text, "%s\ndevice %s\nsign_secret %s\nbox_public %s\nbox_secret %s\n"
                         "service_public %s\nservice_box_public %s\n", KEYFILE_MAGIC, name, h_sk, h_bpk, h_bsk,
                         h_svc, h_svcb);
        if (k <= 0 || (size_t)k >= sizeof text || write(fd, text, (size_t)k) != k || fsync(fd) != 0) {
            snprintf(err, errlen, "cannot write the key file %s: %s", keyfile, strerror(errno));
            rc = BEX_ERR_IO;
        }
        sodium_memzero(text, sizeof text);
        sodium_memzero(h_sk, sizeof h_sk);
        sodium_memzero(h_bsk, sizeof h_bsk);
    }
    if (close(fd) != 0 && rc == BEX_OK) {
        snprintf(err, errlen, "cannot write the key file %s: %s", keyfile, strerror(errno));
        rc = BEX_ERR_IO;
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) unlink(keyfile); /* nothing registered: no key file either */
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(bsk, sizeof bsk);
    sodium_memzero(&fresh, sizeof fresh);
    sodium_memzero(&svc, sizeof svc);
    return rc;
}

int bex_border_gate_list(bex_store *st, bex_gate_device **out, size_t *n, char *err, size_t errlen) {
    return bex__gate_list(st, out, n, err, errlen);
}

int bex_border_gate_revoke(bex_store *st, const char *name, char *err, size_t errlen) {
    if (!name_ok(name)) {
        snprintf(err, errlen, "no gate of that name");
        return BEX_ERR_ARG;
    }
    char now[24];
    bex_time_now(now);
    int changed = 0;
    int rc = bex__begin(st, err, errlen);
    if (rc == BEX_OK) rc = bex__gate_revoke(st, name, now, &changed, err, errlen);
    if (rc == BEX_OK && !changed) {
        snprintf(err, errlen, "no gate %s in service (never registered, or revoked already)", name);
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) {
        char obj[64];
        snprintf(obj, sizeof obj, "gate %s", name);
        rc = bex__audit(st, "gate_revoke", obj, "", err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

void bex_gate_keys_wipe(bex_gate_keys *k) { sodium_memzero(k, sizeof *k); }

int bex_gate_keys_load(const char *path, bex_gate_keys *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "cannot read the key file %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return BEX_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
        snprintf(err, errlen, "the key file %s may be read by others than its owner (mode %03o): chmod 600 it, and "
                 "revoke the gate if someone else may have read it", path, (unsigned)(sb.st_mode & 0777));
        close(fd);
        return BEX_ERR_IO;
    }
    char text[1024];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "cannot read the key file %s: %s", path, strerror(errno));
        return BEX_ERR_IO;
    }
    text[n] = 0;
    const char *why = NULL;
    char *save = NULL, *ln = strtok_r(text, "\n", &save);
    if (!ln || strcmp(ln, KEYFILE_MAGIC)) why = "no bex gate key file";
    int have = 0;
    while (!why && (ln = strtok_r(NULL, "\n", &save))) {
        char *sp = strchr(ln, ' ');
        if (!sp) {
            why = "a line without a value";
            break;
        }
        *sp++ = 0;
        if (!strcmp(ln, "device") && name_ok(sp)) snprintf(out->device, sizeof out->device, "%s", sp), have |= 1;
        else if (!strcmp(ln, "sign_secret") && unhex(sp, out->sign_secret, 64)) have |= 2;
        else if (!strcmp(ln, "box_public") && unhex(sp, out->box_public, 32)) have |= 4;
        else if (!strcmp(ln, "box_secret") && unhex(sp, out->box_secret, 32)) have |= 8;
        else if (!strcmp(ln, "service_public") && unhex(sp, out->service_public, 32)) have |= 16;
        else if (!strcmp(ln, "service_box_public") && unhex(sp, out->service_box_public, 32)) have |= 32;
        else why = "a line that is none of device, sign_secret, box_public, box_secret, service_public, "
                   "service_box_public";
    }
    if (!why && have != 63) why = "a key missing";
    if (!why) { /* the halves belong together */
        unsigned char pk[32], spk[32], ssk[64];
        if (crypto_scalarmult_base(pk, out->box_secret) != 0 || sodium_memcmp(pk, out->box_public, 32))
            why = "an encryption key pair that does not belong together";
        else if (crypto_sign_seed_keypair(spk, ssk, out->sign_secret) != 0 || sodium_memcmp(ssk, out->sign_secret, 64))
            why = "a signing key that does not belong together";
        sodium_memzero(ssk, sizeof ssk);
    }
    sodium_memzero(text, sizeof text);
    if (why) {
        bex_gate_keys_wipe(out);
        snprintf(err, errlen, "the key file %s is damaged: %s", path, why);
        return BEX_ERR_FORMAT;
    }
    return BEX_OK;
}

/* ---- gallery files ---- */

#define GALLERY_MAGIC "BEXGAL01"
#define PLAIN_MAGIC "BEXGALP2"
#define PLAIN_MAGIC_V3 "BEXGALP3"
#define MODEL_BYTES 128 /* BEX_MODEL_ID_MAX */
#define PLAIN_MAGIC_V1 "BEXGALP1"
#define DECISION_BYTES 320
#define AEAD_ABYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define GALLERY_MAX_TEMPLATES 2000000u

static void put64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t get64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void header_write(const bex_gallery_header *h, unsigned char *p) {
    memset(p, 0, BEX_GALLERY_HEADER_BYTES);
    memcpy(p, GALLERY_MAGIC, 8);
    memcpy(p + 8, h->device, strlen(h->device));
    memcpy(p + 40, h->departure, strlen(h->departure));
    put64(p + 88, (uint64_t)h->issued_at);
    put64(p + 96, (uint64_t)h->expires_at);
    put64(p + 104, h->plain_bytes);
    memcpy(p + 112, h->sealed_key, 80);
    memcpy(p + 192, h->nonce, 24);
}

/* A NUL-padded text field of n bytes: at least one NUL, nothing after the first. */
static int field(const unsigned char *p, size_t n, char *dst) {
    size_t len = strnlen((const char *)p, n);
    if (len == n) return 0;
    for (size_t i = len; i < n; i++)
        if (p[i]) return 0;
    memcpy(dst, p, len);
    dst[len] = 0;
    return 1;
}

int bex_gallery_header_parse(const unsigned char *file, size_t len, bex_gallery_header *out, char *err,
                             size_t errlen) {
    bex_gallery_header h;
    memset(&h, 0, sizeof h);
    const char *why = NULL;
    if (!file || len < 8 || memcmp(file, GALLERY_MAGIC, 8))
        why = len >= 8 && file && !memcmp(file, "BEXI", 4) ? "an unsigned, unencrypted gallery (an index file, from "
                                                              "before galleries were sealed to a gate): refused"
                                                            : "no bex gallery file";
    else if (len < BEX_GALLERY_HEADER_BYTES + AEAD_ABYTES + BEX_GALLERY_SIG_BYTES) why = "truncated";
    else if (!field(file + 8, 32, h.device) || !name_ok(h.device)) why = "no device name";
    else if (!field(file + 40, 48, h.departure) || !h.departure[0]) why = "no departure";
    if (!why) {
        h.issued_at = (int64_t)get64(file + 88);
        h.expires_at = (int64_t)get64(file + 96);
        h.plain_bytes = get64(file + 104);
        memcpy(h.sealed_key, file + 112, 80);
        memcpy(h.nonce, file + 192, 24);
        if (h.plain_bytes != len - BEX_GALLERY_HEADER_BYTES - AEAD_ABYTES - BEX_GALLERY_SIG_BYTES)
            why = "a length that is not the file's (truncated or extended)";
    }
    if (why) {
        snprintf(err, errlen, "not a gallery file for a gate: %s", why);
        return BEX_ERR_FORMAT;
    }
    *out = h;
    return BEX_OK;
}

static void put_text(unsigned char *p, const char *s, size_t n) {
    memset(p, 0, n);
    size_t l = strlen(s);
    memcpy(p, s, l < n - 1 ? l : n - 1);
}
static void get_text(const unsigned char *p, char *s, size_t n) {
    size_t l = 0;
    while (l < n - 1 && p[l] && p[l] >= 0x20 && p[l] < 0x7f) l++; /* printable ASCII, as written */
    memcpy(s, p, l);
    s[l] = 0;
}

/* The decision block of a version-2 plaintext (see the top of this file). */
static void decision_write(const bex_gallery_header *h, unsigned char *p) {
    memset(p, 0, DECISION_BYTES);
    uint32_t w;
    memcpy(&w, &h->threshold, 4);
    for (int b = 0; b < 4; b++) p[b] = (unsigned char)(w >> (8 * b));
    p[4] = (unsigned char)(h->calibrated != 0);
    uint64_t f;
    memcpy(&f, &h->fpir, 8);
    put64(p + 8, f);
    put64(p + 16, (uint64_t)h->calibration_id);
    put64(p + 24, (uint64_t)h->gallery_size);
    put_text(p + 32, h->operating_point, 128);
    put_text(p + 160, h->calibration, 128);
}

static const char *decision_read(const unsigned char *p, bex_gallery_header *h) {
    uint32_t w = 0;
    for (int b = 0; b < 4; b++) w |= (uint32_t)p[b] << (8 * b);
    memcpy(&h->threshold, &w, 4);
    h->calibrated = p[4] == 1;
    if (p[4] > 1 || p[5] || p[6] || p[7]) return "a decision block that is not one";
    uint64_t f = get64(p + 8);
    memcpy(&h->fpir, &f, 8);
    h->calibration_id = (long long)get64(p + 16);
    h->gallery_size = (long long)get64(p + 24);
    get_text(p + 32, h->operating_point, sizeof h->operating_point);
    get_text(p + 160, h->calibration, sizeof h->calibration);
    if (h->calibrated && !(h->threshold >= -1 && h->threshold <= 1)) return "a threshold out of range";
    if (!(h->fpir > 0 && h->fpir <= 0.1) || h->gallery_size < 0 || h->calibration_id < 0)
        return "a decision block out of range";
    if (!h->calibrated) h->threshold = NAN;
    return NULL;
}

int bex_border_gallery_seal(bex_store *st, const char *departure, const char *device, unsigned char **file,
                            size_t *len, bex_gallery_header *info, size_t *n_subjects, char *err, size_t errlen) {
    *file = NULL;
    *len = 0;
    memset(info, 0, sizeof *info);
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    if (!departure || !*departure || strlen(departure) >= sizeof info->departure) {
        snprintf(err, errlen, "a gallery needs its departure's id (at most 47 characters)");
        return BEX_ERR_ARG;
    }
    bex_gate_device d;
    int found = 0;
    if (!name_ok(device)) {
        snprintf(err, errlen, "a gallery file is sealed to a registered gate: its name is needed");
        return BEX_ERR_ARG;
    }
    if ((rc = bex__gate_get(st, device, &d, &found, err, errlen)) != BEX_OK) return rc;
    if (!found || d.revoked_at[0]) {
        snprintf(err, errlen, found ? "gate %s was revoked: no gallery is sealed to it"
                                    : "no gate %s is registered: register the device first", device);
        return BEX_ERR_ARG;
    }
    bex_border_settings set;
    bex_departure_info dep;
    if ((rc = bex__settings_read(st, &set, err, errlen)) != BEX_OK) return rc;
    if ((rc = bex__departure(st, departure, &dep, err, errlen)) != BEX_OK) return rc;
    int64_t sched;
    if (!dep.known || bex_time_parse(dep.scheduled, &sched) != BEX_OK) {
        snprintf(err, errlen, "departure '%s' has no manifest on record (load its manifest first)", departure);
        return BEX_ERR_ARG;
    }
    if (dep.direction != BEX_DIRECTION_DEPARTURE) {
        snprintf(err, errlen, "'%s' is an arrival's manifest: a gate's gallery is a departure's", departure);
        return BEX_ERR_ARG;
    }
    bex_index *ix;
    size_t subjects;
    if ((rc = bex_border_gallery(st, departure, &ix, &subjects, err, errlen)) != BEX_OK) return rc;
    /* the decision the gate is to take: the 1:N threshold at this gallery's size from the
     * calibration in force for the gate's port (the device's, else the departure's) */
    bex_gallery_header h;
    memset(&h, 0, sizeof h);
    {
        bex_calibration cal;
        bex_operating_point op;
        long long n = (long long)bex_index_subjects(ix);
        char e[256];
        rc = bex_store_calibration_for(st, d.port[0] ? d.port : dep.port, &cal, err, errlen);
        if (rc != BEX_OK) {
            bex_index_close(ix);
            return rc;
        }
        h.plain_version = 2;
        h.gallery_size = n;
        h.fpir = BEX_DEFAULT_FPIR;
        h.threshold = NAN;
        h.calibration_id = cal.source == BEX_CALIB_APPLIED ? cal.id : 0;
        snprintf(h.calibration, sizeof h.calibration, "%s", cal.name);
        if (n > 0 && bex_operating_point_identify_in(&cal, BEX_DEFAULT_FPIR, n, &op, e, sizeof e) == BEX_OK) {
            h.calibrated = 1;
            h.threshold = op.threshold;
            snprintf(h.operating_point, sizeof h.operating_point, "%s", op.name);
        } else {
            snprintf(h.operating_point, sizeof h.operating_point,
                     n > 0 ? "FPIR %g at N=%lld is beyond the calibration's evidence (its smallest FMR is %.2g): no 1:N "
                             "decision" : "empty gallery",
                     BEX_DEFAULT_FPIR, n, bex_calibration_min_fmr_in(&cal));
        }
    }
    /* the plaintext */
    int dim = bex_index_dim(ix), v3 = !bex_model_is_builtin(bex_store_model(st));
    size_t count = bex_index_count(ix), rowb = 16 + 4 * (size_t)dim, at = 24 + DECISION_BYTES + (v3 ? MODEL_BYTES : 0);
    size_t plain_n = at + count * rowb;
    unsigned char *plain = sodium_malloc(plain_n > 0 ? plain_n : 1);
    size_t total = BEX_GALLERY_HEADER_BYTES + plain_n + AEAD_ABYTES + BEX_GALLERY_SIG_BYTES;
    unsigned char *out = bex__malloc(total);
    if (!plain || !out) {
        bex_index_close(ix);
        if (plain) sodium_free(plain);
        bex__free(out);
        snprintf(err, errlen, "out of memory sealing a gallery of %zu templates", count);
        return BEX_ERR_NOMEM;
    }
    memcpy(plain, v3 ? PLAIN_MAGIC_V3 : PLAIN_MAGIC, 8);
    unsigned char dimb[8] = {0};
    dimb[0] = dim & 0xff;
    dimb[1] = (dim >> 8) & 0xff;
    memcpy(plain + 8, dimb, 8);
    put64(plain + 16, count);
    decision_write(&h, plain + 24);
    h.plain_version = v3 ? 3 : 2;
    h.dim = dim;
    snprintf(h.model, sizeof h.model, "%s", bex_store_model(st));
    if (v3) put_text(plain + 24 + DECISION_BYTES, h.model, MODEL_BYTES);
    for (size_t i = 0; i < count && rc == BEX_OK; i++) {
        int64_t tid, sid;
        float v[BEX_TEMPLATE_MAX_DIM];
        rc = bex_index_template_at(ix, i, &tid, &sid, v, err, errlen);
        unsigned char *p = plain + at + i * rowb;
        put64(p, (uint64_t)tid);
        put64(p + 8, (uint64_t)sid);
        for (int j = 0; j < dim; j++) {
            uint32_t w;
            memcpy(&w, &v[j], 4);
            for (int b = 0; b < 4; b++) p[16 + 4 * j + b] = (unsigned char)(w >> (8 * b));
        }
        sodium_memzero(v, sizeof v);
    }
    bex_index_close(ix);
    /* the header, the ciphertext, the signature */
    unsigned char key[32];
    bex__service_keys fresh, svc;
    h.templates = count;
    snprintf(h.device, sizeof h.device, "%s", device);
    snprintf(h.departure, sizeof h.departure, "%s", departure);
    char now[24];
    bex_time_now(now);
    bex_time_parse(now, &h.issued_at);
    h.expires_at = sched + set.gallery_window_s;
    h.plain_bytes = plain_n;
    randombytes_buf(key, sizeof key);
    randombytes_buf(h.nonce, sizeof h.nonce);
    if (rc == BEX_OK && crypto_box_seal(h.sealed_key, key, sizeof key, d.box_public) != 0) {
        snprintf(err, errlen, "cannot seal the gallery's key to gate %s", device);
        rc = BEX_ERR_ARG;
    }
    header_write(&h, out);
    unsigned long long clen = 0;
    if (rc == BEX_OK)
        crypto_aead_xchacha20poly1305_ietf_encrypt(out + BEX_GALLERY_HEADER_BYTES, &clen, plain, plain_n, out,
                                                   BEX_GALLERY_HEADER_BYTES, NULL, h.nonce, key);
    sodium_memzero(key, sizeof key);
    sodium_free(plain);
    crypto_sign_keypair(fresh.sign_public, fresh.sign_secret);
    crypto_box_keypair(fresh.box_public, fresh.box_secret);
    if (rc == BEX_OK && (rc = bex__begin(st, err, errlen)) == BEX_OK) {
        rc = bex__service_key(st, &fresh, now, &svc, err, errlen);
        if (rc == BEX_OK) {
            char obj[96], detail[160], exp[24];
            bex_time_format(h.expires_at, exp);
            snprintf(obj, sizeof obj, "departure %s", departure);
            snprintf(detail, sizeof detail, "sealed to gate %s, %zu templates of %zu subjects, expires %s, %s %lld",
                     device, count, subjects, exp, h.calibration_id ? "calibration" : "shipped table",
                     h.calibration_id);
            rc = bex__audit(st, "gallery_seal", obj, detail, err, errlen);
        }
        rc = bex__end(st, rc, NULL, err, errlen);
    }
    if (rc == BEX_OK)
        crypto_sign_detached(out + BEX_GALLERY_HEADER_BYTES + clen, NULL, out,
                             BEX_GALLERY_HEADER_BYTES + clen, svc.sign_secret);
    sodium_memzero(&fresh, sizeof fresh);
    sodium_memzero(&svc, sizeof svc);
    if (rc != BEX_OK) {
        bex__free(out);
        return rc;
    }
    *file = out;
    *len = total;
    *info = h;
    if (n_subjects) *n_subjects = subjects;
    return BEX_OK;
}

int bex_gate_gallery_open(const unsigned char *file, size_t len, const bex_gate_keys *k, const char *departure,
                          int64_t now, bex_index **out, bex_gallery_header *info, char *err, size_t errlen) {
    *out = NULL;
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    bex_gallery_header h;
    if ((rc = bex_gallery_header_parse(file, len, &h, err, errlen)) != BEX_OK) return rc;
    size_t signed_n = len - BEX_GALLERY_SIG_BYTES;
    if (crypto_sign_verify_detached(file + signed_n, file, signed_n, k->service_public) != 0) {
        snprintf(err, errlen, "the gallery file's signature does not verify with the service's key: it was "
                 "altered, or it is not from the service this gate was registered with");
        return BEX_ERR_FORMAT;
    }
    if (info) *info = h;
    char exp[24];
    bex_time_format(h.expires_at, exp);
    if (strcmp(h.device, k->device)) {
        snprintf(err, errlen, "the gallery file is for gate %s, not for this gate (%s)", h.device, k->device);
        return BEX_ERR_ARG;
    }
    if (departure && strcmp(h.departure, departure)) {
        snprintf(err, errlen, "the gallery file is departure %s's, not %.47s's", h.departure, departure);
        return BEX_ERR_ARG;
    }
    if (now > h.expires_at) {
        snprintf(err, errlen, "the gallery file expired at %s (its departure's time and the gallery window)", exp);
        return BEX_ERR_ARG;
    }
    unsigned char key[32];
    if (crypto_box_seal_open(key, h.sealed_key, sizeof h.sealed_key, k->box_public, k->box_secret) != 0) {
        snprintf(err, errlen, "the gallery file's key cannot be opened with this gate's key");
        return BEX_ERR_FORMAT;
    }
    size_t pn = (size_t)h.plain_bytes;
    unsigned char *plain = sodium_malloc(pn ? pn : 1);
    if (!plain) {
        sodium_memzero(key, sizeof key);
        snprintf(err, errlen, "out of memory opening a gallery file");
        return BEX_ERR_NOMEM;
    }
    unsigned long long mlen = 0;
    int bad = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, file + BEX_GALLERY_HEADER_BYTES,
                                                         pn + AEAD_ABYTES, file, BEX_GALLERY_HEADER_BYTES, h.nonce,
                                                         key) != 0;
    sodium_memzero(key, sizeof key);
    const char *why = NULL;
    uint64_t count = 0;
    size_t at = 24; /* where the templates start */
    int v3 = pn >= 24 && !memcmp(plain, PLAIN_MAGIC_V3, 8), v2 = pn >= 24 && !memcmp(plain, PLAIN_MAGIC, 8);
    int dim = pn >= 24 ? plain[8] | plain[9] << 8 : 0;
    if (bad || mlen != pn) why = "it does not decrypt";
    else if (!v3 && !v2 && memcmp(plain, PLAIN_MAGIC_V1, 8)) why = "no gallery inside";
    /* P1, P2: the built-in model's 128 floats; P3: its model's length */
    else if (get64(plain + 8) >> 16 || (v3 ? dim < 1 || dim > BEX_TEMPLATE_MAX_DIM : dim != BEX_TEMPLATE_DIM))
        why = "templates of another size";
    else if ((v2 || v3) && (pn < 24 + DECISION_BYTES + (v3 ? MODEL_BYTES : 0) ||
                            (why = decision_read(plain + 24, &h)) != NULL))
        why = why ? why : "no decision block";
    else if (v3 && (get_text(plain + 24 + DECISION_BYTES, h.model, sizeof h.model), !h.model[0]))
        why = "no model identity";
    if (!why) {
        h.plain_version = v3 ? 3 : v2 ? 2 : 1;
        at = 24 + (v2 || v3 ? DECISION_BYTES : 0) + (v3 ? MODEL_BYTES : 0);
        h.dim = dim;
        /* P1 and P2 recorded no model: the built-in one, its alignment unrecorded (bex_index_check_model
         * takes either built-in identity for it) */
        if (!v3) snprintf(h.model, sizeof h.model, "%s", BEX_INDEX_MODEL_LEGACY);
    }
    size_t rowb = 16 + 4 * (size_t)dim;
    if (!why && ((count = get64(plain + 16)) > GALLERY_MAX_TEMPLATES || at + count * rowb != pn)) why = "a wrong count";
    h.templates = count;
    bex_index *ix = NULL;
    if (!why) rc = bex_index_open_model(dim, BEX_INDEX_FLOAT32, h.model, &ix, err, errlen);
    for (uint64_t i = 0; !why && rc == BEX_OK && i < count; i++) {
        const unsigned char *p = plain + at + i * rowb;
        float v[BEX_TEMPLATE_MAX_DIM];
        for (int j = 0; j < dim; j++) {
            uint32_t w = 0;
            for (int b = 0; b < 4; b++) w |= (uint32_t)p[16 + 4 * j + b] << (8 * b);
            memcpy(&v[j], &w, 4);
            if (!isfinite(v[j])) why = "a template that is not numbers";
        }
        if (!why) rc = bex_index_add(ix, (int64_t)get64(p), (int64_t)get64(p + 8), v, err, errlen);
        sodium_memzero(v, sizeof v);
    }
    sodium_free(plain);
    if (why || rc != BEX_OK) {
        bex_index_close(ix);
        if (why) {
            snprintf(err, errlen, "the gallery file cannot be used: %s", why);
            return BEX_ERR_FORMAT;
        }
        return rc;
    }
    if (info) *info = h;
    *out = ix;
    return BEX_OK;
}

/* ---- the decision ---- */

/* What both decisions share: out reset, the gallery's best subjects for the live template
 * (none without a photo or in an empty gallery). *searched is 0 when there is nothing to decide
 * (no live template). */
static int gate_search(bex_index *gallery, const float *live, bex_gate_decision *out, bex_index_hit hits[5],
                       size_t *nh, long long *n, int *searched, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->match.score = out->match.threshold = NAN;
    out->match.gallery = BEX_GALLERY_MANIFEST;
    *nh = 0;
    *n = 0;
    *searched = 0;
    if (!gallery) {
        snprintf(err, errlen, "a gate decides against a gallery");
        return BEX_ERR_ARG;
    }
    if (!live) return BEX_OK;
    out->photo = 1;
    *searched = 1;
    *n = (long long)bex_index_subjects(gallery);
    if (*n > 0) return bex_index_search_subjects(gallery, live, 5, NULL, hits, nh, err, errlen);
    return BEX_OK;
}

int bex_gate_decide(bex_index *gallery, const float *live, bex_gate_decision *out, char *err, size_t errlen) {
    bex_index_hit hits[5];
    size_t nh;
    long long n;
    int searched;
    int rc = gate_search(gallery, live, out, hits, &nh, &n, &searched, err, errlen);
    if (rc != BEX_OK || !searched) return rc;
    /* the shipped table: a version-1 file carries no threshold */
    bex_calibration cal;
    bex_calibration_shipped(BEX_ALIGN_DEFAULT, &cal);
    bex_identify_decide(&cal, BEX_DEFAULT_FPIR, BEX_GALLERY_MANIFEST, n, hits, nh, &out->match);
    return BEX_OK;
}

int bex_gate_decide_with(bex_index *gallery, const bex_gallery_header *info, const float *live, bex_gate_decision *out,
                         char *err, size_t errlen) {
    if (!info || info->plain_version < 2) return bex_gate_decide(gallery, live, out, err, errlen);
    bex_index_hit hits[5];
    size_t nh;
    long long n;
    int searched;
    int rc = gate_search(gallery, live, out, hits, &nh, &n, &searched, err, errlen);
    if (rc != BEX_OK || !searched) return rc;
    /* the service's decision as sealed: its threshold for this gallery's size, or none */
    bex_match *m = &out->match;
    m->gallery_size = n;
    if (nh > 0) {
        m->subject = hits[0].subject_id;
        m->score = hits[0].score;
    }
    snprintf(m->operating_point, sizeof m->operating_point, "%s", info->operating_point);
    snprintf(m->calibration, sizeof m->calibration, "%s", info->calibration);
    m->calibration_id = info->calibration_id;
    if (n != info->gallery_size) { /* not the gallery the threshold was set for: no decision */
        snprintf(m->operating_point, sizeof m->operating_point, "the gallery holds %lld subjects, the threshold was "
                 "set for %lld: no 1:N decision", n, info->gallery_size);
        return BEX_OK;
    }
    if (!info->calibrated) return BEX_OK;
    m->calibrated = 1;
    m->threshold = info->threshold;
    m->match = nh > 0 && hits[0].score >= info->threshold;
    return BEX_OK;
}

/* ---- log lines ---- */

/* floats in a record's template, and the bytes of its sealed form */
static int rec_dim(const bex_gate_record *r) { return r->dim ? r->dim : BEX_TEMPLATE_DIM; }
static size_t rec_sealed(const bex_gate_record *r) { return 4 * (size_t)rec_dim(r) + 48; }

/* The line up to (not including) ,"sig": what is signed. */
static size_t line_body(const bex_gate_record *r, char out[BEX_GATE_LINE_MAX]) {
    if (r->dim < 0 || r->dim > BEX_TEMPLATE_MAX_DIM) return 0;
    if (!plain_text(r->model)) return 0;
    int k = snprintf(out, BEX_GATE_LINE_MAX, "{\"v\":%d,\"device\":\"%.31s\",\"seq\":%lld,\"at\":\"%.23s\","
                     "\"departure\":\"%.47s\",\"port\":\"%.7s\",\"decision\":\"%s\",\"subject\":%lld,%s%.127s%s\"template\":\"",
                     r->model[0] ? 3 : 2, r->device, (long long)r->seq, r->at, r->departure, r->port,
                     r->match ? "match" : "no_match", r->match ? (long long)r->subject : 0LL,
                     r->model[0] ? "\"model\":\"" : "", r->model, r->model[0] ? "\"," : "");
    if (k < 0 || (size_t)k + 2 * rec_sealed(r) + 2 >= BEX_GATE_LINE_MAX) return 0;
    hex(r->sealed, rec_sealed(r), out + k);
    k += 2 * (int)rec_sealed(r);
    out[k++] = '"';
    out[k] = 0;
    return (size_t)k;
}

size_t bex_gate_log_line(const bex_gate_record *r, char out[BEX_GATE_LINE_MAX]) {
    size_t k = line_body(r, out);
    if (!k || k + 8 + 128 + 3 >= BEX_GATE_LINE_MAX) {
        out[0] = 0;
        return 0;
    }
    memcpy(out + k, ",\"sig\":\"", 8);
    k += 8;
    hex(r->sig, 64, out + k);
    k += 128;
    memcpy(out + k, "\"}\n", 4);
    return k + 3;
}

int bex_gate_log_sign(bex_gate_record *r, const bex_gate_keys *k, char *err, size_t errlen) {
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    snprintf(r->device, sizeof r->device, "%s", k->device);
    int64_t t;
    if (r->seq < 1 || !name_ok(r->device) || bex_time_parse(r->at, &t) != BEX_OK || !port_ok(r->port) ||
        !plain_text(r->departure) || r->subject < 0) {
        snprintf(err, errlen, "a gate log line needs a sequence number from 1, a time, a port code, a departure "
                 "of plain characters");
        return BEX_ERR_ARG;
    }
    if (r->dim < 0 || r->dim > BEX_TEMPLATE_MAX_DIM) {
        snprintf(err, errlen, "a gate log line's template has %d floats: 1 to %d", r->dim, BEX_TEMPLATE_MAX_DIM);
        return BEX_ERR_ARG;
    }
    for (int i = 0; i < rec_dim(r); i++)
        if (!isfinite(r->template_[i])) {
            snprintf(err, errlen, "a gate log line's template is not numbers");
            return BEX_ERR_ARG;
        }
    if (crypto_box_seal(r->sealed, (const unsigned char *)r->template_, sizeof(float) * (size_t)rec_dim(r),
                        k->service_box_public) != 0) {
        snprintf(err, errlen, "cannot seal the template to the service");
        return BEX_ERR_ARG;
    }
    char body[BEX_GATE_LINE_MAX];
    size_t n = line_body(r, body);
    if (!n) {
        snprintf(err, errlen, "a gate log line too long");
        return BEX_ERR_ARG;
    }
    crypto_sign_detached(r->sig, NULL, (const unsigned char *)body, n, k->sign_secret);
    return BEX_OK;
}

int bex_gate_log_verify(const bex_gate_record *r, const unsigned char sign_public[32]) {
    char err[64];
    if (bex_crypto_init(err, sizeof err) != BEX_OK) return 0;
    char body[BEX_GATE_LINE_MAX];
    size_t n = line_body(r, body);
    return n && crypto_sign_verify_detached(r->sig, (const unsigned char *)body, n, sign_public) == 0;
}

int bex_gate_log_open(bex_gate_record *r, const unsigned char box_public[32], const unsigned char box_secret[32]) {
    char err[64];
    if (bex_crypto_init(err, sizeof err) != BEX_OK) return 0;
    if (r->dim < 0 || r->dim > BEX_TEMPLATE_MAX_DIM ||
        crypto_box_seal_open((unsigned char *)r->template_, r->sealed, rec_sealed(r), box_public, box_secret) != 0) {
        memset(r->template_, 0, sizeof r->template_);
        return 0;
    }
    for (int i = 0; i < rec_dim(r); i++)
        if (!isfinite(r->template_[i])) {
            memset(r->template_, 0, sizeof r->template_);
            return 0;
        }
    return 1;
}

/* A string member copied into dst; 0 when missing, not a string or too long. */
static int str_member(const cJSON *o, const char *key, char *dst, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) return 0;
    snprintf(dst, n, "%s", v->valuestring);
    return 1;
}

static int int_member(const cJSON *o, const char *key, int64_t *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15) return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

int bex_gate_log_parse(const char *line, bex_gate_record *out, char *err, size_t errlen) {
    bex_gate_record r;
    memset(&r, 0, sizeof r);
    size_t len = line ? strlen(line) : 0;
    if (!line || len >= BEX_GATE_LINE_MAX) {
        snprintf(err, errlen, "not a gate log line (%s)", line ? "too long" : "none");
        return BEX_ERR_FORMAT;
    }
    cJSON *o = cJSON_ParseWithLength(line, len);
    char at[40], decision[16], tmpl[2 * sizeof r.sealed + 1], sig[129];
    int64_t v = 0;
    const char *why = NULL;
    if (!cJSON_IsObject(o)) why = "not a JSON object";
    else if (!cJSON_GetObjectItemCaseSensitive(o, "sig") || !cJSON_GetObjectItemCaseSensitive(o, "v"))
        why = "an unsigned line (written before gates signed their logs): refused; register the gate "
              "device and let it sign its log";
    else if (!int_member(o, "v", &v) || (v != 2 && v != 3)) why = "a version other than 2 or 3";
    else if (v == 3 && (!str_member(o, "model", r.model, sizeof r.model) || !r.model[0]))
        why = "no model (a version-3 line names its template's model)";
    else if (!str_member(o, "device", r.device, sizeof r.device) || !name_ok(r.device)) why = "no device";
    else if (!int_member(o, "seq", &r.seq) || r.seq < 1) why = "no sequence number";
    else if (!str_member(o, "at", at, sizeof at) || bex_time_canonical(at, r.at) != BEX_OK) why = "no time";
    else if (!str_member(o, "departure", r.departure, sizeof r.departure)) why = "no departure field";
    else if (!str_member(o, "port", r.port, sizeof r.port) || !r.port[0]) why = "no port";
    else if (!str_member(o, "decision", decision, sizeof decision) ||
             (strcmp(decision, "match") && strcmp(decision, "no_match")))
        why = "no decision";
    else if (!int_member(o, "subject", &r.subject)) why = "no subject";
    else if (!str_member(o, "template", tmpl, sizeof tmpl) || strlen(tmpl) % 8 || strlen(tmpl) < 2 * (4 + 48) ||
             (r.dim = (int)((strlen(tmpl) / 2 - 48) / 4)) > BEX_TEMPLATE_MAX_DIM ||
             !unhex(tmpl, r.sealed, rec_sealed(&r)))
        why = "no sealed template";
    else if (!str_member(o, "sig", sig, sizeof sig) || !unhex(sig, r.sig, sizeof r.sig)) why = "no signature";
    if (!why) r.match = !strcmp(decision, "match");
    cJSON_Delete(o);
    if (!why) { /* only the form a gate writes: the bytes signed are the bytes read */
        char again[BEX_GATE_LINE_MAX];
        size_t n = bex_gate_log_line(&r, again);
        if (!n || n - 1 != len || memcmp(again, line, len)) why = "not in the form a gate writes it";
    }
    if (why) {
        snprintf(err, errlen, "not a gate log line: %s", why);
        return BEX_ERR_FORMAT;
    }
    *out = r;
    return BEX_OK;
}

/* ---- bex sync ---- */

/* A refused line: flagged for officers (with its departure when one is on record), audited. */
static int refuse(bex_store *st, bex_sync_result *res, bex_flag_kind kind, const char *why, char *err,
                  size_t errlen) {
    res->status = BEX_SYNC_REFUSED;
    snprintf(res->why, sizeof res->why, "%s", why);
    bex_flag_plan p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    snprintf(p.detail, sizeof p.detail, "gate log line refused by sync: %s", why);
    char at[24];
    if (res->line.at[0]) snprintf(at, sizeof at, "%s", res->line.at);
    else bex_time_now(at);
    int rc = bex__begin(st, err, errlen);
    bex_departure_info d;
    memset(&d, 0, sizeof d);
    if (rc == BEX_OK && res->line.departure[0]) rc = bex__departure(st, res->line.departure, &d, err, errlen);
    if (rc == BEX_OK)
        rc = bex__insert_flag(st, &p, 0, d.known ? res->line.departure : NULL, at, &res->flag, err, errlen);
    if (rc == BEX_OK) {
        char obj[64];
        snprintf(obj, sizeof obj, "gate %s seq %lld", res->line.device[0] ? res->line.device : "?",
                 (long long)res->line.seq);
        rc = bex__audit(st, "gate_log_refused", obj, why, err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_border_sync_line(bex_store *st, const char *line, bex_port_kind port_kind, bex_sync_result *res, char *err,
                         size_t errlen) {
    memset(res, 0, sizeof *res);
    int rc = bex_crypto_init(err, errlen);
    if (rc != BEX_OK) return rc;
    char why[160], perr[160];
    if (bex_gate_log_parse(line, &res->line, perr, sizeof perr) != BEX_OK) {
        memset(&res->line, 0, sizeof res->line);
        return refuse(st, res, BEX_FLAG_GATE_LOG_FORGED, perr, err, errlen);
    }
    const bex_gate_record *g = &res->line;
    bex_gate_device d;
    int found = 0;
    if ((rc = bex__gate_get(st, g->device, &d, &found, err, errlen)) != BEX_OK) return rc;
    if (!found) snprintf(why, sizeof why, "gate %s is not registered", g->device);
    else if (d.revoked_at[0]) snprintf(why, sizeof why, "gate %s was revoked at %s", g->device, d.revoked_at);
    else if (d.port[0] && strcmp(d.port, g->port))
        snprintf(why, sizeof why, "gate %s serves port %s, the line says %s", g->device, d.port, g->port);
    else if (!bex_gate_log_verify(g, d.sign_public))
        snprintf(why, sizeof why, "line %lld's signature does not verify with gate %s's key (forged or altered)",
                 (long long)g->seq, g->device);
    else why[0] = 0;
    if (why[0]) return refuse(st, res, BEX_FLAG_GATE_LOG_FORGED, why, err, errlen);
    bex__service_keys svc; /* a registered gate implies the service's keys */
    char now[24];
    bex_time_now(now);
    rc = bex__service_key(st, NULL, now, &svc, err, errlen);
    int opened = rc == BEX_OK && bex_gate_log_open(&res->line, svc.box_public, svc.box_secret);
    sodium_memzero(&svc, sizeof svc);
    if (rc != BEX_OK) return rc;
    if (!opened) {
        snprintf(why, sizeof why, "line %lld's template does not open with the service's key (sealed to another "
                 "service, or no template)", (long long)g->seq);
        return refuse(st, res, BEX_FLAG_GATE_LOG_FORGED, why, err, errlen);
    }
    unsigned char h[32], seen_h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)line, strlen(line), NULL, 0);
    int seen = 0;
    if ((rc = bex__gate_line_seen(st, d.id, g->seq, seen_h, &seen, err, errlen)) != BEX_OK) return rc;
    if (seen && !sodium_memcmp(seen_h, h, 32)) {
        res->status = BEX_SYNC_ALREADY;
        return BEX_OK;
    }
    if (seen) {
        snprintf(why, sizeof why, "gate %s's sequence number %lld was synced before with another line (replayed)",
                 g->device, (long long)g->seq);
        return refuse(st, res, BEX_FLAG_GATE_LOG_REPLAYED, why, err, errlen);
    }
    if (g->seq <= d.last_seq) {
        snprintf(why, sizeof why, "gate %s's sequence number %lld comes after %lld was synced (out of order or "
                 "replayed)", g->device, (long long)g->seq, (long long)d.last_seq);
        return refuse(st, res, BEX_FLAG_GATE_LOG_REPLAYED, why, err, errlen);
    }
    /* verified: decided again by the store and recorded (an exit recorded already, after a sync
       that stopped between the two transactions, is found by `once`), then remembered */
    bex_exit_request rq = {.live = g->template_, .live_quality = NAN, .port = g->port, .port_kind = port_kind,
                           .departure = g->departure[0] ? g->departure : NULL, .at = g->at, .once = 1,
                           .dim = g->dim, .model = g->model[0] ? g->model : NULL};
    /* the template's model must be the store's: a "v":3 line names it; a "v":2 line is the
     * built-in model's (another length or model than the store's: refused, nothing recorded) */
    if (!g->model[0] && !bex_model_is_builtin(bex_store_model(st))) {
        snprintf(err, errlen, "gate %s's line %lld holds a template of the built-in model; the store was opened with "
                 "model \"%s\": sync it with the model the gate used", g->device, (long long)g->seq, bex_store_model(st));
        return BEX_ERR_ARG;
    }
    if ((rc = bex_border_exit(st, &rq, &res->exit, err, errlen)) != BEX_OK) return rc;
    rc = bex__begin(st, err, errlen);
    if (rc == BEX_OK) rc = bex__gate_line_accept(st, d.id, g->seq, h, res->exit.encounter, now, err, errlen);
    if ((rc = bex__end(st, rc, NULL, err, errlen)) != BEX_OK) return rc;
    res->status = res->exit.already ? BEX_SYNC_ALREADY : BEX_SYNC_RECORDED;
    return BEX_OK;
}
