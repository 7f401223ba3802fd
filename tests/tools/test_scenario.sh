#!/usr/bin/env bash
# test_scenario.sh - a few days at an airport (JFK), a seaport (MIA) and a land crossing (SYS),
# from the command line, with real faces: twelve LFW people (tests/data/lfw/SOURCE.md), each
# with three photos: the first as the passport's chip photo, the second as the entry capture,
# the third as the exit capture. Names and documents are made up (bex mrz make). Planted:
#   an impostor on another traveller's genuine passport, one person with two identities, a
#   passport number used by two faces, a traveller who leaves late, travellers who never
#   leave, a D/S student, a child and an elderly traveller, a US citizen (not enrolled; photos
#   purged after 12 hours), a manifest whose data differ from the passport, a passenger who
#   boards a flight whose manifest does not list her, an offline gate synced later.
# Checks that each is found: flags, exit links, the overstay report (US and EU rules), purge,
# the audit chain (and that tampering with it is detected). And the border rules officers meet
# every day: an impostor referred to secondary inspection and refused there, a US passport that
# is a citizen's whether declared or not, a student back with no exit recorded (no false
# overstay), manifest names that differ only in spelling, exits with no usable photo or against
# an arrival's manifest, look-ups, and two identities merged by an officer and the merge undone.
# And a chip photo with no face (its own outcome, referred), a subject reclassified as a citizen
# (purged at 12 hours) and another's biometrics erased, with the actor of each in the audit log
# (--actor, then $BEX_ACTOR, then cli:$USER).
# BEX_TEST_DB=pg: the same days on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database for the store; skipped with the reason when there is no server). The store is read
# with psql there; its file modes have no counterpart (the gallery's and the gate log's still
# checked); the audit log is tampered with as a superuser would, its triggers switched off.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: no face models in $models (tools/fetch-models.sh)"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; testdb_cleanup' EXIT
db=$(testdb_new scenario "$tmp/bex.db")
# have_q: the store can be inspected (sqlite3 on SQLite; psql, checked by testdb_init, on PostgreSQL)
have_q() { testdb_is_pg || command -v sqlite3 >/dev/null; }
D=tests/data/lfw
# json KEY < one JSON object: the first value of KEY (numbers, strings, true/false/null)
json() { grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }

# person CODE LFW_NAME I1 I2 I3: the photos of one traveller
declare -A P1 P2 P3
person() { P1[$1]="$D/$2_$3.jpg"; P2[$1]="$D/$2_$4.jpg"; P3[$1]="$D/$2_$5.jpg"; }
person AB Angela_Bassett 0001 0004 0005
person AF Arminio_Fraga 0006 0003 0004
person CR Condoleezza_Rice 0002 0003 0011
person FP Felipe_Perez_Roque 0004 0001 0002
person JG Julie_Gerberding 0007 0005 0008
person KC Kalpana_Chawla 0004 0003 0005
person LL Lucy_Liu 0003 0002 0004
person MP Michael_Powell 0004 0002 0003
person MJ Mick_Jagger 0001 0003 0004
person TY Taha_Yassin_Ramadan 0015 0012 0014
person WF Wayne_Ferreira 0005 0001 0003
person YK Yoriko_Kawaguchi 0006 0002 0014

# passport CODE NUMBER SURNAME BIRTH SEX NATIONALITY: an MRZ
passport() { "$bex" mrz make --number "$2" --state "$6" --nationality "$6" --surname "$3" --given "$1" --birth "$4" \
             --sex "$5" --expiry 2032-01-01; }
# entry CODE MRZ PORT KIND AT [more options]: the entry capture against the chip photo
entry() {
    local c=$1 m=$2 port=$3 kind=$4 at=$5; shift 5
    "$bex" entry --db "$db" --photo "${P2[$c]}" --doc-photo "${P1[$c]}" --mrz "$m" --port "$port" --port-kind "$kind" \
        --at "$at" "$@"
}
exit_() { local c=$1; shift; "$bex" exit --db "$db" --photo "${P3[$c]}" "$@"; }

# ---- 2026-03-01, JFK: arrivals by air ----
AB_MRZ=$(passport AB 530000001 OKAFOR 1971-08-16 F GBR)
out=$(entry AB "$AB_MRZ" JFK air 2026-03-01T08:10:00Z --class B2 --admit-until 2026-03-31); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = matched ] && [ "$(json new_subject <<<"$out")" = true ]
check "entry_verified_against_chip_photo (rc $rc)" $?
AB_SUBJ=$(json subject <<<"$out")
AF_MRZ=$(passport AF 720000002 SOUZA 1957-07-20 M BRA)
out=$(entry AF "$AF_MRZ" JFK air 2026-03-01T08:20:00Z --class WT --admit-until 2026-05-29)
AF_SUBJ=$(json subject <<<"$out")
JG_MRZ=$(passport JG 540000003 HARTLEY 1940-01-05 F CAN)   # elderly: 86
out=$(entry JG "$JG_MRZ" JFK air 2026-03-01T08:30:00Z --class B2 --admit-until 2026-04-15); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = matched ]; check "elderly_traveller_enrolled (rc $rc)" $?
JG_SUBJ=$(json subject <<<"$out")
LL_MRZ=$(passport LL 560000004 CHEN 1968-12-02 F CHN)
out=$(entry LL "$LL_MRZ" JFK air 2026-03-01T08:40:00Z --class B2 --admit-until 2026-04-30)
LL_SUBJ=$(json subject <<<"$out")
MP_MRZ=$(passport MP 480000005 PALMER 1937-04-05 M JAM)
out=$(entry MP "$MP_MRZ" JFK air 2026-03-01T08:50:00Z --class B1 --admit-until 2026-03-20)
MP_SUBJ=$(json subject <<<"$out")
YK_MRZ=$(passport YK 500000006 TANAKA 1941-01-14 F USA)
out=$(entry YK "$YK_MRZ" JFK air 2026-03-01T09:00:00Z --citizen); rc=$?
[ $rc -eq 0 ] && [ "$(json admission <<<"$out")" = null ] && [ "$(json outcome <<<"$out")" = matched ]
check "citizen_verified_not_admitted (rc $rc)" $?
YK_SUBJ=$(json subject <<<"$out")

# ---- 2026-03-02: the seaport and the land crossing ----
CR_MRZ=$(passport CR 490000007 MORGAN 1954-11-14 F AUS)
out=$(entry CR "$CR_MRZ" MIA sea 2026-03-02T07:00:00Z --class B2 --admit-until 2026-04-01)
CR_SUBJ=$(json subject <<<"$out")
FP_MRZ=$(passport FP 610000008 ROQUE 2018-06-01 M MEX)     # a child of 7
out=$(entry FP "$FP_MRZ" SYS land 2026-03-02T10:00:00Z --class B2 --admit-until 2026-03-15); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = matched ]; check "child_traveller_enrolled (rc $rc)" $?
FP_SUBJ=$(json subject <<<"$out")
MJ_MRZ=$(passport MJ 440000009 JAGGS 1943-07-26 M GBR)
out=$("$bex" entry --db "$db" --photo "${P2[MJ]}" --mrz "$MJ_MRZ" --class B2 --admit-until 2026-04-01 --port SYS \
      --port-kind land --at 2026-03-02T10:30:00Z); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = enrolled ]; check "entry_without_chip_photo_enrolled (rc $rc)" $?
MJ_SUBJ=$(json subject <<<"$out")
WF_MRZ=$(passport WF 580000010 FERRIS 1971-09-15 M ZAF)
out=$(entry WF "$WF_MRZ" SYS land 2026-03-02T11:00:00Z --class F1 --ds)
WF_SUBJ=$(json subject <<<"$out")

