#!/usr/bin/env bash
# test_trust.sh - the trust store kept in the record store (issue 14): `bex trust load | list |
# remove` and `bex doc verify --db` on a test PKI made here with the openssl command alone (a UT
# CSCA with its Document Signer and a CRL, an FR CSCA with its signer, a master list of the FR
# CSCA signed by a list signer the UT CSCA issued, one signed by a signer no loaded CSCA issued),
# the audit rows with the actor, then the service's routes: an admin loads, lists and removes,
# an officer and a carrier get 403 (audited). Everything lives in a temporary folder.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$PWD/$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
if ! command -v openssl >/dev/null; then
    echo "skip trust: no openssl command"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
models=${BEX_MODELS:-$PWD/models}
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; testdb_cleanup' EXIT
photo=$PWD/tests/data/lfw/Aaron_Eckhart_0001.jpg
. tests/tools/openssl_chip.sh # tlv, lds_security_object, sod_sign
cd "$tmp"
export BEX_ACTOR=cli:trust-test

cat >pki.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
[csca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ds]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
[ca]
default_ca = testca
[testca]
database = index.txt
default_md = sha256
default_crl_days = 30
CNF
: >index.txt
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
quiet() { "$@" >/dev/null 2>&1 || echo "setup failed: $*"; }
quiet openssl req -x509 $ec -keyout csca.key -out csca.pem -days 3650 -subj "/C=UT/CN=Utopia CSCA (test)" -config pki.cnf -extensions csca
quiet openssl req -x509 $ec -keyout other.key -out other.pem -days 3650 -subj "/C=FR/CN=France CSCA (test)" -config pki.cnf -extensions csca
quiet openssl req -x509 $ec -keyout rogue.key -out rogue.pem -days 3650 -subj "/C=XX/CN=Rogue CSCA (test)" -config pki.cnf -extensions csca
quiet openssl req -new $ec -keyout ds.key -out ds.csr -subj "/C=UT/CN=Utopia DS (test)" -config pki.cnf
quiet openssl x509 -req -in ds.csr -CA csca.pem -CAkey csca.key -set_serial 0x1001 -days 365 -extfile pki.cnf -extensions ds -out ds.pem
quiet openssl x509 -req -in ds.csr -CA other.pem -CAkey other.key -set_serial 0x2001 -days 365 -extfile pki.cnf -extensions ds -out ds_other.pem
quiet openssl req -new $ec -keyout mls.key -out mls.csr -subj "/C=UT/CN=Utopia ML signer (test)" -config pki.cnf
quiet openssl x509 -req -in mls.csr -CA csca.pem -CAkey csca.key -set_serial 0x1002 -days 365 -extfile pki.cnf -extensions ds -out mls.pem
quiet openssl x509 -req -in mls.csr -CA rogue.pem -CAkey rogue.key -set_serial 0x3001 -days 365 -extfile pki.cnf -extensions ds -out mls_rogue.pem
quiet openssl ca -config pki.cnf -gencrl -keyfile csca.key -cert csca.pem -out csca.crl
# CscaMasterList ::= SEQUENCE { version INTEGER 0, certList SET OF Certificate }: the FR CSCA
openssl x509 -in other.pem -outform DER -out other.der
tlv 31 other.der >set.der && { printf '\x02\x01\x00'; cat set.der; } >mlin.der && tlv 30 mlin.der >ml.der
ml() { quiet openssl cms -sign -binary -nodetach -nosmimecap -econtent_type 2.23.136.1.1.2 -md sha256 -in ml.der \
       -signer "$1" -inkey mls.key -outform DER -out "$2"; }
ml mls.pem list.ml
ml mls_rogue.pem rogue.ml

# two chips: one signed by the UT DS, one by the ZZ DS
mrz=$("$bex" mrz make --number UT1234567 --state UTO --nationality UTO --surname TESTER --given PAT \
      --birth 1980-02-03 --sex F --expiry 2031-04-05)
printf %s "${mrz//$'\n'/}" >mrz.txt
tlv 5f1f mrz.txt >dg1.in
mkdir chip zz
tlv 61 dg1.in >chip/DG1.bin
tlv 75 "$photo" >chip/DG2.bin
quiet lds_security_object chip/DG1.bin chip/DG2.bin
quiet sod_sign ds.pem ds.key chip/EF_SOD.bin
# the other state's passport (FRA), signed by its own DS; and Utopia's groups signed by the FR DS
# (another state's CSCA cannot vouch for a Utopian passport)
mkdir cross && cp chip/DG1.bin chip/DG2.bin cross/ && quiet lds_security_object cross/DG1.bin cross/DG2.bin &&
    quiet sod_sign ds_other.pem ds.key cross/EF_SOD.bin
