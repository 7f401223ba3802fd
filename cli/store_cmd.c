/*
 * store_cmd.c - the record system's commands (include/bex/store.h) on an SQLite file:
 *
 *   bex entry --photo IMG --mrz MRZ [--doc-photo IMG] --class C (--admit-until D | --ds)
 *             --port CODE --port-kind KIND [--carrier X] [--voyage X] [--at ISO] [--citizen]
 *   bex exit --photo IMG --port CODE [--port-kind KIND] [--departure ID] [--at ISO]
 *   bex enrol DIR [--source visa|document|officer] [--at ISO]
 *   bex manifest load FILE
 *   bex gallery build DEPARTURE [--out FILE]
 *   bex gate --gallery FILE --photo IMG [--departure ID] [--port CODE] [--log FILE]   (no --db)
 *   bex sync LOG
 *   bex overstays --as-of D [--policy us|eu] [--format json|csv] [--by country|class|port]
 *   bex flags [--format json|csv]
 *   bex flag ID open|cleared|confirmed
 *   bex override ENCOUNTER SUBJECT
 *   bex keys add --role ROLE [--carrier CODE] [--label L] | list | revoke ID
 *   bex subject ID
 *   bex purge [--as-of ISO] [--set CATEGORY=DURATION]... [--policy us|eu]
 *   bex audit verify [--head HEX]
 *
 * Every command takes --db FILE (default bex.db) and --actor NAME (default $BEX_ACTOR, else
 * "cli:$USER") for the audit log, prints one JSON object on stdout (CSV where asked) and exits
 * 0 (done), 1 (done, negative outcome: no match, flags, overstays, a broken audit chain) or 2
 * (error, message on stderr). Options come in any order.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bex/image.h"
#include "bex/store.h"
#include "cli.h"

/* ---- shared option handling ---- */

typedef struct common_opts {
    const char *db;
    const char *actor;
    char actor_buf[64];
    int must_exist;  /* a command that only reads: a missing file is an error */
} common_opts;

/* --db / --actor: 1 consumed (i advanced past the value), 0 not one, -1 missing value. */
static int common_opt(int argc, char **argv, int *i, common_opts *c) {
    const char *a = argv[*i];
    if (strcmp(a, "--db") && strcmp(a, "--actor")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bex: %s needs a value\n", a);
        return -1;
    }
    if (!strcmp(a, "--db")) c->db = argv[++*i];
    else c->actor = argv[++*i];
    return 1;
}

/* A "--name VALUE" option: 1 and *v set when argv[*i] is `name`, -1 without a value. */
static int opt_val(int argc, char **argv, int *i, const char *name, const char **v) {
    if (strcmp(argv[*i], name)) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "bex: %s needs a value\n", name);
        return -1;
    }
    *v = argv[++*i];
    return 1;
}

static int open_store(common_opts *c, bex_store **st) {
    if (!c->db) c->db = "bex.db";
    if (!c->actor) c->actor = getenv("BEX_ACTOR");
    if (!c->actor || !*c->actor) {
        const char *u = getenv("USER");
        snprintf(c->actor_buf, sizeof c->actor_buf, "cli:%s", u && *u ? u : "unknown");
        c->actor = c->actor_buf;
    }
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = c->actor;
    o.must_exist = c->must_exist;
    char err[512];
    int rc = bex_store_open(c->db, &o, st, err, sizeof err);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", c->db, err);
        return 0;
    }
    return 1;
}

