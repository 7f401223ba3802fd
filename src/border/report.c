/*
 * report.c - the overstay report on a store (border.h: bex_border_overstays): the store's
 * admissions as stays (gather), the US or the EU rule over them (overstay.c, pure), audited.
 * Under the EU rule each stay is marked short or long first (bex_admission_short_stay).
 */
#include <stdio.h>
#include <string.h>

#include "bex/rules.h"
#include "store/records.h"
#include "util/util.h"

int bex_border_overstays(bex_store *st, const char *as_of, bex_policy policy, bex_overstay_row **rows, size_t *n,
                         char *err, size_t errlen) {
    *rows = NULL;
    *n = 0;
    bex_day asof;
    if (!as_of || bex_day_parse(as_of, &asof) != BEX_OK) {
        snprintf(err, errlen, "the report's date '%.20s' is no date (YYYY-MM-DD)", as_of ? as_of : "");
        return BEX_ERR_ARG;
    }
    if (policy != BEX_POLICY_US && policy != BEX_POLICY_EU) {
        snprintf(err, errlen, "the overstay policy is us or eu");
        return BEX_ERR_ARG;
    }
    char day[11];
    bex_day_format(asof, day);
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) return rc;
    bex_overstay_row *r = NULL;
    bex_stay *stays = NULL;
    size_t cnt = 0;
    rc = bex__overstay_rows(st, day, &r, &stays, &cnt, err, errlen);
    /* a stay a later entry closed counts as such only once that entry is on record by as_of:
     * the rows are entered by as_of and a subject's in order, so the next row of the same
     * subject is that entry */
    for (size_t i = 0; rc == BEX_OK && i < cnt; i++) {
        if (stays[i].no_exit_recorded && !(i + 1 < cnt && r[i + 1].subject == r[i].subject)) stays[i].no_exit_recorded = 0;
        if (policy == BEX_POLICY_EU)
            stays[i].long_stay = !bex_admission_short_stay(r[i].admission_class, stays[i].entry, stays[i].admit_until);
    }
    for (size_t i = 0; rc == BEX_OK && i < cnt;) {
        size_t j = i + 1;
        if (policy == BEX_POLICY_EU) {
            while (j < cnt && r[j].subject == r[i].subject) j++;
            bex_stay_verdict v[64];
            bex_stay_verdict *vp = j - i <= 64 ? v : bex__malloc((j - i) * sizeof *vp);
            if (!vp) {
                snprintf(err, errlen, "out of memory");
                rc = BEX_ERR_NOMEM;
                break;
            }
            rc = bex_overstay_eu(stays + i, j - i, asof, vp);
            for (size_t k = i; rc == BEX_OK && k < j; k++) r[k].verdict = vp[k - i];
            if (vp != v) bex__free(vp);
        } else {
            rc = bex_overstay_us(&stays[i], asof, &r[i].verdict);
        }
        if (rc != BEX_OK) {
            snprintf(err, errlen, "admission %lld has dates the overstay rules refuse (an exit before its entry?)",
                     (long long)r[i].admission);
            break;
        }
        i = j;
    }
    bex__free(stays);
    if (rc == BEX_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "as of %s, %s rule, %zu admissions", day,
                 policy == BEX_POLICY_EU ? "EU 90/180" : "US", cnt);
        rc = bex__audit(st, "report_overstays", "admissions", detail, err, errlen);
    }
    rc = bex__end(st, rc, NULL, err, errlen);
    if (rc != BEX_OK) {
        bex__free(r);
        return rc;
    }
    *rows = r;
    *n = cnt;
    return BEX_OK;
}
