#!/usr/bin/env bash
# test_pg_schema.sh - the store's two schemas are one: src/store/sql/*.sql applied to a fresh
# SQLite file (sqlite3, each file in a transaction with foreign keys off, then PRAGMA
# user_version = N, as src/store/store.c does) and src/store/sql/pg/*.sql to a fresh PostgreSQL
# database (psql -1, ON_ERROR_STOP) describe the same tables: columns in order with their types
# (INTEGER = bigint, REAL = double precision, BLOB = bytea, TEXT = text), NOT NULL and defaults,
# primary keys, unique constraints, foreign keys with their ON DELETE actions, the indexes made
# (partial ones with their condition), CHECK constraints (loosely: their names and literals),
# the triggers and the rows the migrations insert. Then the
# constraints behave alike: the same inserts and updates fail or succeed on both (CHECKs, the
# audit log's append-only triggers, foreign keys), and rows written before 003 and 004 are
# carried the same way. A difference prints as a diff (sqlite/ against pg/).
# Skips without PostgreSQL (tests/lib/pg.sh) or the sqlite3 command. BEX_TEST_KEEP=DIR keeps the
# descriptions it compared in DIR.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/pg.sh
pass=0; fail=0
check() { if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }

why=$(pg_skip_reason)
if [ -z "$why" ] && ! command -v sqlite3 >/dev/null 2>&1; then
    why="no sqlite3 command (apt-get install sqlite3; tools/setup.sh installs it)"
fi
if [ -z "$why" ] && ! [ -x /usr/bin/python3 ]; then
    why="no /usr/bin/python3 (it reads SQLite's CHECK constraints)"
fi
if [ -z "$why" ] && ! command -v psql >/dev/null 2>&1; then
    why="no psql command (apt-get install postgresql-client)"
fi
if [ -n "$why" ]; then
    echo "skip test_pg_schema: $why"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! pg_start; then   # keeps the trap above and stops the cluster first
    echo "FAIL pg_start"; echo "0 passed, 1 failed"; exit 1
fi

SQL=src/store/sql
sq_files=$(ls "$SQL"/[0-9]*.sql)
pg_files=$(ls "$SQL"/pg/[0-9]*.sql)

# the same numbers and names in both folders
diff <(for f in $sq_files; do basename "$f"; done) <(for f in $pg_files; do basename "$f"; done) >"$tmp/names.diff"
rc=$?
[ $rc -eq 0 ] || { echo "  src/store/sql/ against src/store/sql/pg/:"; sed 's/^/    /' "$tmp/names.diff"; }
check pg_migrations_same_names $rc

# sqlite_migrate DB FILE...: each file as the store applies it
sqlite_migrate() {
    local db=$1 f n
    shift
    for f in "$@"; do
        n=$(basename "$f" | sed -E 's/^0*([0-9]+)_.*/\1/')
        { echo "PRAGMA foreign_keys = OFF;"; echo "BEGIN;"; cat "$f"; echo ";"
          echo "PRAGMA user_version = $n;"; echo "COMMIT;"; } |
            sqlite3 -bail "$db" >/dev/null || { echo "  sqlite3: $f failed" >&2; return 1; }
    done
}
pg_migrate() { # pg_migrate URI FILE...
    local uri=$1 f
    shift
    for f in "$@"; do
        psql -X -q -v ON_ERROR_STOP=1 -1 -f "$f" "$uri" >/dev/null 2>"$tmp/psql.err" ||
            { echo "  psql: $f failed:" >&2; sed 's/^/    /' "$tmp/psql.err" >&2; return 1; }
    done
}

