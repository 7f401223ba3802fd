# openssl_chip.sh - sourced by tests/tools/test_doc_verify.sh and tests/fuzz/make_sod_seeds.sh:
# an ePassport chip's security object made with the openssl command alone, independently of
# bex's own builder (src/doc/lds_build.c). Each function returns non-zero when a step fails;
# the caller decides what that means (a failed setup, a stopped seed run).

# tlv TAG_HEX FILE: the tag, a definite length (under 65,536 bytes), then the file's bytes
tlv() {
    local n t="" i
    n=$(stat -c %s "$2") || return 1
    for ((i = 0; i < ${#1}; i += 2)); do t+="\\x${1:i:2}"; done
    if [ "$n" -lt 128 ]; then printf "$t\\x$(printf %02x "$n")"
    elif [ "$n" -lt 256 ]; then printf "$t\\x81\\x$(printf %02x "$n")"
    else printf "$t\\x82\\x$(printf %02x $((n >> 8)))\\x$(printf %02x $((n & 255)))"; fi
    cat "$2"
}

# lds_security_object DG1 DG2: lds.der, the LDSSecurityObject (version 0, SHA-256, the two
# groups' hashes), written by `openssl asn1parse -genconf` from lds.cnf, both in the folder
lds_security_object() {
    local h1 h2
    h1=$(openssl dgst -sha256 -r "$1" | cut -c1-64) && h2=$(openssl dgst -sha256 -r "$2" | cut -c1-64) || return 1
    cat >lds.cnf <<CNF
asn1 = SEQUENCE:lds
[lds]
version = INTEGER:0
alg = SEQUENCE:alg
hashes = SEQUENCE:hashes
[alg]
oid = OID:sha256
[hashes]
h1 = SEQUENCE:dg1
h2 = SEQUENCE:dg2
[dg1]
n = INTEGER:1
h = FORMAT:HEX,OCTETSTRING:$h1
[dg2]
n = INTEGER:2
h = FORMAT:HEX,OCTETSTRING:$h2
CNF
    openssl asn1parse -genconf lds.cnf -out lds.der >/dev/null
}

# sod_sign SIGNER_CERT KEY OUT: lds.der signed as CMS SignedData of content type
# id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1), wrapped in EF.SOD's tag 0x77
sod_sign() {
    openssl cms -sign -binary -nodetach -nosmimecap -econtent_type 2.23.136.1.1.1 -md sha256 -in lds.der \
        -signer "$1" -inkey "$2" -outform DER -out sod.cms 2>/dev/null || return 1
    tlv 77 sod.cms >"$3"
}
