/*
 * calib_store.c - calibration on the deployment's own data, and the drift check:
 *
 *   bex eval calibrate --store DB [--out FILE] [--by port|camera] [--min-comparisons N]
 *                      [--cap N] [--seed S]
 *   bex eval calibrate --store DB --apply FILE      (a file the first form wrote, reviewed)
 *   bex eval calibrate --store DB --revert [--port CODE]   (back to the shipped table, or a
 *                                                           port back to the model's)
 *   bex eval drift [--db DB] [--since TIME | --window 7d] [--fmr 0.01] [--alpha 0.001]
 *                  [--cap N] [--seed S] [--no-flag]
 *
 * The first form reads the store's face templates (store.h: bex_store_calibration_scores:
 * templates of different travellers, pairs linked by a flag or a merge left out, at most
 * --cap comparisons a group, drawn with a fixed seed beyond) and prints, per model and per
 * port or camera, the FMR -> threshold table of the LFW calibration (calibration.h:
 * bex_calib_table_from_scores), or the group's refusal with the count it needs. It changes
 * nothing: the operator reviews the file, then applies it with --apply (audited), after which
 * it governs the store's 1:1 and 1:N decisions (a port's group at that port, the model's
 * elsewhere: store.h, bex_store_calibration_for) and the drift check watches it; --revert
 * (audited) puts the shipped table back. The commands only translate: the rules are the
 * library's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bex/eval.h"
#include "bex/timestamp.h"
#include "cli.h"

static int parse_ull(const char *opt, const char *s, unsigned long long *v) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "bex: %s takes a whole number (got '%s')\n", opt, s);
        return 0;
    }
    *v = x;
    return 1;
}

static void print_num(FILE *f, const char *fmt, double v) {
    if (isnan(v) || isinf(v)) fputs("null", f);
    else fprintf(f, fmt, v);
}

/* One group's result as JSON (the file and stdout say the same). */
static void print_group(FILE *f, const bex_score_group *g, const bex_calib_table *t, int ok, const char *why,
                        unsigned long long need) {
    fprintf(f, "{\"model\":");
    bex_json_str(f, g->model);
    fprintf(f, ",\"scope\":\"%s\",\"key\":", g->scope);
    bex_json_str(f, g->key);
    fprintf(f, ",\"probe_templates\":%llu,\"templates\":%llu,\"nonmated_available\":%llu,\"sampled\":%s,"
               "\"nonmated_comparisons\":%zu,\"mated_comparisons\":%zu,\"status\":\"%s\"",
            g->templates, g->others, g->available, g->sampled ? "true" : "false", g->n_nonmated, g->n_mated,
            ok ? "calibrated" : "refused");
    if (!ok) {
        fprintf(f, ",\"needed\":%llu,\"reason\":", need);
        bex_json_str(f, why);
        fprintf(f, "}");
        return;
    }
    fprintf(f, ",\"heldout_nonmated\":[%llu,%llu]", t->half_a, t->half_b);
    /* what the shipped (LFW) threshold for FMR 0.001 gives on these comparisons */
    bex_operating_point op;
    char err[256];
    if (bex_operating_point_verify(BEX_ALIGN_DEFAULT, BEX_DEFAULT_FMR, &op, err, sizeof err) == BEX_OK) {
        size_t above = 0;
        for (size_t i = 0; i < g->n_nonmated; i++) above += g->nonmated[i] >= op.threshold;
        double upper = NAN;
        bex_error_rate_upper_bound(above, g->n_nonmated, 0.95, &upper, err, sizeof err);
        fprintf(f, ",\"shipped\":{\"operating_point\":\"%s\",\"threshold\":%.5f,\"false_matches\":%zu,\"fmr\":%.4g,"
                   "\"upper95\":%.4g,\"times_target\":%.3g}",
                op.name, op.threshold, above, (double)above / (double)g->n_nonmated, upper,
                (double)above / (double)g->n_nonmated / BEX_DEFAULT_FMR);
    }
    fprintf(f, ",\"min_fmr\":%.3g,\"fmr\":[", t->n_rows ? t->rows[t->n_rows - 1].target : NAN);
    for (size_t i = 0; i < t->n_rows; i++) {
        const bex_calib_row *r = &t->rows[i];
        fprintf(f, "%s{\"target\":%.3g,\"threshold\":%.5f,\"false_matches\":%llu,\"fmr\":%.4g,\"upper95\":%.4g,\"fnmr\":",
                i ? "," : "", r->target, r->threshold, r->false_matches, r->fmr, r->upper95);
        print_num(f, "%.5f", r->fnmr);
        fprintf(f, ",\"heldout_threshold\":");
        print_num(f, "%.5f", r->heldout_threshold);
        fprintf(f, ",\"heldout_fmr\":");
        print_num(f, "%.4g", r->heldout_fmr);
        fprintf(f, "}");
    }
    fprintf(f, "]}");
}

