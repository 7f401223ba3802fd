/*
 * eval_data.c - the LFW image set behind `bex eval`: pairs and people files, embedding on
 * several threads, and the template cache (cli/eval.h).
 *
 * Cache file (--cache FILE): a header, then one record per image that had a readable file:
 *   "BEXEVC04" | u32 record size | u32 alignment | u64 models fingerprint | u32 variant |
 *   u32 lighting retry | u32 flip | u32 wide-pad retry | u64 count | u32 template floats (dim) |
 *   char model[BEX_MODEL_ID_MAX] (the identity, NUL-padded)
 *   count x { char key[256] ("Name/Name_0001.jpg") | the eval_img fields after path, up to tx |
 *             with --model: dim floats, its template }
 * Native byte order and struct layout: a cache is for the machine and build that wrote it.
 * A header that does not match (other alignment, variant, lighting retry, flip, weights or bex
 * build) is ignored and the images are embedded again. It is written to FILE.tmp and renamed
 * over FILE. The model identity (model.h: the built-in model's for the alignment, or --model's,
 * which hashes its ONNX file and preprocessing) keys the cache too, so two models' templates
 * never mix; a cache of another model is neither read nor overwritten: keep one file per model.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bex/image.h"
#include "cli.h"
#include "eval.h"

/* 03: the record holds the flip template beside the plain one (t_alt), whether a retry found
 * the face, and second_ratio as bex_capture_other_face measures it (01 held the raw box width
 * ratio, whose several-faces counts would be the old rule's); 04: the header names the
 * recognition model and its template length, and a --model template follows each record */
#define CACHE_MAGIC "BEXEVC04"
#define KEY_LEN 256
/* the cached part of an eval_img: everything after path, up to tx (a --model template, tx,
 * follows it in the record) */
#define REC_OFF offsetof(eval_img, found)
#define REC_LEN (offsetof(eval_img, tx) - REC_OFF)

unsigned long long eval_rng(unsigned long long *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

const char *eval_align_name(bex_align a) {
    return a == BEX_ALIGN_FACEAPI ? "faceapi" : a == BEX_ALIGN_KEYPOINTS ? "keypoints" : a == BEX_ALIGN_FACEMESH ? "facemesh" : "similarity";
}

float eval_dot(const float *a, const float *b) {
    float acc[8] = {0};
    for (int i = 0; i < BEX_TEMPLATE_DIM; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

float eval_similarity(const eval_set *s, const eval_img *a, const eval_img *b) {
    const float *ta = eval_template(a), *tb = eval_template(b);
    return s->dim == BEX_TEMPLATE_DIM ? bex_template_similarity(ta, tb) : bex_template_similarity_dim(ta, tb, s->dim);
}

void eval_set_free(eval_set *s) {
    for (int i = 0; s->imgs && i < s->n; i++) free(s->imgs[i].tx);
    free(s->imgs);
    s->imgs = NULL;
}

float eval_dot_n(const float *a, const float *b, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++) acc[k] += a[i + k] * b[i + k];
    for (int k = 0; i < n; i++, k++) acc[k] += a[i] * b[i];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

int eval_image_index(eval_set *s, const char *root, const char *name, int num) {
    char path[1024];
    int len = snprintf(path, sizeof path, "%s/lfw-deepfunneled/", root);
    s->root_len = (size_t)len;
    snprintf(path + len, sizeof path - (size_t)len, "%s/%s_%04d.jpg", name, name, num);
    for (int i = s->n - 1; i >= 0 && i >= s->n - 4; i--) /* pairs repeat recent images */
        if (!strcmp(s->imgs[i].path, path)) return i;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->imgs[i].path, path)) return i;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 1024;
        eval_img *p = realloc(s->imgs, sizeof *p * (size_t)cap);
        if (!p) return -1;
        s->imgs = p;
        s->cap = cap;
    }
    memset(&s->imgs[s->n], 0, sizeof s->imgs[s->n]);
    snprintf(s->imgs[s->n].path, sizeof s->imgs[s->n].path, "%s", path);
    return s->n++;
}

