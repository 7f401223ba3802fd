/*
 * lfw_pairs.c - measures bex's alignments and its face acquisition on LFW pair lists.
 *
 *   build/tools/lfw_pairs [--roll DEG] [--no-flip] LFW_DIR TRAIN_PAIRS [TEST_PAIRS]
 *
 * Embeds every image the pair lists name (two threads, one engine each), with the
 * face-api-compatible, the similarity, the BlazeFace-keypoint and the Face Mesh alignment
 * from the same detection and landmarks (Face Mesh: models/facemesh.json, loaded when present;
 * a face without a mesh gets the similarity alignment's template there),
 * then for each alignment picks the accuracy-maximising cosine threshold on TRAIN_PAIRS and
 * reports accuracy there and on TEST_PAIRS at that threshold. A pair with an image where no
 * face was found counts as an error. Also reports failure to acquire: images where the
 * detector found no face in the image itself, and none even after the padded retry.
 *
 * --roll DEG turns every image by DEG degrees about its centre (alternately clockwise and
 * anticlockwise), as a tilted head or camera would: LFW's deep-funneled faces are upright,
 * which hides what a rotation-correcting alignment is for.
 *
 * Pair lists in LFW's format: View 1 (pairsDevTrain.txt: a count N, N mated lines
 * "name i j", N non-mated lines "name1 i name2 j") or View 2 (pairs.txt: "10 300", then ten
 * folds of 300 + 300 such lines).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/face.h"
#include "bex/image.h"

typedef struct img_rec {
    char path[512];
    int found;      /* 0 no face, 1 found directly, 2 only after padding, 3 only below 0.5 */
    float t[4][BEX_TEMPLATE_DIM]; /* [0] faceapi, [1] similarity, [2] BlazeFace keypoints, [3] Face Mesh */
    int has_mesh;
} img_rec;

typedef struct pair { int a, b, mated; } pair;

static img_rec *imgs;
static int train_folds = 1, train_folds_set; /* 10 for View 2's pairs.txt */
static int nimgs, cap_imgs;
static const char *lfw_dir, *model_dir = "models";
static double roll_deg;
static bex_engine_options eopt;
static int with_mesh;
static double mesh_ms;
static unsigned long meshes;

/* Turns img by deg degrees about its centre (bilinear, black outside), in place. */
static void roll(bex_image *img, double deg) {
    int w = img->width, h = img->height;
    unsigned char *out = calloc((size_t)w * h * 3, 1);
    if (!out) return;
    double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180), cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
    for (int v = 0; v < h; v++)
        for (int u = 0; u < w; u++) {
            double x = c * (u - cx) + s * (v - cy) + cx, y = -s * (u - cx) + c * (v - cy) + cy;
            int x0 = (int)floor(x), y0 = (int)floor(y);
            double fx = x - x0, fy = y - y0;
            for (int ch = 0; ch < 3; ch++) {
                double acc = 0;
                for (int k = 0; k < 4; k++) {
                    int xx = x0 + (k & 1), yy = y0 + (k >> 1);
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    acc += img->px[((size_t)yy * w + xx) * 3 + ch] * ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                }
                out[((size_t)v * w + u) * 3 + ch] = (unsigned char)(acc + 0.5);
            }
        }
    memcpy(img->px, out, (size_t)w * h * 3);
    free(out);
}

static int image_index(const char *name, int num) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s_%04d.jpg", lfw_dir, name, name, num);
    for (int i = nimgs - 1; i >= 0; i--)
        if (!strcmp(imgs[i].path, path)) return i;
    if (nimgs == cap_imgs) {
        cap_imgs = cap_imgs ? cap_imgs * 2 : 1024;
        imgs = realloc(imgs, sizeof *imgs * (size_t)cap_imgs);
        if (!imgs) { perror("realloc"); exit(2); }
    }
    memset(&imgs[nimgs], 0, sizeof imgs[nimgs]);
    snprintf(imgs[nimgs].path, sizeof imgs[nimgs].path, "%s", path);
    return nimgs++;
}

