"""browser.py - the officer console's tests in a real browser: headless Chromium driven through
chromedriver by Debian's python3-selenium (no PyPI), axe-core's accessibility checks, screenshots,
the browser console's errors, and the "ok NAME" / "FAIL NAME" counter whose closing
"N passed, N failed[, N skipped]" line tests/run.sh adds up. docs/console.md says how to use it.

    import browser as b
    ok, why = b.available()                 # False, "no chromium, no axe (...)" where missing
    d = b.start()                           # 1366x768; b.start(*b.TABLET) for 768x1024
    b.check("signed_in", b.sign_in(d, url + "/console/", key))
    b.check_axe("console_accessible", b.run_axe(d))
    b.check_console("no_console_errors", d)
    b.screenshot(d, out, "console-desktop")
    b.stop(d)
    sys.exit(b.summary())

Nothing here downloads anything: Chromium and chromedriver are Debian's (/usr/bin/chromium,
/usr/bin/chromedriver; BEX_CHROMIUM and BEX_CHROMEDRIVER name others), axe.min.js is the pinned
copy tools/fetch-web.sh put in web/vendor/ (BEX_AXE names another).
"""

import os
import re
import shutil
import sys
import tempfile
import time

# The console's sign-in form. The console's author may change these; the tests use only these.
SIGNIN_FORM = "form#signin"
SIGNIN_KEY = "form#signin input#key"
SIGNIN_SUBMIT = "form#signin button[type=submit]"
# the HttpOnly cookie POST /v1/session sets (the page's script cannot read it; WebDriver can)
SESSION_COOKIE = "bex_session"

DESKTOP = (1366, 768)
TABLET = (768, 1024)

# axe-core rules by tag: WCAG 2.0 and 2.1, levels A and AA
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# impacts that fail a test (axe's four: minor, moderate, serious, critical)
AXE_FAIL_ON = ("serious", "critical")

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
AXE_JS = os.environ.get("BEX_AXE") or os.path.join(ROOT, "web", "vendor", "axe.min.js")


def _binary(env, names):
    if os.environ.get(env):
        return os.environ[env]
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


def chromium_path():
    return _binary("BEX_CHROMIUM", ("chromium", "chromium-browser"))


def chromedriver_path():
    return _binary("BEX_CHROMEDRIVER", ("chromedriver",))


def available(need_axe=True):
    """(True, "") when everything the browser tests need is here, else (False, "no X, no Y (how
    to get them)"). Finds things only; starts nothing."""
    missing = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    c = chromium_path()
    if not c or not os.access(c, os.X_OK):
        missing.append("chromium")
    d = chromedriver_path()
    if not d or not os.access(d, os.X_OK):
        missing.append("chromedriver")
    if need_axe and not os.path.isfile(AXE_JS):
        missing.append("axe")
    if not missing:
        return True, ""
    how = []
    if set(missing) & {"selenium", "chromium", "chromedriver"}:
        how.append("apt-get install chromium chromium-driver python3-selenium, or tools/setup.sh")
    if "axe" in missing:
        how.append("tools/fetch-web.sh puts axe.min.js in web/vendor/")
    return False, ", ".join("no " + m for m in missing) + " (" + "; ".join(how) + ")"


def start(width=DESKTOP[0], height=DESKTOP[1], lang="en-GB"):
    """A headless Chromium through chromedriver, its viewport WIDTH x HEIGHT CSS pixels (scale 1),
    keeping the browser console's messages for console_errors(). Stop it with stop()."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    o = Options()
    o.binary_location = chromium_path()
    for a in ("--headless=new",
              # the tests load only pages on 127.0.0.1 that they serve themselves; containers and
              # CI runners (root, no user namespaces) often cannot give Chromium its sandbox
              "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=%d,%d" % (width, height), "--force-device-scale-factor=1",
              "--lang=" + lang, "--no-first-run", "--no-default-browser-check",
              "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-default-apps"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # a Service with its path: Selenium Manager never runs, nothing is downloaded
    d = webdriver.Chrome(service=Service(executable_path=chromedriver_path()), options=o)
    d.set_page_load_timeout(30)
    d.set_script_timeout(60)
    resize(d, width, height)
    return d


def resize(driver, width, height):
    """Sets the viewport (window.innerWidth x innerHeight) to WIDTH x HEIGHT."""
    driver.set_window_size(width, height)
    w, h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if (w, h) != (width, height):  # the window's frame, where there is one
        driver.set_window_size(2 * width - w, 2 * height - h)


def viewport(driver):
    """(innerWidth, innerHeight) of the page."""
    return tuple(driver.execute_script("return [window.innerWidth, window.innerHeight]"))


def stop(driver):
    try:
        driver.quit()
    except Exception:
        pass


def open_url(driver, url, wait_for=None, timeout=10):
    """Loads URL; with WAIT_FOR (a CSS selector), waits up to TIMEOUT s for it and answers the
    element (None when it never came), else answers True."""
    driver.get(url)
    if wait_for:
        return find(driver, wait_for, timeout)
    return True


def find(driver, css, timeout=10):
    """The first element matching CSS once it is displayed, waiting up to TIMEOUT s; or None."""
    from selenium.webdriver.common.by import By

    end = time.monotonic() + timeout
    while True:
        try:
            for e in driver.find_elements(By.CSS_SELECTOR, css):
                if e.is_displayed():
                    return e
        except Exception:
            pass
        if time.monotonic() >= end:
            return None
        time.sleep(0.05)


def sign_in(driver, url, key, timeout=10):
    """Signs in through the console's form as a person would: opens URL (None: stays on the page
    already open), types KEY into SIGNIN_KEY, clicks SIGNIN_SUBMIT and waits up to TIMEOUT s for
    the HttpOnly SESSION_COOKIE. True when the cookie came; False, saying why, if not."""
    if url:
        driver.get(url)
    box = find(driver, SIGNIN_KEY, timeout)
    if box is None:
        print("  sign_in: no %s on %s" % (SIGNIN_KEY, driver.current_url))
        return False
    box.clear()
    box.send_keys(key)
    button = find(driver, SIGNIN_SUBMIT, timeout)
    if button is None:
        print("  sign_in: no %s" % SIGNIN_SUBMIT)
        return False
    button.click()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if session_cookie(driver):
            return True
        time.sleep(0.05)
    print("  sign_in: no %s cookie after %ss" % (SESSION_COOKIE, timeout))
    return False


def session_cookie(driver):
    """The SESSION_COOKIE as WebDriver sees it (a dict with "value", "httpOnly", "sameSite"...),
    or None."""
    try:
        return driver.get_cookie(SESSION_COOKIE)
    except Exception:
        return None


def run_axe(driver, context=None, tags=AXE_TAGS, rules_off=(), axe_js=None):
    """Injects axe.min.js into the page open now and runs axe.run on CONTEXT (a CSS selector;
    None: the whole document) with the rules tagged TAGS, less RULES_OFF (rule ids). Answers the
    violations as axe gives them: [{"id","impact","help","helpUrl","nodes":[{"target":[..]}]}].
    Raises RuntimeError if axe could not run."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        with open(axe_js or AXE_JS, encoding="utf-8") as f:
            driver.execute_script(f.read())
    opts = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    if rules_off:
        opts["rules"] = {r: {"enabled": False} for r in rules_off}
    r = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "var ctx = arguments[0] === null ? document : arguments[0];"
        "window.axe.run(ctx, arguments[1])"
        "  .then(function (r) { done({violations: r.violations}); })"
        "  .catch(function (e) { done({error: String(e)}); });", context, opts)
    if not isinstance(r, dict) or "error" in r:
        raise RuntimeError("axe.run failed: %s" % (r.get("error") if isinstance(r, dict) else r))
    return r["violations"]


