"""What a user waits for in a real browser: the first page on a cold server, and click-to-grid on the Dravet example.

    python bench/bench_browser.py                      # 5 cold starts, 5 clicks; prints a table of medians
    python bench/bench_browser.py --runs 3 --screenshot docs/diagnose.png
    python bench/bench_browser.py --clicks-only       # only click to grid, on one warm server (a quick before/after check)

`bench/bench_app.py` times the app through Streamlit's AppTest (no browser, no rendering); this drives headless
Chromium (/usr/bin/chromium with chromium-driver, selenium from the `[test]` extra) against `streamlit run app.py`
and times with the page's own clock (`performance.now()`, from navigation start or from the click):

- **cold first page**: a fresh server per run; navigation start to the Diagnose heading drawn, to the page usable
  (the "Rank genes" button drawn) and to the Dravet example's ranking being possible (the model loaded);
- **click to grid**: on that warm server, a new session per run: pick the example, click "Rank genes", and time
  until the gene table's rows are in the page (Streamlit's grid draws its rows in a canvas and mirrors them in an
  accessible table, whose rows are what is waited for), then until the page stops running.

Nothing is written but the optional screenshot. Chromium flags as in tests/app/test_browser.py.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EXAMPLE = "example-dravet"

# Runs in the page from navigation start: records when each milestone first appears (performance.now(), ms).
WATCH = """
window.__rft = {};
const marks = {
  heading: () => [...document.querySelectorAll('h1')].some(h => h.textContent.includes('Diagnose')),
  usable: () => !!document.querySelector('.st-key-dx_rank button'),
};
(function poll() {
  for (const [name, seen] of Object.entries(marks)) if (!(name in window.__rft) && seen()) window.__rft[name] = performance.now();
  if (Object.keys(window.__rft).length < Object.keys(marks).length) requestAnimationFrame(poll);
})();
"""

# Clicks "Rank genes" and records when the grid's rows are in the page and when the script stops running.
CLICK = """
const done = arguments[arguments.length - 1];
const rows = () => document.querySelector("[data-testid='stDataFrame']")?.querySelectorAll("[role='row']").length || 0;  // the gene table is the first grid
const idle = () => document.querySelector("[data-testid='stApp']")?.dataset.testScriptState === 'notRunning';
const t0 = performance.now();
let grid = null, started = false;
document.querySelector('.st-key-dx_rank button').click();
(function poll() {
  const now = performance.now();
  if (grid === null && rows() > 1) grid = now - t0;
  if (!idle()) started = true;
  if (grid !== null && started && idle()) return done({grid: grid, idle: now - t0});
  if (now - t0 > 120000) return done({grid: grid, idle: null});
  requestAnimationFrame(poll);
})();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not answer /_stcore/health within 120 s")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                "--window-size=1400,1100"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(180)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
    return driver


def _wait(driver, condition, timeout: float = 180.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition)


def _idle(driver) -> None:
    for _ in range(2):  # the state reads notRunning for a moment before a run starts
        time.sleep(0.3)
        _wait(driver, lambda d: d.execute_script("return document.querySelector(\"[data-testid='stApp']\")?.dataset.testScriptState") == "notRunning")


def pick_example(driver) -> None:
    """Choose the Dravet example and wait until its terms are in and the model is loaded (the line is gone)."""
    from selenium.webdriver.common.keys import Keys

    _idle(driver)
    box = _wait(driver, lambda d: d.find_element("css selector", ".st-key-dx_example input"))
    box.send_keys(EXAMPLE, Keys.ENTER)
    _wait(driver, lambda d: "HP:" in d.execute_script("return document.querySelector('.st-key-dx_present')?.textContent || ''"))
    _wait(driver, lambda d: "Loading the model" not in d.find_element("tag name", "body").text)
    _idle(driver)


def cold_first_page(driver) -> dict[str, float]:
    """A fresh server: navigation start to the heading, to the page usable, and to the model ready (wall clock)."""
    proc, url = start_server()
    try:
        t0 = time.monotonic()
        driver.get(url)
        _wait(driver, lambda d: d.execute_script("return window.__rft && window.__rft.usable"))
        marks = driver.execute_script("return window.__rft")
        _wait(driver, lambda d: "Loading the model" not in d.find_element("tag name", "body").text and "Rank genes" in d.find_element("tag name", "body").text)
        ready = time.monotonic() - t0
        return {"heading": marks["heading"] / 1000, "usable": marks["usable"] / 1000, "model ready": ready}
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server, killing it when it does not stop within 20 s (a loaded machine): a run never ends on a stuck server."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def click_to_grid(driver, url: str) -> dict[str, float]:
    driver.get(url)
    pick_example(driver)
    got = driver.execute_async_script(CLICK)
    if got["grid"] is None:
        raise RuntimeError("the gene table never appeared")
    return {"grid": got["grid"] / 1000, "idle": (got["idle"] or float("nan")) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts and clicks, each (median reported)")
    parser.add_argument("--clicks-only", action="store_true", help="skip the cold starts: only click to grid (quick before/after checks)")
    parser.add_argument("--screenshot", help="save the Diagnose page with the Dravet example ranked (e.g. docs/diagnose.png)")
    args = parser.parse_args()
    driver = browser()
    try:
        cold = [] if args.clicks_only else [cold_first_page(driver) for _ in range(args.runs)]
        proc, url = start_server()
        try:
            driver.get(url)
            pick_example(driver)  # warm the server: HPO and the model loaded once
            clicks = [click_to_grid(driver, url) for _ in range(args.runs)]
            if args.screenshot:
                driver.execute_script("document.querySelector('.st-key-dx_present').scrollIntoView()")
                time.sleep(1.0)  # let the grid paint its canvas
                driver.save_screenshot(args.screenshot)
        finally:
            stop_server(proc)
    finally:
        driver.quit()

    def row(what: str, values: list[float], target: str) -> str:
        vals = ", ".join(f"{v:.2f}" for v in values)
        return f"| {what} | {statistics.median(values):.2f} s | {vals} | {target} |"

    print(f"\nreal Chromium, {args.runs} runs each, median (all runs in seconds)\n")
    print("| what | median | runs | target |\n|---|---|---|---|")
    if cold:
        print(row("cold server: navigation to the Diagnose heading", [c["heading"] for c in cold], "< 5 s"))
        print(row("cold server: navigation to the page usable (Rank genes drawn)", [c["usable"] for c in cold], ""))
        print(row("cold server: navigation to the model ready (loading line gone)", [c["model ready"] for c in cold], ""))
    print(row(f"click Rank genes ({EXAMPLE}) to the grid's rows", [c["grid"] for c in clicks], "< 1 s"))
    print(row(f"click Rank genes ({EXAMPLE}) to the page idle", [c["idle"] for c in clicks], ""))


if __name__ == "__main__":
    main()