eval_pair *eval_read_pairs(const char *file, const char *root, eval_set *s, int per_fold, int *n,
                           int *folds) {
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", file, strerror(errno));
        return NULL;
    }
    char line[512];
    int per = 0;
    if (!fgets(line, sizeof line, f) || sscanf(line, "%d %d", folds, &per) != 2 || *folds < 2 ||
        *folds > 100 || per < 1 || per > 100000) {
        fprintf(stderr, "bex: %s is not an LFW View 2 pairs file (its first line should be \"10 300\")\n", file);
        fclose(f);
        return NULL;
    }
    eval_pair *p = malloc(sizeof *p * (size_t)*folds * per * 2);
    *n = 0;
    int k = 0;
    while (p && fgets(line, sizeof line, f)) {
        char n1[256], n2[256];
        int i, j, fold = k / (2 * per), mated = (k % (2 * per)) < per, within = k % per;
        int keep = per_fold <= 0 || within < per_fold;
        eval_pair e = {0, 0, mated, fold};
        if (strspn(line, " \t\r\n") == strlen(line)) continue; /* blank lines */
        if (k >= *folds * per * 2) { k++; break; }
        if (sscanf(line, "%255s %d %255s %d", n1, &i, n2, &j) == 4 && !mated) {
            if (keep) e.a = eval_image_index(s, root, n1, i), e.b = eval_image_index(s, root, n2, j);
        } else if (sscanf(line, "%255s %d %d", n1, &i, &j) == 3 && mated) {
            if (keep) e.a = eval_image_index(s, root, n1, i), e.b = eval_image_index(s, root, n1, j);
        } else {
            fprintf(stderr, "bex: %s: line %d is not a %s pair\n", file, k + 2, mated ? "mated" : "non-mated");
            free(p);
            fclose(f);
            return NULL;
        }
        k++;
        if (e.a < 0 || e.b < 0) { free(p); p = NULL; break; }
        if (keep) p[(*n)++] = e;
    }
    fclose(f);
    if (!p) fprintf(stderr, "bex: out of memory reading %s\n", file);
    else if (k != *folds * per * 2) {
        fprintf(stderr, "bex: %s has %s pairs than its header promises (%d)\n", file,
                k < *folds * per * 2 ? "fewer" : "more", *folds * per * 2);
        free(p);
        return NULL;
    }
    return p;
}

int eval_read_people(const char *root, eval_set *s, person **out, int *out_n) {
    char names[1024];
    snprintf(names, sizeof names, "%s/lfw-names.txt", root);
    FILE *f = fopen(names, "r");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", names, strerror(errno));
        return -1;
    }
    person *pp = NULL;
    int np = 0, cap = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char nm[128];
        int cnt;
        if (sscanf(line, "%127s %d", nm, &cnt) != 2 || cnt < 1 || cnt > 10000) continue;
        if (np == cap) {
            cap = cap ? cap * 2 : 1024;
            person *q = realloc(pp, sizeof *q * (size_t)cap);
            if (!q) goto nomem;
            pp = q;
        }
        person *P = &pp[np++];
        snprintf(P->name, sizeof P->name, "%s", nm);
        P->first = s->n;
        P->count = cnt;
        P->role = 0;
        for (int i = 1; i <= cnt; i++)
            if (eval_image_index(s, root, nm, i) < 0) goto nomem;
    }
    fclose(f);
    if (np < 10) {
        fprintf(stderr, "bex: %s lists %d people; is it LFW's lfw-names.txt?\n", names, np);
        free(pp);
        return -1;
    }
    *out = pp;
    *out_n = np;
    return 0;
nomem:
    fclose(f);
    free(pp);
    fprintf(stderr, "bex: out of memory reading %s\n", names);
    return -1;
}

void eval_opts_default(eval_opts *o, int trials) {
    memset(o, 0, sizeof *o);
    o->out = "eval-out";
    o->align = BEX_ALIGN_DEFAULT;
    o->threads = 2;
    o->trials = trials;
    o->seed = 20261126;
    o->variant = BEX_VARIANT_FULL;
    o->light = BEX_LIGHT_DEFAULT;
    o->flip = BEX_FLIP_DEFAULT; /* the engine's default; --no-flip turns it off */
}

void eval_print_opts(const eval_opts *o) {
    printf("\"align\":\"%s\",\"variant\":\"%s\",\"light_retry\":\"%s\",\"flip\":%s", eval_align_name(o->align),
           bex_variant_name(o->variant), bex_light_name(o->light), o->flip || o->model_flip ? "true" : "false");
    printf(",\"model\":"); /* whose templates were measured */
    bex_json_str(stdout, cli_model() ? cli_model()->identity : bex_model_builtin_identity(o->align == BEX_ALIGN_FACEAPI));
}

