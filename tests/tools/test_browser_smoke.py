"""test_browser_smoke.py - the browser tests' stack, end to end, without the console: headless
Chromium through chromedriver at a desktop and a tablet size, a page of `bex serve` (/v1/health),
axe-core finding a deliberate accessibility violation and passing a clean page, a sign-in form
filled as a person would that leaves an HttpOnly cookie the page cannot read, the browser
console's errors (a Content-Security-Policy refusal, an uncaught exception) seen, and
screenshots written. The fixture pages come from a small server in this process, with the
console's Content-Security-Policy (issue 15's contract) on every answer.

usage: test_browser_smoke.py BEX_URL OUT_DIR    (tests/tools/test_browser_smoke.sh runs it)
"""

import http.server
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser as b  # noqa: E402

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
KEY = "5e" * 32
TOKEN = "c0ffee" * 8

HEAD = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/style.css"></head>')
PAGES = {
    # a clean page: nothing for axe at WCAG 2.1 AA
    "/clean.html": HEAD % "Clean" + '<body><main><h1>Arrivals</h1><p>Nothing to see.</p>'
                   '<img src="data:," alt="A blank picture"></main></body></html>',
    # deliberate violations: an image without alternative text (critical), a button without a
    # name (critical), grey on grey (serious)
    "/bad.html": HEAD % "Bad" + '<body><main><h1>Flags</h1><img src="data:,">'
                 '<button type="button"></button><p class="faint">Hard to read</p></main>'
                 '</body></html>',
    # an inline script: the console's CSP refuses it
    "/csp.html": HEAD % "CSP" + '<body><main><h1>Inline</h1><script>document.title = "ran";'
                 '</script></main></body></html>',
    # a script that throws
    "/throws.html": HEAD % "Throws" + '<body><main><h1>Throws</h1></main>'
                    '<script src="/throws.js"></script></body></html>',
    # a sign-in form as the console's (browser.py's selectors), its script in a file
    "/console/": HEAD % "Sign in" + '<body><main><h1>bex console</h1>'
                 '<form id="signin"><label for="key">API key</label>'
                 '<input id="key" name="key" type="password" autocomplete="off">'
                 '<button type="submit">Sign in</button></form>'
                 '<p id="status" role="status"></p></main>'
                 '<script src="/console/app.js"></script></body></html>',
}
FILES = {
    "/style.css": ("text/css", "body { font: 16px sans-serif; color: #111; background: #fff; }"
                   " .faint { color: #ccc; background: #ddd; }"),
    "/throws.js": ("text/javascript", "throw new Error('deliberate');"),
    "/console/app.js": ("text/javascript", """
document.getElementById('signin').addEventListener('submit', function (ev) {
  ev.preventDefault();
  fetch('/v1/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({key: document.getElementById('key').value})})
    .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); })
    .then(function (a) {
      document.getElementById('status').textContent =
        a[0] === 200 ? 'Signed in as ' + a[1].role : 'Not signed in';
    });
});
"""),
}


