"""Static images of saved maps, taken with headless Chromium through selenium.

The browser runs with the network shut (no proxy reachable, every host name unresolvable),
opens the map as a ``file://`` URL and waits for the page's ready mark before the screenshot.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from redeploy.errors import RedeployError
from redeploy.io.atomic import write_atomic
from redeploy.render.slide import SlideOptions

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

#: Where Debian's packages put the browser and its driver; the environment can override.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def find_chromium() -> tuple[str, str] | None:
    """
    Return the paths of Chromium and chromedriver, or None when either is missing.

    ``REDEPLOY_CHROMIUM`` and ``REDEPLOY_CHROMEDRIVER`` override the search.
    """
    browser = (
        os.environ.get("REDEPLOY_CHROMIUM")
        or next((p for p in CHROMIUM_CANDIDATES if Path(p).is_file()), None)
        or shutil.which("chromium")
    )
    driver = (
        os.environ.get("REDEPLOY_CHROMEDRIVER")
        or next((p for p in CHROMEDRIVER_CANDIDATES if Path(p).is_file()), None)
        or shutil.which("chromedriver")
    )
    if not browser or not driver:
        return None
    return browser, driver


@contextmanager
def chromium_driver(
    *, width: int = 1600, height: int = 900, logging: bool = False
) -> Iterator[WebDriver]:
    """
    Start headless Chromium with no network and a throw-away profile; quit it on exit.

    Parameters
    ----------
    width, height
        Size of the page's viewport in CSS pixels.
    logging
        Collect the browser console (``driver.get_log("browser")``).

    Yields
    ------
    selenium.webdriver.Chrome
        The driver.

    Raises
    ------
    RedeployError
        When Chromium, chromedriver or selenium is missing.
    """
    found = find_chromium()
    if found is None:
        msg = (
            "headless Chromium is needed for PNG export: install Debian's 'chromium' and "
            "'chromium-driver' (apt-get install chromium chromium-driver)"
        )
        raise RedeployError(msg)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        msg = "PNG export needs selenium: pip install selenium"
        raise RedeployError(msg) from err
    browser, driver_path = found
    profile = tempfile.mkdtemp(prefix="redeploy-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-extensions",
        "--disable-sync",
        "--disable-default-apps",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--allow-file-access-from-files",
        # No network: every host name fails to resolve and any proxy use goes nowhere.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if logging:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        driver.set_page_load_timeout(60)
        _fit_viewport(driver, width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _fit_viewport(driver: WebDriver, width: int, height: int) -> None:
    # --window-size sets the outer window; make the viewport itself width x height.
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    if inner != [width, height]:
        outer = driver.get_window_size()
        driver.set_window_size(
            outer["width"] + width - inner[0], outer["height"] + height - inner[1]
        )


def wait_ready(driver: WebDriver, *, timeout: float = 30.0) -> None:
    """Wait until the map page has drawn its layers (its ``data-rd-ready`` mark)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script(
            "return document.documentElement.getAttribute('data-rd-ready') === '1';"
        ):
            return
        time.sleep(0.05)
    msg = f"the map did not become ready within {timeout:g} s"
    raise RedeployError(msg)


def open_map(driver: WebDriver, html_path: str | os.PathLike[str]) -> None:
    """Open a saved map in `driver` and wait until it is ready."""
    driver.get(Path(html_path).resolve().as_uri())
    wait_ready(driver)


def wait_attribute(
    driver: WebDriver, name: str, value: str = "1", *, timeout: float = 30.0
) -> None:
    """Wait until the page's root element has attribute `name` set to `value`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script(
            "return document.documentElement.getAttribute(arguments[0]) === arguments[1];",
            name,
            value,
        ):
            return
        time.sleep(0.05)
    msg = f"the map did not set {name}={value!r} within {timeout:g} s"
    raise RedeployError(msg)


def prepare_slide(driver: WebDriver, options: SlideOptions) -> None:
    """Lay an opened map out as a slide (`RD.slide`): controls hidden, the view fitted."""
    driver.execute_script("RD.slide(arguments[0]);", options.script_options())
    wait_attribute(driver, "data-rd-slide")


def save_png(
    html_path: str | os.PathLike[str],
    png_path: str | os.PathLike[str] | None = None,
    *,
    width: int | None = None,
    height: int | None = None,
    options: SlideOptions | None = None,
) -> Path:
    """
    Render a saved map to a PNG slide with headless Chromium.

    The slide hides the interactive controls (layer list, zoom buttons), keeps the title,
    the panel's story, the labels and the legend with its key, and fits the view (or the
    region of `options`) clear of them.

    Parameters
    ----------
    html_path
        A map written by `save_map`.
    png_path
        Output file; defaults to `html_path` with the ``.png`` suffix.
    width, height
        Image size in pixels; they override `options.size` (1600x900 by default).
    options
        The slide's size, region, title and subtitle.

    Returns
    -------
    pathlib.Path
        The PNG written (atomically).
    """
    options = options or SlideOptions()
    w = width or options.size[0]
    h = height or options.size[1]
    html_path = Path(html_path)
    out = Path(png_path) if png_path is not None else html_path.with_suffix(".png")
    with chromium_driver(width=w, height=h) as driver:
        open_map(driver, html_path)
        prepare_slide(driver, options)
        data = driver.get_screenshot_as_png()
    write_atomic(out, data)
    return out
