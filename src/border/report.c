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

int bex_border_rates(bex_store *st, const char *from, const char *to, bex_rates_by by, bex_rate_row **rows,
                     size_t *n, char *err, size_t errlen) {
    *rows = NULL;
    *n = 0;
    bex_day a, b;
    if (!from || !to || strlen(from) != 10 || strlen(to) != 10 || bex_day_parse(from, &a) != BEX_OK ||
        bex_day_parse(to, &b) != BEX_OK) {
        snprintf(err, errlen, "a rates report needs its first and last days (YYYY-MM-DD)");
        return BEX_ERR_ARG;
    }
    if (b < a || b - a >= BEX_RATES_MAX_DAYS) {
        snprintf(err, errlen, "a rates report covers 1 to %d days, the last not before the first", BEX_RATES_MAX_DAYS);
        return BEX_ERR_ARG;
    }
    if (by < BEX_RATES_BY_PORT || by > BEX_RATES_BY_SEX) {
        snprintf(err, errlen, "a rates report is by port, day, age_band or sex");
        return BEX_ERR_ARG;
    }
    char lo[24], hi[24], day[11];
    bex_day_format(a, day);
    snprintf(lo, sizeof lo, "%sT00:00:00Z", day);
    bex_day_format(b + 1, day);
    snprintf(hi, sizeof hi, "%sT00:00:00Z", day);
    bex_rate_row *r = bex__realloc(NULL, BEX_RATES_MAX_ROWS * sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return BEX_ERR_NOMEM;
    }
    int rc = bex__begin(st, err, errlen);
    if (rc != BEX_OK) {
        bex__free(r);
        return rc;
    }
    bex_crossing_fact *f = NULL;
    size_t nf = 0, cnt = 0;
    rc = bex__crossing_facts(st, lo, hi, &f, &nf, err, errlen);
    if (rc == BEX_OK) rc = bex_rates_aggregate(f, nf, by, r, BEX_RATES_MAX_ROWS, &cnt, err, errlen);
    bex__free(f);
    if (rc == BEX_OK) {
        char obj[48], detail[64];
        snprintf(obj, sizeof obj, "rates %s", bex_rates_by_name(by));
        snprintf(detail, sizeof detail, "%s to %s, %zu rows", from, to, cnt);
        rc = bex__audit(st, "report_rates", obj, detail, err, errlen);
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
