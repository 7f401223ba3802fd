/*
 * bex.c - the `bex` command: parses arguments, calls the public API, prints JSON.
 *
 *   bex detect IMG                 faces, boxes, scores and 68 landmarks as JSON
 *   bex embed [--align A] IMG...   one JSON line per image, with each face's template
 *   bex verify IMG1 IMG2           1:1 decision at a calibrated operating point (exit 0/1/3/2)
 *   bex identify PROBE IMG...      1:N search, threshold for the FPIR at the gallery's size
 *   bex quality IMG                capture quality and the failure-to-acquire outcome
 *   bex index add|search|remove|info   a gallery file (cli/index_cmd.c)
 *
 * Errors go to stderr as one line; exit status 2 means an error.
 */
#include <sys/stat.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bex/bex.h"
#include "bex/calibration.h"
#include "bex/face.h"
#include "bex/image.h"
#include "bex/mrz.h"
#include "bex/quality.h"
#include "cli.h"

#define MAX_FACES 32

static const char *usage =
    "usage: bex [--models DIR] [--detector D] [--camera near|far] COMMAND ...\n"
    "  detect IMG               detect faces: boxes, scores, 68 landmarks, BlazeFace keypoints (JSON)\n"
    "  embed [--align faceapi|similarity|keypoints|facemesh] [--model FILE] IMG...\n"
    "                           one JSON line per image with each face's 128-d template\n"
    "                           (default alignment: similarity, measured best on LFW View 1)\n"
    "  verify [--fmr F | --threshold S] [--align A] [--model FILE] [CAPTURE] IMG1 IMG2\n"
    "                           1:1: compare the face of each image at a calibrated operating\n"
    "                           point (default FMR 0.001); exit 0 match, 1 no match,\n"
    "                           3 a photo cannot be used, 2 error\n"
    "  identify [--fpir F] [--top K] [--align A] [--model FILE] [CAPTURE] PROBE IMG...\n"
    "                           1:N: search the probe's face among the gallery images (one\n"
    "                           person each), threshold set for FPIR F (default 0.003) at the\n"
    "                           gallery's size; exit 0 match, 1 none, 3 probe unusable, 2 error\n"
    "  quality [CAPTURE] IMG    capture quality of each face: size, pose, sharpness, exposure,\n"
    "                           contrast, a 0-100 score, what to fix, and the capture outcome;\n"
    "                           exit 0 fit, 1 fit with problems, 3 unusable, 2 error\n"
    "  index add [--format float32|float16|int8] [--model FILE] FILE SUBJECT IMG...\n"
    "                           enrol each image's face as a template of SUBJECT (a number) in\n"
    "                           the gallery file FILE (made if missing; saved atomically)\n"
    "  index search [--k K] [--fpir F] [--model FILE] FILE PROBE\n"
    "                           1:N against the gallery file: best K subjects, decided at FPIR F\n"
    "                           for its size; exit 0 match, 1 none, 3 probe unusable, 2 error\n"
    "  index remove FILE --subject ID | --template ID     index info FILE\n"
    "  eval verify --lfw DIR [--pairs FILE] [--out DIR] [--align A] [--per-fold N] [--cache F]\n"
    "                           LFW View 2 verification: 10-fold accuracy, TAR at FAR, EER,\n"
    "                           accuracy by quality band, DET curve and histograms in --out\n"
    "  eval identify --lfw DIR [--out DIR] [--trials N] [--seed S] [--align A] [--cache F]\n"
    "                           open-set 1:N on LFW: FNIR at FPIR 0.003 / 0.01 and rank-1,\n"
    "                           N = 420 (random trials) and the full gallery\n"
    "  eval calibrate --lfw DIR [--out DIR] [--align A] [--cache F] [--c-table FILE]\n"
    "                           thresholds for target FMRs from all of LFW's non-mated pairs,\n"
    "                           with held-out and 1:N checks\n"
    "                           (eval verify|identify|calibrate --model FILE: a described model's\n"
    "                           templates; calibrate writes FILE's .calibration.json)\n"
    "  eval calibrate --store DB [--out FILE] [--by port|camera] [--min-comparisons N] [--cap N]\n"
    "                           the same table from the store's own templates (travellers not\n"
    "                           linked by a flag or a merge), per model and port or camera; a\n"
    "                           group with too few comparisons is refused; --apply FILE puts a\n"
    "                           reviewed file in force for decisions (exit 0 calibrated, 1 every\n"
    "                           group refused); --revert [--port CODE] goes back to the shipped table\n"
    "  eval drift [--db DB] [--since TIME | --window 7d] [--fmr 0.01] [--no-flag]\n"
    "                           live non-mated scores against the calibration: a binomial test,\n"
    "                           recorded; an alarm raises a score_drift flag (exit 1)\n"
    "  eval finger --fvc DIR [[--ppi N] --fvc DIR ...] | --fvc2002 ROOT [--out DIR] [--fmr F]\n"
    "              [--calibrate FILE]\n"
    "                           fingerprints, the FVC protocol per folder of FFF_I.tif (--ppi N:\n"
    "                           the resolution of the folders after it, default 500; --fvc2002:\n"
    "                           DB1-4_B at their own): EER, FMR100, FMR1000, ZeroFMR, failures to\n"
    "                           enrol, ms per extraction, us per comparison, accuracy by quality\n"
    "                           band, DET plot; --calibrate writes the finger threshold table\n"
    "  finger extract IMG [--ppi N] [--position P] [--iso FILE] [--ansi FILE] [--minutiae]\n"
    "                           a fingerprint's template: minutiae count, quality 0-100, coded\n"
    "                           problems, failure to enrol (JSON); --iso / --ansi write it as an\n"
    "                           ISO/IEC 19794-2:2005 / ANSI INCITS 378-2004 record; exit 0 fit,\n"
    "                           1 fit with problems, 3 failure to enrol, 2 error\n"
    "  finger compare A B [--ppi N] [--fmr F | --threshold S]\n"
    "                           1:1: images or ISO/ANSI records; {\"score\",\"threshold\",\"match\"}\n"
    "                           at the calibrated threshold (default FMR 0.001); exit 0 match,\n"
    "                           1 no match, 2 error\n"
    "  finger compare --pairs FILE [--ppi N] [--fmr F | --threshold S]\n"
    "                           one \"A B\" per line, one JSON line per pair (\"error\" for a pair\n"
    "                           that fails); exit 0 unless FILE cannot be read\n"
    "  mrz [--today YYYY-MM-DD] [TEXT]\n"
    "                           parse an ICAO 9303 MRZ (TD1, TD2, TD3, visas; standard input\n"
    "                           without TEXT), verify every check digit; exit 0 valid, 1 a\n"
    "                           check digit fails or expired, 2 not an MRZ\n"
    "  mrz make --number N --state S --nationality S --surname X [--given X] --birth D\n"
    "           --sex M|F|X --expiry D   write a passport's TD3 MRZ with its check digits\n"
    "  doc verify DIR [--trust DIR_OR_FILE]... [--trusted-list FILE]... [--at TIME] [--mrz TEXT]\n"
    "             [--db FILE]\n"
    "                           passive authentication of a chip's files (EF_SOD.bin, DG1.bin,\n"
    "                           ...): the SOD's signature, its signer chained to a CSCA of the\n"
    "                           trust files (CSCAs, CRLs, master lists) at TIME (default now),\n"
    "                           every group's hash; --mrz: DG1 against the printed MRZ; exit 0\n"
    "                           authentic, 1 not, 2 error; --db FILE without --trust: the\n"
    "                           store's trust store (bex trust load)\n"
    "The record system (an SQLite file: --db FILE, default bex.db; --actor NAME for the\n"
    "audit log; one JSON object out; exit 0 done, 1 negative outcome or flags, 2 error):\n"
    "  entry --photo IMG --mrz MRZ [--doc-photo IMG] [--class C (--admit-until D | --ds)]\n"
    "        --port CODE --port-kind air|sea|land|land-pedestrian|land-vehicle [--carrier X]\n"
    "        [--voyage X] [--at ISO] [--citizen] [--all-faces]\n"
    "                           an arrival: document checks, 1:1 against the document photo,\n"
    "                           1:N against every traveller; admitted, or referred to secondary\n"
    "                           inspection; a passport of the deployment's state is a citizen's\n"
    "                           (no class); --all-faces: the face matching the document's\n"
    "  decide ENCOUNTER admit|refuse    an officer's decision on a referred entry\n"
    "  exit --photo IMG --port CODE [--port-kind K] [--departure ID] [--at ISO] [--all-faces]\n"
    "                           a departure: the manifest's gallery first, then the port's,\n"
    "                           everyone in the country, everyone; linked to the entry;\n"
    "                           --all-faces: every face an exit of its own (a vehicle lane)\n"
    "  enrol DIR [--source visa|document|officer]\n"
    "                           enrol every photo X.jpg with its MRZ in X.mrz (resumable)\n"
    "  manifest load FILE       a carrier's manifest (JSON) of a departure or arrival\n"
    "  manifest reassign --departure ID --carrier CODE\n"
    "                           an admin's decision: the departure is that carrier's now\n"
    "  gallery build DEPARTURE --device NAME [--out FILE]\n"
    "                           the departure's gallery for one registered gate: encrypted to it,\n"
    "                           signed by the service, expiring (setting gallery_window)\n"
    "  gate register --device NAME [--port CODE] --out KEYFILE | gate list | gate revoke NAME\n"
    "                           offline gates as devices with their own keys (KEYFILE: 0600)\n"
    "  gate --gallery FILE --key KEYFILE --departure ID --photo IMG [--port CODE] [--log FILE]\n"
    "                           an offline gate's decision against that file (no --db), logged\n"
    "                           as a line signed by the gate\n"
    "  sync LOG                 record an offline gate's log as exits (signatures and sequence\n"
    "                           checked, refused lines flagged; decided again, compared)\n"
    "  overstays --as-of D [--policy us|eu] [--format json|csv] [--by country|class|port]\n"
    "                           overstays (US admit-until rule or EU 90/180), DHS-style tables\n"
    "  report rates --from D --to D [--by port|day|age_band|sex]\n"
    "                           crossings, capture and match rates (as GET /v1/reports/rates)\n"
    "  flags [--status S] [--kind K] [--port P] [--since D] [--until D] [--limit N] [--offset N]\n"
    "        [--format json|csv]  the flag queue, newest first\n"
    "  flag ID open|cleared|confirmed|referred   an officer's finding on a flag\n"
    "  subject ID | encounter ID   one traveller's record, or one crossing's\n"
    "  candidates ENCOUNTER    each candidate of its flags scored 1:1 against its live capture\n"
    "  lookup --document N [--state S] | --surname S [--given G] --birth D\n"
    "                           find a traveller (names compared as ICAO 9303 spells them)\n"
    "  override ENCOUNTER SUBJECT       an officer says who an unmatched exit was: linked,\n"
    "                           outcome officer_override, the subject's admission closed\n"
    "  merge KEEP OTHER | unmerge MERGE  two subjects found to be one person, and undone\n"
    "  reclassify SUBJECT citizen | erase SUBJECT\n"
    "                           a visitor who is a citizen; a subject's biometrics deleted\n"
    "  settings [--set NAME=VALUE]...   home_state=USA, departure_before=12h, departure_after=12h\n"
    "  purge [--as-of ISO] [--set CATEGORY=DURATION]... [--policy us|eu]\n"
    "                           delete what retention says is due (citizens' photos and\n"
    "                           unmatched captures: 12 h)\n"
    "  nist export ENCOUNTER [--out FILE] [--dai AGENCY] [--ori AGENCY] [--tcn ID]\n"
    "                           one crossing as an ANSI/NIST-ITL 1-2011 transaction (Type-1, Type-2\n"
    "                           of bex's profile, Type-10: the photo retention kept; refused without\n"
    "                           it; Type-14: each kept finger image, raw grey at 500 ppi), written\n"
    "                           atomically (default encounter-ID.an2); an audited read\n"
    "  nist import FILE [--source document|visa|officer] [CAPTURE]\n"
    "                           enrol each Type-10 face of a transaction with its Type-2 document\n"
    "                           (source: document by default), then each Type-14 finger (14.013\n"
    "                           1-10, slaps 13-15 cut) with the same subject by the entry's finger\n"
    "                           rules; every record listed with what became of it; exit 1 when a\n"
    "                           face was not enrolled or a Type-14 not read\n"
    "  reenrol --model FILE [--from FILE] [CAPTURE]   a change of face model: the store's\n"
    "                           templates (of the built-in model, or --from's) computed again\n"
    "                           from the images retention kept; the subjects who need a new\n"
    "                           capture listed (need_capture); exit 1 when there are some\n"
    "  audit verify [--head HEX] check the audit log's hash chain\n"
    "  db copy --from FILE|URI --to FILE|URI\n"
    "                           a store copied whole into a new one (SQLite file or postgresql://\n"
    "                           URI, either way): every table, ids kept, one transaction, checked\n"
    "                           (rows of each table, the audit chain's head); an empty destination\n"
    "                           only; audited on both\n"    "  trust load FILE [--trusted-list] [--at TIME] | list [--all] | remove ID\n"
    "                           the trust store for passive authentication: a CSCA certificate,\n"
    "                           CRLs or an ICAO master list (PEM or DER), verified (a master\n"
    "                           list's signer chained to a CSCA loaded before, unless\n"
    "                           --trusted-list) and kept; loading a file twice adds nothing;\n"
    "                           remove withdraws one (a compromised CSCA); audited\n"
    "  keys add --role officer|carrier|analyst|auditor|admin [--carrier CODE] | list | revoke ID\n"
    "                           API keys for bex serve (shown once, stored as SHA-256)\n"
    "  serve [--listen ADDR:PORT] [--workers N] [--queue N] [--max-body B] [--max-pixels N]\n"
    "        [--max-request-pixels N] [--timeout S] [--header-timeout S] [--max-connections N]\n"
    "        [--max-per-client N] [--rate N] [--burst N] [--tls-cert PEM --tls-key PEM]\n"
    "                           the record system over HTTP/JSON (docs/service.md)\n"
    "  simulate --db NEW_FILE [--travellers N] [--days D] [--seed S] [--start D] [--no-fsync]\n"
    "                           days at an airport, a seaport and a land crossing with planted\n"
    "                           overstays, impostors and two identities (synthetic templates);\n"
    "                           what was found, throughput, database size, report time\n"
    "  version                  print the version\n"
    "CAPTURE options (the failure-to-acquire policy): --min-quality Q (score floor, default\n"
    "20, 0 = none), --min-eye-distance PX (default 30), --max-other-face R (refuse a photo\n"
    "whose second face is at least R times the largest's width; default 0.8, 2 = never).\n"
    "Models are read from --models DIR, else $BEX_MODELS, else the models/ folder next to\n"
    "the bex build (tools/fetch-models.sh installs them). --model FILE (embed, verify,\n"
    "identify) computes templates with an agency's ONNX model described by FILE instead of\n"
    "the built-in one; its thresholds come from FILE's .calibration.json (docs/models.md).\n"
    "On the record commands (entry, exit, enrol, gate, sync, gallery, serve, eval drift, ...)\n"
    "--model FILE may stand anywhere: the store then matches and decides with that model's\n"
    "templates only (after bex reenrol), at its calibration (applied to the store, else FILE's).\n"
    "--detector D (anywhere on the line) picks the face detector: blazeface (default: MediaPipe\n"
    "BlazeFace short range, full range when it finds nothing), blazeface-full, or ssd\n"
    "(face-api.js's SSD MobileNetV1, as before). --align keypoints aligns on BlazeFace's keypoints,\n"
    "--align facemesh on five MediaPipe Face Mesh points (models/facemesh.json; not calibrated).\n"
    "--no-flip (anywhere on the line) turns off flip test-time augmentation: by default a template\n"
    "is the normalised mean of the aligned face's and of its mirror image's.\n"
    "--camera near|far (anywhere on the line) is the camera's range: near (kiosks, e-gates, booths,\n"
    "within about 2 m: BlazeFace short range first) or far (halls, boarding areas, vehicle lanes, up\n"
    "to about 5 m: the full-range model first); `bex serve` takes ?camera= on each photo request.\n";

