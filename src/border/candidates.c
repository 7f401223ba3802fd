/*
 * candidates.c - one flag's candidates, each compared 1:1 with the encounter's live capture
 * (border.h: bex_border_candidates; issue 15): the store gathers the candidates and their
 * best scores, rules.c picks the candidates and decides each at the store's 1:1 operating
 * point for the encounter's port, the one entries are decided at.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/rules.h"
#include "store/records.h"
#include "util/util.h"

int bex_border_candidates(bex_store *st, int64_t encounter, bex_candidates *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->encounter = encounter;
    if (encounter <= 0) {
        snprintf(err, errlen, "an encounter id is a positive integer");
        return BEX_ERR_ARG;
    }
    float *tmpl = bex__calloc((size_t)bex_store_dim(st), sizeof *tmpl);
    if (!tmpl) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) {
        bex__free(tmpl);
        return rc;
    }
    bex__candidate_facts f;
    rc = bex__candidate_facts_read(st, encounter, &f, tmpl, err, errlen);
    if (rc == BEX_OK && !f.exists) {
        snprintf(err, errlen, "no encounter %lld", (long long)encounter);
        rc = BEX_ERR_ARG;
    }
    bex_calibration cal;
    bex_operating_point vop;
    double fpir;
    if (rc == BEX_OK) rc = bex__operating_points(st, f.port, &cal, &vop, &fpir, err, errlen);
    int64_t subj[BEX_CANDIDATES_MAX];
    int n = 0;
    if (rc == BEX_OK) {
        n = bex_candidate_subjects(f.flagged, (size_t)f.n_flagged, f.subject, f.holder, subj, BEX_CANDIDATES_MAX);
        out->template_kept = f.live_sample > 0;
        if (!out->template_kept)
            snprintf(out->reason, sizeof out->reason, "the live capture's template is not on record (purged or erased)");
    }
    for (int i = 0; rc == BEX_OK && i < n; i++) {
        float score = NAN;
        int own = 0;
        if (out->template_kept)
            rc = bex__subject_best_score(st, subj[i], tmpl, f.live_sample, &score, &own, err, errlen);
        if (rc == BEX_OK) {
            out->own_capture[out->n] = own;
            bex_candidate_decide(&vop, subj[i], score, &out->candidates[out->n++]);
        }
    }
    if (rc == BEX_OK) {
        char obj[48], det[160];
        int k = snprintf(det, sizeof det, "%d candidates, template %s:", out->n, out->template_kept ? "kept" : "gone");
        for (int i = 0; i < out->n && k > 0 && (size_t)k < sizeof det; i++)
            k += snprintf(det + k, sizeof det - (size_t)k, " subject %lld", (long long)out->candidates[i].subject);
        snprintf(obj, sizeof obj, "encounter %lld", (long long)encounter);
        rc = bex__audit(st, "read_candidates", obj, det, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    bex__free(tmpl);
    if (rc != BEX_OK) {
        memset(out, 0, sizeof *out);
        out->encounter = encounter;
    }
    return rc;
}
