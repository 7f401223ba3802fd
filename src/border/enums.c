/*
 * enums.c - the one name table of each border enum (border.h, rules.h): the names the store
 * keeps, JSON shows and programs parse.
 */
#include <string.h>

#include "bex/rules.h"

static const char *name_of(const char *const *t, int n, int v) {
    return v >= 0 && v < n ? t[v] : "unknown";
}

static int parse_in(const char *const *t, int n, const char *s, int *out) {
    if (!s || !*s) return BEX_ERR_ARG;
    for (int i = 1; i < n; i++)
        if (t[i] && !strcmp(t[i], s)) {
            *out = i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}

#define NAME_TABLE(type, fn, count, ...)                                      \
    static const char *const fn##_names[count] = {__VA_ARGS__};               \
    const char *bex_##fn##_name(type v) { return name_of(fn##_names, count, (int)v); } \
    int bex_##fn##_parse(const char *s, type *out) {                          \
        int v;                                                                \
        int rc = parse_in(fn##_names, count, s, &v);                          \
        if (rc == BEX_OK) *out = (type)v;                                     \
        return rc;                                                            \
    }

NAME_TABLE(bex_outcome, outcome, BEX_OUTCOME_COUNT, "", "matched", "not_matched", "enrolled", "no_photo",
           "officer_override", "document_photo_unusable", "unverified")
NAME_TABLE(bex_decision, decision, BEX_DECISION_COUNT, "", "admitted", "referred", "refused")
NAME_TABLE(bex_flag_kind, flag_kind, BEX_FLAG_KIND_COUNT, "", "impostor_suspected", "two_identities",
           "biographic_mismatch", "document_problem", "manifest_mismatch", "document_shared", "not_matched",
           "not_on_manifest", "document_photo_unusable", "no_photo", "outside_departure_window",
           "gate_log_forged", "gate_log_replayed", "score_drift", "chip_data_group_altered",
           "chip_signature_invalid", "chip_unknown_signer", "chip_expired_signer", "chip_revoked", "chip_malformed",
           "chip_mrz_mismatch", "chip_authentication_failed", "fingerprints_incomplete")
NAME_TABLE(bex_flag_status, flag_status, BEX_FLAG_STATUS_COUNT, "", "open", "cleared", "confirmed", "referred")
NAME_TABLE(bex_gallery, gallery, BEX_GALLERY_COUNT, "", "document", "holder", "manifest", "port", "in_country",
           "all")
NAME_TABLE(bex_port_kind, port_kind, BEX_PORT_KIND_COUNT, "", "air", "sea", "land", "land-pedestrian",
           "land-vehicle")
NAME_TABLE(bex_direction, direction, BEX_DIRECTION_COUNT, "", "departure", "arrival")
NAME_TABLE(bex_role, role, BEX_ROLE_COUNT, "", "officer", "carrier", "analyst", "auditor", "admin")

/* chip authentications: "not_reported" is 0 and parses too */
static const char *const chip_auth_names[BEX_CHIP_AUTH_COUNT] = {"not_reported", "passed", "failed",
                                                                   "not_supported"};
const char *bex_chip_auth_name(bex_chip_auth a) { return name_of(chip_auth_names, BEX_CHIP_AUTH_COUNT, (int)a); }
int bex_chip_auth_parse(const char *s, bex_chip_auth *out) {
    for (int i = 0; s && i < BEX_CHIP_AUTH_COUNT; i++)
        if (!strcmp(s, chip_auth_names[i])) {
            *out = (bex_chip_auth)i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}

/* policies have no "none": US is 0 */
static const char *const policy_names[BEX_POLICY_COUNT] = {"us", "eu"};
const char *bex_policy_name(bex_policy p) { return name_of(policy_names, BEX_POLICY_COUNT, (int)p); }
int bex_policy_parse(const char *s, bex_policy *out) {
    for (int i = 0; s && i < BEX_POLICY_COUNT; i++)
        if (!strcmp(s, policy_names[i])) {
            *out = (bex_policy)i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}

static const char *const action_names[BEX_ACTION_COUNT] = {
    "", "entry", "exit", "manifest", "gallery", "overstays", "flags", "flag_status", "subject", "encounter",
    "lookup", "verify", "identify", "decide", "override", "merge", "reclassify", "erase", "purge", "keys",
    "retention", "settings", "audit", "reassign", "trust", "photo", "reports", "eval", "gates"};
const char *bex_action_name(bex_action a) { return name_of(action_names, BEX_ACTION_COUNT, (int)a); }

static const char *const rates_by_names[] = {"", "port", "day", "age_band", "sex"};
const char *bex_rates_by_name(bex_rates_by by) { return name_of(rates_by_names, 5, (int)by); }
int bex_rates_by_parse(const char *s, bex_rates_by *out) {
    for (int i = 1; s && i < 5; i++)
        if (!strcmp(s, rates_by_names[i])) {
            *out = (bex_rates_by)i;
            return BEX_OK;
        }
    return BEX_ERR_ARG;
}
