"""`lb6 serve` in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): the page loads, the explorer renders, a key press steps it, and a student's browser
follows the lead's.

Chromium runs with 3D APIs off so that the page's terminal falls back to its DOM renderer,
whose rows are text the test can read (with WebGL they would be pixels only).
Skipped where Chromium is not installed, except under CI=true, where `.ci/run` installs it and
a skip would hide a broken classroom.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.classroom.serving import lb6_serve, status, wait_for

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-3d-apis", "--window-size=1400,900")

missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
try:
    import selenium  # noqa: F401
except ImportError:
    missing.append("selenium")
if missing and os.environ.get("CI") != "true":
    pytest.skip(f"no browser to drive here ({', '.join(missing)} missing)", allow_module_level=True)


@pytest.fixture
def browser():
    """A function that opens a fresh headless Chromium; all are closed after the test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opened = []

    def open_browser():
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument("--user-data-dir=" + tempfile.mkdtemp(prefix="lb6-chromium-"))
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        opened.append(driver)
        return driver
    yield open_browser
    for driver in opened:
        driver.quit()


def screen_text(driver) -> str:
    return driver.execute_script(
        "const rows = document.querySelector('.xterm-rows'); return rows ? rows.innerText : '';")


def press(driver, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    driver.find_element(By.CSS_SELECTOR, "#terminal").click()
    ActionChains(driver).send_keys(key).perform()


def keep_screenshot(driver, name: str) -> None:
    """Saved for a person to look at when LB6_SCREENSHOTS names a folder."""
    folder = os.environ.get("LB6_SCREENSHOTS")
    if folder:
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_the_explorer_in_a_browser_steps_and_a_student_follows(browser):
    with lb6_serve("lesson_1_first_dual_stack_request", "--lead") as links:
        lead = browser()
        lead.get(links["lead"])
        text = wait_for(lambda: "Leading the class" in screen_text(lead) and screen_text(lead),
                        what="the lead's explorer on the page")
        assert "Topology" in text and "step 0/0" in text

        student = browser()
        student.get(links["join"])
        wait_for(lambda: "Following the instructor" in screen_text(student),
                 what="the student's explorer on the page")

        press(lead, "n")
        wait_for(lambda: "step 1/1" in screen_text(lead), what="the lead's step 1")
        start = time.monotonic()
        wait_for(lambda: "step 1/1" in screen_text(student), timeout=5,
                 what="the student's page at the lead's step")
        assert time.monotonic() - start < 2.0  # poll 0.25 s + the page's own repaint
        keep_screenshot(lead, "class-lead")
        keep_screenshot(student, "class-student")

        press(student, "n")  # a following student cannot step
        time.sleep(1.0)
        assert "step 1/1" in screen_text(student)
        assert {s["step"] for s in status(links)["sessions"]} == {1}

        press(student, "e")  # break away, step alone
        wait_for(lambda: "Exploring on your own" in screen_text(student), what="explore mode")
        press(student, "n")  # on its own, the lesson asks before the step that answers
        wait_for(lambda: "Question 1 of 3" in screen_text(student), what="the student's question")
        press(student, "\ue00c")  # Escape: skip it, and the step is taken
        wait_for(lambda: "step 2/2" in screen_text(student), what="the student's own step")
        assert "step 1/1" in screen_text(lead)
        keep_screenshot(student, "class-student-exploring")
        press(student, "g")
        wait_for(lambda: "Following the instructor · step 1" in screen_text(student),
                 what="rejoining at the lead's step")


def test_a_bad_token_page_is_refused_in_the_browser(browser):
    with lb6_serve("dual_stack_web_farm", "--lead") as links:
        page = browser()
        page.get(links["base"] + "/not-a-token")
        body = page.find_element("tag name", "body").text
        assert "not valid for this class" in body
        assert "Topology" not in body