void cli_progress(const char *what, size_t done, size_t total, double t0) {
    if (!isatty(2)) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double el = ts.tv_sec + ts.tv_nsec * 1e-9 - t0, rate = done / (el > 0 ? el : 1e-9);
    fprintf(stderr, "\r%s: %zu / %zu, %.0f/s, %.0f s left   ", what, done, total, rate,
            rate > 0 ? (total - done) / rate : 0.0);
    if (done == total) fputc('\n', stderr);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

char *cli_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bex: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        if (n == cap) {
            if (cap >= max) {
                fprintf(stderr, "bex: %s is larger than %zu bytes\n", path, max);
                free(b);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            char *nb = realloc(b, cap + 1);
            if (!nb) break;
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = !b || ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "bex: cannot read %s\n", path);
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

/* ---- faces ---- */

typedef struct capture {
    int ok;               /* a template */
    float tmpl[BEX_TEMPLATE_DIM];
    float quality;
    const char *failure;  /* capture outcome name when not ok */
    char message[256];
    char *bytes;          /* the file, for retention of images */
    size_t len;
} capture;

/* Loads and acquires a face under the policy. A capture failure is an outcome (0 returned,
 * c->ok = 0); an unreadable or undecodable file is an error (2, message on stderr). */
static int acquire(bex_engine *eng, const char *path, const bex_capture_policy *pol, capture *c) {
    memset(c, 0, sizeof *c);
    char err[256];
    c->bytes = cli_read_file(path, 64u << 20, &c->len);
    if (!c->bytes) return 2;
    bex_image img;
    int rc = bex_image_decode((const uint8_t *)c->bytes, c->len, NULL, &img, err, sizeof err);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", path, err);
        return 2;
    }
    bex_face face;
    bex_quality q;
    int n = 0;
    rc = bex_capture(eng, &img, pol, &face, &q, &n, err, sizeof err);
    bex_image_free(&img);
    if (rc == BEX_OK) {
        c->ok = 1;
        memcpy(c->tmpl, face.template_, sizeof c->tmpl);
        c->quality = q.score;
        return 0;
    }
    c->failure = cli_outcome_name(rc);
    if (!c->failure) {
        fprintf(stderr, "bex: %s: %s\n", path, err);
        return 2;
    }
    snprintf(c->message, sizeof c->message, "%s", err);
    return 0;
}

/* "A\nB" as typed on a command line becomes two lines, as an MRZ reader delivers them. */
static void unescape_newlines(char *s) {
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

/* ---- bex entry ---- */

static int cmd_entry(const char *models, int argc, char **argv) {
    common_opts c = {0};
    const char *photo = NULL, *mrz = NULL, *doc_photo = NULL, *cls = NULL, *until = NULL, *port = NULL,
               *kind = NULL, *carrier = NULL, *voyage = NULL, *at = NULL;
    int ds = 0, citizen = 0;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = opt_val(argc, argv, &i, "--photo", &photo)) || (r = opt_val(argc, argv, &i, "--mrz", &mrz)) ||
            (r = opt_val(argc, argv, &i, "--doc-photo", &doc_photo)) ||
            (r = opt_val(argc, argv, &i, "--class", &cls)) ||
            (r = opt_val(argc, argv, &i, "--admit-until", &until)) ||
            (r = opt_val(argc, argv, &i, "--port", &port)) || (r = opt_val(argc, argv, &i, "--port-kind", &kind)) ||
            (r = opt_val(argc, argv, &i, "--carrier", &carrier)) ||
            (r = opt_val(argc, argv, &i, "--voyage", &voyage)) || (r = opt_val(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
        } else if (!strcmp(argv[i], "--ds")) ds = 1;
        else if (!strcmp(argv[i], "--citizen")) citizen = 1;
        else {
            fprintf(stderr, "bex: entry: unknown option '%s'\n", argv[i]);
            return cli_usage_error("entry takes --photo IMG --mrz MRZ [--doc-photo IMG] --class C "
                                   "(--admit-until YYYY-MM-DD | --ds) --port CODE --port-kind KIND [--at ISO] "
                                   "[--citizen] [--db FILE]");
        }
    }
    if (!photo || !mrz || !port || !kind)
        return cli_usage_error("entry needs --photo, --mrz, --port and --port-kind");
    if (!citizen && (!cls || (!until == !ds)))
        return cli_usage_error("entry needs --class and one of --admit-until YYYY-MM-DD or --ds (duration of "
                               "status), unless --citizen");
    char atbuf[32];
    if (!at) {
        time_t now = time(NULL);
        strftime(atbuf, sizeof atbuf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        at = atbuf;
    }
    char today[11];
    snprintf(today, sizeof today, "%.10s", at);
    char *mrz_text = strdup(mrz);
    if (!mrz_text) return 2;
    unescape_newlines(mrz_text);
    bex_mrz doc;
    char err[512];
    if (strlen(at) < 10 || bex_mrz_parse_at(mrz_text, today, &doc, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: the MRZ: %s\n", strlen(at) < 10 ? "--at is no ISO 8601 time" : err);
        free(mrz_text);
        return 2;
    }
    free(mrz_text);
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    capture live, chip;
    memset(&chip, 0, sizeof chip);
    int rc = acquire(eng, photo, &pol, &live);
    if (rc == 0 && doc_photo) {
        bex_capture_policy dp = pol; /* a chip photo is one face, posed: the same policy */
        rc = acquire(eng, doc_photo, &dp, &chip);
    }
    bex_engine_close(eng);
    bex_store *st = NULL;
    if (rc != 0 || !open_store(&c, &st)) {
        free(live.bytes);
        free(chip.bytes);
        return 2;
    }
    bex_entry_request rq = {
        .doc = &doc, .live = live.ok ? live.tmpl : NULL, .live_quality = live.quality,
        .live_failure = live.failure, .live_image = live.bytes, .live_image_len = live.len,
        .doc_photo = chip.ok ? chip.tmpl : NULL, .doc_quality = chip.quality, .admission_class = cls,
        .admit_until = until, .port = port, .port_kind = kind, .carrier = carrier, .voyage = voyage, .at = at,
        .citizen = citizen};
    bex_entry_result r;
    rc = bex_store_entry(st, &rq, &r, err, sizeof err);
    bex_store_close(st);
    free(live.bytes);
    free(chip.bytes);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: entry: %s\n", err);
        return 2;
    }
    cli_print_entry(stdout, &r, live.ok ? NULL : live.failure, live.message,
                    doc_photo && !chip.ok ? chip.failure : NULL, chip.message);
    return (r.n_flags || (strcmp(r.outcome, "matched") && strcmp(r.outcome, "enrolled"))) ? 1 : 0;
}

/* ---- bex enrol ---- */

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int image_name(const char *n) {
    const char *d = strrchr(n, '.');
    return d && (!strcasecmp(d, ".jpg") || !strcasecmp(d, ".jpeg") || !strcasecmp(d, ".png") ||
                 !strcasecmp(d, ".jp2") || !strcasecmp(d, ".j2k"));
}

/* `bex enrol DIR`: every photo X.jpg (.png, .jp2) with its MRZ in X.mrz beside it. Each person
 * is committed as enrolled, so a run that stops can be run again: people already enrolled
 * from that source are skipped. */
static int cmd_enrol(const char *models, int argc, char **argv) {
    common_opts c = {0};
    const char *dir = NULL, *source = "visa", *at = NULL;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = opt_val(argc, argv, &i, "--source", &source)) || (r = opt_val(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || dir)
            return cli_usage_error("enrol takes DIR [--source visa|document|officer] [--at ISO] [--db FILE]");
        dir = argv[i];
    }
    if (!dir) return cli_usage_error("enrol needs a folder of photos, each with its MRZ in NAME.mrz beside it");
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bex: cannot open the folder %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!image_name(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, name_cmp);
    bex_engine *eng = NULL;
    bex_store *st = NULL;
    int rc = 0;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng) || !open_store(&c, &st)) rc = 2;
    size_t enrolled = 0, already = 0, failed = 0;
    double t0 = cli_now();
    printf("{\"folder\":");
    cli_json_str(stdout, dir);
    printf(",\"not_enrolled\":[");
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096], mrzp[4096], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(mrzp, sizeof mrzp, "%s/%.*s.mrz", dir, (int)(strrchr(names[i], '.') - names[i]), names[i]);
        size_t len;
        FILE *probe = fopen(mrzp, "rb");
        const char *why = NULL;
        char msg[512] = "";
        capture cap_ = {0};
        if (!probe) {
            why = "no_mrz";
            snprintf(msg, sizeof msg, "no %s beside the photo", strrchr(mrzp, '/') + 1);
        } else {
            fclose(probe);
            char *text = cli_read_file(mrzp, 4096, &len);
            bex_mrz m;
            if (!text || bex_mrz_parse(text, &m, err, sizeof err) != BEX_OK) {
                why = "bad_mrz";
                snprintf(msg, sizeof msg, "%s", text ? err : "unreadable");
            } else if (acquire(eng, path, &pol, &cap_) != 0) {
                why = "bad_image";
                snprintf(msg, sizeof msg, "the photo cannot be decoded");
            } else if (!cap_.ok) {
                why = cap_.failure;
                snprintf(msg, sizeof msg, "%s", cap_.message);
            } else {
                int64_t subj, docid;
                int added;
                int r = bex_store_enrol(st, &m, cap_.tmpl, cap_.quality, source, at, &subj, &docid, &added, err,
                                        sizeof err);
                if (r == BEX_ERR_ARG) {
                    fprintf(stderr, "bex: enrol: %s\n", err);
                    rc = 2;
                } else if (r != BEX_OK) {
                    fprintf(stderr, "bex: enrol: %s: %s\n", names[i], err);
                    rc = 2;
                } else if (added) {
                    enrolled++;
                } else {
                    already++;
                }
            }
            free(text);
        }
        free(cap_.bytes);
        if (why) {
            printf("%s{\"file\":", failed ? "," : "");
            cli_json_str(stdout, names[i]);
            printf(",\"outcome\":\"%s\",\"message\":", why);
            cli_json_str(stdout, msg);
            printf("}");
            failed++;
        }
        cli_progress("enrol", i + 1, n, t0);
    }
    printf("],\"photos\":%zu,\"enrolled\":%zu,\"already_enrolled\":%zu,\"failed\":%zu,\"seconds\":%.1f}\n", n,
           enrolled, already, failed, cli_now() - t0);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    bex_engine_close(eng);
    bex_store_close(st);
    return rc ? rc : failed ? 1 : 0;
}

