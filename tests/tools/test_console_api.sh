#!/usr/bin/env bash
# test_console_api.sh - the data routes the officer console reads (issue 15), with curl against
# a real `bex serve` on a temporary store of LFW fixture faces: each route's roles (allowed 200,
# others 403), a crossing's live and document photos and a sample's image byte for byte, "not
# retained" once retention keeps no images, the crossing rates by port, age band (a child's and
# an over-79's bands) and sex against the crossings made (and the CLI's report the same), the
# flags' keyset paging, the evaluation's files (listed; ../, encoded slashes and links refused),
# the audit log searched by key, action, time and page, and the keys, gates and retention lists.
# Needs curl and models/.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if ! command -v curl >/dev/null || [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: needs curl and the face models"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
PY=/usr/bin/python3
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$tmp"; testdb_cleanup' EXIT
db=$(testdb_new store "$tmp/bex.db")
D=tests/data/lfw
# key ROLE...: "ID KEY"
key() { "$bex" keys add --db "$db" "$@" | $PY -c 'import json, sys; d = json.load(sys.stdin); print(d["id"], d["key"])'; }
read -r OFF_ID OFFICER <<<"$(key --role officer --label booth)"
read -r _ CARRIER <<<"$(key --role carrier --carrier BX)"
read -r _ ANALYST <<<"$(key --role analyst)"
read -r _ AUDITOR <<<"$(key --role auditor)"
read -r ADM_ID ADMIN <<<"$(key --role admin --label ops)"
[ ${#OFFICER} -eq 64 ] && [ ${#ADMIN} -eq 64 ]; check keys_made $?
"$bex" gate register --db "$db" --device JFK-G1 --port JFK --out "$tmp/g1.key" >/dev/null; check gate_registered $?

# the evaluation's folder: two files served, others not (a secret beside it, a link, a bad name)
ev="$tmp/eval"
mkdir -p "$ev"
printf '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0L1 1"/></svg>\n' >"$ev/det_lfw.svg"
printf 'target,threshold\n0.001,0.42\n' >"$ev/calibration.csv"
printf '{"secret":1}\n' >"$tmp/secret.json"
printf 'x\n' >"$ev/notes.txt"
ln -s "$tmp/secret.json" "$ev/link.json"

"$bex" serve --db "$db" --listen 127.0.0.1:0 --rate 0 --eval-dir "$ev" >"$tmp/serve.out" 2>"$tmp/serve.err" &
SP=$!
for _ in $(seq 200); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")"
# code METHOD PATH KEY [curl args]: the HTTP status; the body in $tmp/body, headers in $tmp/head
code() {
    local m=$1 p=$2 k=$3; shift 3
    local h=()
    [ -n "$k" ] && h=(-H "Authorization: Bearer $k")
    curl -s -o "$tmp/body" -D "$tmp/head" -w '%{http_code}' -X "$m" "${h[@]}" "$@" "$U$p"
}
j() { $PY -c "import json, sys; d = json.load(open('$tmp/body')); $1"; }
mrz() { # NUMBER SURNAME GIVEN BIRTH SEX: the MRZ, URL-encoded
    "$bex" mrz make --number "$1" --state GBR --nationality GBR --surname "$2" --given "$3" --birth "$4" --sex "$5" \
        --expiry 2032-01-01 | $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))'
}

# retention keeps images for a year
[ "$(code POST "/v1/retention?category=images&period=1y" "$ADMIN")" = 200 ]; check retention_images_kept $?

# crossings between 2026-03-01 and 2026-03-05: an adult with her document photo, a child, an
# over-79, an adult man; the first leaves at LAX
q="class=B2&admit_until=2026-04-30&port=JFK&port_kind=air"
st=$(code POST "/v1/entries?mrz=$(mrz 610000001 CHEN LU 1968-12-02 F)&$q&at=2026-03-01T09:00:00Z" "$OFFICER" \
     -F "photo=@$D/Lucy_Liu_0002.jpg" -F "doc_photo=@$D/Lucy_Liu_0003.jpg")