sdb=$tmp/schema.db
puri=$(pg_newdb schema) || { echo "FAIL pg_newdb"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
# shellcheck disable=SC2086
sqlite_migrate "$sdb" $sq_files; check sqlite_migrations_apply $?
# shellcheck disable=SC2086
pg_migrate "$puri" $pg_files; check pg_migrations_apply $?

sq() { sqlite3 -batch -noheader -separator '|' "$sdb" "$@"; }
pq() { psql -X -q -At -F '|' -v ON_ERROR_STOP=1 "$puri" "$@"; }

# where normalised: lower case; no parentheses; PostgreSQL's casts ('x'::text) gone; one space
norm_where() { sed -E -e 's/::[a-z]+( precision| varying)?//g' -e 's/[()]//g' -e 's/[[:space:]]+/ /g' -e 's/ $//' |
               tr 'A-Z' 'a-z'; }

describe_sqlite() {
    local tables="sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
    sq "SELECT 'table ' || m.name FROM $tables"
    sq "SELECT 'column ' || m.name || ' ' || printf('%02d', p.cid + 1) || ' ' || p.name || ' ' ||
               CASE upper(p.type) WHEN 'INTEGER' THEN 'bigint' WHEN 'REAL' THEN 'double precision'
                    WHEN 'BLOB' THEN 'bytea' WHEN 'TEXT' THEN 'text' ELSE 'other:' || p.type END ||
               CASE WHEN p.\"notnull\" OR p.pk > 0 THEN ' not null' ELSE ' null' END ||
               ' default ' || coalesce(p.dflt_value, '-')
        FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
    sq "SELECT 'primary key ' || m.name || ' ' || p.pk || ' ' || p.name
        FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.pk > 0"
    sq "SELECT 'unique ' || m.name || ' ' || (SELECT group_concat(ii.name, ',') FROM pragma_index_info(il.name) ii)
        FROM sqlite_master m, pragma_index_list(m.name) il
        WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND il.origin = 'u'"
    sq "SELECT 'foreign key ' || m.name || '.' || f.\"from\" || ' -> ' || f.\"table\" || '(' || coalesce(f.\"to\", '?') ||
               ') on delete ' || lower(f.on_delete) || ' on update ' || lower(f.on_update)
        FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
    sq "SELECT 'index ' || m.name || ' on ' || m.tbl_name || ' ' ||
               (SELECT group_concat(ii.name, ',') FROM pragma_index_info(m.name) ii) ||
               CASE WHEN instr(upper(replace(m.sql, char(10), ' ')), ' WHERE ') > 0
                    THEN ' where ' || substr(replace(m.sql, char(10), ' '), instr(upper(replace(m.sql, char(10), ' ')), ' WHERE ') + 7)
                    ELSE '' END
        FROM sqlite_master m WHERE m.type = 'index' AND m.sql IS NOT NULL" | norm_where
    sq "SELECT 'trigger ' || tbl_name || ' ' || name FROM sqlite_master WHERE type = 'trigger'"
}

describe_pg() {
    local ns="n.nspname = current_schema()"
    pq -c "SELECT 'table ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE $ns AND c.relkind = 'r'"
    pq -c "SELECT 'column ' || table_name || ' ' || lpad(ordinal_position::text, 2, '0') || ' ' || column_name || ' ' ||
                  data_type || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE ' null' END ||
                  ' default ' || coalesce(regexp_replace(column_default, '::[a-z]+( precision)?', '', 'g'), '-')
           FROM information_schema.columns WHERE table_schema = current_schema()"
    pq -c "SELECT CASE co.contype WHEN 'p' THEN 'primary key ' || c.relname || ' ' || k.ord || ' ' || a.attname END
           FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           CROSS JOIN LATERAL unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
           WHERE $ns AND co.contype = 'p'"
    pq -c "SELECT 'unique ' || c.relname || ' ' ||
                  (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum)
           FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE $ns AND co.contype = 'u'"
    pq -c "SELECT 'foreign key ' || c.relname || '.' || a.attname || ' -> ' || fc.relname || '(' || fa.attname || ') on delete ' ||
                  CASE co.confdeltype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
                       WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END || ' on update ' ||
                  CASE co.confupdtype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade'
                       WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END
           FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_class fc ON fc.oid = co.confrelid
           CROSS JOIN LATERAL unnest(co.conkey, co.confkey) k(attnum, fattnum)
           JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
           JOIN pg_attribute fa ON fa.attrelid = co.confrelid AND fa.attnum = k.fattnum
           WHERE $ns AND co.contype = 'f'"
    # indexes made by CREATE INDEX: not those behind a primary key or unique constraint
    pq -c "SELECT 'index ' || i.relname || ' on ' || t.relname || ' ' ||
                  (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) ||
                  coalesce(' where ' || pg_get_expr(x.indpred, x.indrelid), '')
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE $ns AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid
                                     AND co.conrelid = x.indrelid AND co.contype IN ('p', 'u', 'x'))" | norm_where
    # audit_no_truncate is PostgreSQL's alone (SQLite has no TRUNCATE); checked below
    pq -c "SELECT 'trigger ' || c.relname || ' ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE $ns AND NOT t.tgisinternal AND t.tgname <> 'audit_no_truncate'"
}


