/*
 * weights.c - loads tfjs weight manifests (the JSON list of tensors) and their .bin shards
 * into one float array, dequantising uint8 / uint16 tensors, and hands out tensors by name
 * with a shape check.
 *
 * A manifest is outside input: its size, the number, rank and element count of its tensors
 * are capped, every size is overflow-checked, shard paths may not leave the manifest's
 * folder, and the shards must hold exactly the bytes the manifest describes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/nn.h"
#include "util/util.h"

#define MAX_MANIFEST_BYTES (16u << 20) /* 16 MiB of JSON */
#define MAX_TENSORS 65536
#define MAX_RANK 8
#define MAX_NAME 512
#define MAX_PATH_LEN 4096
#define MAX_ELEMENTS ((size_t)1 << 28) /* 1 GiB of floats in all */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weights.c reads the little-endian .bin format directly; add byte swapping"
#endif

/* a BEX_ERR_MODEL with its message (inside functions that have err, errlen) */
#define BAD_MODEL(...) bex__fail(err, errlen, BEX_ERR_MODEL, __VA_ARGS__)

typedef enum { ST_F32, ST_I32, ST_U8, ST_U16, ST_F16 } stored_type;

typedef struct tensor_info {
    char *name;
    int rank;
    int dims[MAX_RANK];
    size_t count; /* elements */
    size_t offset; /* into data, floats; 16-float (64-byte) aligned */
    stored_type st;
    int to_int; /* int32 tensors: round dequantised values, as tfjs */
    double scale, min;
} tensor_info;

struct nn_weights {
    char *path; /* the manifest, for messages */
    int n;
    tensor_info *t;
    float *data; /* 64-byte aligned */
};

static size_t stored_size(stored_type st) {
    switch (st) {
    case ST_U8: return 1;
    case ST_U16:
    case ST_F16: return 2;
    default: return 4;
    }
}

/* ---------------------------------------------------------------- files */

/* Reads a whole file of at most max bytes; *len gets its size. BEX_ERR_IO if it cannot be
 * read, BEX_ERR_MODEL if larger than max. */
static int read_file(const char *path, size_t max, char **out, size_t *len, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) return bex__fail(err, errlen, BEX_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: not a regular file", path);
    }
    if ((unsigned long long)sb.st_size > max) {
        fclose(f);
        return BAD_MODEL("%s: %lld bytes, more than the limit of %zu", path, (long long)sb.st_size,
                         max);
    }
    size_t n = (size_t)sb.st_size;
    char *buf = bex__malloc(n + 1);
    if (!buf) {
        fclose(f);
        return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    int more = fgetc(f) != EOF; /* grew since fstat */
    int bad = ferror(f);
    fclose(f);
    if (got != n || more || bad) {
        bex__free(buf);
        return bex__fail(err, errlen, BEX_ERR_IO, "%s: could not read %zu bytes", path, n);
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return BEX_OK;
}

/* dir of the manifest + "/" + rel, refusing absolute paths and ".." components. */
static int shard_path(const char *manifest, const char *rel, char *out, size_t outlen, char *err,
                      size_t errlen) {
    if (!*rel || rel[0] == '/' || strlen(rel) > MAX_PATH_LEN)
        return BAD_MODEL("%s: invalid weights path \"%.64s\"", manifest, rel);
    for (const char *p = rel; *p;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return BAD_MODEL("%s: weights path \"%.64s\" leaves the manifest's folder", manifest,
                             rel);
        p += l + (e ? 1 : 0);
    }
    const char *slash = strrchr(manifest, '/');
    int dl = slash ? (int)(slash - manifest) + 1 : 0;
    int n = snprintf(out, outlen, "%.*s%s", dl, manifest, rel);
    if (n < 0 || (size_t)n >= outlen) return BAD_MODEL("%s: weights path too long", manifest);
    return BEX_OK;
}

/* ---------------------------------------------------------------- the manifest */

static int parse_tensor(const char *mpath, const cJSON *j, tensor_info *t, char *err,
                        size_t errlen) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(j, "shape");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(j, "dtype");
    if (!cJSON_IsObject(j) || !cJSON_IsString(name) || !*name->valuestring ||
        strlen(name->valuestring) > MAX_NAME)
        return BAD_MODEL("%s: a weight entry has no valid name", mpath);
    const char *nm = name->valuestring;
    if (!cJSON_IsArray(shape)) return BAD_MODEL("%s: tensor %s has no shape", mpath, nm);
    if (!cJSON_IsString(dtype)) return BAD_MODEL("%s: tensor %s has no dtype", mpath, nm);
    int rank = cJSON_GetArraySize(shape);
    if (rank > MAX_RANK)
        return BAD_MODEL("%s: tensor %s has rank %d (limit %d)", mpath, nm, rank, MAX_RANK);
    size_t count = 1;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, shape) {
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > INT32_MAX ||
            d->valuedouble != floor(d->valuedouble))
            return BAD_MODEL("%s: tensor %s has an invalid shape", mpath, nm);
        t->dims[i++] = (int)d->valuedouble;
        if (!bex__mul_size(count, (size_t)d->valuedouble, &count) || count > MAX_ELEMENTS)
            return BAD_MODEL("%s: tensor %s is too large", mpath, nm);
    }
    t->rank = rank;
    t->count = count;
    if (strcmp(dtype->valuestring, "float32") == 0)
        t->to_int = 0;
    else if (strcmp(dtype->valuestring, "int32") == 0)
        t->to_int = 1;
    else
        return BAD_MODEL("%s: tensor %s has unsupported dtype \"%.32s\"", mpath, nm,
                         dtype->valuestring);
    t->st = t->to_int ? ST_I32 : ST_F32;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(j, "quantization");
    if (q && !cJSON_IsNull(q)) {
        const cJSON *qd = cJSON_GetObjectItemCaseSensitive(q, "dtype");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(q, "scale");
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(q, "min");
        if (!cJSON_IsObject(q) || !cJSON_IsString(qd))
            return BAD_MODEL("%s: tensor %s has an invalid quantization", mpath, nm);
        if (strcmp(qd->valuestring, "float16") == 0) {
            t->st = ST_F16;
        } else {
            if (strcmp(qd->valuestring, "uint8") == 0)
                t->st = ST_U8;
            else if (strcmp(qd->valuestring, "uint16") == 0)
                t->st = ST_U16;
            else
                return BAD_MODEL("%s: tensor %s has unsupported quantization dtype \"%.32s\"",
                                 mpath, nm, qd->valuestring);
            if (!cJSON_IsNumber(sc) || !cJSON_IsNumber(mn) || !isfinite(sc->valuedouble) ||
                !isfinite(mn->valuedouble))
                return BAD_MODEL("%s: tensor %s lacks a numeric quantization scale and min", mpath,
                                 nm);
            t->scale = sc->valuedouble;
            t->min = mn->valuedouble;
        }
    }
    t->name = bex__malloc(strlen(nm) + 1);
    if (!t->name) return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", mpath);
    strcpy(t->name, nm);
    return BEX_OK;
}

