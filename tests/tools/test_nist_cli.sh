#!/usr/bin/env bash
# test_nist_cli.sh - `bex nist export` and `bex nist import` (issue 14 item 4) end to end on a
# store made by `bex entry` with the committed LFW fixture faces:
#   - an admitted entry whose photo retention kept is exported: the file is 0600, and an
#     independent reader (Python, below) finds Type-1 with CNT listing the Type-2 and Type-10,
#     VER, TOT, DAT, DAI/ORI/TCN as given, NSR/NTR 19.69; Type-2 of bex's profile with the
#     document and the crossing; Type-10 FACE/JPEGB/SYCC/250x250 whose 10.999 is byte for byte
#     the photo in the store; the read is in the audit log under the actor, without personal data;
#   - an entry whose photo was not retained, an unknown encounter and an id that is no number
#     are refused (exit 2) with a message that says why and no file is written (an existing
#     file at --out stays as it was);
#   - the file imported into a fresh store enrols the document (same fields) with one face
#     sample of source "document", which then matches the traveller's other photo at an exit;
#     imported again, nothing is added;
#   - a transaction made here with a Type-10 that is no image, a good Type-10 and two Type-14s
#     (raw grey too small to enrol at position 3, WSQ at 2): one face enrolled, the bad one
#     skipped with its reason, the WSQ finger enrolled and the raw one recorded as unusable (as
#     an entry records a required finger that failed), each with its decoded size and
#     resolution; one without bex's Type-2: its face skipped (no document), no store;
#   - Type-14s of FVC2002 fixtures (raw grey, CGA NONE, 500 ppi in 14.008-14.010): position 2
#     enrolled with the Type-2's subject (source officer, audited without personal data), 11
#     (no finger position bex enrols) and 1 (not asked for by the EES policy) skipped with the
#     reason; `bex lookup --finger 2=` another impression of that finger finds the subject and
#     a different finger does not; imported again, nothing added; a child's (under 12): no prints;
#   - a PPM photo goes out as raw pixels (CGA NONE) and comes back in under the capture policy;
#   - an entry's finger images kept (images=30d) exported as Type-14 (raw grey NONE, 500 ppi in
#     14.008-14.010, FGP, read back by the independent reader), audited, imported into a fresh
#     store where a finger look-up finds the traveller; with the images dropped, the export
#     says so and writes no Type-14;
#   - a truncated and a corrupted file: exit 2, the reader's message, no store made;
#   - an unmatched exit (no document) exports, and its import enrols nothing (no document).
# Skipped, saying why, without the models. BEX_TEST_DB=pg: the same on PostgreSQL
# (tests/lib/testdb.sh: a throw-away cluster, a fresh database for each store; skipped with the
# reason without a server); "no store made" there: the database fresh holds no table.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
models=${BEX_MODELS:-models}
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
skip_all() { echo "skip: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
[ -f "$models/face_recognition_model-weights_manifest.json" ] || skip_all "no face models in $models (tools/fetch-models.sh)"
[ -x "$bex" ] || skip_all "$bex not built"
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; testdb_cleanup' EXIT
D=tests/data/lfw
export BEX_ACTOR=officer:test
py() { /usr/bin/python3 -c "$@"; }
# store NAME: a fresh store ($tmp/NAME.db on SQLite, database NAME's URI on PostgreSQL)
store() { testdb_new "$1" "$tmp/$1.db"; }
# rows DB SQL: the rows, columns separated by |, NULL empty (psql on PostgreSQL; Python's sqlite3
# on SQLite, which needs no sqlite3 tool)
rows() {
    if testdb_is_pg; then q "$1" "$2"; return; fi
    py 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join("" if x is None else str(x) for x in r))' "$1" "$2"
}
# no_store DB: nothing was made (SQLite: no file; PostgreSQL: the fresh database has no table)
no_store() {
    if testdb_is_pg; then [ "$(q "$1" "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" = 0 ]
    else [ ! -e "$1" ]; fi
}

# An independent reader of the traditional encoding: records walked by their LEN, fields
# split at GS, the image field (999) taken whole. Prints the transaction as JSON (the image as
# its length and SHA-256) or writes one record's 999 to a file.
cat >"$tmp/an2.py" <<'EOF'
import hashlib, json, sys
def records(b):
    pos, out = 0, []
    while pos < len(b):
        colon = b.index(b":", pos)
        tag = b[pos:colon].decode()
        typ = int(tag.split(".")[0])
        end = b.index(b"\x1d", colon)
        n = int(b[colon + 1:end])
        rec, fields = b[pos:pos + n], {}
        assert rec[-1:] == b"\x1c", "record does not end with FS"
        body, i = rec[:-1], 0
        while i < len(body):
            c = body.index(b":", i)
            t, f = body[i:c].decode().split(".")
            assert int(t) == typ
            if int(f) == 999:
                fields[999] = body[c + 1:]; i = len(body)
            else:
                e = body.find(b"\x1d", c)
                e = len(body) if e < 0 else e
                fields[int(f)] = body[c + 1:e].decode(); i = e + 1
        out.append((typ, fields)); pos += n
    return out
b = open(sys.argv[1], "rb").read()
recs = records(b)
if len(sys.argv) > 3:  # write record N's image to a file
    open(sys.argv[3], "wb").write(recs[int(sys.argv[2])][1][999]); sys.exit(0)
j = []
for t, f in recs:
    d = {}
    for k, v in f.items():
        d[str(k)] = {"len": len(v), "sha256": hashlib.sha256(v).hexdigest()} if k == 999 else v
    j.append({"type": t, "fields": d})
print(json.dumps(j))
EOF
an2() { /usr/bin/python3 "$tmp/an2.py" "$@"; }

# ---- a store: an entry before photos are kept, then one after, then an unmatched exit
db=$(store a)
mrz() { "$bex" mrz make --number "$1" --state GBR --nationality GBR --surname "$2" --given "$3" --birth 1971-08-16 \
        --sex F --expiry 2032-01-01; }
entry() { "$bex" entry --db "$db" --port JFK --port-kind air --class B2 --admit-until 2026-03-31 "$@" >/dev/null; }
entry --photo $D/Angela_Bassett_0004.jpg --doc-photo $D/Angela_Bassett_0001.jpg --mrz "$(mrz 530000001 OKAFOR ANGELA)" \
    --at 2026-03-01T08:10:00Z &&
"$bex" purge --db "$db" --set images=30d --as-of 2026-03-01T08:11:00Z >/dev/null &&
entry --photo $D/Lucy_Liu_0002.jpg --doc-photo $D/Lucy_Liu_0003.jpg --mrz "$(mrz 530000002 LIU LUCY)" \
    --at 2026-03-01T08:20:00Z &&
"$bex" exit --db "$db" --photo $D/Mick_Jagger_0003.jpg --port JFK --at 2026-03-02T09:00:00Z >/dev/null
[ $? -le 1 ]
check store_built_with_entries_and_an_exit $?

# ---- export of encounter 2 (photo kept)
out=$("$bex" nist export 2 --db "$db" --out "$tmp/e.an2" --dai USDHSCBP0 --ori GBRUKBF00 --tcn T-0001 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"encounter":2' <<<"$out" && grep -q '"type":10,"idc":1,"cga":"JPEGB"' <<<"$out" &&
[ -f "$tmp/e.an2" ] && [ "$(stat -c %a "$tmp/e.an2")" = 600 ] && ! ls "$tmp"/e.an2.tmp.* >/dev/null 2>&1
check export_writes_the_file_0600 $?
an2 "$tmp/e.an2" >"$tmp/e.json"
check export_parses_with_an_independent_reader $?
py '
import json, re, sys
t = json.load(open(sys.argv[1]))
assert [r["type"] for r in t] == [1, 2, 10], [r["type"] for r in t]
f = t[0]["fields"]
assert f["2"] == "0502" and f["3"] == "1\x1f2\x1e2\x1f00\x1e10\x1f01", repr(f["3"])
assert f["4"] == "BEXENC" and re.fullmatch(r"20\d{6}", f["5"]), (f["4"], f["5"])
assert f["7"] == "USDHSCBP0" and f["8"] == "GBRUKBF00" and f["9"] == "T-0001"
assert f["11"] == "19.69" and f["12"] == "19.69"
assert f["13"].startswith("BEX\x1f")
' "$tmp/e.json"
check type1_cnt_lists_type2_and_type10_and_fields $?
py '
import json, sys
f = json.load(open(sys.argv[1]))[1]["fields"]
want = {"2": "00", "3": "BEX-1", "10": "P", "11": "GBR", "12": "530000002", "13": "GBR", "14": "LIU", "15": "LUCY",
        "16": "19710816", "17": "F", "18": "20320101", "20": "2", "21": "JFK", "22": "air", "23": "entry",
        "24": "2026-03-01T08:20:00Z", "25": "matched", "26": "admitted"}
for k, v in want.items():
    assert f.get(k) == v, (k, f.get(k), v)
' "$tmp/e.json"
check type2_has_the_document_and_the_crossing $?
an2 "$tmp/e.an2" 2 "$tmp/img.bin" &&
if testdb_is_pg; then
    q "$db" "SELECT encode(image, 'hex') FROM samples WHERE encounter_id = 2 AND source = 'entry'" | xxd -r -p >"$tmp/stored.bin"
else
    py 'import sqlite3, sys
open(sys.argv[2], "wb").write(sqlite3.connect(sys.argv[1]).execute(
    "SELECT image FROM samples WHERE encounter_id = 2 AND source = \"entry\"").fetchone()[0])' "$db" "$tmp/stored.bin"
fi &&
py '
import json, sys
f = json.load(open(sys.argv[1]))[2]["fields"]
want = {"2": "01", "3": "FACE", "4": "GBRUKBF00", "5": "20260301", "6": "250", "7": "250", "8": "0", "9": "1",
        "10": "1", "11": "JPEGB", "12": "SYCC", "13": "0"}
for k, v in want.items():
    assert f.get(k) == v, (k, f.get(k), v)
img = open(sys.argv[2], "rb").read()
assert img == open(sys.argv[3], "rb").read() == open("tests/data/lfw/Lucy_Liu_0002.jpg", "rb").read()
' "$tmp/e.json" "$tmp/stored.bin" "$tmp/img.bin"
check type10_fields_and_image_bytes_identical_to_the_retained_photo $?
rows "$db" "SELECT actor, action, object, detail FROM audit WHERE action = 'read_encounter'" >"$tmp/audit.txt"
py '
import sys
rows = [tuple(l.rstrip("\n").split("|", 3)) for l in open(sys.argv[1]) if l.strip()]
assert ("officer:test", "read_encounter", "encounter 2", "export with photo") in rows, rows
for r in rows:
    assert "LIU" not in repr(r) and "530000002" not in repr(r), r
' "$tmp/audit.txt"
check export_is_an_audited_read_without_personal_data $?

# ---- refusals: photo not retained, unknown encounter, not a number; nothing written
echo keep >"$tmp/keep.an2"
out=$("$bex" nist export 1 --db "$db" --out "$tmp/keep.an2" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'photo was not retained' <<<"$out" && grep -q 'nothing written' <<<"$out" &&
[ "$(cat "$tmp/keep.an2")" = keep ] && ! grep -q 'OKAFOR\|530000001' <<<"$out"
check not_retained_refused_existing_file_untouched $?
out=$("$bex" nist export 99 --db "$db" --out "$tmp/u.an2" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'encounter 99: no encounter with that id' <<<"$out" && [ ! -e "$tmp/u.an2" ]
check unknown_encounter_refused $?
out=$("$bex" nist export carrier --db "$db" --out "$tmp/u.an2" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "ENCOUNTER is an encounter's id" <<<"$out" && [ ! -e "$tmp/u.an2" ]
check encounter_not_a_number_refused $?
out=$("$bex" nist export 2 --db "$db" --out "$tmp/no/such/dir/e.an2" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'nothing written' <<<"$out" && [ ! -e "$tmp/no" ]
check unwritable_output_refused $?

# ---- import into a fresh store: the document and one face sample of source document
db2=$(store b)
out=$("$bex" nist import "$tmp/e.an2" --db "$db2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"skipped":\[\],"fingerprints":\[\],"records":3,"document":true,"source":"document","faces":1,"enrolled":1' <<<"$out"
check import_enrols_the_face $?
rows "$db2" "SELECT type, issuing_state, number, nationality, surname, given_names, birth_date, sex, expiry_date FROM documents" >"$tmp/docs.txt" &&
rows "$db2" "SELECT subject_id, source, encounter_id FROM samples" >"$tmp/samples.txt" &&
py '
import sys
docs = [l.rstrip("\n") for l in open(sys.argv[1])]
assert docs == ["P|GBR|530000002|GBR|LIU|LUCY|1971-08-16|F|2032-01-01"], docs
s = [l.rstrip("\n") for l in open(sys.argv[2])]
assert s == ["1|document|"], s
' "$tmp/docs.txt" "$tmp/samples.txt"
check import_round_trips_the_document_with_a_document_sample $?
out=$("$bex" exit --db "$db2" --photo $D/Lucy_Liu_0003.jpg --port JFK --port-kind air --at 2026-03-05T09:00:00Z 2>&1)
grep -q '"subject":1' <<<"$out" && grep -q '"outcome":"matched"' <<<"$out"
check imported_face_matches_the_traveller_at_an_exit $?
out=$("$bex" nist import "$tmp/e.an2" --db "$db2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"enrolled":0,"already_enrolled":1' <<<"$out"
check import_again_adds_nothing $?

# ---- a PPM photo, which no CGA code names: raw pixels under CGA NONE, and back
db3=$(store p)
entry3() { "$bex" entry --db "$db3" --port JFK --port-kind air --class B2 --admit-until 2026-03-31 "$@" >/dev/null; }
entry3 --photo $D/Lucy_Liu_0002.jpg --mrz "$(mrz 530000002 LIU LUCY)" --at 2026-03-01T08:10:00Z &&
"$bex" purge --db "$db3" --set images=30d --as-of 2026-03-01T08:11:00Z >/dev/null &&
entry3 --photo $D/Adrien_Brody_0007_tight.ppm --min-eye-distance 20 --mrz "$(mrz 530000007 BRODY ADRIEN)" \
    --at 2026-03-01T08:30:00Z &&
out=$("$bex" nist export 2 --db "$db3" --out "$tmp/p.an2" 2>&1) &&
grep -q '"cga":"NONE","csp":"RGB","hll":100,"vll":100,"image_bytes":30000' <<<"$out" &&
an2 "$tmp/p.an2" 2 "$tmp/p.bin" &&
py '
import sys
ppm = open(sys.argv[1], "rb").read()
assert ppm.startswith(b"P6")
assert open(sys.argv[2], "rb").read() == ppm[-30000:]
' $D/Adrien_Brody_0007_tight.ppm "$tmp/p.bin"
check ppm_photo_exported_as_raw_pixels $?
out=$("$bex" nist import "$tmp/p.an2" --db "$(store p2)" --min-eye-distance 20 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"enrolled":1' <<<"$out"
check raw_pixels_imported $?
out=$("$bex" nist import "$tmp/p.an2" --db "$(store p3)" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"outcome":"face_too_small"' <<<"$out" && grep -q '"enrolled":0' <<<"$out"
check import_applies_the_capture_policy $?

# ---- a transaction of another shape: a Type-10 that is no image, a good one, a Type-14
cat >"$tmp/mk.py" <<'EOF'
import sys
def rec(t, fields):  # fields: [(num, bytes)], LEN computed to its fixed point
    body = b"".join(b"%d.%03d:%s\x1d" % (t, n, v) for n, v in fields)
    n = 0
    while True:
        b = b"%d.001:%d\x1d" % (t, n) + body
        b = b[:-1] + b"\x1c"
        if len(b) == n: return b
        n = len(b)
img = open(sys.argv[2], "rb").read()
wsq = open("tests/data/finger/jnbis_sample.wsq", "rb").read()
gray = bytes(range(256)) * 3  # 32x24 raw gray pixels, separators among them
t2 = [(2, b"00"), (3, b"BEX-1"), (10, b"P"), (11, b"UTO"), (12, b"L898902C3"), (13, b"UTO"), (14, b"ERIKSSON"),
      (15, b"ANNA MARIA"), (16, b"19740812"), (17, b"F"), (18, b"20320415")]
if sys.argv[3] == "foreign": t2 = [(2, b"00"), (3, b"SOMEONE-ELSE"), (11, b"x")]
def face(idc, data):
    return rec(10, [(2, idc), (3, b"FACE"), (4, b"TEST"), (5, b"20260301"), (6, b"250"), (7, b"250"), (8, b"0"),
                    (9, b"1"), (10, b"1"), (11, b"JPEGB"), (12, b"SYCC"), (999, data)])
recs = [(2, 0, rec(2, t2)), (10, 1, face(b"01", b"\xff\xd8 this is no JPEG")), (10, 2, face(b"02", img)),
        (14, 3, rec(14, [(2, b"03"), (3, b"TEST"), (4, b"TEST"), (5, b"20260301"), (6, b"32"), (7, b"24"), (8, b"0"),
                         (9, b"1"), (10, b"1"), (11, b"NONE"), (12, b"8"), (13, b"3"), (999, gray)])),
        (14, 4, rec(14, [(2, b"04"), (3, b"TEST"), (4, b"TEST"), (5, b"20260301"), (6, b"545"), (7, b"622"), (8, b"1"),
                         (9, b"500"), (10, b"500"), (11, b"WSQ20"), (12, b"8"), (13, b"2"), (999, wsq)]))]
cnt = b"1\x1f%d" % len(recs) + b"".join(b"\x1e%d\x1f%02d" % (t, i) for t, i, _ in recs)
t1 = rec(1, [(2, b"0502"), (3, cnt), (4, b"TEST"), (5, b"20260301"), (7, b"X"), (8, b"Y"), (9, b"Z"),
             (11, b"19.69"), (12, b"19.69")])
open(sys.argv[1], "wb").write(t1 + b"".join(r for _, _, r in recs))
EOF
declare -A S
for n in f t x n; do S[$n]=$(store $n); done
/usr/bin/python3 "$tmp/mk.py" "$tmp/m.an2" $D/Angela_Bassett_0005.jpg bex &&
dbc=$(store c)
out=$("$bex" nist import "$tmp/m.an2" --db "$dbc" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"skipped":\[{"record":3,"type":10,"idc":1,"outcome":"bad_image","message":"10.999 cannot be decoded' <<<"$out" &&
grep -q '"fingerprints":\[{"record":5,"idc":3,"position":3,"image":{"compression":"NONE","width":32,"height":24,"ppi":500,"ppi_source":"assumed"},"fingers":\[{"position":3,"outcome":"unusable","quality":[0-9]*,"minutiae":[0-9]*,"message":"recorded as unusable: ' <<<"$out" &&
grep -q '{"record":6,"idc":4,"position":2,"image":{"compression":"WSQ20","width":545,"height":622,"ppi":500,"ppi_source":"file"},"fingers":\[{"position":2,"outcome":"enrolled","quality":[0-9]*,"minutiae":[0-9]*}\]}' <<<"$out" &&
grep -q '"records":6,"document":true,"source":"document","faces":2,"enrolled":1,"already_enrolled":0,"not_enrolled":1,"prints":"taken","fingers_enrolled":1,"fingers_unusable":1,"fingers_already_enrolled":0,"subject":1' <<<"$out" &&
[ "$(rows "$dbc" "SELECT subject_id, encounter_id, position, source, status, CASE WHEN template IS NULL THEN 0 ELSE 1 END FROM finger_samples ORDER BY position" | tr '\n' ' ')" = "1||2|officer|enrolled|1 1||3|officer|unusable|0 " ]
check import_skips_an_unusable_face_enrols_the_other_and_the_type14_fingers $?
/usr/bin/python3 "$tmp/mk.py" "$tmp/f.an2" $D/Angela_Bassett_0005.jpg foreign &&
out=$("$bex" nist import "$tmp/f.an2" --db "${S[f]}" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"outcome":"no_document"' <<<"$out" && grep -q '"enrolled":0' <<<"$out" && no_store "${S[f]}"
check import_without_bex_type2_enrols_nothing $?

# ---- fingers: Type-14s of real prints (FVC2002 fixtures as raw grey, CGA NONE, 500 ppi stated)
# enrolled with the Type-2's subject by the EES policy, then found by a look-up with another
# impression of the same finger and not with a different finger
cat >"$tmp/mkf.py" <<'EOF'
import struct, sys
# mkf.py OUT BIRTH NUMBER FGP=FILE...: bex's Type-2 and one Type-14 per finger, the image raw
# 8-bit grey (CGA NONE, 500 ppi stated in 14.008-14.010) from an uncompressed grey TIFF
def rec(t, fields):
    body = b"".join(b"%d.%03d:%s\x1d" % (t, n, v) for n, v in fields)
    n = 0
    while True:
        b = b"%d.001:%d\x1d" % (t, n) + body
        b = b[:-1] + b"\x1c"
        if len(b) == n: return b
        n = len(b)
def tiff(path):  # width, height, pixels of an uncompressed 8-bit grey TIFF (the FVC fixtures)
    b = open(path, "rb").read()
    e = "<" if b[:2] == b"II" else ">"
    off = struct.unpack(e + "I", b[4:8])[0]
    tags = {}
    for i in range(struct.unpack(e + "H", b[off:off + 2])[0]):
        t, ty, c, v = struct.unpack(e + "HHII", b[off + 2 + 12 * i:off + 14 + 12 * i])
        if ty == 3: v = struct.unpack(e + "H", b[off + 10 + 12 * i:off + 12 + 12 * i])[0]
        tags[t] = v
    assert tags[259] == 1 and tags[258] == 8 and tags.get(262) == 1, "not uncompressed 8-bit grey"
    w, h = tags[256], tags[257]
    return w, h, b[tags[273]:tags[273] + w * h]
t2 = [(2, b"00"), (3, b"BEX-1"), (10, b"P"), (11, b"UTO"), (12, sys.argv[3].encode()), (13, b"UTO"),
      (14, b"ERIKSSON"), (15, b"ANNA MARIA"), (16, sys.argv[2].encode()), (17, b"F"), (18, b"20320415")]
recs = [(2, 0, rec(2, t2))]
for i, a in enumerate(sys.argv[4:]):
    fgp, path = a.split("=", 1)
    w, h, px = tiff(path)
    recs.append((14, i + 1, rec(14, [(2, b"%02d" % (i + 1)), (3, b"TEST"), (4, b"TEST"), (5, b"20260301"),
                                      (6, b"%d" % w), (7, b"%d" % h), (8, b"1"), (9, b"500"), (10, b"500"),
                                      (11, b"NONE"), (12, b"8"), (13, fgp.encode()), (999, px)])))
cnt = b"1\x1f%d" % len(recs) + b"".join(b"\x1e%d\x1f%02d" % (t, i) for t, i, _ in recs)
t1 = rec(1, [(2, b"0502"), (3, cnt), (4, b"TEST"), (5, b"20260301"), (7, b"X"), (8, b"Y"), (9, b"Z"),
             (11, b"19.69"), (12, b"19.69")])
open(sys.argv[1], "wb").write(t1 + b"".join(r for _, _, r in recs))
EOF
F=tests/data/finger
dbf=$(store fp)
/usr/bin/python3 "$tmp/mkf.py" "$tmp/fp.an2" 19740812 L898902C3 2=$F/fvc2002_DB1_B_101_1.tif \
    11=$F/fvc2002_DB1_B_101_3.tif 1=$F/fvc2002_DB3_B_101_1.tif &&
out=$("$bex" nist import "$tmp/fp.an2" --db "$dbf" 2>&1); rc=$?
[ $rc -eq 0 ] &&
grep -q '{"record":3,"idc":1,"position":2,"image":{"compression":"NONE","width":388,"height":374,"ppi":500,"ppi_source":"declared"},"fingers":\[{"position":2,"outcome":"enrolled","quality":[0-9]*,"minutiae":[0-9]*}\]}' <<<"$out" &&
grep -q '{"record":4,"idc":2,"position":11,"image":{[^}]*},"outcome":"unsupported_position","message":"14.013 FGP 11 is not a finger' <<<"$out" &&
grep -q '{"record":5,"idc":3,"position":1,.*"fingers":\[{"position":1,"outcome":"skipped",.*"message":"not kept: the finger policy does not ask for position 1' <<<"$out" &&
grep -q '"faces":0,"enrolled":0,"already_enrolled":0,"not_enrolled":0,"prints":"taken","fingers_enrolled":1,"fingers_unusable":0,"fingers_already_enrolled":0,"subject":1,"document_id":1}' <<<"$out" &&
[ "$(rows "$dbf" "SELECT subject_id, position, source, status FROM finger_samples")" = "1|2|officer|enrolled" ]
check import_enrols_type14_fingers_by_position_and_policy $?
out=$("$bex" lookup --finger 2=$F/fvc2002_DB1_B_101_2.tif --db "$dbf" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"subject":1,"finger":{"gallery":"all","gallery_size":1,"subject":1' <<<"$out" && grep -q '"match":true' <<<"$out"
check imported_finger_found_by_a_lookup_with_another_impression $?
out=$("$bex" lookup --finger 2=$F/fvc2002_DB1_B_102_1.tif --db "$dbf" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"match":false' <<<"$out"
check a_different_finger_is_not_found $?
rows "$dbf" "SELECT actor, action, object, detail FROM audit WHERE action = 'enrol_fingers'" >"$tmp/fa.txt" &&
py '
import sys
rows = [tuple(l.rstrip("\n").split("|", 3)) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) == 1 and rows[0][:3] == ("officer:test", "enrol_fingers", "subject 1 document 1"), rows
for r in rows:
    assert "ERIKSSON" not in repr(r) and "L898902C3" not in repr(r), r
' "$tmp/fa.txt"
check finger_enrolment_audited_without_personal_data $?
out=$("$bex" nist import "$tmp/fp.an2" --db "$dbf" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"position":2,"outcome":"already_enrolled"' <<<"$out" &&
grep -q '"fingers_enrolled":0,"fingers_unusable":0,"fingers_already_enrolled":1' <<<"$out" &&
[ "$(rows "$dbf" "SELECT count(*) FROM finger_samples")" = 1 ]
check import_again_adds_no_finger $?
/usr/bin/python3 "$tmp/mkf.py" "$tmp/child.an2" 20200101 C01234567 2=$F/fvc2002_DB1_B_102_1.tif &&
out=$("$bex" nist import "$tmp/child.an2" --db "$dbf" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"outcome":"skipped","quality":[0-9]*,"minutiae":[0-9]*,"message":"prints not taken (under_age)' <<<"$out" &&
grep -q '"prints":"under_age","fingers_enrolled":0' <<<"$out" &&
[ "$(rows "$dbf" "SELECT count(*) FROM finger_samples")" = 1 ] && [ "$(rows "$dbf" "SELECT count(*) FROM subjects")" = 1 ]
check a_child_under_12_gives_no_prints $?

# ---- export with fingers: an entry's finger images kept (retention "images" above 0) go out as
# Type-14 (raw grey, 500 ppi) and come back in a fresh store, found by a finger look-up
dbr=$(store r)
mrz9=$(mrz 530000009 LIU LUCY)
"$bex" entry --db "$dbr" --port JFK --port-kind air --class B2 --admit-until 2026-03-31 --photo $D/Angela_Bassett_0004.jpg \
    --mrz "$(mrz 530000001 OKAFOR ANGELA)" --at 2026-03-01T08:00:00Z >/dev/null &&
"$bex" purge --db "$dbr" --set images=30d --as-of 2026-03-01T08:01:00Z >/dev/null &&
"$bex" entry --db "$dbr" --port JFK --port-kind air --class B2 --admit-until 2026-03-31 --photo $D/Lucy_Liu_0002.jpg \
    --mrz "$mrz9" --at 2026-03-01T08:10:00Z --finger 2=$F/fvc2002_DB1_B_101_1.tif --finger 3=$F/fvc2002_DB1_B_102_1.tif \
    --finger-missing 4 --finger-missing 5 >/dev/null &&
out=$("$bex" nist export 2 --db "$dbr" --out "$tmp/r.an2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '{"type":14,"idc":2,"fgp":2,"cga":"NONE","hll":388,"vll":374,"ppi":500},{"type":14,"idc":3,"fgp":3,"cga":"NONE","hll":388,"vll":374,"ppi":500}\],"fingers":{"on_record":2,"images_kept":2,"exported":2}}' <<<"$out" &&
an2 "$tmp/r.an2" | py '
import json, sys
t = json.load(sys.stdin)
assert [r["type"] for r in t] == [1, 2, 10, 14, 14], [r["type"] for r in t]
assert t[0]["fields"]["3"] == "1\x1f4\x1e2\x1f00\x1e10\x1f01\x1e14\x1f02\x1e14\x1f03", repr(t[0]["fields"]["3"])
for r, fgp in ((t[3], "2"), (t[4], "3")):
    f = r["fields"]
    want = {"3": "0", "6": "388", "7": "374", "8": "1", "9": "500", "10": "500", "11": "NONE", "12": "8", "13": fgp}
    for k, v in want.items():
        assert f.get(k) == v, (k, f.get(k), v)
    assert f["999"]["len"] == 388 * 374
'
check export_writes_the_kept_finger_images_as_type14 $?
rows "$dbr" "SELECT detail FROM audit WHERE action = 'read_encounter'" | grep -qx 'export with photo, 2 finger images'
check export_with_fingers_audited $?
dbr2=$(store r2)
out=$("$bex" nist import "$tmp/r.an2" --db "$dbr2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"enrolled":1,.*"prints":"taken","fingers_enrolled":2,"fingers_unusable":0' <<<"$out" &&
out=$("$bex" lookup --finger 2=$F/fvc2002_DB1_B_101_2.tif --db "$dbr2" 2>&1) &&
grep -q '"subject":1,"finger":{"gallery":"all","gallery_size":1,"subject":1' <<<"$out" && grep -q '"match":true' <<<"$out"
check exported_fingers_round_trip_into_a_fresh_store $?
# a finger image not kept (as retention drops it): the export says so and writes no Type-14
if testdb_is_pg; then q "$dbr" "UPDATE finger_samples SET image = NULL WHERE encounter_id = 2" >/dev/null
else py 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE finger_samples SET image = NULL WHERE encounter_id = 2"); c.commit()' "$dbr"; fi
out=$("$bex" nist export 2 --db "$dbr" --out "$tmp/r0.an2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"fingers":{"on_record":2,"images_kept":0,"exported":0,"message":"the crossing.s fingers. images were not retained' <<<"$out" &&
[ "$(an2 "$tmp/r0.an2" | py 'import json, sys; print([r["type"] for r in json.load(sys.stdin)])')" = "[1, 2, 10]" ]
check export_without_kept_finger_images_says_so $?

# ---- truncated and corrupted files: exit 2, the reader's message, no store made
head -c 5000 "$tmp/e.an2" >"$tmp/t.an2"
out=$("$bex" nist import "$tmp/t.an2" --db "${S[t]}" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'record 3 (Type-10) .*runs past the end of the file.*; nothing imported' <<<"$out" && no_store "${S[t]}"
check truncated_file_refused_nothing_written $?
sed '0,/2.001:/s//2.001:9/' "$tmp/e.an2" >"$tmp/x.an2"
out=$("$bex" nist import "$tmp/x.an2" --db "${S[x]}" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'record 2 (Type-2) field 2.001' <<<"$out" && no_store "${S[x]}" &&
! grep -q 'LIU\|530000002' <<<"$out"
check corrupt_file_refused_nothing_written $?
out=$("$bex" nist import "$tmp/none.an2" --db "${S[n]}" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q 'cannot open' <<<"$out" && no_store "${S[n]}"
check missing_file_refused $?

# ---- an unmatched exit (no document): exported, and its import has no document to enrol with
eid=$(rows "$db" "SELECT id FROM encounters WHERE direction = 'exit'" | head -1)
out=$("$bex" nist export "$eid" --db "$db" --out "$tmp/x2.an2" 2>&1); rc=$?
[ $rc -eq 0 ] && grep -q '"document":false' <<<"$out" &&
an2 "$tmp/x2.an2" | py 'import json, sys; f = json.load(sys.stdin)[1]["fields"]; assert "12" not in f and f["23"] == "exit" and f["25"] == "not_matched", f'
check unmatched_exit_exported_without_document $?
out=$("$bex" nist import "$tmp/x2.an2" --db "$(store x2)" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q '"outcome":"no_document","message":"field 2.011 (issuing state) is missing' <<<"$out"
check unmatched_exit_import_enrols_nothing $?

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
