#!/usr/bin/env bash
# test_chip_entry.sh - an entry with the passport's chip (issue 14), through `bex entry --chip`
# and `POST /v1/entries` with a part per data group, on chips made here: a made-up CSCA and
# Document Signer (tools/test-pki.sh), data groups from LFW fixture faces and synthetic MRZs
# (`bex doc make`), loaded into the store with `bex trust load`. Each way of breaking a chip
# (a changed DG2, a swapped SOD, a bad signature, an expired or revoked signer, an unknown CSCA,
# a DG1 that disagrees with the page, a truncated or missing SOD, Active Authentication reported
# failed) is its flag on the encounter and a referral; an authentic chip admits and its photo
# becomes the document's; a document without a chip is recorded "no_chip". Needs openssl, the
# face models, and curl for the service's half.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$PWD/$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if ! command -v openssl >/dev/null || [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip chip_entry: needs openssl and the face models"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; testdb_cleanup' EXIT
D=$PWD/tests/data/lfw
db=$(testdb_new store "$tmp/bex.db")
tools/test-pki.sh "$tmp/pki" UT Utopia || { echo "FAIL pki"; echo "0 passed, 1 failed"; exit 1; }
tools/test-pki.sh "$tmp/other" ZZ Elsewhere || { echo "FAIL pki"; echo "0 passed, 1 failed"; exit 1; }
mrz() { "$bex" mrz make --state UTO --nationality UTO --number "$1" --surname "$2" --given "$3" --birth "$4" \
        --sex "$5" --expiry 2032-01-01; }
