/*
 * store_cmd.c - the record system's commands: arguments into border.h's calls, results into
 * json.h's JSON. Nothing is decided here.
 *
 *   bex entry --photo IMG --mrz MRZ [--doc-photo IMG] [--class C (--admit-until D | --ds)]
 *             --port CODE --port-kind KIND [--carrier X] [--voyage X] [--at ISO] [--citizen]
 *             [--all-faces]
 *   bex exit --photo IMG --port CODE [--port-kind KIND] [--departure ID] [--at ISO] [--all-faces]
 *   bex decide ENCOUNTER admit|refuse
 *   bex enrol DIR [--source visa|document|officer] [--at ISO]
 *   bex manifest load FILE | bex manifest reassign --departure ID --carrier CODE
 *   bex gallery build DEPARTURE --device NAME [--out FILE]
 *   bex gate register --device NAME [--port CODE] --out KEYFILE | list | revoke NAME
 *   bex gate --gallery FILE --key KEYFILE --departure ID --photo IMG [--port CODE] [--log FILE]
 *            [--seq-file F] [--at ISO]   (no --db)
 *   bex sync LOG [--port-kind KIND]
 *   bex overstays --as-of D [--policy us|eu] [--format json|csv] [--by country|class|port]
 *   bex report rates --from D --to D [--by port|day|age_band|sex]
 *   bex flags [--status S] [--kind K] [--port P] [--since D] [--until D] [--limit N]
 *             [--offset N] [--format json|csv]
 *   bex flag ID open|cleared|confirmed|referred
 *   bex override ENCOUNTER SUBJECT
 *   bex subject ID | bex encounter ID
 *   bex lookup (--document NUMBER [--state S] | --surname S [--given G] --birth D)
 *   bex merge KEEP OTHER | bex unmerge MERGE
 *   bex reclassify SUBJECT citizen | bex erase SUBJECT
 *   bex keys add --role ROLE [--carrier CODE] [--label L] | list | revoke ID
 *   bex settings [--set NAME=VALUE]...
 *   bex purge [--as-of ISO] [--set CATEGORY=DURATION]... [--policy us|eu]
 *   bex audit verify [--head HEX]
 *   bex db copy --from FILE|URI --to FILE|URI
 *   bex reenrol --model FILE [CAPTURE]
 *
 * Every command takes --db FILE (default bex.db) and --actor NAME (default $BEX_ACTOR, else
 * "cli:$USER") for the audit log, prints one JSON object on stdout (CSV where asked) and exits
 * 0 (done), 1 (done, with a negative outcome: a referral, no match, flags, overstays, a broken
 * audit chain) or 2 (error, message on stderr). Options come in any order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bex/rules.h"
#include "cli.h"

/* Up to max arguments besides --db / --actor into pos; -1 (usage printed) on anything else. */
static int positionals(int argc, char **argv, cli_common *c, const char **pos, int max, const char *usage) {
    int np = 0;
    for (int i = 0; i < argc; i++) {
        int r = cli_common_opt(argc, argv, &i, c);
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

/* Ends a command on a store call's failure: "bex: WHAT: message", exit 2. */
static int fail(const char *what, const char *err) {
    fprintf(stderr, "bex: %s: %s\n", what, err);
    return 2;
}

/* ---- bex entry ---- */

/* The chip's face (DG2) as the document photo: its template into *dc, or the reason it cannot
 * be used (a DG2 that does not parse, an image that does not decode: unusable, not an error:
 * the chip's check says whether it was tampered with). */
static void chip_photo(bex_engine *eng, const bex_chip *chip, const bex_capture_policy *pol, bex_capture_result *dc) {
    const uint8_t *img;
    size_t len;
    char why[256];
    memset(dc, 0, sizeof *dc);
    int rc = bex_chip_face_image(chip, &img, &len, why, sizeof why);
    if (rc == BEX_OK) rc = bex_capture_photo(eng, img, len, NULL, pol, dc, why, sizeof why);
    if (rc != BEX_OK) {
        memset(dc, 0, sizeof *dc);
        dc->outcome = "unreadable_image";
        snprintf(dc->message, sizeof dc->message, "%s", why);
    }
}

static int cmd_entry(const char *models, int argc, char **argv) {
    cli_common c = {0};
    const char *photo = NULL, *mrz = NULL, *doc_photo = NULL, *cls = NULL, *until = NULL, *port = NULL,
               *kind = NULL, *carrier = NULL, *voyage = NULL, *at = NULL, *chip_dir = NULL, *aa = NULL, *ca = NULL;
    int ds = 0, citizen = 0, all = 0;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    static cli_fingers fing; /* large: not on the stack */
    cli_fingers_init(&fing);
    const char *min_age = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = cli_finger_opt(argc, argv, &i, &fing)) || (r = cli_opt(argc, argv, &i, "--finger-min-age", &min_age)) ||
            (r = cli_opt(argc, argv, &i, "--photo", &photo)) || (r = cli_opt(argc, argv, &i, "--mrz", &mrz)) ||
            (r = cli_opt(argc, argv, &i, "--doc-photo", &doc_photo)) || (r = cli_opt(argc, argv, &i, "--class", &cls)) ||
            (r = cli_opt(argc, argv, &i, "--admit-until", &until)) || (r = cli_opt(argc, argv, &i, "--port", &port)) ||
            (r = cli_opt(argc, argv, &i, "--port-kind", &kind)) || (r = cli_opt(argc, argv, &i, "--carrier", &carrier)) ||
            (r = cli_opt(argc, argv, &i, "--voyage", &voyage)) || (r = cli_opt(argc, argv, &i, "--at", &at)) ||
            (r = cli_opt(argc, argv, &i, "--chip", &chip_dir)) || (r = cli_opt(argc, argv, &i, "--active-auth", &aa)) ||
            (r = cli_opt(argc, argv, &i, "--chip-auth", &ca))) {
            if (r < 0) return 2;
        } else if (!strcmp(argv[i], "--ds")) ds = 1;
        else if (!strcmp(argv[i], "--citizen")) citizen = 1;
        else if (!strcmp(argv[i], "--all-faces")) all = 1;
        else {
            fprintf(stderr, "bex: entry: unknown option '%s'\n", argv[i]);
            return cli_usage_error("entry takes --photo IMG (--mrz MRZ [--doc-photo IMG] | --chip DIR [--mrz PRINTED] "
                                   "[--active-auth R] [--chip-auth R]) [--class C (--admit-until YYYY-MM-DD | --ds)] "
                                   "--port CODE --port-kind KIND [--at ISO] [--citizen] [--all-faces] "
                                   "[--finger POS=IMG]... [--slap 13|14|15=IMG] [--finger-missing POS]... "
                                   "[--finger-ppi N] [--finger-min-age YEARS] [--db FILE]");
        }
    }
    if (!photo || !(mrz || chip_dir) || !port || !kind)
        return cli_usage_error("entry needs --photo, --mrz (or --chip), --port and --port-kind");
    bex_finger_policy fpol;
    bex_finger_policy_default(&fpol);
    if (min_age) {
        char *end;
        long a = strtol(min_age, &end, 10);
        if (*end || end == min_age || a < 0 || a > 120)
            return cli_usage_error("--finger-min-age takes whole years, 0 to 120 (the EU's is 12)");
        fpol.min_age = (int)a;
    }
    if (!cli_fingers_load(&fing)) {
        cli_fingers_free(&fing);
        return 2;
    }
    if (chip_dir && doc_photo)
        return cli_usage_error("--chip brings the document photo (DG2): --doc-photo goes without --chip");
    if (!chip_dir && (aa || ca)) return cli_usage_error("--active-auth and --chip-auth go with --chip");
    bex_chip_auth aa_r = BEX_CHIP_AUTH_NOT_REPORTED, ca_r = BEX_CHIP_AUTH_NOT_REPORTED;
    if ((aa && bex_chip_auth_parse(aa, &aa_r) != BEX_OK) || (ca && bex_chip_auth_parse(ca, &ca_r) != BEX_OK))
        return cli_usage_error("--active-auth and --chip-auth take passed, failed, not_supported or not_reported "
                               "(as the chip reader reports them)");
    if (cls && !until == !ds)
        return cli_usage_error("entry needs --class and one of --admit-until YYYY-MM-DD or --ds (duration of "
                               "status), unless --citizen");
    if (!cls && (until || ds)) return cli_usage_error("--admit-until and --ds go with --class");
    bex_port_kind pk;
    if (bex_port_kind_parse(kind, &pk) != BEX_OK)
        return cli_usage_error("--port-kind is air, sea, land, land-pedestrian or land-vehicle");
    char atbuf[24], today[11], err[512];
    if (bex_time_canonical(at, atbuf) != BEX_OK) return cli_usage_error("--at takes an ISO 8601 time");
    snprintf(today, sizeof today, "%.10s", atbuf);
    char *mrz_text = mrz ? strdup(mrz) : NULL;
    if (mrz && !mrz_text) return 2;
    if (mrz_text) cli_unescape_newlines(mrz_text);
    bex_mrz doc;
    bex_lds chip_files;
    bex_chip chip_in;
    memset(&chip_files, 0, sizeof chip_files);
    int rc = BEX_OK;
    if (chip_dir) { /* the chip's MRZ stands for the document; the printed one is compared with it */
        if ((rc = bex_chip_read_dir(chip_dir, &chip_files, &chip_in, err, sizeof err)) != BEX_OK) {
            free(mrz_text);
            return fail("the chip", err);
        }
        chip_in.printed_mrz = mrz_text;
        chip_in.active_auth = aa_r;
        chip_in.chip_auth = ca_r;
        rc = bex_chip_mrz(&chip_in, today, &doc, err, sizeof err);
        if (rc != BEX_OK && mrz_text) { /* a chip whose DG1 cannot be read: the page's MRZ, and the check says so */
            fprintf(stderr, "bex: %s; the printed MRZ is taken\n", err);
            rc = bex_mrz_parse_at(mrz_text, today, &doc, err, sizeof err);
        }
    } else {
        rc = bex_mrz_parse_at(mrz_text, today, &doc, err, sizeof err);
    }
    if (rc != BEX_OK) {
        free(mrz_text);
        bex_lds_free(&chip_files);
        return fail(chip_dir && !mrz_text ? "the chip" : "the MRZ", err);
    }
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) {
        free(mrz_text);
        bex_lds_free(&chip_files);
        return 2;
    }
    /* whose templates these are: the store checks them against its own model */
    char model_id[BEX_MODEL_ID_MAX];
    snprintf(model_id, sizeof model_id, "%s", bex_engine_model(eng));
    int dim = bex_engine_dim(eng);
    cli_photo live, chip;
    memset(&chip, 0, sizeof chip);
    rc = cli_photo_read(eng, photo, &pol, all, &live);
    if (rc == 0 && doc_photo) rc = cli_photo_read(eng, doc_photo, &pol, 0, &chip); /* one face, posed */
    if (rc == 0 && chip_dir) chip_photo(eng, &chip_in, &pol, &chip.one);
    bex_engine_close(eng);
    bex_store *st = NULL;
    float *faces = NULL, *fq = NULL;
    int nf = 0;
    if (rc == 0 && all) { /* the usable faces, for the rule to pick the holder's */
        faces = calloc((size_t)CLI_MAX_FACES * (size_t)dim, sizeof *faces);
        fq = calloc(CLI_MAX_FACES, sizeof *fq);
        if (!faces || !fq) rc = 2;
        for (int i = 0; rc == 0 && i < live.n_faces; i++)
            if (live.faces[i].acquired) {
                memcpy(faces + (size_t)nf * (size_t)dim, live.faces[i].template_, (size_t)dim * sizeof(float));
                fq[nf++] = live.faces[i].quality.score;
            }
        if (nf == 0 && live.n_faces > 0) live.one = live.faces[0]; /* report the largest face's outcome */
    }
    if (rc != 0 || !cli_open_store(&c, &st)) {
        cli_photo_free(&live);
        cli_photo_free(&chip);
        free(faces);
        free(fq);
        free(mrz_text);
        bex_lds_free(&chip_files);
        return 2;
    }
    const bex_capture_result *lc = &live.one, *dc = &chip.one;
    int doc_given = doc_photo || chip_dir;
    bex_entry_request rq = {
        .doc = &doc, .live = !all && lc->acquired ? lc->template_ : NULL, .live_quality = lc->quality.score,
        .live_failure = lc->acquired ? NULL : lc->outcome, .live_image = live.bytes, .live_image_len = live.len,
        .doc_photo_given = doc_given, .doc_photo = dc->acquired ? dc->template_ : NULL,
        .doc_quality = dc->quality.score, .doc_photo_failure = doc_given && !dc->acquired ? dc->outcome : NULL,
        .admission_class = cls, .admit_until = until, .port = port, .port_kind = pk, .carrier = carrier,
        .voyage = voyage, .at = atbuf, .citizen = citizen, .faces = nf ? faces : NULL, .face_quality = fq,
        .n_faces = nf, .model = model_id, .dim = dim, .chip = chip_dir ? &chip_in : NULL,
        .fingers = fing.c, .n_fingers = fing.n, .finger_capture = fing.asked, .finger_policy = &fpol};
    if (doc_photo) { /* the document photo's bytes, kept with its sample while retention keeps images */
        rq.doc_image = chip.bytes;
        rq.doc_image_len = chip.len;
    } else if (chip_dir) {
        const uint8_t *img;
        size_t ilen;
        char why[128];
        if (bex_chip_face_image(&chip_in, &img, &ilen, why, sizeof why) == BEX_OK) {
            rq.doc_image = img;
            rq.doc_image_len = ilen;
        }
    }
    if (all && nf == 0) rq.live_failure = lc->outcome ? lc->outcome : "no_face";
    bex_entry_result r;
    rc = bex_border_entry(st, &rq, &r, err, sizeof err);
    bex_store_close(st);
    int live_ok = all ? nf > 0 : lc->acquired;
    if (rc == BEX_OK)
        bex_json_entry(stdout, &r, live_ok ? NULL : lc->outcome, lc->message, doc_given && !dc->acquired ? dc->outcome : NULL,
                       dc->message);
    cli_photo_free(&live);
    cli_photo_free(&chip);
    free(faces);
    free(fq);
    free(mrz_text);
    bex_lds_free(&chip_files);
    cli_fingers_free(&fing);
    if (rc != BEX_OK) return fail("entry", err);
    return r.decision != BEX_DECISION_ADMITTED || r.n_flags ? 1 : 0;
}