/* ---- bex exit ---- */

static int cmd_exit(const char *models, int argc, char **argv) {
    common_opts c = {0};
    const char *photo = NULL, *port = NULL, *kind = NULL, *dep = NULL, *at = NULL;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = opt_val(argc, argv, &i, "--photo", &photo)) || (r = opt_val(argc, argv, &i, "--port", &port)) ||
            (r = opt_val(argc, argv, &i, "--port-kind", &kind)) ||
            (r = opt_val(argc, argv, &i, "--departure", &dep)) || (r = opt_val(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
        } else {
            fprintf(stderr, "bex: exit: unknown option '%s'\n", argv[i]);
            return cli_usage_error("exit takes --photo IMG --port CODE [--port-kind KIND] [--departure ID] "
                                   "[--at ISO] [--db FILE]");
        }
    }
    if (!photo || !port) return cli_usage_error("exit needs --photo IMG and --port CODE");
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    capture live;
    int rc = acquire(eng, photo, &pol, &live);
    bex_engine_close(eng);
    bex_store *st = NULL;
    if (rc != 0 || !open_store(&c, &st)) {
        free(live.bytes);
        return 2;
    }
    bex_exit_request rq = {.live = live.ok ? live.tmpl : NULL, .live_quality = live.quality,
                           .live_failure = live.failure, .live_image = live.bytes, .live_image_len = live.len,
                           .port = port, .port_kind = kind, .departure = dep, .at = at};
    bex_exit_result r;
    char err[512];
    rc = bex_store_exit(st, &rq, &r, err, sizeof err);
    bex_store_close(st);
    free(live.bytes);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: exit: %s\n", err);
        return 2;
    }
    cli_print_exit(stdout, &r, live.ok ? NULL : live.failure, live.message);
    return r.n_flags || strcmp(r.outcome, "matched") ? 1 : 0;
}

