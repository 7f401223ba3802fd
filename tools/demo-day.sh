#!/usr/bin/env bash
# demo-day.sh - a day at a port, end to end, on the embedded default (one SQLite file):
# arrivals by air with passport checks (one on a chip verified by passive authentication, one on
# a forged chip that is caught), a citizen, an impostor referred to secondary inspection and
# refused there by an officer, a flight's manifest and its gate gallery, departures, a land
# crossing, the overstay report a month later, the flag queue, a look-up and the audit chain.
# Faces are LFW test fixtures (tests/data/lfw); names and passports are made up, and so is the
# passport PKI: a demo CSCA and Document Signer made with openssl by tools/test-pki.sh ($db.pki,
# 0700, removed at the end).
#
#   usage: tools/demo-day.sh [DB [FILES]]   (default: demo.db, replaced)
#   DB may be a PostgreSQL database (a postgresql:// URI, e.g. from tools/pg-cluster.sh start) of
#   its own, new or emptied: the day's files (gate key, gallery, chips) are then FILES.* (default
#   demo-pg.*).
set -euo pipefail
cd "$(dirname "$0")/.."
bex=${BEX:-build/bex}
db=${1:-demo.db}
files=$db
case $db in
postgresql://* | postgres://*) files=${2:-demo-pg} ;;
*) rm -f "$db" "$db-wal" "$db-shm" ;;
esac
rm -f "$files.gate-b22.key" "$files.gate-b22.key.seq"
rm -rf "$files.pki" "$files.chips"
D=tests/data/lfw
# prints the command as one could type it (the store's --db left out), then runs it
run() {
    local a out="\$ bex"
    for a in "$@"; do [ "$a" = --db ] || [ "$a" = "$db" ] || out+=" $(printf '%q' "${a#"$D/"}")"; done
    echo "$out"
    "$bex" "$@" || true
    echo
}
mrz() { "$bex" mrz make --state "$1" --nationality "$1" --number "$2" --surname "$3" --given "$4" --birth "$5" \
        --sex "$6" --expiry 2032-01-01; }

echo "== 07:00 the operator loads the Country Signing CA of the United Kingdom (a demo one, made here)"
# a demo passport PKI: a CSCA and the Document Signer it issued, as a state's would be
tools/test-pki.sh "$files.pki" GB "Demo United Kingdom"
(umask 077 && mkdir -p "$files.chips")
run trust load --db "$db" "$files.pki/csca.pem"
echo "== 07:05 the operator keeps photos 30 days, so officers can see the faces behind a flag"
run purge --db "$db" --set images=30d

echo "== 08:10 JFK, flight arrivals: the passport's chip read and verified (passive authentication),"
echo "   the live photo against the chip's photo, then 1:N"
A=$(mrz GBR 530000001 OKAFOR ADA 1971-08-16 F)
"$bex" doc make "$files.chips/okafor" --mrz "$A" --photo $D/Angela_Bassett_0001.jpg --signer "$files.pki/ds.pem" \
    --key "$files.pki/ds.key" >/dev/null     # the chip as the passport office wrote it, as a reader saves it
run entry --db "$db" --photo $D/Angela_Bassett_0004.jpg --chip "$files.chips/okafor" --mrz "$A" \
    --class B2 --admit-until 2026-03-31 --port JFK --port-kind air --at 2026-03-01T08:10:00Z
B=$(mrz BRA 720000002 SOUZA ARMINIO 1957-07-20 M)
run entry --db "$db" --photo $D/Arminio_Fraga_0003.jpg --doc-photo $D/Arminio_Fraga_0006.jpg --mrz "$B" \
    --class WT --admit-until 2026-05-29 --port JFK --port-kind air --at 2026-03-01T08:20:00Z
L=$(mrz CHN 560000004 CHEN LU 1968-12-02 F)
run entry --db "$db" --photo $D/Lucy_Liu_0002.jpg --doc-photo $D/Lucy_Liu_0003.jpg --mrz "$L" \
    --class B2 --admit-until 2026-04-30 --port JFK --port-kind air --at 2026-03-01T08:40:00Z
echo "== 08:50 JFK: a US citizen on her US passport: checked against the chip's photo only, not enrolled"
U=$(mrz USA 500000006 TANAKA YORIKO 1941-01-14 F)
run entry --db "$db" --photo $D/Yoriko_Kawaguchi_0002.jpg --doc-photo $D/Yoriko_Kawaguchi_0006.jpg --mrz "$U" \
    --port JFK --port-kind air --at 2026-03-01T08:50:00Z
echo "== 09:00 JFK: someone else on Chen Lu's genuine passport (exit 1: flagged, referred to secondary)"
out=$(run entry --db "$db" --photo $D/Kalpana_Chawla_0003.jpg --doc-photo $D/Lucy_Liu_0003.jpg --mrz "$L" \
      --class B2 --admit-until 2026-04-02 --port JFK --port-kind air --at 2026-03-01T09:00:00Z)
echo "$out"
enc=$(sed -n 's/^{"encounter":\([0-9]*\),.*/\1/p' <<<"$out")
echo "== 09:20 secondary inspection: the officer refuses entry (nothing was admitted before this)"
run decide --db "$db" "$enc" refuse
echo "== 09:30 JFK: a stolen genuine passport whose chip photo was replaced with the bearer's own face:"
echo "   the faces match, but the chip's DG2 no longer has the hash its issuer signed (exit 1: referred)"
H=$(mrz GBR 530000009 HOLLOWAY JACK 1960-05-05 M)
"$bex" doc make "$files.chips/holloway" --mrz "$H" --photo $D/Carl_Reiner_0002.jpg --signer "$files.pki/ds.pem" \
    --key "$files.pki/ds.key" >/dev/null     # the genuine chip, stolen with the passport
"$bex" doc make "$files.chips/forged" --mrz "$H" --photo $D/Mick_Jagger_0001.jpg >/dev/null  # the forger's DG2 ...
cp "$files.chips/holloway/EF_SOD.bin" "$files.chips/forged/"   # ... beside the genuine, signed EF.SOD
run entry --db "$db" --photo $D/Mick_Jagger_0003.jpg --chip "$files.chips/forged" --mrz "$H" \
    --class B2 --admit-until 2026-03-31 --port JFK --port-kind air --at 2026-03-01T09:30:00Z
echo "== 11:00 SYS land crossing, a child of 7 (no manifest at land)"
C=$(mrz MEX 610000008 ROQUE FELIPE 2018-06-01 M)
run entry --db "$db" --photo $D/Felipe_Perez_Roque_0001.jpg --doc-photo $D/Felipe_Perez_Roque_0004.jpg \
    --mrz "$C" --class B2 --admit-until 2026-03-15 --port SYS --port-kind land --at 2026-03-01T11:00:00Z

echo "== 14:00 the carrier's manifest for flight BX1 and the gate's gallery (for an offline gate)"
cat >"$files.bx1.json" <<EOF
{"departure":"BX1-2026-03-01","carrier":"BX","voyage":"BX1","port":"JFK","port_kind":"air",
 "scheduled":"2026-03-01T18:00:00Z","travellers":[
 {"issuing_state":"GBR","number":"530000001","nationality":"GBR","surname":"Okafor","given_names":"Ada","birth_date":"1971-08-16","sex":"F"}]}
EOF
run manifest load --db "$db" "$files.bx1.json"
run gate register --db "$db" --device JFK-B22 --port JFK --out "$files.gate-b22.key"
run gallery build --db "$db" BX1-2026-03-01 --device JFK-B22 --out "$files.bx1.gallery"
echo "== 17:30 boarding BX1: the gate camera's photo against the flight's gallery first"
run exit --db "$db" --photo $D/Angela_Bassett_0005.jpg --port JFK --departure BX1-2026-03-01 --at 2026-03-01T17:30:00Z
echo "== 19:00 SYS: the child leaves by land: matched among everyone in the country"
run exit --db "$db" --photo $D/Felipe_Perez_Roque_0002.jpg --port SYS --at 2026-03-01T19:00:00Z

echo "== a month later: who overstayed (Chen Lu's admission ran to 2026-04-30; Souza's to 05-29)"
run overstays --db "$db" --as-of 2026-06-30 --format csv
run overstays --db "$db" --as-of 2026-06-30 --format csv --by country
echo "== what an officer must look at: the open flags, newest first"
run flags --db "$db" --status open --format csv
echo "== a traveller looked up by names and birth date (any case and spelling)"
run lookup --db "$db" --surname Chen --given Lu --birth 1968-12-02
echo "== the audit log: every read and write of personal data, hash-chained"
run audit verify --db "$db"
rm -f "$files.bx1.json"
rm -rf "$files.pki"        # the demo PKI's keys; the chips stay ($files.chips: try bex doc verify on them)
echo "demo: the store is $db; the gate gallery is $files.bx1.gallery, sealed to gate JFK-B22"
echo "      (its key file: $files.gate-b22.key)"