/* ---- bex decide ---- */

/* `bex decide ENCOUNTER admit|refuse`: an officer's decision on a referred entry. */
static int cmd_decide(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    int np = positionals(argc, argv, &c, pos, 2, "decide takes ENCOUNTER admit|refuse [--db FILE]");
    if (np < 0) return 2;
    int64_t enc;
    if (np != 2 || !cli_parse_id(pos[0], &enc) || (strcmp(pos[1], "admit") && strcmp(pos[1], "refuse")))
        return cli_usage_error("decide takes a referred entry's encounter id and admit or refuse");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    int64_t adm;
    char err[512];
    bex_decision d = !strcmp(pos[1], "admit") ? BEX_DECISION_ADMITTED : BEX_DECISION_REFUSED;
    int rc = bex_border_decide_entry(st, enc, d, &adm, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("decide", err);
    printf("{\"encounter\":%lld,\"decision\":\"%s\",\"admission\":", (long long)enc, bex_decision_name(d));
    if (adm) printf("%lld}\n", (long long)adm);
    else printf("null}\n");
    return 0;
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
    cli_common c = {0};
    const char *dir = NULL, *source = "visa", *at = NULL;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = cli_opt(argc, argv, &i, "--source", &source)) || (r = cli_opt(argc, argv, &i, "--at", &at))) {
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
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng) || !cli_open_store(&c, &st)) rc = 2;
    if (rc == 0) { /* the engine's templates must be the store's model's */
        char err[512];
        if (bex_store_template_check(st, bex_engine_model(eng), bex_engine_dim(eng), err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: enrol: %s\n", err);
            rc = 2;
        }
    }
    size_t enrolled = 0, already = 0, failed = 0;
    double t0 = cli_now();
    printf("{\"folder\":");
    bex_json_str(stdout, dir);
    printf(",\"not_enrolled\":[");
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096], mrzp[4096], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(mrzp, sizeof mrzp, "%s/%.*s.mrz", dir, (int)(strrchr(names[i], '.') - names[i]), names[i]);
        size_t len;
        const char *why = NULL;
        char msg[512] = "";
        cli_photo ph;
        memset(&ph, 0, sizeof ph);
        if (access(mrzp, R_OK) != 0) {
            why = "no_mrz";
            snprintf(msg, sizeof msg, "no %s beside the photo", strrchr(mrzp, '/') + 1);
        } else {
            char *text = cli_read_file(mrzp, 4096, &len);
            bex_mrz m;
            if (!text || bex_mrz_parse(text, &m, err, sizeof err) != BEX_OK) {
                why = "bad_mrz";
                snprintf(msg, sizeof msg, "%s", text ? err : "unreadable");
            } else if (cli_photo_read(eng, path, &pol, 0, &ph) != 0) {
                why = "bad_image";
                snprintf(msg, sizeof msg, "the photo cannot be decoded");
            } else if (!ph.one.acquired) {
                why = ph.one.outcome;
                snprintf(msg, sizeof msg, "%s", ph.one.message);
            } else {
                int64_t subj, docid;
                int added;
                int r = bex_border_enrol(st, &m, ph.one.template_, ph.one.quality.score, source, at, &subj, &docid,
                                         &added, err, sizeof err);
                if (r == BEX_ERR_ARG) { /* this person cannot be enrolled (a citizen, a bad source): said, go on */
                    why = "refused";
                    snprintf(msg, sizeof msg, "%s", err);
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
        cli_photo_free(&ph);
        if (why) {
            printf("%s{\"file\":", failed ? "," : "");
            bex_json_str(stdout, names[i]);
            printf(",\"outcome\":\"%s\",\"message\":", why);
            bex_json_str(stdout, msg);
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
    cli_common c = {0};
    const char *photo = NULL, *port = NULL, *kind = NULL, *dep = NULL, *at = NULL;
    int all = 0;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    static cli_fingers fing;
    cli_fingers_init(&fing);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_parse_capture_opt(argc, argv, &i, &pol)) ||
            (r = cli_finger_opt(argc, argv, &i, &fing)) ||
            (r = cli_opt(argc, argv, &i, "--photo", &photo)) || (r = cli_opt(argc, argv, &i, "--port", &port)) ||
            (r = cli_opt(argc, argv, &i, "--port-kind", &kind)) || (r = cli_opt(argc, argv, &i, "--departure", &dep)) ||
            (r = cli_opt(argc, argv, &i, "--at", &at))) {
            if (r < 0) return 2;
        } else if (!strcmp(argv[i], "--all-faces")) {
            all = 1;
        } else {
            fprintf(stderr, "bex: exit: unknown option '%s'\n", argv[i]);
            return cli_usage_error("exit takes --photo IMG --port CODE [--port-kind KIND] [--departure ID] "
                                   "[--at ISO] [--all-faces] [--finger POS=IMG]... [--slap 13|14|15=IMG] "
                                   "[--finger-ppi N] [--db FILE]");
        }
    }
    if (!photo || !port) return cli_usage_error("exit needs --photo IMG and --port CODE");
    if (all && fing.asked) return cli_usage_error("--finger goes with one traveller's exit, not --all-faces");
    for (int k = 0; k < fing.nspec; k++)
        if (!fing.spec[k].path) return cli_usage_error("an exit compares fingers: --finger-missing is an entry's");
    if (!cli_fingers_load(&fing)) {
        cli_fingers_free(&fing);
        return 2;
    }
    bex_port_kind pk = BEX_PORT_NONE;
    if (kind && bex_port_kind_parse(kind, &pk) != BEX_OK)
        return cli_usage_error("--port-kind is air, sea, land, land-pedestrian or land-vehicle");
    char atbuf[24];
    if (bex_time_canonical(at, atbuf) != BEX_OK) return cli_usage_error("--at takes an ISO 8601 time");
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) {
        cli_fingers_free(&fing);
        return 2;
    }
    char model_id[BEX_MODEL_ID_MAX];
    snprintf(model_id, sizeof model_id, "%s", bex_engine_model(eng));
    int dim = bex_engine_dim(eng);
    cli_photo live;
    int rc = cli_photo_read(eng, photo, &pol, all, &live);
    bex_engine_close(eng);
    bex_store *st = NULL;
    if (rc != 0 || !cli_open_store(&c, &st)) {
        cli_photo_free(&live);
        cli_fingers_free(&fing);
        return 2;
    }
    bex_exit_request rq = {.live_image = live.bytes, .live_image_len = live.len, .port = port, .port_kind = pk,
                           .departure = dep, .at = atbuf, .model = model_id, .dim = dim, .fingers = fing.c,
                           .n_fingers = fing.n};
    char err[512];
    int negative = 0;
    if (!all) {
        rq.live = live.one.acquired ? live.one.template_ : NULL;
        rq.live_quality = live.one.quality.score;
        rq.live_failure = live.one.acquired ? NULL : live.one.outcome;
        bex_exit_result r;
        rc = bex_border_exit(st, &rq, &r, err, sizeof err);
        if (rc == BEX_OK) {
            bex_json_exit(stdout, &r, live.one.acquired ? NULL : live.one.outcome, live.one.message);
            negative = r.n_flags || r.outcome != BEX_OUTCOME_MATCHED;
        }
    } else {
        /* a vehicle lane: every usable face is an exit of its own; unusable ones are listed */
        printf("{\"faces\":%d,\"exits\":[", live.n_faces);
        int k = 0;
        for (int i = 0; rc == BEX_OK && i < live.n_faces; i++) {
            if (!live.faces[i].acquired) continue;
            rq.live = live.faces[i].template_;
            rq.live_quality = live.faces[i].quality.score;
            bex_exit_result r;
            rc = bex_border_exit(st, &rq, &r, err, sizeof err);
            if (rc != BEX_OK) break;
            if (k++) putchar(',');
            bex_exit_result *rp = &r;
            char *b = NULL;
            size_t bl = 0;
            FILE *m = open_memstream(&b, &bl);
            if (m) {
                bex_json_exit(m, rp, NULL, NULL);
                fclose(m);
                if (bl && b[bl - 1] == '\n') b[--bl] = 0; /* one object inside the list */
                printf("%s", b);
            }
            free(b);
            negative |= r.n_flags || r.outcome != BEX_OUTCOME_MATCHED;
        }
        printf("],\"not_acquired\":[");
        k = 0;
        for (int i = 0; i < live.n_faces; i++) {
            if (live.faces[i].acquired) continue;
            printf("%s{\"face\":%d,\"outcome\":\"%s\",\"message\":", k++ ? "," : "", i, live.faces[i].outcome);
            bex_json_str(stdout, live.faces[i].message);
            printf("}");
            negative = 1;
        }
        printf("]}\n");
        if (live.n_faces == 0) negative = 1;
    }
    bex_store_close(st);
    cli_photo_free(&live);
    cli_fingers_free(&fing);
    if (rc != BEX_OK) return fail("exit", err);
    return negative ? 1 : 0;
}