/* ---- offline gates: bex gate, bex sync ---- */

/* `bex gate --gallery FILE --photo IMG [--departure ID] [--port CODE] [--log FILE] [--at ISO]`:
 * the decision against a departure's exported gallery (bex gallery build), with no store at
 * hand; each decision is appended to the log (one JSON line, with the template) for bex sync. */
static int cmd_gate(const char *models, int argc, char **argv) {
    const char *gallery = NULL, *photo = NULL, *dep = NULL, *port = NULL, *log = NULL, *at = NULL;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_parse_capture_opt(argc, argv, &i, &pol)) || (r = opt_val(argc, argv, &i, "--gallery", &gallery)) ||
            (r = opt_val(argc, argv, &i, "--photo", &photo)) || (r = opt_val(argc, argv, &i, "--departure", &dep)) ||
            (r = opt_val(argc, argv, &i, "--port", &port)) || (r = opt_val(argc, argv, &i, "--log", &log)) ||
            (r = opt_val(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("gate takes --gallery FILE --photo IMG [--departure ID] [--port CODE] [--log FILE] "
                               "[--at ISO]");
    }
    if (!gallery || !photo) return cli_usage_error("gate needs --gallery FILE (bex gallery build) and --photo IMG");
    char err[512], atbuf[32];
    if (!at) {
        time_t now = time(NULL);
        strftime(atbuf, sizeof atbuf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        at = atbuf;
    }
    bex_index *ix;
    if (bex_index_load(gallery, &ix, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: gate: %s\n", err);
        return 2;
    }
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) {
        bex_index_close(ix);
        return 2;
    }
    capture live;
    int rc = acquire(eng, photo, &pol, &live);
    bex_engine_close(eng);
    if (rc != 0) {
        bex_index_close(ix);
        return 2;
    }
    int match = 0;
    bex_index_hit hits[1];
    size_t nh = 0;
    bex_operating_point op;
    memset(&op, 0, sizeof op);
    if (live.ok && bex_index_count(ix) > 0) {
        rc = bex_index_identify(ix, live.tmpl, 1, NULL, BEX_ALIGN_DEFAULT, BEX_DEFAULT_FPIR, hits, &nh, &op, &match,
                                err, sizeof err);
        if (rc != BEX_OK) {
            fprintf(stderr, "bex: gate: %s\n", err);
            bex_index_close(ix);
            free(live.bytes);
            return 2;
        }
    }
    size_t n_subj = bex_index_subjects(ix);
    bex_index_close(ix);
    free(live.bytes);
    const char *decision = !live.ok ? "no_photo" : match ? "match" : "no_match";
    if (log && live.ok) { /* appended with one write, so a crash leaves whole lines */
        char line[2048];
        int k = snprintf(line, sizeof line, "{\"at\":\"%s\",\"departure\":\"%s\",\"port\":\"%s\",\"decision\":\"%s\","
                         "\"subject\":%lld,\"template\":\"", at, dep ? dep : "", port ? port : "", decision,
                         match ? (long long)hits[0].subject_id : 0LL);
        const unsigned char *b = (const unsigned char *)live.tmpl;
        for (size_t i = 0; i < sizeof live.tmpl && k + 3 < (int)sizeof line; i++) k += snprintf(line + k, 3, "%02x", b[i]);
        k += snprintf(line + k, sizeof line - (size_t)k, "\"}\n");
        FILE *f = fopen(log, "ab");
        if (!f || fwrite(line, 1, (size_t)k, f) != (size_t)k || fflush(f) || fsync(fileno(f))) {
            fprintf(stderr, "bex: gate: cannot append to %s: %s\n", log, strerror(errno));
            if (f) fclose(f);
            return 2;
        }
        fclose(f);
    }
    printf("{\"decision\":\"%s\",\"subject\":", decision);
    if (match) printf("%lld", (long long)hits[0].subject_id);
    else printf("null");
    if (nh) printf(",\"score\":%.4f", hits[0].score);
    printf(",\"gallery_size\":%zu", n_subj);
    if (live.ok && n_subj) {
        printf(",\"threshold\":%.4f,\"operating_point\":", op.threshold);
        cli_json_str(stdout, op.name);
    }
    if (!live.ok) cli_print_capture(stdout, live.failure, live.message);
    printf("}\n");
    return match ? 0 : 1;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* `bex sync LOG [--port-kind K]`: records an offline gate's decisions as exits: each line is
 * decided again by the store (bex_store_exit, the departure's manifest first) and recorded;
 * a store decision that differs from the gate's is counted and listed. */
static int cmd_sync(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *log = NULL, *kind = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--port-kind", &kind))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || log) return cli_usage_error("sync takes LOG [--port-kind K] [--db FILE]");
        log = argv[i];
    }
    if (!log) return cli_usage_error("sync needs a gate's log file (bex gate --log FILE)");
    size_t len;
    char *text = cli_read_file(log, 1u << 30, &len);
    if (!text) return 2;
    bex_store *st;
    if (!open_store(&c, &st)) {
        free(text);
        return 2;
    }
    size_t lines = 0, recorded = 0, differ = 0, already = 0;
    int rc = 0;
    printf("{\"log\":");
    cli_json_str(stdout, log);
    printf(",\"disagreements\":[");
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln && rc == 0; ln = strtok_r(NULL, "\n", &save)) {
        lines++;
        char at[32], dep[64], port[16], decision[16], hex[2 * BEX_TEMPLATE_DIM * 4 + 1];
        long long subj;
        if (sscanf(ln, "{\"at\":\"%31[^\"]\",\"departure\":\"%63[^\"]\",\"port\":\"%15[^\"]\",\"decision\":\"%15[^\"]\","
                       "\"subject\":%lld,\"template\":\"%1024[0-9a-f]\"}", at, dep, port, decision, &subj, hex) != 6 ||
            strlen(hex) != sizeof hex - 1) {
            /* the departure may be empty: read it again without it */
            dep[0] = 0;
            if (sscanf(ln, "{\"at\":\"%31[^\"]\",\"departure\":\"\",\"port\":\"%15[^\"]\",\"decision\":\"%15[^\"]\","
                           "\"subject\":%lld,\"template\":\"%1024[0-9a-f]\"}", at, port, decision, &subj, hex) != 5 ||
                strlen(hex) != sizeof hex - 1) {
                fprintf(stderr, "bex: sync: %s line %zu is no gate log line; nothing after it was recorded\n", log, lines);
                rc = 2;
                break;
            }
        }
        float tmpl[BEX_TEMPLATE_DIM];
        unsigned char *b = (unsigned char *)tmpl;
        for (size_t i = 0; i < sizeof tmpl; i++) b[i] = (unsigned char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
        if (!port[0]) {
            fprintf(stderr, "bex: sync: %s line %zu has no port (bex gate --port CODE)\n", log, lines);
            rc = 2;
            break;
        }
        bex_exit_request rq = {.live = tmpl, .live_quality = NAN, .port = port, .port_kind = kind,
                               .departure = dep[0] ? dep : NULL, .at = at, .once = 1};
        bex_exit_result r;
        char err[512];
        if (bex_store_exit(st, &rq, &r, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: sync: %s line %zu: %s\n", log, lines, err);
            rc = 2;
            break;
        }
        if (r.already) {
            already++;
            continue;
        }
        recorded++;
        int gate_match = !strcmp(decision, "match");
        if (gate_match != (r.subject != 0) || (gate_match && subj != r.subject)) {
            printf("%s{\"line\":%zu,\"gate\":\"%s\",\"gate_subject\":%lld,\"store_subject\":%lld,\"encounter\":%lld}",
                   differ ? "," : "", lines, decision, subj, (long long)r.subject, (long long)r.encounter);
            differ++;
        }
    }
    printf("],\"lines\":%zu,\"recorded\":%zu,\"already_recorded\":%zu,\"differ\":%zu}\n", lines, recorded, already,
           differ);
    bex_store_close(st);
    free(text);
    return rc ? rc : differ ? 1 : 0;
}

/* ---- bex manifest load, bex gallery build ---- */

static void manifest_progress(size_t done, size_t total, void *arg) {
    cli_progress("manifest", done, total, *(double *)arg);
}

static int cmd_manifest(int argc, char **argv) {
    common_opts c = {0};
    const char *file = NULL;
    if (argc < 1 || strcmp(argv[0], "load")) return cli_usage_error("manifest takes: load FILE [--db FILE]");
    for (int i = 1; i < argc; i++) {
        int r = common_opt(argc, argv, &i, &c);
        if (r < 0) return 2;
        if (r) continue;
        if (argv[i][0] == '-' || file) return cli_usage_error("manifest load takes one FILE [--db FILE]");
        file = argv[i];
    }
    if (!file) return cli_usage_error("manifest load needs the manifest's JSON file");
    size_t len;
    char *text = cli_read_file(file, 256u << 20, &len);
    if (!text) return 2;
    bex_manifest m;
    char err[512];
    int rc = bex_manifest_parse_json(text, len, &m, err, sizeof err);
    free(text);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", file, err);
        return 2;
    }
    bex_store *st;
    if (!open_store(&c, &st)) {
        bex_manifest_free(&m);
        return 2;
    }
    bex_manifest_result r;
    double t0 = cli_now();
    rc = bex_store_load_manifest(st, &m, manifest_progress, &t0, &r, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s: %s\n", file, err);
        bex_manifest_free(&m);
        return 2;
    }
    printf("{\"departure\":");
    cli_json_str(stdout, m.id);
    printf(",\"travellers\":%zu,\"linked\":%zu,\"with_face\":%zu,\"mismatches\":%d,\"replaced\":%s}\n",
           r.travellers, r.linked, r.with_face, r.n_flags, r.replaced ? "true" : "false");
    bex_manifest_free(&m);
    return r.n_flags ? 1 : 0;
}

static int cmd_gallery(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *dep = NULL, *out = NULL;
    if (argc < 1 || strcmp(argv[0], "build"))
        return cli_usage_error("gallery takes: build DEPARTURE [--out FILE] [--db FILE]");
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--out", &out))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || dep) return cli_usage_error("gallery build takes one DEPARTURE [--out FILE]");
        dep = argv[i];
    }
    if (!dep) return cli_usage_error("gallery build needs the departure's id");
    char outbuf[512];
    if (!out) {
        snprintf(outbuf, sizeof outbuf, "%s.gallery", dep);
        for (char *p = outbuf; *p; p++)
            if (*p == '/') *p = '_';
        out = outbuf;
    }
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    bex_index *ix;
    size_t subjects;
    char err[512];
    int rc = bex_store_gallery(st, dep, &ix, &subjects, err, sizeof err);
    bex_store_close(st);
    if (rc == BEX_OK) {
        rc = bex_index_save(ix, out, err, sizeof err);
        size_t templates = bex_index_count(ix);
        bex_index_close(ix);
        if (rc == BEX_OK) {
            printf("{\"departure\":");
            cli_json_str(stdout, dep);
            printf(",\"file\":");
            cli_json_str(stdout, out);
            printf(",\"subjects\":%zu,\"templates\":%zu}\n", subjects, templates);
            return 0;
        }
    }
    fprintf(stderr, "bex: gallery build: %s\n", err);
    return 2;
}

/* ---- bex overstays ---- */

static int cmd_overstays(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *asof = NULL, *policy = "us", *format = "json", *by = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--as-of", &asof)) ||
            (r = opt_val(argc, argv, &i, "--policy", &policy)) || (r = opt_val(argc, argv, &i, "--format", &format)) ||
            (r = opt_val(argc, argv, &i, "--by", &by))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "bex: overstays: unknown option '%s'\n", argv[i]);
        return cli_usage_error("overstays takes --as-of YYYY-MM-DD [--policy us|eu] [--format json|csv] "
                               "[--by country|class|port] [--db FILE]");
    }
    if (!asof) return cli_usage_error("overstays needs --as-of YYYY-MM-DD");
    int eu = !strcmp(policy, "eu");
    if (!eu && strcmp(policy, "us")) return cli_usage_error("--policy is us or eu");
    int csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "json")) return cli_usage_error("--format is json or csv");
    if (by && strcmp(by, "country") && strcmp(by, "class") && strcmp(by, "port"))
        return cli_usage_error("--by is country, class or port");
    bex_day day_check;
    if (bex_day_parse(asof, &day_check) != BEX_OK) return cli_usage_error("--as-of takes a date as YYYY-MM-DD");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    bex_overstay_row *rows;
    size_t n;
    char err[512];
    double t0 = cli_now();
    int rc = bex_store_overstays(st, asof, eu, &rows, &n, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: overstays: %s\n", err);
        return 2;
    }
    int format_k = !csv ? 0 : !by ? 1 : !strcmp(by, "country") ? 2 : !strcmp(by, "class") ? 3 : 4;
    long over = cli_print_overstays(stdout, rows, n, asof, eu, format_k, t0);
    free(rows);
    return over < 0 ? 2 : over ? 1 : 0;
}

