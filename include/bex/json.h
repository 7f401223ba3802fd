/*
 * json.h - the record system's answers as JSON: one writer for every program, so that the
 * command line and the service answer alike (cli/ writes to stdout, server/ to a memory
 * stream). Each writes one object or one member; none writes a name, a template or a photo
 * that the result does not hold.
 *
 *   bex_json_entry(stdout, &r, NULL, NULL, NULL, NULL);   // {"encounter":7,...}\n
 */
#ifndef BEX_JSON_H
#define BEX_JSON_H

#include <stdio.h>

#include "bex/border.h"

#ifdef __cplusplus
extern "C" {
#endif

/* s as a JSON string, quoted and escaped (NULL: null). */
void bex_json_str(FILE *f, const char *s);
/* ,"key":{gallery, gallery_size, subject, score, threshold, operating_point, calibrated, match} or null */
void bex_json_match(FILE *f, const char *key, const bex_match *m);
/* one flag object */
void bex_json_flag(FILE *f, const bex_flag *x);
/* ,"flags":[...] */
void bex_json_flags(FILE *f, const bex_flag *flags, size_t n);
/* ,"capture":{"outcome":..,"message":..} */
void bex_json_capture(FILE *f, const char *outcome, const char *message);
/* A chip's check as one object (no member name): {"check":"authentic"|"no_chip"|<failure>,
 * "passive_authentication":{outcome, message, altered_group, hash_algorithm, signer{country,
 * issuer_country, serial}, crl_checked, sod_groups, groups_checked}, "mrz":{outcome,message}
 * or null, "active_authentication":.., "chip_authentication":..}; {"check":"no_chip"} when
 * no chip was presented. What encounters.chip_detail keeps and officers see. */
void bex_json_chip_check(FILE *f, const bex_chip_check *c);
/* An entry's result (a line), its ,"document_check":{...} included; the capture failures shown when their outcome is not NULL. */
void bex_json_entry(FILE *f, const bex_entry_result *r, const char *capture_failure, const char *capture_message,
                    const char *doc_failure, const char *doc_message);
/* An exit's result (a line). */
void bex_json_exit(FILE *f, const bex_exit_result *r, const char *capture_failure, const char *capture_message);
/* An entry's fingers ({"prints":"taken","enrolled":[2,3],"recorded":[..],...}) and the fingers'
 * decision at an exit or a look-up ({"gallery":"all",...,"fused_fmr":..,"match":..}): never a
 * template or an image. A carrier's answer (bex_json_carrier_exit) has neither. */
void bex_json_finger_plan(FILE *f, const bex_finger_plan *p);
void bex_json_finger_decision(FILE *f, const bex_finger_decision *d);
/* What a carrier learns of an exit (a line): {"transaction":N,"decision":"match"}. */
void bex_json_carrier_exit(FILE *f, const bex_exit_result *r);
/* The flag queue (a line): {"count":n,"total":t,"flags":[...]}. */
void bex_json_flag_queue(FILE *f, const bex_flag *flags, size_t n, size_t total);
/* The same with "next_before" (the id a next page starts below; null: the last page). */
void bex_json_flag_page(FILE *f, const bex_flag *flags, size_t n, size_t total, int64_t next_before);
/* Flags as CSV with a header line. */
void bex_json_flags_csv(FILE *f, const bex_flag *flags, size_t n);
/* One flag's candidates (a line): {"encounter":N,"candidates":[{"subject","score","threshold",
 * "operating_point","calibration","match","own_capture"}],"template":"kept"|"gone"} with "reason" when gone;
 * score null where not compared. */
void bex_json_candidates(FILE *f, const bex_candidates *c);
/* Look-up hits (a line): {"hits":[{"subject":..,"document":..,"citizen":..,"names":..,"reason":..}]} */
void bex_json_lookup(FILE *f, const bex_lookup_hit *h, size_t n);
/* The crossing rates report (bex report rates, GET /v1/reports/rates): {"by","from","to",
 * "rows":[{"key","entries","exits","crossings","captured","matched","not_matched","no_photo",
 * "capture_rate","match_rate"}]}, rates null where their denominator is 0; a line. */
void bex_json_rates(FILE *f, bex_rates_by by, const char *from, const char *to, const bex_rate_row *rows, size_t n);

/* The overstay report over bex_border_overstays' rows: format 0 JSON (the overstays, the stays
 * with no exit recorded, totals and DHS's tables by country, class and port), 1 CSV of the
 * overstays, 2 / 3 / 4 CSV table by country / class / port. Returns the number of overstays,
 * or -1 (an unreadable as_of, out of memory) with nothing written. */
long bex_json_overstays(FILE *f, const bex_overstay_row *rows, size_t n, const char *as_of, bex_policy policy,
                        int format);

#ifdef __cplusplus
}
#endif
#endif