# CHECK constraints, loosely: each as the set of its names and literals (operators, keywords and
# casts aside), per table: "check TABLE: 'a' 'b' kind". SQLite keeps no parsed CHECKs, so they
# are read from each table's CREATE TABLE text (its comments skipped); PostgreSQL's come from
# pg_get_constraintdef. A value added to or missing from an IN list, a changed bound or column
# shows; an operator changed (> for >=) does not: the probes below test behaviour.
check_sets() { /usr/bin/python3 "$tmp/checks.py" "$@"; }  # check_sets sqlite DB | check_sets pg <"TABLE|CHECK (...)" lines
cat >"$tmp/checks.py" <<'EOF'
import re, sys
KEYWORDS = {"in", "and", "or", "not", "is", "null", "between", "any", "array", "text", "bigint",
            "integer", "double", "precision", "numeric", "bytea", "check", "constraint"}
TOKEN = re.compile(r"'(?:[^']|'')*'|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|-")
def tokens(expr):
    out, neg = set(), False
    for t in TOKEN.findall(expr):
        if t == "-":
            neg = True
            continue
        if re.fullmatch(r"'-?\d+(?:\.\d+)?'", t):
            t = t[1:-1]
        if re.fullmatch(r"\d+(?:\.\d+)?", t) and neg:
            t = "-" + t
        neg = False
        if t.lower() in KEYWORDS or t == "-":
            continue
        out.add(t if t.startswith("'") else t.lower())
    return " ".join(sorted(out))
def sqlite_checks(sql):
    """the expressions of CHECK (...) in a CREATE TABLE text, comments and strings skipped"""
    found, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif c == "'":
            j = i + 1
            while j < n and not (sql[j] == "'" and not sql.startswith("''", j)):
                j += 2 if sql.startswith("''", j) else 1
            i = j + 1
        elif re.match(r"(?i)check\s*\(", sql[i:i + 12]) and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            j = sql.index("(", i)
            depth, k, start = 0, j, j + 1
            while k < n:
                if sql.startswith("--", k):
                    k = sql.find("\n", k)
                    continue
                if sql[k] == "'":
                    k += 1
                    while k < n and not (sql[k] == "'" and not sql.startswith("''", k)):
                        k += 2 if sql.startswith("''", k) else 1
                elif sql[k] == "(":
                    depth += 1
                elif sql[k] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            body = re.sub(r"--[^\n]*", " ", sql[start:k])
            found.append(body)
            i = k + 1
        else:
            i += 1
    return found
if sys.argv[1] == "sqlite":
    import sqlite3
    db = sqlite3.connect(sys.argv[2])
    for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        for e in sqlite_checks(sql):
            print(f"check {name}: {tokens(e)}")
else:
    for line in sys.stdin:
        name, _, d = line.rstrip("\n").partition("|")
        if d:
            print(f"check {name}: {tokens(d)}")
EOF