E1=$(j 'print(d["encounter"])'); S1=$(j 'print(d["subject"])')
[ "$st" = 200 ] && [ -n "$E1" ]; check "adult_entry_with_document_photo ($st)" $?
st=$(code POST "/v1/entries?mrz=$(mrz 610000002 KIND KIRA 2015-05-01 F)&$q&at=2026-03-01T09:10:00Z" "$OFFICER" \
     --data-binary @"$D/Kalpana_Chawla_0003.jpg")
[ "$st" = 200 ]; check "child_entry ($st)" $?
st=$(code POST "/v1/entries?mrz=$(mrz 610000003 ELDER RUTH 1933-03-15 F)&$q&at=2026-03-01T09:20:00Z" "$OFFICER" \
     --data-binary @"$D/Ruth_Bader_Ginsburg_0001.jpg")
[ "$st" = 200 ]; check "over_79_entry ($st)" $?
st=$(code POST "/v1/entries?mrz=$(mrz 610000004 POWELL MIKE 1963-03-23 M)&$q&at=2026-03-02T08:00:00Z" "$OFFICER" \
     --data-binary @"$D/Michael_Powell_0002.jpg")
[ "$st" = 200 ]; check "adult_man_entry ($st)" $?
st=$(code POST "/v1/exits?port=LAX&port_kind=air&at=2026-03-05T10:00:00Z" "$OFFICER" --data-binary @"$D/Lucy_Liu_0004.jpg")
[ "$st" = 200 ] && j 'sys.exit(0 if d["outcome"] == "matched" else 1)'; check "adult_exit_matched ($st)" $?

# ---- GET /v1/photo ----
st=$(code GET "/v1/photo?encounter=$E1" "$OFFICER")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$D/Lucy_Liu_0002.jpg" && grep -qi '^content-type: image/jpeg' "$tmp/head"
check "photo_live_bytes_as_captured ($st)" $?
st=$(code GET "/v1/photo?encounter=$E1&kind=document" "$ADMIN")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$D/Lucy_Liu_0003.jpg"; check "photo_document_bytes_as_presented ($st)" $?
code GET "/v1/subject?id=$S1" "$OFFICER" >/dev/null
SMP=$(j 'print([s["id"] for s in d["samples"] if s["source"] == "document"][0])')
st=$(code GET "/v1/photo?sample=$SMP" "$OFFICER")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$D/Lucy_Liu_0003.jpg"; check "photo_of_a_sample ($st)" $?
[ "$(code GET "/v1/photo?encounter=999999" "$OFFICER")" = 404 ]; check photo_unknown_encounter_404 $?
[ "$(code GET "/v1/photo?encounter=$E1&kind=passport" "$OFFICER")" = 400 ] &&
    [ "$(code GET "/v1/photo?encounter=$E1&sample=$SMP" "$OFFICER")" = 400 ] &&
    [ "$(code GET "/v1/photo" "$OFFICER")" = 400 ]; check photo_bad_query_400 $?
# `bex entry --doc-photo` keeps the document photo's bytes too (the same store, beside the server)
"$bex" mrz make --number 610000007 --state GBR --nationality GBR --surname GERBER --given JULIA --birth 1955-08-22 \
    --sex F --expiry 2032-01-01 >"$tmp/mrz7"
"$bex" entry --db "$db" --port JFK --port-kind air --class B2 --admit-until 2026-04-30 --at 2026-03-09T08:00:00Z \
    --photo "$D/Julie_Gerberding_0005.jpg" --doc-photo "$D/Julie_Gerberding_0007.jpg" --mrz "$(cat "$tmp/mrz7")" >"$tmp/e7.json"
