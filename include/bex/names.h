/*
 * names.h - travellers' names as ICAO Doc 9303 writes them in an MRZ: UTF-8 names transliterated
 * to the MRZ's letters, the MRZ name field with Doc 9303's truncation, and a tolerant comparison
 * of two names (a carrier's manifest against a passport) with a verdict an officer can read.
 *
 *   char mrz[BEX_NAME_MRZ_MAX], err[256];
 *   bex_name_to_mrz("Müller-Lüdenscheidt", mrz, sizeof mrz, err, sizeof err);
 *                                            // "MUELLER LUEDENSCHEIDT"
 *   bex_name_match m;
 *   if (bex_name_compare("MULLER", "JURGEN", "Müller", "Jürgen", &m, err, sizeof err) == BEX_OK)
 *       printf("%s: %s\n", bex_name_verdict_name(m.verdict), m.reason);
 *                                            // "transliteration: names agree when ICAO 9303's
 *                                            //  alternative transliterations ... are allowed"
 *
 * Transliteration follows ICAO Doc 9303 Part 3 (8th edition, 2021), section 6, tables A (Latin)
 * and B (Cyrillic), and section 4.6 for punctuation; the details and the few additions are at
 * the table in src/doc/names.c. A name is UTF-8 of at most BEX_NAME_MAX_BYTES bytes. Output is
 * upper-case A-Z with single spaces between name parts, the convention of bex_mrz_parse (MRZ
 * '<' shown as a space). Messages name byte or character positions and code points, never the
 * name. Nothing is allocated; outputs are written only on BEX_OK.
 */
#ifndef BEX_NAMES_H
#define BEX_NAMES_H

#include <stddef.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_NAME_MAX_BYTES 256 /* the longest name accepted, in bytes of UTF-8 */
/* an output buffer for bex_name_to_mrz that always suffices (a 2-byte character gives at most
 * 4 letters: Щ -> SHCH) */
#define BEX_NAME_MRZ_MAX (2 * BEX_NAME_MAX_BYTES + 1)

/* Widths of the MRZ name field: TD1 (line 3), TD2 and MRV-B (line 1 from position 6), TD3
 * (passports) and MRV-A. */
#define BEX_NAME_FIELD_TD1 30
#define BEX_NAME_FIELD_TD2 31
#define BEX_NAME_FIELD_TD3 39

/* Transliterates one name (a surname or the given names) to MRZ letters: letters upper-cased,
 * Ä -> AE, Ø -> OE, ß -> SS, Ł -> L, Ж -> ZH, Щ -> SHCH and the rest of Doc 9303's tables (its
 * first choice where it offers two: Ä -> AE, not A); a letter and a combining mark (Unicode NFD)
 * as the composed letter; spaces, hyphens, commas and '<' between parts as one space;
 * apostrophes and other punctuation dropped (D'Artagnan -> DARTAGNAN), as section 4.6 says.
 * The result may be empty (a name of punctuation only). Errors: BEX_ERR_LIMIT for a name over
 * BEX_NAME_MAX_BYTES or an out buffer too small (BEX_NAME_MRZ_MAX always suffices);
 * BEX_ERR_FORMAT for invalid UTF-8 ("byte 4 is not valid UTF-8"), a digit ("character 3
 * (U+0037) is a digit: an MRZ name has none") or a character with no transliteration
 * ("character 2 (U+4E2D) has no ICAO 9303 transliteration"); BEX_ERR_ARG for NULL. */
int bex_name_to_mrz(const char *name, char *out, size_t outlen, char *err, size_t errlen);

/* BEX_OK when `name` can be written in an MRZ: bex_name_to_mrz would succeed and the result
 * has at least one letter; otherwise its error (BEX_ERR_FORMAT "the name has no letters" for
 * an empty one). For early validation of a form's or a manifest's fields; skip it for given
 * names left empty, which an MRZ allows. */
int bex_name_check(const char *name, char *err, size_t errlen);