/* ---- offline gates: bex gate, bex sync ---- */

/* Writes data to path, created 0600 (a temporary file beside it, synced, renamed over it). */
static int write_private(const char *path, const void *data, size_t len) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path) >= (int)sizeof tmp) {
        fprintf(stderr, "bex: %s: path too long\n", path);
        return 0;
    }
    int fd = mkstemp(tmp); /* 0600 */
    if (fd < 0) {
        fprintf(stderr, "bex: cannot create %s: %s\n", path, strerror(errno));
        return 0;
    }
    const unsigned char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    int ok = done == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "bex: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    return ok;
}

/* The gate's next log sequence number from its counter file (created 0600), taken under a lock
 * that *fd keeps until the line is appended; -1 on failure (message printed). */
static int64_t next_seq(const char *path, int *fd) {
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    char buf[32] = "";
    if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
        fprintf(stderr, "bex: gate: cannot open the sequence file %s: %s\n", path, strerror(errno));
        if (*fd >= 0) close(*fd);
        return -1;
    }
    ssize_t n = pread(*fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (n < 0 || (n > 0 && (end == buf || (*end && *end != '\n'))) || v < 0) {
        fprintf(stderr, "bex: gate: the sequence file %s is damaged; the next number must be above the last one "
                "synced (bex gate list shows it)\n", path);
        close(*fd);
        return -1;
    }
    int k = snprintf(buf, sizeof buf, "%lld\n", v + 1);
    if (ftruncate(*fd, 0) != 0 || pwrite(*fd, buf, (size_t)k, 0) != k || fsync(*fd) != 0) {
        fprintf(stderr, "bex: gate: cannot write the sequence file %s: %s\n", path, strerror(errno));
        close(*fd);
        return -1;
    }
    return v + 1;
}

/* `bex gate register --device NAME [--port CODE] --out KEYFILE`, `bex gate list`,
 * `bex gate revoke NAME`: the gates as registered devices. */
static int cmd_gate_admin(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *device = NULL, *port = NULL, *out = NULL, *pos[2] = {NULL, NULL};
    int np = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--device", &device)) ||
            (r = cli_opt(argc, argv, &i, "--port", &port)) || (r = cli_opt(argc, argv, &i, "--out", &out))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || np == 2) break;
        pos[np++] = argv[i];
    }
    const char *usage = "gate takes: register --device NAME [--port CODE] --out KEYFILE | list | revoke NAME  "
                        "[--db FILE]";
    int reg = np && !strcmp(pos[0], "register"), list = np && !strcmp(pos[0], "list"),
        revoke = np && !strcmp(pos[0], "revoke");
    if ((!reg && !list && !revoke) || (reg && (np != 1 || !device || !out)) || (list && np != 1) ||
        (revoke && np != 2))
        return cli_usage_error(usage);
    c.must_exist = !reg;
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc;
    if (reg) {
        bex_gate_device d;
        rc = bex_border_gate_register(st, device, port, out, &d, err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"device\":\"%s\",\"id\":%lld,\"port\":", d.name, (long long)d.id);
            bex_json_str(stdout, d.port[0] ? d.port : NULL);
            printf(",\"key_file\":");
            bex_json_str(stdout, out);
            printf(",\"note\":\"the key file holds the gate's secret keys (mode 0600): copy it to the gate only\"}\n");
        }
    } else if (list) {
        bex_gate_device *d;
        size_t n;
        rc = bex_border_gate_list(st, &d, &n, err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"gates\":[");
            for (size_t i = 0; i < n; i++) {
                printf("%s{\"device\":\"%s\",\"id\":%lld,\"port\":", i ? "," : "", d[i].name, (long long)d[i].id);
                bex_json_str(stdout, d[i].port[0] ? d[i].port : NULL);
                printf(",\"last_seq\":%lld,\"created_at\":\"%s\",\"revoked_at\":", (long long)d[i].last_seq,
                       d[i].created_at);
                bex_json_str(stdout, d[i].revoked_at[0] ? d[i].revoked_at : NULL);
                printf("}");
            }
            printf("]}\n");
            free(d);
        }
    } else {
        rc = bex_border_gate_revoke(st, pos[1], err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"device\":");
            bex_json_str(stdout, pos[1]);
            printf(",\"revoked\":true}\n");
        }
    }
    bex_store_close(st);
    return rc == BEX_OK ? 0 : fail("gate", err);
}

/* `bex gate --gallery FILE --key KEYFILE --departure ID --photo IMG [--port CODE] [--log FILE]
 * [--seq-file F] [--at ISO]`: the decision against a departure's gallery file (bex gallery
 * build --device), with no store at hand: the file must be signed by the service, sealed to
 * this gate, for that departure and not expired at the decision's time. Each decision is
 * appended to the log as a line signed with the gate's key, numbered from the sequence file
 * (default KEYFILE.seq), for bex sync. */
