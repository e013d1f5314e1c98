"""The app in a real browser: start `streamlit run app.py`, search and add terms, rank, screenshot.

    pytest -m browser tests/app/test_browser.py -s      # -s shows where the screenshot was saved

Needs Debian's Chromium and its driver (`apt-get install chromium chromium-driver`) and selenium (in the
project's `test` extra); skipped with the reason when either is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class _Page:
    """What both browser walks do with the page: wait for a rerun to end, find a keyed widget, wait for a text."""

    def __init__(self, wait):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait, self.by, self.ec = wait, By, ec

    def idle(self) -> None:
        # A click that lands while the script is still drawing can be lost: wait for the run to end, or to reach
        # Diagnose's last step, where it only waits for the model and lets any click interrupt it (pages/diagnose.py).
        done = ("[data-testid='stApp'][data-test-script-state='notRunning'], "
                "[data-testid='stApp'][data-test-script-state='running'] .st-key-dx_model_loading [data-testid='stCaptionContainer']")
        for _ in range(2):  # twice: the state reads notRunning for a moment before the first run starts
            time.sleep(0.3)
            self.wait.until(self.ec.presence_of_element_located((self.by.CSS_SELECTOR, done)))

    def widget(self, key: str, tag: str):
        # Streamlit gives every keyed widget's container the CSS class st-key-<key>.
        self.idle()
        return self.wait.until(self.ec.element_to_be_clickable((self.by.CSS_SELECTOR, f".st-key-{key} {tag}")))

    def shows(self, key: str, text: str) -> None:
        # textContent plus input values: the selectbox holds its choice in an <input>, not in text.
        script = "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent + [...e.querySelectorAll('input')].map(i => i.value).join(' ')).join(' ')"
        self.wait.until(lambda d: text in d.execute_script(script, f".st-key-{key}"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    """A headless Streamlit server on a free localhost port, stopped after the module's tests."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{proc.stdout.read()}")
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not answer /_stcore/health within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def browser():
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER}: apt-get install -y chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1600,1500"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_search_add_rank_and_screenshot(app_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)  # the first page load also loads the ontology
    browser.get(app_url)

    page = _Page(wait)
    widget, shows = page.widget, page.shows

    def add_present(query: str, expected: str) -> None:
        box = widget("dx_query", "input")  # empty: adding a term clears the search box
        box.send_keys(query, Keys.ENTER)
        shows("dx_hit", expected)
        widget("dx_add_present", "button").click()
        shows("dx_present", expected)

    try:
        add_present("seizure", "Seizure · HP:0001250")
        add_present("global developmental delay", "Global developmental delay · HP:0001263")
        widget("dx_rank", "button").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h3"), "Top 20 of"))
        table = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid='stDataFrame']")))
    except Exception:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        print(f"\nfailure screenshot: {tmp_path / 'failure.png'}")
        raise
    assert table.size["height"] > 100
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
    time.sleep(1.0)  # let the grid finish painting its canvas

    shot = tmp_path / "diagnose.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("RFT_SCREENSHOT_COPY")
    if keep:  # e.g. for a README: RFT_SCREENSHOT_COPY=docs/diagnose.png pytest -m browser
        shutil.copy(shot, keep)
    print(f"\nscreenshot saved to {shot}")


SCREENSHOTS = REPO / "runs" / "screenshots"  # gitignored (runs/)