E7=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))["encounter"])' "$tmp/e7.json")
st=$(code GET "/v1/photo?encounter=$E7&kind=document" "$OFFICER")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$D/Julie_Gerberding_0007.jpg"; check "cli_entry_keeps_document_photo ($st)" $?
st=$(code GET "/v1/photo?encounter=$E7" "$OFFICER")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$D/Julie_Gerberding_0005.jpg"; check "cli_entry_keeps_live_photo ($st)" $?
# a chip's JPEG 2000 photo (no face in it: kept with its encounter) as kept, and as PNG (as=png)
# for a browser, converted by bex's own decoders: the JP2's size; a JPEG as PNG too; as=gif 400
st=$(code POST "/v1/entries?mrz=$(mrz 610000009 JAY PEG 1970-01-01 M)&$q&at=2026-03-10T09:00:00Z" "$OFFICER" \
     -F "photo=@$D/Arminio_Fraga_0003.jpg" -F "doc_photo=@tests/data/image/rgb.jp2")
EJ=$(j 'print(d["encounter"])')
st=$(code GET "/v1/photo?encounter=$EJ&kind=document" "$OFFICER")
[ "$st" = 200 ] && grep -qi '^content-type: image/jp2' "$tmp/head" && cmp -s "$tmp/body" tests/data/image/rgb.jp2
check "photo_jp2_as_kept ($st)" $?
st=$(code GET "/v1/photo?encounter=$EJ&kind=document&as=png" "$OFFICER")
[ "$st" = 200 ] && grep -qi '^content-type: image/png' "$tmp/head" && $PY - "$tmp/body" tests/data/image/rgb.jp2 <<'EOF2'
import struct, sys
png, jp2 = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", png[:16]
w, h = struct.unpack(">II", png[16:24])
i = jp2.index(b"ihdr")
jh, jw = struct.unpack(">II", jp2[i + 4:i + 12])
assert (w, h) == (jw, jh) and png[24] == 8 and png[25] == 2, (w, h, jw, jh)
EOF2
check "photo_jp2_as_png ($st)" $?
st=$(code GET "/v1/photo?encounter=$EJ&as=png" "$OFFICER")
[ "$st" = 200 ] && grep -qi '^content-type: image/png' "$tmp/head"; check "photo_jpeg_as_png ($st)" $?
[ "$(code GET "/v1/photo?encounter=$EJ&as=gif" "$OFFICER")" = 400 ]; check photo_as_other_400 $?
# retention keeps no images: a later crossing's photo is not retained
[ "$(code POST "/v1/retention?category=images&seconds=0" "$ADMIN")" = 200 ]; check retention_images_none $?
st=$(code POST "/v1/entries?mrz=$(mrz 610000005 GLAVINE TOM 1966-03-25 M)&$q&at=2026-03-02T09:00:00Z" "$OFFICER" \
     --data-binary @"$D/Tom_Glavine_0001.jpg")
E5=$(j 'print(d["encounter"])')
st=$(code GET "/v1/photo?encounter=$E5" "$OFFICER")
[ "$st" = 404 ] && j 'sys.exit(0 if d == {"error": "not retained", "retained": False} else 1)'
check "photo_not_retained_404 ($st)" $?
[ "$(code GET "/v1/photo?encounter=$E5&kind=document" "$OFFICER")" = 404 ] && grep -q '"not retained"' "$tmp/body"
check photo_document_not_retained $?