static int apply_file(bex_store *st, const char *path) {
    size_t len = 0;
    char *text = cli_read_file(path, (size_t)64 << 20, &len);
    if (!text) return 2;
    char err[512];
    int applied = 0, rc = bex_store_calibration_apply(st, text, &applied, err, sizeof err);
    free(text);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", path, err);
        return 2;
    }
    printf("{\"applied\":%d,\"file\":", applied);
    bex_json_str(stdout, path);
    printf(",\"note\":\"these thresholds now govern entry, exit and 1:N decisions (a port's group at that port, the "
           "model's elsewhere; a running service from its next crossing) and the drift check (bex eval drift) watches "
           "them; bex eval calibrate --store DB --revert puts the shipped table back\"}\n");
    return 0;
}

static int revert(bex_store *st, const char *port) {
    char err[512];
    int n = 0, rc = bex_store_calibration_revert(st, port, &n, err, sizeof err);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return rc == BEX_ERR_ARG ? 1 : 2;
    }
    bex_calibration c;
    rc = bex_store_calibration_for(st, port, &c, err, sizeof err);
    printf("{\"reverted\":%d,\"port\":", n);
    if (port) bex_json_str(stdout, port);
    else fputs("null", stdout);
    printf(",\"now_in_force\":");
    bex_json_str(stdout, rc == BEX_OK ? c.name : "?");
    printf("}\n");
    return 0;
}