LC_ALL=C
export LC_ALL
{ describe_sqlite; check_sets sqlite "$sdb"; } | sort >"$tmp/sqlite.txt"
{ describe_pg
  pq -c "SELECT c.relname || '|' || pg_get_constraintdef(co.oid) FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND co.contype = 'c'" | check_sets pg
} | sort >"$tmp/pg.txt"
# one check per kind of fact, so that a failure says which
for what in table column "primary key" unique "foreign key" index trigger check; do
    name=$(echo "$what" | tr ' ' '_')
    diff -u --label "sqlite/$name" --label "pg/$name" <(grep "^$what " "$tmp/sqlite.txt") <(grep "^$what " "$tmp/pg.txt") \
        >"$tmp/$name.diff"
    rc=$?
    # an empty description on both sides is no proof
    [ $rc -eq 0 ] && ! grep -q "^$what " "$tmp/sqlite.txt" && rc=1
    [ $rc -eq 0 ] || sed 's/^/    /' "$tmp/$name.diff"
    check "pg_schema_same_${name}" $rc
done

# the rows the migrations insert (retention, settings, and any other table with rows)
rows_sqlite() {
    local t cols
    for t in $(sq "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
        cols=$(sq "SELECT group_concat('coalesce(CAST(' || name || ' AS TEXT), ''NULL'')', ' || ''|'' || ') FROM pragma_table_info('$t')")
        sq "SELECT '$t: ' || $cols FROM $t"
    done
}
rows_pg() {
    local t cols
    for t in $(pq -c "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"); do
        cols=$(pq -c "SELECT string_agg('coalesce(CAST(' || column_name || ' AS TEXT), ''NULL'')', ' || ''|'' || ' ORDER BY ordinal_position)
                      FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '$t'")
        pq -c "SELECT '$t: ' || $cols FROM $t"
    done
}
rows_sqlite | sort >"$tmp/sqlite_rows.txt"
rows_pg | sort >"$tmp/pg_rows.txt"
diff -u --label sqlite/rows --label pg/rows "$tmp/sqlite_rows.txt" "$tmp/pg_rows.txt" >"$tmp/rows.diff"
rc=$?
grep -q '^retention: unmatched_captures|43200$' "$tmp/sqlite_rows.txt" &&
    grep -q '^settings: gallery_window_s|43200$' "$tmp/sqlite_rows.txt" || rc=1
[ $rc -eq 0 ] || sed 's/^/    /' "$tmp/rows.diff"
check pg_schema_same_seed_rows $rc

# The constraints behave alike: each statement fails on both or succeeds on both, in order (the
# ones that succeed leave their rows for the next). PASS/FAIL is what both must do.
probes=(
    "PASS|INSERT INTO subjects (id, created_at, citizen) VALUES (1, 't', 0)"
    "FAIL|INSERT INTO subjects (id, created_at, citizen) VALUES (2, 't', 2)"
    "FAIL|INSERT INTO documents (subject_id, type, format, issuing_state, number, nationality, surname, given_names, created_at) VALUES (99, 'P', 'TD3', 'UTO', 'X1', 'UTO', 'S', 'G', 't')"
    "PASS|INSERT INTO documents (id, subject_id, type, format, issuing_state, number, nationality, surname, given_names, sex, created_at) VALUES (1, 1, 'P', 'TD3', 'UTO', 'X1', 'UTO', 'S', 'G', 'F', 't')"
    "FAIL|INSERT INTO documents (subject_id, type, format, issuing_state, number, nationality, surname, given_names, created_at) VALUES (1, 'P', 'TD3', 'UTO', 'X1', 'UTO', 'S', 'G', 't')"
    "FAIL|UPDATE documents SET sex = 'Q' WHERE id = 1"
    "FAIL|INSERT INTO flags (kind, detail, created_at) VALUES ('no_such_kind', 'd', 't')"
    "PASS|INSERT INTO flags (id, kind, detail, created_at) VALUES (1, 'chip_authentication_failed', 'd', 't')"
    "PASS|UPDATE flags SET status = 'referred' WHERE id = 1"
    "FAIL|UPDATE flags SET status = 'bogus' WHERE id = 1"
    "FAIL|INSERT INTO encounters (direction, port, port_kind, at, outcome) VALUES ('entry', 'JFK', 'air', 't', 'bogus')"
    "PASS|INSERT INTO encounters (id, subject_id, direction, port, port_kind, at, outcome, decision) VALUES (1, 1, 'entry', 'JFK', 'air', 't', 'unverified', 'referred')"
    "FAIL|UPDATE encounters SET chip_check = 'bogus' WHERE id = 1"
    "PASS|UPDATE encounters SET chip_check = 'authentic' WHERE id = 1"
    "FAIL|UPDATE encounters SET direction = 'sideways' WHERE id = 1"
    "FAIL|INSERT INTO retention VALUES ('no_such_category', 1)"
    "FAIL|INSERT INTO retention VALUES ('images', 1)"
    "FAIL|UPDATE retention SET seconds = -1 WHERE category = 'images'"
    "FAIL|INSERT INTO settings VALUES ('no_such_setting', '1')"
    "FAIL|INSERT INTO api_keys (hash, role, created_at) VALUES ('h1', 'carrier', 't')"
    "PASS|INSERT INTO api_keys (hash, role, carrier, created_at) VALUES ('h1', 'carrier', 'BX', 't')"
    "FAIL|INSERT INTO api_keys (hash, role, created_at) VALUES ('h1', 'officer', 't')"
    "FAIL|INSERT INTO gate_devices (name, sign_public, box_public, created_at) VALUES ('g', 'short', '0123456789abcdef0123456789abcdef', 't')"
    "FAIL|INSERT INTO gate_devices (name, sign_public, box_public, created_at) VALUES ('', '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef', 't')"
    "PASS|INSERT INTO gate_devices (name, sign_public, box_public, created_at) VALUES ('g', '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef', 't')"
    "FAIL|INSERT INTO service_keys (id, sign_public, sign_secret, box_public, box_secret, created_at) VALUES (2, '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef', 't')"
    "FAIL|INSERT INTO calibrations (model, scope, nonmated, sampled, seed, applied_at, document) VALUES ('m', 'galaxy', 1, 0, 1, 't', '{}')"
    "PASS|INSERT INTO calibrations (id, model, scope, nonmated, sampled, seed, applied_at, document) VALUES (1, 'm', 'port', 1, 0, 1, 't', '{}')"
    "FAIL|INSERT INTO calibration_rows (calibration_id, target, threshold, false_matches) VALUES (1, 0.2, 0.5, 0)"
    "PASS|INSERT INTO calibration_rows (calibration_id, target, threshold, false_matches) VALUES (1, 0.001, 0.5, 0)"
    "FAIL|INSERT INTO drift_checks (at, model, since, fmr, threshold, comparisons, above, p_high, p_low, enough, alarm, direction) VALUES ('t', 'm', 't', 0.001, 0.5, 1, 0, 1, 1, 0, 0, 2)"
    "FAIL|INSERT INTO trust_files (kind, name, sha256, bytes, added_at, added_by) VALUES ('csca', 'n', 'abc', 'b', 't', 'me')"
    "FAIL|INSERT INTO merge_moves VALUES (1, 'nowhere', 1)"
    "PASS|INSERT INTO audit (seq, at, actor, action, object, detail, prev, hash) VALUES (1, 't', 'a', 'x', 'o', 'd', 'p', 'h')"
    "FAIL|INSERT INTO audit (seq, at, actor, action, object, detail, prev, hash, hash_version) VALUES (2, 't', 'a', 'x', 'o', 'd', 'p', 'h', 3)"
    "FAIL|UPDATE audit SET actor = 'b' WHERE seq = 1"
    "FAIL|DELETE FROM audit WHERE seq = 1"
    "PASS|DELETE FROM subjects WHERE id = 1"
)
bdb=$tmp/behaviour.db
buri=$(pg_newdb behaviour) || { echo "FAIL pg_newdb"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
# shellcheck disable=SC2086
sqlite_migrate "$bdb" $sq_files && pg_migrate "$buri" $pg_files
rc=$?
for p in "${probes[@]}"; do
    want=${p%%|*}; stmt=${p#*|}
    sqlite3 -batch "$bdb" "PRAGMA foreign_keys = ON; $stmt" >/dev/null 2>"$tmp/sq.err"; s=$?
    psql -X -q -v ON_ERROR_STOP=1 -c "$stmt" "$buri" >/dev/null 2>"$tmp/pg.err"; g=$?
    [ $s -eq 0 ] && s=PASS || s=FAIL
    [ $g -eq 0 ] && g=PASS || g=FAIL
    if [ "$s" != "$want" ] || [ "$g" != "$want" ]; then
        echo "  want $want, sqlite $s, postgresql $g: $stmt"
        [ "$s" = FAIL ] && sed 's/^/    sqlite: /' "$tmp/sq.err"
        [ "$g" = FAIL ] && sed 's/^/    postgresql: /' "$tmp/pg.err"
        rc=1
    fi
    case $stmt in
        "UPDATE audit"*|"DELETE FROM audit"*)
            grep -q 'the audit log is append-only' "$tmp/sq.err" && grep -q 'the audit log is append-only' "$tmp/pg.err" ||
                { echo "  not the append-only message on both: $stmt"; rc=1; };;
    esac
done
check pg_constraints_behave_alike $rc

# the flags row with an unknown kind and the audit update, as their own checks (issue's asks)
sqlite3 "$bdb" "INSERT INTO flags (kind, detail, created_at) VALUES ('no_such_kind', 'd', 't')" 2>/dev/null
s=$?
psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO flags (kind, detail, created_at) VALUES ('no_such_kind', 'd', 't')" "$buri" 2>/dev/null
g=$?
[ $s -ne 0 ] && [ $g -ne 0 ]; check pg_flags_unknown_kind_refused_on_both $?
sqlite3 "$bdb" "UPDATE audit SET detail = 'changed'" 2>/dev/null
s=$?
psql -X -q -v ON_ERROR_STOP=1 -c "UPDATE audit SET detail = 'changed'" "$buri" 2>/dev/null
g=$?
[ $s -ne 0 ] && [ $g -ne 0 ] && [ "$(sq_b() { sqlite3 "$bdb" "SELECT count(*) FROM audit WHERE detail = 'changed'"; }; sq_b)" = 0 ]
check pg_audit_update_refused_on_both $?
psql -X -q -v ON_ERROR_STOP=1 -c "TRUNCATE audit" "$buri" 2>"$tmp/pg.err"
[ $? -ne 0 ] && grep -q 'the audit log is append-only' "$tmp/pg.err"; check pg_audit_truncate_refused $?
# the cascades: deleting subject 1 (a probe above) took its document and encounter on both
s=$(sqlite3 "$bdb" "SELECT (SELECT count(*) FROM documents) || '|' || (SELECT count(*) FROM encounters)")
g=$(psql -X -At -c "SELECT (SELECT count(*) FROM documents) || '|' || (SELECT count(*) FROM encounters)" "$buri")
[ "$s" = "0|0" ] && [ "$g" = "0|0" ]; check pg_cascades_alike $?

# Rows written before 003 and 004 are carried alike: 001-002 on both, the same rows, then the rest.
ddb=$tmp/data.db
duri=$(pg_newdb data) || { echo "FAIL pg_newdb"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }
early_sq=$(for f in $sq_files; do case $(basename "$f") in 00[12]_*) echo "$f";; esac; done)
late_sq=$(for f in $sq_files; do case $(basename "$f") in 00[12]_*) ;; *) echo "$f";; esac; done)
early_pg=$(for f in $pg_files; do case $(basename "$f") in 00[12]_*) echo "$f";; esac; done)
late_pg=$(for f in $pg_files; do case $(basename "$f") in 00[12]_*) ;; *) echo "$f";; esac; done)
rows="
INSERT INTO subjects (id, created_at, citizen) VALUES (1, 't1', 1), (2, 't2', 0);
INSERT INTO documents (id, subject_id, type, format, issuing_state, number, nationality, surname, given_names, birth_date, created_at)
  VALUES (1, 2, 'P', 'TD3', 'UTO', 'L1', 'UTO', 'Eriksson', 'Anna', '1974-08-12', 't'),
         (2, 1, 'P', 'TD3', 'USA', 'U1', 'USA', 'Doe', 'John', '1980-01-01', 't');
