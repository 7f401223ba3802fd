/*
 * mrz.h - machine-readable zones of travel documents (ICAO Doc 9303): passports (TD3), ID
 * cards (TD1, TD2) and visas (MRV-A, MRV-B), with every check digit verified.
 *
 *   bex_mrz m;
 *   char err[256];
 *   if (bex_mrz_parse("P<UTOERIKSSON<<ANNA<MARIA<<<...\nL898902C36UTO7408122F1204159...", &m,
 *                     err, sizeof err) != BEX_OK)
 *       reject(err);                       // not an MRZ: wrong line count, length, characters
 *   else if (m.n_failed)                   // an MRZ whose check digits do not all agree
 *       flag(m.failed[0]);                 // "document_number", "birth_date", "expiry_date",
 *                                          // "optional_data", "composite"
 *
 * Input: the lines joined by '\n' (a trailing newline and '\r' are accepted), as a reader
 * delivers them. The format is told by line count and length: 3 x 30 TD1, 2 x 36 TD2 (or
 * MRV-B when the document code starts with V), 2 x 44 TD3 (or MRV-A). Names keep the MRZ's
 * transliteration, '<' turned to spaces. Dates come as YYYY-MM-DD: a birth year is put in the
 * century that makes it not later than `today` (bex_mrz_parse_at), an expiry year in 2000-2099
 * (1900s from 70 up). Nothing is allocated; the struct is plain data.
 */
#ifndef BEX_MRZ_H
#define BEX_MRZ_H

#include <stddef.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bex_mrz_format {
    BEX_MRZ_TD1 = 1,  /* 3 lines of 30: ID cards */
    BEX_MRZ_TD2 = 2,  /* 2 lines of 36: ID cards */
    BEX_MRZ_TD3 = 3,  /* 2 lines of 44: passports */
    BEX_MRZ_MRVA = 4, /* 2 lines of 44: visas, format A */
    BEX_MRZ_MRVB = 5, /* 2 lines of 36: visas, format B */
} bex_mrz_format;

#define BEX_MRZ_MAX_FAILED 5

typedef struct bex_mrz {
    bex_mrz_format format;
    char doc_code[3];        /* e.g. "P", "PA", "ID", "I", "V", "VB" ('<' dropped) */
    char issuing_state[4];   /* ICAO 3-letter code, e.g. "UTO", "D" padded state trimmed */
    char surname[40];
    char given_names[40];
    char doc_number[24];     /* TD1 long numbers (continued in the optional data) included */
    char nationality[4];
    char birth_date[11];     /* YYYY-MM-DD */
    char sex;                /* 'M', 'F' or 'X' (unspecified, '<' in the MRZ) */
    char expiry_date[11];    /* YYYY-MM-DD */
    char optional1[32];      /* personal number (TD3), optional data (TD1 line 1, TD2, visas) */
    char optional2[16];      /* TD1 line 2's optional data */
    int n_failed;            /* check digits that do not agree */
    const char *failed[BEX_MRZ_MAX_FAILED]; /* their field names, static strings */
} bex_mrz;

/* Parses and checks an MRZ. BEX_OK also when check digits fail (see n_failed: the document
 * is then suspect, not unreadable). BEX_ERR_FORMAT when the text is not an MRZ (line count or
 * length, a character outside A-Z 0-9 '<', a date or sex field that cannot be one), with a
 * message that names the line and position. *out is written only on BEX_OK. */
int bex_mrz_parse(const char *text, bex_mrz *out, char *err, size_t errlen);

/* As bex_mrz_parse, with "today" given as YYYY-MM-DD (tests; birth-century resolution). */
int bex_mrz_parse_at(const char *text, const char *today, bex_mrz *out, char *err, size_t errlen);

/* The ICAO 9303 check digit of s[0..n-1] (weights 7, 3, 1; A-Z = 10..35, '<' = 0); -1 if a
 * character is none of those. */
int bex_mrz_check_digit(const char *s, size_t n);

/* Writes a passport's TD3 MRZ (two lines of 44, joined by '\n', NUL-terminated: 90 bytes)
 * from its fields, with every check digit: what a passport printer does (tests, simulations,
 * documents keyed by hand). doc_code "P" or a two-letter code; states and nationality ICAO
 * 3-letter codes; dates YYYY-MM-DD; sex 'M', 'F' or 'X'. Names are UTF-8, written as
 * bex_name_mrz_field (names.h) writes them: transliterated as ICAO 9303 recommends (Müller,
 * Jürgen -> MUELLER<<JUERGEN), hyphens and spaces as '<', apostrophes dropped (O'Neil ->
 * ONEIL), long names truncated as Doc 9303 Part 4 says. BEX_ERR_ARG names the field that
 * cannot be written ("surname: character 2 (U+4E2D) has no ICAO 9303 transliteration"; a
 * digit in a name is refused too). */
int bex_mrz_make_td3(const char *doc_code, const char *issuing_state, const char *surname,
                     const char *given_names, const char *doc_number, const char *nationality,
                     const char *birth_date, char sex, const char *expiry_date, char out[90],
                     char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
