/*
 * index.h - an in-process index of face templates for exact 1:N search at memory speed.
 *
 *   bex_index *ix;
 *   char err[256];
 *   bex_index_open(128, BEX_INDEX_INT8, &ix, err, sizeof err);
 *   bex_index_add(ix, template_id, subject_id, template, err, sizeof err);
 *   bex_index_hit hits[5];
 *   size_t n;
 *   bex_index_search(ix, probe, 5, NULL, hits, &n, err, sizeof err);   // best first
 *   float scores[64 * 5]; int64_t ids[64 * 5];
 *   bex_index_search_batch(ix, probes, 64, 5, NULL, scores, ids, err, sizeof err); // faiss's shape
 *   bex_index_save(ix, "gallery.bexi", err, sizeof err);             // atomic
 *   bex_index_close(ix);
 *
 * Templates are unit-length vectors (bex_face's template_); the score is the cosine
 * similarity (the dot product), exactly as bex_template_similarity computes it for float32
 * storage, and within the storage format's rounding for float16 and int8. Every template has
 * a caller-chosen template id (unique; re-adding one replaces it) and a subject id (the
 * person: several templates may share it).
 *
 * Search is exhaustive, so results are exact for the stored vectors: the k highest scores,
 * ties broken by lower template id. It scans in chunks on up to `threads` threads, with
 * SIMD kernels picked at run time (scalar, AVX2, AVX-512, AVX-512 VNNI for int8; BEX_KERNEL
 * forces one as for the networks). A filter (bex_index_filter) restricts a search to a set of
 * templates or subjects at a cost proportional to that set, not to the index.
 *
 * Concurrency: any number of threads may search one index while others add, replace or
 * remove. A search holds a shared lock while it scans; a change takes the exclusive lock (a
 * writer-preferring one), so it waits for the searches in flight (about 3 ms at a million
 * int8 templates) and the searches after it wait for its few microseconds. Hence a template
 * removed is never returned once bex_index_remove has returned: deletion of a person's data
 * takes effect at once.
 *
 * File: a header (magic, version, dimension, format, count, checksum of the rest), the
 * identity of the model the templates come from (model.h; version 2 on), then the ids and
 * the vectors, written to a temporary file, synced and renamed over the target,
 * so a crash during a save leaves the old file or the new one, never a torn one. bex_index_load
 * maps the file read-only and checks it; the first change copies it to memory.
 */
#ifndef BEX_INDEX_H
#define BEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"
#include "bex/calibration.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bex_index_format {
    BEX_INDEX_FLOAT32 = 0, /* 4 bytes a dimension; exact */
    BEX_INDEX_FLOAT16 = 1, /* 2 bytes; IEEE half, relative error ~5e-4 per component */
    BEX_INDEX_INT8 = 2,    /* 1 byte; per-vector scale (max |x| / 127), probes quantised alike */
} bex_index_format;

#define BEX_INDEX_MAX_DIM 4096
#define BEX_INDEX_MAX_K 1024
#define BEX_INDEX_MODEL_MAX 128 /* bytes of a model identity, with its NUL */

typedef struct bex_index bex_index;

typedef struct bex_index_hit {
    float score;          /* cosine similarity */
    int64_t template_id;
    int64_t subject_id;
} bex_index_hit;

/* A set of templates a search is restricted to: the templates with these template ids, or
 * the templates of these subjects (one flight's manifest, one port's frequent crossers).
 * Ids not in the index are ignored. Built against one index; a change to the index after it
 * was built is seen by the search (a removed template is skipped, a template added for a
 * listed subject is not included until the filter is rebuilt). */
typedef struct bex_index_filter bex_index_filter;

/* Opens an empty index for vectors of `dim` floats (1..BEX_INDEX_MAX_DIM), templates of the
 * built-in model with the default alignment (bex_model_builtin_identity(0), model.h). */
int bex_index_open(int dim, bex_index_format format, bex_index **out, char *err, size_t errlen);
/* The same for templates of the model whose identity is `model` (model.h: 1 to
 * BEX_INDEX_MODEL_MAX - 1 bytes), which the file records. */
int bex_index_open_model(int dim, bex_index_format format, const char *model, bex_index **out,
                         char *err, size_t errlen);
/* The identity of the model the index's templates come from; a version-1 file, which
 * recorded none, gives BEX_INDEX_MODEL_LEGACY. Valid until bex_index_close. */
const char *bex_index_model(const bex_index *ix);
/* BEX_OK when templates of `model` may be added to or searched in the index: the same
 * identity, or a version-1 file and either built-in identity. Otherwise BEX_ERR_MODEL with a
 * message naming both models. A score between two models' templates means nothing, so every
 * caller that adds or searches checks this first (the vectors alone cannot say). */