/* Writes the MRZ name field of `width` characters (BEX_NAME_FIELD_TD1/TD2/TD3; 4 to 39) and a
 * NUL into out[width + 1]: SURNAME<<GIVEN<NAMES transliterated as above, filled with '<'.
 * given_names may be NULL or empty (the surname alone). A name too long for the field is
 * truncated as Doc 9303 Part 4 section 4.2.3 says: the surname keeps room for "<<" and the
 * first letter of the given names (its last parts cut towards initials when it must), the
 * given names are cut at the end, and the field then ends with a letter (never '<'), the sign
 * of possible truncation; *truncated (if not NULL) is set to 1 when letters were removed.
 * BEX_ERR_FORMAT from bex_name_to_mrz with the field named ("given_names: character 2 (U+4E2D)
 * has no ICAO 9303 transliteration"); BEX_ERR_ARG for a surname with no letters or a bad
 * width. */
int bex_name_mrz_field(const char *surname, const char *given_names, int width, char *out, int *truncated,
                       char *err, size_t errlen);

/* How two names compare. Codes are never renumbered; a zeroed bex_name_match reads as
 * BEX_NAME_DIFFERENT. Every verdict but DIFFERENT means the names may be one person's. */
typedef enum bex_name_verdict {
    BEX_NAME_DIFFERENT = 0,       /* none of the below: the names differ */
    BEX_NAME_SAME = 1,            /* equal apart from case, spaces, hyphens and punctuation
                                   * (Anna-Maria = ANNA MARIA = ANNAMARIA; O'Neil = ONEIL) */
    BEX_NAME_TRANSLITERATION = 2, /* equal after ICAO 9303 transliteration (Müller = MUELLER),
                                   * or with Doc 9303's alternatives AE/A, OE/O, UE/U, AA/A,
                                   * UXX/U, NXX/N (MUELLER = MULLER = Müller) */
    BEX_NAME_ORDER = 3,           /* the same name parts in another order: surname and given
                                   * names swapped, given names reordered, or parts split
                                   * otherwise between the two fields */
    BEX_NAME_TRUNCATED = 4,       /* one name exactly fills an MRZ name field (30, 31 or 39
                                   * characters) and each of its parts starts the other's
                                   * matching part: cut to fit, as Doc 9303 truncates */
    BEX_NAME_GIVEN_NAMES_MISSING = 5, /* surnames agree (as SAME or TRANSLITERATION) and one
                                   * side has no given names, or only some of the other's (a
                                   * manifest often omits them, or keeps the first): agreement on
                                   * the surname and on the given names present, no more */
} bex_name_verdict;

typedef struct bex_name_match {
    bex_name_verdict verdict;
    const char *reason; /* static: a sentence for an officer that never holds the names, e.g.
                         * "names agree after ICAO 9303 transliteration", "surnames differ" */
} bex_name_match;

/* Compares name a (surname_a, given_a) with name b. Each part is UTF-8 in any case, with or
 * without diacritics, hyphens or MRZ fillers; NULL given names are empty, and a surname with
 * "<<" and no given names is split there (a whole MRZ name field). The verdict is the first
 * that holds in the order SAME, TRANSLITERATION, ORDER, TRUNCATED, GIVEN_NAMES_MISSING, else
 * DIFFERENT; it is symmetric in a and b. One letter changed is DIFFERENT: there is no fuzzy
 * matching, so a misspelling on a manifest is shown, not hidden. TRANSLITERATION by the
 * alternatives also joins some distinct ASCII names (MICHAEL = MICHAL); its reason says so.
 * Errors: bex_name_to_mrz's, with the part named ("surname_b: byte 3 is not valid UTF-8");
 * BEX_ERR_ARG for NULL surnames or out, or a name with no letters at all. */
int bex_name_compare(const char *surname_a, const char *given_a, const char *surname_b, const char *given_b,
                     bex_name_match *out, char *err, size_t errlen);

/* The verdict's stable name: "different", "same", "transliteration", "order", "truncated",
 * "given_names_missing"; "unknown" for any other value. Static, never NULL. */
const char *bex_name_verdict_name(int verdict);

/* 1 for the verdicts that may be one person's name (all but BEX_NAME_DIFFERENT), else 0.
 * BEX_NAME_GIVEN_NAMES_MISSING agrees on the surname only: callers that need given names
 * (a manifest with them against a passport) should look at the verdict itself. */
int bex_name_verdict_agrees(int verdict);

#ifdef __cplusplus
}
#endif
#endif
