"""A real browser for the web app's tests: Debian's headless Chromium, driven by
Selenium through Debian's chromedriver.

Nothing is downloaded: the driver's path is given (so Selenium Manager is never
asked) and ``SE_OFFLINE`` forbids it anyway. Each browser gets a fresh profile.

    with Browser(tmp_path) as browser:
        browser.open(url)
        browser.press("Book this time")
        browser.shoot("confirm")            # desktop and 390 px phone screenshots

Screenshots go to the test's folder; with ``$CADENCE_SCREENSHOTS`` set (a
folder, e.g. docs/screenshots) they are copied there too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Self

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1200,900",
)
DESKTOP = (1200, 900)
PHONE = (390, 844)


def need_browser() -> None:
    """Skip the test when Debian's Chromium or its driver is missing."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("Chromium not found: install Debian's chromium and chromium-driver packages")


class Browser:
    def __init__(self, folder: Path) -> None:
        need_browser()
        os.environ["SE_OFFLINE"] = "true"
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.folder = folder
        self.profile = Path(tempfile.mkdtemp(prefix="cadence-chromium-"))
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        self.driver.set_page_load_timeout(30)
        self.phone = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- looking --------------------------------------------------------------

    def open(self, url: str) -> None:
        self.driver.get(url)

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    def text(self) -> str:
        return str(self.driver.find_element("tag name", "body").text)

    def title(self) -> str:
        return str(self.driver.find_element("tag name", "h1").text)

    def find(self, css: str) -> Any:
        return self.driver.find_element("css selector", css)

    def all(self, css: str) -> list[Any]:
        return list(self.driver.find_elements("css selector", css))

    def run(self, script: str) -> Any:
        return self.driver.execute_script(script)

    def run_and_wait(self, script: str) -> None:
        """Run a script that leads to another page (as a scanner's would); wait for it."""

        old = self.find("html")
        self.run(script)
        self._left(old)

    # -- acting ---------------------------------------------------------------

    def press(self, label: str, within: str = "body") -> None:
        """Click the button whose text is ``label`` (a person's click); return once the
        page it leads to has loaded."""
        for button in self.all(f"{within} button"):
            if button.text.strip() == label:
                self.click(button)
                return
        raise AssertionError(f"no button {label!r} on {self.url}:\n{self.text()}")

    def click(self, element: Any) -> None:
        """Click ``element`` and wait for the page it leads to."""
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.find("html")
        element.click()
        self._left(old)
        WebDriverWait(self.driver, 30).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )

    def _left(self, old: Any) -> None:
        """Wait until ``old`` (the root of the page that was) belongs to no page."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def gone(_: Any) -> bool:
            try:
                old.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:
                # Asked while the page is being replaced, Chromium may answer with an
                # inspector error instead of "stale": the node is gone all the same.
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        WebDriverWait(self.driver, 30).until(gone)

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def choose(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def clear_cookies(self) -> None:
        self.driver.delete_all_cookies()

    # -- sizes and pictures ---------------------------------------------------

    def size(self, width: int, height: int, *, mobile: bool) -> None:
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def scrolls_sideways(self) -> bool:
        """Whether the page is wider than the window (a phone would scroll sideways)."""
        return bool(self.run("return document.documentElement.scrollWidth > window.innerWidth + 1"))

    def shoot(self, name: str) -> dict[str, bool]:
        """Save full-page screenshots of the page as it is, at desktop width and at a
        390 px phone's; return for each whether it scrolled sideways."""
        sideways = {}
        for kind, (width, height), mobile in (
            ("desktop", DESKTOP, False),
            ("phone", PHONE, True),
        ):
            self.size(width, height, mobile=mobile)
            sideways[kind] = self.scrolls_sideways()
            full = int(self.run("return document.documentElement.scrollHeight"))
            self.size(width, min(max(full, height), 4000), mobile=mobile)
            path = self.folder / f"{name}-{kind}.png"
            self.driver.save_screenshot(str(path))
            target = os.environ.get("CADENCE_SCREENSHOTS")
            if target:
                Path(target).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, Path(target) / path.name)
        self.size(*DESKTOP, mobile=False)
        return sideways