INSERT INTO departures VALUES ('BX1', 'departure', 'BX', '1', 'JFK', 'air', '2026-01-01T10:00:00Z', 't');
INSERT INTO encounters (id, subject_id, document_id, direction, port, port_kind, at, outcome)
  VALUES (1, 2, 1, 'entry', 'JFK', 'air', '2026-01-01T00:00:00Z', 'matched'),
         (2, 1, 2, 'entry', 'JFK', 'air', '2026-01-01T00:01:00Z', 'matched'),
         (3, 2, 1, 'exit', 'JFK', 'air', '2026-01-02T00:00:00Z', 'matched'),
         (4, NULL, NULL, 'exit', 'JFK', 'air', '2026-01-02T00:01:00Z', 'not_matched');
INSERT INTO admissions (id, subject_id, entry_encounter_id, class, admit_until, exit_encounter_id)
  VALUES (1, 2, 1, 'B2', '2026-07-01', 3);
INSERT INTO samples (id, subject_id, encounter_id, source, model, template, captured_at)
  VALUES (1, 1, 2, 'entry', 'm', 'x', 't'), (2, 2, 1, 'entry', 'm', 'x', 't'), (3, NULL, 4, 'exit', 'm', 'x', 't');
INSERT INTO manifest_entries (id, departure_id, issuing_state, number, surname, given_names, birth_date, document_id)
  VALUES (1, 'BX1', 'UTO', 'L1', 'ERIKSSON', 'ANNA', '1974-08-12', 1),
         (2, 'BX1', 'USA', 'U1', 'DOE', 'JOHNNY', '1980-01-01', 2),
         (3, 'BX1', 'UTO', 'Z9', 'NOBODY', 'X', NULL, NULL);