static int cmd_gate(const char *models, int argc, char **argv) {
    if (argc > 0 && (!strcmp(argv[0], "register") || !strcmp(argv[0], "list") || !strcmp(argv[0], "revoke")))
        return cmd_gate_admin(argc, argv);
    const char *gallery = NULL, *photo = NULL, *dep = NULL, *port = NULL, *log = NULL, *at = NULL, *keyf = NULL,
               *seqf = NULL;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_parse_capture_opt(argc, argv, &i, &pol)) || (r = cli_opt(argc, argv, &i, "--gallery", &gallery)) ||
            (r = cli_opt(argc, argv, &i, "--photo", &photo)) || (r = cli_opt(argc, argv, &i, "--departure", &dep)) ||
            (r = cli_opt(argc, argv, &i, "--port", &port)) || (r = cli_opt(argc, argv, &i, "--log", &log)) ||
            (r = cli_opt(argc, argv, &i, "--at", &at)) || (r = cli_opt(argc, argv, &i, "--key", &keyf)) ||
            (r = cli_opt(argc, argv, &i, "--seq-file", &seqf))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("gate takes --gallery FILE --key KEYFILE --departure ID --photo IMG [--port CODE] "
                               "[--log FILE] [--seq-file F] [--at ISO]; or register | list | revoke");
    }
    if (!gallery || !photo || !keyf || !dep)
        return cli_usage_error("gate needs --gallery FILE (bex gallery build --device), --key KEYFILE (bex gate "
                               "register), --departure ID and --photo IMG");
    if (log && (!port || strlen(port) > 7)) return cli_usage_error("gate --log needs --port CODE (bex sync records it)");
    if (strlen(dep) > 47) return cli_usage_error("--departure is at most 47 characters");
    char err[512], atbuf[24];
    int64_t now;
    if (bex_time_canonical(at, atbuf) != BEX_OK || bex_time_parse(atbuf, &now) != BEX_OK)
        return cli_usage_error("--at takes an ISO 8601 time");
    bex_gate_keys keys;
    if (bex_gate_keys_load(keyf, &keys, err, sizeof err) != BEX_OK) return fail("gate", err);
    size_t glen;
    unsigned char *gfile = (unsigned char *)cli_read_file(gallery, 1u << 31, &glen);
    if (!gfile) {
        bex_gate_keys_wipe(&keys);
        return 2;
    }
    bex_index *ix;
    bex_gallery_header ginfo;
    int rc = bex_gate_gallery_open(gfile, glen, &keys, dep, now, &ix, &ginfo, err, sizeof err);
    free(gfile);
    if (rc != BEX_OK) {
        bex_gate_keys_wipe(&keys);
        return fail("gate", err);
    }
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) {
        bex_index_close(ix);
        bex_gate_keys_wipe(&keys);
        return 2;
    }
    /* the gallery's templates must be of the gate's model (--model FILE; a P1/P2 file: the
     * built-in one): a score between two models' templates means nothing */
    rc = bex_index_check_model(ix, bex_engine_model(eng), err, sizeof err);
    int dim = bex_engine_dim(eng);
    char model_id[BEX_MODEL_ID_MAX] = ""; /* the log line names another model than the built-in one */
    if (!bex_model_is_builtin(bex_engine_model(eng))) snprintf(model_id, sizeof model_id, "%s", bex_engine_model(eng));
    if (rc != BEX_OK) {
        bex_engine_close(eng);
        bex_index_close(ix);
        bex_gate_keys_wipe(&keys);
        return fail("gate", err);
    }
    cli_photo live;
    rc = cli_photo_read(eng, photo, &pol, 0, &live);
    bex_engine_close(eng);
    if (rc != 0) {
        bex_index_close(ix);
        bex_gate_keys_wipe(&keys);
        return 2;
    }
    bex_gate_decision g;
    rc = bex_gate_decide_with(ix, &ginfo, live.one.acquired ? live.one.template_ : NULL, &g, err, sizeof err);
    bex_index_close(ix);
    if (rc != BEX_OK) {
        cli_photo_free(&live);
        bex_gate_keys_wipe(&keys);
        return fail("gate", err);
    }
    if (log && g.photo) { /* signed, then appended with one write, so a crash leaves whole lines */
        char seqbuf[4096];
        if (!seqf) {
            snprintf(seqbuf, sizeof seqbuf, "%s.seq", keyf);
            seqf = seqbuf;
        }
        int sfd = -1, lfd = -1;
        bex_gate_record rec = {.match = g.match.match, .subject = g.match.subject};
        rec.seq = next_seq(seqf, &sfd);
        snprintf(rec.at, sizeof rec.at, "%s", atbuf);
        snprintf(rec.departure, sizeof rec.departure, "%s", dep);
        snprintf(rec.port, sizeof rec.port, "%s", port);
        memcpy(rec.template_, live.one.template_, sizeof(float) * (size_t)dim);
        rec.dim = dim;
        snprintf(rec.model, sizeof rec.model, "%s", model_id);
        char line[BEX_GATE_LINE_MAX];
        size_t k = 0;
        rc = rec.seq > 0 ? bex_gate_log_sign(&rec, &keys, err, sizeof err) : BEX_ERR_IO;
        if (rc == BEX_OK) k = bex_gate_log_line(&rec, line);
        if (rc == BEX_OK) lfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (rc == BEX_OK && (lfd < 0 || write(lfd, line, k) != (ssize_t)k || fsync(lfd) != 0)) {
            fprintf(stderr, "bex: gate: cannot append to %s: %s\n", log, strerror(errno));
            rc = BEX_ERR_IO;
        } else if (rc != BEX_OK && rec.seq > 0)
            fprintf(stderr, "bex: gate: %s\n", err);
        if (lfd >= 0) close(lfd);
        if (sfd >= 0) close(sfd);
        if (rc != BEX_OK) {
            cli_photo_free(&live);
            bex_gate_keys_wipe(&keys);
            return 2;
        }
    }
    bex_gate_keys_wipe(&keys);
    printf("{\"decision\":\"%s\",\"traveller\":", !g.photo ? "no_photo" : g.match.match ? "match" : "no_match");
    if (g.match.match) printf("%lld", (long long)g.match.subject);
    else printf("null");
    if (!isnan(g.match.score)) printf(",\"score\":%.4f", g.match.score);
    printf(",\"gallery_size\":%lld", g.match.gallery_size);
    if (g.photo && g.match.gallery_size) {
        if (g.match.calibrated) printf(",\"threshold\":%.4f", g.match.threshold);
        printf(",\"operating_point\":");
        bex_json_str(stdout, g.match.operating_point);
        printf(",\"calibration\":");
        bex_json_str(stdout, g.match.calibration);
    }
    if (!g.photo) bex_json_capture(stdout, live.one.outcome, live.one.message);
    printf("}\n");
    cli_photo_free(&live);
    return g.match.match ? 0 : 1;
}

/* `bex sync LOG [--port-kind K]`: records an offline gate's log as exits: each line's device,
 * signature and sequence number are checked (bex_border_sync_line); a refused line (forged,
 * replayed, out of order, a revoked or unknown gate, unsigned) is flagged for officers and the
 * good lines are still recorded, each decided again by the store; a store decision that
 * differs from the gate's is counted and listed. */
static int cmd_sync(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *log = NULL, *kind = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--port-kind", &kind))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || log) return cli_usage_error("sync takes LOG [--port-kind K] [--db FILE]");
        log = argv[i];
    }
    if (!log) return cli_usage_error("sync needs a gate's log file (bex gate --log FILE)");
    bex_port_kind pk = BEX_PORT_NONE;
    if (kind && bex_port_kind_parse(kind, &pk) != BEX_OK)
        return cli_usage_error("--port-kind is air, sea, land, land-pedestrian or land-vehicle");
    size_t len;
    char *text = cli_read_file(log, 1u << 30, &len);
    if (!text) return 2;
    bex_store *st;
    if (!cli_open_store(&c, &st)) {
        free(text);
        return 2;
    }
    size_t lines = 0, recorded = 0, differ = 0, already = 0, refused = 0;
    int rc = 0;
    printf("{\"log\":");
    bex_json_str(stdout, log);
    printf(",\"refused\":[");
    /* every line is checked and recorded on its own; the disagreements are listed after */
    size_t cap = 64, nd = 0;
    struct dis { size_t line; int gate_match; long long gate_traveller, store_traveller, store_subject, encounter; } *dv =
        malloc(cap * sizeof *dv);
    char *save = NULL;
    for (char *ln = strtok_r(text, "\n", &save); ln && dv; ln = strtok_r(NULL, "\n", &save)) {
        lines++;
        bex_sync_result r;
        char err[512];
        if (bex_border_sync_line(st, ln, pk, &r, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: sync: %s line %zu: %s; nothing after it was recorded\n", log, lines, err);
            rc = 2;
            break;
        }
        if (r.status == BEX_SYNC_REFUSED) {
            fprintf(stderr, "bex: sync: %s line %zu refused: %s\n", log, lines, r.why);
            printf("%s{\"line\":%zu,\"flag\":%lld,\"kind\":\"%s\",\"why\":", refused ? "," : "", lines,
                   (long long)r.flag.id, bex_flag_kind_name(r.flag.kind));
            bex_json_str(stdout, r.why);
            printf("}");
            refused++;
            continue;
        }
        if (r.status == BEX_SYNC_ALREADY) {
            already++;
            continue;
        }
        recorded++;
        const bex_gate_record *g = &r.line;
        /* the gate names the traveller by manifest position (the gallery file's id) */
        if (g->match != (r.exit.subject != 0) || (g->match && g->subject != r.exit.traveller)) {
            if (nd == cap) {
                void *nv = realloc(dv, 2 * cap * sizeof *dv);
                if (!nv) break;
                dv = nv;
                cap *= 2;
            }
            dv[nd++] = (struct dis){lines, g->match, (long long)g->subject, (long long)r.exit.traveller,
                                    (long long)r.exit.subject, (long long)r.exit.encounter};
            differ++;
        }
    }
    printf("],\"disagreements\":[");
    for (size_t i = 0; dv && i < nd; i++)
        printf("%s{\"line\":%zu,\"gate\":\"%s\",\"gate_traveller\":%lld,\"store_traveller\":%lld,"
               "\"store_subject\":%lld,\"encounter\":%lld}",
               i ? "," : "", dv[i].line, dv[i].gate_match ? "match" : "no_match", dv[i].gate_traveller,
               dv[i].store_traveller, dv[i].store_subject, dv[i].encounter);
    printf("],\"lines\":%zu,\"recorded\":%zu,\"already_recorded\":%zu,\"refused_lines\":%zu,\"differ\":%zu}\n",
           lines, recorded, already, refused, differ);
    if (!dv) {
        fprintf(stderr, "bex: sync: out of memory\n");
        rc = 2;
    }
    free(dv);
    bex_store_close(st);
    free(text);
    return rc ? rc : (differ || refused) ? 1 : 0;
}

/* ---- bex manifest load, bex gallery build ---- */

static void manifest_progress(size_t done, size_t total, void *arg) {
    cli_progress("manifest", done, total, *(double *)arg);
}