int cmd_eval_calibrate_store(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *out = NULL, *by = NULL, *v = NULL, *apply = NULL, *port = NULL;
    int do_revert = 0;
    unsigned long long min_cmp = 0, cap = 0, seed = 1;
    for (int i = 0; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--store") && i + 1 < argc) c.db = argv[++i];
        else if ((r = cli_common_opt(argc, argv, &i, &c)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--out", &out)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--apply", &apply)) != 0) {
            if (r < 0) return 2;
        } else if (!strcmp(argv[i], "--revert")) {
            do_revert = 1;
        } else if ((r = cli_opt(argc, argv, &i, "--port", &port)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--by", &by)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--min-comparisons", &v)) != 0) {
            if (r < 0 || !parse_ull("--min-comparisons", v, &min_cmp)) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--cap", &v)) != 0) {
            if (r < 0 || !parse_ull("--cap", v, &cap)) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0 || !parse_ull("--seed", v, &seed)) return 2;
        } else
            return cli_usage_error("eval calibrate --store DB takes [--out FILE] [--by port|camera] "
                                   "[--min-comparisons N] [--cap N] [--seed S], or --apply FILE, or --revert "
                                   "[--port CODE]");
    }
    if (port && !do_revert) return cli_usage_error("--port goes with --revert");
    if (do_revert && apply) return cli_usage_error("--revert or --apply, not both");
    if (!c.db) return cli_usage_error("eval calibrate --store needs the store: --store DB");
    bex_score_query q = {.by = BEX_CALIB_BY_MODEL, .cap = cap, .seed = seed};
    if (by && !strcmp(by, "port")) q.by = BEX_CALIB_BY_PORT;
    else if (by && !strcmp(by, "camera")) q.by = BEX_CALIB_BY_CAMERA;
    else if (by && strcmp(by, "model")) return cli_usage_error("--by takes port or camera");
    if (min_cmp == 0) min_cmp = bex_calib_comparisons_needed(BEX_DEFAULT_FMR);
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    if (apply || do_revert) {
        int rc = apply ? apply_file(st, apply) : revert(st, port);
        bex_store_close(st);
        return rc;
    }
    char err[512];
    bex_score_group *g = NULL;
    size_t ng = 0;
    double t0 = cli_now();
    int rc = bex_store_calibration_scores(st, &q, &g, &ng, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        char label[512];
        fprintf(stderr, "bex: %s: %s\n", bex_store_target_label(c.db, label, sizeof label), err);
        return 2;
    }
    bex_calib_table *t = malloc(sizeof *t * (ng ? ng : 1));
    int *ok = calloc(ng ? ng : 1, sizeof *ok);
    char (*why)[512] = calloc(ng ? ng : 1, sizeof *why);
    if (!t || !ok || !why) {
        fprintf(stderr, "bex: out of memory\n");
        free(t), free(ok), free(why);
        bex_store_score_groups_free(g, ng);
        return 2;
    }
    int n_ok = 0;
    for (size_t i = 0; i < ng; i++) {
        rc = bex_calib_table_from_scores(g[i].nonmated, g[i].half, g[i].n_nonmated, g[i].mated, g[i].n_mated, min_cmp,
                                         &t[i], why[i], sizeof why[i]);
        if (rc == BEX_OK) ok[i] = 1, n_ok++;
        else if (rc != BEX_ERR_UNSUPPORTED) {
            fprintf(stderr, "bex: %s\n", why[i]);
            n_ok = -1;
            break;
        } else if (g[i].sampled || g[i].n_nonmated < g[i].available) {
            /* cannot happen with cap >= min: say so rather than mislead */
            snprintf(why[i] + strlen(why[i]), sizeof why[i] - strlen(why[i]), " (raise --cap)");
        }
        if (!ok[i])
            fprintf(stderr, "bex: model %s%s%s%s%s: refused: %s\n", g[i].model, *g[i].key ? " " : "",
                    *g[i].key ? g[i].scope : "", *g[i].key ? " " : "", g[i].key, why[i]);
    }
    if (n_ok >= 0) {
        char tmp[1200];
        FILE *files[2] = {stdout, NULL};
        if (out) {
            snprintf(tmp, sizeof tmp, "%s.tmp", out);
            files[1] = fopen(tmp, "w");
            if (!files[1]) fprintf(stderr, "bex: cannot write %s: %s\n", tmp, strerror(errno));
        }
        for (int k = 0; k < 2; k++) {
            FILE *f = files[k];
            if (!f) continue;
            fprintf(f, "{\"calibration\":\"store\",\"protocol\":\"Calibration on the store's own templates: a "
                       "non-mated comparison is two face templates of different travellers of one model (not a "
                       "citizen's, not of a referred or refused entry), leaving out pairs of travellers that a flag "
                       "or a merge links; a mated one, two templates of one traveller (they joined because they "
                       "matched: FNMR is optimistic). Every pair is compared while a group has at most the cap; "
                       "beyond, cap pairs are drawn uniformly with replacement (seed below). Groups: per model, and "
                       "per port or camera (the live captures taken there, against every other template). Table "
                       "as the LFW calibration: 1e-5 bins, 40 targets a decade from 0.1, each only with at least 10 "
                       "expected false matches (10 / FMR comparisons: the 95%% bound within a factor 1.7); a group "
                       "under min_comparisons is refused. Held out: travellers split in two seeded halves, "
                       "thresholds fitted on half A's comparisons, FMR measured on half B's.\",\"seed\":%llu,"
                       "\"cap\":%llu,\"min_comparisons\":%llu,\"by\":\"%s\",\"seconds\":%.1f,\"groups\":[",
                    seed, cap ? cap : 10000000ULL, min_cmp, by ? by : "model", cli_now() - t0);
            for (size_t i = 0; i < ng; i++) {
                if (i) fputc(',', f);
                print_group(f, &g[i], &t[i], ok[i], why[i], min_cmp);
            }
            fprintf(f, "]}\n");
        }
        if (files[1]) {
            int bad = ferror(files[1]);
            if (fclose(files[1]) != 0 || bad || rename(tmp, out) != 0) {
                fprintf(stderr, "bex: cannot write %s: %s\n", out, strerror(errno));
                n_ok = -1;
            }
        }
    }
    free(t), free(ok), free(why);
    bex_store_score_groups_free(g, ng);
    if (n_ok < 0) return 2;
    char label[512];
    if (ng == 0)
        fprintf(stderr, "bex: %s: no face templates of travellers to compare\n",
                bex_store_target_label(c.db, label, sizeof label));
    return n_ok > 0 ? 0 : 1;
}