static void print_face(FILE *f, const bex_face *face, int with_template) {
    fprintf(f, "{\"box\":[%.2f,%.2f,%.2f,%.2f],\"score\":%.5f,", face->box[0], face->box[1],
            face->box[2], face->box[3], face->score);
    if (face->padded) fprintf(f, "\"padded\":true,");
    fprintf(f, "\"landmarks\":[");
    for (int i = 0; i < BEX_LANDMARKS; i++)
        fprintf(f, "%s[%.2f,%.2f]", i ? "," : "", face->landmarks[i][0], face->landmarks[i][1]);
    fprintf(f, "]");
    if (face->has_keypoints) { /* BlazeFace's: right eye, left eye, nose tip, mouth, right and left ear tragion */
        fprintf(f, ",\"keypoints\":[");
        for (int i = 0; i < 6; i++)
            fprintf(f, "%s[%.2f,%.2f]", i ? "," : "", face->keypoints[i][0], face->keypoints[i][1]);
        fprintf(f, "]");
    }
    if (with_template) {
        fprintf(f, ",\"template\":[");
        int dim = face->dim > 0 && face->dim <= BEX_TEMPLATE_MAX_DIM ? face->dim : BEX_TEMPLATE_DIM;
        for (int i = 0; i < dim; i++)
            fprintf(f, "%s%.8g", i ? "," : "", face->template_[i]);
        fprintf(f, "]");
    }
    fprintf(f, "}");
}