/* ---- bex flags ---- */

static int cmd_flags(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *format = "json";
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--format", &format))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("flags takes [--format json|csv] [--db FILE]");
    }
    int csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "json")) return cli_usage_error("--format is json or csv");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    bex_flag *f;
    size_t n;
    char err[512];
    int rc = bex_store_flags(st, &f, &n, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: flags: %s\n", err);
        return 2;
    }
    if (csv) {
        printf("id,kind,encounter,departure,subjects,documents,status,created_at,detail\n");
        for (size_t i = 0; i < n; i++) {
            printf("%lld,%s,%lld,%s,", (long long)f[i].id, f[i].kind, (long long)f[i].encounter, f[i].departure);
            for (int k = 0; k < f[i].n_subjects; k++) printf("%s%lld", k ? " " : "", (long long)f[i].subjects[k]);
            putchar(',');
            for (int k = 0; k < f[i].n_documents; k++) printf("%s%lld", k ? " " : "", (long long)f[i].documents[k]);
            printf(",%s,%s,\"", f[i].status, f[i].created_at);
            for (const char *p = f[i].detail; *p; p++) {
                if (*p == '"') putchar('"');
                putchar(*p);
            }
            printf("\"\n");
        }
    } else {
        printf("{\"count\":%zu", n);
        cli_print_flags(stdout, f, (int)n);
        printf("}\n");
    }
    free(f);
    return n ? 1 : 0;
}

