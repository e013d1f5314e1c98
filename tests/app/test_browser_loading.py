"""The app's first view in a real browser, on a server of its own (cold: nothing loaded yet).

    pytest -m browser tests/app/test_browser_loading.py

Skipped with the reason when Chromium, its driver or selenium is absent (tests/app/test_browser.py).
"""

from __future__ import annotations

import time

import pytest

from tests.app.test_browser import _Page, app_url, browser  # noqa: F401  (fixtures: a fresh server for this module)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOADING = "Loading the model in the background"


def _text(driver) -> str:
    return driver.execute_script("return document.querySelector(\"[data-testid='stMain']\")?.textContent || ''")


def test_the_loading_line_goes_away_by_itself_once_the_model_is_ready(app_url, browser):  # noqa: F811
    """Open Diagnose on a cold server and touch nothing: the "loading" line must clear when the model is ready.

    Before the fix it stayed until the user's next action (bug 9 of issue 26).
    """
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(app_url)
    WebDriverWait(browser, 120).until(lambda d: "Rank genes" in _text(d))  # the page is drawn
    seen = LOADING in _text(browser)
    if not seen:
        pytest.fail("the model was ready before the first page was drawn, so this cold-server test cannot see the loading line")
    t0 = time.monotonic()
    WebDriverWait(browser, 150, poll_frequency=0.5).until(lambda d: LOADING not in _text(d))
    assert "Rank genes" in _text(browser)
    print(f"loading line cleared {time.monotonic() - t0:.1f} s after the first draw, with no user action")