# ---- 2026-03-03, JFK: an impostor on LL's genuine passport (LL's chip photo) ----
out=$("$bex" entry --db "$db" --photo "${P2[KC]}" --doc-photo "${P1[LL]}" --mrz "$LL_MRZ" --class B2 \
      --admit-until 2026-04-02 --port JFK --port-kind air --at 2026-03-03T09:00:00Z); rc=$?
KC_SUBJ=$(json subject <<<"$out")
[ $rc -eq 1 ] && grep -q '"kind":"impostor_suspected"' <<<"$out" && [ "$(json outcome <<<"$out")" = not_matched ] &&
    [ "$KC_SUBJ" != "$LL_SUBJ" ]
check "impostor_on_genuine_passport_flagged (rc $rc)" $?
[ "$(json decision <<<"$out")" = referred ] && [ "$(json admission <<<"$out")" = null ]
check impostor_referred_to_secondary_not_admitted $?
KC_ENC=$(json encounter <<<"$out")
out=$("$bex" decide --db "$db" "$KC_ENC" refuse); rc=$?
[ $rc -eq 0 ] && [ "$(json decision <<<"$out")" = refused ] && [ "$(json admission <<<"$out")" = null ]
check "officer_refuses_impostor_at_secondary (rc $rc)" $?
"$bex" decide --db "$db" "$KC_ENC" admit >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "already refused" "$tmp/err"
check decided_entry_not_decided_again $?

# ---- a US passport is a citizen's, declared or not; with a class of admission it is refused ----
US_MRZ=$(passport YK 500000066 TANAKA 1941-01-14 F USA)
"$bex" entry --db "$db" --photo "${P2[YK]}" --doc-photo "${P1[YK]}" --mrz "$US_MRZ" --class B2 --admit-until 2026-04-01 \
    --port JFK --port-kind air --at 2026-03-03T10:00:00Z >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "citizen" "$tmp/err"; check "home_state_passport_with_class_refused (rc $rc)" $?
out=$("$bex" entry --db "$db" --photo "${P2[YK]}" --doc-photo "${P1[YK]}" --mrz "$US_MRZ" --port JFK --port-kind air \
      --at 2026-03-03T10:05:00Z); rc=$?
[ $rc -eq 0 ] && [ "$(json citizen <<<"$out")" = true ] && [ "$(json admission <<<"$out")" = null ] &&
    [ "$(json identify <<<"$out")" = null ]
check "home_state_passport_is_a_citizen_never_searched (rc $rc)" $?

# ---- 2026-03-04, SYS: another face on MJ's passport number (no chip photo) ----
out=$("$bex" entry --db "$db" --photo "${P2[TY]}" --mrz "$MJ_MRZ" --class B2 --admit-until 2026-04-03 --port SYS \
      --port-kind land --at 2026-03-04T09:00:00Z); rc=$?
[ $rc -eq 1 ] && grep -q '"kind":"document_shared"' <<<"$out" && grep -q "\"subjects\":\[[0-9]*,$MJ_SUBJ\]" <<<"$out"
check "document_number_used_by_two_faces_flagged (rc $rc)" $?
[ "$(json decision <<<"$out")" = referred ]; check document_shared_referred $?

# ---- a flight's manifest, JFK, 2026-03-10: AB (birth date wrong on the manifest), JG, MP ----
cat >"$tmp/bx1.json" <<EOF
{"departure":"BX1-2026-03-10","direction":"departure","carrier":"BX","voyage":"BX1","port":"JFK","port_kind":"air",
 "scheduled":"2026-03-10T18:00:00Z","travellers":[
 {"issuing_state":"GBR","number":"530000001","nationality":"GBR","surname":"OKAFOR","given_names":"AB","birth_date":"1971-08-17","sex":"F"},
 {"issuing_state":"CAN","number":"540000003","nationality":"CAN","surname":"HARTLEY","given_names":"JG","birth_date":"1940-01-05","sex":"F"},
 {"issuing_state":"JAM","number":"480000005","nationality":"JAM","surname":"PALMER","given_names":"MP","birth_date":"1937-04-05","sex":"M"},
 {"issuing_state":"NLD","number":"NOTONFILE","nationality":"NLD","surname":"UNKNOWN","given_names":"X","birth_date":"1990-01-01","sex":"M"}]}
EOF
out=$("$bex" manifest load --db "$db" "$tmp/bx1.json"); rc=$?
[ $rc -eq 1 ] && [ "$(json travellers <<<"$out")" = 4 ] && [ "$(json linked <<<"$out")" = 3 ] &&
    [ "$(json mismatches <<<"$out")" = 1 ] && [ "$(json verified <<<"$out")" = 2 ]
check "manifest_loaded_mismatch_found (rc $rc: $out)" $?
"$bex" manifest load --db "$db" "$tmp/nonexistent.json" >/dev/null 2>&1; [ $? -eq 2 ]; check manifest_missing_file_exit_2 $?
echo '{"departure":"X","travellers":[' >"$tmp/bad.json"
"$bex" manifest load --db "$db" "$tmp/bad.json" >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "not valid JSON" "$tmp/err"
check manifest_malformed_refused $?

# ---- an offline gate: a registered device, a gallery sealed to it, a signed log ----
"$bex" gate register --db "$db" --device JFK-B22 --port JFK --out "$tmp/b22.key" >"$tmp/out"; rc=$?
[ $rc -eq 0 ] && [ "$(stat -c %a "$tmp/b22.key")" = 600 ]; check "gate_registered_key_file_0600 (rc $rc)" $?
"$bex" gate register --db "$db" --device JFK-B23 --port JFK --out "$tmp/b22.key" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "never overwritten" "$tmp/err" && ! "$bex" gate list --db "$db" | grep -q JFK-B23
check gate_key_file_never_overwritten $?
"$bex" gate register --db "$db" --device JFK-B23 --port JFK --out "$tmp/b23.key" >/dev/null; check gate_second_registered $?
# the gate's gallery for BX1, sealed to JFK-B22: JG and MP (AB's birth date differs from her
# passport's: a mismatch contributes no templates); MP boards through that gate offline, named by
# her position on the manifest (3), not by a store id
out=$("$bex" gallery build --db "$db" BX1-2026-03-10 --device JFK-B22 --out "$tmp/bx1.gallery"); rc=$?
[ $rc -eq 0 ] && [ "$(json subjects <<<"$out")" = 2 ] && [ "$(json expires_at <<<"$out")" = 2026-03-11T06:00:00Z ] &&
    [ "$(stat -c %a "$tmp/bx1.gallery")" = 600 ]
check "gallery_sealed_for_device_0600_expiry (rc $rc: $out)" $?
! grep -q "BEXI" "$tmp/bx1.gallery"; check gallery_file_is_no_plain_index $?
gate() { "$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/b22.key" --departure BX1-2026-03-10 --port JFK "$@"; }
out=$(gate --photo "${P3[AB]}" --at 2026-03-10T17:19:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json decision <<<"$out")" = no_match ]; check "offline_gate_mismatched_traveller_not_in_gallery (rc $rc)" $?
# the officer at that gate records her exit: found outside the manifest's gallery, flagged
out=$(exit_ AB --port JFK --departure BX1-2026-03-10 --at 2026-03-10T17:19:30Z); rc=$?
[ $rc -eq 1 ] && [ "$(json subject <<<"$out")" = "$AB_SUBJ" ] && [ "$(json gallery <<<"$out")" != manifest ] &&
    grep -q '"kind":"not_on_manifest"' <<<"$out"
