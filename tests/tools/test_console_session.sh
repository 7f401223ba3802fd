#!/usr/bin/env bash
# test_console_session.sh - the console's side of `bex serve` with curl (issue 15): its files
# served from the binary with their types and the security headers (a Content-Security-Policy
# with no inline script or style, nosniff, no referrer, no framing; API answers never cached),
# no inline script or style in console/ at all; sessions: a key becomes an HttpOnly,
# SameSite=Strict cookie (Secure and HSTS under TLS), the cookie stands for its key (same roles,
# same audit), a change without the session's X-CSRF-Token is refused and audited, carriers and
# bad keys get no session, sign-out, idle and absolute expiry (--session-idle, --session-max), a
# revoked key's session dies at once, a key's sessions are bounded, the sign-in body is bounded.
# BEX_TEST_DB=pg: the same on PostgreSQL (tests/lib/testdb.sh: a throw-away cluster, a fresh
# database where a fresh store file was; skipped with the reason without a server).
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
. tests/lib/testdb.sh
testdb_init
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; testdb_cleanup' EXIT
db=$(testdb_new store "$tmp/bex.db")
key() { "$bex" keys add --db "$db" "$@" | sed -n 's/.*"key":"\([0-9a-f]*\)".*/\1/p'; }
OFFICER=$(key --role officer --label booth)   # id 1
ANALYST=$(key --role analyst)                 # 2
CARRIER=$(key --role carrier --carrier BX)    # 3
ADMIN=$(key --role admin)                     # 4
DOOMED=$(key --role officer --label doomed)   # 5
start() { # start OUTFILE [serve options]: sets $U and $SP
    local out=$1; shift
    "$bex" serve --db "$db" --listen 127.0.0.1:0 --workers 1 "$@" >"$out" 2>"$out.err" &
    SP=$!
    pids+=("$SP")
    for _ in $(seq 200); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
    U="http://127.0.0.1:$(sed -n 's/.*"listening":"[0-9.]*:\([0-9]*\)".*/\1/p' "$out")"
}
stop() { kill -TERM "$SP"; wait "$SP"; check "bex_serve_stopped_cleanly ($1)" $?; }
# req NAME METHOD PATH [curl args]: status in $st; headers in $tmp/NAME.h, body in $tmp/NAME.b
req() {
    local n=$1 m=$2 p=$3; shift 3
    st=$(curl -s -D "$tmp/$n.h" -o "$tmp/$n.b" -w '%{http_code}' -X "$m" "$@" "$U$p")
}
hdr() { grep -i "^$2:" "$tmp/$1.h" | head -1 | tr -d '\r'; }
signin() { # signin NAME KEY: the session's cookie jar $tmp/NAME.jar, its csrf in $tmp/NAME.csrf
    st=$(curl -s -c "$tmp/$1.jar" -D "$tmp/$1.h" -o "$tmp/$1.b" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' -d "{\"key\":\"$2\"}" "$U/v1/session")
    sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$tmp/$1.b" >"$tmp/$1.csrf"
}
audit_count() { # audit_count SQL-WHERE: rows of the audit log
    if testdb_is_pg; then q "$db" "select count(*) from audit where $1"; return; fi
    /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit where " + sys.argv[2]).fetchone()[0])' "$db" "$1"
}

# ---- the console's files: no inline script or style anywhere ----
bad=$(grep -nE '<script(\s[^>]*)?>[^<]|<script>|\sstyle=|<style|\son[a-z]+=|javascript:' console/*.html console/*.js console/*.css 2>/dev/null | grep -v 'src=' )
[ -z "$bad" ]; check "console_has_no_inline_script_or_style${bad:+: $bad}" $?
grep -rnE 'https?://' console/ | grep -v 'http://www.w3.org/2000/svg' | grep -q .; [ $? -ne 0 ]; check console_fetches_nothing_from_elsewhere $?

start "$tmp/serve.out" --session-idle 4
req idx GET /console/
[ "$st" = 200 ] && [ "$(hdr idx content-type)" = "Content-Type: text/html; charset=utf-8" ] && grep -q 'form id="signin"' "$tmp/idx.b"
check console_index_served_from_binary $?
[ "$(hdr idx content-security-policy)" = "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" ]
check console_csp_header $?
[ -n "$(hdr idx x-content-type-options | grep -i nosniff)" ] && [ -n "$(hdr idx referrer-policy | grep no-referrer)" ] &&
    [ -n "$(hdr idx x-frame-options | grep DENY)" ] && [ -z "$(hdr idx strict-transport-security)" ]
check console_security_headers $?
req red GET /console
[ "$st" = 200 ] && cmp -s "$tmp/red.b" console/index.html; check console_without_slash_is_index $?
ok=0
for f in console/*; do
    n=${f#console/}
    req f GET "/console/$n"
    [ "$st" = 200 ] && cmp -s "$tmp/f.b" "$f" || { echo "  $n: $st"; ok=1; }
done
check console_every_file_served_as_is $ok
req js GET /console/console.js
[ "$(hdr js content-type)" = "Content-Type: text/javascript; charset=utf-8" ]; check console_js_content_type $?
req css GET /console/console.css
[ "$(hdr css content-type)" = "Content-Type: text/css; charset=utf-8" ]; check console_css_content_type $?
req nf GET /console/nothing.js
[ "$st" = 404 ]; check console_missing_file_404 $?
req tr GET "/console/../v1/health" --path-as-is
[ "$st" = 404 ]; check console_traversal_404 $?
req pm POST /console/index.html
[ "$st" = 405 ]; check console_post_405 $?
req api GET /v1/flags -H "Authorization: Bearer $OFFICER"
[ "$st" = 200 ] && [ -n "$(hdr api cache-control | grep no-store)" ] && [ -n "$(hdr api x-content-type-options | grep nosniff)" ] &&
    [ -n "$(hdr api x-frame-options | grep DENY)" ] && [ -n "$(hdr api referrer-policy | grep no-referrer)" ]
check api_answers_no_store_nosniff_deny $?

# ---- sign-in ----
signin off "$OFFICER"
c=$(hdr off set-cookie)
[ "$st" = 200 ] && grep -qE '^Set-Cookie: bex_session=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800$' <<<"$c"
check "session_cookie_httponly_strict_path ($c)" $?
grep -q Secure <<<"$c"; [ $? -ne 0 ]; check session_cookie_not_secure_over_plain_http $?
grep -q '"role":"officer","label":"booth","key_id":1,"csrf":"[0-9a-f]\{64\}","expires_at":"' "$tmp/off.b"; check session_answer $?
tok=$(sed -n 's/.*bex_session=\([0-9a-f]*\);.*/\1/p' <<<"$c")
! grep -q "$OFFICER" "$tmp/off.h" "$tmp/off.b" && [ "$tok" != "$OFFICER" ]; check session_token_is_not_the_key $?
req who GET /v1/session -b "$tmp/off.jar"
[ "$st" = 200 ] && grep -q "\"csrf\":\"$(cat "$tmp/off.csrf")\"" "$tmp/who.b"; check session_get_with_cookie $?
req nobody GET /v1/session
[ "$st" = 401 ]; check session_get_without_cookie_401 $?
req hk POST /v1/session -H "Authorization: Bearer $ANALYST"
[ "$st" = 200 ] && grep -q '"role":"analyst"' "$tmp/hk.b"; check session_from_authorization_header $?
req bad POST /v1/session -d '{"key":"0000000000000000000000000000000000000000000000000000000000000000"}'
[ "$st" = 401 ] && [ -z "$(hdr bad set-cookie)" ]; check session_unknown_key_401 $?
req long POST /v1/session -d "{\"key\":\"${OFFICER}00\"}"
[ "$st" = 401 ]; check session_key_with_more_after_it_401 $?
req longh POST /v1/session -H "Authorization: Bearer ${OFFICER}00"
[ "$st" = 401 ]; check session_header_key_with_more_after_it_401 $?
req junk POST /v1/session -d 'not json'
[ "$st" = 400 ]; check session_body_not_json_400 $?
head -c 5000 /dev/zero | tr '\0' 'a' >"$tmp/big"
req big POST /v1/session --data-binary @"$tmp/big"
[ "$st" = 413 ]; check session_body_over_4096_bytes_413 $?
signin car "$CARRIER"
[ "$st" = 403 ] && [ -z "$(hdr car set-cookie)" ]; check carrier_refused_a_session_403 $?
[ "$(audit_count "action = 'denied' and detail like 'carrier key may not open a console session%' and actor = 'key:3 carrier'")" -ge 1 ]
check carrier_refusal_audited $?
[ "$(audit_count "action = 'session' and detail = 'signed in' and actor = 'key:1 officer'")" = 1 ]; check sign_in_audited_as_the_key $?

# ---- the cookie stands for its key ----
req fl GET /v1/flags -b "$tmp/off.jar"
[ "$st" = 200 ]; check cookie_authorises_get $?
req lk GET "/v1/lookup?document=X1" -b "$tmp/off.jar"
[ "$st" = 200 ] && [ "$(audit_count "actor = 'key:1 officer' and action like 'lookup%'")" -ge 1 ]
check cookie_reads_audited_as_its_key $?
signin ana "$ANALYST"
req ar GET "/v1/lookup?document=X1" -b "$tmp/ana.jar"
[ "$st" = 403 ]; check cookie_role_matrix_applies $?
req nocsrf POST "/v1/flags/status?id=1&status=cleared" -b "$tmp/off.jar"
[ "$st" = 403 ] && grep -q CSRF "$tmp/nocsrf.b"; check change_without_csrf_403 $?
req wrongcsrf POST "/v1/flags/status?id=1&status=cleared" -b "$tmp/off.jar" -H "X-CSRF-Token: $(cat "$tmp/ana.csrf")"
[ "$st" = 403 ]; check change_with_another_sessions_csrf_403 $?
[ "$(audit_count "action = 'denied' and detail like 'session request without its CSRF token%'")" -ge 1 ]; check csrf_refusal_audited $?
req csrf POST "/v1/flags/status?id=1&status=cleared" -b "$tmp/off.jar" -H "X-CSRF-Token: $(cat "$tmp/off.csrf")"
[ "$st" = 404 ]; check "change_with_csrf_reaches_the_handler ($st: no flag 1)" $?
req keyed POST "/v1/flags/status?id=1&status=cleared" -H "Authorization: Bearer $OFFICER"
[ "$st" = 404 ]; check key_requests_need_no_csrf $?
req forged GET /v1/flags -H "Cookie: bex_session=$(printf '%064d' 7)"
[ "$st" = 401 ]; check made_up_session_401 $?

# ---- sign-out ----
req so1 POST /v1/session/end -b "$tmp/off.jar"
[ "$st" = 403 ]; check sign_out_without_csrf_403 $?
req so POST /v1/session/end -b "$tmp/off.jar" -H "X-CSRF-Token: $(cat "$tmp/off.csrf")"
[ "$st" = 200 ] && hdr so set-cookie | grep -q 'bex_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0'
check sign_out_expires_cookie $?
req after GET /v1/flags -b "$tmp/off.jar"
[ "$st" = 401 ]; check signed_out_session_401 $?

# ---- expiry, revocation, bounds ----
signin idle "$OFFICER"
req i1 GET /v1/flags -b "$tmp/idle.jar"; a=$st
sleep 1; req i2 GET /v1/flags -b "$tmp/idle.jar"; b=$st
sleep 6; req i3 GET /v1/flags -b "$tmp/idle.jar"; c=$st
[ "$a $b $c" = "200 200 401" ]; check "session_ends_after_idle_seconds ($a $b $c)" $?
signin doom "$DOOMED"
req d1 GET /v1/flags -b "$tmp/doom.jar"; a=$st
req rv POST "/v1/keys/revoke?id=5" -H "Authorization: Bearer $ADMIN"; r=$st
req d2 GET /v1/flags -b "$tmp/doom.jar"; b=$st
req d3 GET /v1/session -b "$tmp/doom.jar"; c=$st
[ "$a $r $b $c" = "200 200 401 401" ]; check "revoked_key_ends_its_session ($a $r $b $c)" $?
for i in $(seq 9); do signin many$i "$ANALYST"; done
req m1 GET /v1/flags -b "$tmp/many1.jar"; a=$st
req m9 GET /v1/flags -b "$tmp/many9.jar"; b=$st
[ "$a $b" = "401 200" ]; check "sessions_per_key_bounded_oldest_ends ($a $b)" $?
stop idle

start "$tmp/serve2.out" --session-max 3
signin abs "$OFFICER"
ok=""
for i in 1 2 3 4 5; do req a$i GET /v1/flags -b "$tmp/abs.jar"; ok+="$st "; sleep 1; done
grep -qE '^200 200 (200 )?401 401' <<<"$ok"; check "session_ends_at_its_absolute_lifetime_while_in_use ($ok)" $?
stop absolute

# ---- TLS: Secure cookie, HSTS ----
if command -v openssl >/dev/null &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1; then
    start "$tmp/serve3.out" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
    U=${U/http:/https:}
    req tls POST /v1/session --cacert "$tmp/cert.pem" -d "{\"key\":\"$OFFICER\"}"
    [ "$st" = 200 ] && hdr tls set-cookie | grep -q '; Max-Age=28800; Secure$'; check session_cookie_secure_under_tls $?
    req tlsc GET /console/ --cacert "$tmp/cert.pem"
    [ -n "$(hdr tlsc strict-transport-security | grep max-age=)" ]; check hsts_under_tls $?
    stop tls
else
    echo "skip session_cookie_secure_under_tls: no openssl"
fi

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
