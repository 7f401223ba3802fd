#!/usr/bin/env bash
# test_store_crash.sh - durability of the record store: killing bex at any point loses no
# committed encounter and leaves no half-written one.
#   1. `bex simulate` killed with SIGKILL mid-ingest, once the store holds 1, 200 and 1,000
#      encounters and a random fraction of a second later: the file
#      passes SQLite's integrity and foreign-key checks, every entry has its admission and
#      sample and audit entry, the audit chain verifies, and the store takes new work.
#   2. `bex entry` run again and again from the command line with real photos while a killer
#      SIGKILLs one mid-flight: every encounter a finished command printed is in the file.
#   3. A crash injected inside the transaction, after every insert and before COMMIT
#      (BEX_FAULT=entry_before_commit): nothing of that entry remains.
#   4. `bex serve` on the store, under load from a few concurrent curl clients posting entries,
#      SIGKILLed mid-load: every entry it answered 2xx with an encounter id is in the store, the
#      store is consistent, and a restarted service takes new work.
# Needs sqlite3 (the Debian package) to inspect the file; models/ for parts 2 to 4, curl for 4.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where SQLite had a fresh file; skipped with the reason when there is no server).
# There, SQLite's integrity and foreign-key checks have no counterpart to run: PostgreSQL
# enforces the foreign keys itself; the rest (every acknowledged encounter present, each entry
# with its admission, sample and audit entry, the audit chain, new work taken) is checked alike.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0; skip=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
. tests/lib/testdb.sh
if ! testdb_is_pg && ! command -v sqlite3 >/dev/null; then
    echo "skip: no sqlite3 command (apt-get install sqlite3; tools/setup.sh installs it)"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
testdb_init
testdb_is_pg && echo "# on PostgreSQL: no integrity_check or foreign_key_check (PostgreSQL enforces the foreign keys)"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; testdb_cleanup' EXIT

