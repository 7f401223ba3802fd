#!/usr/bin/env bash
# test_db_copy.sh - bex db copy: a pilot's SQLite store (tools/demo-day.sh's day) copied to a fresh
# PostgreSQL database and back. On the copy: the rows of every table (counted with psql and
# sqlite3, not by bex), the audit chain verified and holding the source's head, the overstay
# report, the flag queue, the rates and a traveller's record the same as on the source, a new
# arrival recorded with ids after the copied ones and the chain still whole; a copy into a store
# that holds records refused (nothing written), PostgreSQL -> SQLite, SQLite -> SQLite, a newer
# destination's schema refused. The SQLite cases run everywhere; the PostgreSQL ones skip with
# the reason where PostgreSQL is not installed. Needs the face models (the day's photos).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/pg.sh
BUILD=${BUILD:-build}
bex=$BUILD/bex
pass=0; fail=0; skipped=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

models=${BEX_MODELS:-models}
if [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip test_db_copy: no face models in $models (tools/fetch-models.sh)"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
[ -x "$bex" ] || { echo "FAIL no $bex (make first)"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d)
trap 'pg_cleanup; rm -rf "$tmp"' EXIT
src=$tmp/pilot.db
BEX=$bex tools/demo-day.sh "$src" >"$tmp/day.out" 2>&1
check demo_day_runs $?

# json FIELD: a top-level number or string of the JSON on standard input
json() { /usr/bin/python3 -c 'import json,sys; v=json.load(sys.stdin); [v:=v[k] for k in sys.argv[1].split(".")]; print(v if not isinstance(v,bool) else str(v).lower())' "$1"; }
hexpg="upper(encode(template, 'hex'))"   # sqlite3's hex(template) in psql
tables="subjects departures calibrations calibration_rows documents encounters samples admissions manifest_entries
flags flag_subjects flag_documents drift_checks merges merge_moves api_keys console_sessions gate_devices gate_log_lines service_keys
trust_files settings retention audit"
count_lite() { local t; for t in $tables; do echo "$t $(sqlite3 "$1" "SELECT count(*) FROM $t")"; done; }
count_pg() { local t; for t in $tables; do echo "$t $(psql -XAtq "$1" -c "SELECT count(*) FROM $t")"; done; }
# what the reports say, the same whatever the store (audited reads: the chain grows on both)
reports() {
    "$bex" overstays --db "$1" --as-of 2026-06-30
    "$bex" overstays --db "$1" --as-of 2026-06-30 --format csv --by country
    "$bex" flags --db "$1"
    "$bex" flags --db "$1" --format csv
    "$bex" report rates --db "$1" --from 2026-03-01 --to 2026-03-02 --by port
    "$bex" subject 1 --db "$1"
    "$bex" encounter 2 --db "$1"
    "$bex" lookup --db "$1" --surname Chen --given Lu --birth 1968-12-02
}

# ---- SQLite -> SQLite: everywhere ----
reports "$src" >"$tmp/src.reports" 2>&1
out=$("$bex" db copy --from "$src" --to "$tmp/copy.db" --actor cli:migrator 2>"$tmp/err")
rc=$?
[ $rc -ne 0 ] && sed 's/^/    /' "$tmp/err"
[ $rc -eq 0 ] && [ "$(json verified <<<"$out")" = true ] && [ "$(json from <<<"$out")" = sqlite ] &&
    [ "$(json to <<<"$out")" = sqlite ] && [ "$(json tables.subjects <<<"$out")" -gt 0 ]
check copy_sqlite_to_sqlite $?
[ "$(count_lite "$src" | grep -v '^audit ')" = "$(count_lite "$tmp/copy.db" | grep -v '^audit ')" ]
check copy_sqlite_counts_equal $?
head=$(json audit.head <<<"$out")
v=$("$bex" audit verify --db "$src")
[ "$(json head <<<"$v")" = "$head" ]; check copy_source_head_is_copied_head $?
v=$("$bex" audit verify --db "$tmp/copy.db" --head "$head")
[ $? -eq 0 ] && [ "$(json ok <<<"$v")" = true ] && [ "$(json head_found <<<"$v")" = true ] &&
    [ "$(json entries <<<"$v")" -eq $(($(json audit.entries <<<"$out") + 1)) ]
check copy_sqlite_audit_chain $?
[ "$(sqlite3 "$tmp/copy.db" "SELECT actor || ' ' || action || ' ' || detail FROM audit ORDER BY seq DESC LIMIT 1")" = \
  "cli:migrator db_copy in from sqlite: $(json rows <<<"$out") rows, $(json audit.entries <<<"$out") audit entries, source head $head" ]
check copy_audited_on_destination $?
[ "$(sqlite3 "$src" "SELECT actor || ' ' || action || ' ' || detail FROM audit ORDER BY seq DESC LIMIT 1")" = \
  "cli:migrator db_copy out to sqlite" ]
check copy_audited_on_source $?
# the append-only trigger the copy lifted for the new store's own entries is back, as it was
[ "$(sqlite3 "$tmp/copy.db" "SELECT sql FROM sqlite_master WHERE name = 'audit_no_delete'")" = \
  "$(sqlite3 "$src" "SELECT sql FROM sqlite_master WHERE name = 'audit_no_delete'")" ] &&
    ! sqlite3 "$tmp/copy.db" "DELETE FROM audit WHERE seq = 1" 2>/dev/null
check copy_sqlite_audit_append_only_kept $?
reports "$src" >"$tmp/src.reports" 2>&1
reports "$tmp/copy.db" >"$tmp/copy.reports" 2>&1
diff "$tmp/src.reports" "$tmp/copy.reports" >"$tmp/diff" && grep -q '"subjects"' "$tmp/src.reports"
rc=$?; [ $rc -ne 0 ] && head -20 "$tmp/diff" | sed 's/^/    /'
check copy_sqlite_reports_equal $rc

before=$(count_lite "$tmp/copy.db")
err=$("$bex" db copy --from "$src" --to "$tmp/copy.db" 2>&1 >/dev/null)
[ $? -eq 2 ] && grep -q "already holds records" <<<"$err" && [ "$(count_lite "$tmp/copy.db")" = "$before" ]
check copy_refuses_store_with_records $?
err=$("$bex" db copy --from "$src" --to "$src" 2>&1); [ $? -eq 2 ] && grep -q "the same store" <<<"$err"
check copy_refuses_same_store $?
err=$("$bex" db copy --from "$tmp/none.db" --to "$tmp/new.db" 2>&1)
[ $? -eq 2 ] && grep -q "the source: no such file" <<<"$err" && [ ! -e "$tmp/new.db" ]
check copy_missing_source $?
"$bex" settings --db "$tmp/newer.db" >/dev/null && sqlite3 "$tmp/newer.db" "PRAGMA user_version = 99"
err=$("$bex" db copy --from "$src" --to "$tmp/newer.db" 2>&1)
[ $? -eq 2 ] && grep -q "the destination: .*schema version 99, newer than this bex" <<<"$err"
check copy_refuses_other_schema $?

# ---- PostgreSQL ----
why=$(pg_skip_reason)
[ -z "$why" ] && ! command -v psql >/dev/null 2>&1 && why="no psql command (apt-get install postgresql-client)"
if [ -n "$why" ]; then
    echo "skip test_db_copy PostgreSQL cases: $why"
    skipped=1
else
    pg_start || { echo "FAIL pg_start"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
    pg=$(pg_newdb copy)
    reports "$src" >/dev/null 2>&1   # the source's chain grows as the copy's did (audited reads)
    out=$("$bex" db copy --from "$src" --to "$pg" --actor cli:migrator 2>"$tmp/err")
    rc=$?
    [ $rc -ne 0 ] && sed 's/^/    /' "$tmp/err"
    [ $rc -eq 0 ] && [ "$(json verified <<<"$out")" = true ] && [ "$(json to <<<"$out")" = postgresql ]
    check copy_sqlite_to_pg $?
    ! grep -q "$pg" <<<"$out" ; check copy_prints_no_uri $?
    [ "$(count_lite "$src" | grep -v '^audit ')" = "$(count_pg "$pg" | grep -v '^audit ')" ] &&
        [ "$(psql -XAtq "$pg" -c "SELECT count(*) FROM audit")" -eq $(($(json audit.entries <<<"$out") + 1)) ]
    check copy_pg_counts_equal $?
    # ids kept: the same rows under the same keys (encounters and samples, field by field)
    q="SELECT id, coalesce(subject_id, 0), direction, port, at, outcome, coalesce(decision, '-') FROM encounters ORDER BY id"
    [ "$(sqlite3 -separator '|' "$src" "$q")" = "$(psql -XAtq "$pg" -c "$q")" ] &&
    q="SELECT id, coalesce(subject_id, 0), source, hex(template) FROM samples ORDER BY id" &&
    [ "$(sqlite3 -separator '|' "$src" "$q")" = "$(psql -XAtq "$pg" -c "${q/hex(template)/$hexpg}")" ]
    check copy_pg_rows_and_ids_kept $?
    head=$(json audit.head <<<"$out")
    v=$("$bex" audit verify --db "$pg" --head "$head")
    [ $? -eq 0 ] && [ "$(json ok <<<"$v")" = true ] && [ "$(json head_found <<<"$v")" = true ]
    check copy_pg_audit_chain $?
    [ "$(psql -XAtq "$pg" -c "SELECT string_agg(what, ',' ORDER BY seq) FROM change_log")" = "index,calibration" ]
    check copy_pg_change_log_fresh $?
    reports "$src" >"$tmp/src.reports" 2>&1
    reports "$pg" >"$tmp/pg.reports" 2>&1
    diff "$tmp/src.reports" "$tmp/pg.reports" >"$tmp/diff"
    rc=$?; [ $rc -ne 0 ] && head -20 "$tmp/diff" | sed 's/^/    /'
    check copy_pg_reports_equal $rc

    # a new arrival on the copy: ids after the copied ones, the chain whole
    max_enc=$(psql -XAtq "$pg" -c "SELECT max(id) FROM encounters")
    max_subj=$(psql -XAtq "$pg" -c "SELECT max(id) FROM subjects")
    max_sample=$(psql -XAtq "$pg" -c "SELECT max(id) FROM samples")
    max_doc=$(psql -XAtq "$pg" -c "SELECT max(id) FROM documents")
    mrz=$("$bex" mrz make --state DEU --nationality DEU --number C01X00T47 --surname Zakayev --given Akhmed \
          --birth 1959-04-26 --sex M --expiry 2032-01-01)
    e=$("$bex" entry --db "$pg" --photo tests/data/lfw/Akhmed_Zakayev_0001.jpg \
        --doc-photo tests/data/lfw/Akhmed_Zakayev_0003.jpg --mrz "$mrz" --class B2 --admit-until 2026-09-01 \
        --port JFK --port-kind air --at 2026-07-01T10:00:00Z 2>"$tmp/err")
    rc=$?
    [ $rc -gt 1 ] && sed 's/^/    /' "$tmp/err"
    [ $rc -le 1 ] && [ "$(json encounter <<<"$e")" -eq $((max_enc + 1)) ] &&
        [ "$(json subject <<<"$e")" -eq $((max_subj + 1)) ] &&
        [ "$(psql -XAtq "$pg" -c "SELECT min(id) FROM samples WHERE id > $max_sample")" -eq $((max_sample + 1)) ] &&
        [ "$(psql -XAtq "$pg" -c "SELECT min(id) FROM documents WHERE id > $max_doc")" -eq $((max_doc + 1)) ]
    check copy_pg_new_entry_ids_continue $?
    # the same traveller leaves: the copy's 1:N index holds her (and everyone copied)
    x=$("$bex" exit --db "$pg" --photo tests/data/lfw/Akhmed_Zakayev_0003.jpg --port JFK --at 2026-07-09T10:00:00Z)
    [ "$(json subject <<<"$x")" -eq $((max_subj + 1)) ]
    check copy_pg_new_exit_matched $?
    # Souza (entered in the pilot, still in the country) leaves: matched to his copied record
    x=$("$bex" exit --db "$pg" --photo tests/data/lfw/Arminio_Fraga_0004.jpg --port JFK --at 2026-07-09T11:00:00Z)
    [ "$(json subject <<<"$x")" = "$(sqlite3 "$src" "SELECT subject_id FROM documents WHERE surname = 'SOUZA'")" ]
    check copy_pg_copied_traveller_matched $?
    v=$("$bex" audit verify --db "$pg" --head "$head")
    [ "$(json ok <<<"$v")" = true ] && [ "$(json head_found <<<"$v")" = true ]
    check copy_pg_audit_after_new_work $?

    before=$(count_pg "$pg")
    err=$("$bex" db copy --from "$src" --to "$pg" 2>&1 >/dev/null)
    [ $? -eq 2 ] && grep -q "already holds records" <<<"$err" && [ "$(count_pg "$pg")" = "$before" ] &&
        ! grep -q "${pg#postgresql://}" <<<"$err"
    check copy_pg_refuses_store_with_records $?

    # PostgreSQL -> SQLite
    out=$("$bex" db copy --from "$pg" --to "$tmp/back.db" --actor cli:migrator 2>"$tmp/err")
    rc=$?
    [ $rc -ne 0 ] && sed 's/^/    /' "$tmp/err"
    [ $rc -eq 0 ] && [ "$(json from <<<"$out")" = postgresql ] && [ "$(json to <<<"$out")" = sqlite ] &&
        [ "$(count_pg "$pg" | grep -v '^audit ')" = "$(count_lite "$tmp/back.db" | grep -v '^audit ')" ]
    check copy_pg_to_sqlite $?
    v=$("$bex" audit verify --db "$tmp/back.db" --head "$(json audit.head <<<"$out")")
    [ "$(json ok <<<"$v")" = true ] && [ "$(json head_found <<<"$v")" = true ]
    check copy_pg_to_sqlite_audit_chain $?
    q="SELECT id, coalesce(subject_id, 0), coalesce(encounter_id, 0), source, captured_at, hex(template) FROM samples ORDER BY id"
    [ "$(sqlite3 -separator '|' "$tmp/back.db" "$q")" = "$(psql -XAtq "$pg" -c "${q/hex(template)/$hexpg}")" ]
    check copy_pg_to_sqlite_samples_exact $?
    reports "$pg" >"$tmp/pg.reports" 2>&1
    reports "$tmp/back.db" >"$tmp/back.reports" 2>&1
    diff "$tmp/pg.reports" "$tmp/back.reports" >"$tmp/diff"
    rc=$?; [ $rc -ne 0 ] && head -20 "$tmp/diff" | sed 's/^/    /'
    check copy_pg_to_sqlite_reports_equal $rc
fi

if [ "$skipped" -gt 0 ]; then echo "$pass passed, $fail failed, $skipped skipped"; else echo "$pass passed, $fail failed"; fi
[ "$fail" -eq 0 ]