/* ---- officers' decisions: bex override, bex flag ---- */

/* Up to max arguments besides --db / --actor into pos; -1 (usage printed) on anything else. */
static int positionals(int argc, char **argv, common_opts *c, const char **pos, int max, const char *usage) {
    int np = 0;
    for (int i = 0; i < argc; i++) {
        int r = common_opt(argc, argv, &i, c);
        if (r < 0) return -1;
        if (r) continue;
        if (argv[i][0] == '-' || np == max) {
            cli_usage_error(usage);
            return -1;
        }
        pos[np++] = argv[i];
    }
    return np;
}

static int parse_id(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x <= 0) return 0;
    *v = x;
    return 1;
}

/* `bex override ENCOUNTER SUBJECT`: an officer says who an unmatched exit was. */
static int cmd_override(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    int np = positionals(argc, argv, &c, pos, 2, "override takes ENCOUNTER SUBJECT [--db FILE]");
    if (np < 0) return 2;
    int64_t enc, subj;
    if (np != 2 || !parse_id(pos[0], &enc) || !parse_id(pos[1], &subj))
        return cli_usage_error("override takes an exit's encounter id and the subject id an officer found");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    int64_t adm;
    char err[512];
    int rc = bex_store_override_exit(st, enc, subj, &adm, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: override: %s\n", err);
        return 2;
    }
    printf("{\"encounter\":%lld,\"subject\":%lld,\"outcome\":\"officer_override\",\"admission\":", (long long)enc,
           (long long)subj);
    if (adm) printf("%lld}\n", (long long)adm);
    else printf("null}\n");
    return 0;
}

