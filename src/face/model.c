/*
 * model.c - model description files (include/bex/model.h): the parser, with a limit on every
 * field, and the identity that templates carry (SHA-256 over the ONNX file and the
 * preprocessing). Reads files but runs nothing: the recognizer (recognizer_onnx.c) loads the
 * network a description names.
 */
#include "bex/model.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const char *const builtin_ids[2] = {"face-api.js@1.7.15 resnet34-128 similarity",
                                           "face-api.js@1.7.15 resnet34-128 faceapi"};

const char *bex_model_builtin_identity(int align) { return builtin_ids[align == 1 ? 1 : 0]; }

int bex_model_is_builtin(const char *identity) {
    return identity && (!strcmp(identity, builtin_ids[0]) || !strcmp(identity, builtin_ids[1]));
}

static const char *alignment_name(bex_model_alignment a) {
    return a == BEX_MODEL_ALIGN_ARCFACE112 ? "arcface-112" : "dlib-150";
}

/* a name or version: 1..max characters of [A-Za-z0-9._-] */
static int token_ok(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n < 1 || n > max) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int three_numbers(const cJSON *a, float out[3], int positive) {
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3) return 0;
    for (int i = 0; i < 3; i++) {
        const cJSON *x = cJSON_GetArrayItem(a, i);
        if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 1e6) return 0;
        if (positive && !(x->valuedouble > 0)) return 0;
        out[i] = (float)x->valuedouble;
    }
    return 1;
}

static int string_field(const cJSON *o, const char *key, const char *where, const char **out, char *err,
                        size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring)
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: %s\"%s\" must be a string", where, key);
    *out = v->valuestring;
    return BEX_OK;
}

static int int_field(const cJSON *o, const char *key, const char *where, int lo, int hi, int *out, char *err,
                     size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: %s\"%s\" must be a whole number from %d to %d",
                         where, key, lo, hi);
    *out = (int)v->valuedouble;
    return BEX_OK;
}

/* refuses keys not in the list: a misspelt key would otherwise be silently unused */
static int only_keys(const cJSON *o, const char *const *keys, const char *where, char *err, size_t errlen) {
    for (const cJSON *c = o->child; c; c = c->next) {
        int known = 0;
        for (int i = 0; keys[i] && !known; i++) known = c->string && !strcmp(c->string, keys[i]);
        if (!known)
            return bex__fail(err, errlen, BEX_ERR_ARG, "model description: unknown key %s\"%.40s\"", where,
                             c->string ? c->string : "");
    }
    return BEX_OK;
}