mrz2=$("$bex" mrz make --number FR1234567 --state FRA --nationality FRA --surname TESTER --given PAT \
      --birth 1980-02-03 --sex F --expiry 2031-04-05)
printf %s "${mrz2//$'\n'/}" >mrz2.txt
tlv 5f1f mrz2.txt >dg1b.in
tlv 61 dg1b.in >zz/DG1.bin && cp chip/DG2.bin zz/ && quiet lds_security_object zz/DG1.bin zz/DG2.bin &&
    quiet sod_sign ds_other.pem ds.key zz/EF_SOD.bin

db=$(testdb_new store "$tmp/bex.db")
# have_q: the store can be inspected (sqlite3 on SQLite; psql, checked by testdb_init, on PostgreSQL)
have_q() { testdb_is_pg || command -v sqlite3 >/dev/null; }
outcome() { "$bex" doc verify "$1" --db "$db" | sed -n 's/^{"outcome":"\([a-z_]*\)".*/\1/p'; }
n_files() { "$bex" trust list --db "$db" | grep -o '"id":' | wc -l; }

"$bex" trust list --db "$db" >/dev/null 2>&1; [ $? -eq 2 ]; check list_without_store_exit_2 $?
out=$("$bex" trust load garbage --db "$db" 2>&1); [ $? -eq 2 ]; check missing_file_exit_2 $?
printf 'no certificate here\n' >junk.pem
err=$("$bex" trust load junk.pem --db "$db" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q 'junk.pem' <<<"$err"; check garbage_exit_2 $?
[ "$(outcome chip)" = unknown_signer ]; check doc_verify_db_unknown_signer_before_load $?
[ "$(n_files)" -eq 0 ]; check garbage_added_nothing $?

out=$("$bex" trust load "$tmp/csca.pem" --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"status":"added"' <<<"$out" && grep -q '"kind":"csca","name":"csca.pem","csca":1,"crl":0,"country":"UT"' <<<"$out" &&
    grep -q "\"sha256\":\"$(sha256sum csca.pem | cut -c1-64)\"" <<<"$out" && grep -q '"added_by":"cli:trust-test"' <<<"$out"
check load_csca_added $?
out=$("$bex" trust list --db "$db")
grep -q '"name":"csca.pem"' <<<"$out" && grep -q '"trust_store":{"csca":1,"crl":0}' <<<"$out" && ! grep -q '"bytes"' <<<"$out"
check list_shows_csca $?
out=$("$bex" trust load csca.pem --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"status":"already","added":false,"already":true' <<<"$out" && [ "$(n_files)" -eq 1 ]
check load_again_already $?
out=$("$bex" doc verify chip --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"outcome":"authentic"' <<<"$out"; check doc_verify_db_authentic_after_load $?
[ "$(outcome zz)" = unknown_signer ]; check other_state_unknown_before_list $?

err=$("$bex" trust load rogue.ml --db "$db" 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && grep -q 'master list signer' <<<"$err" && [ "$(n_files)" -eq 1 ]; check unchained_master_list_refused $?
out=$("$bex" trust load list.ml --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"kind":"master_list","name":"list.ml","csca":1,"crl":0,"country":"FR"' <<<"$out" && grep -q '"trusted_list":false' <<<"$out"
check master_list_chained_loaded $?
[ "$(outcome zz)" = authentic ]; check other_state_authentic_after_list $?
out=$("$bex" doc verify cross --db "$db")
[ $? -eq 1 ] && grep -q '"outcome":"unknown_signer"' <<<"$out" && grep -q "another state's CSCA" <<<"$out"
check another_states_csca_cannot_vouch $?
out=$("$bex" trust load rogue.ml --trusted-list --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"trusted_list":true' <<<"$out"; check trusted_list_flag_loads $?
out=$("$bex" trust load csca.crl --db "$db"); rc=$?
[ $rc -eq 0 ] && grep -q '"kind":"crl","name":"csca.crl","csca":0,"crl":1,"country":"UT"' <<<"$out"; check crl_loaded $?
out=$("$bex" doc verify chip --db "$db"); grep -q '"crl_checked":true' <<<"$out"; check crl_used_by_doc_verify $?

id=$("$bex" trust list --db "$db" | grep -o '"id":[0-9]*,"kind":"csca","name":"csca.pem"' | sed 's/"id":\([0-9]*\).*/\1/')
out=$("$bex" trust remove "$id" --db "$db" --actor cli:remover); rc=$?
[ $rc -eq 0 ] && grep -q '"removed":true' <<<"$out"; check remove_exit_0 $?
[ "$(outcome chip)" = unknown_signer ]; check removed_csca_unknown_signer $?
"$bex" trust list --db "$db" | grep -q '"name":"csca.pem"'; [ $? -ne 0 ]; check removed_gone_from_list $?
"$bex" trust list --all --db "$db" | grep -q '"name":"csca.pem".*"removed_by":"cli:remover"'; check list_all_shows_removed $?
"$bex" trust remove "$id" --db "$db" >/dev/null 2>&1; [ $? -eq 2 ]; check remove_twice_exit_2 $?
"$bex" doc verify chip --db "$db" --trust csca.pem >/dev/null 2>&1; [ $? -eq 2 ]; check db_and_trust_together_refused $?

if have_q; then
    a() { q "$db" "SELECT count(*) FROM audit WHERE $1"; }
    [ "$(a "action = 'trust_load' AND actor = 'cli:trust-test'")" = 4 ] &&
        [ "$(a "action = 'trust_remove' AND actor = 'cli:remover' AND object = 'trust_file $id'")" = 1 ]
    check audit_rows_with_actor $?
    ! q "$db" "SELECT detail FROM audit" | grep -q 'TESTER\|UT1234567'; check no_personal_data_in_audit $?
    out=$("$bex" audit verify --db "$db"); grep -q '"ok":true' <<<"$out"; check audit_chain_ok $?
else
    echo "skip audit rows: no sqlite3 command"
fi

# the service: admin only
if ! command -v curl >/dev/null || [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip serve: needs curl and the face models"
    echo "$pass passed, $fail failed, 1 skipped"
    [ $fail -eq 0 ]; exit
fi
key() { "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
ADMIN=$(key --role admin); OFFICER=$(key --role officer); CARRIER=$(key --role carrier --carrier BX)
"$bex" --models "$models" serve --db "$db" --listen 127.0.0.1:0 --workers 1 >serve.out 2>serve.err &
pids+=($!)
for _ in $(seq 200); do grep -q listening serve.out 2>/dev/null && break; sleep 0.05; done
U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' serve.out)"
code() {
    local m=$1 p=$2 k=$3; shift 3
    curl -s -o body -w '%{http_code}' -X "$m" -H "Authorization: Bearer $k" "$@" "$U$p"
}
[ "$(code POST "/v1/trust?name=csca.pem" "$ADMIN" --data-binary @csca.pem)" = 200 ] &&
    grep -q '"status":"restored"' body && grep -q '"added_by":"key:[0-9]* admin"' body
check http_admin_loads $?
[ "$(code POST "/v1/trust?name=csca.pem" "$ADMIN" --data-binary @csca.pem)" = 200 ] && grep -q '"status":"already"' body
check http_admin_load_again_already $?
[ "$(outcome chip)" = authentic ]; check http_loaded_csca_in_force $?
[ "$(code POST "/v1/trust?name=junk.pem" "$ADMIN" --data-binary @junk.pem)" = 400 ]; check http_garbage_400 $?
[ "$(code POST "/v1/trust?name=other.pem" "$ADMIN" --data-binary @other.pem)" = 200 ] && grep -q '"status":"added"' body
check http_admin_loads_new $?
[ "$(code GET /v1/trust "$ADMIN")" = 200 ] && grep -q '"name":"other.pem"' body; check http_admin_lists $?
nid=$(grep -o '"id":[0-9]*,"kind":"csca","name":"other.pem"' body | sed 's/"id":\([0-9]*\).*/\1/')
[ "$(code POST "/v1/trust" "$OFFICER" --data-binary @other.pem)" = 403 ]; check http_officer_load_403 $?
[ "$(code GET "/v1/trust" "$OFFICER")" = 403 ]; check http_officer_list_403 $?
[ "$(code POST "/v1/trust" "$CARRIER" --data-binary @other.pem)" = 403 ]; check http_carrier_load_403 $?
[ "$(code POST "/v1/trust/remove?id=$nid" "$CARRIER")" = 403 ]; check http_carrier_remove_403 $?
[ "$(code POST "/v1/trust/remove?id=$nid" "$ADMIN")" = 200 ] && grep -q '"removed":true' body; check http_admin_removes $?
[ "$(code POST "/v1/trust/remove?id=$nid" "$ADMIN")" = 404 ]; check http_remove_twice_404 $?
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null; pids=()
if have_q; then
    [ "$(a "action = 'denied' AND detail LIKE '%may not trust%'")" -ge 1 ] &&
        [ "$(a "action = 'trust_remove' AND actor LIKE 'key:% admin'")" = 1 ] &&
        [ "$(a "action = 'trust_restore' AND actor LIKE 'key:% admin'")" = 1 ]
    check http_denials_and_writes_audited $?
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
