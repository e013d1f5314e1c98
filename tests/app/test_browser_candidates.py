"""The Diagnose page's VCF path in a real browser: open the candidate genes, upload a VEP-annotated VCF, see the
filter counts, rank within its genes. Screenshot in runs/screenshots/5_vcf_candidates.png.

    pytest -m browser tests/app/test_browser_candidates.py -s
"""

from __future__ import annotations

import gzip
import time

import pytest
from test_browser import REPO, _Page, app_url, browser  # noqa: F401  (fixtures: the server and the driver)
from test_diagnose_candidates import VCF

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_vcf_candidates_filter_counts_and_ranking(app_url, browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    shots = REPO / "runs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    vcf = tmp_path / "patient.vep.vcf.gz"
    vcf.write_bytes(gzip.compress(VCF.encode()))
    wait = WebDriverWait(browser, 120)
    browser.get(app_url)
    page = _Page(wait)
    idle, widget, shows = page.idle, page.widget, page.shows
    body = lambda d: d.find_element(By.TAG_NAME, "body").text
    try:
        widget("dx_example", "input").send_keys("example-marfan", Keys.ENTER)
        shows("dx_present", "Ectopia lentis")
        widget("dx_ranker", "input").send_keys("likelihood", Keys.ENTER)
        shows("dx_ranker", "likelihood")
        idle()
        wait.until(ec.element_to_be_clickable((By.XPATH, "//summary[contains(., 'Candidate genes')]"))).click()
        idle()
        wait.until(ec.element_to_be_clickable((By.XPATH, "//*[contains(@class, 'st-key-dx_cand_source')]//label[contains(., 'Annotated VCF')]"))).click()
        idle()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".st-key-dx_cand_vcf input[type='file']"))).send_keys(str(vcf))
        wait.until(lambda d: "3 candidate genes: 2 with phenotype annotations" in body(d))
        idle()
        rank = widget("dx_rank", "button")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rank)
        rank.click()
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h3"), "Top 3 of 3 genes"))
        wait.until(lambda d: "1 candidates have no phenotype annotation in HPO" in body(d) and "OR4F5" in body(d))
        time.sleep(1.0)  # let the grids paint
        browser.save_screenshot(str(shots / "5_vcf_candidates.png"))
    except Exception:
        browser.save_screenshot(str(shots / "failure_vcf.png"))
        print(f"\nfailure screenshot: {shots / 'failure_vcf.png'}")
        raise
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stException']")
    assert "Reading the VCF" not in body(browser)