static int parse_root(const cJSON *root, const char *dir, const char *desc_path, bex_model *m, char *err,
                      size_t errlen) {
    static const char *const top[] = {"name", "version", "onnx", "input", "alignment", "embedding", "output",
                                      "license", "comment", NULL};
    static const char *const inp[] = {"width", "height", "channels", "layout", "mean", "std", NULL};
    if (!cJSON_IsObject(root))
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: the file must hold one JSON object");
    int rc = only_keys(root, top, "", err, errlen);
    const char *s = NULL;
    if (rc == BEX_OK && (rc = string_field(root, "name", "", &s, err, errlen)) == BEX_OK) {
        if (!token_ok(s, sizeof m->name - 1))
            return bex__fail(err, errlen, BEX_ERR_ARG, "model description: \"name\" must be 1 to %zu of A-Z a-z 0-9 . _ -",
                             sizeof m->name - 1);
        snprintf(m->name, sizeof m->name, "%s", s);
    }
    if (rc == BEX_OK && (rc = string_field(root, "version", "", &s, err, errlen)) == BEX_OK) {
        if (!token_ok(s, sizeof m->version - 1))
            return bex__fail(err, errlen, BEX_ERR_ARG,
                             "model description: \"version\" must be 1 to %zu of A-Z a-z 0-9 . _ -", sizeof m->version - 1);
        snprintf(m->version, sizeof m->version, "%s", s);
    }
    if (rc == BEX_OK && (rc = string_field(root, "onnx", "", &s, err, errlen)) == BEX_OK) {
        if (!*s || strlen(s) > 1024 || memchr(s, '\n', strlen(s)))
            return bex__fail(err, errlen, BEX_ERR_ARG, "model description: \"onnx\" must be a file name (1 to 1024 bytes)");
        int n = s[0] == '/' || !dir || !*dir ? snprintf(m->onnx, sizeof m->onnx, "%s", s)
                                             : snprintf(m->onnx, sizeof m->onnx, "%s/%s", dir, s);
        if (n < 0 || (size_t)n >= sizeof m->onnx)
            return bex__fail(err, errlen, BEX_ERR_LIMIT, "model description: the ONNX file's path is too long");
    }
    if (rc != BEX_OK) return rc;
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(root, "input");
    if (!cJSON_IsObject(in)) return bex__fail(err, errlen, BEX_ERR_ARG, "model description: \"input\" must be an object");
    if ((rc = only_keys(in, inp, "input.", err, errlen)) != BEX_OK) return rc;
    if ((rc = int_field(in, "width", "input.", 16, BEX_MODEL_MAX_INPUT, &m->width, err, errlen)) != BEX_OK) return rc;
    if ((rc = int_field(in, "height", "input.", 16, BEX_MODEL_MAX_INPUT, &m->height, err, errlen)) != BEX_OK) return rc;
    if ((rc = string_field(in, "channels", "input.", &s, err, errlen)) != BEX_OK) return rc;
    if (strcmp(s, "rgb") && strcmp(s, "bgr"))
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: input.channels must be \"rgb\" or \"bgr\"");
    m->bgr = !strcmp(s, "bgr");
    if ((rc = string_field(in, "layout", "input.", &s, err, errlen)) != BEX_OK) return rc;
    if (strcmp(s, "nchw") && strcmp(s, "nhwc"))
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: input.layout must be \"nchw\" or \"nhwc\"");
    m->nhwc = !strcmp(s, "nhwc");
    if (!three_numbers(cJSON_GetObjectItemCaseSensitive(in, "mean"), m->mean, 0))
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: input.mean must be three numbers");
    if (!three_numbers(cJSON_GetObjectItemCaseSensitive(in, "std"), m->std, 1))
        return bex__fail(err, errlen, BEX_ERR_ARG, "model description: input.std must be three numbers above 0");
    if ((rc = string_field(root, "alignment", "", &s, err, errlen)) != BEX_OK) return rc;
    if (!strcmp(s, "arcface-112")) m->alignment = BEX_MODEL_ALIGN_ARCFACE112;
    else if (!strcmp(s, "dlib-150")) m->alignment = BEX_MODEL_ALIGN_DLIB150;
    else return bex__fail(err, errlen, BEX_ERR_ARG, "model description: \"alignment\" must be \"arcface-112\" or \"dlib-150\"");
    if ((rc = int_field(root, "embedding", "", 1, BEX_MODEL_MAX_DIM, &m->embedding, err, errlen)) != BEX_OK) return rc;
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(root, "output");
    if (!out) {
        m->output[0] = 0;
        m->output_index = 0;
    } else if (cJSON_IsString(out) && out->valuestring && *out->valuestring &&
               strlen(out->valuestring) < sizeof m->output) {
        snprintf(m->output, sizeof m->output, "%s", out->valuestring);
    } else if ((rc = int_field(root, "output", "", 0, 63, &m->output_index, err, errlen)) != BEX_OK) {
        return bex__fail(err, errlen, BEX_ERR_ARG,
                         "model description: \"output\" must be the output's name (1 to %zu bytes) or its index (0 to 63)",
                         sizeof m->output - 1);
    }
    for (const char *k = "license"; k; k = strcmp(k, "license") ? NULL : "comment") {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, k);
        if (v && !cJSON_IsString(v)) return bex__fail(err, errlen, BEX_ERR_ARG, "model description: \"%s\" must be a string", k);
    }
    m->calibration[0] = 0;
    if (desc_path) {
        size_t n = strlen(desc_path);
        if (n > 5 && !strcmp(desc_path + n - 5, ".json")) n -= 5;
        if (snprintf(m->calibration, sizeof m->calibration, "%.*s.calibration.json", (int)n, desc_path) >=
            (int)sizeof m->calibration)
            return bex__fail(err, errlen, BEX_ERR_LIMIT, "model description: its path is too long");
    }
    m->identity[0] = 0;
    return BEX_OK;
}

