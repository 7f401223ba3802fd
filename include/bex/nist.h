/*
 * nist.h - ANSI/NIST-ITL 1-2011 (Update 2015) transactions in the traditional encoding: read
 * and write Type-1 (transaction information), Type-2 (user-defined), Type-10 (face image) and
 * Type-14 (fingerprint image) records.
 *
 *   bex_nist t;
 *   char err[256];
 *   if (bex_nist_parse(buf, len, &t, err, sizeof err) != BEX_OK) {
 *       reject(err);              // "record 3 (Type-10) field 10.001 at byte 412: ..."
 *   } else {
 *       const bex_nist_field *img = bex_nist_get(&t.records[2], 999);  // points into buf
 *       bex_nist_free(&t);
 *   }
 *
 * Traditional encoding: logical records end with FS (0x1C), fields with GS (0x1D); a field is
 * "T.FFF:value"; inside a value RS (0x1E) separates subfields and US (0x1F) information items
 * (kept as they are in the value; bex_nist_item() picks one out). Field 999 of Type-10/14 is
 * binary and runs to the record's FS. Field x.001 (LEN) counts the record's bytes with its FS.
 *
 * The reader checks every LEN against the bytes, Type-1's CNT (1.003) against the records
 * that follow (their types and IDCs), field order (ascending, no repeats), the mandatory
 * fields, and the limits below; every failure is an error naming the record (1-based), the
 * field and the byte offset, never a crash. Values are not copied: a parsed field points into
 * the caller's buffer, which must outlive the bex_nist. docs/documents.md has the details.
 */
#ifndef BEX_NIST_H
#define BEX_NIST_H

#include <stddef.h>
#include <stdint.h>

#include "bex/bex.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BEX_NIST_MAX_BYTES ((size_t)64 << 20)   /* a whole transaction */
#define BEX_NIST_MAX_RECORDS 1000               /* records in a transaction, Type-1 included */
#define BEX_NIST_MAX_FIELDS 1000                /* fields in one record */
#define BEX_NIST_MAX_TEXT ((size_t)1 << 20)     /* one text (non-999) field's value */
#define BEX_NIST_VERSION "0502"                 /* 1.002 VER written: 2011, Update 2015 */

typedef struct bex_nist_field {
    int field;            /* 1..999: the FFF of "T.FFF" */
    const uint8_t *value; /* its bytes (not NUL-terminated); into the parsed buffer */
    size_t len;
    size_t offset;        /* parsed: where the tag starts in the buffer */
} bex_nist_field;

typedef struct bex_nist_record {
    int type;             /* 1, 2, 10 or 14 */
    int idc;              /* x.002 IDC (Type-1: -1) */
    size_t offset, len;   /* parsed: where the record lies, len = its LEN */
    int n_fields, cap;
    bex_nist_field *fields; /* ascending by field */
} bex_nist_record;

typedef struct bex_nist {
    int n_records, cap;
    bex_nist_record *records; /* records[0] is the Type-1 */
} bex_nist;

/* Parses a whole transaction. BEX_ERR_CORRUPT for malformed or truncated input,
 * BEX_ERR_LIMIT past a limit, BEX_ERR_UNSUPPORTED for a record type other than 1/2/10/14. */
int bex_nist_parse(const uint8_t *buf, size_t len, bex_nist *out, char *err, size_t errlen);

/* The field with that number, or NULL. */
const bex_nist_field *bex_nist_get(const bex_nist_record *r, int field);

/* Information item `item` of subfield `sub` (both 0-based) of a field's value: *off and *len
 * within the value. BEX_ERR_ARG when there is no such item. */
int bex_nist_item(const bex_nist_field *f, int sub, int item, size_t *off, size_t *len);

/* Building: add a record, then its fields in ascending order (the value is not copied).
 * x.001 LEN and 1.003 CNT are computed by the writer; fields given with those numbers are
 * replaced. The record's IDC for CNT is its x.002 field. */
bex_nist_record *bex_nist_add_record(bex_nist *t, int type);
int bex_nist_add_field(bex_nist_record *r, int field, const void *value, size_t len);
int bex_nist_add_text(bex_nist_record *r, int field, const char *text);

/* Writes the transaction (malloc'd into *out). BEX_ERR_ARG when the records cannot be
 * written: no Type-1 first, a type not 1/2/10/14, fields out of order, a text value holding
 * FS or GS, field 999 in a text record, a missing IDC, past a limit. */
int bex_nist_write(const bex_nist *t, uint8_t **out, size_t *out_len, char *err, size_t errlen);

void bex_nist_free(bex_nist *t);

#ifdef __cplusplus
}
#endif

#endif