/* `bex flag ID open|cleared|confirmed`: an officer's finding on a flag. */
static int cmd_flag(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    int np = positionals(argc, argv, &c, pos, 2, "flag takes ID open|cleared|confirmed [--db FILE]");
    if (np < 0) return 2;
    int64_t id;
    if (np != 2 || !parse_id(pos[0], &id)) return cli_usage_error("flag takes ID open|cleared|confirmed");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    char err[512];
    int rc = bex_store_set_flag_status(st, id, pos[1], err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: flag: %s\n", err);
        return 2;
    }
    printf("{\"flag\":%lld,\"status\":", (long long)id);
    cli_json_str(stdout, pos[1]);
    printf("}\n");
    return 0;
}

/* ---- bex subject ---- */

/* `bex subject ID`: one traveller's whole record (an audited read). */
static int cmd_subject(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *pos[1] = {NULL};
    int np = positionals(argc, argv, &c, pos, 1, "subject takes ID [--db FILE]");
    int64_t id;
    if (np < 0) return 2;
    if (np != 1 || !parse_id(pos[0], &id)) return cli_usage_error("subject takes a subject id");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    char *json, err[512];
    int rc = bex_store_subject_json(st, id, &json, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: subject: %s\n", err);
        return 2;
    }
    printf("%s\n", json);
    free(json);
    return 0;
}

/* ---- bex keys ---- */

/* `bex keys add --role R [--carrier C] [--label L]`, `bex keys list`, `bex keys revoke ID`. */
static int cmd_keys(int argc, char **argv) {
    common_opts c = {0};
    const char *role = NULL, *carrier = NULL, *label = NULL, *pos[2] = {NULL, NULL};
    int np = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--role", &role)) ||
            (r = opt_val(argc, argv, &i, "--carrier", &carrier)) || (r = opt_val(argc, argv, &i, "--label", &label))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || np == 2) break;
        pos[np++] = argv[i];
    }
    const char *usage = "keys takes: add --role officer|carrier|analyst|auditor|admin [--carrier CODE] [--label L] | "
                        "list | revoke ID  [--db FILE]";
    if (np == 0) return cli_usage_error(usage);
    int add = !strcmp(pos[0], "add"), list = !strcmp(pos[0], "list"), revoke = !strcmp(pos[0], "revoke");
    int64_t id = 0;
    if ((!add && !list && !revoke) || (add && (np != 1 || !role)) || (list && np != 1) ||
        (revoke && (np != 2 || !parse_id(pos[1], &id))))
        return cli_usage_error(usage);
    c.must_exist = !add;
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    char err[512];
    int rc;
    if (add) {
        char key[65];
        rc = bex_store_key_add(st, role, carrier, label, key, &id, err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"id\":%lld,\"role\":\"%s\",\"key\":\"%s\",\"note\":\"shown once: the store keeps only its "
                   "SHA-256\"}\n", (long long)id, role, key);
        }
    } else if (list) {
        bex_api_key *k;
        size_t n;
        rc = bex_store_key_list(st, &k, &n, err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"keys\":[");
            for (size_t i = 0; i < n; i++) {
                printf("%s{\"id\":%lld,\"role\":\"%s\",\"carrier\":", i ? "," : "", (long long)k[i].id, k[i].role);
                if (k[i].carrier[0]) cli_json_str(stdout, k[i].carrier);
                else printf("null");
                printf(",\"label\":");
                cli_json_str(stdout, k[i].label);
                printf(",\"created_at\":\"%s\",\"revoked_at\":", k[i].created_at);
                if (k[i].revoked_at[0]) printf("\"%s\"}", k[i].revoked_at);
                else printf("null}");
            }
            printf("]}\n");
            free(k);
        }
    } else {
        rc = bex_store_key_revoke(st, id, err, sizeof err);
        if (rc == BEX_OK) printf("{\"id\":%lld,\"revoked\":true}\n", (long long)id);
    }
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: keys: %s\n", err);
        return 2;
    }
    return 0;
}

/* ---- bex purge ---- */

/* "12h", "3y", "90d", "30m", "45s", "0": seconds; -1 if not a duration. */
static long long parse_duration(const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !isfinite(v)) return -1;
    double mult = 1;
    if (!strcmp(end, "") || !strcmp(end, "s")) mult = 1;
    else if (!strcmp(end, "m")) mult = 60;
    else if (!strcmp(end, "h")) mult = 3600;
    else if (!strcmp(end, "d")) mult = 86400;
    else if (!strcmp(end, "y")) mult = 365.25 * 86400;
    else return -1;
    double r = v * mult;
    return r > 9e15 ? -1 : (long long)(r + 0.5);
}