int bex_index_check_model(const bex_index *ix, const char *model, char *err, size_t errlen);
#define BEX_INDEX_MODEL_LEGACY "face-api.js@1.7.15 resnet34-128 (alignment not recorded)"
void bex_index_close(bex_index *ix);

/* Threads one search may use (default: the machine's cores, at most 16). */
int bex_index_set_threads(bex_index *ix, int threads, char *err, size_t errlen);

/* Adds a template (copied and stored in the index's format); an existing template id is
 * replaced. The vector must be finite; it is stored as given (not renormalised). */
int bex_index_add(bex_index *ix, int64_t template_id, int64_t subject_id, const float *vec,
                  char *err, size_t errlen);
/* Removes a template; BEX_ERR_ARG with a message when the id is not there. */
int bex_index_remove(bex_index *ix, int64_t template_id, char *err, size_t errlen);
/* Removes every template of a subject; *removed (may be NULL) says how many. */
int bex_index_remove_subject(bex_index *ix, int64_t subject_id, size_t *removed, char *err,
                             size_t errlen);

size_t bex_index_count(const bex_index *ix);
int bex_index_dim(const bex_index *ix);
bex_index_format bex_index_get_format(const bex_index *ix);
/* Bytes of vector storage one template takes (dim x 4, 2 or 1, plus the int8 scale). */
size_t bex_index_bytes_per_template(const bex_index *ix);
/* The template in slot i (0 <= i < bex_index_count) of a float32 index: its ids and its dim
 * floats, as added (a gallery copied out, e.g. into an encrypted gate file). BEX_ERR_ARG for
 * another format or a slot beyond the count. */
int bex_index_template_at(bex_index *ix, size_t i, int64_t *template_id, int64_t *subject_id,
                          float *vec, char *err, size_t errlen);

/* The k best templates for one probe, best first, into hits[0..k-1]; *n is min(k, templates
 * searched). filter may be NULL (everything). 1 <= k <= BEX_INDEX_MAX_K. */
int bex_index_search(bex_index *ix, const float *probe, int k, const bex_index_filter *filter,
                     bex_index_hit *hits, size_t *n, char *err, size_t errlen);

/* nq probes (rows of probes, nq x dim) in one pass over memory: scores[i*k + j] and
 * ids[i*k + j] (template ids) for probe i, best first; unused slots get score -INFINITY and
 * id -1. */
int bex_index_search_batch(bex_index *ix, const float *probes, size_t nq, int k,
                           const bex_index_filter *filter, float *scores, int64_t *ids,
                           char *err, size_t errlen);

/* The best template per subject: hits ranked by subject (a subject's score is its best
 * template's), k subjects at most. What an identification decision needs. */
int bex_index_search_subjects(bex_index *ix, const float *probe, int k,
                              const bex_index_filter *filter, bex_index_hit *hits, size_t *n,
                              char *err, size_t errlen);

/* The exact (float32) vector of a template, for a re-rank: writes dim floats to vec and
 * returns BEX_OK, or another status to leave the template out (gone from the caller's
 * records). Called under the index's read lock: it must not change the index. */
typedef int (*bex_index_vector_fn)(void *ctx, int64_t template_id, float *vec);

/* As bex_index_search_subjects, with exact scores for a compact index: the int8 (or float16)
 * scan picks the best m = max(BEX_INDEX_RERANK_FACTOR k, BEX_INDEX_RERANK_MIN) templates, each
 * is re-scored with its exact vector from `vector`, and the best k subjects by exact score
 * are returned. The answer is that of an exhaustive float32 search: when the k-th exact score
 * is not above the m-th scan score plus the largest shift the format's rounding can cause
 * (computed from the probe and the rows stored), m grows fourfold and the scan runs again.
 * *rescored (may be NULL) says how many templates were re-scored. For a float32 index the
 * first round always settles it. */
#define BEX_INDEX_RERANK_FACTOR 8
#define BEX_INDEX_RERANK_MIN 64
int bex_index_search_subjects_exact(bex_index *ix, const float *probe, int k,
                                    const bex_index_filter *filter, bex_index_vector_fn vector,
                                    void *ctx, bex_index_hit *hits, size_t *n, int *rescored,
                                    char *err, size_t errlen);

/* The scan half of bex_index_search_subjects_exact over every template, done ahead: a caller
 * that must hold a lock for the re-rank (the record store reads the exact vectors from its
 * database) scans first without it, on any thread, and hands the scan to
 * bex_index_search_subjects_exact_from under the lock. The scan stands for the search's first
 * round when it was made for the same probe and k (and no filter): as it is if the index has
 * not changed since (an add or a remove), else brought up to date through the index's journal
 * of its recent changes (the templates removed since taken out of its candidates, those added
 * scored and merged in, the list cut to the best m - (candidates removed)); if the journal no
 * longer holds every change since, that search scans again. The answer is always that of
 * bex_index_search_subjects_exact at the time of the re-rank. */
