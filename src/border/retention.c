/*
 * retention.c - retention on a store (border.h): periods checked by the rules before they are
 * kept, the policies' presets, and the purge: the store lists what may be due (gather), the
 * rules say each sample's and each record's fate (rules.c, pure), the store deletes it
 * (record), in one transaction with its audit entry.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bex/rules.h"
#include "bex/timestamp.h"
#include "store/records.h"
#include "util/util.h"

int bex_border_set_retention(bex_store *st, const char *category, long long seconds, char *err, size_t errlen) {
    int rc = bex_retention_check(category, seconds, err, errlen);
    if (rc != BEX_OK) return rc;
    if ((rc = bex__begin(st, err, errlen)) != BEX_OK) return rc;
    rc = bex__retention_write(st, category, seconds, err, errlen);
    char detail[64];
    snprintf(detail, sizeof detail, "%lld s", seconds);
    if (rc == BEX_OK) rc = bex__audit(st, "retention", category, detail, err, errlen);
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_border_retention_preset(bex_store *st, bex_policy policy, char *err, size_t errlen) {
    long long records, overstayer;
    bex_retention_preset(policy, &records, &overstayer);
    int rc = bex_border_set_retention(st, "records", records, err, errlen);
    if (rc == BEX_OK) rc = bex_border_set_retention(st, "overstayer_records", overstayer, err, errlen);
    return rc;
}

/* now - period as a canonical time; a period longer than the calendar reaches is "before
 * everything" (nothing is due), never a wrap-around. */
static void cut_of(int64_t now, long long period, char out[24]) {
    int64_t t = period > now + 62135596800LL ? -62135596800LL : now - period; /* 0001-01-01 */
    bex_time_format(t, out);
}

int bex_border_purge(bex_store *st, const char *as_of, bex_purge_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    int64_t now;
    if (as_of) {
        if (bex_time_parse(as_of, &now) != BEX_OK) {
            snprintf(err, errlen, "the purge's time '%.40s' is no ISO 8601 date or time (YYYY-MM-DD[THH:MM:SSZ])", as_of);
            return BEX_ERR_ARG;
        }
    } else {
        now = (int64_t)time(NULL);
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_retention r;
    rc = bex__retention_read(st, &r, err, errlen);
    /* gather: what may be due; decide each; record */
    char capture_cut[24], image_cut[24], record_cut[24], unmatched_cut[24];
    /* candidates are what the shorter of two periods makes due; the rules sort them out */
    cut_of(now, r.citizen_biometrics < r.unmatched_captures ? r.citizen_biometrics : r.unmatched_captures, capture_cut);
    cut_of(now, r.images, image_cut);
    cut_of(now, r.records < r.overstayer_records ? r.records : r.overstayer_records, record_cut);
    cut_of(now, r.records, unmatched_cut);
    bex__sample_due *sd = NULL;
    size_t ns = 0;
    if (rc == BEX_OK) rc = bex__purge_candidates(st, capture_cut, image_cut, &sd, &ns, err, errlen);
    for (size_t i = 0; rc == BEX_OK && i < ns; i++) {
        bex_fate fate = bex_sample_retention(&sd[i].facts, &r, now);
        if (fate == BEX_DELETE) {
            rc = bex__delete_sample(st, sd[i].id, err, errlen);
            if (sd[i].facts.citizen) res->citizen_samples++;
            else res->unmatched_samples++;
        } else if (fate == BEX_DROP_IMAGE) {
            rc = bex__drop_image(st, sd[i].id, err, errlen);
            res->images++;
        }
    }
    bex__free(sd);
    /* finger samples: the same facts, the same rule, the same periods as face samples */
    sd = NULL;
    ns = 0;
    if (rc == BEX_OK) rc = bex__finger_purge_candidates(st, capture_cut, image_cut, &sd, &ns, err, errlen);
    for (size_t i = 0; rc == BEX_OK && i < ns; i++) {
        bex_fate fate = bex_sample_retention(&sd[i].facts, &r, now);
        if (fate == BEX_DELETE) {
            rc = bex__delete_finger_sample(st, sd[i].id, err, errlen);
            res->finger_samples++;
        } else if (fate == BEX_DROP_IMAGE) {
            rc = bex__drop_finger_image(st, sd[i].id, err, errlen);
            res->finger_images++;
        }
    }
    bex__free(sd);
    /* the document photos kept with their encounters: the same rule as a sample's photo */
    char doc_cut[24];
    cut_of(now, r.citizen_biometrics < r.images ? r.citizen_biometrics : r.images, doc_cut);
    sd = NULL;
    ns = 0;
    if (rc == BEX_OK) rc = bex__encounter_images_due(st, doc_cut, &sd, &ns, err, errlen);
    for (size_t i = 0; rc == BEX_OK && i < ns; i++) {
        bex_fate fate = bex_sample_retention(&sd[i].facts, &r, now);
        if (fate == BEX_KEEP) continue;
        rc = bex__drop_encounter_image(st, sd[i].id, err, errlen);
        res->images++;
    }
    bex__free(sd);
    bex__subject_due *subj = NULL;
    size_t nsub = 0;
    if (rc == BEX_OK) rc = bex__subject_candidates(st, record_cut, &subj, &nsub, err, errlen);
    for (size_t i = 0; rc == BEX_OK && i < nsub; i++) {
        int64_t last = 0;
        bex_time_parse(subj[i].last_seen, &last);
        bex_subject_facts f = {.citizen = subj[i].citizen, .last_seen = last, .stays = subj[i].stays,
                               .n_stays = subj[i].n_stays};
        int overstayer = 0;
        if (bex_subject_retention(&f, &r, now, &overstayer) != BEX_DELETE) continue;
        rc = bex__delete_subject(st, subj[i].id, err, errlen);
        if (overstayer) res->overstayer_subjects++;
        else res->subjects++;
    }
    bex__subject_candidates_free(subj, nsub);
    /* unmatched exits (no subject) follow the records' period */
    if (rc == BEX_OK) rc = bex__delete_unmatched_exits(st, unmatched_cut, &res->unmatched_encounters, err, errlen);
    if (rc == BEX_OK) rc = bex__prune_change_log(st, err, errlen);
    if (rc == BEX_OK) {
        char detail[256], asof[24];
        bex_time_format(now, asof);
        snprintf(detail, sizeof detail, "as of %s: %lld citizen samples, %lld unmatched captures, %lld images, "
                 "%lld records, %lld overstayer records, %lld unmatched exits, %lld finger samples, %lld finger images",
                 asof, res->citizen_samples, res->unmatched_samples, res->images, res->subjects,
                 res->overstayer_subjects, res->unmatched_encounters, res->finger_samples, res->finger_images);
        rc = bex__audit(st, "purge", "retention", detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) memset(res, 0, sizeof *res);
    return rc;
}