# ---- GET /v1/reports/rates ----
R="/v1/reports/rates?from=2026-03-01&to=2026-03-05"
st=$(code GET "$R&by=age_band" "$ANALYST")
[ "$st" = 200 ] && j '
r = {x["key"]: x for x in d["rows"]}
assert [x["key"] for x in d["rows"]] == ["0-13", "14-17", "18-64", "65-79", "80+", "unknown"], d
assert (r["0-13"]["entries"], r["0-13"]["exits"]) == (1, 0), r["0-13"]
assert (r["80+"]["entries"], r["80+"]["crossings"]) == (1, 1), r["80+"]
assert (r["18-64"]["entries"], r["18-64"]["exits"], r["18-64"]["crossings"]) == (3, 1, 4), r["18-64"]
assert r["14-17"]["crossings"] == 0 and r["14-17"]["capture_rate"] is None and r["65-79"]["crossings"] == 0
assert r["18-64"]["captured"] == 4 and r["18-64"]["no_photo"] == 0 and r["18-64"]["capture_rate"] == 1
assert r["18-64"]["matched"] >= 2, r["18-64"]
assert d["by"] == "age_band" and d["from"] == "2026-03-01" and d["to"] == "2026-03-05"'
check "rates_by_age_band_child_and_over_79 ($st)" $?
st=$(code GET "$R&by=port" "$ADMIN")
[ "$st" = 200 ] && j '
r = {x["key"]: x for x in d["rows"]}
assert list(r) == ["JFK", "LAX"], d
assert (r["JFK"]["entries"], r["JFK"]["exits"]) == (5, 0) and (r["LAX"]["exits"], r["LAX"]["matched"]) == (1, 1), d'
check "rates_by_port ($st)" $?
st=$(code GET "$R&by=sex" "$ANALYST")
[ "$st" = 200 ] && j '
r = {x["key"]: x["crossings"] for x in d["rows"]}
assert r == {"F": 4, "M": 2, "X": 0, "unknown": 0}, r'
check "rates_by_sex ($st)" $?
st=$(code GET "$R&by=day" "$ANALYST")
[ "$st" = 200 ] && j '
r = {x["key"]: x["crossings"] for x in d["rows"]}
assert r == {"2026-03-01": 3, "2026-03-02": 2, "2026-03-05": 1}, r'
check "rates_by_day ($st)" $?
cp "$tmp/body" "$tmp/rates_http.json"
"$bex" report rates --db "$db" --from 2026-03-01 --to 2026-03-05 --by day >"$tmp/rates_cli.json"
cmp -s "$tmp/rates_cli.json" "$tmp/rates_http.json"; check rates_cli_answers_as_the_service $?
[ "$(code GET "/v1/reports/rates?from=2026-03-01&to=2027-12-31" "$ANALYST")" = 400 ] &&
    [ "$(code GET "/v1/reports/rates?from=2026-03-05&to=2026-03-01" "$ANALYST")" = 400 ] &&
    [ "$(code GET "/v1/reports/rates?from=2026-03-01&to=2026-03-05&by=nationality" "$ANALYST")" = 400 ] &&
    [ "$(code GET "/v1/reports/rates?from=yesterday&to=2026-03-05" "$ANALYST")" = 400 ]
check rates_bad_range_400 $?

# ---- GET /v1/flags: keyset paging ----
# three flags: an impostor at entry, two exits nobody matches
code POST "/v1/entries?mrz=$(mrz 610000006 FAKE ANNA 1970-01-01 F)&$q&at=2026-03-10T08:00:00Z" "$OFFICER" \
    -F "photo=@$D/Kalpana_Chawla_0004.jpg" -F "doc_photo=@$D/Lucy_Liu_0004.jpg" >/dev/null
code POST "/v1/exits?port=JFK&at=2026-03-10T09:00:00Z" "$OFFICER" --data-binary @"$D/Wayne_Ferreira_0001.jpg" >/dev/null
code POST "/v1/exits?port=JFK&at=2026-03-10T10:00:00Z" "$OFFICER" --data-binary @"$D/Vernon_Forrest_0001.jpg" >/dev/null
st=$(code GET "/v1/flags?limit=1" "$ANALYST")
N1=$(j 'print(d["next_before"])'); F1=$(j 'print(d["flags"][0]["id"])'); TOTAL=$(j 'print(d["total"])')
[ "$st" = 200 ] && [ "$TOTAL" -ge 3 ] && [ "$N1" = "$F1" ]; check "flags_first_page_next_before ($st, total $TOTAL)" $?
ids="$F1"; nb=$N1; pages=1
while [ "$nb" != None ] && [ $pages -lt 50 ]; do
    code GET "/v1/flags?limit=1&before=$nb" "$ANALYST" >/dev/null
    ids="$ids $(j 'print(" ".join(str(f["id"]) for f in d["flags"]))')"
    [ "$(j 'print(d["total"])')" = "$TOTAL" ] || ids="$ids total-changed"
    nb=$(j 'print(d["next_before"])'); pages=$((pages + 1))