/* `bex manifest reassign --departure ID --carrier CODE`: an admin's decision that a departure
 * belongs to another carrier (its traveller list is dropped; the new carrier loads its own). */
static int cmd_manifest_reassign(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *dep = NULL, *carrier = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--departure", &dep)) ||
            (r = cli_opt(argc, argv, &i, "--carrier", &carrier))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("manifest reassign takes --departure ID --carrier CODE [--db FILE]");
    }
    if (!dep || !carrier) return cli_usage_error("manifest reassign needs --departure ID and --carrier CODE");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    size_t dropped;
    int rc = bex_border_reassign_departure(st, dep, carrier, &dropped, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("manifest reassign", err);
    printf("{\"departure\":");
    bex_json_str(stdout, dep);
    printf(",\"carrier\":");
    bex_json_str(stdout, carrier);
    printf(",\"travellers_dropped\":%zu}\n", dropped);
    return 0;
}

static int cmd_manifest(int argc, char **argv) {
    cli_common c = {0};
    const char *file = NULL;
    if (argc >= 1 && !strcmp(argv[0], "reassign")) return cmd_manifest_reassign(argc - 1, argv + 1);
    if (argc < 1 || strcmp(argv[0], "load"))
        return cli_usage_error("manifest takes: load FILE [--db FILE] | reassign --departure ID --carrier CODE");
    for (int i = 1; i < argc; i++) {
        int r = cli_common_opt(argc, argv, &i, &c);
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
    if (rc != BEX_OK) return fail(file, err);
    bex_store *st;
    if (!cli_open_store(&c, &st)) {
        bex_manifest_free(&m);
        return 2;
    }
    bex_manifest_result r;
    double t0 = cli_now();
    rc = bex_border_load_manifest(st, &m, manifest_progress, &t0, &r, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) {
        bex_manifest_free(&m);
        return fail(file, err);
    }
    printf("{\"departure\":");
    bex_json_str(stdout, m.id);
    printf(",\"direction\":\"%s\",\"travellers\":%zu,\"linked\":%zu,\"with_face\":%zu,\"name_variants\":%zu,"
           "\"verified\":%zu,\"mismatches\":%d,\"replaced\":%s}\n", bex_direction_name(m.direction), r.travellers,
           r.linked, r.with_face, r.name_variants, r.verified, r.n_flags, r.replaced ? "true" : "false");
    bex_manifest_free(&m);
    return r.n_flags ? 1 : 0;
}

/* `bex gallery build DEPARTURE --device NAME [--out FILE]` (or `bex gallery --departure ID
 * --device NAME [--out FILE]`): the departure's gallery as a file for one registered gate,
 * encrypted to it and signed by the service, with its expiry; written 0600. */
static int cmd_gallery(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *dep = NULL, *out = NULL, *device = NULL;
    const char *usage = "gallery takes: build DEPARTURE --device NAME [--out FILE] [--db FILE] (or --departure ID)";
    int i0 = argc > 0 && !strcmp(argv[0], "build") ? 1 : 0;
    for (int i = i0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--out", &out)) ||
            (r = cli_opt(argc, argv, &i, "--device", &device)) || (r = cli_opt(argc, argv, &i, "--departure", &dep))) {
            if (r < 0) return 2;
            continue;
        }
        if (argv[i][0] == '-' || dep || !i0) return cli_usage_error(usage);
        dep = argv[i];
    }
    if (!dep || !device) return cli_usage_error("gallery build needs the departure's id and --device NAME (a gate "
                                                "registered with bex gate register)");
    char outbuf[512];
    if (!out) {
        snprintf(outbuf, sizeof outbuf, "%s.gallery", dep);
        for (char *p = outbuf; *p; p++)
            if (*p == '/') *p = '_';
        out = outbuf;
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    unsigned char *file;
    size_t len;
    bex_gallery_header h;
    char err[512];
    size_t subjects = 0;
    int rc = bex_border_gallery_seal(st, dep, device, &file, &len, &h, &subjects, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("gallery build", err);
    int ok = write_private(out, file, len);
    free(file);
    if (!ok) return 2;
    char exp[24];
    bex_time_format(h.expires_at, exp);
    printf("{\"departure\":");
    bex_json_str(stdout, dep);
    printf(",\"device\":\"%s\",\"file\":", h.device);
    bex_json_str(stdout, out);
    printf(",\"bytes\":%zu,\"subjects\":%zu,\"templates\":%llu,\"model\":", len, subjects,
           (unsigned long long)h.templates);
    bex_json_str(stdout, h.model);
    printf(",\"expires_at\":\"%s\",\"operating_point\":", exp);
    bex_json_str(stdout, h.operating_point);
    printf(",\"threshold\":");
    if (h.calibrated) printf("%.5f", h.threshold);
    else printf("null");
    printf(",\"calibration\":");
    bex_json_str(stdout, h.calibration);
    printf("}\n");
    return 0;
}

/* ---- reports: bex overstays, bex flags ---- */

static int cmd_overstays(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *asof = NULL, *policy = "us", *format = "json", *by = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--as-of", &asof)) ||
            (r = cli_opt(argc, argv, &i, "--policy", &policy)) || (r = cli_opt(argc, argv, &i, "--format", &format)) ||
            (r = cli_opt(argc, argv, &i, "--by", &by))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "bex: overstays: unknown option '%s'\n", argv[i]);
        return cli_usage_error("overstays takes --as-of YYYY-MM-DD [--policy us|eu] [--format json|csv] "
                               "[--by country|class|port] [--db FILE]");
    }
    if (!asof) return cli_usage_error("overstays needs --as-of YYYY-MM-DD");
    bex_policy pol;
    if (bex_policy_parse(policy, &pol) != BEX_OK) return cli_usage_error("--policy is us or eu");
    int csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "json")) return cli_usage_error("--format is json or csv");
    if (by && (!csv || (strcmp(by, "country") && strcmp(by, "class") && strcmp(by, "port"))))
        return cli_usage_error("--by takes country, class or port, with --format csv");
    bex_day day_check;
    if (bex_day_parse(asof, &day_check) != BEX_OK) return cli_usage_error("--as-of takes a date as YYYY-MM-DD");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_overstay_row *rows;
    size_t n;
    char err[512];
    int rc = bex_border_overstays(st, asof, pol, &rows, &n, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("overstays", err);
    int format_k = !csv ? 0 : !by ? 1 : !strcmp(by, "country") ? 2 : !strcmp(by, "class") ? 3 : 4;
    long over = bex_json_overstays(stdout, rows, n, asof, pol, format_k);
    free(rows);
    if (over < 0) return fail("overstays", "the report could not be tabulated (out of memory?)");
    return over ? 1 : 0;
}

/* bex report rates --from D --to D [--by port|day|age_band|sex]: the same JSON as GET
 * /v1/reports/rates (bex_json_rates). */
static int cmd_report(int argc, char **argv) {
    if (argc < 1 || strcmp(argv[0], "rates"))
        return cli_usage_error("report takes rates --from YYYY-MM-DD --to YYYY-MM-DD [--by port|day|age_band|sex]");
    cli_common c = {.must_exist = 1};
    const char *from = NULL, *to = NULL, *by = "port";
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--from", &from)) ||
            (r = cli_opt(argc, argv, &i, "--to", &to)) || (r = cli_opt(argc, argv, &i, "--by", &by))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "bex: report: unknown option '%s'\n", argv[i]);
        return cli_usage_error("report rates takes --from YYYY-MM-DD --to YYYY-MM-DD [--by port|day|age_band|sex] "
                               "[--db FILE]");
    }
    bex_rates_by b;
    if (bex_rates_by_parse(by, &b) != BEX_OK) return cli_usage_error("--by is port, day, age_band or sex");
    if (!from || !to) return cli_usage_error("report rates needs --from YYYY-MM-DD and --to YYYY-MM-DD");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_rate_row *rows;
    size_t n;
    char err[256];
    int rc = bex_border_rates(st, from, to, b, &rows, &n, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("report", err);
    bex_json_rates(stdout, b, from, to, rows, n);
    free(rows);
    return 0;
}

