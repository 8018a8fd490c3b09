"""The web page in headless Chromium: upload the sample, see the summary, then the picture."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.gateway.helpers import SAMPLE_CHAT, GatewayProcess

pytestmark = pytest.mark.triton

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Debian's chromium through its chromedriver (selenium-manager never runs)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium and chromium-driver are not installed (make test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield driver
    driver.quit()


def text_of(driver: webdriver.Chrome, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_uploading_the_sample_shows_the_summary_then_the_picture(browser, gateway: GatewayProcess):
    browser.get(gateway.url + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ko"

    browser.find_element(By.ID, "chat-file").send_keys(str(SAMPLE_CHAT))
    browser.find_element(By.ID, "submit").click()
    wait = WebDriverWait(browser, 60)
    wait.until(lambda driver: text_of(driver, "summary-text"))
    wait.until(lambda driver: text_of(driver, "status") == "완료!")

    assert "참여자" in text_of(browser, "summary-meta")
    source = browser.find_element(By.ID, "result-image").get_attribute("src")
    assert source.startswith("data:image/png;base64,")
    assert base64.b64decode(source.partition(",")[2]).startswith(b"\x89PNG\r\n\x1a\n")
    assert browser.find_element(By.ID, "download").get_attribute("href") == source
    summary_at, image_at = (
        float(browser.find_element(By.ID, section).get_attribute("data-arrived-at"))
        for section in ("summary-section", "image-section")
    )
    assert summary_at < image_at
    assert browser.find_element(By.ID, "result-image").get_property("naturalWidth") > 0


def test_a_file_that_is_not_an_export_shows_the_korean_error(
    browser, gateway: GatewayProcess, tmp_path: Path
):
    notes = tmp_path / "notes.txt"
    notes.write_text("장보기 목록\n우유\n계란\n", encoding="utf-8")
    browser.get(gateway.url + "/")

    browser.find_element(By.ID, "chat-file").send_keys(str(notes))
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 30).until(lambda driver: driver.find_element(By.ID, "error").text)

    assert "카카오톡" in text_of(browser, "error")
    assert "요청 ID" in text_of(browser, "error")
    assert not browser.find_element(By.ID, "summary-section").is_displayed()
