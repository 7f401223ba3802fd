#!/usr/bin/env bash
# make_sod_seeds.sh - writes the seed corpus of fuzz_sod (tests/fuzz/corpus/sod/) with the
# openssl command: a test CSCA and Document Signer with fixed validity (2020-2035, 2020-2030;
# the target checks at 2027-06-01), an SOD over a synthetic DG1 and a small DG2, and the
# inputs in fuzz_sod.c's layout ([u16 n][trust file][u16 m][DG1][EF.SOD]). The keys live in a
# temporary folder and are gone afterwards: only certificates and signatures are committed.
#
# usage: tests/fuzz/make_sod_seeds.sh [OUT_DIR]   (default tests/fuzz/corpus/sod)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/tools/openssl_chip.sh" # tlv, lds_security_object, sod_sign
out=${1:-$root/tests/fuzz/corpus/sod}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

u16() { printf "\\x$(printf %02x $(($1 >> 8)))\\x$(printf %02x $(($1 & 255)))"; }
seed() { # NAME TRUST_FILE_OR_EMPTY DG1 SOD
    { if [ -n "$2" ]; then u16 "$(stat -c %s "$2")"; cat "$2"; else u16 0; fi
      u16 "$(stat -c %s "$3")"; cat "$3"; cat "$4"; } >"$out/$1"
}

cat >pki.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
default_ca = testca
[testca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
default_crl_days = 30
policy = pol
unique_subject = no
[pol]
countryName = supplied
commonName = supplied
[csca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ds]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
EOF
: >index.txt
echo 1001 >serial
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
q() { "$@" >/dev/null 2>&1 || { echo "make_sod_seeds: failed: $*" >&2; exit 1; }; }
q openssl req -new $ec -keyout csca.key -out csca.csr -subj "/C=UT/CN=Utopia CSCA (test)" -config pki.cnf
q openssl ca -batch -config pki.cnf -selfsign -keyfile csca.key -in csca.csr -startdate 20200101000000Z \
    -enddate 20350101000000Z -extensions csca -out csca.pem
q openssl req -new $ec -keyout ds.key -out ds.csr -subj "/C=UT/CN=Utopia DS (test)" -config pki.cnf
q openssl ca -batch -config pki.cnf -cert csca.pem -keyfile csca.key -in ds.csr -startdate 20200101000000Z \
    -enddate 20300101000000Z -extensions ds -out ds.pem
q openssl x509 -in csca.pem -outform DER -out csca.der
q openssl ca -config pki.cnf -gencrl -keyfile csca.key -cert csca.pem -out crl.pem
q openssl crl -in crl.pem -outform DER -out crl.der

# P<UTOTESTER<<PAT... as `bex mrz make` writes it (synthetic)
printf '%s' 'P<UTOTESTER<<PAT<<<<<<<<<<<<<<<<<<<<<<<<<<<<UT12345675UTO8002033F3104057<<<<<<<<<<<<<<06' >mrz.txt
tlv 5f1f mrz.txt >dg1.in
tlv 61 dg1.in >dg1.bin
printf 'not a real face image' >face.in
tlv 75 face.in >dg2.bin
q lds_security_object dg1.bin dg2.bin
q sod_sign ds.pem ds.key sod.bin

seed authentic csca.der dg1.bin sod.bin
seed authentic_pem csca.pem dg1.bin sod.bin
seed with_crl crl.der dg1.bin sod.bin
seed no_trust "" dg1.bin sod.bin
sed 's/UT1234567/UT1234568/' dg1.bin >dg1_other.bin
seed altered_dg1 csca.der dg1_other.bin sod.bin
head -c 700 sod.bin >sod_short.bin
seed truncated csca.der dg1.bin sod_short.bin
cp sod.bin "$out/bare_sod"   # not in the layout: the whole input as an SOD
echo "make_sod_seeds: wrote $(ls "$out" | wc -l) seeds to $out"
