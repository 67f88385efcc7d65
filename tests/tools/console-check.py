#!/usr/bin/python3
"""Drive the web console in headless Chromium (Selenium) against a running daemon.

    console-check.py URL DB SHOTS LIVE_VICTIM HOSTILE_ID FLOOD_FLAG

URL is the daemon's http://127.0.0.1:PORT/, DB its SQLite file (read to see
when the live alert starts), SHOTS the screenshot folder.  The caller starts
the live flood when FLOOD_FLAG (a file) appears.  Prints "ok - ..." per
check and exits 1 at the first failure.  Every wait is bounded.
"""
import json
import os
import sqlite3
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

URL, DB, SHOTS, VICTIM, HOSTILE_ID, FLAG = sys.argv[1:7]
HOSTILE_VICTIM = '<img src=x onerror="window.fwPwned=1">'


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def ok(msg):
    print("ok - " + msg, flush=True)


def wait(what, fn, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:  # the page is being redrawn: try again
            pass
        time.sleep(0.2)
    fail("timed out (%ss) waiting for: %s" % (secs, what))


def errors(d):
    """Browser console entries at SEVERE (script errors, failed loads, CSP violations)."""
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


def shot(d, name):
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


opts = webdriver.ChromeOptions()
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--window-size=1280,800"):
    opts.add_argument(a)
profile = tempfile.mkdtemp(prefix="fw-chromium.")
opts.add_argument("--user-data-dir=" + profile)
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.set_page_load_timeout(30)
d.set_script_timeout(10)
console_errors = []
try:
    # ---- Now: empty of live alerts but for the hostile one, then the flood's alert arrives ----
    d.get(URL)
    wait("the Now page", lambda: d.find_element(By.ID, "active"), 15)
    wait("the hostile active alert listed", lambda: HOSTILE_VICTIM in d.find_element(By.ID, "active").text, 10)
    cell = d.find_element(By.CSS_SELECTOR, "#active td.victim")
    if cell.text != HOSTILE_VICTIM or cell.find_elements(By.TAG_NAME, "img"):
        fail("hostile victim not shown as text: %r" % cell.get_attribute("innerHTML"))
    ok("Now: a hostile victim (%s) is shown as text, no <img> element" % HOSTILE_VICTIM)
    d.execute_script("window.fwMarker = 42;")  # survives only if the page is never reloaded
    with open(FLAG, "w") as f:
        f.write("go\n")
    db = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=5)
    t0 = time.time()

    def in_db():
        return db.execute("SELECT id FROM active_alerts WHERE victim = ?", (VICTIM,)).fetchone()
    row = wait("the live alert in SQLite", in_db, 60)
    live_id = row[0]
    t_db = time.time()
    wait("the live alert on the Now page", lambda: d.find_elements(By.CSS_SELECTOR, '#active tr[data-id="%s"]' % live_id), 8)
    ok("Now: the live alert (%s, in SQLite %.1f s after the flood began) is on the page %.1f s after it was stored"
       % (VICTIM, t_db - t0, time.time() - t_db))
    if d.execute_script("return window.fwMarker") != 42:
        fail("the page was reloaded")
    ok("... without a reload (a marker set in the page before is still there)")
    banner = d.find_element(By.ID, "banner")
    if not banner.is_displayed() or VICTIM not in banner.text or "New alert" not in banner.text:
        fail("no banner for the new alert: %r" % banner.text)
    ok("... and a banner announces it: %r" % banner.text.replace("\n", " "))
    row = d.find_element(By.CSS_SELECTOR, '#active tr[data-id="%s"]' % live_id)
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    wait("a sparkline with a line", lambda: d.find_elements(
        By.CSS_SELECTOR, '#active tr[data-id="%s"] svg.spark polyline' % live_id), 20)
    row = d.find_element(By.CSS_SELECTOR, '#active tr[data-id="%s"]' % live_id)
    cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
    if cells[1] != VICTIM or cells[2] != "udp_flood" or "pps" not in cells[5] or "pps" not in cells[6] \
            or not cells[3].startswith("20") or not cells[0]:
        fail("row cells: %r" % cells)
    ok("... row: severity %r, vector %s, started %s, duration %s, current %s, peak %s, sparkline" %
       (cells[0], cells[2], cells[3], cells[4], cells[5], cells[6]))
    title = d.find_element(By.CSS_SELECTOR, "#active time").get_attribute("title")
    if not title.startswith("local "):
        fail("no local time on hover: %r" % title)
    ok("times are UTC with the local time on hover (%r)" % title)
    shot(d, "now")

    # ---- Alert: chart with threshold, baseline, onset; evidence; raw JSON; show command ----
    d.get(URL + "#/alert/" + live_id)
    wait("the alert chart", lambda: d.find_elements(By.CSS_SELECTOR, "#alert-chart path.series.line-rate"), 15)
    for sel, what in (("path.line-thr", "threshold"), ("path.line-base", "baseline"), ("line.mark", "onset mark")):
        if not d.find_elements(By.CSS_SELECTOR, "#alert-chart " + sel):
            fail("the chart has no " + what)
    npts = len(d.find_elements(By.CSS_SELECTOR, "#alert-chart circle"))
    ok("Alert: the rate chart is drawn (%d event points) with threshold, baseline and onset marked" % npts)
    keys = [s.get_attribute("data-key") for s in d.find_elements(By.CSS_SELECTOR, "#evidence section.evidence")]
    for k in ("figures", "top_sources", "top_dst_ports", "protocol_shares", "entropy"):
        if k not in keys:
            fail("no evidence table %s (have %s)" % (k, keys))
    src_rows = d.find_elements(By.CSS_SELECTOR, '#evidence section[data-key="top_sources"] tbody tr')
    if not src_rows or "203.0.113." not in src_rows[0].text:
        fail("top sources: %r" % [r.text for r in src_rows])
    ok("... evidence tables: %s; top source %s" % (", ".join(keys), src_rows[0].text))
    raw = json.loads(d.find_element(By.ID, "raw-json").get_attribute("textContent"))
    if raw[0]["event"] != "start":
        fail("raw JSON: %r" % raw[:1])
    ok("... raw event JSON (%d events, first %s)" % (len(raw), raw[0]["event"]))
    if d.find_element(By.ID, "show-cmd").text != "floodwatch show " + live_id:
        fail("show command")
    d.find_element(By.ID, "copy-show").click()
    ok("... the `floodwatch show %s` command, with a copy button" % live_id)
    shot(d, "alert")

    # ---- a hostile DNS alert: victim and sample names as text, no script ----
    d.get(URL + "#/alert/" + HOSTILE_ID)
    wait("the hostile alert", lambda: d.find_elements(By.CSS_SELECTOR, '#evidence section[data-key="sample_names"]'), 15)
    names = [r.text for r in d.find_elements(By.CSS_SELECTOR, '#evidence section[data-key="sample_names"] tbody td')]
    victim = d.find_element(By.ID, "alert-victim").text
    if victim != HOSTILE_VICTIM or "<script>window.fwPwned=2</script>.example" not in names:
        fail("hostile text: victim %r names %r" % (victim, names))
    if d.find_elements(By.CSS_SELECTOR, "#main img, #main script") or d.execute_script("return window.fwPwned") is not None:
        fail("hostile markup became elements or ran")
    ok("hostile victim and query names are text (%r), no element made, no script ran" % names[0])
    shot(d, "alert-hostile")

    # ---- History: filters, pagination, per-day chart ----
    d.get(URL + "#/history?since=2023-11-01T00:00:00Z")
    wait("the history table", lambda: d.find_elements(By.CSS_SELECTOR, "#history tbody tr"), 15)
    wait("the per-day chart", lambda: d.find_elements(By.CSS_SELECTOR, "#history-chart rect.daybar"), 15)
    all_rows = len(d.find_elements(By.CSS_SELECTOR, "#history tbody tr"))
    Select(d.find_element(By.ID, "f-vector")).select_by_value("udp_flood")
    d.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
    wait("the vector filter applied", lambda: "vector=udp_flood" in d.current_url and d.find_elements(
        By.CSS_SELECTOR, "#history tbody tr") and all(
        r.find_elements(By.TAG_NAME, "td")[2].text == "udp_flood" for r in d.find_elements(By.CSS_SELECTOR, "#history tbody tr")), 10)
    vec_rows = [r.find_elements(By.TAG_NAME, "td")[1].text for r in d.find_elements(By.CSS_SELECTOR, "#history tbody tr")]
    if not (0 < len(vec_rows) < all_rows):
        fail("vector filter: %d of %d" % (len(vec_rows), all_rows))
    ok("History: %d alerts since 2023-11-01; vector udp_flood (chosen in the form): %d, all udp_flood" % (all_rows, len(vec_rows)))
    shot(d, "history")
    v = d.find_element(By.ID, "f-victim")
    v.clear()
    v.send_keys("198.51.100.53", Keys.ENTER)
    wait("the victim filter applied", lambda: [r.find_elements(By.TAG_NAME, "td")[1].text for r in d.find_elements(
        By.CSS_SELECTOR, "#history tbody tr")] == ["198.51.100.53"], 10)
    ok("... victim filter (typed, Enter): only 198.51.100.53")
    d.get(URL + "#/history?since=2023-11-01T00:00:00Z&severity=3")
    wait("the severity filter applied", lambda: d.find_elements(By.ID, "history-empty") or all(
        "3" in r.find_elements(By.TAG_NAME, "td")[0].text for r in d.find_elements(By.CSS_SELECTOR, "#history tbody tr")), 10)
    d.get(URL + "#/history?since=2020-01-01T00:00:00Z&until=2020-01-02T00:00:00Z")
    wait("an empty range", lambda: d.find_elements(By.ID, "history-empty"), 10)
    ok("... severity filter and an empty time range")

    # ---- Inputs: the exporter and the status ----
    d.get(URL + "#/")
    wait("Now", lambda: d.find_elements(By.ID, "active"), 10)
    d.find_element(By.TAG_NAME, "body").send_keys("3")
    wait("the exporter listed on Inputs (key 3)", lambda: "nf5" in d.find_element(By.ID, "exporters").text
         and "127.0.0.1" in d.find_element(By.ID, "exporters").text, 15)
    wait("a datagram rate", lambda: d.find_element(By.ID, "sources").text.count("/s)") > 0, 15)
    ok("Inputs (reached with key 3): the NetFlow v5 exporter 127.0.0.1 listed; rings, memory budget, per-source rates")
    shot(d, "inputs")

    # ---- keyboard: Tab reaches the navigation and an alert link ----
    d.get(URL + "#/")
    wait("Now", lambda: d.find_elements(By.CSS_SELECTOR, "#active a.alert-link"), 10)
    focused = []
    body = d.find_element(By.TAG_NAME, "body")
    for _ in range(12):
        body = d.switch_to.active_element
        body.send_keys(Keys.TAB)
        focused.append(d.switch_to.active_element.get_attribute("href") or "")
    if not any(h.endswith("#/history") for h in focused) or not any("#/alert/" in h for h in focused):
        fail("Tab order: %r" % focused)
    ok("keyboard: Tab reaches the navigation and the alert links")

    # ---- phone width ----
    d.set_window_size(390, 844)
    d.get(URL + "#/")
    wait("Now at phone width", lambda: d.find_elements(By.CSS_SELECTOR, '#active tr[data-id="%s"]' % live_id), 10)
    sw = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    if sw[0] > sw[1] + 1:
        fail("the page scrolls sideways at phone width: %r" % sw)
    ok("phone width (390 px): no sideways scrolling of the page (%d <= %d)" % tuple(sw))
    shot(d, "now-phone")

    console_errors = errors(d)
    if d.execute_script("return window.fwPwned") is not None:
        fail("a hostile script ran")
finally:
    d.quit()
if console_errors:
    fail("browser console errors: %r" % console_errors)
ok("the browser console has no errors")