def format_violation(v):
    targets = []
    for n in v.get("nodes", []):
        t = n.get("target", [])
        targets.append(" ".join(str(x) for x in t) if isinstance(t, list) else str(t))
    return "%s %s: %s [%s]" % (v.get("impact"), v.get("id"), v.get("help"), ", ".join(targets))


def serious(violations, fail_on=AXE_FAIL_ON):
    """The violations whose impact is in FAIL_ON."""
    return [v for v in violations if v.get("impact") in fail_on]


def check_axe(name, violations, fail_on=AXE_FAIL_ON):
    """One check: NAME fails when a violation's impact is in FAIL_ON ("serious", "critical").
    Prints each such violation (impact, id, help, the nodes' targets) under it, and the others
    (minor, moderate) as notes. Answers whether it passed."""
    bad = serious(violations, fail_on)
    ok = check(name, not bad)
    for v in violations:
        print("  %s%s" % ("" if v in bad else "note: ", format_violation(v)))
    return ok


def console_errors(driver, ignore=()):
    """The browser console's errors (level SEVERE: uncaught exceptions, console.error, a
    Content-Security-Policy refusal, a failed load) since the last call, as their messages; a
    message matching a regular expression in IGNORE is left out."""
    try:
        logs = driver.get_log("browser")
    except Exception as e:
        return ["(could not read the browser's log: %s)" % e]
    out = []
    for e in logs:
        if e.get("level") != "SEVERE":
            continue
        m = e.get("message", "")
        if any(re.search(p, m) for p in ignore):
            continue
        out.append(m)
    return out


def check_console(name, driver, ignore=()):
    """One check: NAME fails when console_errors(DRIVER, IGNORE) is not empty, printing each."""
    errs = console_errors(driver, ignore)
    ok = check(name, not errs)
    for m in errs:
        print("  console: " + m)
    return ok


def output_dir(name):
    """Where a test puts its screenshots: $BEX_TEST_OUT/NAME when BEX_TEST_OUT is set, else a new
    temporary folder (kept: the test prints it at the end)."""
    base = os.environ.get("BEX_TEST_OUT")
    if base:
        d = os.path.join(base, name)
        os.makedirs(d, exist_ok=True)
        return d
    return tempfile.mkdtemp(prefix="bex-%s-" % name)


def screenshot(driver, out_dir, name):
    """Saves the viewport as OUT_DIR/NAME.png (NAME made file-safe); answers the path."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".png")
    if not driver.save_screenshot(path):
        raise RuntimeError("could not save the screenshot " + path)
    return path


# The counter: "ok   NAME" / "FAIL NAME" lines and the closing "N passed, N failed[, N skipped]".
_count = {"pass": 0, "fail": 0, "skip": 0}


def check(name, ok, detail=None):
    """Counts one check: prints "ok   NAME" or "FAIL NAME" (and DETAIL under a failure)."""
    if ok:
        print("ok   " + name)
        _count["pass"] += 1
    else:
        print("FAIL " + name)
        if detail:
            for line in str(detail).splitlines():
                print("  " + line)
        _count["fail"] += 1
    sys.stdout.flush()
    return bool(ok)


def skip(name, why):
    """Counts one skipped check: prints "skip NAME: WHY"."""
    print("skip %s: %s" % (name, why))
    _count["skip"] += 1


def summary():
    """Prints "N passed, N failed[, N skipped]"; answers the exit status (0 when none failed)."""
    line = "%d passed, %d failed" % (_count["pass"], _count["fail"])
    if _count["skip"]:
        line += ", %d skipped" % _count["skip"]
    print(line)
    sys.stdout.flush()
    return 0 if _count["fail"] == 0 else 1
