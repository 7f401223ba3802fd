#!/usr/bin/env bash
# test_nodes.sh - two `bex serve` processes on one database (issue 16): by default one SQLite file
# (several processes may share one: BEGIN IMMEDIATE serialises the writers, and each node's 1:N
# index follows the other's commits through PRAGMA data_version); BEX_TEST_DB=pg (the wrapper
# test_nodes_pg.sh) one database of a real throw-away PostgreSQL server (tests/lib/testdb.sh;
# skipped, with the reason, without PostgreSQL; the index follows through change_log there):
#   a. the same arrival (one passport, one photo) posted many times at once to both nodes gives
#      what the same requests give one after another through one node on another SQLite file:
#      the same outcomes, one subject, one document, the same admissions; no 5xx;
#   b. the audit chain after heavy concurrent writes through both nodes: `bex audit verify` ok,
#      seq 1..N with no gap, no two entries with the same prev (no fork);
#   c. a traveller enrolled through A is found by a 1:N search through B at once; once an erase
#      through A (or `bex erase`) has committed, B never returns that template;
#   d. a key revoked through A is refused (401) by B at once; a retention period set through A is
#      read by B; console sessions (and their CSRF tokens) are shared by the nodes;
#   e. the same day at a port through two nodes on one database (requests alternating between
#      them), and through one node on another SQLite file: the same answers, flags (kinds and
#      counts), exit links and overstay report, ids and clock times normalised.
# Needs curl, python3 and the face models (and sqlite3 on SQLite; psql on PostgreSQL).
# BUILD=build-san: the nodes' output is checked for sanitizer reports. KEEP=DIR keeps the files.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null ||
    [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip $(basename "$0"): needs curl, python3 and the face models"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
if [ "${BEX_TEST_DB:-sqlite}" != pg ] && ! command -v sqlite3 >/dev/null; then
    echo "skip $(basename "$0"): needs sqlite3 to inspect the store"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
. tests/lib/testdb.sh
testdb_init
testdb_is_pg || echo "# on SQLite: two nodes on one file (BEX_TEST_DB=pg: on PostgreSQL)"
tmp=$(mktemp -d)
pids=()
cleanup() { [ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP";  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; testdb_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT
D=tests/data/lfw
# the shared store: two nodes on it (q, tests/lib/testdb.sh, reads it with sqlite3 or psql)
uri=$(testdb_new nodes "$tmp/nodes.db")
[ -n "$uri" ] || { echo "FAIL testdb_new"; echo "0 passed, 1 failed"; exit 1; }
key() { local db=$1; shift; "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))'; }
mrz() { # mrz STATE NUMBER SURNAME GIVEN BIRTH SEX: URL-quoted
    "$bex" mrz make --state "$1" --nationality "$1" --number "$2" --surname "$3" --given "$4" --birth "$5" --sex "$6" \
        --expiry 2032-01-01 | urlq
}
# start DB OUT: a node on DB at any free port; prints its URL
start() {
    "$bex" serve --db "$1" --listen 127.0.0.1:0 --queue 64 >"$2" 2>"$2.err" &
    pids+=($!)
    for _ in $(seq 200); do grep -q listening "$2" 2>/dev/null && break; sleep 0.05; done
    echo "http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$2")"
}
# post URL PATH KEY OUT [curl args]: the status; the body in OUT
post() {
    local u=$1 p=$2 k=$3 o=$4; shift 4
    curl -s -o "$o" -w '%{http_code}' -X POST -H "Authorization: Bearer $k" "$@" "$u$p"
}
get() { local u=$1 p=$2 k=$3 o=$4; curl -s -o "$o" -w '%{http_code}' -H "Authorization: Bearer $k" "$u$p"; }
outcome() { grep -o '"outcome":"[a-z_]*"' "$1" | head -1; }

OFFICER=$(key "$uri" --role officer --label nodes)
ADMIN=$(key "$uri" --role admin)
ANALYST=$(key "$uri" --role analyst)
[ ${#OFFICER} -eq 64 ] && [ ${#ADMIN} -eq 64 ] && [ ${#ANALYST} -eq 64 ]; check "keys_made ($TESTDB)" $?
A=$(start "$uri" "$tmp/a.out")
B=$(start "$uri" "$tmp/b.out")
[ "$(get "$A" /v1/health "" "$tmp/h")" = 200 ] && [ "$(get "$B" /v1/health "" "$tmp/h")" = 200 ] && [ "$A" != "$B" ]
check two_nodes_up $?

# ---- a. the same arrival at once through both nodes ----
N=16
M=$(mrz GBR 530000001 OKAFOR ADA 1971-08-16 F)
ENTRY="/v1/entries?mrz=$M&class=B2&admit_until=2026-03-31&port=JFK&port_kind=air&at=2026-03-01T08:00:00Z"
mkdir -p "$tmp/a"
for i in $(seq $N); do
    u=$A; [ $((i % 2)) = 0 ] && u=$B
    post "$u" "$ENTRY" "$OFFICER" "$tmp/a/$i.json" --data-binary @"$D/Angela_Bassett_0004.jpg" >"$tmp/a/$i.code" &
done
wait_curls() { local p; for p in $(jobs -p); do case " ${pids[*]} " in *" $p "*) ;; *) wait "$p" ;; esac; done; }
wait_curls
codes=$(for f in "$tmp/a/"*.code; do cat "$f"; echo; done | sort | uniq -c | tr -s " \n" "  ")
outs=$(for i in $(seq $N); do outcome "$tmp/a/$i.json"; done | sort | uniq -c | tr -s " \n" "  ")
counts() { # counts DB: subjects, documents, admissions, encounters
    local t
    for t in "subjects" "documents" "admissions" "encounters"; do printf '%s=%s ' "$t" "$(q "$1" "SELECT count(*) FROM $t")"; done
    echo
}
nodecounts=$(counts "$uri")
# the same requests one after another, one node on SQLite
lite="$tmp/serial.db"
LOFF=$(key "$lite" --role officer)
L=$(start "$lite" "$tmp/l.out")
mkdir -p "$tmp/s"
for i in $(seq $N); do
    post "$L" "$ENTRY" "$LOFF" "$tmp/s/$i.json" --data-binary @"$D/Angela_Bassett_0004.jpg" >"$tmp/s/$i.code"
done
scodes=$(for f in "$tmp/s/"*.code; do cat "$f"; echo; done | sort | uniq -c | tr -s " \n" "  ")
souts=$(for i in $(seq $N); do outcome "$tmp/s/$i.json"; done | sort | uniq -c | tr -s " \n" "  ")
litecounts=$(counts "$lite")
echo "  concurrent: $codes | $outs | $nodecounts"
echo "  serial:     $scodes | $souts | $litecounts"
[ "$codes" = "$scodes" ] && [ "$(echo $codes)" = "$N 200" ]; check "concurrent_same_arrival_no_5xx_same_statuses_as_serial" $?
[ "$outs" = "$souts" ]; check concurrent_same_arrival_same_outcomes_as_serial $?
[ "$nodecounts" = "$litecounts" ] && [ "$(q "$uri" "SELECT count(*) FROM documents WHERE number = '530000001'")" = 1 ] &&
    [ "$(q "$uri" "SELECT count(*) FROM subjects")" = 1 ]
check concurrent_same_arrival_one_subject_one_document $?
# which admission is open, and how the others were closed, as the serial order leaves them
adm="SELECT sum(CASE WHEN exit_encounter_id IS NULL THEN 1 ELSE 0 END), count(*) FROM admissions"
[ "$(q "$uri" "$adm")" = "$(q "$lite" "$adm")" ]; check "concurrent_same_arrival_admissions_as_serial (open|all: $(q "$lite" "$adm"))" $?

# ---- b. the audit chain under heavy concurrent writes through both nodes ----
mkdir -p "$tmp/b"
i=0
for f in "$D"/*_000[1-9].jpg; do
    i=$((i + 1))
    u=$A; [ $((i % 2)) = 0 ] && u=$B
    m=$(mrz CAN $((600000000 + i)) "TRAVELLER$(python3 -c "import sys; n=int(sys.argv[1]); print(chr(65+n%26)+chr(65+n//26))" $i)" PAT 1970-01-01 M)
    post "$u" "/v1/entries?mrz=$m&class=B2&admit_until=2026-03-31&port=JFK&port_kind=air&at=2026-03-01T09:00:00Z" \
        "$OFFICER" "$tmp/b/e$i.json" --data-binary @"$f" >"$tmp/b/e$i.code" &
    u=$B; [ $((i % 2)) = 0 ] && u=$A
    post "$u" "/v1/exits?port=JFK&at=2026-03-02T09:00:00Z" "$OFFICER" "$tmp/b/x$i.json" --data-binary @"$f" \
        >"$tmp/b/x$i.code" &
    get "$u" "/v1/flags" "$ANALYST" "$tmp/b/f$i.json" >"$tmp/b/f$i.code" & # a denial-free read beside them
    post "$u" "/v1/entries" "0000000000000000000000000000000000000000000000000000000000000000" "$tmp/b/d$i.json" \
        >"$tmp/b/d$i.code" & # a denial: audited too
done
wait_curls
! grep -q '^5' "$tmp/b/"*.code; check "heavy_concurrent_writes_no_5xx ($i travellers, $((i * 4)) requests)" $?
"$bex" audit verify --db "$uri" >"$tmp/verify" 2>&1; check "audit_verify_after_concurrent_writes" $?
[ "$(q "$uri" "SELECT CASE WHEN count(*) = max(seq) AND min(seq) = 1 THEN 'yes' ELSE 'no' END FROM audit")" = yes ]; check audit_seq_contiguous $?
[ "$(q "$uri" "SELECT count(*) FROM (SELECT prev FROM audit GROUP BY prev HAVING count(*) > 1) x")" = 0 ] &&
    [ "$(q "$uri" "SELECT count(*) FROM audit a JOIN audit b ON b.seq = a.seq + 1 WHERE b.prev <> a.hash")" = 0 ]
check "audit_no_fork_each_prev_its_predecessor ($(q "$uri" "SELECT count(*) FROM audit") entries)" $?

# ---- c. the 1:N index follows the other node's writes ----
post "$B" /v1/identify "$OFFICER" "$tmp/c0.json" --data-binary @"$D/Condoleezza_Rice_0002.jpg" >/dev/null # B's index built now
MC=$(mrz USA 700000001 RICE CONDI 1954-11-14 F)
st=$(post "$A" "/v1/entries?mrz=$(mrz JAM 700000001 RICE CONDI 1954-11-14 F)&class=B2&admit_until=2026-04-30&port=JFK&port_kind=air&at=2026-03-03T08:00:00Z" \
    "$OFFICER" "$tmp/c1.json" --data-binary @"$D/Condoleezza_Rice_0003.jpg")
csubj=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["subject"])' "$tmp/c1.json" 2>/dev/null)
: "$MC"
[ "$st" = 200 ] && [ -n "$csubj" ]; check "enrolled_through_a ($st)" $?
found() { grep -q "\"candidates\":\[[^]]*\"subject\":$csubj[,}]" "$1"; }
[ "$(post "$B" /v1/identify "$OFFICER" "$tmp/c2.json" --data-binary @"$D/Condoleezza_Rice_0002.jpg")" = 200 ] &&
    found "$tmp/c2.json"
check found_through_b_right_after $?
st=$(post "$A" "/v1/erase?subject=$csubj" "$OFFICER" "$tmp/c3.json")
[ "$st" = 200 ] && grep -q '"samples_deleted":[1-9]' "$tmp/c3.json"; check "erased_through_a ($st)" $?
bad=0
for i in 1 2 3 4 5 6; do
    u=$B; [ $((i % 2)) = 0 ] && u=$A
    [ "$(post "$u" /v1/identify "$OFFICER" "$tmp/c4.json" --data-binary @"$D/Condoleezza_Rice_00$(printf %02d $((i % 2 * 9 + 2))).jpg")" = 200 ] || bad=1
    found "$tmp/c4.json" && bad=1
done
check erased_template_never_returned_by_either_node $bad
# an erase through the CLI, B's index built before it
st=$(post "$B" "/v1/identify" "$OFFICER" "$tmp/c5.json" --data-binary @"$D/Lucy_Liu_0004.jpg")
lsubj=$(post "$A" "/v1/entries?mrz=$(mrz CHN 560000004 CHEN LU 1968-12-02 F)&class=B2&admit_until=2026-04-30&port=JFK&port_kind=air&at=2026-03-03T09:00:00Z" \
    "$OFFICER" "$tmp/c6.json" --data-binary @"$D/Lucy_Liu_0002.jpg" >/dev/null
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["subject"])' "$tmp/c6.json" 2>/dev/null)
post "$B" /v1/identify "$OFFICER" "$tmp/c7.json" --data-binary @"$D/Lucy_Liu_0004.jpg" >/dev/null
grep -q "\"subject\":$lsubj[,}]" "$tmp/c7.json"; check found_through_b_before_cli_erase $?
"$bex" erase "$lsubj" --db "$uri" >/dev/null 2>&1
bad=0
for i in 1 2 3; do
    post "$B" /v1/identify "$OFFICER" "$tmp/c8.json" --data-binary @"$D/Lucy_Liu_0004.jpg" >/dev/null
    grep -q "\"subject\":$lsubj[,}]" "$tmp/c8.json" && bad=1
done
[ "$(q "$uri" "SELECT count(*) FROM samples WHERE subject_id = $lsubj")" = 0 ] && [ $bad = 0 ]
check cli_erase_followed_by_b $?

# ---- d. a key revoked through A is refused by B at once ----
VICTIM=$(key "$uri" --role analyst --label victim)
vid=$(q "$uri" "SELECT max(id) FROM api_keys")
[ "$(get "$B" /v1/flags "$VICTIM" "$tmp/d0")" = 200 ]; check key_works_on_b $?
[ "$(post "$A" "/v1/keys/revoke?id=$vid" "$ADMIN" "$tmp/d1")" = 200 ]; check key_revoked_through_a $?
[ "$(get "$B" /v1/flags "$VICTIM" "$tmp/d2")" = 401 ] && [ "$(get "$A" /v1/flags "$VICTIM" "$tmp/d2")" = 401 ]
check revoked_key_refused_by_b_at_once $?
# a retention period set through A is the one B reads
[ "$(post "$A" "/v1/retention?category=records&period=3y" "$ADMIN" "$tmp/r0")" = 200 ] &&
    [ "$(get "$B" /v1/retention "$ADMIN" "$tmp/r1")" = 200 ] &&
    [ "$(q "$uri" "SELECT seconds FROM retention WHERE category = 'records'")" != "" ] &&
    grep -q "\"records\":{\"seconds\":$(q "$uri" "SELECT seconds FROM retention WHERE category = 'records'")" "$tmp/r1"
check retention_set_through_a_read_by_b $?
# a console session made on B is known on A (sessions are in the database), its CSRF token
# too; signed out through A it is gone on B; another, made on B, ends on B at once when its
# key is revoked through A
SESS=$(key "$uri" --role officer --label console)
sid=$(q "$uri" "SELECT max(id) FROM api_keys")
sess() { curl -s -o /dev/null -w '%{http_code}' -b "$tmp/sess.jar" "$1/v1/session"; }
[ "$(curl -s -c "$tmp/sess.jar" -o "$tmp/sess.b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "{\"key\":\"$SESS\"}" "$B/v1/session")" = 200 ] && [ "$(sess "$B")" = 200 ] && [ "$(sess "$A")" = 200 ]
check console_session_made_on_b_known_on_a $?
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$tmp/sess.b")
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/sess.jar" -X POST -H "X-CSRF-Token: $csrf" "$A/v1/flags/status")" != 403 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/sess.jar" -X POST "$A/v1/flags/status")" = 403 ]
check console_csrf_of_b_accepted_by_a $?
[ "$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/sess.jar" -X POST -H "X-CSRF-Token: $csrf" "$A/v1/session/end")" = 200 ] &&
    [ "$(sess "$B")" = 401 ] && [ "$(q "$uri" "SELECT count(*) FROM console_sessions")" = 0 ]
check console_signed_out_on_a_gone_on_b $?
curl -s -c "$tmp/sess.jar" -o "$tmp/sess.b" -X POST -H 'Content-Type: application/json' -d "{\"key\":\"$SESS\"}" "$B/v1/session" >/dev/null
[ "$(sess "$A")" = 200 ] && [ "$(q "$uri" "SELECT count(*) FROM console_sessions WHERE length(token_hash) = 32")" = 1 ]
check console_session_kept_as_hash $?
[ "$(post "$A" "/v1/keys/revoke?id=$sid" "$ADMIN" "$tmp/d3")" = 200 ] && [ "$(sess "$B")" = 401 ]
check console_session_on_b_ends_when_key_revoked_through_a $?

# ---- e. the same day: two nodes on one database, one node on another SQLite file ----
# day DIR KEY URL1 URL2: the day's requests, alternating between URL1 and URL2, answers in DIR
day() {
    local d=$1 k=$2 u1=$3 u2=$4 n=0
    mkdir -p "$d"
    r() { # r METHOD PATH [curl args]
        local m=$1 p=$2 u=$u1; shift 2
        n=$((n + 1)); [ $((n % 2)) = 0 ] && u=$u2
        if [ "$m" = GET ]; then get "$u" "$p" "$k" "$d/$(printf %02d $n).json" >"$d/$(printf %02d $n).code"
        else post "$u" "$p" "$k" "$d/$(printf %02d $n).json" "$@" >"$d/$(printf %02d $n).code"; fi
    }
    local e="class=B2&port=JFK&port_kind=air"
    r POST "/v1/entries?mrz=$(mrz GBR 530000011 OKAFOR ADA 1971-08-16 F)&$e&admit_until=2026-03-31&at=2026-03-01T08:10:00Z" \
        --data-binary @"$D/Angela_Bassett_0004.jpg"
    r POST /v1/entries -F "photo=@$D/Arminio_Fraga_0003.jpg" -F "doc_photo=@$D/Arminio_Fraga_0006.jpg" \
        -F "mrz=$(mrz BRA 720000012 SOUZA ARMINIO 1957-07-20 M | python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.stdin.read().strip()))')" \
        -F class=WT -F admit_until=2026-05-29 -F port=JFK -F port_kind=air -F at=2026-03-01T08:20:00Z
    r POST "/v1/entries?mrz=$(mrz CHN 560000014 CHEN LU 1968-12-02 F)&$e&admit_until=2026-03-10&at=2026-03-01T08:40:00Z" \
        --data-binary @"$D/Lucy_Liu_0002.jpg"
    r POST "/v1/entries?mrz=$(mrz CAN 540000013 GERBERDING JULIE 1955-08-22 F)&$e&admit_until=2026-03-20&at=2026-03-01T09:00:00Z" \
        --data-binary @"$D/Julie_Gerberding_0005.jpg"
    # an impostor: someone else's face on OKAFOR's passport
    r POST "/v1/entries?mrz=$(mrz GBR 530000011 OKAFOR ADA 1971-08-16 F)&$e&admit_until=2026-03-31&at=2026-03-01T10:00:00Z" \
        --data-binary @"$D/Kalpana_Chawla_0003.jpg"
    r POST "/v1/entries?mrz=$(mrz RSA 570000015 FERREIRA WAYNE 1971-09-15 M)&class=B1&port=BLA&port_kind=land&admit_until=2026-03-05&at=2026-03-02T07:00:00Z" \
        --data-binary @"$D/Wayne_Ferreira_0001.jpg"
    r POST "/v1/exits?port=JFK&at=2026-03-05T18:00:00Z" --data-binary @"$D/Angela_Bassett_0005.jpg"
    r POST "/v1/exits?port=JFK&at=2026-03-06T18:00:00Z" --data-binary @"$D/Julie_Gerberding_0007.jpg"
    r POST "/v1/exits?port=JFK&at=2026-03-06T19:00:00Z" --data-binary @"$D/Mick_Jagger_0001.jpg"
    r POST "/v1/exits?port=BLA&port_kind=land&at=2026-03-20T12:00:00Z" --data-binary @"$D/Wayne_Ferreira_0003.jpg"
    r GET "/v1/overstays?as_of=2026-04-15"
    r GET "/v1/flags?limit=1000"
}
norm() { # the day's answers with ids by first appearance, clock times dropped
    python3 - "$1" <<'EOF'
import json, os, re, sys
d = sys.argv[1]
ids = {}
def lab(k, v):
    m = ids.setdefault(k, {})
    return "%s%d" % (k, m.setdefault(v, len(m) + 1))
IDK = re.compile(r"^(id|subject|encounter|admission|document|flag|sample|closed_by|closes|opened_by|merge|departure_id|"
                 r"device|key|key_id|next_before|[a-z_]+_id|[a-z_]+_encounter|[a-z_]+_subject|[a-z_]+_admission)$")
CLOCK = re.compile(r"^(created_at|updated_at|decided_at|recorded_at|now|took_ms|elapsed_ms|ms|us)$|_ms$|_us$")
def walk(x, k=None):
    if isinstance(x, dict):
        return {kk: walk(v, kk) for kk, v in x.items() if not CLOCK.search(kk)}
    if isinstance(x, list):
        return [walk(v, k) for v in x]
    if isinstance(x, int) and not isinstance(x, bool) and k and IDK.match(k):
        return lab(re.sub(r"^.*_", "", k) if k.endswith("_id") else k, x)
    if isinstance(x, float):
        return round(x, 4)
    return x
for f in sorted(os.listdir(d)):
    if not f.endswith(".json"): continue
    code = open(os.path.join(d, f[:-5] + ".code")).read().strip()
    try: body = walk(json.load(open(os.path.join(d, f))))
    except Exception: body = "unparsed"
    print(f[:-5], code, json.dumps(body, sort_keys=True))
EOF
}
d2=$(testdb_new day "$tmp/day2.db")
K2=$(key "$d2" --role officer)
A2=$(start "$d2" "$tmp/a2.out")
B2=$(start "$d2" "$tmp/b2.out")
day "$tmp/e_two" "$K2" "$A2" "$B2"
lite2="$tmp/day.db"
K3=$(key "$lite2" --role officer)
L2=$(start "$lite2" "$tmp/l2.out")
day "$tmp/e_lite" "$K3" "$L2" "$L2"
norm "$tmp/e_two" >"$tmp/e_two.txt"
norm "$tmp/e_lite" >"$tmp/e_lite.txt"
! grep -q '^[0-9]* [^2]' "$tmp/e_two.txt" && ! grep -q '^[0-9]* [^2]' "$tmp/e_lite.txt"; check day_all_answered_200 $?
diff "$tmp/e_lite.txt" "$tmp/e_two.txt" >"$tmp/e.diff"; r=$?
[ $r = 0 ] || head -c 3000 "$tmp/e.diff"
check "day_two_nodes_same_answers_as_one_sqlite_node ($(wc -l <"$tmp/e_two.txt") requests)" $r
fk="SELECT kind, count(*) FROM flags GROUP BY kind ORDER BY kind"
[ "$(q "$d2" "$fk")" = "$(q "$lite2" "$fk")" ] && [ -n "$(q "$lite2" "$fk")" ]
check "day_same_flags_by_kind ($(q "$lite2" "$fk" | tr '\n' ' '))" $?
grep -q '"outcome":"matched"' "$tmp/e_two/07.json" && grep -q '"outcome":"not_matched"' "$tmp/e_two/09.json"
check day_exit_links $?
"$bex" overstays --db "$d2" --as-of 2026-04-15 >"$tmp/o_two" 2>&1; r1=$?
"$bex" overstays --db "$lite2" --as-of 2026-04-15 >"$tmp/o_lite" 2>&1; r2=$?
[ $r1 = $r2 ] && [ -s "$tmp/o_lite" ] &&
    diff <(sed 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z//g; s/"\(subject\|admission\|id\)":[0-9]*//g' "$tmp/o_lite") \
         <(sed 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:.]*Z//g; s/"\(subject\|admission\|id\)":[0-9]*//g' "$tmp/o_two") >&2
check "day_same_overstay_report_cli (exit $r1 on both)" $?

# the nodes' own output: no sanitizer report (BUILD=build-san)
! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp"/*.out.err; check nodes_no_sanitizer_report $?

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