static float half_to_float(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0    ? ldexpf((float)m, -24)
              : e == 31 ? (m ? NAN : INFINITY)
                        : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Turns the stored bytes of one tensor into floats. */
static void decode(const tensor_info *t, const unsigned char *src, float *dst) {
    size_t n = t->count;
    switch (t->st) {
    case ST_F32: memcpy(dst, src, n * 4); break;
    case ST_I32:
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            dst[i] = (float)v;
        }
        break;
    case ST_F16:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, src + 2 * i, 2);
            dst[i] = half_to_float(v);
        }
        break;
    case ST_U8:
    case ST_U16:
        for (size_t i = 0; i < n; i++) {
            unsigned q = t->st == ST_U8 ? src[i] : (unsigned)(src[2 * i] | src[2 * i + 1] << 8);
            double v = q * t->scale + t->min; /* as tfjs: in double, then stored as float32 */
            dst[i] = (float)(t->to_int ? round(v) : v);
        }
        break;
    }
}

/* Reads the shards of one group (concatenated, in order) and decodes its tensors. */
static int load_group(const char *mpath, const cJSON *paths, tensor_info *t, int nt, size_t bytes,
                      float *data, char *err, size_t errlen) {
    if (!cJSON_IsArray(paths) || cJSON_GetArraySize(paths) < 1)
        return BAD_MODEL("%s: a weight group has no paths", mpath);
    unsigned char *buf = bex__malloc(bytes ? bytes : 1);
    if (!buf) return bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", mpath);
    size_t have = 0;
    int rc = BEX_OK;
    char path[MAX_PATH_LEN + 256] = "";
    const cJSON *p;
    cJSON_ArrayForEach(p, paths) {
        if (!cJSON_IsString(p)) {
            rc = BAD_MODEL("%s: a weights path is not a string", mpath);
            break;
        }
        if ((rc = shard_path(mpath, p->valuestring, path, sizeof path, err, errlen)) != BEX_OK)
            break;
        char *sh;
        size_t len;
        rc = read_file(path, bytes - have, &sh, &len, err, errlen);
        if (rc == BEX_ERR_MODEL) {
            rc = BAD_MODEL("%s: longer than the %zu bytes manifest %s describes", path, bytes,
                           mpath);
            break;
        }
        if (rc != BEX_OK) break;
        memcpy(buf + have, sh, len);
        have += len;
        bex__free(sh);
    }
    if (rc == BEX_OK && have != bytes) {
        size_t off = 0;
        const char *first_missing = "?";
        for (int i = 0; i < nt; i++) {
            off += t[i].count * stored_size(t[i].st);
            if (off > have) {
                first_missing = t[i].name;
                break;
            }
        }
        rc = BAD_MODEL("%s: %zu bytes in all, manifest %s describes %zu (tensor %s is cut off)",
                       path, have, mpath, bytes, first_missing);
    }
    if (rc == BEX_OK) {
        size_t off = 0;
        for (int i = 0; i < nt; i++) {
            decode(&t[i], buf + off, data + t[i].offset);
            off += t[i].count * stored_size(t[i].st);
        }
    }
    bex__free(buf);
    return rc;
}