int bex_model_parse(const char *json, size_t len, const char *dir, const char *desc_path, bex_model *out, char *err,
                    size_t errlen) {
    if (!json || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_model_parse: NULL argument");
    if (len > BEX_MODEL_DESC_MAX_BYTES)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "model description: %zu bytes, more than the %d allowed", len,
                         BEX_MODEL_DESC_MAX_BYTES);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) return bex__fail(err, errlen, BEX_ERR_FORMAT, "model description: not JSON");
    bex_model *m = bex__malloc(sizeof *m);
    int rc = m ? BEX_OK : bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    if (rc == BEX_OK) {
        memset(m, 0, sizeof *m);
        rc = parse_root(root, dir, desc_path, m, err, errlen);
    }
    if (rc == BEX_OK) *out = *m;
    bex__free(m);
    cJSON_Delete(root);
    return rc;
}

int bex_model_identity(const bex_model *m, const unsigned char onnx_sha256[32], char *out, size_t outlen) {
    char canon[512];
    int n = snprintf(canon, sizeof canon,
                     "bex model v1\nwidth %d\nheight %d\nchannels %s\nlayout %s\nmean %.9g %.9g %.9g\n"
                     "std %.9g %.9g %.9g\nalignment %s\nembedding %d\noutput %s#%d\n",
                     m->width, m->height, m->bgr ? "bgr" : "rgb", m->nhwc ? "nhwc" : "nchw", m->mean[0], m->mean[1],
                     m->mean[2], m->std[0], m->std[1], m->std[2], alignment_name(m->alignment), m->embedding,
                     m->output, m->output[0] ? 0 : m->output_index);
    if (n < 0 || (size_t)n >= sizeof canon) return BEX_ERR_LIMIT;
    struct sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    sha256_update(&c, 32, onnx_sha256);
    sha256_update(&c, (size_t)n, (const uint8_t *)canon);
    sha256_digest(&c, sizeof d, d);
    char hex[33];
    for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    n = snprintf(out, outlen, "%s@%s %s sha256:%s", m->name, m->version, alignment_name(m->alignment), hex);
    return n < 0 || (size_t)n >= outlen ? BEX_ERR_LIMIT : BEX_OK;
}

int bex_model_load(const char *path, bex_model *out, char *err, size_t errlen) {
    if (!path || !out) return bex__fail(err, errlen, BEX_ERR_ARG, "bex_model_load: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f) return bex__fail(err, errlen, BEX_ERR_IO, "cannot open the model description %s: %s", path, strerror(errno));
    char *text = bex__malloc(BEX_MODEL_DESC_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    size_t len = fread(text, 1, BEX_MODEL_DESC_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0;
    else dir[0] = 0;
    bex_model m;
    int rc = bad ? bex__fail(err, errlen, BEX_ERR_IO, "cannot read %s", path)
                 : bex_model_parse(text, len, dir, path, &m, err, errlen);
    bex__free(text);
    if (rc != BEX_OK) {
        if (rc != BEX_ERR_IO && rc != BEX_ERR_NOMEM) { /* say which file */
            char e2[512];
            snprintf(e2, sizeof e2, "%s: %s", path, err);
            snprintf(err, errlen, "%s", e2);
        }
        return rc;
    }
    f = fopen(m.onnx, "rb");
    if (!f)
        return bex__fail(err, errlen, BEX_ERR_IO, "%s names the ONNX file %s, which cannot be opened: %s", path, m.onnx,
                         strerror(errno));
    struct sha256_ctx c;
    sha256_init(&c);
    unsigned char *buf = bex__malloc(1 << 20);
    if (!buf) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "out of memory");
    }
    size_t n;
    while ((n = fread(buf, 1, 1 << 20, f)) > 0) sha256_update(&c, n, buf);
    bad = ferror(f);
    fclose(f);
    bex__free(buf);
    if (bad) return bex__fail(err, errlen, BEX_ERR_IO, "cannot read %s", m.onnx);
    uint8_t d[32];
    sha256_digest(&c, sizeof d, d);
    if (bex_model_identity(&m, d, m.identity, sizeof m.identity) != BEX_OK)
        return bex__fail(err, errlen, BEX_ERR_LIMIT, "%s: the model's identity is too long", path);
    *out = m;
    return BEX_OK;
}
