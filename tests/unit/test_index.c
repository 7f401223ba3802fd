/*
 * test_index.c - the gallery index (include/bex/index.h): exact top-k against a brute-force
 * search, the three formats, ids and subjects, filters, batches, threads, the file format
 * (round trip, truncation, damage, atomic save), removal under concurrent searches and
 * allocation failures.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bex/index.h"
#include "test.h"
#include "util/util.h"

static unsigned long long rng_state = 88172645463325252ULL;
static double rnd(void) { /* xorshift64*, uniform in [0, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* n random unit vectors of dim d (Gaussian-ish: sum of uniforms) */
static float *unit_vectors(size_t n, int d) {
    float *v = malloc(sizeof(float) * n * (size_t)d);
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (int k = 0; k < d; k++) {
            double x = rnd() + rnd() + rnd() - 1.5;
            v[i * d + k] = (float)x;
            ss += x * x;
        }
        for (int k = 0; k < d; k++) v[i * d + k] /= (float)sqrt(ss);
    }
    return v;
}

static double dot(const float *a, const float *b, int d) {
    double s = 0;
    for (int k = 0; k < d; k++) s += (double)a[k] * b[k];
    return s;
}

static bex_index *filled(bex_index_format f, const float *v, size_t n, int d) {
    bex_index *ix = NULL;
    char err[256];
    if (bex_index_open(d, f, &ix, err, sizeof err) != BEX_OK) return NULL;
    for (size_t i = 0; i < n; i++)
        if (bex_index_add(ix, (int64_t)i * 10, (int64_t)(i / 3), v + i * d, err, sizeof err) != BEX_OK) {
            bex_index_close(ix);
            return NULL;
        }
    return ix;
}

/* brute force: the k best template ids (ties: lower id) */
static void brute(const float *v, size_t n, int d, const float *q, int k, int64_t *ids, double *sc) {
    for (int j = 0; j < k; j++) sc[j] = -INFINITY, ids[j] = -1;
    for (size_t i = 0; i < n; i++) {
        double s = dot(q, v + i * d, d);
        int64_t id = (int64_t)i * 10;
        for (int j = 0; j < k; j++)
            if (s > sc[j] || (s == sc[j] && id < ids[j])) {
                for (int m = k - 1; m > j; m--) sc[m] = sc[m - 1], ids[m] = ids[m - 1];
                sc[j] = s;
                ids[j] = id;
                break;
            }
    }
}

TEST(float32_top_k_is_exact) {
    const int d = 128, k = 10;
    const size_t n = 3000;
    float *v = unit_vectors(n, d), *q = unit_vectors(20, d);
    bex_index *ix = filled(BEX_INDEX_FLOAT32, v, n, d);
    CHECK(ix && bex_index_count(ix) == n && bex_index_subjects(ix) == 1000);
    CHECK(bex_index_bytes_per_template(ix) == 512);
    for (int p = 0; ix && p < 20; p++) {
        bex_index_hit h[10];
        size_t got = 0;
        int64_t ids[10];
        double sc[10];
        CHECK(bex_index_search(ix, q + p * d, k, NULL, h, &got, NULL, 0) == BEX_OK && got == 10);
        brute(v, n, d, q + p * d, k, ids, sc);
        for (int j = 0; j < k; j++) {
            CHECK(h[j].template_id == ids[j]);
            CHECK_NEAR(h[j].score, sc[j], 2e-6);
            CHECK(h[j].subject_id == ids[j] / 30);
        }
    }
    bex_index_close(ix);
    free(v);
    free(q);
}

/* float16 and int8 keep the scores close and (on well-separated data) the same top-1 */
TEST(compressed_formats_stay_close) {
    const int d = 128;
    const size_t n = 2000;
    float *v = unit_vectors(n, d);
    const bex_index_format fmts[2] = {BEX_INDEX_FLOAT16, BEX_INDEX_INT8};
    const double tol[2] = {2e-3, 2e-2};
    for (int f = 0; f < 2; f++) {
        bex_index *ix = filled(fmts[f], v, n, d);
        CHECK(ix != NULL);
        if (!ix) continue;
        CHECK(bex_index_bytes_per_template(ix) == (f == 0 ? 256u : 132u));
        for (size_t p = 0; p < 50; p++) {
            /* the probe: template p with a little noise, so its own template is the mate */
            float q[128];
            for (int k = 0; k < d; k++) q[k] = v[p * 7 * d + k] + (float)(rnd() - 0.5) * 0.05f;
            bex_index_hit h[3];
            size_t got;
            CHECK(bex_index_search(ix, q, 3, NULL, h, &got, NULL, 0) == BEX_OK && got == 3);
            CHECK(h[0].template_id == (int64_t)(p * 7) * 10);
            CHECK_NEAR(h[0].score, dot(q, v + p * 7 * d, d), tol[f]);
        }
        bex_index_close(ix);
    }
    free(v);
}

TEST(dimensions_that_need_padding) {
    const int dims[3] = {7, 65, 200};
    for (int t = 0; t < 3; t++) {
        int d = dims[t];
        float *v = unit_vectors(300, d);
        for (int f = 0; f < 3; f++) {
            bex_index *ix = filled((bex_index_format)f, v, 300, d);
            CHECK(ix != NULL);
            bex_index_hit h[1];
            size_t got;
            CHECK(ix && bex_index_search(ix, v + 123 * d, 1, NULL, h, &got, NULL, 0) == BEX_OK);
            CHECK(ix && h[0].template_id == 1230);
            bex_index_close(ix);
        }
        free(v);
    }
}