/* Loads an image and finds its faces; on failure prints the message to stderr, and as a JSON
 * error line to stdout when json_errors is set. Returns the number of faces or -1. */
static int faces_of(bex_engine *eng, const char *path, int embed, bex_face *faces, int json_errors) {
    char err[512];
    bex_image img;
    int n = 0, rc = bex_image_load(path, NULL, &img, err, sizeof err);
    if (rc == BEX_OK) {
        rc = embed ? bex_embed(eng, &img, faces, MAX_FACES, &n, err, sizeof err)
                   : bex_detect(eng, &img, faces, MAX_FACES, &n, err, sizeof err);
        bex_image_free(&img);
    }
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        if (json_errors) {
            printf("{\"image\":");
            bex_json_str(stdout, path);
            printf(",\"error\":");
            bex_json_str(stdout, err);
            printf("}\n");
        }
        return -1;
    }
    return n;
}

static int cmd_detect(const char *models, int argc, char **argv) {
    if (argc != 1) return cli_usage_error("detect takes one image: bex detect IMG");
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    int n = faces_of(eng, argv[0], 0, faces, 0);
    bex_engine_close(eng);
    if (n < 0) return 2;
    printf("{\"faces\":[");
    for (int i = 0; i < n; i++) {
        if (i) putchar(',');
        print_face(stdout, &faces[i], 0);
    }
    printf("]}\n");
    return 0;
}