typedef struct bex_index_scan bex_index_scan;
int bex_index_scan_exact(bex_index *ix, const float *probe, int k, bex_index_scan **out, char *err,
                         size_t errlen);
void bex_index_scan_free(bex_index_scan *s);
/* bex_index_search_subjects_exact, with a scan done ahead (NULL: none). */
int bex_index_search_subjects_exact_from(bex_index *ix, const bex_index_scan *pre, const float *probe, int k,
                                         const bex_index_filter *filter, bex_index_vector_fn vector,
                                         void *ctx, bex_index_hit *hits, size_t *n, int *rescored,
                                         char *err, size_t errlen);

/* How the scans done ahead that searches were given served them: a scan of the index as it was
 * (current), one brought up to date through the index's journal of its last 4096 template
 * changes (journal: the changes since it was made were applied to its candidates), or none
 * (rescanned: another probe or k, a filter, or changes the journal no longer holds). */
typedef struct bex_index_prescan_stats {
    uint64_t current, journal, rescanned;
} bex_index_prescan_stats;
void bex_index_get_prescan_stats(bex_index *ix, bex_index_prescan_stats *out);

/* The exact vectors of n templates at once, for a caller whose every read is a round trip (a
 * database server): dim floats for ids[i] at vecs + i * dim and ok[i] = 1, or ok[i] = 0 to
 * leave that template out (gone from the caller's records). BEX_OK, or another status that
 * ends the search with it. Called under the index's read lock: it must not change the index. */
typedef int (*bex_index_vectors_fn)(void *ctx, const int64_t *ids, size_t n, float *vecs,
                                    unsigned char *ok);
/* bex_index_search_subjects_exact_from, each round's candidates' vectors read in one call. */
int bex_index_search_subjects_exact_batch(bex_index *ix, const bex_index_scan *pre, const float *probe, int k,
                                          const bex_index_filter *filter, bex_index_vectors_fn vectors,
                                          void *ctx, bex_index_hit *hits, size_t *n, int *rescored,
                                          char *err, size_t errlen);

/* Subjects or templates the filter holds; *n_subjects counts distinct subjects in it (the
 * gallery size N a calibrated 1:N threshold needs). */
int bex_index_filter_by_subjects(bex_index *ix, const int64_t *subject_ids, size_t n,
                                 bex_index_filter **out, char *err, size_t errlen);
int bex_index_filter_by_templates(bex_index *ix, const int64_t *template_ids, size_t n,
                                  bex_index_filter **out, char *err, size_t errlen);
size_t bex_index_filter_templates(const bex_index_filter *f);
size_t bex_index_filter_subjects(const bex_index_filter *f);
void bex_index_filter_free(bex_index_filter *f);

/* One more than the largest template id in the index (1 when it is empty): a free id. */
int64_t bex_index_next_template_id(bex_index *ix);

/* Distinct subjects in the index (N for a search without a filter). */
size_t bex_index_subjects(bex_index *ix);

/* Saves atomically (temporary file, fsync, rename); loads by mapping the file. A file that
 * is truncated, of another version, or whose checksum fails is BEX_ERR_CORRUPT with a
 * message; nothing is half-loaded. */
int bex_index_save(bex_index *ix, const char *path, char *err, size_t errlen);
int bex_index_load(const char *path, bex_index **out, char *err, size_t errlen);

/* An identification decision at a calibrated operating point: the best k subjects for the
 * probe (bex_index_search_subjects), the threshold for FPIR `fpir` at the gallery size
 * searched (N = the filter's subjects, or the index's), and *match = 1 when the top
 * candidate reaches it. Candidates below the threshold are still listed for an officer's
 * review. Templates must come from the bundled model with alignment `align`. Errors as
 * bex_index_search_subjects and bex_operating_point_identify (BEX_ERR_UNSUPPORTED when the
 * calibration cannot support FPIR at that N). An empty gallery is BEX_ERR_ARG. */
int bex_index_identify(bex_index *ix, const float *probe, int k, const bex_index_filter *filter,
                       bex_align align, double fpir, bex_index_hit *cands, size_t *n,
                       bex_operating_point *op, int *match, char *err, size_t errlen);

/* The kernel searches use ("scalar", "avx2", "avx512", "avx512vnni"). */
const char *bex_index_kernel_name(const bex_index *ix);

#ifdef __cplusplus
}
#endif
#endif