TEST(replace_and_remove) {
    const int d = 64;
    float *v = unit_vectors(100, d);
    bex_index *ix = filled(BEX_INDEX_FLOAT32, v, 100, d);
    char err[256];
    bex_index_hit h[5];
    size_t got;
    /* replace template 50 (vector 5, subject 1) by vector 7 under subject 999: a probe of
     * vector 7 finds both at 1.0 */
    CHECK(bex_index_add(ix, 50, 999, v + 7 * d, err, sizeof err) == BEX_OK);
    CHECK(bex_index_count(ix) == 100);
    CHECK(bex_index_search(ix, v + 7 * d, 2, NULL, h, &got, NULL, 0) == BEX_OK && got == 2);
    CHECK(h[0].template_id == 50 && h[1].template_id == 70); /* tie broken by lower id */
    CHECK(h[0].subject_id == 999 && h[1].subject_id == 2);
    CHECK(bex_index_subjects(ix) == 35); /* subjects 0..33 and 999 */
    CHECK(bex_index_remove(ix, 70, err, sizeof err) == BEX_OK);
    CHECK(bex_index_remove(ix, 70, err, sizeof err) == BEX_ERR_ARG && strstr(err, "70"));
    CHECK(bex_index_search(ix, v + 7 * d, 5, NULL, h, &got, NULL, 0) == BEX_OK);
    for (size_t j = 0; j < got; j++) CHECK(h[j].template_id != 70);
    size_t removed = 0;
    CHECK(bex_index_remove_subject(ix, 5, &removed, err, sizeof err) == BEX_OK && removed == 3);
    CHECK(bex_index_remove_subject(ix, 12345, &removed, err, sizeof err) == BEX_OK && removed == 0);
    CHECK(bex_index_count(ix) == 96 && bex_index_subjects(ix) == 34);
    for (int i = 0; i < 100; i++) {
        if (i == 5 || i == 15 || i == 16 || i == 17) continue;
        CHECK(bex_index_search(ix, v + i * d, 1, NULL, h, &got, NULL, 0) == BEX_OK && got == 1);
        CHECK(h[0].score > 0.9999f);
        CHECK(h[0].template_id == (i == 7 ? 50 : i * 10));
    }
    /* remove everything: an empty index answers with nothing */
    for (int i = 0; i < 100; i++) bex_index_remove(ix, i * 10, NULL, 0);
    bex_index_remove(ix, 50, NULL, 0);
    CHECK(bex_index_count(ix) == 0 && bex_index_subjects(ix) == 0);
    CHECK(bex_index_search(ix, v, 3, NULL, h, &got, NULL, 0) == BEX_OK && got == 0);
    bex_index_close(ix);
    free(v);
}

TEST(filters_restrict_the_search) {
    const int d = 128;
    const size_t n = 3000;
    float *v = unit_vectors(n, d);
    bex_index *ix = filled(BEX_INDEX_INT8, v, n, d);
    int64_t subjects[5] = {3, 400, 401, 999999, 3}; /* one unknown, one listed twice */
    bex_index_filter *f = NULL;
    char err[256];
    CHECK(bex_index_filter_by_subjects(ix, subjects, 5, &f, err, sizeof err) == BEX_OK);
    CHECK(bex_index_filter_templates(f) == 9 && bex_index_filter_subjects(f) == 3);
    bex_index_hit h[20];
    size_t got;
    /* a probe equal to template 0 (subject 0, outside the filter) must not find it */
    CHECK(bex_index_search(ix, v, 20, f, h, &got, NULL, 0) == BEX_OK && got == 9);
    for (size_t j = 0; j < got; j++) CHECK(h[j].subject_id == 3 || h[j].subject_id == 400 || h[j].subject_id == 401);
    CHECK(bex_index_search(ix, v + 1201 * d, 1, f, h, &got, NULL, 0) == BEX_OK && h[0].template_id == 12010);
    /* a template removed after the filter was built is skipped */
    CHECK(bex_index_remove(ix, 12010, err, sizeof err) == BEX_OK);
    CHECK(bex_index_search(ix, v + 1201 * d, 20, f, h, &got, NULL, 0) == BEX_OK && got == 8);
    for (size_t j = 0; j < got; j++) CHECK(h[j].template_id != 12010);
    bex_index_filter_free(f);
    int64_t tids[3] = {10, 20, 777}; /* 777 is not a template id */
    CHECK(bex_index_filter_by_templates(ix, tids, 3, &f, err, sizeof err) == BEX_OK);
    CHECK(bex_index_filter_templates(f) == 2 && bex_index_filter_subjects(f) == 1);
    CHECK(bex_index_search(ix, v + d, 5, f, h, &got, NULL, 0) == BEX_OK && got == 2 && h[0].template_id == 10);
    bex_index_filter_free(f);
    bex_index_close(ix);
    free(v);
}

TEST(batch_equals_single_searches) {
    const int d = 128, k = 7;
    const size_t n = 5000, nq = 70; /* more than one block of 64 probes */
    float *v = unit_vectors(n, d), *q = unit_vectors(nq, d);
    for (int f = 0; f < 3; f++) {
        bex_index *ix = filled((bex_index_format)f, v, n, d);
        float *sc = malloc(sizeof(float) * nq * k);
        int64_t *ids = malloc(sizeof(int64_t) * nq * k);
        CHECK(bex_index_search_batch(ix, q, nq, k, NULL, sc, ids, NULL, 0) == BEX_OK);
        for (size_t p = 0; p < nq; p++) {
            bex_index_hit h[7];
            size_t got;
            CHECK(bex_index_search(ix, q + p * d, k, NULL, h, &got, NULL, 0) == BEX_OK);
            for (int j = 0; j < k; j++) {
                CHECK(ids[p * k + j] == h[j].template_id);
                CHECK_NEAR(sc[p * k + j], h[j].score, 1e-5);
            }
        }
        /* fewer templates than k: the rest is -inf / -1 */
        bex_index *small = filled((bex_index_format)f, v, 3, d);
        CHECK(bex_index_search_batch(small, q, 2, k, NULL, sc, ids, NULL, 0) == BEX_OK);
        CHECK(ids[2] >= 0 && ids[3] == -1 && isinf(sc[3]) && sc[3] < 0);
        bex_index_close(small);
        bex_index_close(ix);
        free(sc);
        free(ids);
    }
    free(v);
    free(q);
}

