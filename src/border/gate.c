/*
 * gate.c - an offline gate (border.h): the decision against a departure's exported gallery
 * with no store at hand (the one 1:N rule, bex_identify_decide), and the gate's log line that
 * `bex sync` later records as an exit: one JSON object a line, with the template as hex.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bex/rules.h"
#include "bex/timestamp.h"

int bex_gate_decide(bex_index *gallery, const float *live, bex_gate_decision *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->match.score = out->match.threshold = NAN;
    out->match.gallery = BEX_GALLERY_MANIFEST;
    if (!gallery) {
        snprintf(err, errlen, "a gate decides against a gallery");
        return BEX_ERR_ARG;
    }
    if (!live) return BEX_OK;
    out->photo = 1;
    bex_index_hit hits[5];
    size_t nh = 0;
    long long n = (long long)bex_index_subjects(gallery);
    if (n > 0) {
        int rc = bex_index_search_subjects(gallery, live, 5, NULL, hits, &nh, err, errlen);
        if (rc != BEX_OK) return rc;
    }
    bex_identify_decide(BEX_ALIGN_DEFAULT, BEX_DEFAULT_FPIR, BEX_GALLERY_MANIFEST, n, hits, nh, &out->match);
    return BEX_OK;
}

size_t bex_gate_log_line(const bex_gate_record *r, char out[BEX_GATE_LINE_MAX]) {
    int k = snprintf(out, BEX_GATE_LINE_MAX, "{\"at\":\"%.23s\",\"departure\":\"%.47s\",\"port\":\"%.7s\",\"decision\":\"%s\","
                     "\"subject\":%lld,\"template\":\"", r->at, r->departure, r->port, r->match ? "match" : "no_match",
                     r->match ? (long long)r->subject : 0LL);
    const unsigned char *b = (const unsigned char *)r->template_;
    for (size_t i = 0; i < sizeof r->template_ && k + 3 < BEX_GATE_LINE_MAX; i++) k += snprintf(out + k, 3, "%02x", b[i]);
    k += snprintf(out + k, BEX_GATE_LINE_MAX - (size_t)k, "\"}\n");
    return (size_t)k;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string member copied into dst; 0 when missing, not a string or too long. */
static int str_member(const cJSON *o, const char *key, char *dst, size_t n) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n) return 0;
    snprintf(dst, n, "%s", v->valuestring);
    return 1;
}

int bex_gate_log_parse(const char *line, bex_gate_record *out, char *err, size_t errlen) {
    bex_gate_record r;
    memset(&r, 0, sizeof r);
    size_t len = line ? strlen(line) : 0;
    if (!line || len >= BEX_GATE_LINE_MAX) {
        snprintf(err, errlen, "not a gate log line (%s)", line ? "too long" : "none");
        return BEX_ERR_FORMAT;
    }
    cJSON *o = cJSON_ParseWithLength(line, len);
    char at[40], decision[16], hex[2 * sizeof r.template_ + 1];
    const cJSON *subj = o ? cJSON_GetObjectItemCaseSensitive(o, "subject") : NULL;
    const char *why = NULL;
    if (!cJSON_IsObject(o)) why = "not a JSON object";
    else if (!str_member(o, "at", at, sizeof at) || bex_time_canonical(at, r.at) != BEX_OK) why = "no time";
    else if (!str_member(o, "departure", r.departure, sizeof r.departure)) why = "no departure field";
    else if (!str_member(o, "port", r.port, sizeof r.port) || !r.port[0]) why = "no port";
    else if (!str_member(o, "decision", decision, sizeof decision) ||
             (strcmp(decision, "match") && strcmp(decision, "no_match")))
        why = "no decision";
    else if (!cJSON_IsNumber(subj) || subj->valuedouble < 0 || subj->valuedouble > 9e15) why = "no subject";
    else if (!str_member(o, "template", hex, sizeof hex) || strlen(hex) != sizeof hex - 1) why = "no template";
    if (!why) {
        r.match = !strcmp(decision, "match");
        r.subject = (int64_t)subj->valuedouble;
        unsigned char *b = (unsigned char *)r.template_;
        for (size_t i = 0; i < sizeof r.template_ && !why; i++) {
            int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
            if (h < 0 || l < 0) why = "a template that is not hex";
            else b[i] = (unsigned char)(h * 16 + l);
        }
        for (size_t i = 0; i < BEX_TEMPLATE_DIM && !why; i++)
            if (!isfinite(r.template_[i])) why = "a template that is not numbers";
    }
    cJSON_Delete(o);
    if (why) {
        snprintf(err, errlen, "not a gate log line: %s", why);
        return BEX_ERR_FORMAT;
    }
    *out = r;
    return BEX_OK;
}