static int cmd_flags(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *format = "json", *status = NULL, *kind = NULL, *limit = NULL, *offset = NULL;
    bex_flag_query q = {0};
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--format", &format)) ||
            (r = cli_opt(argc, argv, &i, "--status", &status)) || (r = cli_opt(argc, argv, &i, "--kind", &kind)) ||
            (r = cli_opt(argc, argv, &i, "--port", &q.port)) || (r = cli_opt(argc, argv, &i, "--since", &q.since)) ||
            (r = cli_opt(argc, argv, &i, "--until", &q.until)) || (r = cli_opt(argc, argv, &i, "--limit", &limit)) ||
            (r = cli_opt(argc, argv, &i, "--offset", &offset))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("flags takes [--status S] [--kind K] [--port P] [--since D] [--until D] [--limit N] "
                               "[--offset N] [--format json|csv] [--db FILE]");
    }
    int csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "json")) return cli_usage_error("--format is json or csv");
    if (status && bex_flag_status_parse(status, &q.status) != BEX_OK)
        return cli_usage_error("--status is open, cleared, confirmed or referred");
    if (kind && bex_flag_kind_parse(kind, &q.kind) != BEX_OK) return cli_usage_error("--kind is a flag kind");
    int64_t v;
    if (limit) {
        if (!cli_parse_id(limit, &v)) return cli_usage_error("--limit takes a positive number");
        q.limit = (size_t)v;
    }
    if (offset) {
        if (strcmp(offset, "0") && !cli_parse_id(offset, &v)) return cli_usage_error("--offset takes a number");
        q.offset = strcmp(offset, "0") ? (size_t)v : 0;
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_flag *f;
    size_t n, total;
    char err[512];
    int rc = bex_border_flags(st, &q, &f, &n, &total, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("flags", err);
    if (csv) bex_json_flags_csv(stdout, f, n);
    else bex_json_flag_queue(stdout, f, n, total);
    free(f);
    return n ? 1 : 0;
}

/* ---- officers' decisions and look-ups ---- */

/* `bex override ENCOUNTER SUBJECT`: an officer says who an unmatched exit was. */
static int cmd_override(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    int np = positionals(argc, argv, &c, pos, 2, "override takes ENCOUNTER SUBJECT [--db FILE]");
    if (np < 0) return 2;
    int64_t enc, subj;
    if (np != 2 || !cli_parse_id(pos[0], &enc) || !cli_parse_id(pos[1], &subj))
        return cli_usage_error("override takes an exit's encounter id and the subject id an officer found");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    int64_t adm;
    char err[512];
    int rc = bex_border_override_exit(st, enc, subj, &adm, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("override", err);
    printf("{\"encounter\":%lld,\"subject\":%lld,\"outcome\":\"officer_override\",\"admission\":", (long long)enc,
           (long long)subj);
    if (adm) printf("%lld}\n", (long long)adm);
    else printf("null}\n");
    return 0;
}

/* `bex flag ID STATUS`: an officer's finding on a flag. */
static int cmd_flag(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    int np = positionals(argc, argv, &c, pos, 2, "flag takes ID open|cleared|confirmed|referred [--db FILE]");
    if (np < 0) return 2;
    int64_t id;
    bex_flag_status s;
    if (np != 2 || !cli_parse_id(pos[0], &id) || bex_flag_status_parse(pos[1], &s) != BEX_OK)
        return cli_usage_error("flag takes ID open|cleared|confirmed|referred");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc = bex_border_flag_status(st, id, s, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("flag", err);
    printf("{\"flag\":%lld,\"status\":\"%s\"}\n", (long long)id, bex_flag_status_name(s));
    return 0;
}

/* `bex subject ID`, `bex encounter ID`: one record (an audited read). */
static int cmd_record(int argc, char **argv, const char *what,
                      int (*fn)(bex_store *, int64_t, char **, char *, size_t)) {
    cli_common c = {.must_exist = 1};
    const char *pos[1] = {NULL};
    char usage[64];
    snprintf(usage, sizeof usage, "%s takes ID [--db FILE]", what);
    int np = positionals(argc, argv, &c, pos, 1, usage);
    int64_t id;
    if (np < 0) return 2;
    if (np != 1 || !cli_parse_id(pos[0], &id)) return cli_usage_error(usage);
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char *json, err[512];
    int rc = fn(st, id, &json, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail(what, err);
    printf("%s\n", json);
    free(json);
    return 0;
}

/* `bex candidates ENCOUNTER`: each candidate of the encounter's flags compared 1:1 with its
 * live capture (border.h: bex_border_candidates), as GET /v1/candidates answers. */
static int cmd_candidates(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *pos[1] = {NULL};
    const char *usage = "candidates takes ENCOUNTER [--db FILE]";
    int np = positionals(argc, argv, &c, pos, 1, usage);
    int64_t id;
    if (np < 0) return 2;
    if (np != 1 || !cli_parse_id(pos[0], &id)) return cli_usage_error(usage);
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_candidates cand;
    char err[512];
    int rc = bex_border_candidates(st, id, &cand, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("candidates", err);
    bex_json_candidates(stdout, &cand);
    return 0;
}

/* `bex lookup --finger POS=IMG... [--subject ID | --document N [--state S] | --photo IMG]`: an
 * officer's look-up by fingerprint, 1:1 with the subject (given, or the document's only holder)
 * or 1:N over every enrolled traveller's fingers; with a photo, the face 1:N first and the
 * fingers (fused with the face's best candidate) where it settles nothing. Prints
 * {"subject":..,["face":{...},]"finger":{...}}; exit 0 match, 1 no match, 2 error. */
static int lookup_fingers(const char *models, cli_common *c, const bex_lookup_query *q, const char *subject,
                          const char *face, cli_fingers *fing) {
    int64_t subj = 0;
    if (subject && !cli_parse_id(subject, &subj)) return cli_usage_error("--subject takes a subject id");
    if ((subject != NULL) + (q->number != NULL) + (face != NULL) > 1)
        return cli_usage_error("--subject, --document or --photo: one of them");
    if (q->surname || q->birth_date) return cli_usage_error("a look-up by fingerprint goes with --subject or --document");
    for (int k = 0; k < fing->nspec; k++)
        if (!fing->spec[k].path) return cli_usage_error("a look-up compares fingers: --finger-missing is an entry's");
    if (!cli_fingers_load(fing)) {
        cli_fingers_free(fing);
        return 2;
    }
    /* with a photo: the face 1:N first, the fingers where it settles nothing */
    static cli_photo live;
    memset(&live, 0, sizeof live);
    if (face) {
        bex_engine *eng;
        bex_capture_policy pol;
        bex_capture_policy_default(&pol);
        if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) {
            cli_fingers_free(fing);
            return 2;
        }
        int prc = cli_photo_read(eng, face, &pol, 0, &live);
        bex_engine_close(eng);
        if (prc != 0) {
            cli_fingers_free(fing);
            return 2;
        }
    }
    bex_store *st;
    if (!cli_open_store(c, &st)) {
        cli_fingers_free(fing);
        cli_photo_free(&live);
        return 2;
    }
    char err[512];
    int rc = BEX_OK;
    if (face && live.one.acquired) {
        bex_index_hit hits[5];
        size_t nh = 0;
        bex_match m;
        bex_finger_decision fd;
        rc = bex_store_template_check(st, NULL, live.one.dim, err, sizeof err);
        if (rc == BEX_OK)
            rc = bex_border_identify_fingers(st, NULL, live.one.template_, fing->c, fing->n, hits, &nh, &m, &fd, err,
                                             sizeof err);
        bex_store_close(st);
        cli_fingers_free(fing);
        cli_photo_free(&live);
        if (rc != BEX_OK) return fail("lookup", err);
        int64_t who = m.match ? m.subject : fd.fusion.match ? fd.subject : 0;
        printf("{\"subject\":");
        if (who) printf("%lld", (long long)who);
        else printf("null");
        bex_json_match(stdout, "face", &m);
        if (fd.compared) {
            printf(",\"finger\":");
            bex_json_finger_decision(stdout, &fd);
        }
        printf("}\n");
        return who ? 0 : 1;
    }
    cli_photo_free(&live); /* no usable face: the fingers alone, 1:N */
    if (q->number) {
        bex_lookup_hit *h = NULL;
        size_t n = 0;
        rc = bex_border_lookup(st, q, &h, &n, err, sizeof err);
        if (rc == BEX_OK && n != 1) {
            snprintf(err, sizeof err, n ? "the document is on record with %zu subjects: look up by --subject" :
                     "no document of that number on record", n);
            rc = BEX_ERR_ARG;
        }
        if (rc == BEX_OK) subj = h[0].subject;
        free(h);
    }
    bex_finger_decision d;
    if (rc == BEX_OK) rc = bex_border_finger_lookup(st, subj, fing->c, fing->n, NAN, NULL, &d, err, sizeof err);
    bex_store_close(st);
    cli_fingers_free(fing);
    if (rc != BEX_OK) return fail("lookup", err);
    printf("{\"subject\":");
    if (d.subject) printf("%lld", (long long)d.subject);
    else printf("null");
    printf(",\"finger\":");
    bex_json_finger_decision(stdout, &d);
    printf("}\n");
    return d.fusion.match ? 0 : 1;
}

/* `bex lookup --document N [--state S]` or `--surname S [--given G] --birth D`. */
static int cmd_lookup(const char *models, int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    bex_lookup_query q = {0};
    static cli_fingers fing;
    cli_fingers_init(&fing);
    const char *subject = NULL, *face = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_finger_opt(argc, argv, &i, &fing)) ||
            (r = cli_opt(argc, argv, &i, "--photo", &face)) ||
            (r = cli_opt(argc, argv, &i, "--subject", &subject)) || (r = cli_opt(argc, argv, &i, "--document", &q.number)) ||
            (r = cli_opt(argc, argv, &i, "--state", &q.issuing_state)) ||
            (r = cli_opt(argc, argv, &i, "--surname", &q.surname)) ||
            (r = cli_opt(argc, argv, &i, "--given", &q.given_names)) ||
            (r = cli_opt(argc, argv, &i, "--birth", &q.birth_date))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("lookup takes --document NUMBER [--state S], or --surname S [--given G] --birth "
                               "YYYY-MM-DD, or --finger POS=IMG... [--subject ID | --document NUMBER | --photo IMG] "
                               "[--db FILE]");
    }
    if (fing.asked) return lookup_fingers(models, &c, &q, subject, face, &fing);
    if (face) return cli_usage_error("--photo goes with --finger (a look-up by face and fingerprint)");
    if (subject) return cli_usage_error("--subject goes with --finger (a look-up by fingerprint)");
    if (!q.number && !(q.surname && q.birth_date))
        return cli_usage_error("lookup needs --document NUMBER, or --surname and --birth");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    bex_lookup_hit *h;
    size_t n;
    char err[512];
    int rc = bex_border_lookup(st, &q, &h, &n, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("lookup", err);
    bex_json_lookup(stdout, h, n);
    free(h);
    return n ? 0 : 1;
}

/* `bex merge KEEP OTHER`, `bex unmerge MERGE`, `bex reclassify SUBJECT citizen`, `bex erase SUBJECT`. */
static int cmd_subject_work(const char *cmd, int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *pos[2] = {NULL, NULL};
    const char *usage = !strcmp(cmd, "merge") ? "merge takes KEEP OTHER (two subject ids) [--db FILE]"
                      : !strcmp(cmd, "unmerge") ? "unmerge takes a merge's id [--db FILE]"
                      : !strcmp(cmd, "reclassify") ? "reclassify takes SUBJECT citizen [--db FILE]"
                                                   : "erase takes SUBJECT [--db FILE]";
    int np = positionals(argc, argv, &c, pos, 2, usage);
    if (np < 0) return 2;
    int64_t a = 0, b = 0;
    int want = !strcmp(cmd, "merge") || !strcmp(cmd, "reclassify") ? 2 : 1;
    if (np != want || !cli_parse_id(pos[0], &a) || (!strcmp(cmd, "merge") && !cli_parse_id(pos[1], &b)) ||
        (!strcmp(cmd, "reclassify") && strcmp(pos[1], "citizen")))
        return cli_usage_error(usage);
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc;
    if (!strcmp(cmd, "merge")) {
        int64_t m;
        rc = bex_border_merge(st, a, b, &m, err, sizeof err);
        if (rc == BEX_OK) printf("{\"merge\":%lld,\"kept\":%lld,\"merged\":%lld}\n", (long long)m, (long long)a, (long long)b);
    } else if (!strcmp(cmd, "unmerge")) {
        rc = bex_border_unmerge(st, a, err, sizeof err);
        if (rc == BEX_OK) printf("{\"merge\":%lld,\"undone\":true}\n", (long long)a);
    } else if (!strcmp(cmd, "reclassify")) {
        rc = bex_border_reclassify_citizen(st, a, err, sizeof err);
        if (rc == BEX_OK) printf("{\"subject\":%lld,\"citizen\":true}\n", (long long)a);
    } else {
        long long n;
        rc = bex_border_erase_biometrics(st, a, &n, err, sizeof err);
        if (rc == BEX_OK) printf("{\"subject\":%lld,\"samples_deleted\":%lld}\n", (long long)a, n);
    }
    bex_store_close(st);
    return rc == BEX_OK ? 0 : fail(cmd, err);
}

/* ---- bex keys ---- */

/* `bex keys add --role R [--carrier C] [--label L]`, `bex keys list`, `bex keys revoke ID`. */
static int cmd_keys(int argc, char **argv) {
    cli_common c = {0};
    const char *role = NULL, *carrier = NULL, *label = NULL, *pos[2] = {NULL, NULL};
    int np = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--role", &role)) ||
            (r = cli_opt(argc, argv, &i, "--carrier", &carrier)) || (r = cli_opt(argc, argv, &i, "--label", &label))) {
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
    bex_role rl = BEX_ROLE_NONE;
    if ((!add && !list && !revoke) || (add && (np != 1 || !role || bex_role_parse(role, &rl) != BEX_OK)) ||
        (list && np != 1) || (revoke && (np != 2 || !cli_parse_id(pos[1], &id))))
        return cli_usage_error(usage);
    c.must_exist = !add;
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc;
    if (add) {
        char key[65];
        rc = bex_store_key_add(st, rl, carrier, label, key, &id, err, sizeof err);
        if (rc == BEX_OK)
            printf("{\"id\":%lld,\"role\":\"%s\",\"key\":\"%s\",\"note\":\"shown once: the store keeps only its "
                   "SHA-256\"}\n", (long long)id, bex_role_name(rl), key);
    } else if (list) {
        bex_api_key *k;
        size_t n;
        rc = bex_store_key_list(st, &k, &n, err, sizeof err);
        if (rc == BEX_OK) {
            printf("{\"keys\":[");
            for (size_t i = 0; i < n; i++) {
                printf("%s{\"id\":%lld,\"role\":\"%s\",\"carrier\":", i ? "," : "", (long long)k[i].id,
                       bex_role_name(k[i].role));
                bex_json_str(stdout, k[i].carrier[0] ? k[i].carrier : NULL);
                printf(",\"label\":");
                bex_json_str(stdout, k[i].label);
                printf(",\"created_at\":\"%s\",\"revoked_at\":", k[i].created_at);
                bex_json_str(stdout, k[i].revoked_at[0] ? k[i].revoked_at : NULL);
                printf("}");
            }
            printf("]}\n");
            free(k);
        }
    } else {
        rc = bex_store_key_revoke(st, id, err, sizeof err);
        if (rc == BEX_OK) printf("{\"id\":%lld,\"revoked\":true}\n", (long long)id);
    }
    bex_store_close(st);
    return rc == BEX_OK ? 0 : fail("keys", err);
}

/* ---- bex settings, bex purge ---- */

static int cmd_settings(int argc, char **argv) {
    cli_common c = {0};
    const char *sets[8];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        const char *v = NULL;
        if ((r = cli_common_opt(argc, argv, &i, &c))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--set", &v))) {
            if (r < 0) return 2;
            if (n_sets == 8) return cli_usage_error("at most 8 --set options");
            sets[n_sets++] = v;
            continue;
        }
        return cli_usage_error("settings takes [--set NAME=VALUE]... (home_state=USA, departure_before=12h, "
                               "departure_after=12h, gallery_window=12h) [--db FILE]");
    }
    /* every NAME=VALUE checked before the store is opened */
    char names[8][40], values[8][40];
    for (int k = 0; k < n_sets; k++) {
        const char *eq = strchr(sets[k], '=');
        if (!eq || eq == sets[k] || (size_t)(eq - sets[k]) >= 24 || strlen(eq + 1) >= sizeof values[k])
            return cli_usage_error("--set takes NAME=VALUE (home_state=USA, departure_before=12h, departure_after=12h, "
                                   "gallery_window=12h)");
        snprintf(names[k], sizeof names[k], "%.*s", (int)(eq - sets[k]), sets[k]);
        snprintf(values[k], sizeof values[k], "%s", eq + 1);
        if (!strcmp(names[k], "departure_before") || !strcmp(names[k], "departure_after") ||
            !strcmp(names[k], "gallery_window")) { /* a duration */
            long long secs = cli_parse_duration(values[k]);
            if (secs < 0)
                return cli_usage_error("departure_before, departure_after and gallery_window take a duration "
                                       "(12h, 90m)");
            strcat(names[k], "_s");
            snprintf(values[k], sizeof values[k], "%lld", secs);
        }
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc = BEX_OK;
    for (int k = 0; k < n_sets && rc == BEX_OK; k++) rc = bex_border_settings_set(st, names[k], values[k], err, sizeof err);
    bex_border_settings s;
    if (rc == BEX_OK) rc = bex_border_settings_get(st, &s, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("settings", err);
    printf("{\"home_state\":\"%s\",\"departure_before_s\":%lld,\"departure_after_s\":%lld,\"gallery_window_s\":%lld}\n",
           s.home_state, s.departure_before_s, s.departure_after_s, s.gallery_window_s);
    return 0;
}

static int cmd_purge(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *asof = NULL, *policy = NULL;
    const char *sets[8];
    int n_sets = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        const char *v = NULL;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--as-of", &asof)) ||
            (r = cli_opt(argc, argv, &i, "--policy", &policy))) {
            if (r < 0) return 2;
            continue;
        }
        if ((r = cli_opt(argc, argv, &i, "--set", &v))) {
            if (r < 0) return 2;
            if (n_sets == 8) return cli_usage_error("at most 8 --set options");
            sets[n_sets++] = v;
            continue;
        }
        return cli_usage_error("purge takes [--as-of ISO] [--set CATEGORY=DURATION]... [--policy us|eu] "
                               "[--db FILE]");
    }
    bex_policy pol = BEX_POLICY_US;
    if (policy && bex_policy_parse(policy, &pol) != BEX_OK) return cli_usage_error("--policy is us or eu");
    int64_t t;
    if (asof && bex_time_parse(asof, &t) != BEX_OK) return cli_usage_error("--as-of takes an ISO 8601 date or time");
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    char err[512];
    int rc = BEX_OK;
    if (policy) rc = bex_border_retention_preset(st, pol, err, sizeof err);
    for (int k = 0; k < n_sets && rc == BEX_OK; k++) {
        char cat[48];
        const char *eq = strchr(sets[k], '=');
        if (!eq || (size_t)(eq - sets[k]) >= sizeof cat) {
            bex_store_close(st);
            return cli_usage_error("--set takes CATEGORY=PERIOD, e.g. records=3y, citizen_biometrics=12h, "
                                   "records=forever (units s, m, h, d, y)");
        }
        snprintf(cat, sizeof cat, "%.*s", (int)(eq - sets[k]), sets[k]);
        long long secs;
        rc = bex_retention_parse(eq + 1, &secs, err, sizeof err);
        if (rc == BEX_OK) rc = bex_border_set_retention(st, cat, secs, err, sizeof err);
    }
    bex_purge_result r;
    if (rc == BEX_OK) rc = bex_border_purge(st, asof, &r, err, sizeof err);
    static const char *const cats[5] = {"citizen_biometrics", "unmatched_captures", "images", "records",
                                        "overstayer_records"};
    long long keep[5] = {0};
    for (int k = 0; k < 5 && rc == BEX_OK; k++) rc = bex_store_get_retention(st, cats[k], &keep[k], err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("purge", err);
    printf("{\"as_of\":");
    bex_json_str(stdout, asof ? asof : "now");
    printf(",\"deleted\":{\"citizen_samples\":%lld,\"unmatched_samples\":%lld,\"images\":%lld,\"records\":%lld,"
           "\"overstayer_records\":%lld,\"unmatched_exits\":%lld,\"finger_samples\":%lld,\"finger_images\":%lld},"
           "\"retention_seconds\":{", r.citizen_samples, r.unmatched_samples, r.images, r.subjects,
           r.overstayer_subjects, r.unmatched_encounters, r.finger_samples, r.finger_images);
    for (int k = 0; k < 5; k++) {
        char b[24];
        const char *txt = bex_retention_text(keep[k], b);
        printf(keep[k] == BEX_RETENTION_FOREVER ? "%s\"%s\":\"%s\"" : "%s\"%s\":%s", k ? "," : "", cats[k], txt);
    }
    printf("}}\n");
    return 0;
}

/* ---- bex reenrol ---- */

typedef struct reenrol_ctx {
    bex_engine *eng;
    bex_capture_policy pol;
    int dim;
} reenrol_ctx;

static int reenrol_template(void *ctx, const void *image, size_t len, float *tmpl, char *err, size_t errlen) {
    reenrol_ctx *x = ctx;
    static bex_capture_result cap;
    int rc = bex_capture_photo(x->eng, image, len, NULL, &x->pol, &cap, err, errlen);
    if (rc != BEX_OK) return rc;
    if (!cap.acquired) return cap.status;
    memcpy(tmpl, cap.template_, sizeof(float) * (size_t)x->dim);
    return BEX_OK;
}

/* `bex reenrol --model FILE`: the store's templates computed again with another model from the
 * images retention kept; lists the subjects who need a new capture. Exit 0 when every subject
 * has a template of the new model, 1 when some need a capture. */
static int cmd_reenrol(const char *models, int argc, char **argv) {
    cli_common c = {.must_exist = 1, .builtin = 1};
    reenrol_ctx x = {0};
    bex_capture_policy_default(&x.pol);
    const char *model = NULL, *from = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--model", &model)) ||
            (r = cli_opt(argc, argv, &i, "--from", &from)) || (r = cli_parse_capture_opt(argc, argv, &i, &x.pol))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("reenrol takes --model FILE [--from FILE] [--db FILE] [CAPTURE]");
    }
    if (!model) return cli_usage_error("reenrol needs the new model: bex reenrol --model FILE [--db FILE]");
    /* --from FILE: the store's model now, when it is an agency's model and not the built-in one */
    static bex_model from_model;
    if (from) {
        char e[512];
        if (bex_model_load(from, &from_model, e, sizeof e) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", e);
            return 2;
        }
        c.from = &from_model;
    }
    if (!cli_load_model(model)) return 2;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &x.eng)) return 2;
    x.dim = bex_engine_dim(x.eng);
    bex_store *st;
    if (!cli_open_store(&c, &st)) {
        bex_engine_close(x.eng);
        return 2;
    }
    bex_reenrol_report r;
    char err[512];
    int rc = bex_store_reenrol(st, bex_engine_model(x.eng), x.dim, reenrol_template, &x, &r, err, sizeof err);
    if (rc == BEX_OK) {
        printf("{\"from\":");
        bex_json_str(stdout, bex_store_model(st));
        printf(",\"to\":");
        bex_json_str(stdout, bex_engine_model(x.eng));
        printf(",\"samples\":%lld,\"reenrolled\":%lld,\"already\":%lld,\"no_image\":%lld,\"unusable\":%lld,"
               "\"need_capture\":[", r.samples, r.reenrolled, r.already, r.no_image, r.unusable);
        for (size_t k = 0; k < r.n_need_capture; k++) printf("%s%lld", k ? "," : "", (long long)r.need_capture[k]);
        printf("]}\n");
        free(r.need_capture);
    }
    bex_store_close(st);
    bex_engine_close(x.eng);
    if (rc != BEX_OK) return fail("reenrol", err);
    return r.n_need_capture ? 1 : 0;
}

