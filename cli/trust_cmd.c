/*
 * trust_cmd.c - `bex trust load FILE [--trusted-list] [--at TIME] | list [--all] | remove ID`:
 * the operator's trust store for passive authentication kept in the record store (trust.h):
 * CSCA certificates, CRLs and ICAO master lists, verified when loaded, audited with the CLI's
 * actor. One JSON object out; exit 0 done (a file already loaded included), 2 a file refused
 * or an error (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/timestamp.h"
#include "bex/trust.h"
#include "cli.h"

void cli_print_trust_file(FILE *f, const bex_trust_file_info *i) {
    fprintf(f, "{\"id\":%lld,\"kind\":\"%s\",\"name\":", (long long)i->id, i->kind);
    bex_json_str(f, i->name);
    fprintf(f, ",\"csca\":%zu,\"crl\":%zu,\"country\":", i->n_csca, i->n_crl);
    bex_json_str(f, i->country[0] ? i->country : NULL);
    fprintf(f, ",\"not_after\":");
    bex_json_str(f, i->not_after[0] ? i->not_after : NULL);
    fprintf(f, ",\"sha256\":\"%s\",\"trusted_list\":%s,\"added_at\":\"%s\",\"added_by\":", i->sha256,
            i->trusted_list ? "true" : "false", i->added_at);
    bex_json_str(f, i->added_by);
    fprintf(f, ",\"removed_at\":");
    bex_json_str(f, i->removed_at[0] ? i->removed_at : NULL);
    fprintf(f, ",\"removed_by\":");
    bex_json_str(f, i->removed_by[0] ? i->removed_by : NULL);
    fprintf(f, "}");
}

void cli_print_trust_load(FILE *f, const bex_trust_file_info *i) {
    fprintf(f, "{\"status\":\"%s\",\"added\":%s,\"already\":%s,\"restored\":%s,\"file\":",
            i->already ? "already" : i->restored ? "restored" : "added", i->already ? "false" : "true",
            i->already ? "true" : "false", i->restored ? "true" : "false");
    cli_print_trust_file(f, i);
    fprintf(f, "}\n");
}

void cli_print_trust_list(FILE *f, const bex_trust_file_info *rows, size_t n, const bex_trust_store *ts) {
    fprintf(f, "{\"files\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        cli_print_trust_file(f, &rows[i]);
    }
    size_t c = 0, r = 0;
    bex_trust_count(ts, &c, &r);
    fprintf(f, "],\"trust_store\":{\"csca\":%zu,\"crl\":%zu}}\n", c, r);
}

#define TRUST_USAGE "trust takes: load FILE [--trusted-list] [--at TIME] | list [--all] | remove ID  [--db FILE]"

int cmd_trust(int argc, char **argv) {
    cli_common c = {0};
    const char *pos[2] = {NULL, NULL}, *at = NULL;
    int np = 0, trusted = 0, all = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
            continue;
        }
        if (!strcmp(argv[i], "--trusted-list")) trusted = 1;
        else if (!strcmp(argv[i], "--all")) all = 1;
        else if (argv[i][0] == '-' || np == 2) return cli_usage_error(TRUST_USAGE);
        else pos[np++] = argv[i];
    }
    if (np == 0) return cli_usage_error(TRUST_USAGE);
    int load = !strcmp(pos[0], "load"), list = !strcmp(pos[0], "list"), remove = !strcmp(pos[0], "remove");
    int64_t id = 0;
    if ((!load && !list && !remove) || (load && np != 2) || (list && np != 1) ||
        (remove && (np != 2 || !cli_parse_id(pos[1], &id))) || (trusted && !load) || (at && !load) || (all && !list))
        return cli_usage_error(TRUST_USAGE);
    int64_t t = 0;
    char when[24];
    if (!at) {
        bex_time_now(when);
        at = when;
    }
    if (bex_time_parse(at, &t) != BEX_OK) {
        fprintf(stderr, "bex: --at takes an ISO 8601 time (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)\n");
        return 2;
    }
    char *data = NULL;
    size_t len = 0;
    if (load && !(data = cli_read_file(pos[1], BEX_PA_MAX_TRUST_FILE_BYTES, &len))) return 2;
    c.must_exist = !load;
    bex_store *st;
    if (!cli_open_store(&c, &st)) {
        free(data);
        return 2;
    }
    char err[512];
    int rc;
    if (load) {
        bex_trust_file_info info;
        rc = bex_store_trust_load(st, (const uint8_t *)data, len, pos[1], trusted ? BEX_TRUST_ML_TRUSTED : 0, t, &info,
                                  err, sizeof err);
        if (rc == BEX_OK) cli_print_trust_load(stdout, &info);
    } else if (list) {
        bex_trust_file_info *rows = NULL;
        size_t n = 0;
        const bex_trust_store *ts = NULL;
        rc = bex_store_trust_list(st, all, &rows, &n, err, sizeof err);
        if (rc == BEX_OK) rc = bex_store_trust_get(st, &ts, err, sizeof err);
        if (rc == BEX_OK) cli_print_trust_list(stdout, rows, n, ts);
        free(rows);
    } else {
        rc = bex_store_trust_remove(st, id, err, sizeof err);
        if (rc == BEX_OK) printf("{\"id\":%lld,\"removed\":true}\n", (long long)id);
    }
    bex_store_close(st);
    free(data);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: trust %s: %s\n", pos[0], err);
        return 2;
    }
    return 0;
}