int cmd_eval_drift(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *since = NULL, *window = "7d", *v = NULL;
    double fmr = 0.01, alpha = BEX_DRIFT_ALPHA;
    unsigned long long cap = 1000000, seed = 1;
    int flag = 1;
    for (int i = 0; i < argc; i++) {
        int r;
        if (!strcmp(argv[i], "--store") && i + 1 < argc) c.db = argv[++i];
        else if (!strcmp(argv[i], "--no-flag")) flag = 0;
        else if ((r = cli_common_opt(argc, argv, &i, &c)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--since", &since)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--window", &window)) != 0) {
            if (r < 0) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--fmr", &v)) != 0) {
            if (r < 0 || !cli_parse_rate("--fmr", v, &fmr)) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--alpha", &v)) != 0) {
            char *end;
            alpha = r < 0 ? 0 : strtod(v, &end);
            if (r < 0 || *end || !(alpha > 0 && alpha < 0.5)) {
                fprintf(stderr, "bex: --alpha takes a test level above 0 and under 0.5\n");
                return 2;
            }
        } else if ((r = cli_opt(argc, argv, &i, "--cap", &v)) != 0) {
            if (r < 0 || !parse_ull("--cap", v, &cap)) return 2;
        } else if ((r = cli_opt(argc, argv, &i, "--seed", &v)) != 0) {
            if (r < 0 || !parse_ull("--seed", v, &seed)) return 2;
        } else
            return cli_usage_error("eval drift takes [--db DB] [--since TIME | --window 7d] [--fmr F] [--alpha A] "
                                   "[--cap N] [--seed S] [--no-flag]");
    }
    if (!c.db) c.db = "bex.db";
    char since_buf[24];
    if (since) {
        if (bex_time_canonical(since, since_buf) != BEX_OK) {
            fprintf(stderr, "bex: --since takes a date or an ISO 8601 time (got '%s')\n", since);
            return 2;
        }
    } else {
        long long w = cli_parse_duration(window);
        char now[24];
        int64_t tn;
        bex_time_now(now);
        if (w <= 0 || bex_time_parse(now, &tn) != BEX_OK) {
            fprintf(stderr, "bex: --window takes a duration such as 7d or 12h (got '%s')\n", window);
            return 2;
        }
        bex_time_format(tn - w, since_buf);
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    bex_drift_check d;
    int rc = bex_store_drift_check(st, since_buf, fmr, alpha, cap, seed, flag, &d, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        char label[512];
        fprintf(stderr, "bex: %s: %s\n", bex_store_target_label(c.db, label, sizeof label), err);
        return 2;
    }
    printf("{\"check\":%lld,\"model\":", (long long)d.id);
    bex_json_str(stdout, d.model);
    printf(",\"since\":\"%s\",\"calibration\":", d.since);
    if (d.calibration) printf("%lld", (long long)d.calibration);
    else printf("\"shipped (LFW)\"");
    printf(",\"fmr\":%g,\"threshold\":%.5f,\"comparisons\":%llu,\"sampled\":%s,\"above\":%llu,\"observed\":%.4g,"
           "\"ratio\":%.3g,\"p_high\":%.3g,\"p_low\":%.3g,\"alpha\":%g,\"enough\":%s,\"alarm\":%s,\"direction\":\"%s\","
           "\"flag\":",
           d.drift.fmr, d.drift.threshold, d.drift.comparisons, d.sampled ? "true" : "false", d.drift.above,
           d.drift.observed, d.drift.ratio, d.drift.p_high, d.drift.p_low, d.drift.alpha,
           d.drift.enough ? "true" : "false", d.drift.alarm ? "true" : "false",
           d.drift.direction > 0 ? "above" : d.drift.direction < 0 ? "below" : "none");
    if (d.flag) printf("%lld}\n", (long long)d.flag);
    else printf("null}\n");
    if (!d.drift.enough)
        fprintf(stderr, "bex: %llu live non-mated comparisons since %s, %llu needed for a verdict at FMR %g\n",
                d.drift.comparisons, d.since, bex_calib_comparisons_needed(d.drift.fmr), d.drift.fmr);
    return d.drift.alarm ? 1 : 0;
}