static int cmd_purge(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *asof = NULL, *policy = NULL;
    const char *sets[8];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        const char *v = NULL;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--as-of", &asof)) ||
            (r = opt_val(argc, argv, &i, "--policy", &policy))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = opt_val(argc, argv, &i, "--set", &v))) {
            if (r < 0) return 2;
            if (n_sets == 8) return cli_usage_error("at most 8 --set options");
            sets[n_sets++] = v;
            continue;
        }
        return cli_usage_error("purge takes [--as-of ISO] [--set CATEGORY=DURATION]... [--policy us|eu] "
                               "[--db FILE]");
    }
    if (policy && strcmp(policy, "us") && strcmp(policy, "eu")) return cli_usage_error("--policy is us or eu");
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    char err[512];
    int rc = BEX_OK;
    if (policy) { /* US (DHS): 75 years; EU (EES, Art. 34): 3 years, 5 for overstayers */
        int eu = !strcmp(policy, "eu");
        rc = bex_store_set_retention(st, "records", (long long)((eu ? 3 : 75) * 365.25 * 86400), err, sizeof err);
        if (rc == BEX_OK)
            rc = bex_store_set_retention(st, "overstayer_records", (long long)((eu ? 5 : 75) * 365.25 * 86400), err,
                                         sizeof err);
    }
    for (int k = 0; k < n_sets && rc == BEX_OK; k++) {
        char cat[48];
        const char *eq = strchr(sets[k], '=');
        long long secs = eq ? parse_duration(eq + 1) : -1;
        if (!eq || secs < 0 || (size_t)(eq - sets[k]) >= sizeof cat) {
            bex_store_close(st);
            return cli_usage_error("--set takes CATEGORY=DURATION, e.g. records=3y, citizen_biometrics=12h "
                                   "(units s, m, h, d, y)");
        }
        snprintf(cat, sizeof cat, "%.*s", (int)(eq - sets[k]), sets[k]);
        rc = bex_store_set_retention(st, cat, secs, err, sizeof err);
    }
    bex_purge_result r;
    if (rc == BEX_OK) rc = bex_store_purge(st, asof, &r, err, sizeof err);
    long long keep[4] = {0, 0, 0, 0};
    static const char *const cats[4] = {"citizen_biometrics", "images", "records", "overstayer_records"};
    for (int k = 0; k < 4 && rc == BEX_OK; k++) rc = bex_store_get_retention(st, cats[k], &keep[k], err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: purge: %s\n", err);
        return 2;
    }
    printf("{\"as_of\":");
    if (asof) cli_json_str(stdout, asof);
    else printf("\"now\"");
    printf(",\"deleted\":{\"citizen_samples\":%lld,\"images\":%lld,\"records\":%lld,\"overstayer_records\":%lld},"
           "\"retention_seconds\":{", r.citizen_samples, r.images, r.subjects, r.overstayer_subjects);
    for (int k = 0; k < 4; k++) printf("%s\"%s\":%lld", k ? "," : "", cats[k], keep[k]);
    printf("}}\n");
    return 0;
}

/* ---- bex audit verify ---- */

static int cmd_audit(int argc, char **argv) {
    common_opts c = {.must_exist = 1};
    const char *head = NULL;
    if (argc < 1 || strcmp(argv[0], "verify")) return cli_usage_error("audit takes: verify [--head HEX] [--db FILE]");
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = common_opt(argc, argv, &i, &c)) || (r = opt_val(argc, argv, &i, "--head", &head))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("audit verify takes [--head HEX] [--db FILE]");
    }
    bex_store *st;
    if (!open_store(&c, &st)) return 2;
    long long entries, bad;
    int found;
    char h[65], err[512];
    int rc = bex_store_audit_verify(st, head, &entries, &bad, &found, h, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: audit verify: %s\n", err);
        return 2;
    }
    int ok = !bad && (!head || found);
    printf("{\"entries\":%lld,\"ok\":%s,\"first_bad\":", entries, ok ? "true" : "false");
    if (bad) printf("%lld", bad);
    else printf("null");
    printf(",\"head\":\"%s\"", h);
    if (head) {
        printf(",\"head_given\":");
        cli_json_str(stdout, head);
        printf(",\"head_found\":%s", found ? "true" : "false");
    }
    printf("}\n");
    return ok ? 0 : 1;
}

int cmd_store(const char *models, const char *cmd, int argc, char **argv) {
    if (!strcmp(cmd, "entry")) return cmd_entry(models, argc, argv);
    if (!strcmp(cmd, "exit")) return cmd_exit(models, argc, argv);
    if (!strcmp(cmd, "enrol")) return cmd_enrol(models, argc, argv);
    if (!strcmp(cmd, "gate")) return cmd_gate(models, argc, argv);
    if (!strcmp(cmd, "sync")) return cmd_sync(argc, argv);
    if (!strcmp(cmd, "manifest")) return cmd_manifest(argc, argv);
    if (!strcmp(cmd, "gallery")) return cmd_gallery(argc, argv);
    if (!strcmp(cmd, "overstays")) return cmd_overstays(argc, argv);
    if (!strcmp(cmd, "flags")) return cmd_flags(argc, argv);
    if (!strcmp(cmd, "flag")) return cmd_flag(argc, argv);
    if (!strcmp(cmd, "override")) return cmd_override(argc, argv);
    if (!strcmp(cmd, "keys")) return cmd_keys(argc, argv);
    if (!strcmp(cmd, "subject")) return cmd_subject(argc, argv);
    if (!strcmp(cmd, "purge")) return cmd_purge(argc, argv);
    if (!strcmp(cmd, "audit")) return cmd_audit(argc, argv);
    return -1;
}
