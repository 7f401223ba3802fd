/*
 * bench_json.c - the JSON parser bex uses (cJSON, Debian) against its peer (Jansson, Debian) on
 * what the service parses: carriers' manifests, one of 300 travellers (a flight) and one of
 * 20,000 (a day's arrivals at a large port), parsed and walked field by field, as
 * bex_manifest_parse_json does. Prints ms per parse and MB/s for each, and the ratio.
 * Built with Jansson when libjansson-dev is installed (the Makefile checks), else cJSON alone.
 *
 *   make bench && build/bench/bench_json
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef BEX_HAVE_JANSSON
#include <jansson.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *manifest(int n, size_t *len) {
    size_t cap = 256 + (size_t)n * 256;
    char *b = malloc(cap), *p = b;
    p += sprintf(p, "{\"departure\":\"BX117-2026-11-27\",\"direction\":\"departure\",\"carrier\":\"BX\","
                    "\"voyage\":\"BX117\",\"port\":\"JFK\",\"port_kind\":\"air\",\"scheduled\":\"2026-11-27T18:30:00Z\","
                    "\"travellers\":[");
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s{\"issuing_state\":\"GBR\",\"number\":\"%09d\",\"nationality\":\"GBR\",\"surname\":"
                        "\"TRAVELLER%d\",\"given_names\":\"ANNA MARIA\",\"birth_date\":\"1980-01-%02d\",\"sex\":\"F\"}",
                     i ? "," : "", i, i, 1 + i % 28);
    p += sprintf(p, "]}");
    *len = (size_t)(p - b);
    return b;
}

static const char *const keys[] = {"issuing_state", "number", "nationality", "surname", "given_names", "birth_date", "sex"};

static size_t walk_cjson(const char *t, size_t len) {
    cJSON *root = cJSON_ParseWithLength(t, len);
    size_t sum = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "travellers"))
        for (int k = 0; k < 7; k++) sum += strlen(cJSON_GetObjectItemCaseSensitive(e, keys[k])->valuestring);
    cJSON_Delete(root);
    return sum;
}

#ifdef BEX_HAVE_JANSSON
static size_t walk_jansson(const char *t, size_t len) {
    json_error_t je;
    json_t *root = json_loadb(t, len, 0, &je);
    size_t sum = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(root, "travellers"), i, e)
        for (int k = 0; k < 7; k++) sum += strlen(json_string_value(json_object_get(e, keys[k])));
    json_decref(root);
    return sum;
}
#endif

static double bench(size_t (*fn)(const char *, size_t), const char *t, size_t len, size_t *check) {
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        int reps = len > 1000000 ? 3 : 300;
        double t0 = now_s();
        for (int i = 0; i < reps; i++) *check = fn(t, len);
        double el = (now_s() - t0) / reps;
        if (el < best) best = el;
    }
    return best;
}

int main(void) {
    int sizes[2] = {300, 20000};
    printf("%-22s %12s %12s %12s %10s\n", "manifest", "parser", "ms/parse", "MB/s", "vs cJSON");
    for (int s = 0; s < 2; s++) {
        size_t len, c1 = 0;
        char *t = manifest(sizes[s], &len);
        char name[64];
        snprintf(name, sizeof name, "%d travellers, %zu kB", sizes[s], len / 1000);
        double a = bench(walk_cjson, t, len, &c1);
        printf("%-22s %12s %12.3f %12.1f %10s\n", name, "cJSON 1.7", a * 1e3, len / a / 1e6, "1.00");
#ifdef BEX_HAVE_JANSSON
        size_t c2 = 0;
        double b = bench(walk_jansson, t, len, &c2);
        printf("%-22s %12s %12.3f %12.1f %10.2f%s\n", "", "Jansson 2.14", b * 1e3, len / b / 1e6, b / a,
               c1 == c2 ? "" : "  (results differ!)");
#else
        printf("%-22s %12s %12s\n", "", "Jansson", "not built (apt-get install libjansson-dev)");
#endif
        free(t);
    }
    return 0;
}