# chip DIR MRZ PHOTO [PKI]: a chip signed by PKI's Document Signer (default: Utopia's)
chip() { "$bex" doc make "$tmp/$1" --mrz "$2" --photo "$3" --signer "$tmp/${4:-pki}/ds.pem" --key "$tmp/${4:-pki}/ds.key" >/dev/null; }
# entry NAME PHOTO CHIP MRZ [--at T] [more]: the JSON in $tmp/NAME.json, the exit code returned
n=0
entry() {
    local name=$1 photo=$2 dir=$3 m=$4; shift 4
    n=$((n + 1))
    "$bex" entry --db "$db" --photo "$photo" --chip "$tmp/$dir" --mrz "$m" --class B2 --admit-until 2026-03-31 \
        --port JFK --port-kind air --at "2026-03-01T08:$(printf %02d $n):00Z" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
}
field() { sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" "$tmp/$1.json" | head -1; }
flag_kinds() { grep -o '"kind":"[a-z_]*"' "$tmp/$1.json" | sed 's/"kind":"\(.*\)"/\1/' | sort | tr '\n' ' '; }

"$bex" trust load --db "$db" "$tmp/pki/csca.pem" >/dev/null; check csca_loaded $?

# an authentic chip: admitted, its photo kept as the document's
A=$(mrz UT1000001 AUTHENTIC ANNA 1980-01-01 F)
chip ok "$A" "$D/Angela_Bassett_0001.jpg"
entry ok "$D/Angela_Bassett_0004.jpg" ok "$A"; rc=$?
[ $rc -eq 0 ] && grep -q '"decision":"admitted"' "$tmp/ok.json" && grep -q '"document_check":{"check":"authentic"' "$tmp/ok.json" &&
    grep -q '"mrz":{"outcome":"agrees"' "$tmp/ok.json" && grep -q '"verify":{"gallery":"document"' "$tmp/ok.json" &&
    grep -q '"flags":\[\]' "$tmp/ok.json"
check authentic_chip_admitted $?
enc=$(sed -n 's/^{"encounter":\([0-9]*\),"subject":\([0-9]*\).*/\1/p' "$tmp/ok.json")
subj=$(sed -n 's/^{"encounter":[0-9]*,"subject":\([0-9]*\).*/\1/p' "$tmp/ok.json")
"$bex" encounter --db "$db" "$enc" >"$tmp/enc.json"
grep -q '"chip_check":"authentic","chip_detail":{"check":"authentic","passive_authentication":{"outcome":"authentic"' "$tmp/enc.json" &&
    grep -q '"signer":{"country":"UT","issuer_country":"UT"' "$tmp/enc.json"
check check_recorded_with_the_encounter $?
"$bex" subject --db "$db" "$subj" | grep -q '"source":"document"'; check authentic_chip_photo_enrolled $?

# the chip's MRZ stands for the document when the page's is not given
B=$(mrz UT1000002 BYCHIP BEN 1975-05-05 M)
chip bychip "$B" "$D/Arminio_Fraga_0006.jpg"
n=$((n + 1))
"$bex" entry --db "$db" --photo "$D/Arminio_Fraga_0003.jpg" --chip "$tmp/bychip" --class B2 --admit-until 2026-03-31 \
    --port JFK --port-kind air --at 2026-03-01T08:30:00Z >"$tmp/bychip.json"
[ $? -eq 0 ] && grep -q '"check":"authentic"' "$tmp/bychip.json" && grep -q '"mrz":null' "$tmp/bychip.json"
check chip_mrz_stands_for_the_document $?

# a stolen genuine passport whose DG2 is the bearer's face, beside the genuine SOD
F=$(mrz UT1000003 STOLEN SAM 1960-06-06 M)
chip stolen "$F" "$D/Carl_Reiner_0002.jpg"
"$bex" doc make "$tmp/forged" --mrz "$F" --photo "$D/Mick_Jagger_0001.jpg" >/dev/null && cp "$tmp/stolen/EF_SOD.bin" "$tmp/forged/"
entry forged "$D/Mick_Jagger_0003.jpg" forged "$F"; rc=$?
[ $rc -eq 1 ] && grep -q '"decision":"referred"' "$tmp/forged.json" && grep -q '"check":"data_group_altered"' "$tmp/forged.json" &&
    grep -q '"altered_group":2' "$tmp/forged.json" && [ "$(flag_kinds forged)" = "chip_data_group_altered " ] &&
    grep -q '"verify":{"gallery":"document"[^}]*"match":true' "$tmp/forged.json"
check forged_dg2_caught_though_the_faces_match $?
fsubj=$(sed -n 's/^{"encounter":[0-9]*,"subject":\([0-9]*\).*/\1/p' "$tmp/forged.json")
! "$bex" subject --db "$db" "$fsubj" | grep -q '"source":"document"'; check forged_chip_photo_not_enrolled $?
! grep -qi 'STOLEN\|UT1000003\|Sam' "$tmp/forged.json"; check no_personal_data_in_the_check $?

# a swapped SOD: another passport's genuine security object
mkdir "$tmp/swapped" && cp "$tmp/stolen/DG1.bin" "$tmp/stolen/DG2.bin" "$tmp/swapped/" && cp "$tmp/ok/EF_SOD.bin" "$tmp/swapped/"
entry swapped "$D/Carl_Reiner_0002.jpg" swapped "$F"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"data_group_altered"' "$tmp/swapped.json" && [[ "$(flag_kinds swapped)" == *chip_data_group_altered* ]]
check swapped_sod_caught $?

# the page's MRZ altered (another birth date printed): the chip disagrees
P=$(mrz UT1000001 AUTHENTIC ANNA 1985-01-01 F)
entry page "$D/Angela_Bassett_0005.jpg" ok "$P"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"mrz_mismatch"' "$tmp/page.json" && [ "$(flag_kinds page)" = "chip_mrz_mismatch " ]
check printed_mrz_disagrees $?

# a chip signed under a CSCA the store does not hold
U=$(mrz UT1000004 UNKNOWN UMA 1990-02-02 F)
chip unknown "$U" "$D/Lucy_Liu_0003.jpg" other
entry unknown "$D/Lucy_Liu_0002.jpg" unknown "$U"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"unknown_signer"' "$tmp/unknown.json" && [ "$(flag_kinds unknown)" = "chip_unknown_signer " ] &&
    grep -q '"decision":"referred"' "$tmp/unknown.json"
check unknown_csca_referred $?

# another state's passport signed under Utopia's CSCA: Utopia cannot vouch for it
R=$("$bex" mrz make --state FRA --nationality FRA --number FR0000001 --surname CROSS --given CLAUDE --birth 1970-01-01 \
    --sex M --expiry 2032-01-01)
chip cross "$R" "$D/Wayne_Ferreira_0001.jpg"
entry cross "$D/Wayne_Ferreira_0003.jpg" cross "$R"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"unknown_signer"' "$tmp/cross.json" && grep -q "another state's CSCA" "$tmp/cross.json" &&
    [ "$(flag_kinds cross)" = "chip_unknown_signer " ] && grep -q '"decision":"referred"' "$tmp/cross.json"
check another_states_csca_cannot_vouch $?

# the signature broken: the last byte of the SOD (inside the ECDSA signature) changed
mkdir "$tmp/badsig" && cp "$tmp/ok/"* "$tmp/badsig/"
sz=$(stat -c %s "$tmp/badsig/EF_SOD.bin")
printf '\x00' | dd of="$tmp/badsig/EF_SOD.bin" bs=1 seek=$((sz - 2)) conv=notrunc status=none
entry badsig "$D/Angela_Bassett_0004.jpg" badsig "$A"; rc=$?
k=$(flag_kinds badsig)
[ $rc -eq 1 ] && { [ "$k" = "chip_signature_invalid " ] || [ "$k" = "chip_malformed " ]; }
check broken_signature_caught $?

# truncated and missing SODs
mkdir "$tmp/short" "$tmp/nosod" && cp "$tmp/ok/DG1.bin" "$tmp/ok/DG2.bin" "$tmp/short/" && cp "$tmp/ok/DG1.bin" "$tmp/ok/DG2.bin" "$tmp/nosod/"
head -c 200 "$tmp/ok/EF_SOD.bin" >"$tmp/short/EF_SOD.bin"
entry short "$D/Angela_Bassett_0004.jpg" short "$A"; rc=$?
[ $rc -eq 1 ] && [ "$(flag_kinds short)" = "chip_malformed " ]; check truncated_sod_malformed $?
entry nosod "$D/Angela_Bassett_0004.jpg" nosod "$A"; rc=$?
[ $rc -eq 1 ] && [ "$(flag_kinds nosod)" = "chip_malformed " ] && grep -q 'no EF.SOD' "$tmp/nosod.json"; check missing_sod_malformed $?

# Active Authentication reported failed by the reader: a cloned chip
entry clone "$D/Angela_Bassett_0005.jpg" ok "$A" --active-auth failed --chip-auth passed; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"authentication_failed"' "$tmp/clone.json" &&
    grep -q '"active_authentication":"failed","chip_authentication":"passed"' "$tmp/clone.json" &&
    [ "$(flag_kinds clone)" = "chip_authentication_failed " ]
check active_authentication_failed_flagged $?
"$bex" entry --db "$db" --photo "$D/Angela_Bassett_0005.jpg" --chip "$tmp/ok" --active-auth maybe --class B2 \
    --admit-until 2026-03-31 --port JFK --port-kind air >/dev/null 2>&1; [ $? -eq 2 ]; check bad_auth_report_exit_2 $?

# the signer expired at the crossing's time (the Document Signer runs to 2035)
n=$((n + 1))
"$bex" entry --db "$db" --photo "$D/Angela_Bassett_0005.jpg" --chip "$tmp/ok" --class B2 --admit-until 2036-03-31 \
    --port JFK --port-kind air --at 2036-01-02T08:00:00Z >"$tmp/expired.json"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"expired_signer"' "$tmp/expired.json" && grep -q '"kind":"chip_expired_signer"' "$tmp/expired.json"
check expired_signer_at_the_crossing $?

# no chip: recorded as such
N=$(mrz UT1000005 NOCHIP NOR 1970-07-07 M)
"$bex" entry --db "$db" --photo "$D/Lucy_Liu_0002.jpg" --doc-photo "$D/Lucy_Liu_0003.jpg" --mrz "$N" --class B2 \
    --admit-until 2026-03-31 --port JFK --port-kind air --at 2026-03-01T09:40:00Z >"$tmp/nochip.json"
grep -q '"document_check":{"check":"no_chip"}' "$tmp/nochip.json"; check no_chip_recorded $?
e=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' "$tmp/nochip.json")
"$bex" encounter --db "$db" "$e" | grep -q '"chip_check":"no_chip","chip_detail":null'; check no_chip_in_the_record $?

# bad input: no DG1, --doc-photo with --chip, a folder that is not there
mkdir "$tmp/nodg1" && cp "$tmp/ok/DG2.bin" "$tmp/ok/EF_SOD.bin" "$tmp/nodg1/"
"$bex" entry --db "$db" --photo "$D/Lucy_Liu_0002.jpg" --chip "$tmp/nodg1" --class B2 --admit-until 2026-03-31 \
    --port JFK --port-kind air 2>"$tmp/err" >/dev/null; [ $? -eq 2 ] && grep -q 'DG1' "$tmp/err"; check no_dg1_exit_2 $?
"$bex" entry --db "$db" --photo "$D/Lucy_Liu_0002.jpg" --chip "$tmp/ok" --doc-photo "$D/Lucy_Liu_0003.jpg" --class B2 \
    --admit-until 2026-03-31 --port JFK --port-kind air >/dev/null 2>&1; [ $? -eq 2 ]; check chip_and_doc_photo_exit_2 $?
"$bex" entry --db "$db" --photo "$D/Lucy_Liu_0002.jpg" --chip "$tmp/nowhere" --class B2 --admit-until 2026-03-31 \
    --port JFK --port-kind air >/dev/null 2>&1; [ $? -eq 2 ]; check missing_chip_folder_exit_2 $?

# revoked: the CSCA's CRL names the Document Signer
openssl ca -config "$tmp/pki/ca.cnf" -revoke "$tmp/pki/ds.pem" -keyfile "$tmp/pki/csca.key" -cert "$tmp/pki/csca.pem" >/dev/null 2>&1 &&
    openssl ca -config "$tmp/pki/ca.cnf" -gencrl -keyfile "$tmp/pki/csca.key" -cert "$tmp/pki/csca.pem" -out "$tmp/pki/csca.crl" >/dev/null 2>&1
"$bex" trust load --db "$db" "$tmp/pki/csca.crl" >/dev/null; check crl_loaded $?
entry revoked "$D/Angela_Bassett_0005.jpg" ok "$A"; rc=$?
[ $rc -eq 1 ] && grep -q '"check":"revoked"' "$tmp/revoked.json" && [ "$(flag_kinds revoked)" = "chip_revoked " ]
check revoked_signer_caught $?

# ---- the service: a part per data group ----
if ! command -v curl >/dev/null; then
    echo "skip chip_entry_http: no curl"
    echo "$pass passed, $fail failed, 1 skipped"; [ $fail -eq 0 ]; exit
fi
db2=$(testdb_new http "$tmp/http.db")
"$bex" trust load --db "$db2" "$tmp/pki/csca.pem" >/dev/null
K=$("$bex" keys add --db "$db2" --role officer | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
C=$("$bex" keys add --db "$db2" --role carrier --carrier BX | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
"$bex" purge --db "$db2" --set images=1y >/dev/null # photos kept: the chip's DG2 face with its sample
"$bex" serve --db "$db2" --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=($!)
for _ in $(seq 200); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")/v1/entries"
q="class=B2&admit_until=2026-03-31&port=JFK&port_kind=air&at=2026-03-01T10:00:00Z"
post() { # post KEY DIR [query] [curl args]: status; body in $tmp/body
    local k=$1 d=$2 extra=${3:-}; shift 3 2>/dev/null || shift $#
    curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $k" -F "photo=@$D/Mick_Jagger_0003.jpg" \
        -F "dg1=@$tmp/$d/DG1.bin" -F "dg2=@$tmp/$d/DG2.bin" -F "sod=@$tmp/$d/EF_SOD.bin" "$@" "$url?$q$extra"
}
M=$(mrz UT2000001 JAGGER MICK 1943-07-26 M)
chip mick "$M" "$D/Mick_Jagger_0001.jpg"
[ "$(post "$K" mick "" -F "com=@$tmp/mick/EF_COM.bin")" = 200 ] && grep -q '"check":"authentic"' "$tmp/body" &&
    grep -q '"decision":"admitted"' "$tmp/body"
check http_authentic_chip_admitted $?
# the DG2 face image kept with the document's sample, byte for byte as the chip holds it (issue 15)
indg2() { python3 -c 'import sys; a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
sys.exit(0 if len(a) > 1000 and a[:3] == b"\xff\xd8\xff" and a in b else 1)' "$1" "$2"; }
henc=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' "$tmp/body")
st=$(curl -s -o "$tmp/dg2face" -w '%{http_code}' -H "Authorization: Bearer $K" "${url%/entries}/photo?encounter=$henc&kind=document")
[ "$st" = 200 ] && indg2 "$tmp/dg2face" "$tmp/mick/DG2.bin"; check "http_chip_dg2_image_kept ($st)" $?
"$bex" entry --db "$db2" --photo "$D/Angela_Bassett_0004.jpg" --chip "$tmp/ok" --mrz "$A" --class B2 \
    --admit-until 2026-03-31 --port JFK --port-kind air --at 2026-03-02T08:00:00Z >"$tmp/ok2.json"
cenc=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' "$tmp/ok2.json")
st=$(curl -s -o "$tmp/dg2face2" -w '%{http_code}' -H "Authorization: Bearer $K" "${url%/entries}/photo?encounter=$cenc&kind=document")
[ "$st" = 200 ] && indg2 "$tmp/dg2face2" "$tmp/ok/DG2.bin"; check "cli_chip_dg2_image_kept ($st)" $?
mq=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$M")
[ "$(post "$K" forged "&mrz=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$F")")" = 200 ] &&
    grep -q '"check":"data_group_altered"' "$tmp/body" && grep -q '"kind":"chip_data_group_altered"' "$tmp/body" &&
    grep -q '"decision":"referred"' "$tmp/body"
check http_forged_chip_caught $?
[ "$(post "$K" mick "&mrz=$mq&active_auth=failed")" = 200 ] && grep -q '"kind":"chip_authentication_failed"' "$tmp/body"
check http_active_auth_failed $?
[ "$(post "$K" mick "&active_auth=sometimes")" = 400 ]; check http_bad_auth_report_400 $?
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $K" -F "photo=@$D/Mick_Jagger_0003.jpg" \
     -F "dg2=@$tmp/mick/DG2.bin" -F "sod=@$tmp/mick/EF_SOD.bin" "$url?$q")
[ "$st" = 400 ] && grep -q 'dg1' "$tmp/body"; check http_chip_without_dg1_400 $?
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $K" -F "photo=@$D/Mick_Jagger_0003.jpg" \
     -F "dg1=@$tmp/mick/DG1.bin" -F "sod=@$tmp/mick/EF_SOD.bin" "$url?$q")
[ "$st" = 200 ] && grep -q '"check":"malformed"' "$tmp/body" && grep -q 'DG2' "$tmp/body" && grep -q '"decision":"referred"' "$tmp/body"
check http_chip_without_dg2_not_authentic $?
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $K" -F "photo=@$D/Mick_Jagger_0003.jpg" \
     -F "DG1=@$tmp/mick/DG1.bin" -F "dg2=@$tmp/mick/DG2.bin" -F "sod=@$tmp/mick/EF_SOD.bin" "$url?$q&mrz=$mq")
[ "$st" = 400 ] && grep -q "no part 'DG1'" "$tmp/body"; check http_misnamed_part_400 $?
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $K" -F "photo=@$D/Mick_Jagger_0003.jpg" \
     -F "dg1=@$tmp/mick/DG1.bin" -F "dg2=@$tmp/mick/DG2.bin" -F "dg2=@$tmp/mick/DG2.bin" -F "sod=@$tmp/mick/EF_SOD.bin" "$url?$q")
[ "$st" = 400 ] && grep -q 'twice' "$tmp/body"; check http_part_sent_twice_400 $?
head -c 1100000 /dev/urandom >"$tmp/big.bin"
st=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "Authorization: Bearer $K" -F "photo=@$D/Mick_Jagger_0003.jpg" \
     -F "dg1=@$tmp/mick/DG1.bin" -F "dg2=@$tmp/big.bin" "$url?$q")
[ "$st" = 413 ]; check http_oversized_dg2_413 $?
[ "$(post "$C" mick "")" = 403 ]; check http_carrier_refused $?
curl -s "${url%/entries}/health" | grep -q '"status":"ok"'; check http_still_serving $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