/* Reads a View 1 or View 2 pair list. */
static pair *read_pairs(const char *file, int *n) {
    FILE *f = fopen(file, "r");
    if (!f) { fprintf(stderr, "lfw_pairs: cannot open %s\n", file); exit(2); }
    char line[512];
    int folds = 1, per = 0;
    if (!fgets(line, sizeof line, f)) { fprintf(stderr, "lfw_pairs: %s is empty\n", file); exit(2); }
    if (sscanf(line, "%d %d", &folds, &per) != 2) { per = folds; folds = 1; }
    if (!train_folds_set) { train_folds = folds; train_folds_set = 1; }
    pair *p = malloc(sizeof *p * (size_t)folds * per * 2);
    *n = 0;
    while (fgets(line, sizeof line, f)) {
        char n1[256], n2[256];
        int i, j;
        if (sscanf(line, "%255s %d %255s %d", n1, &i, n2, &j) == 4)
            p[(*n)++] = (pair){image_index(n1, i), image_index(n2, j), 0};
        else if (sscanf(line, "%255s %d %d", n1, &i, &j) == 3)
            p[(*n)++] = (pair){image_index(n1, i), image_index(n1, j), 1};
    }
    fclose(f);
    return p;
}

static int next_img;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    (void)arg;
    bex_engine *e;
    char err[256];
    if (bex_engine_open(model_dir, &eopt, &e, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "lfw_pairs: %s\n", err);
        exit(2);
    }
    for (;;) {
        pthread_mutex_lock(&lock);
        int i = next_img++;
        pthread_mutex_unlock(&lock);
        if (i >= nimgs) break;
        bex_image img;
        if (bex_image_load(imgs[i].path, NULL, &img, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "lfw_pairs: %s\n", err);
            continue;
        }
        if (roll_deg != 0) roll(&img, (i & 1) ? roll_deg : -roll_deg);
        bex_face f[8];
        int n = 0;
        if (bex_detect(e, &img, f, 8, &n, err, sizeof err) == BEX_OK && n > 0 &&
            bex_face_template(e, &img, &f[0], BEX_ALIGN_FACEAPI, err, sizeof err) == BEX_OK) {
            memcpy(imgs[i].t[0], f[0].template_, sizeof imgs[i].t[0]);
            if (bex_face_template(e, &img, &f[0], BEX_ALIGN_SIMILARITY, err, sizeof err) == BEX_OK) {
                memcpy(imgs[i].t[1], f[0].template_, sizeof imgs[i].t[1]);
                imgs[i].found = f[0].score < 0.5f ? 3 : f[0].padded ? 2 : 1;
                /* without keypoints (SSD) this is the similarity alignment again */
                if (bex_face_template(e, &img, &f[0], BEX_ALIGN_KEYPOINTS, err, sizeof err) == BEX_OK)
                    memcpy(imgs[i].t[2], f[0].template_, sizeof imgs[i].t[2]);
                /* without a mesh this is the similarity alignment again */
                imgs[i].has_mesh = f[0].has_mesh;
                if (bex_face_template(e, &img, &f[0], BEX_ALIGN_FACEMESH, err, sizeof err) == BEX_OK)
                    memcpy(imgs[i].t[3], f[0].template_, sizeof imgs[i].t[3]);
            }
        }
        bex_image_free(&img);
    }
    bex_engine_stats st;
    bex_engine_get_stats(e, &st);
    pthread_mutex_lock(&lock);
    mesh_ms += st.mesh_ms;
    meshes += st.meshes;
    pthread_mutex_unlock(&lock);
    bex_engine_close(e);
    return NULL;
}

static double accuracy(const pair *p, int n, int align, float thr) {
    int ok = 0;
    for (int k = 0; k < n; k++) {
        const img_rec *a = &imgs[p[k].a], *b = &imgs[p[k].b];
        if (!a->found || !b->found) continue; /* failure to acquire: an error */
        float s = bex_template_similarity(a->t[align], b->t[align]);
        ok += (s >= thr) == p[k].mated;
    }
    return (double)ok / n;
}