TEST(threads_give_the_same_answer) {
    const int d = 64;
    const size_t n = 100000; /* several chunks a thread */
    float *v = unit_vectors(n, d), *q = unit_vectors(8, d);
    bex_index *ix = filled(BEX_INDEX_INT8, v, n, d);
    float s1[8 * 5], s2[8 * 5];
    int64_t i1[8 * 5], i2[8 * 5];
    CHECK(bex_index_set_threads(ix, 1, NULL, 0) == BEX_OK);
    CHECK(bex_index_search_batch(ix, q, 8, 5, NULL, s1, i1, NULL, 0) == BEX_OK);
    CHECK(bex_index_set_threads(ix, 4, NULL, 0) == BEX_OK);
    CHECK(bex_index_search_batch(ix, q, 8, 5, NULL, s2, i2, NULL, 0) == BEX_OK);
    CHECK(memcmp(i1, i2, sizeof i1) == 0 && memcmp(s1, s2, sizeof s1) == 0);
    CHECK(bex_index_set_threads(ix, 0, NULL, 0) == BEX_ERR_ARG);
    bex_index_close(ix);
    free(v);
    free(q);
}

TEST(best_template_per_subject) {
    const int d = 64;
    float *v = unit_vectors(600, d);
    bex_index *ix = filled(BEX_INDEX_FLOAT32, v, 600, d); /* subjects of 3 templates */
    bex_index_hit h[10];
    size_t got;
    CHECK(bex_index_search_subjects(ix, v + 33 * d, 10, NULL, h, &got, NULL, 0) == BEX_OK && got == 10);
    CHECK(h[0].subject_id == 11 && h[0].template_id == 330);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < i; j++) CHECK(h[i].subject_id != h[j].subject_id);
    /* each subject's score is its best template's, and they come best first */
    for (int i = 0; i < 10; i++) {
        double best = -2;
        for (int t = 0; t < 3; t++) {
            double s = dot(v + 33 * d, v + (h[i].subject_id * 3 + t) * d, d);
            if (s > best) best = s;
        }
        CHECK_NEAR(h[i].score, best, 1e-5);
        if (i) CHECK(h[i].score <= h[i - 1].score);
    }
    CHECK(bex_index_search_subjects(ix, v, BEX_INDEX_MAX_K + 1, NULL, h, &got, NULL, 0) == BEX_ERR_ARG);
    bex_index_close(ix);
    free(v);
}

static void tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "/tmp/bex-index-test-%ld-%s", (long)getpid(), name);
}

