#!/usr/bin/env bash
# test_doc_verify.sh - `bex doc verify DIR`: its exit codes and JSON on a chip made here with
# the openssl command alone, independently of bex's own LDSSecurityObject builder: a test CSCA,
# a Document Signer it issues (its CA database revokes it for the CRL case), the security
# object written by `openssl asn1parse -genconf`, signed by `openssl cms -sign -econtent_type
# 2.23.136.1.1.1`, wrapped in tag 0x77; DG1 around `bex mrz make`'s synthetic MRZ, DG2 around
# an LFW fixture JPEG. Dates are relative to now (openssl req/x509 take -days); --at moves the
# check time. Everything lives in a temporary folder, keys included, removed at the end.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$PWD/$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
if ! command -v openssl >/dev/null; then
    echo "skip doc_verify: no openssl command"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
photo=$PWD/tests/data/lfw/Aaron_Eckhart_0001.jpg
. tests/tools/openssl_chip.sh # tlv, lds_security_object, sod_sign
cd "$tmp"

cat >pki.cnf <<'EOF'
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
EOF
: >index.txt
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
q() { "$@" >/dev/null 2>&1 || echo "setup failed: $*"; }
q openssl req -x509 $ec -keyout csca.key -out csca.pem -days 3650 -subj "/C=UT/CN=Utopia CSCA (test)" -config pki.cnf -extensions csca
q openssl req -x509 $ec -keyout other.key -out other.pem -days 3650 -subj "/C=ZZ/CN=Unknown CSCA (test)" -config pki.cnf -extensions csca
q openssl req -new $ec -keyout ds.key -out ds.csr -subj "/C=UT/CN=Utopia DS (test)" -config pki.cnf
q openssl x509 -req -in ds.csr -CA csca.pem -CAkey csca.key -set_serial 0x1001 -days 365 -extfile pki.cnf -extensions ds -out ds.pem
q openssl x509 -req -in ds.csr -CA other.pem -CAkey other.key -set_serial 0x2001 -days 365 -extfile pki.cnf -extensions ds -out ds_other.pem

# the chip's groups
mrz=$("$bex" mrz make --number UT1234567 --state UTO --nationality UTO --surname TESTER --given PAT \
      --birth 1980-02-03 --sex F --expiry 2031-04-05)
printf %s "${mrz//$'\n'/}" >mrz.txt
tlv 5f1f mrz.txt >dg1.in
mkdir chip
tlv 61 dg1.in >chip/DG1.bin
tlv 75 "$photo" >chip/dg2.BIN
q lds_security_object chip/DG1.bin chip/dg2.BIN
sign() { q sod_sign "$1" "$2" "$3/EF_SOD.bin"; } # SIGNER_CERT KEY OUT_DIR
sign ds.pem ds.key chip

out=$("$bex" doc verify chip --trust csca.pem)
check authentic_exit_0 $?
grep -q '"outcome":"authentic","authentic":true' <<<"$out" && grep -q '"hash_algorithm":"SHA-256"' <<<"$out" &&
    grep -q '"signer":{"country":"UT","issuer_country":"UT","serial":"1001"}' <<<"$out" &&
    grep -q '"sod_groups":\[1,2\],"groups_checked":\[1,2\]' <<<"$out"
check authentic_json $?
! grep -q 'TESTER\|UT1234567' <<<"$out"; check no_personal_data_in_json $?
mkdir trust && cp csca.pem trust/10-utopia.pem && cp other.pem trust/20-other.PEM && cp lds.cnf trust/
"$bex" doc verify chip --trust trust --mrz "$mrz" >/dev/null; check trust_folder_and_mrz_exit_0 $?

printed=${mrz/UT1234567/UT1234568}
out=$("$bex" doc verify chip --trust csca.pem --mrz "$printed")
[ $? -eq 1 ] && grep -q '"outcome":"mrz_mismatch"' <<<"$out" && grep -q '"passive_authentication":{"outcome":"authentic"' <<<"$out"
check mrz_mismatch_exit_1 $?