static int correct(const pair *q, int align, float thr) {
    const img_rec *a = &imgs[q->a], *b = &imgs[q->b];
    if (!a->found || !b->found) return 0;
    return (bex_template_similarity(a->t[align], b->t[align]) >= thr) == q->mated;
}

/* Pairs one alignment decides right and the other wrong, each at its own threshold, and the
 * exact two-sided McNemar (sign test) p-value of that split. */
static void discordant(const pair *p, int n, int a1, float t1, int a2, float t2, int *only1, int *only2, double *pval) {
    *only1 = *only2 = 0;
    for (int k = 0; k < n; k++) {
        int c1 = correct(&p[k], a1, t1), c2 = correct(&p[k], a2, t2);
        *only1 += c1 && !c2;
        *only2 += c2 && !c1;
    }
    int m = *only1 + *only2, lo = *only1 < *only2 ? *only1 : *only2;
    double tail = 0;
    for (int k = 0; k <= lo; k++) tail += exp(lgamma(m + 1.0) - lgamma(k + 1.0) - lgamma(m - k + 1.0) - m * log(2.0));
    *pval = m ? fmin(1.0, 2 * tail) : 1.0;
}

static float best_threshold(const pair *p, int n, int align) {
    float best = 0;
    double best_acc = -1;
    for (float t = 0.5f; t < 1.0f; t += 0.0025f) {
        double acc = accuracy(p, n, align, t);
        if (acc > best_acc) { best_acc = acc; best = t; }
    }
    return best;
}

/* LFW View 2's protocol: for each of the folds, the threshold is chosen on the other folds
 * and accuracy measured on this one; mean and standard deviation over the folds. */