done
$PY -c 'import sys; v = sys.argv[2].split(); ids = [int(x) for x in v]
assert len(ids) == int(sys.argv[1]) and ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), v' "$TOTAL" "$ids"
check "flags_keyset_pages_cover_all_newest_first ($pages pages)" $?
st=$(code GET "/v1/flags?kind=not_matched&limit=1" "$OFFICER")
[ "$st" = 200 ] && j 'assert d["total"] >= 2 and d["next_before"] and all(f["kind"] == "not_matched" for f in d["flags"])'
check "flags_keyset_with_a_filter ($st)" $?
[ "$(code GET "/v1/flags?before=0" "$ANALYST")" = 400 ] && [ "$(code GET "/v1/flags?before=5&offset=2" "$ANALYST")" = 400 ]
check flags_bad_before_400 $?

# ---- the evaluation's files ----
st=$(code GET /v1/eval/files "$ANALYST")
[ "$st" = 200 ] && j '
n = [f["name"] for f in d["files"]]
assert n == ["calibration.csv", "det_lfw.svg"], n
assert d["files"][1]["type"] == "image/svg+xml" and d["files"][0]["bytes"] == 28, d'
check "eval_files_listed_links_and_others_left_out ($st)" $?
st=$(code GET "/v1/eval/file?name=det_lfw.svg" "$ADMIN")
[ "$st" = 200 ] && cmp -s "$tmp/body" "$ev/det_lfw.svg" && grep -qi '^content-type: image/svg+xml' "$tmp/head"
check "eval_file_served ($st)" $?
bad=0
for n in ../secret.json ..%2Fsecret.json %2E%2E%2Fsecret.json ..%5Csecret.json %2Ftmp%2Fsecret.json notes.txt \
         .hidden.json ""; do
    st=$(code GET "/v1/eval/file?name=$n" "$ANALYST")
    if [ "$st" != 400 ] || grep -q secret "$tmp/body"; then echo "  name=$n: $st"; bad=1; fi
done
check eval_file_traversal_refused_400 $bad
st=$(code GET "/v1/eval/file?name=link.json" "$ANALYST")
[ "$st" = 404 ] && ! grep -q secret "$tmp/body"; check "eval_file_link_not_followed ($st)" $?
[ "$(code GET "/v1/eval/file?name=none.csv" "$ANALYST")" = 404 ]; check eval_file_missing_404 $?

# ---- GET /v1/audit ----
st=$(code GET "/v1/audit?key=$OFF_ID&action=read_photo" "$AUDITOR")
[ "$st" = 200 ] && j "
assert len(d['rows']) >= 4, d
assert all(r['key_id'] == $OFF_ID and r['action'] == 'read_photo' and r['actor'].startswith('key:$OFF_ID ') for r in d['rows'])
assert [r['id'] for r in d['rows']] == sorted((r['id'] for r in d['rows']), reverse=True)
assert any(r['object'].startswith('encounter $E1 ') for r in d['rows'])
assert d['next_before'] is None"
check "audit_search_by_key_and_action ($st)" $?
st=$(code GET "/v1/audit?key=$ADM_ID&action=read_photo" "$ADMIN")
[ "$st" = 200 ] && j "assert len(d['rows']) == 1 and d['rows'][0]['key_id'] == $ADM_ID and 'document' in d['rows'][0]['detail']"
check "audit_search_admin_read_photo ($st)" $?
st=$(code GET "/v1/audit?limit=2" "$AUDITOR")
A2=$(j 'print(d["next_before"])'); L2=$(j 'print(d["rows"][1]["id"])')
[ "$st" = 200 ] && [ "$A2" = "$L2" ]; check "audit_first_page ($st)" $?
st=$(code GET "/v1/audit?limit=2&before=$A2" "$AUDITOR")
[ "$st" = 200 ] && j "assert len(d['rows']) == 2 and all(r['id'] < $A2 for r in d['rows'])"; check "audit_next_page ($st)" $?
[ "$(code GET "/v1/audit?since=2099-01-01" "$AUDITOR")" = 200 ] && j 'assert d["rows"] == [] and d["next_before"] is None' &&
    [ "$(code GET "/v1/audit?until=2000-01-01" "$AUDITOR")" = 200 ] && j 'assert d["rows"] == []' &&
    [ "$(code GET "/v1/audit?since=2000-01-01&action=report_rates" "$AUDITOR")" = 200 ] &&
    j 'assert len(d["rows"]) >= 4 and all(r["action"] == "report_rates" for r in d["rows"])'