TEST(file_round_trip) {
    const int d = 128;
    float *v = unit_vectors(500, d), *q = unit_vectors(10, d);
    char path[256], err[256];
    tmp_path(path, sizeof path, "rt.bexi");
    for (int f = 0; f < 3; f++) {
        bex_index *ix = filled((bex_index_format)f, v, 500, d), *back = NULL;
        CHECK(bex_index_remove(ix, 100, err, sizeof err) == BEX_OK); /* a moved slot */
        CHECK(bex_index_save(ix, path, err, sizeof err) == BEX_OK);
        CHECK(bex_index_load(path, &back, err, sizeof err) == BEX_OK);
        if (!back) printf("  load: %s\n", err);
        CHECK(back && bex_index_count(back) == 499 && bex_index_get_format(back) == (bex_index_format)f);
        CHECK(back && bex_index_subjects(back) == bex_index_subjects(ix));
        float s1[50], s2[50];
        int64_t i1[50], i2[50];
        CHECK(bex_index_search_batch(ix, q, 10, 5, NULL, s1, i1, NULL, 0) == BEX_OK);
        CHECK(back && bex_index_search_batch(back, q, 10, 5, NULL, s2, i2, NULL, 0) == BEX_OK);
        CHECK(memcmp(i1, i2, sizeof i1) == 0 && memcmp(s1, s2, sizeof s1) == 0);
        /* a loaded (mapped) index can change; the file does not */
        struct stat st0, st1;
        stat(path, &st0);
        CHECK(back && bex_index_add(back, 100, 33, v + 10 * d, err, sizeof err) == BEX_OK);
        CHECK(back && bex_index_remove(back, 0, err, sizeof err) == BEX_OK && bex_index_count(back) == 499);
        stat(path, &st1);
        CHECK(st0.st_size == st1.st_size && st0.st_mtime == st1.st_mtime);
        bex_index *again = NULL;
        CHECK(bex_index_load(path, &again, err, sizeof err) == BEX_OK && bex_index_count(again) == 499);
        bex_index_close(again);
        bex_index_close(back);
        bex_index_close(ix);
    }
    unlink(path);
    free(v);
    free(q);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n) {
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

TEST(damaged_files_are_refused) {
    const int d = 64;
    float *v = unit_vectors(50, d);
    char path[256], bad[256], err[256];
    tmp_path(path, sizeof path, "good.bexi");
    tmp_path(bad, sizeof bad, "bad.bexi");
    bex_index *ix = filled(BEX_INDEX_INT8, v, 50, d), *back = NULL;
    CHECK(bex_index_save(ix, path, err, sizeof err) == BEX_OK);
    FILE *f = fopen(path, "rb");
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK(n > 64 && n < sizeof buf);
    write_bytes(bad, buf, n - 1); /* truncated */
    CHECK(bex_index_load(bad, &back, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "truncated"));
    buf[n - 5] ^= 1; /* one bit of a vector */
    write_bytes(bad, buf, n);
    CHECK(bex_index_load(bad, &back, err, sizeof err) == BEX_ERR_CORRUPT && strstr(err, "checksum"));
    buf[n - 5] ^= 1;
    buf[0] = 'X'; /* not an index */
    write_bytes(bad, buf, n);
    CHECK(bex_index_load(bad, &back, err, sizeof err) == BEX_ERR_FORMAT);
    buf[0] = 'B';
    buf[8] = 9; /* another version */
    write_bytes(bad, buf, n);
    CHECK(bex_index_load(bad, &back, err, sizeof err) == BEX_ERR_UNSUPPORTED && strstr(err, "version 9"));
    write_bytes(bad, buf, 10);
    CHECK(bex_index_load(bad, &back, err, sizeof err) == BEX_ERR_CORRUPT);
    CHECK(bex_index_load("/nonexistent/x.bexi", &back, err, sizeof err) == BEX_ERR_IO);
    CHECK(back == NULL);
    /* a save that cannot finish leaves the previous file as it was */
    char blocker[300];
    snprintf(blocker, sizeof blocker, "%s.tmp.%ld", path, (long)getpid());
    mkdir(blocker, 0700); /* the temporary file's name is taken by a folder */
    bex_index_add(ix, 99999, 1, v, NULL, 0);
    CHECK(bex_index_save(ix, path, err, sizeof err) == BEX_ERR_IO && strstr(err, "cannot write"));
    rmdir(blocker);
    CHECK(bex_index_load(path, &back, err, sizeof err) == BEX_OK && bex_index_count(back) == 50);
    bex_index_close(back);
    CHECK(bex_index_save(ix, "/nonexistent-dir/x.bexi", err, sizeof err) == BEX_ERR_IO);
    bex_index_close(ix);
    unlink(path);
    unlink(bad);
    free(v);
}

/* Removal under concurrent searches: once bex_index_remove returns, no search that starts
 * afterwards returns the template. Searchers probe with the template itself (its own best
 * match) and check every answer they got from a search begun after the removal. */
typedef struct race {
    bex_index *ix;
    const float *probe;
    atomic_int removed, stop, violations, searches;
} race;

static void *searcher(void *arg) {
    race *r = arg;
    while (!atomic_load(&r->stop)) {
        int after = atomic_load(&r->removed);
        bex_index_hit h[3];
        size_t got = 0;
        if (bex_index_search(r->ix, r->probe, 3, NULL, h, &got, NULL, 0) != BEX_OK) continue;
        for (size_t j = 0; j < got; j++)
            if (after && h[j].template_id == 4242) atomic_fetch_add(&r->violations, 1);
        atomic_fetch_add(&r->searches, 1);
    }
    return NULL;
}

TEST(removal_under_concurrent_searches) {
    const int d = 128;
    const size_t n = 20000;
    float *v = unit_vectors(n, d);
    for (int round = 0; round < 20; round++) {
        bex_index *ix = filled(BEX_INDEX_FLOAT32, v, n, d);
        bex_index_add(ix, 4242, 7, v + 5 * d, NULL, 0);
        race r = {ix, v + 5 * d, 0, 0, 0, 0};
        pthread_t th[3];
        for (int t = 0; t < 3; t++) pthread_create(&th[t], NULL, searcher, &r);
        while (atomic_load(&r.searches) < 3) usleep(100);
        /* adds go on meanwhile too */
        for (int i = 0; i < 50; i++) bex_index_add(ix, 1000000 + i, 8, v + i * d, NULL, 0);
        CHECK(bex_index_remove(ix, 4242, NULL, 0) == BEX_OK);
        atomic_store(&r.removed, 1);
        int before = atomic_load(&r.searches);
        while (atomic_load(&r.searches) < before + 6) usleep(100);
        atomic_store(&r.stop, 1);
        for (int t = 0; t < 3; t++) pthread_join(th[t], NULL);
        CHECK(atomic_load(&r.violations) == 0);
        bex_index_close(ix);
    }
    free(v);
}

/* A decision names its operating point, set for the size of the gallery searched. */
TEST(identify_decides_at_the_gallery_size) {
    const int d = 128;
    float *v = unit_vectors(1300, d);
    bex_index *ix = filled(BEX_INDEX_INT8, v, 1260, d); /* 420 subjects of 3 templates */
    bex_index_hit c[5];
    size_t n;
    bex_operating_point op, ref;
    int match = -1;
    char err[256];
    CHECK(bex_index_identify(ix, v + 100 * d, 5, NULL, BEX_ALIGN_DEFAULT, 0.003, c, &n, &op, &match, err,
                             sizeof err) == BEX_OK);
    CHECK(strcmp(op.name, "FPIR 0.003 at N=420") == 0);
    CHECK(bex_operating_point_identify(BEX_ALIGN_DEFAULT, 0.003, 420, &ref, NULL, 0) == BEX_OK);
    CHECK(op.threshold == ref.threshold);
    CHECK(match == 1 && n == 5 && c[0].template_id == 1000 && c[0].score >= op.threshold);
    CHECK(c[1].score < op.threshold); /* random vectors: the rest are candidates, not matches */
    /* a stranger is no match; the candidate list is still there for review */
    CHECK(bex_index_identify(ix, v + 1290 * d, 5, NULL, BEX_ALIGN_DEFAULT, 0.003, c, &n, &op, &match, err,
                             sizeof err) == BEX_OK);
    CHECK(match == 0 && n == 5);
    /* a flight's gallery of 2 subjects: N = 2, a lower threshold */
    int64_t flight[2] = {33, 34};
    bex_index_filter *f;
    CHECK(bex_index_filter_by_subjects(ix, flight, 2, &f, err, sizeof err) == BEX_OK);
    CHECK(bex_index_identify(ix, v + 100 * d, 5, f, BEX_ALIGN_DEFAULT, 0.003, c, &n, &op, &match, err,
                             sizeof err) == BEX_OK);
    CHECK(strcmp(op.name, "FPIR 0.003 at N=2") == 0 && op.threshold < ref.threshold && n == 2 && match == 1);
    bex_index_filter_free(f);
    /* beyond the calibration's reach: refused, not extrapolated */
    CHECK(bex_index_identify(ix, v, 5, NULL, BEX_ALIGN_DEFAULT, 1e-6, c, &n, &op, &match, err, sizeof err) ==
          BEX_ERR_UNSUPPORTED);
    bex_index_close(ix);
    free(v);
}

/* the exact vectors of a re-rank, from the caller's copy (template id = 10 x row) */
typedef struct exact_src {
    const float *v;
    int d;
    size_t n;
    int64_t skip; /* a template the caller no longer holds, or -1 */
} exact_src;
static int exact_vector(void *ctx, int64_t tid, float *vec) {
    exact_src *e = ctx;
    if (tid == e->skip || tid < 0 || (size_t)(tid / 10) >= e->n) return BEX_ERR_ARG;
    memcpy(vec, e->v + (size_t)(tid / 10) * e->d, sizeof(float) * e->d);
    return BEX_OK;
}

/* An int8 scan with a float32 re-rank answers as a float32 index does, also when hundreds of
 * templates crowd around the probe closer than int8 can tell apart. */
TEST(int8_rerank_equals_float32) {
    const int d = 128, k = 5;
    size_t n = 6000;
    float *v = unit_vectors(n, d);
    /* rows 0..599: the probe's neighbourhood, scores within ~1e-3 of each other */
    float *q = unit_vectors(1, d);
    for (size_t i = 0; i < 600; i++) {
        double ss = 0;
        for (int j = 0; j < d; j++) {
            v[i * d + j] = q[j] + (float)((rnd() - 0.5) * 0.004);
            ss += (double)v[i * d + j] * v[i * d + j];
        }
        for (int j = 0; j < d; j++) v[i * d + j] /= (float)sqrt(ss);
    }
    bex_index *f32 = filled(BEX_INDEX_FLOAT32, v, n, d), *i8 = filled(BEX_INDEX_INT8, v, n, d);
    CHECK(f32 && i8);
    if (!f32 || !i8) goto out;
    char err[256];
    exact_src src = {v, d, n, -1};
    for (int t = 0; t < 20; t++) {
        const float *probe = t == 0 ? q : v + (size_t)(t * 281 % n) * d;
        bex_index_hit a[5], b[5];
        size_t na = 0, nb = 0;
        int rescored = 0;
        CHECK(bex_index_search_subjects(f32, probe, k, NULL, a, &na, err, sizeof err) == BEX_OK);
        CHECK(bex_index_search_subjects_exact(i8, probe, k, NULL, exact_vector, &src, b, &nb, &rescored, err,
                                              sizeof err) == BEX_OK);
        CHECK(na == (size_t)k && nb == na);
        for (size_t j = 0; j < na && j < nb; j++) {
            CHECK(a[j].template_id == b[j].template_id);
            CHECK(a[j].subject_id == b[j].subject_id);
            CHECK_NEAR(a[j].score, b[j].score, 2e-6);
        }
        CHECK(rescored >= BEX_INDEX_RERANK_MIN);
        if (t == 0) CHECK(rescored > BEX_INDEX_RERANK_MIN); /* the crowd made it widen */
    }
    /* the int8 scan alone misorders the crowd: the re-rank is what makes it exact */
    bex_index_hit c[5];
    size_t nc;
    CHECK(bex_index_search_subjects(i8, q, k, NULL, c, &nc, err, sizeof err) == BEX_OK);
    /* a template the caller no longer holds is left out */
    bex_index_hit a[5], b[5];
    size_t na, nb;
    CHECK(bex_index_search_subjects_exact(f32, q, 1, NULL, exact_vector, &src, a, &na, NULL, err, sizeof err) == BEX_OK);
    src.skip = a[0].template_id;
    CHECK(bex_index_search_subjects_exact(f32, q, 1, NULL, exact_vector, &src, b, &nb, NULL, err, sizeof err) == BEX_OK);
    CHECK(nb == 1 && b[0].template_id != a[0].template_id && b[0].score <= a[0].score);
    /* a filter is honoured */
    bex_index_filter *fl = NULL;
    int64_t subj[2] = {1500, 1700};
    CHECK(bex_index_filter_by_subjects(i8, subj, 2, &fl, err, sizeof err) == BEX_OK);
    src.skip = -1;
    CHECK(bex_index_search_subjects_exact(i8, q, 5, fl, exact_vector, &src, b, &nb, NULL, err, sizeof err) == BEX_OK);
    CHECK(nb == 2);
    for (size_t j = 0; j < nb; j++) CHECK(b[j].subject_id == 1500 || b[j].subject_id == 1700);
    bex_index_filter_free(fl);
    CHECK(bex_index_search_subjects_exact(i8, q, 5, NULL, NULL, &src, b, &nb, NULL, err, sizeof err) == BEX_ERR_ARG);
out:
    bex_index_close(f32);
    bex_index_close(i8);
    free(q);
    free(v);
}

/* A scan done ahead (bex_index_scan_exact) gives the search's answer; one made for another
 * probe, or before the index changed, is not used: the search scans again. */
TEST(scan_ahead_used_only_while_current) {
    const int d = 128, k = 5;
    size_t n = 3000;
    float *v = unit_vectors(n, d);
    bex_index *i8 = filled(BEX_INDEX_INT8, v, n, d);
    CHECK(i8 != NULL);
    if (!i8) {
        free(v);
        return;
    }
    char err[256];
    exact_src src = {v, d, n, -1};
    const float *p1 = v + 17 * d, *p2 = v + 2900 * d;
    bex_index_hit a[5], b[5];
    size_t na = 0, nb = 0;
    bex_index_scan *s1 = NULL;
    CHECK(bex_index_scan_exact(i8, p1, k, &s1, err, sizeof err) == BEX_OK && s1);
    CHECK(bex_index_search_subjects_exact(i8, p1, k, NULL, exact_vector, &src, a, &na, NULL, err, sizeof err) == BEX_OK);
    CHECK(bex_index_search_subjects_exact_from(i8, s1, p1, k, NULL, exact_vector, &src, b, &nb, NULL, err,
                                               sizeof err) == BEX_OK);
    CHECK(na == (size_t)k && nb == na && a[0].template_id == 170);
    for (size_t j = 0; j < na && j < nb; j++) CHECK(a[j].template_id == b[j].template_id && a[j].score == b[j].score);
    /* another probe: its own answer, not the scan's */
    CHECK(bex_index_search_subjects_exact_from(i8, s1, p2, k, NULL, exact_vector, &src, b, &nb, NULL, err,
                                               sizeof err) == BEX_OK);
    CHECK(nb == (size_t)k && b[0].template_id == 29000);
    /* the probe's own template removed after the scan: not returned, though the caller still
     * hands its vector to the re-rank */
    CHECK(bex_index_remove(i8, 170, err, sizeof err) == BEX_OK);
    CHECK(bex_index_search_subjects_exact_from(i8, s1, p1, k, NULL, exact_vector, &src, b, &nb, NULL, err,
                                               sizeof err) == BEX_OK);
    CHECK(nb == (size_t)k);
    for (size_t j = 0; j < nb; j++) CHECK(b[j].template_id != 170);
    /* and a template added after it, closer than any: found */
    CHECK(bex_index_add(i8, 170, 5, p1, err, sizeof err) == BEX_OK);
    bex_index_scan *s2 = NULL;
    CHECK(bex_index_scan_exact(i8, p2, k, &s2, err, sizeof err) == BEX_OK);
    CHECK(bex_index_add(i8, 99990, 9999, p2, err, sizeof err) == BEX_OK);
    src.skip = -1;
    float *v2 = malloc(sizeof(float) * (size_t)d * 10000);
    CHECK(v2 != NULL);
    if (v2) {
        memcpy(v2, v, sizeof(float) * (size_t)d * n);
        memcpy(v2 + (size_t)9999 * d, p2, sizeof(float) * (size_t)d);
        exact_src src2 = {v2, d, 10000, -1};
        CHECK(bex_index_search_subjects_exact_from(i8, s2, p2, k, NULL, exact_vector, &src2, b, &nb, NULL, err,
                                                   sizeof err) == BEX_OK);
        CHECK(nb == (size_t)k && (b[0].template_id == 99990 || b[1].template_id == 99990));
        free(v2);
    }
    bex_index_scan_free(s1);
    bex_index_scan_free(s2);
    CHECK(bex_index_scan_exact(i8, p1, 0, &s2, err, sizeof err) == BEX_ERR_ARG && s2 == NULL);
    bex_index_close(i8);
    free(v);
}

/* One trial of a stale scan done ahead: n templates (id 10 x row of pool, vectors there), a
 * scan, then changes: adds (one the probe itself when `best`), removals (the scan's best and
 * several of its candidates, others), templates removed and added again (same or new vector),
 * replacements; `extra` more add/remove pairs on top (an overflowing journal). The search
 * from the stale scan must answer exactly as a fresh one. Returns how the scan served it. */
static int stale_scan_trial(bex_index_format f, size_t n, int k, int best, size_t extra) {
    const int d = 64;
    size_t cap = n + 400;
    float *pool = unit_vectors(cap, d);
    float *q = unit_vectors(1, d);
    if (rnd() < 0.5) /* a crowd around the probe, so rounds widen */
        for (size_t i = 0; i < n / 4; i++) {
            double ss = 0;
            for (int j = 0; j < d; j++) {
                pool[i * d + j] = q[j] + (float)((rnd() - 0.5) * 0.01);
                ss += (double)pool[i * d + j] * pool[i * d + j];
            }
            for (int j = 0; j < d; j++) pool[i * d + j] /= (float)sqrt(ss);
        }
    unsigned char *in = calloc(cap, 1);
    bex_index *ix = NULL;
    char err[256];
    int how = -1;
    CHECK(bex_index_open(d, f, &ix, err, sizeof err) == BEX_OK);
    if (!ix) goto out;
    for (size_t i = 0; i < n; i++) {
        CHECK(bex_index_add(ix, (int64_t)i * 10, (int64_t)(i / 3), pool + i * d, err, sizeof err) == BEX_OK);
        in[i] = 1;
    }
    bex_index_scan *s = NULL;
    CHECK(bex_index_scan_exact(ix, q, k, &s, err, sizeof err) == BEX_OK && s);
    /* the scan's candidates, as the scan ranks them */
    bex_index_hit c[64];
    size_t nc = 0;
    CHECK(bex_index_search(ix, q, n < 64 ? (int)n : 64, NULL, c, &nc, err, sizeof err) == BEX_OK);
    size_t next = n; /* the next unused pool row */
    /* the scan's best goes, and several of its candidates */
    if (nc > 0) {
        size_t r = (size_t)(c[0].template_id / 10);
        CHECK(bex_index_remove(ix, c[0].template_id, err, sizeof err) == BEX_OK);
        in[r] = 0;
    }
    int gone = (int)(rnd() * 12);
    for (int i = 0; i < gone && nc > 1; i++) {
        size_t r = (size_t)(c[1 + (size_t)(rnd() * (double)(nc - 1))].template_id / 10);
        if (in[r] && bex_index_remove(ix, (int64_t)r * 10, err, sizeof err) == BEX_OK) in[r] = 0;
    }
    int changes = (int)(rnd() * 60);
    for (int i = 0; i < changes; i++) {
        double u = rnd();
        size_t r = (size_t)(rnd() * (double)next);
        if (u < 0.35 && next < cap) { /* a new template */
            size_t nr = next++;
            CHECK(bex_index_add(ix, (int64_t)nr * 10, (int64_t)(nr / 3), pool + nr * d, err, sizeof err) == BEX_OK);
            in[nr] = 1;
        } else if (u < 0.6) { /* a removal */
            if (in[r] && bex_index_remove(ix, (int64_t)r * 10, err, sizeof err) == BEX_OK) in[r] = 0;
        } else if (u < 0.8) { /* removed earlier, added again: the same vector or a new one */
            if (!in[r]) {
                if (rnd() < 0.5) {
                    float *nv = unit_vectors(1, d);
                    memcpy(pool + r * d, nv, sizeof(float) * d);
                    free(nv);
                }
                CHECK(bex_index_add(ix, (int64_t)r * 10, (int64_t)(r / 3), pool + r * d, err, sizeof err) == BEX_OK);
                in[r] = 1;
            }
        } else if (in[r]) { /* replaced in place, a new vector */
            float *nv = unit_vectors(1, d);
            memcpy(pool + r * d, nv, sizeof(float) * d);
            free(nv);
            CHECK(bex_index_add(ix, (int64_t)r * 10, (int64_t)(r / 3), pool + r * d, err, sizeof err) == BEX_OK);
        }
    }
    /* the scan's best, added again, and removed again */
    if (nc > 2 && rnd() < 0.5) {
        size_t r = (size_t)(c[2].template_id / 10);
        if (in[r]) CHECK(bex_index_remove(ix, (int64_t)r * 10, err, sizeof err) == BEX_OK);
        CHECK(bex_index_add(ix, (int64_t)r * 10, (int64_t)(r / 3), pool + r * d, err, sizeof err) == BEX_OK);
        CHECK(bex_index_remove(ix, (int64_t)r * 10, err, sizeof err) == BEX_OK);
        in[r] = 0;
    }
    if (best && next < cap) { /* better than everything: the probe itself */
        size_t nr = next++;
        memcpy(pool + nr * d, q, sizeof(float) * d);
        CHECK(bex_index_add(ix, (int64_t)nr * 10, 777777, pool + nr * d, err, sizeof err) == BEX_OK);
        in[nr] = 1;
    }
    for (size_t i = 0; i < extra; i++) { /* past what the journal holds */
        size_t r = next < cap ? next : cap - 1;
        if (in[r]) continue;
        CHECK(bex_index_add(ix, (int64_t)r * 10, (int64_t)(r / 3), pool + r * d, err, sizeof err) == BEX_OK);
        CHECK(bex_index_remove(ix, (int64_t)r * 10, err, sizeof err) == BEX_OK);
    }
    exact_src src = {pool, d, cap, -1};
    bex_index_hit a[8], b[8];
    size_t na = 0, nb = 0;
    bex_index_prescan_stats before, after;
    bex_index_get_prescan_stats(ix, &before);
    CHECK(bex_index_search_subjects_exact_from(ix, s, q, k, NULL, exact_vector, &src, b, &nb, NULL, err,
                                               sizeof err) == BEX_OK);
    bex_index_get_prescan_stats(ix, &after);
    CHECK(bex_index_search_subjects_exact(ix, q, k, NULL, exact_vector, &src, a, &na, NULL, err, sizeof err) ==
          BEX_OK);
    CHECK(na == nb);
    for (size_t j = 0; j < na && j < nb; j++) {
        CHECK(a[j].template_id == b[j].template_id);
        CHECK(a[j].subject_id == b[j].subject_id);
        CHECK(a[j].score == b[j].score);
    }
    if (best && next <= cap) CHECK(na > 0 && a[0].subject_id == 777777);
    how = after.journal > before.journal ? 1 : after.rescanned > before.rescanned ? 0 : after.current > before.current ? 2 : -1;
    bex_index_scan_free(s);
out:
    bex_index_close(ix);
    free(in);
    free(q);
    free(pool);
    return how;
}

/* A scan done ahead of changes to the index is brought up to date through the index's journal
 * (the changes since taken out of and merged into its candidates) instead of scanning again,
 * and the answer is still exactly a fresh search's, in every format; once the journal no longer
 * holds every change since, the search scans again, and is exact too. */
TEST(stale_scan_ahead_follows_the_journal) {
    bex_index_format fmts[3] = {BEX_INDEX_FLOAT32, BEX_INDEX_FLOAT16, BEX_INDEX_INT8};
    for (int fi = 0; fi < 3; fi++) {
        int journal = 0, rescanned = 0;
        for (int t = 0; t < 40; t++) {
            size_t n = t % 8 == 0 ? 50 + (size_t)(rnd() * 30) : 300 + (size_t)(rnd() * 2500);
            int k = t % 3 == 0 ? 1 : t % 3 == 1 ? 3 : 5;
            int how = stale_scan_trial(fmts[fi], n, k, t % 2 == 0, 0);
            CHECK(how == 0 || how == 1);
            if (how == 1) journal++;
            if (how == 0) rescanned++;
            if (n >= 300) CHECK(how == 1); /* the same m: the journal served it */
        }
        CHECK(journal >= 30);
        /* the journal overflowed: scanned again, still exact */
        CHECK(stale_scan_trial(fmts[fi], 1000, 5, 1, 2100) == 0);
    }
}

/* the file checksum, as src/index/index.c computes it (to write a version-1 file here) */
static uint64_t v1_csum(const unsigned char *b, size_t n) {
    uint64_t h = 0x243f6a8885a308d3ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h ^= w * 0x9e3779b97f4a7c15ULL;
        h = (h << 27 | h >> 37) * 0xff51afd7ed558ccdULL;
    }
    for (; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* The file records the model; a version-1 file (no model) still loads, as the built-in one's;
 * templates of another model are refused with both models named. */
TEST(files_know_their_model) {
    const int d = 128;
    float *v = unit_vectors(10, d);
    char err[512], path[] = "/tmp/bex-test-model-ix.XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    bex_index *ix = NULL, *back = NULL;
    const char *vx = "vendor-x-r100@2.1 arcface-112 sha256:0123456789abcdef0123456789abcdef";
    CHECK(bex_index_open_model(d, BEX_INDEX_INT8, vx, &ix, err, sizeof err) == BEX_OK);
    for (int i = 0; i < 10; i++) bex_index_add(ix, i + 1, i + 1, v + i * d, err, sizeof err);
    CHECK(!strcmp(bex_index_model(ix), vx));
    CHECK(bex_index_save(ix, path, err, sizeof err) == BEX_OK);
    CHECK(bex_index_load(path, &back, err, sizeof err) == BEX_OK);
    CHECK(back && !strcmp(bex_index_model(back), vx));
    CHECK(back && bex_index_check_model(back, vx, err, sizeof err) == BEX_OK);
    CHECK(back && bex_index_check_model(back, "face-api.js@1.7.15 resnet34-128 similarity", err, sizeof err) ==
                      BEX_ERR_MODEL);
    CHECK(strstr(err, vx) && strstr(err, "resnet34-128 similarity"));
    bex_index_close(back);
    back = NULL;
    bex_index_close(ix);
    /* a plain open is the built-in model's */
    CHECK(bex_index_open(d, BEX_INDEX_FLOAT32, &ix, err, sizeof err) == BEX_OK);
    CHECK(!strcmp(bex_index_model(ix), "face-api.js@1.7.15 resnet34-128 similarity"));
    CHECK(bex_index_check_model(ix, "face-api.js@1.7.15 resnet34-128 faceapi", err, sizeof err) == BEX_ERR_MODEL);
    for (int i = 0; i < 10; i++) bex_index_add(ix, i + 1, i + 1, v + i * d, err, sizeof err);
    CHECK(bex_index_save(ix, path, err, sizeof err) == BEX_OK);
    bex_index_close(ix);
    CHECK(bex_index_open_model(d, BEX_INDEX_INT8, "", &ix, err, sizeof err) == BEX_ERR_ARG);
    /* the same file as version 1 wrote it: no model block */
    FILE *f = fopen(path, "rb");
    unsigned char *b = malloc(1 << 20);
    size_t n = fread(b, 1, 1 << 20, f);
    fclose(f);
    size_t meta = 10 * 16, off1 = (64 + meta + 63) / 64 * 64, off2;
    memcpy(&off2, b + 40, 8); /* vec_offset */
    size_t rows = n - off2;
    unsigned char *o = calloc(1, off1 + rows);
    memcpy(o, b, 64);
    memcpy(o + 64, b + 64 + BEX_INDEX_MODEL_MAX, meta);
    memcpy(o + off1, b + off2, rows);
    uint32_t one = 1;
    uint64_t fs = off1 + rows, cs = v1_csum(o + 64, fs - 64);
    memcpy(o + 8, &one, 4);
    memcpy(o + 32, &cs, 8);
    memcpy(o + 40, &off1, 8);
    memcpy(o + 48, &fs, 8);
    f = fopen(path, "wb");
    fwrite(o, 1, fs, f);
    fclose(f);
    CHECK(bex_index_load(path, &back, err, sizeof err) == BEX_OK);
    if (back) {
        CHECK(!strcmp(bex_index_model(back), BEX_INDEX_MODEL_LEGACY));
        CHECK(bex_index_count(back) == 10);
        CHECK(bex_index_check_model(back, "face-api.js@1.7.15 resnet34-128 similarity", err, sizeof err) == BEX_OK);
        CHECK(bex_index_check_model(back, "face-api.js@1.7.15 resnet34-128 faceapi", err, sizeof err) == BEX_OK);
        CHECK(bex_index_check_model(back, vx, err, sizeof err) == BEX_ERR_MODEL);
        bex_index_hit h[1];
        size_t nh;
        CHECK(bex_index_search(back, v + 3 * d, 1, NULL, h, &nh, err, sizeof err) == BEX_OK && nh == 1 &&
              h[0].template_id == 4);
        bex_index_close(back);
    } else {
        printf("  %s\n", err);
    }
    free(b);
    free(o);
    unlink(path);
    free(v);
}

TEST(bad_arguments) {
    bex_index *ix = NULL;
    char err[256];
    CHECK(bex_index_open(0, BEX_INDEX_FLOAT32, &ix, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_index_open(128, (bex_index_format)7, &ix, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_index_open(128, BEX_INDEX_FLOAT32, &ix, err, sizeof err) == BEX_OK);
    float v[128] = {0};
    v[3] = NAN;
    CHECK(bex_index_add(ix, 1, 1, v, err, sizeof err) == BEX_ERR_ARG && strstr(err, "component 3"));
    v[3] = 0;
    CHECK(bex_index_add(ix, 1, 1, v, err, sizeof err) == BEX_OK);
    bex_index_hit h[1];
    size_t got;
    CHECK(bex_index_search(ix, v, 0, NULL, h, &got, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_index_search(ix, v, BEX_INDEX_MAX_K + 1, NULL, h, &got, err, sizeof err) == BEX_ERR_ARG);
    v[0] = INFINITY;
    CHECK(bex_index_search(ix, v, 1, NULL, h, &got, err, sizeof err) == BEX_ERR_ARG);
    CHECK(bex_index_search(ix, NULL, 1, NULL, h, &got, err, sizeof err) == BEX_ERR_ARG);
    bex_index_close(ix);
    bex_index_close(NULL);
}

TEST(allocation_failures) {
    const int d = 64;
    float *v = unit_vectors(2000, d);
    for (long k = 1; k <= 12; k++) {
        bex_index *ix = filled(BEX_INDEX_INT8, v, 1500, d);
        CHECK(ix != NULL);
        if (!ix) continue;
        bex__alloc_fail_after(k);
        int rc = BEX_OK;
        size_t i = 1500;
        for (; i < 2000 && rc == BEX_OK; i++) rc = bex_index_add(ix, (int64_t)i * 10, (int64_t)i, v + i * d, NULL, 0);
        bex_index_hit h[5];
        size_t got = 0;
        int src = bex_index_search_subjects(ix, v + 3 * d, 5, NULL, h, &got, NULL, 0);
        bex__alloc_fail_after(0);
        CHECK(rc == BEX_OK || rc == BEX_ERR_NOMEM);
        CHECK(src == BEX_OK || src == BEX_ERR_NOMEM);
        /* whatever failed, the index is whole: every template it counts is found */
        size_t n = bex_index_count(ix);
        CHECK(n == (rc == BEX_OK ? 2000 : i - 1));
        for (size_t t = 0; t < n; t += 97) {
            CHECK(bex_index_search(ix, v + t * d, 1, NULL, h, &got, NULL, 0) == BEX_OK);
            CHECK(got == 1 && h[0].template_id == (int64_t)t * 10);
        }
        bex_index_close(ix);
    }
    free(v);
}

int main(void) {
    bex_index *ix;
    if (bex_index_open(128, BEX_INDEX_INT8, &ix, NULL, 0) == BEX_OK) {
        printf("  kernel: %s\n", bex_index_kernel_name(ix));
        bex_index_close(ix);
    }
    RUN(float32_top_k_is_exact);
    RUN(compressed_formats_stay_close);
    RUN(dimensions_that_need_padding);
    RUN(replace_and_remove);
    RUN(filters_restrict_the_search);
    RUN(batch_equals_single_searches);
    RUN(threads_give_the_same_answer);
    RUN(best_template_per_subject);
    RUN(file_round_trip);
    RUN(damaged_files_are_refused);
    RUN(removal_under_concurrent_searches);
    RUN(identify_decides_at_the_gallery_size);
    RUN(int8_rerank_equals_float32);
    RUN(scan_ahead_used_only_while_current);
    RUN(stale_scan_ahead_follows_the_journal);
    RUN(files_know_their_model);
    RUN(bad_arguments);
    RUN(allocation_failures);
    return test_summary();
}