check "mismatched_traveller_found_outside_manifest_by_officer (rc $rc)" $?
out=$(gate --photo "${P3[MP]}" --at 2026-03-10T17:20:00Z --log "$tmp/gate.log"); rc=$?
[ $rc -eq 0 ] && [ "$(json decision <<<"$out")" = match ] && [ "$(json traveller <<<"$out")" = 3 ] &&
    [ "$(stat -c %a "$tmp/gate.log")" = 600 ] && grep -q '"v":2,"device":"JFK-B22","seq":1,.*"sig":"' "$tmp/gate.log"
check "offline_gate_matches_signed_log_line (rc $rc)" $?
out=$(gate --photo "${P3[CR]}" --at 2026-03-10T17:21:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json decision <<<"$out")" = no_match ]; check "offline_gate_refuses_stranger (rc $rc)" $?
# what the gate refuses: expired, another gate's, another departure's, altered, unsigned
gate --photo "${P3[AB]}" --at 2026-03-11T06:00:01Z >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "expired at 2026-03-11T06:00:00Z" "$tmp/err"; check gate_refuses_expired_gallery $?
"$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/b23.key" --departure BX1-2026-03-10 --photo "${P3[AB]}" \
    --at 2026-03-10T17:20:00Z >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "for gate JFK-B22, not for this gate (JFK-B23)" "$tmp/err"; check gate_refuses_other_devices_gallery $?
"$bex" gate --gallery "$tmp/bx1.gallery" --key "$tmp/b22.key" --departure BX9-2026-03-10 --photo "${P3[AB]}" \
    --at 2026-03-10T17:20:00Z >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "not BX9-2026-03-10's" "$tmp/err"; check gate_refuses_other_departures_gallery $?
for off in 45 300 -70; do   # the header's departure, the ciphertext, the signature
    cp "$tmp/bx1.gallery" "$tmp/bad.gallery"
    size=$(stat -c %s "$tmp/bad.gallery"); pos=$off; [ "$off" -lt 0 ] && pos=$((size + off))
    python3 -c "import sys; p,o=sys.argv[1],int(sys.argv[2]); b=bytearray(open(p,'rb').read()); b[o]^=1; open(p,'wb').write(b)" \
        "$tmp/bad.gallery" "$pos"
    "$bex" gate --gallery "$tmp/bad.gallery" --key "$tmp/b22.key" --departure BX1-2026-03-10 --photo "${P3[AB]}" \
        --at 2026-03-10T17:20:00Z >/dev/null 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "signature does not verify" "$tmp/err"; check "gate_refuses_gallery_one_byte_flipped_at_$off" $?
done
chmod 644 "$tmp/b22.key"
gate --photo "${P3[AB]}" --at 2026-03-10T17:20:00Z >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "may be read by others" "$tmp/err"; check gate_refuses_key_file_readable_by_others $?
chmod 600 "$tmp/b22.key"
out=$("$bex" sync --db "$db" "$tmp/gate.log"); rc=$?
[ $rc -eq 0 ] && [ "$(json recorded <<<"$out")" = 1 ] && [ "$(json differ <<<"$out")" = 0 ]
check "gate_log_synced (rc $rc)" $?
out=$("$bex" sync --db "$db" "$tmp/gate.log")
[ "$(json recorded <<<"$out")" = 0 ] && [ "$(json already_recorded <<<"$out")" = 1 ] && [ "$(json refused_lines <<<"$out")" = 0 ]
check gate_log_sync_idempotent $?
"$bex" gate list --db "$db" | grep -q '"device":"JFK-B22","id":[0-9]*,"port":"JFK","last_seq":1,'; check gate_list_last_seq $?

# issue 12: a line forged from a photo of an overstayer (CR never leaves) must not close her stay.
# The forger runs bex with a gate of the same name registered in a store of his own (his key),
# and also writes the line in the old, unsigned form.
evil=$(testdb_copy "$db" evil "$tmp/evil.db")
"$bex" gate register --db "$evil" --device JFK-B22 --port JFK --out "$tmp/evil.key" >/dev/null 2>&1 ||
    { q "$evil" "DELETE FROM gate_devices" && "$bex" gate register --db "$evil" --device JFK-B22 \
      --port JFK --out "$tmp/evil.key" >/dev/null; }
"$bex" gallery build --db "$evil" BX1-2026-03-10 --device JFK-B22 --out "$tmp/evil.gallery" >/dev/null &&
"$bex" gate --gallery "$tmp/evil.gallery" --key "$tmp/evil.key" --departure BX1-2026-03-10 --port JFK \
    --photo "${P3[CR]}" --at 2026-03-10T19:00:00Z --log "$tmp/forged.log" >/dev/null