class Fixtures(http.server.BaseHTTPRequestHandler):
    def _send(self, status, ctype, body, extra=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path in PAGES:
            self._send(200, "text/html; charset=utf-8", PAGES[self.path])
        elif self.path in FILES:
            self._send(200, *FILES[self.path])
        else:
            self._send(404, "application/json", '{"error":"not found"}')

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            key = json.loads(self.rfile.read(n)).get("key")
        except ValueError:
            key = None
        if self.path != "/v1/session":
            self._send(404, "application/json", '{"error":"not found"}')
        elif key == KEY:
            self._send(200, "application/json", '{"role":"officer","csrf":"x"}',
                       [("Set-Cookie", "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=60"
                         % (b.SESSION_COOKIE, TOKEN))])
        else:
            self._send(401, "application/json", '{"error":"unknown key"}')

    def log_message(self, *a):
        pass


def main():
    bex_url, out = sys.argv[1], sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fixtures)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    fx = "http://127.0.0.1:%d" % srv.server_port

    try:
        d = b.start()
    except Exception as e:
        b.check("chromium_started", False, e)
        return b.summary()
    try:
        b.check("chromium_started", True)
        b.check("viewport_desktop_1366x768", b.viewport(d) == b.DESKTOP, b.viewport(d))

        # bex serve's own page: the browser reaches it, axe runs in it, a screenshot
        b.open_url(d, bex_url + "/v1/health")
        b.check("bex_health_in_browser", '"status":"ok"' in d.find_element("tag name", "body").text)
        try:
            v = b.run_axe(d)
            b.check("axe_runs_on_bex_page", isinstance(v, list))
        except Exception as e:
            b.check("axe_runs_on_bex_page", False, e)
        shot = b.screenshot(d, out, "bex-health")
        b.check("screenshot_written", os.path.getsize(shot) > 100 and
                open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n")
        # a JSON answer has no favicon link: the browser asks bex for /favicon.ico
        b.console_errors(d)

        # axe under the console's CSP: a clean page passes, the deliberate violations are found
        b.open_url(d, fx + "/clean.html")
        v = b.run_axe(d)
        b.check_axe("axe_clean_page_passes", v)
        b.check_console("clean_page_no_console_errors", d)
        b.open_url(d, fx + "/bad.html")
        v = b.run_axe(d)
        found = {x["id"]: x["impact"] for x in b.serious(v)}
        b.check("axe_finds_image_without_alt", found.get("image-alt") == "critical", found)
        b.check("axe_finds_button_without_name", found.get("button-name") == "critical", found)
        b.check("axe_finds_low_contrast", found.get("color-contrast") == "serious", found)
        b.screenshot(d, out, "axe-violations")
        print("  (the deliberate violations, as check_axe prints them:)")
        for x in b.serious(v):
            print("    " + b.format_violation(x))
        b.check("axe_only_wcag_a_aa_rules", all(set(x["tags"]) & set(b.AXE_TAGS) for x in v))
        b.check("axe_context_limits_scope", not b.run_axe(d, context="h1"))
        b.check("axe_rules_off", "image-alt" not in
                {x["id"] for x in b.run_axe(d, rules_off=("image-alt",))})

        # the browser console's errors
        b.open_url(d, fx + "/csp.html")
        errs = b.console_errors(d)
        b.check("csp_violation_seen", any("Content Security Policy" in m for m in errs), errs)
        b.check("inline_script_refused", d.title == "CSP")
        b.open_url(d, fx + "/throws.html")
        b.find(d, "h1")
        errs = b.console_errors(d)
        b.check("uncaught_exception_seen", any("deliberate" in m for m in errs), errs)
        b.check("errors_drained", b.console_errors(d) == [])
        b.open_url(d, fx + "/throws.html")
        b.find(d, "h1")
        b.check("errors_ignored_by_pattern", b.console_errors(d, ignore=("deliberate",)) == [])

        # sign-in through the form, as a person would
        b.check("wrong_key_not_signed_in", not b.sign_in(d, fx + "/console/", "0" * 64, timeout=2))
        st = b.find(d, "#status")
        b.check("wrong_key_told", st is not None and "Not signed in" in st.text)
        # the browser logs the 401 as a failed load: a test of a refused key expects it
        errs = b.console_errors(d)
        b.check("refused_key_logged_as_401", any("401" in m for m in errs), errs)
        b.check("signed_in", b.sign_in(d, fx + "/console/", KEY))
        c = b.session_cookie(d)
        b.check("session_cookie_httponly", c is not None and c.get("httpOnly") is True, c)
        b.check("session_cookie_hidden_from_page",
                b.SESSION_COOKIE not in d.execute_script("return document.cookie"))
        b.check("signed_in_page_says_so", b.find(d, "#status") is not None and
                "Signed in as officer" in d.find_element("css selector", "#status").text)
        b.check_console("sign_in_no_console_errors", d)
        b.check_axe("sign_in_page_accessible", b.run_axe(d))
        b.screenshot(d, out, "signin-desktop")

        # the tablet size
        b.resize(d, *b.TABLET)
        b.check("viewport_tablet_768x1024", b.viewport(d) == b.TABLET, b.viewport(d))
        b.screenshot(d, out, "signin-tablet")
        b.check_axe("sign_in_page_accessible_tablet", b.run_axe(d))
    except Exception as e:
        b.check("no_exception", False, "%s: %s" % (type(e).__name__, e))
    finally:
        b.stop(d)
        srv.shutdown()
    print("screenshots in " + out)
    return b.summary()


if __name__ == "__main__":
    sys.exit(main())