out=$("$bex" doc verify chip)
[ $? -eq 1 ] && grep -q '"outcome":"unknown_signer"' <<<"$out"; check no_trust_unknown_signer $?
out=$("$bex" doc verify chip --trust other.pem)
[ $? -eq 1 ] && grep -q '"outcome":"unknown_signer"' <<<"$out"; check other_csca_unknown_signer $?
out=$("$bex" doc verify chip --trust csca.pem --at "$(date -u -d '+2 years' +%Y-%m-%d)")
[ $? -eq 1 ] && grep -q '"outcome":"expired_signer"' <<<"$out"; check expired_signer_at_a_later_time $?

mkdir altered && cp chip/* altered/
printf 'X' | dd of=altered/dg2.BIN bs=1 seek=2000 conv=notrunc status=none
out=$("$bex" doc verify altered --trust csca.pem)
[ $? -eq 1 ] && grep -q '"outcome":"data_group_altered".*"altered_group":2' <<<"$out"; check dg2_altered_exit_1 $?

mkdir unknown && cp chip/DG1.bin chip/dg2.BIN unknown/ && sign ds_other.pem ds.key unknown
out=$("$bex" doc verify unknown --trust csca.pem)
[ $? -eq 1 ] && grep -q '"issuer_country":"ZZ"' <<<"$out" && grep -q '"outcome":"unknown_signer"' <<<"$out"
check unknown_csca_exit_1 $?

# The SOD holds the hash of each data group's whole file, tag and length included (Doc 9303
# Part 10 4.6.2 EF.SOD; Part 11 Appendix E, the passive authentication "worked example", is
# its seven steps only, no bytes): a hash over DG1's value alone (its 5F1F element, dg1.in)
# does not match
mkdir valueonly vo_work && cp chip/DG1.bin chip/dg2.BIN valueonly/ &&
    (cd vo_work && q lds_security_object ../dg1.in ../chip/dg2.BIN && q sod_sign ../ds.pem ../ds.key ../valueonly/EF_SOD.bin)
out=$("$bex" doc verify valueonly --trust csca.pem)
[ $? -eq 1 ] && grep -q '"outcome":"data_group_altered".*"altered_group":1' <<<"$out"; check hash_over_dg1_value_only_altered $?

q openssl ca -config pki.cnf -revoke ds.pem -keyfile csca.key -cert csca.pem
q openssl ca -config pki.cnf -gencrl -keyfile csca.key -cert csca.pem -out csca.crl
out=$("$bex" doc verify chip --trust csca.pem --trust csca.crl)
[ $? -eq 1 ] && grep -q '"outcome":"revoked"' <<<"$out"; check revoked_by_crl_exit_1 $?

mkdir short && cp chip/DG1.bin short/ && head -c 300 chip/EF_SOD.bin >short/ef_sod.der
out=$("$bex" doc verify short --trust csca.pem)
[ $? -eq 1 ] && grep -q '"outcome":"malformed"' <<<"$out"; check truncated_sod_malformed $?
mkdir big && { cat chip/EF_SOD.bin; head -c 100000 /dev/urandom; } >big/EF_SOD.bin
out=$("$bex" doc verify big --trust csca.pem)
[ $? -eq 1 ] && grep -q '"outcome":"malformed"' <<<"$out"; check oversized_sod_malformed $?

"$bex" doc verify nowhere --trust csca.pem >/dev/null 2>&1; [ $? -eq 2 ]; check missing_folder_exit_2 $?
mkdir empty; "$bex" doc verify empty --trust csca.pem >/dev/null 2>&1; [ $? -eq 2 ]; check no_sod_exit_2 $?
"$bex" doc verify chip --trust lds.cnf >/dev/null 2>&1; [ $? -eq 2 ]; check bad_trust_file_exit_2 $?
"$bex" doc verify chip --trust csca.pem --at yesterday >/dev/null 2>&1; [ $? -eq 2 ]; check bad_time_exit_2 $?
"$bex" doc verify short --mrz "$mrz" --trust csca.pem >/dev/null 2>&1; [ $? -eq 1 ]; check mrz_with_bad_sod_exit_1 $?
mkdir nodg1 && cp chip/EF_SOD.bin chip/dg2.BIN nodg1/
"$bex" doc verify nodg1 --trust csca.pem --mrz "$mrz" >/dev/null 2>&1; [ $? -eq 2 ]; check mrz_without_dg1_exit_2 $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
