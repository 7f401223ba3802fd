#!/usr/bin/env bash
# test_candidates.sh - GET /v1/candidates?encounter=ID (issue 15: each candidate of a flag scored
# 1:1 against the encounter's live capture, at the store's 1:1 operating point) with curl against
# a real `bex serve` on tools/demo-day.sh's store (LFW fixture faces): its roles (officer and
# admin 200, others 403, no key 401), a bad query 400, an unknown encounter 404, the answer equal
# to `bex candidates`'s, the impostor's flag (someone else on Chen Lu's passport: the passport's
# holder below the threshold, the subject made from the capture above it, as its own capture),
# the audit rows naming ids only, and once the capture is erased: no scores, "gone", a reason.
# Needs curl and models/. BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a
# throw-away cluster, a fresh database for the store; skipped with the reason without a server).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
models=${BEX_MODELS:-models}
if ! command -v curl >/dev/null || [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: needs curl and the face models"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
PY=/usr/bin/python3
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
SP=
trap '[ -n "$SP" ] && kill "$SP" 2>/dev/null; rm -rf "$tmp"; testdb_cleanup' EXIT
db=$(testdb_new demo "$tmp/demo.db")
BEX="$bex" tools/demo-day.sh "$db" "$tmp/demo" >"$tmp/demo.log" 2>&1; check demo_day_made $?
# rows DB SQL: q's rows (psql on PostgreSQL; Python's sqlite3 on SQLite, which needs no sqlite3 tool)
rows() {
    if testdb_is_pg; then q "$1" "$2"; return; fi
    $PY -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(str(x) for x in r))' "$1" "$2"
}
key() { "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
OFFICER=$(key --role officer --label booth)
CARRIER=$(key --role carrier --carrier BX)
ANALYST=$(key --role analyst)
AUDITOR=$(key --role auditor)
ADMIN=$(key --role admin)

"$bex" serve --db "$db" --listen 127.0.0.1:0 --rate 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
SP=$!
for _ in $(seq 200); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/serve.out")"
code() {
    local m=$1 p=$2 k=$3; shift 3
    local h=()
    [ -n "$k" ] && h=(-H "Authorization: Bearer $k")
    curl -s -o "$tmp/body" -w '%{http_code}' -X "$m" "${h[@]}" "$@" "$U$p"
}

# the impostor's flag: its encounter, the passport's holder (Chen Lu: the subject it names besides
# the encounter's own) and the encounter's subject (made from the capture)
"$bex" flags --db "$db" >"$tmp/flags.json"
ENC=$($PY -c 'import json, sys
print([x for x in json.load(open(sys.argv[1]))["flags"] if x["kind"] == "impostor_suspected"][0]["encounter"])' "$tmp/flags.json")
OWN=$(rows "$db" "SELECT subject_id FROM encounters WHERE id = ${ENC:-0}")
read -r ENC HOLDER PRESENTER <<<"$($PY - "$tmp/flags.json" "$OWN" <<'EOF'
import json, sys
f = [x for x in json.load(open(sys.argv[1]))["flags"] if x["kind"] == "impostor_suspected"][0]
own = int(sys.argv[2])
holder = [s for s in f["subjects"] if s != own][0]
print(f["encounter"], holder, own)
EOF
)"
[ -n "$ENC" ] && [ -n "$PRESENTER" ] && [ "$HOLDER" != "$PRESENTER" ]; check impostor_flag_found $?

# roles: officer and admin; the others 403; no key 401
bad=0
for r in OFFICER:200 ADMIN:200 CARRIER:403 ANALYST:403 AUDITOR:403; do
    role=${r%%:*}
    got=$(code GET "/v1/candidates?encounter=$ENC" "${!role}")
    [ "$got" = "${r##*:}" ] || { echo "  ${r%%:*}: $got, want ${r##*:}"; bad=1; }
done
check candidates_roles $bad
[ "$(code GET "/v1/candidates?encounter=$ENC" "")" = 401 ]; check candidates_without_key_401 $?
[ "$(code GET "/v1/candidates" "$OFFICER")" = 400 ] && [ "$(code GET "/v1/candidates?encounter=x" "$OFFICER")" = 400 ] &&
    [ "$(code GET "/v1/candidates?encounter=0" "$OFFICER")" = 400 ]; check candidates_bad_query_400 $?
[ "$(code GET "/v1/candidates?encounter=999999" "$OFFICER")" = 404 ] && grep -q 'no encounter' "$tmp/body"
check candidates_unknown_encounter_404 $?

# the answer, and the CLI's the same
[ "$(code GET "/v1/candidates?encounter=$ENC" "$OFFICER")" = 200 ] && cp "$tmp/body" "$tmp/api.json"
check candidates_200 $?
"$bex" candidates "$ENC" --db "$db" >"$tmp/cli.json"; check cli_candidates $?
cmp -s "$tmp/api.json" "$tmp/cli.json"; check cli_and_service_answer_alike $?
$PY - "$tmp/api.json" "$ENC" "$HOLDER" "$PRESENTER" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
enc, holder, presenter = (int(x) for x in sys.argv[2:])
assert d["encounter"] == enc and d["template"] == "kept" and "reason" not in d, d
c = {x["subject"]: x for x in d["candidates"]}
assert set(c) == {holder, presenter}, c
for x in c.values():
    assert set(x) == {"subject", "score", "threshold", "operating_point", "calibration", "match", "own_capture"}, x
    assert isinstance(x["score"], float) and x["operating_point"] == "FMR 0.001" and x["calibration"], x
h, p = c[holder], c[presenter]
assert h["score"] < h["threshold"] and not h["match"] and not h["own_capture"], h
assert p["score"] >= p["threshold"] and p["match"] and p["own_capture"], p
EOF
check impostor_holder_below_presenter_above $?
# the encounter's own decision was taken at the same threshold
[ "$(code GET "/v1/encounter?id=$ENC" "$OFFICER")" = 200 ] &&
    $PY -c "import json; e = json.load(open('$tmp/body'))['encounter']; c = json.load(open('$tmp/api.json'))['candidates']
assert all(abs(x['threshold'] - e['threshold']) < 1e-4 and x['operating_point'] == e['operating_point'] for x in c)"
check same_operating_point_as_the_entry $?
# audited, ids only
rows "$db" "SELECT actor, object, detail FROM audit WHERE action = 'read_candidates' AND object = 'encounter $ENC'" >"$tmp/audit.txt"
$PY - "$tmp/audit.txt" <<'EOF'
import sys
rows = [l.rstrip("\n").split("|", 2) for l in open(sys.argv[1]) if l.strip()]
assert len(rows) >= 2 and any(r[0].startswith("key:") for r in rows), rows
assert not any(w in (r[1] + r[2]).upper() for r in rows for w in ("CHEN", "LU ", "CHAWLA")), rows
EOF
check candidates_read_audited_by_id $?

# the capture erased: no scores, the reason, no error
[ "$(code POST "/v1/erase?subject=$PRESENTER" "$OFFICER")" = 200 ]; check presenter_erased $?
[ "$(code GET "/v1/candidates?encounter=$ENC" "$OFFICER")" = 200 ] && $PY -c "
import json; d = json.load(open('$tmp/body'))
assert d['template'] == 'gone' and d['reason'] and len(d['candidates']) == 2, d
assert all(x['score'] is None and x['match'] is False and x['threshold'] for x in d['candidates']), d"
check template_gone_scores_null $?

! grep -qi -e CHEN -e CHAWLA "$tmp/serve.out" "$tmp/serve.err"; check no_names_logged $?
kill "$SP" 2>/dev/null; wait "$SP" 2>/dev/null; SP=
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