/* ---- bex audit verify ---- */

static int cmd_audit(int argc, char **argv) {
    cli_common c = {.must_exist = 1};
    const char *head = NULL;
    if (argc < 1 || strcmp(argv[0], "verify")) return cli_usage_error("audit takes: verify [--head HEX] [--db FILE]");
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_common_opt(argc, argv, &i, &c)) || (r = cli_opt(argc, argv, &i, "--head", &head))) {
            if (r < 0) return 2;
            continue;
        }
        return cli_usage_error("audit verify takes [--head HEX] [--db FILE]");
    }
    bex_store *st;
    if (!cli_open_store(&c, &st)) return 2;
    long long entries, bad;
    int found;
    char h[65], err[512];
    int rc = bex_store_audit_verify(st, head, &entries, &bad, &found, h, err, sizeof err);
    bex_store_close(st);
    if (rc != BEX_OK) return fail("audit verify", err);
    int ok = !bad && (!head || found);
    printf("{\"entries\":%lld,\"ok\":%s,\"first_bad\":", entries, ok ? "true" : "false");
    if (bad) printf("%lld", bad);
    else printf("null");
    printf(",\"head\":\"%s\"", h);
    if (head) {
        printf(",\"head_given\":");
        bex_json_str(stdout, head);
        printf(",\"head_found\":%s", found ? "true" : "false");
    }
    printf("}\n");
    return ok ? 0 : 1;
}