void nn_weights_free(nn_weights *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) bex__free(w->t[i].name);
    bex__free(w->t);
    bex__free(w->path);
    bex__free_aligned(w->data);
    bex__free(w);
}

int nn_weights_load(const char *manifest_path, nn_weights **out, char *err, size_t errlen) {
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    nn_weights *w = NULL;
    int rc = read_file(manifest_path, MAX_MANIFEST_BYTES, &text, &len, err, errlen);
    if (rc != BEX_OK) return rc;
    root = cJSON_ParseWithLength(text, len);
    /* A tfjs graph model (model.json) nests the manifest under "weightsManifest". */
    cJSON *groups = root;
    if (root && cJSON_IsObject(root)) groups = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
    if (!groups || !cJSON_IsArray(groups)) {
        rc = BAD_MODEL("%s: not a JSON array of weight groups (nor a graph model with one)", manifest_path);
        goto done;
    }
    /* Count the tensors, so the table is allocated once. */
    int total = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, groups) {
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(g, "weights");
        if (!cJSON_IsObject(g) || !cJSON_IsArray(ws)) {
            rc = BAD_MODEL("%s: a weight group has no \"weights\" list", manifest_path);
            goto done;
        }
        total += cJSON_GetArraySize(ws);
        if (total > MAX_TENSORS) {
            rc = BAD_MODEL("%s: more than %d tensors", manifest_path, MAX_TENSORS);
            goto done;
        }
    }
    w = bex__calloc(1, sizeof *w);
    if (!w || !(w->t = bex__calloc(total ? (size_t)total : 1, sizeof *w->t)) ||
        !(w->path = bex__malloc(strlen(manifest_path) + 1))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", manifest_path);
        goto done;
    }
    strcpy(w->path, manifest_path);
    /* Parse every entry and lay the tensors out, each 64-byte aligned. */
    size_t floats = 0;
    cJSON_ArrayForEach(g, groups) {
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(g, "weights")) {
            tensor_info *t = &w->t[w->n];
            if ((rc = parse_tensor(manifest_path, e, t, err, errlen)) != BEX_OK) goto done;
            w->n++;
            for (int i = 0; i < w->n - 1; i++)
                if (strcmp(w->t[i].name, t->name) == 0) {
                    rc = BAD_MODEL("%s: tensor %s appears twice", manifest_path, t->name);
                    goto done;
                }
            t->offset = floats;
            floats += (t->count + 15) & ~(size_t)15;
            if (floats > MAX_ELEMENTS) {
                rc = BAD_MODEL("%s: more than %zu weights in all", manifest_path, MAX_ELEMENTS);
                goto done;
            }
        }
    }
    if (!(w->data = bex__malloc_aligned((floats ? floats : 1) * sizeof(float)))) {
        rc = bex__fail(err, errlen, BEX_ERR_NOMEM, "%s: out of memory", manifest_path);
        goto done;
    }
    /* Read each group's shards. */
    int first = 0;
    cJSON_ArrayForEach(g, groups) {
        int nt = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "weights"));
        size_t bytes = 0;
        for (int i = first; i < first + nt; i++) bytes += w->t[i].count * stored_size(w->t[i].st);
        rc = load_group(manifest_path, cJSON_GetObjectItemCaseSensitive(g, "paths"), w->t + first,
                        nt, bytes, w->data, err, errlen);
        if (rc != BEX_OK) goto done;
        first += nt;
    }
done:
    cJSON_Delete(root);
    bex__free(text);
    if (rc != BEX_OK) {
        nn_weights_free(w);
        return rc;
    }
    *out = w;
    return BEX_OK;
}

/* ---------------------------------------------------------------- lookup */

static void shape_str(const int *d, int rank, char *buf, size_t len) {
    size_t o = 0;
    buf[0] = 0;
    o += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, i ? ", %d" : "%d", d[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

const float *nn_weights_get(const nn_weights *w, const char *name, int rank, const int *dims,
                            int *shape_out, char *err, size_t errlen) {
    const tensor_info *t = NULL;
    for (int i = 0; w && name && i < w->n; i++)
        if (strcmp(w->t[i].name, name) == 0) {
            t = &w->t[i];
            break;
        }
    if (!t) {
        BAD_MODEL("%s: no tensor %s", w ? w->path : "weights", name ? name : "(null)");
        return NULL;
    }
    int ok = t->rank == rank;
    for (int i = 0; ok && i < rank; i++)
        if (dims && dims[i] != -1 && dims[i] != t->dims[i]) ok = 0;
    if (!ok) {
        char have[128], want[128];
        shape_str(t->dims, t->rank, have, sizeof have);
        if (dims && rank >= 0 && rank <= MAX_RANK)
            shape_str(dims, rank, want, sizeof want);
        else
            snprintf(want, sizeof want, "rank %d", rank);
        BAD_MODEL("%s: tensor %s has shape %s, expected %s", w->path, name, have, want);
        return NULL;
    }
    if (shape_out)
        for (int i = 0; i < rank; i++) shape_out[i] = t->dims[i];
    return w->data + t->offset;
}

int nn_weights_count(const nn_weights *w) { return w ? w->n : 0; }