static int cmd_embed(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else return cli_usage_error("embed takes [--align faceapi|similarity] [--model FILE] IMG...");
    }
    if (i == argc) return cli_usage_error("embed needs at least one image: bex embed IMG...");
    bex_engine *eng;
    if (!cli_open_engine(models, align, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    int failed = 0;
    for (; i < argc; i++) {
        int n = faces_of(eng, argv[i], 1, faces, 1);
        if (n < 0) { failed++; fflush(stdout); continue; }
        printf("{\"image\":");
        bex_json_str(stdout, argv[i]);
        printf(",\"faces\":[");
        for (int k = 0; k < n; k++) {
            if (k) putchar(',');
            print_face(stdout, &faces[k], 1);
        }
        printf("],\"model\":"); /* whose templates these are: only the same model's compare */
        bex_json_str(stdout, bex_engine_model(eng));
        printf("}\n");
        fflush(stdout);
    }
    bex_engine_close(eng);
    return failed ? 2 : 0;
}

/* A capture outcome's stable name for JSON ("no_face", ...; bex_capture_outcome_name); NULL
 * when rc is none (BEX_OK included). */


/* `bex quality IMG`: capture quality of each face, largest first, and the capture outcome.
 * Exit 0: usable, no problem; 1: usable with problems to fix; 3: the capture fails the policy
 * (no face, several faces, face too small, quality below the floor); 2: error. */
static int cmd_quality(const char *models, int argc, char **argv) {
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = cli_parse_capture_opt(argc, argv, &i, &pol);
        if (r < 0) return 2;
        if (r == 0) return cli_usage_error("quality takes [--min-quality Q] [--min-eye-distance PX] [--max-other-face R] IMG");
    }
    if (argc - i != 1) return cli_usage_error("quality takes one image: bex quality IMG");
    const char *path = argv[i];
    bex_engine *eng;
    if (!cli_open_engine(models, BEX_ALIGN_DEFAULT, &eng)) return 2;
    static bex_face faces[MAX_FACES];
    char err[512], cap_err[512] = "";
    bex_image img;
    int n = 0, rc = bex_image_load(path, NULL, &img, err, sizeof err);
    if (rc == BEX_OK) {
        rc = bex_detect(eng, &img, faces, MAX_FACES, &n, err, sizeof err);
        if (rc != BEX_OK) bex_image_free(&img);
    }
    int outcome = BEX_OK;
    if (rc == BEX_OK) { /* the policy's verdict */
        bex_face f;
        bex_quality q;
        int nf;
        outcome = bex_capture(eng, &img, &pol, &f, &q, &nf, cap_err, sizeof cap_err);
        if (outcome != BEX_OK && !cli_outcome_name(outcome)) {
            rc = outcome;
            snprintf(err, sizeof err, "%s", cap_err);
            bex_image_free(&img);
        }
    }
    bex_engine_close(eng);
    if (rc != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    if (outcome != BEX_OK) fprintf(stderr, "bex: %s: %s\n", path, cap_err);
    int status = outcome != BEX_OK ? 3 : 0;
    printf("{\"outcome\":\"%s\",", outcome == BEX_OK ? "ok" : cli_outcome_name(outcome));
    if (outcome != BEX_OK) {
        printf("\"code\":%d,\"message\":", outcome);
        bex_json_str(stdout, cap_err);
        printf(",");
    }
    printf("\"faces\":[");
    for (int k = 0; k < n; k++) {
        bex_quality q;
        if (bex_face_quality(&img, &faces[k], &pol.quality, &q, err, sizeof err) != BEX_OK) {
            fprintf(stderr, "bex: %s\n", err);
            status = 2;
            break;
        }
        if (k == 0 && q.n_problems > 0 && status == 0) status = 1;
        printf("%s{\"box\":[%.2f,%.2f,%.2f,%.2f],\"quality\":", k ? "," : "", faces[k].box[0], faces[k].box[1],
               faces[k].box[2], faces[k].box[3]);
        cli_print_quality(stdout, &q);
        printf("}");
    }
    printf("]}\n");
    bex_image_free(&img);
    return status;
}

/* `bex verify IMG1 IMG2`: 1:1 at a calibrated operating point. Exit 0 match, 1 no match,
 * 3 a photo cannot be used (its outcome on stdout), 2 error. */
static int cmd_verify(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    int have_threshold = 0;
    float threshold = 0;
    double fmr = BEX_DEFAULT_FMR;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = cli_parse_capture_opt(argc, argv, &i, &pol);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--fmr") && i + 1 < argc) {
            if (!cli_parse_rate("--fmr", argv[++i], &fmr)) return 2;
        } else if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
            char *end;
            errno = 0;
            threshold = strtof(argv[++i], &end);
            if (errno || *end || threshold < -1 || threshold > 1) {
                fprintf(stderr, "bex: --threshold takes a cosine similarity between -1 and 1\n");
                return 2;
            }
            have_threshold = 1;
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else return cli_usage_error("verify takes [--align A] [--model FILE] [--fmr F | --threshold S] [--min-quality Q] IMG1 IMG2");
    }
    if (argc - i != 2) return cli_usage_error("verify takes two images: bex verify IMG1 IMG2");
    bex_operating_point op;
    char err[512];
    /* an explicit threshold needs no calibration (a model without one can still be tried) */
    if (have_threshold) memset(&op, 0, sizeof op);
    else if (bex_operating_point_verify_model(cli_model(), align, fmr, &op, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    if (have_threshold) {
        op.threshold = threshold;
        snprintf(op.name, sizeof op.name, "threshold %.4f (not calibrated)", threshold);
    }
    bex_engine *eng;
    if (!cli_open_engine(models, align, &eng)) return 2;
    static bex_capture_result a, b;
    int rc = cli_acquire(eng, argv[i], &pol, &a);
    if (rc == BEX_OK) rc = cli_acquire(eng, argv[i + 1], &pol, &b);
    bex_engine_close(eng);
    if (rc != BEX_OK) return cli_outcome_name(rc) ? 3 : 2;
    float sim = bex_template_similarity_dim(a.template_, b.template_, a.dim);
    float dist = sqrtf(fmaxf(0.0f, 2.0f - 2.0f * sim));
    if (a.dim == BEX_TEMPLATE_DIM) dist = bex_template_distance(a.template_, b.template_);
    int match = bex_operating_point_accepts(&op, sim);
    printf("{\"similarity\":%.6f,\"distance\":%.6f,\"match\":%s,", sim, dist, match ? "true" : "false");
    if (have_threshold) printf("\"operating_point\":\"%s\",\"threshold\":%.5f", op.name, op.threshold);
    else cli_print_operating_point(&op);
    printf(",\"faces\":[%d,%d],\"quality\":[%.1f,%.1f]}\n", a.n_faces, b.n_faces, a.quality.score, b.quality.score);
    return match ? 0 : 1;
}

/* `bex identify PROBE GALLERY_IMG...`: 1:N by exhaustive search, each gallery image one
 * enrolled person, the threshold set for the FPIR at the gallery's size. Exit 0 when a
 * candidate reaches it, 1 when none does, 3 when the probe cannot be used, 2 on error. */
static int cmd_identify(const char *models, int argc, char **argv) {
    bex_align align = BEX_ALIGN_DEFAULT;
    bex_capture_policy pol;
    bex_capture_policy_default(&pol);
    double fpir = BEX_DEFAULT_FPIR;
    int top = 5;
    int i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = cli_parse_capture_opt(argc, argv, &i, &pol);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--align") && i + 1 < argc) {
            if (!cli_parse_align(argv[++i], &align)) return 2;
        } else if (!strcmp(argv[i], "--fpir") && i + 1 < argc) {
            if (!cli_parse_rate("--fpir", argv[++i], &fpir)) return 2;
        } else if (!strcmp(argv[i], "--top") && i + 1 < argc) {
            top = atoi(argv[++i]);
            if (top < 1 || top > 1000) {
                fprintf(stderr, "bex: --top takes a number of candidates from 1 to 1000\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) {
            if (!cli_load_model(argv[++i])) return 2;
        } else return cli_usage_error("identify takes [--fpir F] [--top K] [--align A] [--model FILE] [--min-quality Q] PROBE GALLERY_IMG...");
    }
    if (argc - i < 2) return cli_usage_error("identify takes a probe and at least one gallery image: bex identify PROBE IMG...");
    int ng = argc - i - 1;
    char **gpath = argv + i + 1;
    float (*gt)[BEX_TEMPLATE_MAX_DIM] = malloc(sizeof *gt * (size_t)ng);
    int *gidx = malloc(sizeof(int) * (size_t)ng);
    float *gs = malloc(sizeof(float) * (size_t)ng);
    if (!gt || !gidx || !gs) {
        free(gt); free(gidx); free(gs);
        fprintf(stderr, "bex: out of memory for %d gallery images\n", ng);
        return 2;
    }
    bex_engine *eng;
    if (!cli_open_engine(models, align, &eng)) { free(gt); free(gidx); free(gs); return 2; }
    static bex_capture_result cap;
    int status = 2;
    int rc = cli_acquire(eng, argv[i], &pol, &cap);
    if (rc != BEX_OK) {
        bex_engine_close(eng);
        free(gt); free(gidx); free(gs);
        return cli_outcome_name(rc) ? 3 : 2;
    }
    static float probe[BEX_TEMPLATE_MAX_DIM];
    memcpy(probe, cap.template_, sizeof probe);
    int dim = cap.dim;
    /* enrol the gallery: an image that fails the policy is a failure to enrol, listed */
    int n = 0;
    char err[512];
    printf("{\"probe\":");
    bex_json_str(stdout, argv[i]);
    printf(",\"not_enrolled\":[");
    int nfte = 0;
    for (int g = 0; g < ng; g++) {
        size_t len = 0;
        char *bytes = cli_read_file(gpath[g], CLI_MAX_PHOTO_BYTES, &len);
        int r = BEX_ERR_IO;
        if (!bytes) snprintf(err, sizeof err, "the file cannot be read");  /* why: on stderr */
        else {
            r = bex_capture_photo(eng, (const uint8_t *)bytes, len, NULL, &pol, &cap, err, sizeof err);
            free(bytes);
            if (r == BEX_OK && !cap.acquired) {
                r = cap.status;
                snprintf(err, sizeof err, "%s", cap.message);
            }
            if (r != BEX_OK) fprintf(stderr, "bex: %s: %s\n", gpath[g], err);
        }
        if (r == BEX_OK) {
            memcpy(gt[n], cap.template_, sizeof gt[n]);
            gidx[n++] = g;
            continue;
        }
        printf("%s{\"image\":", nfte++ ? "," : "");
        bex_json_str(stdout, gpath[g]);
        printf(",\"outcome\":\"%s\",\"message\":", cli_outcome_name(r) ? cli_outcome_name(r) : "error");
        bex_json_str(stdout, err);
        printf("}");
    }
    bex_engine_close(eng);
    printf("],\"gallery_size\":%d", n);
    if (n == 0) {
        printf(",\"error\":\"no gallery image could be enrolled\"}\n");
        fprintf(stderr, "bex: no gallery image could be enrolled\n");
        goto out;
    }
    bex_operating_point op;
    if (bex_operating_point_identify_model(cli_model(), align, fpir, n, &op, err, sizeof err) != BEX_OK) {
        printf(",\"error\":");
        bex_json_str(stdout, err);
        printf("}\n");
        fprintf(stderr, "bex: %s\n", err);
        goto out;
    }
    for (int k = 0; k < n; k++) gs[k] = bex_template_similarity_dim(probe, gt[k], dim);
    /* the top candidates by score: a partial selection sort (galleries here are small) */
    int shown = top < n ? top : n, match = 0;
    printf(",");
    cli_print_operating_point(&op);
    printf(",\"candidates\":[");
    for (int r = 0; r < shown; r++) {
        int best = r;
        for (int k = r + 1; k < n; k++)
            if (gs[k] > gs[best]) best = k;
        float ts = gs[r]; gs[r] = gs[best]; gs[best] = ts;
        int ti = gidx[r]; gidx[r] = gidx[best]; gidx[best] = ti;
        int hit = bex_operating_point_accepts(&op, gs[r]);
        if (r == 0) match = hit;
        printf("%s{\"rank\":%d,\"image\":", r ? "," : "", r + 1);
        bex_json_str(stdout, gpath[gidx[r]]);
        printf(",\"similarity\":%.6f,\"match\":%s}", gs[r], hit ? "true" : "false");
    }
    printf("],\"match\":%s}\n", match ? "true" : "false");
    status = match ? 0 : 1;
out:
    free(gt);
    free(gidx);
    free(gs);
    return status;
}

/* `bex mrz [--today YYYY-MM-DD] [TEXT]`: parse and check an MRZ (TEXT, or standard input:
 * the lines as a reader delivers them). Exit 0 valid, 1 a check digit fails or the document
 * has expired, 2 not an MRZ. */
/* `bex mrz make --number N --state S --nationality S --surname X [--given X] --birth D
 * --sex M|F|X --expiry D [--type P]`: a TD3 MRZ with its check digits, two lines. */
static int cmd_mrz_make(int argc, char **argv) {
    static const char *const keys[] = {"--type", "--state", "--surname", "--given", "--number",
                                       "--nationality", "--birth", "--sex", "--expiry"};
    const char *v[9] = {"P", NULL, NULL, "", NULL, NULL, NULL, NULL, NULL};
    for (int i = 0; i < argc; i++) {
        int k = 0;
        while (k < 9 && strcmp(argv[i], keys[k])) k++;
        if (k == 9 || i + 1 >= argc)
            return cli_usage_error("mrz make takes --number N --state S --nationality S --surname X [--given X] "
                                   "--birth YYYY-MM-DD --sex M|F|X --expiry YYYY-MM-DD [--type P]");
        v[k] = argv[++i];
    }
    for (int k = 0; k < 9; k++)
        if (!v[k]) {
            fprintf(stderr, "bex: mrz make needs %s\n", keys[k]);
            return 2;
        }
    char out[90], err[256];
    if (strlen(v[7]) != 1) return cli_usage_error("--sex is M, F or X");
    if (bex_mrz_make_td3(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7][0], v[8], out, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    printf("%s\n", out);
    return 0;
}

static int cmd_mrz(int argc, char **argv) {
    if (argc > 0 && !strcmp(argv[0], "make")) return cmd_mrz_make(argc - 1, argv + 1);
    const char *today = NULL, *text = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--today") && i + 1 < argc) today = argv[++i];
        else if (!text && argv[i][0] != '-') text = argv[i];
        else return cli_usage_error("mrz takes [--today YYYY-MM-DD] [TEXT] (standard input without TEXT)");
    }
    char buf[512];
    if (!text) {
        size_t n = fread(buf, 1, sizeof buf - 1, stdin);
        buf[n] = 0;
        text = buf;
    }
    char now[16];
    if (!today) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(now, sizeof now, "%Y-%m-%d", &tm);
        today = now;
    }
    if (strlen(today) != 10 || today[4] != '-' || today[7] != '-') {
        fprintf(stderr, "bex: --today takes a date as YYYY-MM-DD\n");
        return 2;
    }
    bex_mrz m;
    char err[256];
    if (bex_mrz_parse_at(text, today, &m, err, sizeof err) != BEX_OK) {
        fprintf(stderr, "bex: %s\n", err);
        return 2;
    }
    static const char *fmts[] = {"", "TD1", "TD2", "TD3", "MRV-A", "MRV-B"};
    int expired = strcmp(m.expiry_date, today) < 0;
    printf("{\"format\":\"%s\",\"document_code\":", fmts[m.format]);
    bex_json_str(stdout, m.doc_code);
    printf(",\"issuing_state\":");
    bex_json_str(stdout, m.issuing_state);
    printf(",\"document_number\":");
    bex_json_str(stdout, m.doc_number);
    printf(",\"surname\":");
    bex_json_str(stdout, m.surname);
    printf(",\"given_names\":");
    bex_json_str(stdout, m.given_names);
    printf(",\"nationality\":");
    bex_json_str(stdout, m.nationality);
    printf(",\"birth_date\":\"%s\",\"sex\":\"%c\",\"expiry_date\":\"%s\",\"expired\":%s,\"optional_data\":",
           m.birth_date, m.sex, m.expiry_date, expired ? "true" : "false");
    bex_json_str(stdout, m.optional1);
    printf(",\"checks_failed\":[");
    for (int i = 0; i < m.n_failed; i++) printf("%s\"%s\"", i ? "," : "", m.failed[i]);
    printf("],\"valid\":%s}\n", m.n_failed || expired ? "false" : "true");
    return m.n_failed || expired ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *models = NULL;
    int i = 1;
    /* whatever bex writes (stores, galleries, gate logs, keys, reports) holds personal data:
     * readable by its owner alone */
    umask(077);
    /* --detector D and --no-flip may stand anywhere: every command that opens the face engine
     * obeys them (bex eval takes --no-flip as its own) */
    if (argc < 2 || strcmp(argv[1], "eval"))
        for (int k = 1; k < argc; k++) {
            if (strcmp(argv[k], "--no-flip")) continue;
            cli_flip = 0;
            memmove(argv + k, argv + k + 1, sizeof *argv * (size_t)(argc - k - 1 + 1)); /* with argv[argc] */
            argc--;
            k--;
        }
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--detector")) continue;
        if (k + 1 >= argc) return cli_usage_error("--detector takes blazeface, blazeface-full or ssd");
        if (!cli_parse_detector(argv[k + 1], &cli_detector)) return 2;
        memmove(argv + k, argv + k + 2, sizeof *argv * (size_t)(argc - k - 2 + 1)); /* with argv[argc] */
        argc -= 2;
        k--;
    }
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--camera")) continue;
        if (k + 1 >= argc || bex_range_parse(argv[k + 1], &cli_range) != BEX_OK)
            return cli_usage_error("--camera takes near (kiosks, e-gates, booths: within about 2 m) or far (halls, "
                                   "boarding areas, vehicle lanes: up to about 5 m)");
        memmove(argv + k, argv + k + 2, sizeof *argv * (size_t)(argc - k - 2 + 1)); /* with argv[argc] */
        argc -= 2;
        k--;
    }
    /* --model FILE may stand anywhere for the record commands (entry, exit, enrol, gate, sync,
     * gallery, serve, ...): their engine and their store both use that model (cli_open_store).
     * embed, verify, identify, index, eval and reenrol read it as an option of their own. */
    {
        int c = 1;
        while (c < argc && argv[c][0] == '-') c += !strcmp(argv[c], "--models") ? 2 : 1;
        static const char *const own[] = {"embed", "verify", "identify", "index", "eval", "reenrol"};
        int theirs = 0;
        for (size_t k = 0; c < argc && k < sizeof own / sizeof *own; k++) theirs |= !strcmp(argv[c], own[k]);
        /* bex eval drift and bex eval calibrate --store work on a store: theirs is the store's model */
        if (theirs && c + 1 < argc && !strcmp(argv[c], "eval") && !strcmp(argv[c + 1], "drift")) theirs = 0;
        for (int k = c + 1; theirs && k < argc && !strcmp(argv[c], "eval"); k++) theirs = strcmp(argv[k], "--store") != 0;
        for (int k = 1; !theirs && k < argc; k++) {
            if (strcmp(argv[k], "--model")) continue;
            if (k + 1 >= argc) return cli_usage_error("--model takes a model description file (docs/models.md)");
            if (cli_model()) return cli_usage_error("--model is given once");
            if (!cli_load_model(argv[k + 1])) return 2;
            memmove(argv + k, argv + k + 2, sizeof *argv * (size_t)(argc - k - 2 + 1)); /* with argv[argc] */
            argc -= 2;
            k--;
        }
    }
    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "--models") && i + 1 < argc) { models = argv[i + 1]; i += 2; }
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(usage, stdout); return 0; }
        else {
            fprintf(stderr, "bex: unknown option '%s' (bex --help shows the usage)\n", argv[i]);
            return 2;
        }
    }
    if (i >= argc) return cli_usage_error("no command given; try bex verify IMG1 IMG2");
    const char *cmd = argv[i++];
    if (!strcmp(cmd, "detect")) return cmd_detect(models, argc - i, argv + i);
    if (!strcmp(cmd, "embed")) return cmd_embed(models, argc - i, argv + i);
    if (!strcmp(cmd, "verify")) return cmd_verify(models, argc - i, argv + i);
    if (!strcmp(cmd, "identify")) return cmd_identify(models, argc - i, argv + i);
    if (!strcmp(cmd, "eval")) return cmd_eval(models, argc - i, argv + i);
    if (!strcmp(cmd, "index")) return cmd_index(models, argc - i, argv + i);
    if (!strcmp(cmd, "mrz")) return cmd_mrz(argc - i, argv + i);
    if (!strcmp(cmd, "doc")) return cmd_doc(argc - i, argv + i);
    if (!strcmp(cmd, "nist")) return cmd_nist(models, argc - i, argv + i);
    if (!strcmp(cmd, "finger")) return cmd_finger(argc - i, argv + i);
    if (!strcmp(cmd, "trust")) return cmd_trust(argc - i, argv + i);
    if (!strcmp(cmd, "quality")) return cmd_quality(models, argc - i, argv + i);
    if (!strcmp(cmd, "simulate")) return cmd_simulate(argc - i, argv + i);
    if (!strcmp(cmd, "serve")) return cmd_serve(models, argc - i, argv + i);
    int rc = cmd_store(models, cmd, argc - i, argv + i);
    if (rc >= 0) return rc;
    if (!strcmp(cmd, "version")) { printf("bex %s\n", BEX_VERSION); return 0; }
    if (!strcmp(cmd, "help")) { fputs(usage, stdout); return 0; }
    fprintf(stderr, "bex: unknown command '%s' (bex --help shows the usage)\n", cmd);
    return 2;
}
