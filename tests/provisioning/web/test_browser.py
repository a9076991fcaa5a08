"""The back office in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
through Selenium): the owner logs in on the login page, sees the monitoring page, and a sale
stored by the collector's ingest while the page is open appears in the live feed within 2 s."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from provisioning.collector.db import CentralDB

from .conftest import PASSWORD, till

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver: apt-get install chromium "
    "chromium-driver (scripts/setup.sh installs them)",
)


@pytest.fixture
def server(central_db: CentralDB) -> Iterator[str]:
    from provisioning.web.server import make_server

    httpd = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=390,844", "--lang=en-US"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def test_owner_logs_in_and_a_new_sale_appears_in_the_live_feed_within_2_s(
    server: str, browser: Any, owner: Any, central_db: CentralDB
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    t = till(central_db, "shopA", "t1")
    t.sale("c1", [("1", "Cola", 1000, 350)])
    t.status(version="9.9.9")
    browser.get(server + "/login/")
    browser.find_element(By.ID, "id_username").send_keys("boss")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/monitor/"))
    row = browser.find_element(By.ID, "term-shopA-t1")
    # At phone width the version and last-seen columns fold away; the row is still there.
    assert "9.9.9" in row.get_attribute("textContent") and "9.9.9" not in row.text
    assert "online" in row.text
    feed = browser.find_element(By.ID, "feed")
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "feed-state").text.strip() != ""
    )
    t.sale("c1", [("2", "<script>window.hacked=1</script>", 2000, 425)], "qr")
    stored = time.monotonic()
    WebDriverWait(browser, 2, poll_frequency=0.05).until(
        lambda d: "<script>window.hacked=1</script>" in feed.text
    )
    assert time.monotonic() - stored <= 2.0
    first = feed.find_elements(By.TAG_NAME, "tr")[0].text
    assert "8.50" in first and "shopA/t1" in first and "Mobile pay" in first
    assert browser.execute_script("return window.hacked === undefined")


SIZES = ((390, 844), (1280, 800))
PAGES = (("monitor", "/monitor/"), ("staff", "/stores/demo/staff/"),
         ("add_clerk", "/stores/demo/staff/add/"), ("audit", "/audit/"))


def test_every_page_fits_a_phone_in_both_languages(
    server: str,
    browser: Any,
    owner: Any,
    central_db: CentralDB,
    screenshot_dir: Any,
    tmp_path: Any,
) -> None:
    """No page is wider than a phone's screen (wide tables scroll inside their card), in
    Chinese and English; the pictures go to docs/screenshots/backoffice/ with --screenshots."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from provisioning.web import central, demo

    demo.fill(central_db)
    central.get().homes["demo"] = demo.make_home(tmp_path / "owner")
    browser.get(server + "/login/")
    for lang, folder in (("zh-hans", "zh_CN"), ("en", "en")):
        out = screenshot_dir / "backoffice" / folder
        out.mkdir(parents=True, exist_ok=True)
        browser.add_cookie({"name": "django_language", "value": lang, "path": "/"})
        browser.set_window_size(*SIZES[0])
        browser.get(server + "/login/")
        if "/login/" in browser.current_url and browser.find_elements(By.ID, "id_username"):
            browser.save_screenshot(str(out / "login-390x844.png"))
            browser.find_element(By.ID, "id_username").send_keys("boss")
            browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
            browser.find_element(By.CSS_SELECTOR, "button.primary").click()
            WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/monitor/"))
        for width, height in SIZES:
            browser.set_window_size(width, height)
            for name, url in PAGES:
                browser.get(server + url)
                assert browser.find_element(By.TAG_NAME, "h1").text
                overflow = browser.execute_script(
                    "return document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, f"{url} is {overflow}px wider than {width}px ({lang})"
                browser.save_screenshot(str(out / f"{name}-{width}x{height}.png"))