check audit_search_by_time $?
[ "$(code GET "/v1/audit?limit=501" "$AUDITOR")" = 400 ] && [ "$(code GET "/v1/audit?since=soon" "$AUDITOR")" = 400 ] &&
    [ "$(code GET "/v1/audit?key=x" "$AUDITOR")" = 400 ]; check audit_bad_query_400 $?
st=$(code GET /v1/audit/verify "$ADMIN")
[ "$st" = 200 ] && j 'assert d["ok"] is True and len(d["head"]) == 64 and d["entries"] > 0'; check "audit_verify_head ($st)" $?

# ---- keys, gates, retention ----
st=$(code GET /v1/keys "$ADMIN")
[ "$st" = 200 ] && j "
k = {x['id']: x for x in d['keys']}
assert len(k) == 5 and k[$OFF_ID]['role'] == 'officer' and k[$OFF_ID]['label'] == 'booth' and k[$OFF_ID]['revoked_at'] is None
assert any(x['carrier'] == 'BX' for x in d['keys'])" && ! grep -q "$OFFICER" "$tmp/body"
check "keys_listed_without_secrets ($st)" $?
st=$(code GET /v1/gates "$ADMIN")
[ "$st" = 200 ] && j 'assert [(g["name"], g["port"], g["revoked_at"]) for g in d["gates"]] == [("JFK-G1", "JFK", None)] and d["gates"][0]["registered_at"]'
check "gates_listed ($st)" $?
st=$(code GET /v1/retention "$ADMIN")
[ "$st" = 200 ] && j 'r = d["retention"]; assert r["images"] == {"seconds": 0} and r["citizen_biometrics"] == {"seconds": 43200} and set(r) == {"citizen_biometrics", "unmatched_captures", "images", "records", "overstayer_records"}, r'
check "retention_listed ($st)" $?

# ---- the roles of every new route: allowed 200, others 403 ----
#                                             officer carrier analyst auditor admin
matrix="/v1/photo?encounter=$E1                     y n n n y
/v1/reports/rates?from=2026-03-01&to=2026-03-05 n n y n y
/v1/eval/files                                  n n y n y
/v1/eval/file?name=calibration.csv              n n y n y
/v1/audit?limit=1                               n n n y y
/v1/audit/verify                                n n n y y
/v1/keys                                        n n n n y
/v1/gates                                       n n n n y
/v1/retention                                   n n n n y
/v1/flags?limit=1&before=$N1                    y n y n n"
keys=("$OFFICER" "$CARRIER" "$ANALYST" "$AUDITOR" "$ADMIN")
names=(officer carrier analyst auditor admin)
bad=0
while read -r p a b c d e; do
    want=("$a" "$b" "$c" "$d" "$e")
    for i in 0 1 2 3 4; do
        got=$(code GET "$p" "${keys[$i]}")
        w=403; [ "${want[$i]}" = y ] && w=200
        if [ "$got" != "$w" ]; then echo "  GET $p as ${names[$i]}: $got, want $w"; bad=1; fi
    done
done <<<"$matrix"
check role_matrix_console_routes $bad
[ "$(code GET "/v1/photo?encounter=$E1" "")" = 401 ]; check photo_without_key_401 $?

# nothing of a traveller in the service's output
! grep -qi -e CHEN -e KIRA -e ELDER -e POWELL "$tmp/serve.out" "$tmp/serve.err"; check no_names_logged $?
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null; SP=
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