INSERT INTO flags (id, kind, encounter_id, detail, created_at, status) VALUES (1, 'not_matched', 4, 'd', 't', 'open');
INSERT INTO audit (seq, at, actor, action, object, detail, prev, hash) VALUES (1, 't', 'a', 'x', 'o', 'd', 'p', 'h');
"
carried="SELECT 'e', id, decision, class, admit_until, citizen FROM encounters
UNION ALL SELECT 's', id, NULL, NULL, NULL, citizen FROM samples
UNION ALL SELECT 'm', id, CAST(position AS TEXT), NULL, NULL, verified FROM manifest_entries
UNION ALL SELECT 'f', id, kind, status, NULL, NULL FROM flags
UNION ALL SELECT 'a', seq, actor, NULL, NULL, hash_version FROM audit
ORDER BY 1, 2"
# shellcheck disable=SC2086
{ sqlite_migrate "$ddb" $early_sq && sqlite3 -bail "$ddb" "BEGIN; $rows COMMIT;" && sqlite_migrate "$ddb" $late_sq; } &&
    { pg_migrate "$duri" $early_pg && psql -X -q -v ON_ERROR_STOP=1 -1 -c "$rows" "$duri" >/dev/null &&
      pg_migrate "$duri" $late_pg; }
rc=$?
if [ $rc -eq 0 ]; then
    sqlite3 -batch -noheader -separator '|' -nullvalue NULL "$ddb" "$carried" >"$tmp/sqlite_data.txt"
    psql -X -q -At -F '|' -P null=NULL -c "$carried" "$duri" >"$tmp/pg_data.txt"
    diff -u --label sqlite/carried --label pg/carried "$tmp/sqlite_data.txt" "$tmp/pg_data.txt" >"$tmp/data.diff"
    rc=$?
    [ $rc -eq 0 ] || sed 's/^/    /' "$tmp/data.diff"
    grep -q '^e|1|admitted|B2|2026-07-01|0$' "$tmp/sqlite_data.txt" || { echo "  sqlite: encounter 1 not carried as expected"; rc=1; }
fi
check pg_migrations_carry_rows_alike $rc

# BEX_TEST_KEEP=DIR keeps the descriptions compared (sqlite.txt, pg.txt, ...) for a look
[ -n "${BEX_TEST_KEEP:-}" ] && mkdir -p "$BEX_TEST_KEEP" && cp "$tmp"/*.txt "$BEX_TEST_KEEP"/
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
