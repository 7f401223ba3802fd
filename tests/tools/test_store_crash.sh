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
# Needs sqlite3 (the Debian package) to inspect the file; models/ for parts 2 and 3.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bex="$BUILD/bex"
pass=0; fail=0; skip=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
if ! command -v sqlite3 >/dev/null; then
    echo "skip: no sqlite3 command (apt-get install sqlite3; tools/setup.sh installs it)"
    echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { sqlite3 -batch "$1" "$2"; }

# what must hold in any store, crashed or not: one line "ok" or the first broken rule
consistent() {
    local db=$1 r
    r=$(q "$db" "PRAGMA integrity_check") ; [ "$r" = ok ] || { echo "integrity: $r"; return 1; }
    r=$(q "$db" "PRAGMA foreign_key_check") ; [ -z "$r" ] || { echo "foreign keys: $r"; return 1; }
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
    db="$tmp/sim-$at.db"
    "$bex" simulate --db "$db" --travellers 5000 --days 60 --seed 7 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1200); do   # at most 60 s
        kill -0 "$pid" 2>/dev/null || break
        # read-only: an sqlite3 that opened the file first would create it, and simulate wants a new one
        [ -e "$db" ] && [ "$(sqlite3 -batch -readonly "$db" "SELECT count(*) FROM encounters" 2>/dev/null || echo 0)" \
            -ge "$at" ] 2>/dev/null && break
        sleep 0.05
    done
    sleep "0.$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    n=$(q "$db" "SELECT count(*) FROM encounters" 2>/dev/null || echo 0)
    r=$(consistent "$db")
    [ "$r" = ok ] && [ "${n:-0}" -gt 0 ]; check "simulate_killed_past_${at}_encounters_consistent ($n encounters: $r)" $?
done

models=${BEX_MODELS:-models}
if [ ! -f "$models/face_recognition_model-weights_manifest.json" ]; then
    echo "skip: no face models in $models (tools/fetch-models.sh)"
    echo "$pass passed, $fail failed, 2 skipped"
    [ $fail -eq 0 ]; exit
fi

# 2. entries from the command line, one killed mid-flight
db="$tmp/cli.db"
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

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
