/*
 * casework.c - officers' work on the record (border.h): deciding a referred entry, saying who
 * an unmatched exit was, findings on flags, the flag queue, look-ups by document or by names,
 * reclassifying a subject as a citizen, erasing biometrics, merging two subjects (and undoing
 * it); and the deployment's settings. Each is one transaction with its audit entry, which
 * names row ids only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/names.h"
#include "bex/rules.h"
#include "bex/timestamp.h"
#include "store/records.h"
#include "util/util.h"

/* ---- a referred entry ---- */

int bex_border_decide_entry(bex_store *st, int64_t encounter, bex_decision decision, int64_t *admission, char *err,
                            size_t errlen) {
    *admission = 0;
    if (decision != BEX_DECISION_ADMITTED && decision != BEX_DECISION_REFUSED) {
        snprintf(err, errlen, "an officer's decision on an entry is admit or refuse");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex__encounter_info e;
    rc = bex__encounter(st, encounter, &e, err, errlen);
    if (rc == BEX_OK && (e.exit || e.decision != BEX_DECISION_REFERRED)) {
        snprintf(err, errlen, "encounter %lld is %s: only a referred entry waits for a decision", (long long)encounter,
                 e.exit ? "an exit" : e.decision == BEX_DECISION_ADMITTED ? "an entry already admitted"
                                                                          : "an entry already refused");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) rc = bex__set_decision(st, encounter, decision, err, errlen);
    if (rc == BEX_OK && decision == BEX_DECISION_ADMITTED && !e.citizen && e.subject)
        rc = bex__insert_admission(st, e.subject, encounter, e.class_[0] ? e.class_ : "UNKNOWN",
                                   e.admit_until[0] ? e.admit_until : NULL, admission, err, errlen);
    if (rc == BEX_OK) {
        char obj[96];
        snprintf(obj, sizeof obj, "encounter %lld subject %lld admission %lld", (long long)encounter,
                 (long long)e.subject, (long long)*admission);
        rc = bex__audit(st, "decide_entry", obj, bex_decision_name(decision), err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *admission = 0;
    return rc;
}

/* ---- an unmatched exit ---- */

int bex_border_override_exit(bex_store *st, int64_t encounter, int64_t subject, int64_t *admission, char *err,
                             size_t errlen) {
    *admission = 0;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex__encounter_info e;
    int exists = 0, citizen = 0;
    rc = bex__encounter(st, encounter, &e, err, errlen);
    if (rc == BEX_ERR_ARG || (rc == BEX_OK && !e.exit)) {
        snprintf(err, errlen, "no exit encounter with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) rc = bex__subject_kind(st, subject, &exists, &citizen, err, errlen);
    if (rc == BEX_OK && !exists) {
        snprintf(err, errlen, "no subject with that id");
        rc = BEX_ERR_ARG;
    }
    /* the encounter (an admission it had closed reopens), then the subject's latest open one */
    if (rc == BEX_OK) rc = bex__override_exit(st, encounter, subject, !citizen, err, errlen);
    if (rc == BEX_OK) rc = bex__open_admission(st, subject, e.at, admission, err, errlen);
    if (rc == BEX_OK && *admission) rc = bex__close_admission(st, *admission, encounter, err, errlen);
    if (rc == BEX_OK) {
        char obj[128];
        snprintf(obj, sizeof obj, "encounter %lld subject %lld admission %lld", (long long)encounter,
                 (long long)subject, (long long)*admission);
        rc = bex__audit(st, "override_exit", obj, "officer_override", err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *admission = 0;
    return rc;
}

/* ---- flags ---- */

int bex_border_flag_status(bex_store *st, int64_t flag, bex_flag_status status, char *err, size_t errlen) {
    if (status <= BEX_FLAG_STATUS_NONE || status >= BEX_FLAG_STATUS_COUNT) {
        snprintf(err, errlen, "a flag's status is open, cleared, confirmed or referred");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int found = 0;
    rc = bex__set_flag_status(st, flag, status, &found, err, errlen);
    if (rc == BEX_OK && !found) {
        snprintf(err, errlen, "no flag with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK) {
        char obj[64];
        snprintf(obj, sizeof obj, "flag %lld", (long long)flag);
        rc = bex__audit(st, "flag_status", obj, bex_flag_status_name(status), err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_border_flags(bex_store *st, const bex_flag_query *q, bex_flag **flags, size_t *n, size_t *total, char *err,
                     size_t errlen) {
    *flags = NULL;
    *n = *total = 0;
    char since[24], until[24];
    bex_flag_query qq = q ? *q : (bex_flag_query){0};
    if ((qq.since && bex_time_canonical(qq.since, since) != BEX_OK) ||
        (qq.until && bex_time_canonical(qq.until, until) != BEX_OK)) {
        snprintf(err, errlen, "a flag query's dates are ISO 8601 days or times (YYYY-MM-DD[THH:MM:SSZ])");
        return BEX_ERR_ARG;
    }
    if (qq.since) qq.since = since;
    if (qq.until) qq.until = until;
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = bex__flags(st, &qq, flags, n, total, err, errlen);
    if (rc == BEX_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "%zu flags of %zu%s%s", *n, *total, qq.status ? ", status " : "",
                 qq.status ? bex_flag_status_name(qq.status) : "");
        rc = bex__audit(st, "report_flags", "flags", detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex__free(*flags);
        *flags = NULL;
        *n = *total = 0;
    }
    return rc;
}

/* ---- subjects ---- */

/* Opens a transaction on an existing subject; BEX_ERR_ARG when there is none. */
static int subject_begin(bex_store *st, int64_t subject, int *citizen, char *err, size_t errlen) {
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    int exists = 0;
    rc = bex__subject_kind(st, subject, &exists, citizen, err, errlen);
    if (rc == BEX_OK && !exists) {
        snprintf(err, errlen, "no subject with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc != BEX_OK) bex__end(st, rc, NULL, err, errlen);
    return rc;
}

int bex_border_reclassify_citizen(bex_store *st, int64_t subject, char *err, size_t errlen) {
    int citizen = 0;
    int rc = subject_begin(st, subject, &citizen, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!citizen) rc = bex__reclassify_citizen(st, subject, err, errlen);
    if (rc == BEX_OK) {
        char obj[48];
        snprintf(obj, sizeof obj, "subject %lld", (long long)subject);
        rc = bex__audit(st, "reclassify", obj, citizen ? "citizen already" : "citizen", err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

int bex_border_erase_biometrics(bex_store *st, int64_t subject, long long *samples, char *err, size_t errlen) {
    *samples = 0;
    int citizen;
    int rc = subject_begin(st, subject, &citizen, err, errlen);
    if (rc != BEX_OK) return rc;
    rc = bex__erase_samples(st, subject, samples, err, errlen);
    if (rc == BEX_OK) {
        char obj[48], detail[48];
        snprintf(obj, sizeof obj, "subject %lld", (long long)subject);
        snprintf(detail, sizeof detail, "%lld samples", *samples);
        rc = bex__audit(st, "erase_biometrics", obj, detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *samples = 0;
    return rc;
}

int bex_border_merge(bex_store *st, int64_t keep, int64_t other, int64_t *merge, char *err, size_t errlen) {
    *merge = 0;
    if (keep == other) {
        snprintf(err, errlen, "a subject cannot be merged with itself");
        return BEX_ERR_ARG;
    }
    int c1, c2;
    int rc = subject_begin(st, keep, &c1, err, errlen);
    if (rc != BEX_OK) return rc;
    int exists = 0;
    rc = bex__subject_kind(st, other, &exists, &c2, err, errlen);
    if (rc == BEX_OK && !exists) {
        snprintf(err, errlen, "no subject with that id");
        rc = BEX_ERR_ARG;
    }
    if (rc == BEX_OK && c1 != c2) {
        snprintf(err, errlen, "subject %lld is %s and subject %lld is not: reclassify one first", (long long)(c1 ? keep : other),
                 "a citizen", (long long)(c1 ? other : keep));
        rc = BEX_ERR_ARG;
    }
    char now[24];
    bex_time_now(now);
    if (rc == BEX_OK) rc = bex__merge(st, keep, other, now, merge, err, errlen);
    if (rc == BEX_OK) {
        char obj[96];
        snprintf(obj, sizeof obj, "merge %lld subject %lld subject %lld", (long long)*merge, (long long)keep,
                 (long long)other);
        rc = bex__audit(st, "merge", obj, "kept the first", err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) *merge = 0;
    return rc;
}

int bex_border_unmerge(bex_store *st, int64_t merge, char *err, size_t errlen) {
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    char now[24];
    bex_time_now(now);
    int64_t kept, merged;
    rc = bex__unmerge(st, merge, now, &kept, &merged, err, errlen);
    if (rc == BEX_OK) {
        char obj[96];
        snprintf(obj, sizeof obj, "merge %lld subject %lld subject %lld", (long long)merge, (long long)kept,
                 (long long)merged);
        rc = bex__audit(st, "unmerge", obj, "undone", err, errlen);
    }
    return bex__end(st, rc, NULL, err, errlen);
}

/* ---- look-ups ---- */

int bex_border_lookup(bex_store *st, const bex_lookup_query *q, bex_lookup_hit **hits, size_t *n, char *err,
                      size_t errlen) {
    *hits = NULL;
    *n = 0;
    int by_doc = q && q->number && *q->number;
    int by_name = q && q->surname && *q->surname && q->birth_date && *q->birth_date;
    bex_day d;
    if (!by_doc && !by_name) {
        snprintf(err, errlen, "a look-up needs a document number, or a surname and a birth date");
        return BEX_ERR_ARG;
    }
    if (!by_doc && bex_day_parse(q->birth_date, &d) != BEX_OK) {
        snprintf(err, errlen, "the birth date is no date (YYYY-MM-DD)");
        return BEX_ERR_ARG;
    }
    char e2[160];
    if (!by_doc && bex_name_check(q->surname, e2, sizeof e2) != BEX_OK) {
        snprintf(err, errlen, "the surname cannot be compared: %s", e2);
        return BEX_ERR_ARG;
    }
    bex_known_document *docs = bex__calloc(BEX_LOOKUP_MAX_HITS * 4, sizeof *docs);
    bex_lookup_hit *out = bex__calloc(BEX_LOOKUP_MAX_HITS, sizeof *out);
    if (!docs || !out) {
        bex__free(docs);
        bex__free(out);
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    int rc = bex__begin(st, err, errlen);
    int nd = 0;
    if (rc == BEX_OK)
        rc = by_doc ? bex__documents_by_number(st, q->number, q->issuing_state && *q->issuing_state ? q->issuing_state
                                                                                                      : NULL,
                                               docs, BEX_LOOKUP_MAX_HITS * 4, &nd, err, errlen)
                    : bex__documents_by_birth(st, q->birth_date, docs, BEX_LOOKUP_MAX_HITS * 4, &nd, err, errlen);
    size_t cnt = 0;
    for (int i = 0; rc == BEX_OK && i < nd && cnt < BEX_LOOKUP_MAX_HITS; i++) {
        bex_name_match nm = {BEX_NAME_SAME, "document number"};
        if (by_name) {
            if (bex_name_compare(q->surname, q->given_names, docs[i].surname, docs[i].given_names, &nm, e2,
                                 sizeof e2) != BEX_OK || nm.verdict == BEX_NAME_DIFFERENT)
                continue;
        }
        bex_lookup_hit *h = &out[cnt++];
        h->subject = docs[i].subject;
        h->document = docs[i].id;
        int exists;
        rc = bex__subject_kind(st, h->subject, &exists, &h->citizen, err, errlen);
        snprintf(h->names_verdict, sizeof h->names_verdict, "%s", by_name ? bex_name_verdict_name(nm.verdict) : "");
        snprintf(h->reason, sizeof h->reason, "%s", by_name ? nm.reason : "the document number is on record");
    }
    if (rc == BEX_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "by %s: %zu documents", by_doc ? "document" : "names and birth date", cnt);
        rc = bex__audit(st, "lookup", "documents", detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    bex__free(docs);
    if (rc != BEX_OK) {
        bex__free(out);
        return rc;
    }
    *hits = out;
    *n = cnt;
    return BEX_OK;
}

/* ---- settings ---- */

int bex_border_settings_get(bex_store *st, bex_border_settings *out, char *err, size_t errlen) {
    return bex__settings_read(st, out, err, errlen);
}

int bex_border_settings_set(bex_store *st, const char *name, const char *value, char *err, size_t errlen) {
    char canon[32];
    if (name && !strcmp(name, "home_state")) {
        size_t n = value ? strlen(value) : 0;
        int ok = n >= 1 && n <= 3;
        for (size_t i = 0; ok && i < n; i++) ok = value[i] >= 'A' && value[i] <= 'Z';
        if (!ok) {
            snprintf(err, errlen, "home_state is an ICAO state code of 1 to 3 capital letters (USA, D, GBR)");
            return BEX_ERR_ARG;
        }
        snprintf(canon, sizeof canon, "%s", value);
    } else if (name && (!strcmp(name, "departure_before_s") || !strcmp(name, "departure_after_s") ||
                        !strcmp(name, "gallery_window_s"))) {
        char *end = NULL;
        errno = 0;
        long long v = value ? strtoll(value, &end, 10) : -1;
        if (!value || errno || *end || end == value || v < 0 || v > 7 * 86400) {
            snprintf(err, errlen, "%s is a number of seconds from 0 to 604800 (7 days)", name);
            return BEX_ERR_ARG;
        }
        snprintf(canon, sizeof canon, "%lld", v);
    } else {
        snprintf(err, errlen, "no setting '%.40s' (home_state, departure_before_s, departure_after_s, "
                 "gallery_window_s)",
                 name ? name : "");
        return BEX_ERR_ARG;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc == BEX_OK) rc = bex__setting_write(st, name, canon, err, errlen);
    if (rc == BEX_OK) rc = bex__audit(st, "setting", name, canon, err, errlen);
    return bex__end(st, rc, NULL, err, errlen);
}