def test_note_rank_far_evidence_export_and_reimport(app_url, browser, tmp_path):
    """A clinician's round: paste a note, keep its terms, rank, open the evidence of a gene far below the
    table, save the case as a phenopacket, clear, and open the saved file again. Screenshots in runs/screenshots/."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    wait = WebDriverWait(browser, 120)
    browser.get(app_url)

    page = _Page(wait)
    idle, widget, shows = page.idle, page.widget, page.shows

    def tab(title: str) -> None:
        idle()
        wait.until(ec.element_to_be_clickable((By.XPATH, f"//*[@role='tab'][contains(., '{title}')]"))).click()

    def shot(name: str) -> None:
        time.sleep(1.0)  # let grids paint their canvas
        browser.save_screenshot(str(SCREENSHOTS / name))

    try:
        tab("From a note")
        widget("dx_note", "textarea").send_keys("Seizures since 8 months and global developmental delay. No hearing loss. Hypotonia.")
        widget("dx_note_find", "button").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".st-key-dx_note_keep_3")))
        shot("1_note_terms.png")
        box = browser.find_element(By.CSS_SELECTOR, ".st-key-dx_note_keep_2 input[type='checkbox']")
        assert not box.is_selected()  # "No hearing loss": a negated finding is offered unticked; tick it to add it as absent
        widget("dx_note_keep_2", "label").click()
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".st-key-dx_note_keep_2 input[type='checkbox']").is_selected())
        widget("dx_note_add", "button").click()
        shows("dx_present", "Global developmental delay")
        shows("dx_excluded", "Hearing impairment")
        widget("dx_rank", "button").click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h3"), "Top 20 of"))
        shot("2_ranked.png")

        box = widget("dx_evidence_gene", "input")
        box.send_keys("150. ", Keys.ENTER)  # the 150th gene: far below the 20-row table
        wait.until(lambda d: "(rank 150)" in d.find_element(By.TAG_NAME, "body").text)
        evidence = browser.find_element(By.CSS_SELECTOR, "[data-testid='stMarkdownContainer'] a[href*='clinvar']")
        assert evidence.get_attribute("href").startswith("https://www.ncbi.nlm.nih.gov/clinvar/")
        browser.execute_script("arguments[0].scrollIntoView()", evidence)
        shot("3_evidence_rank_150.png")

        widget("dx_dl_phenopacket", "button").click()
        wait.until(lambda d: any(p.name.endswith(".phenopacket.json") for p in downloads.iterdir()))
        time.sleep(0.5)  # the browser renames the finished download
        saved = next(p for p in downloads.iterdir() if p.name.endswith(".phenopacket.json"))
        packet = __import__("json").loads(saved.read_text())
        assert packet["metaData"]["createdBy"].startswith("rft-genes") and len(packet["interpretations"]) == 20
        assert {f["type"]["id"] for f in packet["phenotypicFeatures"] if f.get("excluded")} == {"HP:0000365"}

        clear = widget("dx_clear", "button")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", clear)  # not under the sticky header
        clear.click()
        wait.until(lambda d: "Seizure" not in d.execute_script("return document.querySelector('.st-key-dx_present').textContent"))
        browser.execute_script("window.scrollTo(0, 0)")
        tab("Open a phenopacket")
        idle()
        browser.find_element(By.CSS_SELECTOR, ".st-key-dx_import input[type='file']").send_keys(str(saved))
        shows("dx_present", "Global developmental delay")
        shows("dx_excluded", "Hearing impairment")
        browser.execute_script("window.scrollTo(0, 0)")
        shot("4_reimported.png")
    except Exception:
        browser.save_screenshot(str(SCREENSHOTS / "failure.png"))
        print(f"\nfailure screenshot: {SCREENSHOTS / 'failure.png'}")
        raise
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
    print(f"\nscreenshots in {SCREENSHOTS}")


# The evidence panel's numbers, read from the page: the fused score and its two parts, and every contribution of
# the classical ranker's table with its total (st.table renders an HTML table; its last row is the total).
_EVIDENCE_NUMBERS = """
const parts = document.querySelector('.st-key-dx_fusion_parts');
const rows = [...document.querySelectorAll('.st-key-dx_evidence table tbody tr')].map(r => [...r.querySelectorAll('th, td')].map(c => c.textContent.trim()));
const header = [...document.querySelectorAll('.st-key-dx_evidence table thead th')].map(c => c.textContent.trim());
return {parts: parts ? parts.textContent : '', sentence: document.querySelector('.st-key-dx_evidence p').textContent, header, rows};
"""

# Every element of the evidence panel and the page itself within the window, and nothing in it that scrolls sideways.
_OVERFLOW = """
const inner = window.innerWidth;
const bad = [];
for (const key of ['dx_fusion_parts', 'dx_evidence']) {
  const box = document.querySelector('.st-key-' + key);
  if (!box) { bad.push('missing ' + key); continue; }
  for (const e of [box, ...box.querySelectorAll('*')]) {
    const r = e.getBoundingClientRect();
    if (r.width && r.right > inner + 1) bad.push(key + ' ' + e.tagName + ' right=' + Math.round(r.right));
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && getComputedStyle(e).overflowX !== 'visible') bad.push(key + ' ' + e.tagName + ' scrolls ' + e.scrollWidth + '>' + e.clientWidth);
  }
}
if (document.documentElement.scrollWidth > inner + 1) bad.push('page ' + document.documentElement.scrollWidth + '>' + inner);
return bad;
"""


def test_dravet_evidence_adds_up_to_the_score_at_1366_px(app_url, browser):
    """The Dravet example with the recommended ranker, at 1366 x 768: for rank 1 and for SCN1A the panel shows the
    fused score as its two parts and the classical ranker's per-term contributions adding up to its score, all
    within the window (element geometry, no sideways scrolling). Screenshots in runs/screenshots/."""
    import re

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1366, 768)
    wait = WebDriverWait(browser, 240)  # the first ranking waits for the model to load
    browser.get(app_url)
    page = _Page(wait)

    def number(text: str) -> float:
        return float(text.replace("−", "-"))

    def check(rank: int, gene: str | None) -> None:
        wait.until(lambda d: f"(rank {rank})" in d.find_element(By.TAG_NAME, "body").text)
        page.idle()
        panel = browser.execute_script(_EVIDENCE_NUMBERS)
        fused = re.search(r"Fused score ([\d.]+).*?= ([\d.]+).*?= ([\d.]+)\.", panel["parts"])
        assert fused, panel["parts"]
        score, model_part, classical_part = map(float, fused.groups())
        assert abs(model_part + classical_part - score) <= 1.5e-4  # shown to 4 decimals
        table_rank = browser.execute_script(
            "return [...document.querySelectorAll('.st-key-dx_evidence_gene input')].map(i => i.value).join('')")
        assert table_rank.startswith(f"{rank}. ") and (gene is None or table_rank == f"{rank}. {gene}")
        column = panel["header"].index("contribution")
        contributions = [r[column] for r in panel["rows"][:-1] if r[column] != "not counted"]
        total = panel["rows"][-1]
        assert total[1] == "total" and contributions
        assert abs(sum(map(number, contributions)) - number(total[column])) <= 5e-4 * len(contributions)
        assert f"{number(total[column]):+.3f}" in panel["sentence"]  # the score the sentence states is the table's total
        assert all(number(r[column]) <= 0 for r in panel["rows"][:-1] if r[column] != "not counted" and "unexplained" in r[3])
        browser.execute_script("document.querySelector('.st-key-dx_evidence').scrollIntoView()")
        time.sleep(0.5)
        assert browser.execute_script(_OVERFLOW) == []
        browser.save_screenshot(str(SCREENSHOTS / f"evidence_1366_rank{rank}.png"))

    try:
        page.widget("dx_example", "input").send_keys("example-dravet", Keys.ENTER)
        page.shows("dx_present", "Focal hemiclonic seizure")
        page.widget("dx_rank", "button").click()
        wait.until(lambda d: "Top 20 of" in d.find_element(By.TAG_NAME, "body").text)
        # The evidence panel is drawn after the heading: wait for the known gene's line, not one look.
        found = wait.until(lambda d: re.search(r"\*\*SCN1A\*\* \(rank (\d+)\)|SCN1A \(rank (\d+)\)", d.find_element(By.TAG_NAME, "body").text))
        scn1a = int(found.group(1) or found.group(2))
        check(scn1a, "SCN1A")  # the known gene's evidence opens first
        box = page.widget("dx_evidence_gene", "input")
        box.send_keys("1. ", Keys.ENTER)
        check(1, None)
    except Exception:
        browser.save_screenshot(str(SCREENSHOTS / "failure_1366.png"))
        print(f"\nfailure screenshot: {SCREENSHOTS / 'failure_1366.png'}")
        raise
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