void eval_print_fta(const eval_set *s) {
    int no_face = 0, lit = 0, wide = 0, readable = 0;
    for (int i = 0; i < s->n; i++) {
        readable += s->imgs[i].found >= 0;
        no_face += s->imgs[i].found == 0;
        lit += s->imgs[i].found == 1 && s->imgs[i].lit;
        wide += s->imgs[i].found == 1 && s->imgs[i].wide;
    }
    double r = readable ? 1.0 / readable : 0.0;
    printf("\"failure_to_acquire\":{\"images\":%d,\"no_face\":%d,\"rate\":%.5f,\"found_by_wide_pad\":%d,"
           "\"found_by_light_retry\":%d,\"no_face_without_light_retry\":%d,\"rate_without_light_retry\":%.5f,"
           "\"no_face_without_either\":%d,\"rate_without_either\":%.5f}",
           readable, no_face, no_face * r, wide, lit, no_face + lit, (no_face + lit) * r, no_face + lit + wide,
           (no_face + lit + wide) * r);
}

int eval_parse_common(int argc, char **argv, int *i, eval_opts *o) {
    const char *a = argv[*i];
    if (!strcmp(a, "--flip")) {
        o->flip = 1;
        return 1;
    }
    if (!strcmp(a, "--no-flip")) {
        o->flip = 0;
        return 1;
    }
    if (*i + 1 >= argc) return 0;
    const char *v = argv[*i + 1];
    if (!strcmp(a, "--variant")) {
        if (bex_variant_parse(v, &o->variant) != BEX_OK) {
            fprintf(stderr, "bex: --variant is full, tight, dark or sidelight\n");
            return -1;
        }
    } else if (!strcmp(a, "--light")) {
        if (bex_light_parse(v, &o->light) != BEX_OK) {
            fprintf(stderr, "bex: --light is off, stretch, gamma or clahe\n");
            return -1;
        }
    } else if (!strcmp(a, "--lfw")) o->lfw = v;
    else if (!strcmp(a, "--out")) o->out = v;
    else if (!strcmp(a, "--cache")) o->cache = v;
    else if (!strcmp(a, "--model")) {
        if (!cli_load_model(v)) return -1;
    }
    else if (!strcmp(a, "--align")) {
        if (!cli_parse_align(v, &o->align)) return -1;
    } else if (!strcmp(a, "--threads") || !strcmp(a, "--trials")) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > (a[3] == 'h' ? 16 : 100000)) {
            fprintf(stderr, "bex: %s takes a whole number from 1 to %d\n", a, a[3] == 'h' ? 16 : 100000);
            return -1;
        }
        if (a[3] == 'h') o->threads = (int)n;
        else o->trials = (int)n;
    } else if (!strcmp(a, "--seed")) {
        char *end;
        o->seed = strtoull(v, &end, 10);
        if (*end || !o->seed) {
            fprintf(stderr, "bex: --seed takes a whole number above 0\n");
            return -1;
        }
    } else
        return 0;
    ++*i;
    return 1;
}

FILE *eval_open_atomic(const char *path, char *tmp, size_t tmplen) {
    int k = snprintf(tmp, tmplen, "%s.tmp", path);
    FILE *f = (k > 0 && (size_t)k < tmplen) ? fopen(tmp, "w") : NULL;
    if (!f) fprintf(stderr, "bex: cannot write %s.tmp: %s\n", path, k > 0 && (size_t)k < tmplen ? strerror(errno) : "name too long");
    return f;
}

