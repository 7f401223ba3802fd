/*
 * timestamp.h - the times bex records: ISO 8601 in UTC, as seconds since the epoch and back.
 *
 *   int64_t t;
 *   if (bex_time_parse("2026-03-01T08:10:00+01:00", &t) == BEX_OK) {
 *       char s[24];
 *       bex_time_format(t, s);               // "2026-03-01T07:10:00Z"
 *   }
 *
 * Accepted: "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|+hh:mm|-hh:mm]"
 * (a space may stand for the 'T'; a fraction is dropped), years 1800..9999, real calendar
 * dates. The canonical form is "YYYY-MM-DDTHH:MM:SSZ"; comparing two canonical times as
 * strings orders them in time.
 */
#ifndef BEX_TIMESTAMP_H
#define BEX_TIMESTAMP_H

#include <stdint.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* BEX_OK, or BEX_ERR_FORMAT for text that is no such time (BEX_ERR_ARG: NULL). */
int bex_time_parse(const char *s, int64_t *out);
/* Writes the canonical form and a NUL (at most 24 bytes). */
void bex_time_format(int64_t t, char out[24]);
/* The system clock, canonical. */
void bex_time_now(char out[24]);
/* s canonicalised into out; NULL s: now. BEX_ERR_FORMAT as bex_time_parse. */
int bex_time_canonical(const char *s, char out[24]);

#ifdef __cplusplus
}
#endif
#endif
