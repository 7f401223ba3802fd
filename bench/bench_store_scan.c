/*
 * bench_store_scan.c - the record store's 1:N search (bex__search, what every entry, exit and
 * lookup runs) at a gallery of N travellers: the store's int8 index with the float32 re-rank,
 * beside the float32 index it used before (the same templates, the same probes, searched with
 * bex_index_search_subjects as the store did), in one run on one machine.
 *
 *   build/bench/bench_store_scan                 N = 1e6, 200 probes, 5 repetitions
 *   build/bench/bench_store_scan --n 1e5 --probes 100 --reps 3
 *
 * Data: N subjects with one random unit template each (d = 128, fixed seed), written straight
 * into a new store's samples table; half the probes are a gallery template plus noise (mated,
 * similarity about 0.7), half new random vectors (non-mated). Prints ms a probe per repetition
 * for each method (min / median / max over repetitions), how many templates the re-rank
 * re-scored, and whether the two answered the same (top-5 subjects and template ids, scores
 * to 1e-6). Nothing is asserted: the figures are reported.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/index.h"
#include "bex/store.h"
#include "store/records.h"
#include "store/store_impl.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;
static double rnd(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(rnd() + 1e-300)) * cos(6.283185307179586 * rnd()); }
static void unit(float *v, int d) {
    double ss = 0;
    for (int i = 0; i < d; i++) {
        v[i] = (float)gauss();
        ss += (double)v[i] * v[i];
    }
    for (int i = 0; i < d; i++) v[i] /= (float)sqrt(ss);
}
static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int gallery_vector(void *ctx, int64_t tid, float *vec) {
    memcpy(vec, (const float *)ctx + (size_t)(tid - 1) * BEX_TEMPLATE_DIM, sizeof(float) * BEX_TEMPLATE_DIM);
    return BEX_OK;
}
static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    long n = 1000000, np = 200, reps = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) n = (long)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--probes")) np = (long)atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--reps")) reps = (long)atof(argv[i + 1]);
    }
    if (n < 10 || np < 2 || reps < 1 || reps > 100) {
        fprintf(stderr, "usage: bench_store_scan [--n N] [--probes P] [--reps R]\n");
        return 2;
    }
    const int d = BEX_TEMPLATE_DIM;
    char dir[] = "/tmp/bex-bench-scan.XXXXXX", path[64], err[256];
    if (!mkdtemp(dir)) return 2;
    snprintf(path, sizeof path, "%s/s.db", dir);
    bex_store_options o;
    bex_store_options_default(&o);
    o.synchronous_off = 1;
    bex_store *st;
    if (bex_store_open(path, &o, &st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    float *gal = malloc(sizeof(float) * (size_t)n * d), *probes = malloc(sizeof(float) * (size_t)np * d);
    double t0 = now_ms();
    sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *ss, *sm;
    sqlite3_prepare_v2(st->db, "INSERT INTO subjects(id, created_at) VALUES (?1, '2026-01-01T00:00:00Z')", -1, &ss, NULL);
    sqlite3_prepare_v2(st->db, "INSERT INTO samples(id, subject_id, source, model, template, captured_at) "
                               "VALUES (?1, ?1, 'entry', ?2, ?3, '2026-01-01T00:00:00Z')", -1, &sm, NULL);
    for (long i = 0; i < n; i++) {
        float *v = gal + (size_t)i * d;
        unit(v, d);
        sqlite3_bind_int64(ss, 1, i + 1);
        sqlite3_step(ss);
        sqlite3_reset(ss);
        sqlite3_bind_int64(sm, 1, i + 1);
        sqlite3_bind_text(sm, 2, bex_store_model(st), -1, SQLITE_STATIC);
        sqlite3_bind_blob(sm, 3, v, d * 4, SQLITE_STATIC);
        if (sqlite3_step(sm) != SQLITE_DONE) {
            fprintf(stderr, "insert: %s\n", sqlite3_errmsg(st->db));
            return 1;
        }
        sqlite3_reset(sm);
    }
    sqlite3_finalize(ss);
    sqlite3_finalize(sm);
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    for (long p = 0; p < np; p++) {
        float *q = probes + (size_t)p * d;
        unit(q, d);
        if (p % 2 == 0) { /* mated: a gallery template moved to similarity ~0.7 */
            const float *g = gal + (size_t)(rnd() * n) * d;
            for (int j = 0; j < d; j++) q[j] = 0.7f * g[j] + 0.714f * q[j];
            double s2 = 0;
            for (int j = 0; j < d; j++) s2 += (double)q[j] * q[j];
            for (int j = 0; j < d; j++) q[j] /= (float)sqrt(s2);
        }
    }
    printf("N = %ld subjects, d = %d, %ld probes (half mated), %ld repetitions; store filled in %.1f s\n", n, d, np,
           reps, (now_ms() - t0) / 1e3);
    bex_index *f32;
    bex_index_open(d, BEX_INDEX_FLOAT32, &f32, err, sizeof err);
    for (long i = 0; i < n; i++) bex_index_add(f32, i + 1, i + 1, gal + (size_t)i * d, err, sizeof err);
    bex_index *i8;
    t0 = now_ms();
    if (st_index(st, &i8, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("store index built from the file in %.1f s (%s, %zu bytes a template; float32: %zu)\n",
           (now_ms() - t0) / 1e3, bex_index_kernel_name(i8), bex_index_bytes_per_template(i8),
           bex_index_bytes_per_template(f32));
    bex_index_hit *ha = malloc(sizeof *ha * 5 * (size_t)np), *hb = malloc(sizeof *hb * 5 * (size_t)np);
    size_t *na = calloc((size_t)np, sizeof *na), *nb = calloc((size_t)np, sizeof *nb);
    double ta[100], tb[100];
    for (long r = 0; r < reps; r++) {
        t0 = now_ms();
        for (long p = 0; p < np; p++)
            bex_index_search_subjects(f32, probes + (size_t)p * d, 5, NULL, ha + p * 5, &na[p], err, sizeof err);
        ta[r] = (now_ms() - t0) / np;
        t0 = now_ms();
        for (long p = 0; p < np; p++) {
            long long gs;
            if (bex__search(st, probes + (size_t)p * d, NULL, 0, hb + p * 5, &nb[p], &gs, err, sizeof err) != BEX_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
        }
        tb[r] = (now_ms() - t0) / np;
        printf("rep %ld: float32 %.2f ms a probe, int8 + re-rank %.2f ms a probe\n", r + 1, ta[r], tb[r]);
    }
    long same = 0, rescored_sum = 0;
    for (long p = 0; p < np; p++) {
        int ok = na[p] == nb[p];
        for (size_t j = 0; ok && j < na[p]; j++)
            ok = ha[p * 5 + j].template_id == hb[p * 5 + j].template_id &&
                 fabsf(ha[p * 5 + j].score - hb[p * 5 + j].score) <= 1e-6f;
        same += ok;
    }
    /* how many templates the re-rank re-scored (the store's index, vectors from memory) */
    long rescored_max = 0;
    for (long p = 0; p < np; p++) {
        int rs = 0;
        bex_index_hit h[5];
        size_t nh;
        bex_index_search_subjects_exact(i8, probes + (size_t)p * d, 5, NULL, gallery_vector, gal, h, &nh, &rs, err,
                                        sizeof err);
        rescored_sum += rs;
        if (rs > rescored_max) rescored_max = rs;
    }
    qsort(ta, (size_t)reps, sizeof *ta, cmpd);
    qsort(tb, (size_t)reps, sizeof *tb, cmpd);
    printf("float32 (before):        %.2f / %.2f / %.2f ms a probe (min / median / max)\n", ta[0], ta[reps / 2],
           ta[reps - 1]);
    printf("int8 + re-rank (now):    %.2f / %.2f / %.2f ms a probe\n", tb[0], tb[reps / 2], tb[reps - 1]);
    printf("re-scored a probe: mean %.1f, max %ld templates\n", (double)rescored_sum / np, rescored_max);
    printf("same top-5 (ids, scores to 1e-6): %ld of %ld probes\n", same, np);
    bex_index_close(f32);
    bex_store_close(st);
    free(gal);
    free(probes);
    free(ha);
    free(hb);
    free(na);
    free(nb);
    unlink(path);
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    rmdir(dir);
    return 0;
}