/* ---- bex db copy ---- */

/* Opens one side of a copy; the message names it "the source" or "the destination", never its
 * file or URI (a URI may hold a password). */
static int open_side(const char *target, const char *side, const char *actor, int must_exist, bex_store **st) {
    bex_store_options o;
    bex_store_options_default(&o);
    o.actor = actor;
    o.must_exist = must_exist;
    char err[512];
    if (bex_store_open(target, &o, st, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: db copy: %s: %s\n", side, err);
        return 0;
    }
    return 1;
}

/* bex db copy --from SRC --to DST: a store (an SQLite file or a postgresql:// URI) copied whole
 * into a new one (bex_store_copy). */
static int cmd_db(int argc, char **argv) {
    static const char usage[] = "db takes: copy --from FILE|URI --to FILE|URI [--actor NAME]";
    if (argc < 1 || strcmp(argv[0], "copy")) return cli_usage_error(usage);
    cli_common c = {0};
    const char *from = NULL, *to = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--from", &from)) || (r = cli_opt(argc, argv, &i, "--to", &to)) ||
            (r = cli_opt(argc, argv, &i, "--actor", &c.actor))) {
            if (r < 0) return 2;
            continue;
        }
        fprintf(stderr, "bex: db copy: unknown option '%s'\n", argv[i]);
        return cli_usage_error(usage);
    }
    if (!from || !to || !*from || !*to) return cli_usage_error("db copy needs --from FILE|URI and --to FILE|URI");
    if (!strcmp(from, to)) return cli_usage_error("db copy: --from and --to are the same store");
    if (!c.actor) c.actor = getenv("BEX_ACTOR");
    if (!c.actor || !*c.actor) {
        const char *u = getenv("USER");
        snprintf(c.actor_buf, sizeof c.actor_buf, "cli:%s", u && *u ? u : "unknown");
        c.actor = c.actor_buf;
    }
    bex_store *src, *dst;
    if (!open_side(from, "the source", c.actor, 1, &src)) return 2;
    if (!open_side(to, "the destination", c.actor, 0, &dst)) {
        bex_store_close(src);
        return 2;
    }
    bex_store_copy_report rep;
    char err[512];
    int rc = bex_store_copy(src, dst, &rep, err, sizeof err);
    bex_store_close(src);
    bex_store_close(dst);
    if (rc != BEX_OK) return fail("db copy", err);
    printf("{\"from\":\"%s\",\"to\":\"%s\",\"schema\":%d,\"rows\":%lld,\"tables\":{", rep.from, rep.to, rep.schema,
           rep.rows);
    for (size_t i = 0; i < rep.n_tables; i++) printf("%s\"%s\":%lld", i ? "," : "", rep.tables[i].name, rep.tables[i].rows);
    printf("},\"audit\":{\"entries\":%lld,\"ok\":%s,\"head\":\"%s\"},\"verified\":true,\"seconds\":%.3f}\n",
           rep.audit_entries, rep.audit_first_bad ? "false" : "true", rep.audit_head, rep.seconds);
    return 0;
}

int cmd_store(const char *models, const char *cmd, int argc, char **argv) {
    if (!strcmp(cmd, "entry")) return cmd_entry(models, argc, argv);
    if (!strcmp(cmd, "exit")) return cmd_exit(models, argc, argv);
    if (!strcmp(cmd, "decide")) return cmd_decide(argc, argv);
    if (!strcmp(cmd, "enrol")) return cmd_enrol(models, argc, argv);
    if (!strcmp(cmd, "gate")) return cmd_gate(models, argc, argv);
    if (!strcmp(cmd, "sync")) return cmd_sync(argc, argv);
    if (!strcmp(cmd, "manifest")) return cmd_manifest(argc, argv);
    if (!strcmp(cmd, "gallery")) return cmd_gallery(argc, argv);
    if (!strcmp(cmd, "overstays")) return cmd_overstays(argc, argv);
    if (!strcmp(cmd, "flags")) return cmd_flags(argc, argv);
    if (!strcmp(cmd, "report")) return cmd_report(argc, argv);
    if (!strcmp(cmd, "flag")) return cmd_flag(argc, argv);
    if (!strcmp(cmd, "override")) return cmd_override(argc, argv);
    if (!strcmp(cmd, "subject")) return cmd_record(argc, argv, "subject", bex_store_subject_json);
    if (!strcmp(cmd, "encounter")) return cmd_record(argc, argv, "encounter", bex_store_encounter_json);
    if (!strcmp(cmd, "lookup")) return cmd_lookup(models, argc, argv);
    if (!strcmp(cmd, "candidates")) return cmd_candidates(argc, argv);
    if (!strcmp(cmd, "merge") || !strcmp(cmd, "unmerge") || !strcmp(cmd, "reclassify") || !strcmp(cmd, "erase"))
        return cmd_subject_work(cmd, argc, argv);
    if (!strcmp(cmd, "keys")) return cmd_keys(argc, argv);
    if (!strcmp(cmd, "settings")) return cmd_settings(argc, argv);
    if (!strcmp(cmd, "purge")) return cmd_purge(argc, argv);
    if (!strcmp(cmd, "audit")) return cmd_audit(argc, argv);
    if (!strcmp(cmd, "db")) return cmd_db(argc, argv);
    if (!strcmp(cmd, "reenrol")) return cmd_reenrol(models, argc, argv);
    return -1;
}
