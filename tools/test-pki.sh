#!/usr/bin/env bash
# test-pki.sh - a made-up passport PKI for demos and tests: a Country Signing CA and one Document
# Signer it issued, with the openssl command alone (no real state's keys exist here). Fixed
# validity so that crossings dated in 2026 verify: the CSCA from 2025-01-01 to 2045-01-01, the
# Document Signer from 2025-01-01 to 2035-01-01 (bex checks chips at the crossing's time).
#   usage: tools/test-pki.sh DIR COUNTRY [NAME]
#   writes DIR/csca.pem, DIR/csca.key, DIR/ds.pem, DIR/ds.key (keys unencrypted; DIR made 0700)
#   and DIR/ca.cnf, DIR/index.txt: `openssl ca -config DIR/ca.cnf -revoke DIR/ds.pem` and
#   `-gencrl` work on it.
set -euo pipefail
dir=$1 country=$2 name=${3:-$2}
(umask 077 && mkdir -p "$dir")
cat >"$dir/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
default_ca = testca
[testca]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 3650
policy = anything
unique_subject = no
[anything]
countryName = supplied
commonName = supplied
[csca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ds]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
: >"$dir/index.txt"
echo 5301 >"$dir/serial"
echo 01 >"$dir/crlnumber"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config "$dir/ca.cnf")
q() { "$@" >/dev/null 2>&1 || { echo "test-pki: failed: $*" >&2; exit 1; }; }
q openssl req -new "${ec[@]}" -keyout "$dir/csca.key" -out "$dir/csca.csr" -subj "/C=$country/CN=$name CSCA (test)"
q openssl ca -batch -notext -config "$dir/ca.cnf" -selfsign -keyfile "$dir/csca.key" -in "$dir/csca.csr" \
    -startdate 20250101000000Z -enddate 20450101000000Z -extensions csca -out "$dir/csca.pem"
q openssl req -new "${ec[@]}" -keyout "$dir/ds.key" -out "$dir/ds.csr" -subj "/C=$country/CN=$name Document Signer (test)"
q openssl ca -batch -notext -config "$dir/ca.cnf" -cert "$dir/csca.pem" -keyfile "$dir/csca.key" -in "$dir/ds.csr" \
    -startdate 20250101000000Z -enddate 20350101000000Z -extensions ds -out "$dir/ds.pem"
rm -f "$dir/csca.csr" "$dir/ds.csr"