# what must hold in any store, crashed or not: one line "ok" or the first broken rule
consistent() {
    local db=$1 r
    if ! testdb_is_pg; then
        r=$(q "$db" "PRAGMA integrity_check") ; [ "$r" = ok ] || { echo "integrity: $r"; return 1; }
        r=$(q "$db" "PRAGMA foreign_key_check") ; [ -z "$r" ] || { echo "foreign keys: $r"; return 1; }
    fi
    r=$(q "$db" "SELECT count(*) FROM encounters e JOIN subjects s ON s.id = e.subject_id WHERE e.direction = 'entry'
                 AND s.citizen = 0 AND e.decision = 'admitted'
                 AND NOT EXISTS (SELECT 1 FROM admissions a WHERE a.entry_encounter_id = e.id)")
    [ "$r" = 0 ] || { echo "$r entries without their admission"; return 1; }
    r=$(q "$db" "SELECT count(*) FROM encounters e JOIN admissions a ON a.entry_encounter_id = e.id
                 WHERE e.decision IN ('referred', 'refused')")
    [ "$r" = 0 ] || { echo "$r referred or refused entries with an admission"; return 1; }
    r=$(q "$db" "SELECT count(*) FROM encounters e WHERE e.outcome <> 'no_photo'
                 AND NOT EXISTS (SELECT 1 FROM samples s WHERE s.encounter_id = e.id)")
    [ "$r" = 0 ] || { echo "$r encounters without their sample"; return 1; }
    r=$(q "$db" "SELECT count(*) FROM encounters e WHERE NOT EXISTS
                 (SELECT 1 FROM audit WHERE object LIKE 'encounter ' || e.id || ' %')")
    [ "$r" = 0 ] || { echo "$r encounters without their audit entry"; return 1; }
    "$bex" audit verify --db "$db" >/dev/null || { echo "audit chain broken"; return 1; }
    echo ok
}

# 1. simulate, killed mid-ingest at several moments: once the store holds some encounters (a
# fixed delay killed it before its first table on a loaded machine), then a random moment later
for at in 1 200 1000; do
    db=$(testdb_new "sim$at" "$tmp/sim-$at.db")
    "$bex" simulate --db "$db" --travellers 5000 --days 60 --seed 7 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1200); do   # at most 60 s
        kill -0 "$pid" 2>/dev/null || break
        # read-only: an sqlite3 that opened the file first would create it, and simulate wants a new one
        if testdb_is_pg; then
            [ "$(q "$db" "SELECT count(*) FROM encounters" 2>/dev/null || echo 0)" -ge "$at" ] 2>/dev/null && break
        else
            [ -e "$db" ] && [ "$(sqlite3 -batch -readonly "$db" "SELECT count(*) FROM encounters" 2>/dev/null || echo 0)" \
                -ge "$at" ] 2>/dev/null && break
        fi
        sleep 0.05
    done
    sleep "0.$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    src=$?   # 137: killed mid-ingest, not ended (or failed) before
    n=$(q "$db" "SELECT count(*) FROM encounters" 2>/dev/null || echo 0)
    r=$(consistent "$db")
    [ "$r" = ok ] && [ "${n:-0}" -gt 0 ] && [ $src -eq 137 ]
    check "simulate_killed_past_${at}_encounters_consistent (rc $src, $n encounters: $r)" $?
done

models=${BEX_MODELS:-models}
if [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: no face models in $models (tools/fetch-models.sh)"
    echo "$pass passed, $fail failed, 3 skipped"
    [ $fail -eq 0 ]; exit
fi

# 2. entries from the command line, one killed mid-flight
db=$(testdb_new cli "$tmp/cli.db")
D=tests/data/lfw
photos=("$D/Akhmed_Zakayev_0001.jpg" "$D/Emmanuelle_Beart_0001.jpg" "$D/Janica_Kostelic_0001.jpg"
        "$D/Aaron_Eckhart_0001.jpg" "$D/Candice_Bergen_0001.jpg" "$D/Carl_Reiner_0002.jpg")
printed="$tmp/printed"
: >"$printed"
letters=ABCDEF # an MRZ name has no digits (ICAO 9303): NUMBERA, NUMBERB, ...
for i in 0 1 2 3 4 5; do
    mrz=$("$bex" mrz make --number "K00000$i" --state UTO --nationality UTO --surname "TRAVELLER" --given "NUMBER${letters:$i:1}" \
          --birth 1980-01-0$((i + 1)) --sex F --expiry 2031-01-01)
    "$bex" entry --db "$db" --photo "${photos[$i]}" --mrz "$mrz" --class B2 --admit-until 2027-01-01 --port JFK \
        --port-kind air --at "2026-11-1${i}T10:00:00Z" >"$tmp/out.$i" 2>/dev/null &
    pid=$!
    if [ $i -eq 3 ]; then sleep 0.25; kill -9 $pid 2>/dev/null; fi
    wait $pid 2>/dev/null
    grep -o '"encounter":[0-9]*' "$tmp/out.$i" | cut -d: -f2 >>"$printed"
done
missing=0
while read -r e; do
    [ "$(q "$db" "SELECT count(*) FROM encounters WHERE id = $e")" = 1 ] || missing=$((missing + 1))
done <"$printed"
r=$(consistent "$db")
[ $missing -eq 0 ] && [ -s "$printed" ] && [ "$r" = ok ]
check "cli_entries_one_killed_none_lost ($(wc -l <"$printed") printed, $missing missing: $r)" $?

# 3. a crash inside the transaction, just before COMMIT
before=$(q "$db" "SELECT count(*) FROM encounters")
mrz=$("$bex" mrz make --number K0000099 --state UTO --nationality UTO --surname TRAVELLER --given CRASH \
      --birth 1990-02-02 --sex M --expiry 2031-01-01)
# (in a command substitution, so that the shell's "Killed" notice goes to /dev/null)
rc=$( { BEX_FAULT=entry_before_commit "$bex" entry --db "$db" --photo "$D/Tom_Glavine_0001.jpg" --mrz "$mrz" \
        --class B2 --admit-until 2027-01-01 --port JFK --port-kind air --at 2026-11-10T10:00:00Z >/dev/null 2>&1
      echo $?; } 2>/dev/null )
after=$(q "$db" "SELECT count(*) FROM encounters")
docs=$(q "$db" "SELECT count(*) FROM documents WHERE number = 'K0000099'")
r=$(consistent "$db")
[ $rc -eq 137 ] && [ "$before" = "$after" ] && [ "$docs" = 0 ] && [ "$r" = ok ]
check "crash_before_commit_leaves_nothing (rc $rc, encounters $before -> $after: $r)" $?
"$bex" entry --db "$db" --photo "$D/Tom_Glavine_0001.jpg" --mrz "$mrz" --class B2 --admit-until 2027-01-01 \
    --port JFK --port-kind air --at 2026-11-10T10:05:00Z >/dev/null 2>&1
[ "$(q "$db" "SELECT count(*) FROM documents WHERE number = 'K0000099'")" = 1 ]
check store_takes_work_after_crash $?

# 4. the service, killed under load: entries over HTTP from concurrent clients, SIGKILL mid-load
if ! command -v curl >/dev/null; then
    echo "skip: no curl: serve_killed_under_load"
    echo "$pass passed, $fail failed, 1 skipped"
    [ $fail -eq 0 ]; exit
fi
db=$(testdb_new serve "$tmp/serve.db")
OFFICER=$("$bex" keys add --db "$db" --role officer --label crash | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p')
serve_start() { # serve_start OUT: starts bex serve on $db, sets SP and U
    "$bex" serve --db "$db" --listen 127.0.0.1:0 --workers 2 >"$1" 2>"$1.err" &
    SP=$!
    pids+=("$SP")
    for _ in $(seq 200); do grep -q listening "$1" 2>/dev/null && break; sleep 0.05; done
    U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$1")"
}
# post_entry I PHOTO: one entry of traveller I; prints "HTTP_STATUS ENCOUNTER" (encounter - when none)
post_entry() {
    local i=$1 photo=$2 m body st e
    m=$("$bex" mrz make --number "L$(printf %07d "$i")" --state UTO --nationality UTO --surname TRAVELLER \
        --given "LOAD$(printf %s "$i" | tr 0-9 A-J)" --birth 1970-01-01 --sex M --expiry 2031-01-01)
    m=${m//</%3C}; m=${m//$'\n'/%0A}
    body="$tmp/body.$i"
    st=$(curl -s -o "$body" -w '%{http_code}' --max-time 60 -H "Authorization: Bearer $OFFICER" \
         --data-binary @"$photo" \
         "$U/v1/entries?mrz=$m&class=B2&admit_until=2027-01-01&port=JFK&port_kind=air&at=2026-11-20T10:00:00Z")
    e=$(grep -o '"encounter":[0-9]*' "$body" 2>/dev/null | head -1 | cut -d: -f2)
    echo "$st ${e:--}"
}
mapfile -t lphotos < <(ls "$D"/*_0001.jpg | head -16)
serve_start "$tmp/serve.out"
acked="$tmp/acked"; : >"$acked"
cpids=()
for c in 0 1 2 3; do   # four clients, each up to 25 entries one after another
    ( for j in $(seq 0 24); do
          i=$((c * 100 + j))
          r=$(post_entry "$i" "${lphotos[$(( (c * 4 + j) % ${#lphotos[@]} ))]}")
          case $r in 2??\ [0-9]*) echo "${r#* }" >>"$acked";; 000\ *) break;; esac
      done ) &
    cpids+=($!)
done
for _ in $(seq 1200); do   # at most 60 s: kill once several entries are acknowledged
    [ "$(wc -l <"$acked")" -ge 6 ] && break
    kill -0 "$SP" 2>/dev/null || break
    sleep 0.05
done
sleep "0.$((RANDOM % 5))"
kill -9 "$SP" 2>/dev/null
wait "$SP" 2>/dev/null
krc=$?   # 137: killed, not ended before
wait "${cpids[@]}" 2>/dev/null
missing=0
while read -r e; do
    [ "$(q "$db" "SELECT count(*) FROM encounters WHERE id = $e")" = 1 ] || missing=$((missing + 1))
done <"$acked"
n=$(q "$db" "SELECT count(*) FROM encounters")
r=$(consistent "$db")
[ $krc -eq 137 ] && [ -s "$acked" ] && [ "$(wc -l <"$acked")" -lt 100 ] && [ $missing -eq 0 ] && [ "$r" = ok ]
check "serve_killed_under_load_no_acknowledged_entry_lost (rc $krc, $(wc -l <"$acked") of 100 acknowledged, $n in the store, $missing missing: $r)" $?
serve_start "$tmp/serve2.out"
r=$(post_entry 999 "$D/Tom_Glavine_0001.jpg")
e=${r#* }
[ "${r%% *}" = 200 ] && [ "$e" != - ] && [ "$(q "$db" "SELECT count(*) FROM encounters WHERE id = $e")" = 1 ]
check "restarted_service_takes_work ($r)" $?
kill -TERM "$SP" 2>/dev/null; wait "$SP" 2>/dev/null

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