int eval_close_atomic(FILE *f, const char *tmp, const char *path) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "bex: cannot write %s: %s\n", path, bad ? "write error" : strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int eval_make_out_dir(const char *out) {
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "bex: cannot create the output folder %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

int eval_load_people(const char *root, const char *out, eval_set *s, person **pp, int *np) {
    if (eval_read_people(root, s, pp, np) != 0) {
        free(s->imgs);
        s->imgs = NULL;
        return -1;
    }
    if (eval_make_out_dir(out) != 0) {
        free(*pp);
        free(s->imgs);
        s->imgs = NULL;
        *pp = NULL;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ cache */

/* FNV-1a over the bytes of the model files: a cache made with other weights is not used. */
static uint64_t models_fingerprint(const char *dir) {
    static const char *files[] = {"ssd_mobilenetv1_model.bin", "face_landmark_68_model.bin",
                                  "face_recognition_model.bin"};
    uint64_t h = 1469598103934665603ULL;
    unsigned char buf[65536];
    for (int i = 0; i < 3; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            for (size_t k = 0; k < got; k++) h = (h ^ buf[k]) * 1099511628211ULL;
        fclose(f);
    }
    return h;
}

typedef struct cache_hdr {
    char magic[8];
    uint32_t rec_len, align;
    uint64_t fingerprint;
    uint32_t variant, light, flip, wide_pad;
    uint64_t count;
    uint32_t dim;
    char model[BEX_MODEL_ID_MAX];
} cache_hdr;

/* the bytes of a --model template after each record (0 for the built-in model: t holds it) */
static size_t model_bytes(const cache_hdr *h) { return cli_model() ? sizeof(float) * h->dim : 0; }

static int cmp_key(const void *a, const void *b) { return strcmp(a, b); }

/* Fills images of s found in the cache; returns how many, or -1 when the cache holds another
 * model's templates (it is then left as it is: not rewritten with this model's). */
static int cache_load(eval_set *s, const char *file, const cache_hdr *want) {
    FILE *f = fopen(file, "rb");
    if (!f) return 0;
    cache_hdr h;
    int used = 0;
    const size_t xlen = model_bytes(want), rec = KEY_LEN + REC_LEN + xlen;
    if (fread(&h, sizeof h, 1, f) == 1 && !memcmp(h.magic, want->magic, 8) &&
        (h.dim != want->dim || memcmp(h.model, want->model, sizeof h.model))) {
        h.model[sizeof h.model - 1] = 0;
        fprintf(stderr, "bex: the cache %s holds the templates of model %s, not %s: embedding every image and "
                "leaving the cache as it is (give each model its own --cache file)\n", file, h.model, want->model);
        fclose(f);
        return -1;
    }
    if (memcmp(h.magic, want->magic, 8) || h.rec_len != want->rec_len ||
        h.align != want->align || h.fingerprint != want->fingerprint || h.variant != want->variant ||
        h.light != want->light || h.flip != want->flip || h.wide_pad != want->wide_pad || h.count > 10000000) {
        fprintf(stderr, "bex: the cache %s was made with other models, alignment, variant, lighting retry, flip or "
                "build; embedding again\n", file);
        fclose(f);
        return 0;
    }
    char *all = malloc(rec * (h.count ? h.count : 1));
    if (!all || fread(all, rec, h.count, f) != h.count) {
        fprintf(stderr, "bex: the cache %s is truncated; embedding again\n", file);
        free(all);
        fclose(f);
        return 0;
    }
    fclose(f);
    qsort(all, h.count, rec, cmp_key);
    for (int i = 0; i < s->n; i++) {
        char key[KEY_LEN] = {0};
        snprintf(key, sizeof key, "%s", s->imgs[i].path + s->root_len);
        const char *hit = bsearch(key, all, h.count, rec, cmp_key);
        if (!hit) continue;
        eval_img *im = &s->imgs[i];
        memcpy((char *)im + REC_OFF, hit + KEY_LEN, REC_LEN);
        if (xlen) {
            if (!im->tx && !(im->tx = malloc(xlen))) {
                im->found = -2; /* embedded again */
                continue;
            }
            memcpy(im->tx, hit + KEY_LEN + REC_LEN, xlen);
        }
        used++;
    }
    free(all);
    return used;
}

static void cache_save(const eval_set *s, const char *file, const cache_hdr *h0) {
    char tmp[1200];
    FILE *f = eval_open_atomic(file, tmp, sizeof tmp);
    if (!f) return;
    cache_hdr h = *h0;
    h.count = 0;
    for (int i = 0; i < s->n; i++) h.count += s->imgs[i].found >= 0;
    fwrite(&h, sizeof h, 1, f);
    for (int i = 0; i < s->n; i++) {
        if (s->imgs[i].found < 0) continue; /* unreadable: try again next time */
        char key[KEY_LEN] = {0};
        snprintf(key, sizeof key, "%s", s->imgs[i].path + s->root_len);
        fwrite(key, KEY_LEN, 1, f);
        fwrite((const char *)&s->imgs[i] + REC_OFF, REC_LEN, 1, f);
        if (model_bytes(&h)) { /* no face: a template of zeros */
            static const float zero[BEX_MODEL_MAX_DIM];
            fwrite(s->imgs[i].tx ? s->imgs[i].tx : zero, sizeof(float), h.dim, f);
        }
    }
    eval_close_atomic(f, tmp, file);
}

/* ------------------------------------------------------------------ embedding */

typedef struct embed_job {
    eval_set *s;
    const char *models;
    const eval_opts *o;
    int next, done, todo, failed_open;
    unsigned char *skip;
    pthread_mutex_t lock;
    double t0;
} embed_job;

void eval_swap_flip(eval_set *s) {
    for (int i = 0; i < s->n; i++) {
        float tmp[BEX_TEMPLATE_DIM];
        memcpy(tmp, s->imgs[i].t, sizeof tmp);
        memcpy(s->imgs[i].t, s->imgs[i].t_alt, sizeof tmp);
        memcpy(s->imgs[i].t_alt, tmp, sizeof tmp);
    }
}

/* ef: the flip engine, or NULL without --flip. */
static void embed_one(bex_engine *e, bex_engine *ef, eval_img *im, bex_variant variant, bex_align align) {
    char err[512];
    bex_image img = {0, 0, NULL};
    bex_face f[8];
    int n = 0;
    if (bex_image_load(im->path, NULL, &img, err, sizeof err) != BEX_OK ||
        bex_variant_apply(&img, variant, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", im->path, err);
        if (img.px) bex_image_free(&img);
        im->found = -1;
        return;
    }
    im->found = 0;
    im->lit = im->wide = 0;
    bex_engine_stats before, after;
    bex_engine_get_stats(e, &before);
    if (bex_embed(e, &img, f, 8, &n, err, sizeof err) == BEX_OK && n > 0) {
        if (cli_model()) { /* a described model's (--model), whatever its length */
            free(im->tx);
            im->tx = malloc(sizeof(float) * (size_t)f[0].dim);
            if (!im->tx) {
                fprintf(stderr, "bex: out of memory\n");
                bex_image_free(&img);
                return;
            }
            memcpy(im->tx, f[0].template_, sizeof(float) * (size_t)f[0].dim);
        } else {
            memcpy(im->t, f[0].template_, sizeof im->t); /* the largest face */
        }
        bex_engine_get_stats(e, &after);
        im->found = 1;
        im->lit = after.light_found > before.light_found;
        im->wide = after.wide_pad_found > before.wide_pad_found;
        if (ef) {
            memcpy(im->t_alt, f[0].template_, sizeof im->t_alt);
            bex_face g = f[0];
            int m = 0;
            if (im->lit ? bex_embed(ef, &img, f, 8, &m, err, sizeof err) == BEX_OK && m > 0
                        : bex_face_template(ef, &img, &g, align, err, sizeof err) == BEX_OK)
                memcpy(im->t, im->lit ? f[0].template_ : g.template_, sizeof im->t);
            else
                fprintf(stderr, "bex: %s: flip template: %s\n", im->path, err);
        }
        im->n_faces = n;
        im->second_ratio = bex_capture_other_face(f, n, img.width, img.height); /* the capture policy's measure */
        if (bex_face_quality(&img, &f[0], NULL, &im->q, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s: quality: %s\n", im->path, err);
            memset(&im->q, 0, sizeof im->q);
        }
    }
    bex_image_free(&img);
}

static void add_stats(bex_engine_stats *t, const bex_engine *e) {
    bex_engine_stats st;
    bex_engine_get_stats(e, &st);
    t->images += st.images;
    t->faces += st.faces;
    t->templates += st.templates;
    t->light_retries += st.light_retries;
    t->light_found += st.light_found;
    t->wide_pad_found += st.wide_pad_found;
    t->detect_ms += st.detect_ms;
    t->landmarks_ms += st.landmarks_ms;
    t->align_ms += st.align_ms;
    t->descriptor_ms += st.descriptor_ms;
}

static void *embed_worker(void *arg) {
    embed_job *j = arg;
    bex_engine *e;
    char err[512];
    bex_engine_options o;
    bex_engine_options_default(&o);
    o.align = j->o->align;
    o.light_retry = j->o->light;
    o.flip = j->o->model_flip; /* e makes the plain templates (--model: with flip unless --no-flip); ef, with
                                  flip, the built-in model's flip ones */
    o.model = cli_model();
    o.detector = cli_detector;
    bex_engine *ef = NULL;
    int rc = bex_engine_open(j->models, &o, &e, err, sizeof err);
    if (rc == BEX_OK && j->o->flip) {
        o.flip = 1;
        if ((rc = bex_engine_open(j->models, &o, &ef, err, sizeof err)) != BEX_OK) bex_engine_close(e);
    }
    if (rc != BEX_OK) {
        pthread_mutex_lock(&j->lock);
        if (!j->failed_open++) fprintf(stderr, "bex: cannot load the face models: %s\n", err);
        pthread_mutex_unlock(&j->lock);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int i = j->next++;
        while (i < j->s->n && j->skip[i]) i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->s->n) break;
        embed_one(e, ef, &j->s->imgs[i], j->o->variant, j->o->align);
        pthread_mutex_lock(&j->lock);
        int done = ++j->done;
        if (done % 50 == 0 || done == j->todo) cli_progress("embedding images", (size_t)done, (size_t)j->todo, j->t0);
        pthread_mutex_unlock(&j->lock);
    }
    pthread_mutex_lock(&j->lock);
    add_stats(&j->s->stats, e);
    if (ef) add_stats(&j->s->stats_flip, ef);
    pthread_mutex_unlock(&j->lock);
    bex_engine_close(e);
    bex_engine_close(ef);
    return NULL;
}

int eval_embed_all(eval_set *s, const char *models, eval_opts *o) {
    if (o->flip && cli_model()) { /* --model: the engine flips the model's chip; no second, plain template */
        o->model_flip = 1;
        o->flip = 0;
    }
    /* the detector is part of what a cache was made with: kept in align's upper bits */
    const char *cache = o->cache;
    int threads = o->threads;
    cache_hdr h = {.rec_len = (uint32_t)REC_LEN, .align = (uint32_t)o->align | ((uint32_t)cli_detector << 8), .variant = (uint32_t)o->variant,
                   .light = (uint32_t)o->light, .flip = (uint32_t)!!(o->flip || o->model_flip)};
    bex_engine_options eo;
    bex_engine_options_default(&eo);
    h.wide_pad = (uint32_t)!!eo.wide_pad_retry; /* the engine's default: keyed should it change */
    memcpy(h.magic, CACHE_MAGIC, 8);
    snprintf(h.model, sizeof h.model, "%s",
             cli_model() ? cli_model()->identity : bex_model_builtin_identity(o->align == BEX_ALIGN_FACEAPI));
    memset(&s->stats, 0, sizeof s->stats);
    memset(&s->stats_flip, 0, sizeof s->stats_flip);
    embed_job j = {.s = s, .models = models, .o = o, .t0 = cli_now()};
    j.skip = calloc((size_t)s->n + 1, 1);
    if (!j.skip) {
        fprintf(stderr, "bex: out of memory\n");
        return -1;
    }
    int cached = 0;
    s->dim = cli_model() ? cli_model()->embedding : BEX_TEMPLATE_DIM;
    h.dim = (uint32_t)s->dim;
    if (cache) {
        h.fingerprint = models_fingerprint(models);
        for (int i = 0; i < s->n; i++) s->imgs[i].found = -2; /* not yet known */
        cached = cache_load(s, cache, &h);
        if (cached < 0) { /* another model's cache: not overwritten */
            cached = 0;
            cache = NULL;
            for (int i = 0; i < s->n; i++) s->imgs[i].found = 0;
        }
        for (int i = 0; i < s->n; i++) j.skip[i] = cache && s->imgs[i].found != -2;
        if (cached) fprintf(stderr, "bex: %d of %d images from the cache %s\n", cached, s->n, cache);
    }
    j.todo = s->n - cached;
    pthread_mutex_init(&j.lock, NULL);
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    pthread_t th[16];
    if (j.todo > 0) {
        for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, embed_worker, &j);
        for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    }
    pthread_mutex_destroy(&j.lock);
    s->embedded = j.done;
    s->embed_wall_s = cli_now() - j.t0;
    free(j.skip);
    if (j.failed_open) return -1;
    if (cache && j.todo > 0) cache_save(s, cache, &h);
    return 0;
}
