#!/usr/bin/env bash
# test_serve.sh - `bex serve` against a real server on loopback, with curl: health and metrics,
# keys (none, unknown, revoked), the role matrix (each role on each route: allowed or 403), a
# carrier that learns only the decision for its own departures (no takeover of another's
# departure, no templates for travellers it cannot name as recorded, no store ids in its gallery,
# no match and no closed stay for a traveller off its manifest, no time of its own; issue 12,
# cases 1 to 3), an admin who reassigns a departure, a full arrival and departure
# by an officer, bad input answered 4xx while the server keeps serving, the bounded queue's 503
# with Retry-After, denials in the audit log, and a graceful stop that finishes what is in
# flight; a chip photo with no face (its own outcome, referred), and officer case work (merge, its
# undo, reclassify, erase) checked for its effect and its audit row. Needs curl; models/ for the photo routes.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database for the store, read with psql; skipped with the reason when there is no server).
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
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; testdb_cleanup' EXIT
db=$(testdb_new serve "$tmp/bex.db")
# have_q: the store can be inspected (sqlite3 on SQLite; psql, checked by testdb_init, on PostgreSQL)
have_q() { testdb_is_pg || command -v sqlite3 >/dev/null; }
D=tests/data/lfw
key() { "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
OFFICER=$(key --role officer --label booth)
CARRIER=$(key --role carrier --carrier BX)
OTHER=$(key --role carrier --carrier ZZ)
ANALYST=$(key --role analyst)
AUDITOR=$(key --role auditor)
ADMIN=$(key --role admin)
REVOKED=$(key --role officer)
"$bex" keys revoke --db "$db" 7 >/dev/null; check key_revoked $?
"$bex" gate register --db "$db" --device JFK-G1 --port JFK --out "$tmp/g1.key" >/dev/null; check gate_registered $?
[ ${#OFFICER} -eq 64 ] && [ ${#CARRIER} -eq 64 ]; check keys_made $?
"$bex" keys list --db "$db" | grep -q "$OFFICER"; [ $? -ne 0 ]; check keys_list_shows_no_secret $?

# start: one server, any free port; prints where it listens
start() { # start OUTFILE [serve options]: sets $U and $SP
    local out=$1; shift
    "$bex" serve --db "$db" --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
    SP=$!
    pids+=("$SP")
    for _ in $(seq 100); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
    U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$out")"
}
start "$tmp/serve.out"
# code METHOD PATH KEY [curl args]: the HTTP status; the body in $tmp/body
code() {
    local m=$1 p=$2 k=$3; shift 3
    local h=()
    [ -n "$k" ] && h=(-H "Authorization: Bearer $k")
    curl -s -o "$tmp/body" -w '%{http_code}' -X "$m" "${h[@]}" "$@" "$U$p"
}

[ "$(code GET /v1/health "")" = 200 ] && grep -q '"status":"ok"' "$tmp/body"; check health_without_key $?
[ "$(code GET /metrics "")" = 200 ] && grep -q '^bex_requests_total ' "$tmp/body"; check metrics_prometheus $?
[ "$(code GET /v1/openapi.json "")" = 200 ] && cmp -s "$tmp/body" docs/openapi.json; check openapi_served_as_in_repo $?
# the document against the real routes: every route in serve.c's table is documented, and
# every documented method and path exists on the running server (not 404 or 405)
src=$(sed -n 's/^ *{"\(GET\|POST\|PUT\|DELETE\)", "\([^"]*\)",.*/\1 \2/p' server/routes.c | sort)
doc=$(python3 -c 'import json
d = json.load(open("docs/openapi.json"))
for p, ops in d["paths"].items():
    for m in ops: print(m.upper(), p)' | sort)
[ -n "$src" ] && [ "$src" = "$doc" ]; check "openapi_matches_route_table ($(wc -l <<<"$src") routes)" $?
bad=0
while read -r m p; do
    st=$(code "$m" "$p" "$OFFICER")
    if [ "$st" = 404 ] || [ "$st" = 405 ]; then echo "  $m $p: $st"; bad=1; fi
done <<<"$doc"
check openapi_routes_exist_on_server $bad
[ "$(code GET /v1/flags "")" = 401 ]; check no_key_401 $?
[ "$(code GET /v1/flags "0000000000000000000000000000000000000000000000000000000000000000")" = 401 ]
check unknown_key_401 $?
[ "$(code GET /v1/flags "$REVOKED")" = 401 ]; check revoked_key_401 $?
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $ANALYST" "$U/v1/flags")" = 200 ]; check x_api_key_header $?

# the role matrix: ROUTE (method path) and, per role, y (allowed: neither 401 nor 403) or n (403)
#                   officer carrier analyst auditor admin
matrix="POST /v1/exits         y y n n n
POST /v1/entries       y n n n n
POST /v1/decide        y n n n n
POST /v1/override      y n n n n
POST /v1/flags/status  y n n n n
GET  /v1/lookup        y n n n n
POST /v1/merge         y n n n n
POST /v1/merge/undo    y n n n n
POST /v1/reclassify    y n n n n
POST /v1/erase         y n n n n
GET  /v1/settings      n n n n y
POST /v1/settings      n n n n y
POST /v1/manifests     y y n n n
GET  /v1/overstays     y n y n n
GET  /v1/flags         y n y n n
GET  /v1/subject       y n n n n
POST /v1/verify        y n n n n
POST /v1/identify      y n n n n
POST /v1/purge         n n n n y
GET  /v1/encounter     y n n n n
POST /v1/galleries     y y n n n
POST /v1/departures/reassign n n n n y
POST /v1/keys          n n n n y
POST /v1/keys/revoke   n n n n y
POST /v1/retention     n n n n y
GET  /v1/audit/verify  n n n y y
GET  /v1/audit         n n n y y
GET  /v1/photo         y n n n y
GET  /v1/finger/image  y n n n n
GET  /v1/candidates    y n n n y
GET  /v1/reports/rates n n y n y
GET  /v1/eval/files    n n y n y
GET  /v1/eval/file     n n y n y
GET  /v1/keys          n n n n y
GET  /v1/gates         n n n n y
GET  /v1/retention     n n n n y"
keys=("$OFFICER" "$CARRIER" "$ANALYST" "$AUDITOR" "$ADMIN")
names=(officer carrier analyst auditor admin)
bad=0
while read -r m p a b c d e; do
    want=("$a" "$b" "$c" "$d" "$e")
    for i in 0 1 2 3 4; do
        got=$(code "$m" "$p" "${keys[$i]}")
        if [ "${want[$i]}" = n ] && [ "$got" != 403 ]; then echo "  $m $p as ${names[$i]}: $got, want 403"; bad=1; fi
        if [ "${want[$i]}" = y ] && { [ "$got" = 403 ] || [ "$got" = 401 ]; }; then
            echo "  $m $p as ${names[$i]}: $got, want allowed"; bad=1; fi
    done
done <<<"$matrix"
check role_matrix $bad

# an officer: a full arrival (raw JPEG body, MRZ as a query parameter) and a departure
mrz=$("$bex" mrz make --number 530000001 --state GBR --nationality GBR --surname OKAFOR --given ADA \
      --birth 1971-08-16 --sex F --expiry 2032-01-01 | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')
st=$(code POST "/v1/entries?mrz=$mrz&class=B2&admit_until=2026-03-31&port=JFK&port_kind=air&at=2026-03-01T08:00:00Z" \
     "$OFFICER" --data-binary @"$D/Angela_Bassett_0004.jpg")
[ "$st" = 200 ] && grep -q '"outcome":"enrolled"' "$tmp/body"; check "officer_full_arrival ($st)" $?
subj=$(sed -n 's/.*"subject":\([0-9]*\),.*/\1/p' "$tmp/body")
# another visitor, who flies with no carrier of this test
mrzv=$("$bex" mrz make --number 540000003 --state CAN --nationality CAN --surname GERBERDING --given JULIE \
       --birth 1955-08-22 --sex F --expiry 2032-01-01 | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')
st=$(code POST "/v1/entries?mrz=$mrzv&class=B2&admit_until=2026-03-20&port=JFK&port_kind=air&at=2026-03-01T08:30:00Z" \
     "$OFFICER" --data-binary @"$D/Julie_Gerberding_0005.jpg")
vsubj=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["subject"])' "$tmp/body")
[ "$st" = 200 ] && [ -n "$vsubj" ]; check "officer_second_arrival ($st)" $?
# BX's manifest: the visitor's passport number under a made-up name first (issue 12, case 2),
# then OKAFOR as recorded
cat >"$tmp/m.json" <<EOF
{"departure":"BX1-2026-03-02","carrier":"BX","voyage":"BX1","port":"JFK","port_kind":"air",
 "scheduled":"2026-03-02T18:00:00Z","travellers":[{"issuing_state":"CAN","number":"540000003","surname":"SMITH",
 "given_names":"JANE","birth_date":"1955-08-22"},{"issuing_state":"GBR","number":"530000001","surname":"OKAFOR",
 "given_names":"ADA","birth_date":"1971-08-16"}]}
EOF
st=$(code POST /v1/manifests "$CARRIER" --data-binary @"$tmp/m.json")
[ "$st" = 200 ] && grep -qx '{"departure":"BX1-2026-03-02","travellers":2}' "$tmp/body"
check "carrier_loads_own_manifest_learns_count_only ($st)" $?
[ "$(code GET "/v1/flags?kind=manifest_mismatch" "$OFFICER")" = 200 ] && grep -q '"departure":"BX1-2026-03-02"' "$tmp/body" &&
    grep -q "\"subjects\":\[$vsubj\]" "$tmp/body"
check officer_sees_manifest_mismatch_flag $?
sed 's/"carrier":"BX"/"carrier":"ZZ"/' "$tmp/m.json" >"$tmp/m2.json"
[ "$(code POST /v1/manifests "$CARRIER" --data-binary @"$tmp/m2.json")" = 403 ]; check carrier_other_manifest_403 $?
# issue 12, case 1: ZZ posts a manifest of BX's departure under its own code: refused, BX keeps it
[ "$(code POST /v1/manifests "$OTHER" --data-binary @"$tmp/m2.json")" = 403 ] &&
    [ "$(code POST /v1/manifests "$OFFICER" --data-binary @"$tmp/m2.json")" = 403 ] &&
    [ "$(code POST "/v1/galleries?departure=BX1-2026-03-02&device=JFK-G1" "$OTHER")" = 403 ] &&
    [ "$(code POST "/v1/galleries?departure=BX1-2026-03-02&device=JFK-G1" "$CARRIER")" = 200 ]
check carrier_cannot_take_over_another_carriers_departure $?
# the gate's gallery for a registered offline gate, and the gate deciding from it: OKAFOR as
# traveller 2 of the manifest, no store subject id; the visitor listed under another name is
# not in it
[ "$(code POST "/v1/galleries?departure=BX1-2026-03-02&device=JFK-G1" "$CARRIER")" = 200 ] &&
    cp "$tmp/body" "$tmp/bx1.gallery" &&
    "$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/g1.key" --departure BX1-2026-03-02 \
        --at 2026-03-02T17:00:00Z --photo "$D/Angela_Bassett_0005.jpg" | grep -q '"decision":"match","traveller":2,'
check carrier_downloads_sealed_gallery_gate_decides_offline $?
out=$("$bex" gallery build --db "$db" BX1-2026-03-02 --device JFK-G1 --out "$tmp/bx1b.gallery")
[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["subjects"])' "$out")" = 1 ] &&
    "$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/g1.key" --departure BX1-2026-03-02 \
        --at 2026-03-02T17:00:00Z --photo "$D/Julie_Gerberding_0007.jpg" | grep -q '"decision":"no_match"' &&
    ! "$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/g1.key" --departure BX1-2026-03-02 \
        --at 2026-03-02T17:00:00Z --photo "$D/Angela_Bassett_0005.jpg" | grep -q "\"traveller\":$subj,"
check gallery_holds_no_mismatched_traveller_and_no_store_id $?
[ "$(code POST "/v1/galleries?departure=BX1-2026-03-02" "$CARRIER")" = 400 ]; check gallery_without_device_400 $?
[ "$(code POST "/v1/galleries?departure=BX1-2026-03-02&device=NOPE" "$CARRIER")" = 404 ]; check gallery_unknown_device_404 $?
[ "$(code POST "/v1/galleries?departure=BX1-2026-03-02&device=JFK-G1" "$OTHER")" = 403 ]; check carrier_other_gallery_403 $?
[ "$(code POST "/v1/galleries?departure=NOPE&device=JFK-G1" "$OFFICER")" = 404 ]; check unknown_departure_gallery_404 $?
# the carrier's boarding gate: the decision and a transaction id, nothing about the person; the
# time is the service's clock and the port the departure's (issue 12, case 3: no back-dating)
[ "$(code POST "/v1/exits?port=JFK&departure=BX1-2026-03-02&at=2026-03-02T17:30:00Z" "$CARRIER" \
     --data-binary @"$D/Angela_Bassett_0005.jpg")" = 400 ] && grep -q "clock" "$tmp/body"
check carrier_exit_time_is_the_services $?
[ "$(code POST "/v1/exits?port=LAX&departure=BX1-2026-03-02" "$CARRIER" --data-binary @"$D/Angela_Bassett_0005.jpg")" = 400 ]
check carrier_exit_port_is_the_departures $?
st=$(code POST "/v1/exits?port=JFK&departure=BX1-2026-03-02" "$CARRIER" \
     --data-binary @"$D/Angela_Bassett_0005.jpg")
[ "$st" = 200 ] && grep -qx '{"transaction":[0-9]*,"decision":"match"}' "$tmp/body"
check "carrier_learns_decision_only ($st: $(cat "$tmp/body"))" $?
tx=$(sed -n 's/^{"transaction":\([0-9]*\),.*/\1/p' "$tmp/body")
# issue 12, case 3: the visitor, not on BX's manifest, at BX's gate: no match for the carrier;
# the officer's record holds the candidate, flagged; her stay is not closed on the carrier's word
st=$(code POST "/v1/exits?departure=BX1-2026-03-02" "$CARRIER" --data-binary @"$D/Julie_Gerberding_0007.jpg")
[ "$st" = 200 ] && grep -qx '{"transaction":[0-9]*,"decision":"no_match"}' "$tmp/body"
check "carrier_no_match_for_traveller_off_its_manifest ($st: $(cat "$tmp/body"))" $?
vtx=$(sed -n 's/^{"transaction":\([0-9]*\),.*/\1/p' "$tmp/body")
[ "$(code GET "/v1/encounter?id=$vtx" "$OFFICER")" = 200 ] && grep -q '"kind":"not_on_manifest"' "$tmp/body" &&
    grep -q '"subject":null' "$tmp/body" && grep -q '"outcome":"not_matched"' "$tmp/body" &&
    [ "$(code GET "/v1/flags?kind=not_on_manifest" "$OFFICER")" = 200 ] && grep -q "\"subjects\":\[$vsubj\]" "$tmp/body" &&
    [ "$(code GET "/v1/subject?id=$vsubj" "$OFFICER")" = 200 ] && grep -q '"exit":null' "$tmp/body"
check officer_record_keeps_candidate_stay_stays_open $?
[ "$(code GET "/v1/overstays?as_of=$(date -u +%Y-%m-%d)" "$ANALYST")" = 200 ] &&
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["overstays"] if r["subject"] == int(sys.argv[2])]
sys.exit(0 if rows and rows[0]["status"] == "in_country" and rows[0]["exit"] is None else 1)' "$tmp/body" "$vsubj"
check carrier_exit_removes_nobody_from_overstay_report $?
# an admin reassigns a departure: the list BX declared is dropped, ZZ owns it and loads its own
sed 's/BX1-2026-03-02/BX9-2026-03-02/' "$tmp/m.json" >"$tmp/m9.json"
[ "$(code POST /v1/manifests "$CARRIER" --data-binary @"$tmp/m9.json")" = 200 ] &&
    [ "$(code POST "/v1/departures/reassign?departure=BX9-2026-03-02&carrier=ZZ" "$ADMIN")" = 200 ] &&
    grep -q '"travellers_dropped":2' "$tmp/body" &&
    [ "$(code POST "/v1/galleries?departure=BX9-2026-03-02&device=JFK-G1" "$CARRIER")" = 403 ] &&
    [ "$(code POST "/v1/galleries?departure=BX9-2026-03-02&device=JFK-G1" "$OTHER")" = 200 ] &&
    [ "$(code POST /v1/manifests "$CARRIER" --data-binary @"$tmp/m9.json")" = 403 ] &&
    [ "$(code POST "/v1/departures/reassign?departure=NOPE&carrier=ZZ" "$ADMIN")" = 400 ] &&
    [ "$(code POST "/v1/departures/reassign?departure=BX9-2026-03-02&carrier=zz" "$ADMIN")" = 400 ]
check admin_reassigns_departure $?
[ "$(code POST "/v1/exits?port=JFK&departure=BX1-2026-03-02" "$OTHER" --data-binary @"$D/Angela_Bassett_0005.jpg")" = 403 ]
check carrier_other_departure_403 $?
[ "$(code POST "/v1/exits?port=JFK" "$CARRIER" --data-binary @"$D/Angela_Bassett_0005.jpg")" = 400 ]
check carrier_exit_needs_departure $?
st=$(code POST "/v1/exits?port=JFK&at=2026-03-03T09:00:00Z" "$OFFICER" --data-binary @"$D/Angela_Bassett_0005.jpg")
[ "$st" = 200 ] && grep -q "\"subject\":$subj," "$tmp/body" && grep -q '"outcome":"matched"' "$tmp/body"
check "officer_exit_full_answer ($st)" $?
# a vehicle lane: three faces in one photo, each an exit of its own (all_faces=1); without it, refused
st=$(code POST "/v1/exits?port=JFK&all_faces=1&at=2026-03-03T10:00:00Z" "$OFFICER" --data-binary @"$D/lane_three_faces.jpg")
[ "$st" = 200 ] && grep -q '"faces":3' "$tmp/body" && [ "$(grep -o '{"encounter":' "$tmp/body" | wc -l)" = 3 ] &&
    [ "$(code POST "/v1/exits?port=JFK&at=2026-03-03T10:01:00Z" "$OFFICER" --data-binary @"$D/lane_three_faces.jpg")" = 200 ] &&
    grep -q '"outcome":"no_photo"' "$tmp/body" && grep -q '"several_faces"' "$tmp/body"
check "vehicle_lane_all_faces_over_http ($st)" $?
# the carrier's transaction, looked up by an officer: the exit and the admission it closed
[ "$(code GET "/v1/encounter?id=$tx" "$OFFICER")" = 200 ] && grep -q '"direction":"exit"' "$tmp/body" &&
    grep -q '"departure":"BX1-2026-03-02"' "$tmp/body" && grep -q "\"exit\":$tx," "$tmp/body"
check officer_looks_up_carrier_transaction $?
[ "$(code GET "/v1/encounter?id=99999" "$OFFICER")" = 404 ]; check unknown_encounter_404 $?
[ "$(code GET "/v1/overstays?as_of=2026-06-30" "$ANALYST")" = 200 ] && grep -q '"totals"' "$tmp/body"
check analyst_overstay_report $?
[ "$(code GET "/v1/subject?id=$subj" "$OFFICER")" = 200 ] && grep -q '"surname":"OKAFOR"' "$tmp/body" &&
    grep -q '"direction":"exit"' "$tmp/body" && ! grep -q template "$tmp/body"
check officer_looks_up_subject $?
[ "$(code GET "/v1/subject?id=99999" "$OFFICER")" = 404 ]; check unknown_subject_404 $?
[ "$(code POST /v1/verify "$OFFICER" -F "a=@$D/Lucy_Liu_0002.jpg" -F "b=@$D/Lucy_Liu_0004.jpg")" = 200 ] &&
    grep -q '"match":true,"operating_point":"FMR 0.001"' "$tmp/body"; check verify_same_person $?
[ "$(code POST /v1/verify "$OFFICER" -F "a=@$D/Lucy_Liu_0002.jpg" -F "b=@$D/Mick_Jagger_0001.jpg")" = 200 ] &&
    grep -q '"match":false' "$tmp/body"; check verify_two_people $?
[ "$(code POST /v1/verify "$OFFICER" -F "a=@$D/Lucy_Liu_0002.jpg" -F "b=@$D/../image/gray.pgm")" = 422 ] &&
    grep -q 'photo b: no face' "$tmp/body"; check verify_unusable_photo_422 $?
[ "$(code POST "/v1/purge?as_of=2026-03-01T00:00:00Z" "$ADMIN")" = 200 ] && grep -q '"deleted"' "$tmp/body"
check admin_purges $?
[ "$(code POST "/v1/keys?role=analyst&label=api" "$ADMIN")" = 200 ] && newkey=$(sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p' "$tmp/body") &&
    newid=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$tmp/body") && [ "$(code GET /v1/flags "$newkey")" = 200 ] &&
    [ "$(code POST "/v1/keys/revoke?id=$newid" "$ADMIN")" = 200 ] && [ "$(code GET /v1/flags "$newkey")" = 401 ]
check admin_makes_and_revokes_a_key $?
[ "$(code POST "/v1/keys?role=carrier" "$ADMIN")" = 400 ]; check admin_carrier_key_needs_code $?
[ "$(code POST "/v1/retention?category=records&seconds=94672800" "$ADMIN")" = 200 ] &&
    [ "$(code POST "/v1/retention?category=citizen_biometrics&seconds=50000" "$ADMIN")" = 400 ]
check admin_sets_retention_within_limits $?
# issue 12 case 11: a huge period wrapped once (the sanitizer build crashed); over 100 years is
# refused, "forever" is a word
[ "$(code POST "/v1/retention?category=records&seconds=372000000000000000" "$ADMIN")" = 400 ] &&
    [ "$(code POST "/v1/retention?category=records&seconds=99999999999999999999999" "$ADMIN")" = 400 ] &&
    [ "$(code POST "/v1/retention?category=records&period=11758000y" "$ADMIN")" = 400 ] &&
    grep -q "100 years" "$tmp/body" &&
    [ "$(code POST "/v1/retention?category=records&period=forever" "$ADMIN")" = 200 ] &&
    grep -q '"period":"forever"' "$tmp/body" &&
    [ "$(code POST "/v1/retention?category=citizen_biometrics&period=forever" "$ADMIN")" = 400 ] &&
    [ "$(code POST "/v1/retention?category=records&period=3y" "$ADMIN")" = 200 ]
check retention_bounded_forever_explicit $?
[ "$(code POST /v1/identify "$OFFICER" --data-binary @"$D/Lucy_Liu_0004.jpg")" = 200 ] &&
    grep -q '"decision":{"gallery":"all"' "$tmp/body" && grep -q '"candidates":\[{"subject"' "$tmp/body"
check identify_against_everyone $?
# the camera's range per request: a far camera's photo goes to the full-range model first
[ "$(code POST "/v1/identify?camera=far" "$OFFICER" --data-binary @"$D/Lucy_Liu_0004.jpg")" = 200 ] &&
    grep -q '"candidates":\[{"subject"' "$tmp/body" &&
    [ "$(code POST "/v1/identify?camera=middle" "$OFFICER" --data-binary @"$D/Lucy_Liu_0004.jpg")" = 400 ] &&
    grep -q 'camera= takes near' "$tmp/body"
check identify_camera_range $?
# an exit nobody matches, then the officer says who it was
st=$(code POST "/v1/exits?port=JFK&at=2026-03-04T09:00:00Z" "$OFFICER" --data-binary @"$D/Mick_Jagger_0001.jpg")
unm=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' "$tmp/body")
[ "$st" = 200 ] && grep -q '"outcome":"not_matched"' "$tmp/body" &&
    [ "$(code POST "/v1/override?encounter=$unm&subject=$subj" "$OFFICER")" = 200 ] &&
    grep -q '"outcome":"officer_override"' "$tmp/body" &&
    [ "$(code POST "/v1/override?encounter=$unm&subject=999999" "$OFFICER")" = 400 ]
check "officer_overrides_unmatched_exit_over_http ($st)" $?
# a full arrival as a form: the live photo, the chip's photo and the fields as parts
mrz2=$("$bex" mrz make --number 560000004 --state CHN --nationality CHN --surname CHEN --given LU \
       --birth 1968-12-02 --sex F --expiry 2032-01-01)
st=$(code POST /v1/entries "$OFFICER" -F "photo=@$D/Lucy_Liu_0002.jpg" -F "doc_photo=@$D/Lucy_Liu_0003.jpg" \
     -F "mrz=$mrz2" -F class=B2 -F admit_until=2026-04-30 -F port=JFK -F port_kind=air -F at=2026-03-01T09:00:00Z)
[ "$st" = 200 ] && grep -q '"outcome":"matched"' "$tmp/body" && grep -q '"verify":{"gallery":"document"' "$tmp/body"
check "multipart_arrival_verified_against_chip ($st)" $?
# someone else on that passport, with its chip photo: flagged
st=$(code POST /v1/entries "$OFFICER" -F "photo=@$D/Kalpana_Chawla_0003.jpg" -F "doc_photo=@$D/Lucy_Liu_0003.jpg" \
     -F "mrz=$mrz2" -F class=B2 -F admit_until=2026-04-30 -F port=JFK -F port_kind=air -F at=2026-03-01T09:30:00Z)
[ "$st" = 200 ] && grep -q '"kind":"impostor_suspected"' "$tmp/body" && grep -q '"decision":"referred"' "$tmp/body" &&
    grep -q '"admission":null' "$tmp/body"
check "multipart_impostor_flagged_and_referred ($st)" $?
imp=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' "$tmp/body")
imp_flag=$(grep -o '"id":[0-9]*,"kind":"impostor_suspected"' "$tmp/body" | head -1 | sed 's/"id":\([0-9]*\),.*/\1/')
# the officer at secondary inspection decides over HTTP, as bex decide does
[ "$(code POST "/v1/decide?encounter=$imp&decision=refuse" "$OFFICER")" = 200 ] && grep -q '"decision":"refused"' "$tmp/body" &&
    [ "$(code POST "/v1/decide?encounter=$imp&decision=admit" "$OFFICER")" = 400 ] && grep -q 'refused' "$tmp/body"
check "officer_decides_referred_entry_over_http" $?
[ "$(code POST "/v1/flags/status?id=$imp_flag&status=referred" "$OFFICER")" = 200 ] &&
    [ "$(code GET "/v1/flags?status=referred&kind=impostor_suspected" "$OFFICER")" = 200 ] &&
    grep -q "\"id\":$imp_flag,\"kind\":\"impostor_suspected\"" "$tmp/body" && grep -q '"total":1' "$tmp/body" &&
    [ "$(code POST "/v1/flags/status?id=$imp_flag&status=maybe" "$OFFICER")" = 400 ]
check "flag_queue_filtered_and_referred_over_http" $?
[ "$(code GET "/v1/lookup?document=560000004&state=CHN" "$OFFICER")" = 200 ] && grep -q '"count":[1-9]' "$tmp/body" &&
    [ "$(code GET "/v1/lookup?surname=Chen&given=Lu&birth=1968-12-02" "$OFFICER")" = 200 ] && grep -q '"names":"same"' "$tmp/body" &&
    [ "$(code GET "/v1/lookup" "$OFFICER")" = 400 ]
check "officer_looks_up_by_document_and_names" $?
st=$(code POST /v1/entries "$OFFICER" -F "doc_photo=@$D/Lucy_Liu_0003.jpg" -F "mrz=$mrz2" -F class=B2 -F ds=1 \
     -F port=JFK -F port_kind=air)
[ "$st" = 400 ] && grep -q 'the photo is missing' "$tmp/body"; check "multipart_without_photo_400 ($st)" $?
st=$(code POST /v1/entries "$OFFICER" -F "photo=@$D/Lucy_Liu_0002.jpg" -F "doc_photo=@$tmp/m.json" -F "mrz=$mrz2" \
     -F class=B2 -F ds=1 -F port=JFK -F port_kind=air)
[ "$st" = 400 ] && grep -q 'doc_photo:' "$tmp/body"; check "multipart_bad_chip_photo_400 ($st)" $?
# a chip photo with no face in it (a decodable image): its own outcome and flag, referred, never verified
mrz3=$("$bex" mrz make --number 570000005 --state RSA --nationality RSA --surname FERREIRA --given WAYNE \
       --birth 1971-09-15 --sex M --expiry 2032-01-01)
st=$(code POST /v1/entries "$OFFICER" -F "photo=@$D/Wayne_Ferreira_0001.jpg" -F "doc_photo=@tests/data/image/gray.pgm" \
     -F "mrz=$mrz3" -F class=B2 -F admit_until=2026-04-30 -F port=JFK -F port_kind=air -F at=2026-03-01T10:00:00Z)
[ "$st" = 200 ] && grep -q '"outcome":"document_photo_unusable"' "$tmp/body" &&
    grep -q '"decision":"referred"' "$tmp/body" && grep -q '"kind":"document_photo_unusable"' "$tmp/body" &&
    grep -q '"admission":null' "$tmp/body"
check "multipart_unusable_chip_photo_referred_and_flagged ($st)" $?

# officer case work over HTTP, each checked for its effect and its audit row: two entries, merged,
# the merge undone, one reclassified as a citizen, the other's biometrics erased
cw_entry() { # cw_entry NUMBER SURNAME PHOTO AT: the new subject's id
    local m
    m=$("$bex" mrz make --number "$1" --state GBR --nationality GBR --surname "$2" --given TEST --birth 1960-01-01 \
        --sex M --expiry 2032-01-01 | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')
    code POST "/v1/entries?mrz=$m&class=B2&admit_until=2026-04-30&port=JFK&port_kind=air&at=$4" "$OFFICER" \
        --data-binary @"$3" >/dev/null
    sed -n 's/.*"subject":\([0-9]*\),.*/\1/p' "$tmp/body"
}
ca=$(cw_entry 580000006 RAMADAN "$D/Taha_Yassin_Ramadan_0012.jpg" 2026-03-01T11:00:00Z)
cb=$(cw_entry 580000007 PEREZ "$D/Felipe_Perez_Roque_0001.jpg" 2026-03-01T11:10:00Z)
[ -n "$ca" ] && [ -n "$cb" ] && [ "$ca" != "$cb" ]; check "casework_two_subjects ($ca $cb)" $?
docs() { code GET "/v1/subject?id=$1" "$OFFICER" >/dev/null; grep -o '"number":"[0-9]*"' "$tmp/body" | sort -u | wc -l; }
sq() { q "$db" "$1" 2>/dev/null; }
[ "$(code POST "/v1/merge?keep=$ca&other=$cb" "$OFFICER")" = 200 ] && grep -q "\"kept\":$ca,\"merged\":$cb" "$tmp/body"
check "officer_merges_over_http" $?
cmerge=$(sed -n 's/.*"merge":\([0-9]*\),.*/\1/p' "$tmp/body")
[ "$(docs "$ca")" = 2 ]; check merge_moves_the_documents $?
[ "$(code POST "/v1/merge/undo?id=$cmerge" "$OFFICER")" = 200 ] && grep -q '"undone":true' "$tmp/body" &&
    [ "$(docs "$ca")" = 1 ] && [ "$(docs "$cb")" = 1 ]
check "officer_undoes_merge_over_http" $?
[ "$(code POST "/v1/reclassify?subject=$cb&as=citizen" "$OFFICER")" = 200 ] && grep -q '"citizen":true' "$tmp/body"
check "officer_reclassifies_citizen_over_http" $?
[ "$(code POST "/v1/erase?subject=$ca" "$OFFICER")" = 200 ] && grep -q '"samples_deleted":[1-9]' "$tmp/body"
check "officer_erases_biometrics_over_http" $?
[ "$(code POST "/v1/erase?subject=999999" "$OFFICER")" = 404 ] &&
    [ "$(code POST "/v1/reclassify?subject=999999&as=citizen" "$OFFICER")" = 404 ]
check casework_unknown_subject_404 $?
if have_q; then
    [ "$(sq "SELECT citizen FROM subjects WHERE id = $cb")" = 1 ] &&
        [ "$(sq "SELECT count(*) FROM samples WHERE subject_id = $cb AND citizen = 0")" = 0 ] &&
        [ "$(sq "SELECT count(*) FROM samples WHERE subject_id = $ca")" = 0 ] &&
        [ "$(sq "SELECT count(*) FROM subjects WHERE id = $ca")" = 1 ]
    check casework_effects_in_the_store $?
    for a in "merge:merge $cmerge subject $ca subject $cb" "unmerge:merge $cmerge subject $ca subject $cb" \
             "reclassify:subject $cb" "erase_biometrics:subject $ca"; do
        [ "$(sq "SELECT count(*) FROM audit WHERE action = '${a%%:*}' AND object = '${a#*:}' AND actor = 'key:1 officer'")" = 1 ]
        check "casework_audited_${a%%:*}" $?
    done
fi

# bad input: 4xx with a message, and the server goes on
[ "$(code POST /v1/manifests "$OFFICER" --data-binary '{"departure":')" = 400 ] && grep -q 'not valid JSON' "$tmp/body"
check malformed_json_400 $?
[ "$(code POST "/v1/exits?port=JFK" "$OFFICER" --data-binary 'not an image at all')" = 400 ] &&
    grep -q '"error"' "$tmp/body"; check not_an_image_400 $?
[ "$(code POST "/v1/exits?port=JFK" "$OFFICER")" = 400 ]; check empty_body_400 $?
head -c 3000 "$D/Angela_Bassett_0005.jpg" >"$tmp/cut.jpg"
[ "$(code POST "/v1/exits?port=JFK" "$OFFICER" --data-binary @"$tmp/cut.jpg")" = 400 ]; check truncated_jpeg_400 $?
[ "$(code POST "/v1/entries?mrz=hello&class=B2&ds=1&port=JFK&port_kind=air" "$OFFICER" \
     --data-binary @"$D/Angela_Bassett_0005.jpg")" = 400 ]; check bad_mrz_400 $?
[ "$(code GET "/v1/overstays?as_of=2026-02-30" "$ANALYST")" = 400 ]; check bad_date_400 $?
[ "$(code GET /v1/nothing "$OFFICER")" = 404 ]; check unknown_route_404 $?
[ "$(code DELETE /v1/flags "$OFFICER")" = 405 ]; check wrong_method_405 $?
[ "$(code GET /v1/health "")" = 200 ]; check still_serving_after_bad_input $?
[ "$(code GET /v1/audit/verify "$AUDITOR")" = 200 ] && grep -q '"ok":true' "$tmp/body"; check auditor_verifies_chain $?
denied=$(q "$db" "SELECT count(*) FROM audit WHERE action = 'denied'" 2>/dev/null || echo 0)
[ "${denied:-0}" -ge 20 ]; check "denials_audited ($denied)" $?
# every action through the service names the key that did it (id and role), never "serve"
if have_q; then
    [ "$(sq "SELECT count(*) FROM audit WHERE actor = 'key:1 officer' AND action = 'entry'")" -ge 3 ] &&
        [ "$(sq "SELECT count(*) FROM audit WHERE actor = 'key:2 carrier' AND action = 'exit'")" -ge 1 ] &&
        [ "$(sq "SELECT count(*) FROM audit WHERE actor = 'key:6 admin' AND action = 'purge'")" -ge 1 ] &&
        [ "$(sq "SELECT count(*) FROM audit WHERE actor = 'key:1 officer' AND action = 'decide_entry'")" = 1 ] &&
        [ "$(sq "SELECT count(*) FROM audit WHERE actor = 'serve' AND action <> 'migrate'")" = 0 ] &&
        [ "$(sq "SELECT count(*) FROM audit WHERE action = 'denied' AND actor = 'anonymous'")" -ge 1 ]
    check audit_names_the_key_of_every_action $?
fi
# malformed, truncated, oversized and mutated requests on raw sockets: answered, never a crash
port=${U##*:}
out=$(python3 tests/tools/http_fuzz.py 127.0.0.1 "$port" "$OFFICER" "$D/Angela_Bassett_0005.jpg" 300 7); rc=$?
echo "  $out"
[ $rc -eq 0 ]; check http_fuzz_300_requests_server_survives $?
kill -TERM "$SP"; wait "$SP"; check stops_cleanly_on_sigterm $?

# limits: body size (413), and the bounded queue (503 with Retry-After)
start "$tmp/serve2.out" --workers 1 --queue 0 --max-body 20000
head -c 100000 /dev/zero >"$tmp/big.bin"
[ "$(code POST "/v1/exits?port=JFK" "$OFFICER" --data-binary @"$tmp/big.bin")" = 413 ] && grep -q -- '--max-body' "$tmp/body"
check body_over_limit_413 $?
for i in 1 2 3 4 5 6; do
    curl -s -o /dev/null -D "$tmp/h$i" -w '%{http_code}\n' -H "Authorization: Bearer $OFFICER" \
        --data-binary @"$D/Angela_Bassett_0004.jpg" "$U/v1/exits?port=JFK" >"$tmp/c$i" &
done
wait $(jobs -p | grep -v "^$SP$") 2>/dev/null
busy=$(cat "$tmp"/c? | grep -c 503); okc=$(cat "$tmp"/c? | grep -c 200)
[ "$busy" -ge 1 ] && [ "$okc" -ge 1 ] && grep -qi '^retry-after: 1' $(grep -l 503 "$tmp"/h? | head -1)
check "queue_full_503_retry_after ($okc ok, $busy busy)" $?
# graceful stop: requests in flight finish
for i in 1 2; do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $OFFICER" \
        --data-binary @"$D/Angela_Bassett_0004.jpg" "$U/v1/exits?port=JFK" >"$tmp/g$i" &
done
# SIGTERM once the engine is busy with one of them (the metrics say so)
for _ in $(seq 200); do curl -s "$U/metrics" | grep -q '^bex_engines_idle 0' && break; sleep 0.01; done
kill -TERM "$SP"; wait "$SP"; rc=$?
wait
got=$(cat "$tmp"/g? | grep -c -E '^(200|503)$')
[ $rc -eq 0 ] && [ "$got" -ge 1 ]; check "graceful_stop_finishes_in_flight (rc $rc, $got of 2 answered)" $?

# TLS with a self-signed certificate made here
if command -v openssl >/dev/null &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
    start "$tmp/serve3.out" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
    T=${U/http:/https:}
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tmp/cert.pem" "$T/v1/health")" = 200 ]
    check tls_health_with_ca $?
    curl -s -o /dev/null --max-time 5 "$U/v1/health"; [ $? -ne 0 ]; check tls_refuses_plain_http $?
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$tmp/cert.pem" -H "Authorization: Bearer $ANALYST" \
         "$T/v1/flags")" = 200 ]; check tls_keyed_request $?
    kill -TERM "$SP"; wait "$SP"; check tls_stops_cleanly $?
else
    echo "skip: no openssl to make a test certificate"
fi
"$bex" serve --db "$db" --listen 127.0.0.1:0 --tls-cert "$tmp/nonexistent.pem" --tls-key "$tmp/nonexistent.pem" \
    >/dev/null 2>"$tmp/e"; [ $? -eq 2 ] && grep -q "cannot open" "$tmp/e"; check tls_missing_cert_refused $?

# a PostgreSQL URI's password never shown: not in the message of a store it cannot open
"$bex" serve --db "postgresql://tester:s3cret@127.0.0.1:1/bex?password=s3cret2" --listen 127.0.0.1:0 \
    >"$tmp/o" 2>"$tmp/e"; rc=$?
[ $rc -eq 2 ] && ! grep -q s3cret "$tmp/o" "$tmp/e" && grep -q 'postgresql://tester@127.0.0.1:1/bex' "$tmp/e"
check "serve_message_hides_the_uris_password (rc $rc)" $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