static void ten_fold(const pair *p, int n, int folds, int align, double *mean, double *sd) {
    int per = n / folds;
    pair *rest = malloc(sizeof *rest * (size_t)n);
    double acc[16], sum = 0, sq = 0;
    for (int f = 0; f < folds; f++) {
        int nr = 0;
        for (int k = 0; k < n; k++)
            if (k / per != f) rest[nr++] = p[k];
        float t = best_threshold(rest, nr, align);
        acc[f] = accuracy(p + (size_t)f * per, per, align, t);
        sum += acc[f];
    }
    *mean = sum / folds;
    for (int f = 0; f < folds; f++) sq += (acc[f] - *mean) * (acc[f] - *mean);
    *sd = sqrt(sq / (folds - 1));
    free(rest);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: lfw_pairs [--roll DEG] [--detector blazeface|blazeface-full|ssd] [--landmark-box ssd|raw]\n"
                        "                 [--no-fallback] [--no-pad-retry] [--no-flip] LFW_DIR TRAIN_PAIRS [TEST_PAIRS]\n"
                        "                 (models from $BEX_MODELS or ./models)\n");
        return 2;
    }
    bex_engine_options_default(&eopt);
    for (;;) {
        if (argc > 3 && !strcmp(argv[1], "--roll")) roll_deg = atof(argv[2]);
        else if (argc > 3 && !strcmp(argv[1], "--detector"))
            eopt.detector = !strcmp(argv[2], "ssd") ? BEX_DETECTOR_SSD
                            : !strcmp(argv[2], "blazeface-full") ? BEX_DETECTOR_BLAZEFACE_FULL : BEX_DETECTOR_BLAZEFACE;
        else if (argc > 3 && !strcmp(argv[1], "--landmark-box")) eopt.blaze_box_as_ssd = !strcmp(argv[2], "ssd"); /* default raw */
        else if (argc > 3 && !strcmp(argv[1], "--no-fallback")) { eopt.full_range_fallback = 0; argv--, argc++; }
        else if (argc > 3 && !strcmp(argv[1], "--no-pad-retry")) { eopt.pad_retry = 0; argv--, argc++; }
        else if (argc > 3 && !strcmp(argv[1], "--no-flip")) { eopt.flip = 0; argv--, argc++; }
        else break;
        argv += 2;
        argc -= 2;
    }
    lfw_dir = argv[1];
    if (getenv("BEX_MODELS")) model_dir = getenv("BEX_MODELS");
    char mesh_path[4096];
    snprintf(mesh_path, sizeof mesh_path, "%s/facemesh.json", model_dir);
    FILE *mf = fopen(mesh_path, "r");
    if (mf) { /* the engine loads Face Mesh for this alignment only; detection is unchanged */
        fclose(mf);
        with_mesh = 1;
        eopt.align = BEX_ALIGN_FACEMESH;
    }
    int ntr = 0, nte = 0;
    pair *tr = read_pairs(argv[2], &ntr), *te = argc > 3 ? read_pairs(argv[3], &nte) : NULL;
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    int direct = 0, padded = 0, low = 0, none = 0;
    for (int i = 0; i < nimgs; i++) {
        if (imgs[i].found == 1) direct++;
        else if (imgs[i].found == 2) padded++;
        else if (imgs[i].found == 3) {
            low++;
            fprintf(stderr, "low score: %s\n", imgs[i].path);
        }
        else {
            none++;
            fprintf(stderr, "no face: %s\n", imgs[i].path);
        }
    }
    if (roll_deg != 0) printf("images rolled by +-%.1f degrees\n", roll_deg);
    printf("images: %d; face found directly %d, only after padding %d, only at the retry's lower "
           "score threshold %d, not at all %d\n", nimgs, direct, padded, low, none);
    printf("failure to acquire: %.3f%% without the padded retry, %.3f%% with it at the same threshold, "
           "%.3f%% with the lower retry threshold\n",
           100.0 * (padded + low + none) / nimgs, 100.0 * (low + none) / nimgs, 100.0 * none / nimgs);
    if (!eopt.flip) printf("without flip\n");
    if (with_mesh) {
        int no_mesh = 0;
        for (int i = 0; i < nimgs; i++) no_mesh += imgs[i].found && !imgs[i].has_mesh;
        printf("Face Mesh: %lu faces, %.2f ms a face (mean, two threads); %d acquired images without a mesh "
               "(similarity alignment there)\n", meshes, meshes ? mesh_ms / meshes : 0.0, no_mesh);
    }
    static const char *names[4] = {"faceapi", "similarity", "keypoints", "facemesh"};
    float thr[4];
    for (int a = 0; a < 3 + with_mesh; a++) {
        float t = thr[a] = best_threshold(tr, ntr, a);
        printf("%-10s threshold %.4f: accuracy %.2f%% on %s (%d pairs)", names[a], t,
               100 * accuracy(tr, ntr, a, t), argv[2], ntr);
        if (te) printf(", %.2f%% on %s (%d pairs)", 100 * accuracy(te, nte, a, t), argv[3], nte);
        printf("\n");
        if (train_folds >= 2 && train_folds <= 16) {
            double mean, sd;
            ten_fold(tr, ntr, train_folds, a, &mean, &sd);
            printf("%-10s %d-fold accuracy (each fold's threshold from the others): %.2f%% +- %.2f%%\n",
                   names[a], train_folds, 100 * mean, 100 * sd);
        }
    }
    /* each alignment against the default's (similarity), pair by pair */
    for (int a = 2; a < 3 + with_mesh; a++)
        for (int set = 0; set < (te ? 2 : 1); set++) {
            int o1, o2;
            double pv;
            discordant(set ? te : tr, set ? nte : ntr, a, thr[a], 1, thr[1], &o1, &o2, &pv);
            printf("%-10s vs similarity on %s: %d pairs right only with %s, %d only with similarity (exact McNemar p = %.3f)\n",
                   names[a], argv[2 + set], o1, names[a], o2, pv);
        }
    free(tr);
    free(te);
    free(imgs);
    return 0;
}