sed -e 's/"v":2,//' -e 's/"device":"JFK-B22","seq":[0-9]*,//' -e 's/,"sig":"[0-9a-f]*"//' "$tmp/forged.log" >"$tmp/unsigned.log"
cat "$tmp/forged.log" "$tmp/unsigned.log" >"$tmp/attack.log"
out=$("$bex" sync --db "$db" "$tmp/attack.log" 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && [ "$(json recorded <<<"$out")" = 0 ] && [ "$(json refused_lines <<<"$out")" = 2 ] &&
    grep -q "signature does not verify with gate JFK-B22's key" "$tmp/err" && grep -q "an unsigned line" "$tmp/err"
check "sync_refuses_forged_and_unsigned_lines (rc $rc)" $?
[ "$(grep -o '"kind":"gate_log_forged"' <<<"$out" | wc -l)" = 2 ] &&
    [ "$("$bex" flags --db "$db" --kind gate_log_forged | grep -o '"kind":"gate_log_forged"' | wc -l)" = 2 ]
check forged_lines_flagged_for_officers $?
"$bex" overstays --db "$db" --as-of 2026-06-30 | grep -o "{[^{}]*\"subject\":$CR_SUBJ,[^{}]*}" | grep -q '"status":"in_country"'
check forged_line_leaves_overstayers_stay_open $?
# replayed and out of order: the real gate's own lines, out of sequence
gate --photo "${P3[MP]}" --at 2026-03-10T17:30:00Z --log "$tmp/g2.log" >/dev/null   # seq 2
gate --photo "${P3[MP]}" --at 2026-03-10T17:20:00Z --log "$tmp/g3.log" >/dev/null   # seq 3 (MP's exit again)
rm -f "$tmp/b22.key.seq"                                                              # the counter lost:
gate --photo "${P3[MP]}" --at 2026-03-10T17:32:00Z --log "$tmp/g1.log" >/dev/null   # seq 1 again
out=$("$bex" sync --db "$db" "$tmp/g3.log"); [ "$(json already_recorded <<<"$out")" = 1 ]; check gate_line_3_synced $?
out=$("$bex" sync --db "$db" "$tmp/g2.log" 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && [ "$(json recorded <<<"$out")" = 0 ] && grep -q '"kind":"gate_log_replayed"' <<<"$out" &&
    grep -q "out of order" "$tmp/err"; check "sync_refuses_reordered_line (rc $rc)" $?
out=$("$bex" sync --db "$db" "$tmp/g1.log" 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && [ "$(json recorded <<<"$out")" = 0 ] && grep -q '"kind":"gate_log_replayed"' <<<"$out" &&
    grep -q "synced before with another line" "$tmp/err"; check "sync_refuses_replayed_sequence_number (rc $rc)" $?
# a revoked gate's lines are refused; no gallery is sealed to it
echo 10 >"$tmp/b22.seq4"; gate --photo "${P3[AB]}" --at 2026-03-10T17:41:00Z --log "$tmp/g5.log" --seq-file "$tmp/b22.seq4" >/dev/null
"$bex" gate revoke --db "$db" JFK-B22 >/dev/null; check gate_revoked $?
out=$("$bex" sync --db "$db" "$tmp/g5.log" 2>"$tmp/err"); rc=$?
[ $rc -eq 1 ] && [ "$(json recorded <<<"$out")" = 0 ] && grep -q "was revoked" "$tmp/err"; check "sync_refuses_revoked_gates_line (rc $rc)" $?
"$bex" gallery build --db "$db" BX1-2026-03-10 --device JFK-B22 --out "$tmp/x.gallery" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "was revoked" "$tmp/err" && [ ! -e "$tmp/x.gallery" ]; check no_gallery_for_revoked_gate $?

# online exits at JFK on BX1
out=$(exit_ JG --port JFK --departure BX1-2026-03-10 --at 2026-03-10T17:25:00Z); rc=$?
[ $rc -eq 0 ] && [ "$(json gallery <<<"$out")" = manifest ] && [ "$(json subject <<<"$out")" = "$JG_SUBJ" ] &&
    [ "$(json admission <<<"$out")" != null ]
check "exit_matched_in_manifest_gallery_linked (rc $rc)" $?
out=$(exit_ MP --port JFK --departure BX1-2026-03-10 --at 2026-03-10T17:30:00Z)
[ "$(json subject <<<"$out")" = "$MP_SUBJ" ]; check exit_second_passenger $?
out=$(exit_ LL --port JFK --departure BX1-2026-03-10 --at 2026-03-10T17:35:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json subject <<<"$out")" = "$LL_SUBJ" ] && grep -q '"kind":"not_on_manifest"' <<<"$out"
check "boarding_passenger_not_on_manifest_flagged (rc $rc)" $?

# an exit whose photo shows no face: recorded and flagged for an officer
out=$("$bex" exit --db "$db" --photo tests/data/image/gray.pgm --port JFK --at 2026-03-10T17:40:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json outcome <<<"$out")" = no_photo ] && grep -q '"kind":"no_photo"' <<<"$out"
check "exit_without_usable_photo_flagged (rc $rc)" $?
# an arrival's manifest is no departure
cat >"$tmp/arr.json" <<EOF
{"departure":"BX2-2026-03-10","direction":"arrival","carrier":"BX","voyage":"BX2","port":"JFK","port_kind":"air",
 "scheduled":"2026-03-10T07:00:00Z","travellers":[]}
EOF
"$bex" manifest load --db "$db" "$tmp/arr.json" >/dev/null &&
    "$bex" exit --db "$db" --photo "${P3[MJ]}" --port JFK --departure BX2-2026-03-10 --at 2026-03-10T08:00:00Z \
        >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "arrival" "$tmp/err"
check exit_against_arrival_manifest_refused $?
# a boarding months after the flight left: recorded, flagged
out=$("$bex" exit --db "$db" --photo "$D/Hugo_Chavez_0033.jpg" --port JFK --departure BX1-2026-03-10 --at 2026-05-10T08:00:00Z); rc=$?
[ $rc -eq 1 ] && grep -q '"kind":"outside_departure_window"' <<<"$out"; check "exit_long_after_departure_flagged (rc $rc)" $?

# ---- land exits, no manifest: the in-country gallery ----
out=$(exit_ FP --port SYS --at 2026-03-12T12:00:00Z); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$FP_SUBJ" ] && [ "$(json gallery <<<"$out")" = in_country ]
check "land_exit_matched_in_country_gallery (rc $rc)" $?
out=$(exit_ YK --port SYS --at 2026-03-02T20:00:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json outcome <<<"$out")" = not_matched ] && [ "$(json subject <<<"$out")" = null ] &&
    grep -q '"kind":"not_matched"' <<<"$out"
check "unknown_face_exit_recorded_for_review (rc $rc)" $?
YK_EXIT=$(json encounter <<<"$out")
# an officer reviews it: the citizen, who is not enrolled
out=$("$bex" override --db "$db" "$YK_EXIT" "$YK_SUBJ"); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = officer_override ] && [ "$(json admission <<<"$out")" = null ]
check "officer_override_recorded (rc $rc)" $?
"$bex" override --db "$db" "$YK_EXIT" 999999 >/dev/null 2>&1; [ $? -eq 2 ]; check override_unknown_subject_refused $?

# ---- 2026-03-15, SYS: MP again, on another passport under other names ----
MP2_MRZ=$(passport MP 990000011 PETERS 1939-02-02 M TTO)
out=$(entry MP "$MP2_MRZ" SYS land 2026-03-15T09:00:00Z --class B2 --admit-until 2026-04-15); rc=$?
[ $rc -eq 1 ] && grep -q '"kind":"two_identities"' <<<"$out" && grep -q "\"subjects\":\[[0-9]*,$MP_SUBJ\]" <<<"$out"
check "one_face_two_identities_flagged (rc $rc)" $?
MP2_SUBJ=$(json subject <<<"$out"); MP2_ENC=$(json encounter <<<"$out")
[ "$(json decision <<<"$out")" = referred ]; check two_identities_referred $?
# secondary inspection: the same man on a second, genuine passport; admitted, and the two records merged
"$bex" decide --db "$db" "$MP2_ENC" admit | grep -q '"decision":"admitted"'; check officer_admits_after_secondary $?
out=$("$bex" merge --db "$db" "$MP_SUBJ" "$MP2_SUBJ"); rc=$?
MERGE=$(json merge <<<"$out")
[ $rc -eq 0 ] && [ "$("$bex" subject --db "$db" "$MP_SUBJ" | grep -o '"number":"[0-9]*"' | sort -u | wc -l)" = 2 ]
check "officer_merges_two_identities (rc $rc)" $?
out=$("$bex" unmerge --db "$db" "$MERGE"); rc=$?
[ $rc -eq 0 ] && [ "$("$bex" subject --db "$db" "$MP_SUBJ" | grep -o '"number":"[0-9]*"' | sort -u | wc -l)" = 1 ] &&
    [ "$("$bex" subject --db "$db" "$MP2_SUBJ" | grep -o '"number":"[0-9]*"' | sort -u | wc -l)" = 1 ]
check "merge_undone (rc $rc)" $?
# look-ups: by document number, by names (any case) and birth date
"$bex" lookup --db "$db" --document 990000011 --state TTO | grep -q "\"subject\":$MP2_SUBJ,"; check lookup_by_document $?
"$bex" lookup --db "$db" --surname okafor --given ab --birth 1971-08-16 | grep -q "\"subject\":$AB_SUBJ,"
check lookup_by_names_and_birth $?
# AB comes back with a renewed passport: same names and birth date, new number: linked, no flag
AB2_MRZ=$(passport AB 530000099 OKAFOR 1971-08-16 F GBR)
out=$(entry AB "$AB2_MRZ" JFK air 2026-03-20T08:00:00Z --class B2 --admit-until 2026-04-10); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$AB_SUBJ" ] && [ "$(json new_subject <<<"$out")" = false ]
check "renewed_passport_linked_to_traveller (rc $rc)" $?
out=$(exit_ AB --port JFK --port-kind air --at 2026-04-09T10:00:00Z)
[ "$(json subject <<<"$out")" = "$AB_SUBJ" ]; check returning_traveller_exit $?
out=$("$bex" subject --db "$db" "$AB_SUBJ"); rc=$?
[ $rc -eq 0 ] && [ "$(grep -o '"number":"5300000[0-9]*"' <<<"$out" | sort -u | wc -l)" = 2 ] &&
    [ "$(grep -o '"direction":"[a-z]*"' <<<"$out" | wc -l)" = 4 ]
check "subject_record_two_passports_four_crossings (rc $rc)" $?

# ---- a sailing, MIA, 2026-06-08: AF leaves ten days after admit-until ----
cat >"$tmp/sail.json" <<EOF
{"departure":"SAIL7-2026-06-08","carrier":"SL","voyage":"SAIL7","port":"MIA","port_kind":"sea",
 "scheduled":"2026-06-08T16:00:00Z","travellers":[
 {"issuing_state":"BRA","number":"720000002","nationality":"BRA","surname":"Sóuza","given_names":"Af","birth_date":"1957-07-20","sex":"M"}]}
EOF
out=$("$bex" manifest load --db "$db" "$tmp/sail.json"); rc=$?
[ $rc -eq 0 ] && [ "$(json mismatches <<<"$out")" = 0 ] && [ "$(json name_variants <<<"$out")" = 1 ]
check "manifest_spelling_variant_not_a_mismatch (rc $rc: $out)" $?
out=$(exit_ AF --port MIA --departure SAIL7-2026-06-08 --at 2026-06-08T15:00:00Z); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$AF_SUBJ" ]; check "seaport_exit_matched (rc $rc)" $?

# ---- a vehicle lane at SYS: three travellers in one car window (tests/data/lfw/SOURCE.md) ----
lane=$D/lane_three_faces.jpg
out=$("$bex" exit --db "$db" --photo "$lane" --port SYS --at 2026-03-05T08:00:00Z); rc=$?
[ $rc -eq 1 ] && [ "$(json outcome <<<"$out")" = no_photo ] && grep -q '"outcome":"several_faces"' <<<"$out" &&
    grep -q '"kind":"no_photo"' <<<"$out"
check "several_faces_refused_without_all_faces (rc $rc)" $?
declare -A LANE_SUBJ
for t in "AZ Akhmed_Zakayev 660000031 ZAKAYEV 1959-04-26 M RUS" "EB Emmanuelle_Beart 660000032 BEART 1963-08-14 F FRA" \
         "GA Gloria_Macapagal_Arroyo 660000033 MACAPAGAL 1947-04-05 F PHL"; do
    set -- $t
    m=$(passport "$1" "$3" "$4" "$5" "$6" "$7")
    out=$("$bex" entry --db "$db" --all-faces --photo "$lane" --doc-photo "$D/$2_0001.jpg" --mrz "$m" --class B2 \
          --admit-until 2026-04-01 --port SYS --port-kind land-vehicle --at 2026-03-05T09:00:00Z)
    LANE_SUBJ[$1]=$(json subject <<<"$out")
    [ "$(json outcome <<<"$out")" = matched ] && [ "$(json decision <<<"$out")" = admitted ] &&
        [ "$(json new_subject <<<"$out")" = true ] && ! grep -q '"kind"' <<<"$out"
    check "all_faces_entry_takes_the_holders_face_$1" $?
done
[ "${LANE_SUBJ[AZ]}" != "${LANE_SUBJ[EB]}" ] && [ "${LANE_SUBJ[EB]}" != "${LANE_SUBJ[GA]}" ]; check all_faces_three_travellers $?
out=$("$bex" exit --db "$db" --all-faces --photo "$lane" --port SYS --at 2026-03-08T10:00:00Z); rc=$?
got=$(grep -o '"subject":[0-9]*,"admission":[0-9]*,"outcome":"matched"' <<<"$out" | cut -d, -f1 | cut -d: -f2 | sort | tr '\n' ' ')
want=$(printf '%s\n' "${LANE_SUBJ[@]}" | sort | tr '\n' ' ')
[ $rc -eq 0 ] && [ "$(json faces <<<"$out")" = 3 ] && [ "$got" = "$want" ]
check "all_faces_exit_each_face_its_own_exit (rc $rc: $got / $want)" $?

# ---- the D/S student, back from a trip whose exit was never recorded ----
out=$(entry WF "$WF_MRZ" SYS land 2026-05-01T09:00:00Z --class F1 --ds); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$WF_SUBJ" ] && grep -q '"closed_admissions":\[[0-9]' <<<"$out"
check "second_entry_closes_open_admission (rc $rc)" $?

# ---- the overstay report, as of 2026-06-30 ----
out=$("$bex" overstays --db "$db" --as-of 2026-06-30); rc=$?
# the overstays' rows only (the report also lists the stays with no exit recorded)
row() { sed 's/"no_exit_recorded":\[.*//' <<<"$out" | grep -o "{\"subject\":$1,[^}]*}"; }
[ $rc -eq 1 ] && row "$AF_SUBJ" | grep -q '"status":"out_of_country","days_over":10'
check "left_late_out_of_country_10_days (rc $rc)" $?
row "$CR_SUBJ" | grep -q '"status":"in_country","days_over":90'; check never_left_in_country_90_days $?
row "$MJ_SUBJ" | grep -q '"status":"in_country"'; check never_left_land_arrival $?
[ -z "$(row "$WF_SUBJ")" ] && [ -z "$(row "$JG_SUBJ")" ] && [ -z "$(row "$FP_SUBJ")" ] && [ -z "$(row "$YK_SUBJ")" ]
check ds_student_on_time_leavers_and_citizen_not_overstays $?
grep -o '"no_exit_recorded":\[[^]]*\]' <<<"$out" | grep -q "{\"subject\":$WF_SUBJ,.*\"status\":\"no_exit_recorded\""
check stay_without_recorded_exit_its_own_category $?
grep -q '"by_country":\[.*{"country":"BRA","expected_departures":1,"out_of_country_overstays":1' <<<"$out"
check dhs_style_table_by_country $?
csv=$("$bex" overstays --db "$db" --as-of 2026-06-30 --format csv --by class)
head -1 <<<"$csv" | grep -q '^class,expected_departures,out_of_country_overstays,in_country_overstays' &&
    grep -q '^WT,1,1,0,1,100.00,0.00,0$' <<<"$csv"
check overstays_csv_by_class $?
out=$("$bex" overstays --db "$db" --as-of 2026-06-30 --policy eu)
row "$CR_SUBJ" | grep -q '"status":"in_country","days_over":31'   # present 2026-03-02..06-30: 121 days
check eu_90_in_180_rule $?
"$bex" overstays --db "$db" --as-of 2026-13-01 >/dev/null 2>&1; [ $? -eq 2 ]; check overstays_bad_date_exit_2 $?

# ---- the flags an officer sees ----
out=$("$bex" flags --db "$db"); rc=$?
for k in impostor_suspected document_shared two_identities manifest_mismatch not_on_manifest not_matched; do
    grep -q "\"kind\":\"$k\"" <<<"$out"; check "flags_list_$k" $?
done
"$bex" flags --db "$db" --format csv | head -1 | grep -q '^id,kind,encounter,departure,subjects,documents'
check flags_csv $?
imp=$(grep -o '"id":[0-9]*,"kind":"impostor_suspected"' <<<"$out" | head -1 | cut -d, -f1 | cut -d: -f2)
"$bex" flag --db "$db" "$imp" confirmed >/dev/null && "$bex" flags --db "$db" |
    grep -q "\"id\":$imp,\"kind\":\"impostor_suspected\".*\"status\":\"confirmed\""
check officer_confirms_flag $?
"$bex" flags --db "$db" | grep -o '"kind":"not_matched"[^}]*' | grep -q '"status":"cleared"'
check override_cleared_not_matched_flag $?

# ---- privacy: the citizen's photos and templates go within 12 hours ----
n() { q "$db" "$1" 2>/dev/null; }
if have_q; then
    [ "$(n "SELECT count(*) FROM samples s JOIN subjects p ON p.id = s.subject_id WHERE p.citizen = 1")" -gt 0 ]
    check citizen_samples_kept_until_purge $?
    out=$("$bex" purge --db "$db" --as-of 2026-03-01T20:59:00Z)
    [ "$(json citizen_samples <<<"$out")" = 0 ]; check purge_keeps_citizen_samples_before_12h $?
    out=$("$bex" purge --db "$db" --as-of 2026-03-01T21:00:00Z)   # her live and chip photos
    [ "$(json citizen_samples <<<"$out")" = 2 ] &&
        [ "$(n "SELECT count(*) FROM samples s JOIN subjects p ON p.id = s.subject_id WHERE p.citizen = 1
                AND s.captured_at < '2026-03-01T21:00:00Z'")" = 0 ]
    check purge_deletes_citizen_samples_at_12h $?
    # the exit capture an officer assigned to her (2026-03-02T20:00) goes 12 hours after it
    out=$("$bex" purge --db "$db" --as-of 2026-03-03T08:00:00Z)
    [ "$(json citizen_samples <<<"$out")" = 1 ] &&
        [ "$(n "SELECT count(*) FROM samples s JOIN subjects p ON p.id = s.subject_id WHERE p.citizen = 1
                AND s.captured_at < '2026-03-03T08:00:00Z'")" = 0 ]
    check purge_deletes_overridden_citizen_capture_at_12h $?
    "$bex" purge --db "$db" --set citizen_biometrics=13h >/dev/null 2>&1; [ $? -eq 2 ]
    check citizen_retention_over_12h_refused $?
    # a "keep forever" written as a huge number once wrapped and deleted every record
    before=$(n "SELECT count(*) FROM subjects")
    err=$("$bex" purge --db "$db" --set records=11758000y 2>&1 >/dev/null); rc=$?
    [ $rc -eq 2 ] && grep -q "over 100 years" <<<"$err" && [ "$(n "SELECT count(*) FROM subjects")" = "$before" ]
    check "retention_over_100_years_refused_nothing_deleted (rc $rc)" $?
    out=$("$bex" purge --db "$db" --set records=forever --set overstayer_records=forever --as-of 2126-01-01); rc=$?
    [ $rc -eq 0 ] && [ "$(n "SELECT count(*) FROM subjects")" = "$before" ] &&
        grep -q '"records":"forever"' <<<"$out"
    check "retention_forever_keeps_a_century_later (rc $rc)" $?
    "$bex" purge --db "$db" --set records=75y --set overstayer_records=75y >/dev/null; check retention_reset_75y $?
else
    echo "skip: no sqlite3 command: purge checks"
fi

# ---- a chip photo with no face in it: its own outcome and flag, referred, never verified ----
AE_MRZ=$(passport AE 610000021 ECKHART 1968-03-12 M CAN)
out=$("$bex" entry --db "$db" --photo "$D/Aaron_Eckhart_0001.jpg" --doc-photo tests/data/image/gray.pgm --mrz "$AE_MRZ" \
      --port JFK --port-kind air --at 2026-06-30T09:00:00Z --class B2 --admit-until 2026-07-30); rc=$?
[ $rc -eq 1 ] && [ "$(json outcome <<<"$out")" = document_photo_unusable ] && [ "$(json decision <<<"$out")" = referred ] &&
    grep -q '"kind":"document_photo_unusable"' <<<"$out" && [ "$(json admission <<<"$out")" = null ]
check "unusable_document_photo_referred_and_flagged (rc $rc)" $?

# ---- case work from the CLI: reclassify as a citizen (purged at 12 hours), erase; the actor audited ----
if have_q; then
    [ "$(n "SELECT count(*) FROM samples WHERE subject_id = $LL_SUBJ")" -gt 0 ] &&
        [ "$(n "SELECT citizen FROM subjects WHERE id = $LL_SUBJ")" = 0 ]; check reclassify_subject_has_samples $?
    # --actor wins over $BEX_ACTOR
    out=$(BEX_ACTOR=env-actor "$bex" reclassify --db "$db" --actor badge:4711 "$LL_SUBJ" citizen); rc=$?
    [ $rc -eq 0 ] && grep -q '"citizen":true' <<<"$out" && [ "$(n "SELECT citizen FROM subjects WHERE id = $LL_SUBJ")" = 1 ]
    check "reclassify_makes_a_citizen (rc $rc)" $?
    [ "$(n "SELECT actor FROM audit WHERE action = 'reclassify' AND object = 'subject $LL_SUBJ'")" = badge:4711 ]
    check cli_actor_flag_in_audit $?
    out=$("$bex" purge --db "$db" --as-of 2026-07-01T00:00:00Z)
    [ "$(json citizen_samples <<<"$out")" -gt 0 ] && [ "$(n "SELECT count(*) FROM samples WHERE subject_id = $LL_SUBJ")" = 0 ] &&
        [ "$(n "SELECT count(*) FROM subjects WHERE id = $LL_SUBJ")" = 1 ]
    check reclassified_citizen_samples_purged $?
    # $BEX_ACTOR, when no --actor
    nj=$(n "SELECT count(*) FROM samples WHERE subject_id = $JG_SUBJ")
    out=$(BEX_ACTOR=booth-3 "$bex" erase --db "$db" "$JG_SUBJ"); rc=$?
    [ $rc -eq 0 ] && [ "$nj" -gt 0 ] && [ "$(json samples_deleted <<<"$out")" = "$nj" ] &&
        [ "$(n "SELECT count(*) FROM samples WHERE subject_id = $JG_SUBJ")" = 0 ] &&
        [ "$(n "SELECT count(*) FROM subjects WHERE id = $JG_SUBJ")" = 1 ]
    check "erase_removes_the_subjects_samples (rc $rc)" $?
    [ "$(n "SELECT actor FROM audit WHERE action = 'erase_biometrics' AND object = 'subject $JG_SUBJ'")" = booth-3 ]
    check cli_actor_env_in_audit $?
    # neither (an empty $BEX_ACTOR counts as none): cli:$USER
    out=$(BEX_ACTOR= USER=tester "$bex" erase --db "$db" "$AF_SUBJ"); rc=$?
    [ $rc -eq 0 ] && [ "$(n "SELECT actor FROM audit WHERE action = 'erase_biometrics' AND object = 'subject $AF_SUBJ'")" = cli:tester ]
    check "cli_actor_default_user_in_audit (rc $rc)" $?
    "$bex" erase --db "$db" 999999 >/dev/null 2>&1; [ $? -eq 2 ]; check erase_unknown_subject_exit_2 $?
fi

# ---- fingerprints (issue 17): an exit the face cannot settle, settled by a finger ----
# FVC2002 fixtures (tests/data/finger/SOURCE.md): one traveller's right index is DB1's finger 101,
# her right middle DB3's finger 101; impression 1 at the entry, impressions 2 and 3 later.
F=tests/data/finger
JK_MRZ=$(passport JANICA 880000041 KOSTELIC 1982-01-05 F HRV)
out=$("$bex" entry --db "$db" --photo "$D/Janica_Kostelic_0001.jpg" --mrz "$JK_MRZ" --port JFK --port-kind air \
      --at 2026-07-10T09:00:00Z --class B2 --admit-until 2026-08-10 --finger 2="$F/fvc2002_DB1_B_101_1.tif" \
      --finger 3="$F/fvc2002_DB3_B_101_1.tif" --finger-missing 4 --finger-missing 5); rc=$?
[ $rc -eq 0 ] && [ "$(json decision <<<"$out")" = admitted ] && grep -q '"prints":"taken","enrolled":\[2,3\]' <<<"$out" &&
    grep -q '{"position":4,"status":"missing"},{"position":5,"status":"missing"}' <<<"$out"
check "entry_takes_fingers_missing_ones_recorded (rc $rc)" $?
JK_SUBJ=$(json subject <<<"$out"); JK_ADM=$(json admission <<<"$out")
# the exit camera finds no face: her two fingers settle it, and close her stay
out=$("$bex" exit --db "$db" --photo tests/data/image/gray.pgm --port JFK --at 2026-07-20T09:00:00Z \
      --finger 2="$F/fvc2002_DB1_B_101_2.tif" --finger 3="$F/fvc2002_DB3_B_101_2.tif"); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = matched ] && [ "$(json subject <<<"$out")" = "$JK_SUBJ" ] &&
    [ "$(json admission <<<"$out")" = "$JK_ADM" ] && grep -q '"finger":{"gallery":"all"' <<<"$out" &&
    grep -q '"match":true,"ambiguous":false}' <<<"$out" && ! grep -q '"kind":"no_photo"' <<<"$out"
check "exit_without_a_face_settled_by_her_fingers (rc $rc)" $?
# another person's face at the gate, her fingers: the fingers decide, the face says nothing of her
out=$("$bex" exit --db "$db" --photo "$D/Ruth_Bader_Ginsburg_0001.jpg" --port JFK --at 2026-07-21T09:00:00Z \
      --finger 2="$F/fvc2002_DB1_B_101_3.tif" --finger 3="$F/fvc2002_DB3_B_101_2.tif"); rc=$?
[ $rc -eq 0 ] && [ "$(json outcome <<<"$out")" = matched ] && [ "$(json subject <<<"$out")" = "$JK_SUBJ" ] &&
    ! grep -q '"capture":' <<<"$out"
check "exit_with_anothers_face_settled_by_her_fingers (rc $rc)" $?
# another person's face and another finger: refused, kept for review like any unmatched exit
out=$("$bex" exit --db "$db" --photo "$D/Ruth_Bader_Ginsburg_0001.jpg" --port JFK --at 2026-07-22T09:00:00Z \
      --finger 2="$F/fvc2002_DB1_B_102_1.tif"); rc=$?
[ $rc -eq 1 ] && [ "$(json outcome <<<"$out")" = not_matched ] && [ "$(json subject <<<"$out")" = null ] &&
    grep -q '"match":false' <<<"$out" && grep -q '"kind":"not_matched"' <<<"$out"
check "exit_with_a_wrong_finger_refused (rc $rc)" $?
WRONG_EXIT=$(json encounter <<<"$out")
# she comes back: the camera's photo of her does not match her samples on record (0.88 against
# 0.93), which alone would say "document shared"; her fingers verify her as the holder
out=$("$bex" entry --db "$db" --photo "$D/Janica_Kostelic_0002.jpg" --mrz "$JK_MRZ" --port JFK --port-kind air \
      --at 2026-07-24T09:00:00Z --class B2 --admit-until 2026-08-24 --finger 2="$F/fvc2002_DB1_B_101_3.tif" \
      --finger 3="$F/fvc2002_DB3_B_101_2.tif" --finger-missing 4 --finger-missing 5); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$JK_SUBJ" ] && [ "$(json outcome <<<"$out")" = matched ] &&
    [ "$(json decision <<<"$out")" = admitted ] && grep -q '"holder_fingers":{"gallery":"holder"' <<<"$out" &&
    ! grep -q '"kind":"document_shared"' <<<"$out"
check "returning_traveller_face_unverified_verified_by_fingers (rc $rc)" $?
# a child of ten: no prints taken, none kept
KD_MRZ=$("$bex" mrz make --number 880000042 --state CAN --nationality CAN --surname BERGEN --given KIDDO \
         --birth 2016-05-01 --sex F --expiry 2032-01-01)
out=$("$bex" entry --db "$db" --photo "$D/Maria_Callas_0001.jpg" --mrz "$KD_MRZ" --port JFK --port-kind air \
      --at 2026-07-10T09:30:00Z --class B2 --admit-until 2026-08-10 --finger 2="$F/fvc2002_DB1_B_102_1.tif"); rc=$?
KD_SUBJ=$(json subject <<<"$out")
[ $rc -le 1 ] && [ -n "$KD_SUBJ" ] && grep -q '"prints":"under_age","enrolled":\[\]' <<<"$out" &&
    grep -q '"referred":false' <<<"$out"
check "child_under_12_gives_no_prints (rc $rc)" $?
# only the right index of an adult, nothing declared: an officer takes the others or declares them
TG_MRZ=$("$bex" mrz make --number 880000043 --state AUS --nationality AUS --surname GLAVINE --given TOM \
         --birth 1966-03-25 --sex M --expiry 2032-01-01)
out=$("$bex" entry --db "$db" --photo "$D/Tom_Glavine_0001.jpg" --mrz "$TG_MRZ" --port JFK --port-kind air \
      --at 2026-07-25T09:00:00Z --class B2 --admit-until 2026-08-25 --finger 2="$F/fvc2002_DB4_B_101_1.tif"); rc=$?
[ $rc -eq 1 ] && [ "$(json decision <<<"$out")" = referred ] && grep -q '"referred":true' <<<"$out" &&
    grep -q '"kind":"fingerprints_incomplete"' <<<"$out"
check "entry_with_fingers_missing_undeclared_referred (rc $rc)" $?
# an officer's look-up by fingerprint: 1:N without a document, 1:1 with it
out=$("$bex" lookup --db "$db" --finger 2="$F/fvc2002_DB1_B_101_3.tif" --finger 3="$F/fvc2002_DB3_B_101_2.tif"); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$JK_SUBJ" ] && grep -q '"gallery":"all"' <<<"$out"
check "lookup_by_fingerprint_1_to_n (rc $rc)" $?
out=$("$bex" lookup --db "$db" --photo "$D/Ruth_Bader_Ginsburg_0001.jpg" --finger 2="$F/fvc2002_DB1_B_101_3.tif" \
      --finger 3="$F/fvc2002_DB3_B_101_2.tif"); rc=$?
[ $rc -eq 0 ] && [ "$(json subject <<<"$out")" = "$JK_SUBJ" ] && grep -q '"face":{"gallery":"all"' <<<"$out" &&
    grep -q '"finger":{"gallery":"all"' <<<"$out"
check "lookup_by_face_and_fingerprint_the_face_settling_nothing (rc $rc)" $?
out=$("$bex" lookup --db "$db" --document 880000041 --finger 2="$F/fvc2002_DB1_B_102_1.tif"); rc=$?
[ $rc -eq 1 ] && grep -q '"gallery":"holder"' <<<"$out" && grep -q '"match":false' <<<"$out"
check "lookup_by_fingerprint_1_to_1_wrong_finger (rc $rc)" $?
# a carrier never sends or sees prints; an officer's look-up over HTTP
if command -v curl >/dev/null; then
    CK=$("$bex" keys add --db "$db" --role carrier --carrier BX | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
    OK=$("$bex" keys add --db "$db" --role officer | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
    "$bex" serve --db "$db" --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
    SP=$!
    for _ in $(seq 600); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
    grep -q listening "$tmp/serve.out"; check "fingerprint_service_started (within 30 s)" $?
    U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")"
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $CK" -F photo=@"$D/Ruth_Bader_Ginsburg_0001.jpg" \
         -F finger2=@"$F/fvc2002_DB1_B_101_2.tif" "$U/v1/exits?departure=BX1-2026-03-10")
    [ "$st" = 403 ] && grep -q "only officers send or receive fingerprints" "$tmp/body"
    check "carrier_exit_with_prints_refused ($st)" $?
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $CK" -F photo=@"$D/Ruth_Bader_Ginsburg_0001.jpg" \
         "$U/v1/exits?departure=BX1-2026-03-10")
    [ "$st" = 200 ] && ! grep -q finger "$tmp/body" && grep -q '^{"transaction":[0-9]*,"decision":"[a-z_]*"}$' "$tmp/body"
    check "carrier_answer_holds_no_finger_data ($st)" $?
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $CK" -F finger2=@"$F/fvc2002_DB1_B_101_2.tif" \
         "$U/v1/lookup/fingers")
    [ "$st" = 403 ]; check "carrier_cannot_look_up_by_fingerprint ($st)" $?
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $OK" -F finger2=@"$F/fvc2002_DB1_B_101_3.tif" \
         -F finger3=@"$F/fvc2002_DB3_B_101_2.tif" "$U/v1/lookup/fingers")
    [ "$st" = 200 ] && [ "$(json subject <"$tmp/body")" = "$JK_SUBJ" ]; check "officer_looks_up_by_fingerprint_over_http ($st)" $?
    TT_MRZ=$("$bex" mrz make --number 880000044 --state NZL --nationality NZL --surname THOMPSON --given TOMMY \
             --birth 1941-11-19 --sex M --expiry 2032-01-01)
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $OK" -F photo=@"$(ls "$D"/Tommy_Thompson_*.jpg | head -1)" \
         -F mrz="$TT_MRZ" -F finger2=@"$F/fvc2002_DB2_B_101_1.tif" -F finger_ppi=569 -F finger_missing=3,4,5 \
         "$U/v1/entries?port=JFK&port_kind=air&at=2026-07-26T09:00:00Z&class=B2&admit_until=2026-08-26")
    [ "$st" = 200 ] && grep -q '"prints":"taken","enrolled":\[2\]' "$tmp/body" && grep -q '"referred":false' "$tmp/body"
    check "officer_entry_with_finger_parts_over_http ($st)" $?
    st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $OK" -F finger11=@"$F/fvc2002_DB1_B_101_2.tif" \
         "$U/v1/lookup/fingers")
    [ "$st" = 400 ] && grep -q "finger1 .. finger10" "$tmp/body"; check "unknown_finger_part_refused ($st)" $?
    kill "$SP"; wait "$SP" 2>/dev/null
else
    echo "skip: no curl: carrier and HTTP fingerprint checks"
fi
# retention: the wrong finger's capture is kept while its flag is open, then goes at 12 hours;
# erasure takes her fingers with her faces
if have_q; then
    [ "$(n "SELECT count(*) FROM finger_samples WHERE subject_id = $KD_SUBJ")" = 0 ] &&
        [ "$(n "SELECT prints FROM encounters WHERE subject_id = $KD_SUBJ")" = under_age ]
    check child_has_no_finger_samples $?
    [ "$(n "SELECT count(*) FROM finger_samples WHERE encounter_id = $WRONG_EXIT AND subject_id IS NULL")" = 1 ]
    check wrong_finger_capture_kept_unlinked $?
    out=$("$bex" purge --db "$db" --as-of 2026-07-23T09:00:00Z)
    [ "$(n "SELECT count(*) FROM finger_samples WHERE encounter_id = $WRONG_EXIT")" = 1 ]
    check purge_keeps_flagged_finger_capture $?
    fl=$("$bex" flags --db "$db" | grep -o "\"id\":[0-9]*,\"kind\":\"not_matched\",\"encounter\":$WRONG_EXIT" | cut -d, -f1 | cut -d: -f2)
    "$bex" flag --db "$db" "$fl" cleared >/dev/null
    out=$("$bex" purge --db "$db" --as-of 2026-07-23T09:00:00Z)
    [ "$(json finger_samples <<<"$out")" = 1 ] && [ "$(n "SELECT count(*) FROM finger_samples WHERE encounter_id = $WRONG_EXIT")" = 0 ]
    check purge_deletes_unmatched_finger_capture_at_12h $?
    nf=$(n "SELECT count(*) FROM finger_samples WHERE subject_id = $JK_SUBJ")
    ns=$(n "SELECT count(*) FROM samples WHERE subject_id = $JK_SUBJ")
    out=$("$bex" erase --db "$db" "$JK_SUBJ"); rc=$?
    [ $rc -eq 0 ] && [ "$nf" -ge 4 ] && [ "$(json samples_deleted <<<"$out")" = $((nf + ns)) ] &&
        [ "$(n "SELECT count(*) FROM finger_samples WHERE subject_id = $JK_SUBJ")" = 0 ]
    check "erase_removes_her_finger_samples (rc $rc, $nf fingers)" $?
    [ "$(n "SELECT count(*) FROM audit WHERE action = 'finger_lookup'")" -ge 3 ]; check finger_lookups_audited $?
fi

# ---- files: the store, its WAL and SHM, the gallery and the gate's log, owner only ----
files=("$db" "$db-wal" "$db-shm")
testdb_is_pg && { files=(); echo "# on PostgreSQL: the store is no file here (its modes: the server's); the gallery's and log's checked"; }
modes=$(for f in "${files[@]}" "$tmp/bx1.gallery" "$tmp/gate.log"; do
            [ -e "$f" ] && stat -c '%a' "$f"; done | sort -u | tr '\n' ' ')
[ "$modes" = "600 " ]; check "files_created_owner_only ($modes)" $?
umask 022; "$bex" keys add --db "$tmp/umask.db" --role analyst >/dev/null
[ "$(stat -c '%a' "$tmp/umask.db")" = 600 ]; check store_owner_only_whatever_the_umask $?

# ---- a PostgreSQL URI's password never shown: the CLI's message names the store without it ----
"$bex" flags --db "postgresql://tester:s3cret@127.0.0.1:1/bex?password=s3cret2&connect_timeout=2" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] && ! grep -q s3cret "$tmp/err" && grep -q 'postgresql://tester@127.0.0.1:1/bex?connect_timeout=2' "$tmp/err"
check "cli_message_hides_the_uris_password (rc $rc)" $?

# ---- the audit log ----
out=$("$bex" audit verify --db "$db"); rc=$?
head=$(json head <<<"$out")
[ $rc -eq 0 ] && [ "$(json ok <<<"$out")" = true ] && [ "$(json entries <<<"$out")" -gt 30 ]
check "audit_chain_verifies (rc $rc)" $?
if have_q; then
    n "UPDATE audit SET detail = 'x' WHERE seq = 5"; [ "$(n "SELECT detail FROM audit WHERE seq = 5")" != x ]
    check audit_log_refuses_updates $?
    if testdb_is_pg; then   # as a superuser would: the append-only triggers off, the row rewritten
        n "ALTER TABLE audit DISABLE TRIGGER USER; UPDATE audit SET detail = 'rewritten' WHERE seq = 5;
           ALTER TABLE audit ENABLE TRIGGER USER"
    else
        n "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'rewritten' WHERE seq = 5"
    fi
    [ "$(n "SELECT detail FROM audit WHERE seq = 5")" = rewritten ]; check audit_row_rewritten_by_tamperer $?
    out=$("$bex" audit verify --db "$db"); rc=$?
    [ $rc -eq 1 ] && [ "$(json first_bad <<<"$out")" = 5 ]; check "audit_tampering_detected (rc $rc)" $?
fi
out=$("$bex" audit verify --db "$db" --head 00ff); [ "$(json head_found <<<"$out")" = false ]
check audit_unknown_head_reported $?
[ -n "$head" ]; check audit_head_given $?
if have_q; then   # the audit log names row ids, never people or documents
    [ "$(n "SELECT count(*) FROM audit WHERE object || detail || actor LIKE '%OKAFOR%' OR
            object || detail LIKE '%530000001%' OR object || detail LIKE '%SOUZA%'")" = 0 ] &&
        [ "$(n "SELECT count(*) FROM documents WHERE surname = 'OKAFOR'")" -ge 1 ]
    check audit_log_holds_no_names_or_document_numbers $?
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
