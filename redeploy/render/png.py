"""Static images of saved maps, taken with headless Chromium through selenium.

The browser runs with the network shut (no proxy reachable, every host name unresolvable),
opens the map as a ``file://`` URL and waits for the page's ready mark before the screenshot.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redeploy.errors import RedeployError
from redeploy.io.atomic import write_atomic
from redeploy.render.slide import SlideOptions

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

#: Where Debian's packages put the browser and its driver; the environment can override.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMEDRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
#: How to get a working browser, for every message about a missing or broken one.
INSTALL_HINT = (
    "install Debian's 'chromium' and 'chromium-driver' (apt-get install chromium "
    "chromium-driver), or set REDEPLOY_CHROMIUM and REDEPLOY_CHROMEDRIVER to a working "
    "Chromium and its matching chromedriver"
)


class BrowserError(RedeployError):
    """Headless Chromium (or its driver, or selenium) is missing or failed."""


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "msg", None) or err).strip()
    line = text.splitlines()[0] if text else type(err).__name__
    return line.split("; For documentation on this error")[0]


def _check_override(variable: str) -> None:
    """Refuse an environment override that names no executable file."""
    value = os.environ.get(variable)
    if value and not (Path(value).is_file() and os.access(value, os.X_OK)):
        msg = f"{variable}={value!r} is not an executable file; {INSTALL_HINT}"
        raise BrowserError(msg)


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
    BrowserError
        When Chromium, chromedriver or selenium is missing, or the browser does not start.
    """
    _check_override("REDEPLOY_CHROMIUM")
    _check_override("REDEPLOY_CHROMEDRIVER")
    found = find_chromium()
    if found is None:
        msg = f"headless Chromium and chromedriver are needed for PNG export: {INSTALL_HINT}"
        raise BrowserError(msg)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        msg = "PNG export needs selenium: pip install selenium"
        raise BrowserError(msg) from err
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
    # its own session, so that a browser or driver that hangs can be stopped with its children
    service = Service(executable_path=driver_path, popen_kw={"start_new_session": True})
    try:
        driver = _start(lambda: webdriver.Chrome(options=options, service=service), service)
    except Exception as err:  # selenium's WebDriverException family, OSError, TimeoutError
        shutil.rmtree(profile, ignore_errors=True)
        msg = (
            f"headless Chromium did not start (browser {browser}, driver {driver_path}): "
            f"{_first_line(err)}; {INSTALL_HINT}"
        )
        raise BrowserError(msg) from None
    try:
        driver.set_page_load_timeout(60)
        _fit_viewport(driver, width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


#: Seconds Chromium and chromedriver get to start (they take one or two).
START_SECONDS = 20.0


def _start(start: Callable[[], WebDriver], service: Any) -> WebDriver:
    """Return ``start()``, or stop the driver's process group and raise TimeoutError when it
    takes longer than `START_SECONDS` (a browser or driver that hangs instead of starting)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["driver"] = start()
        except Exception as err:  # re-raised in the caller's thread
            box["error"] = err

    thread = threading.Thread(target=target, name="redeploy-chromium", daemon=True)
    thread.start()
    thread.join(START_SECONDS)
    if thread.is_alive():
        process = getattr(service, "process", None)
        if process is not None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
        thread.join(5)
        msg = f"no answer within {START_SECONDS:g} s"
        raise TimeoutError(msg)
    if "error" in box:
        raise box["error"]
    driver: WebDriver = box["driver"]
    return driver


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
        # imported once the driver started: without selenium, chromium_driver says so
        from selenium.common.exceptions import WebDriverException

        try:
            open_map(driver, html_path)
            prepare_slide(driver, options)
            data = driver.get_screenshot_as_png()
        except WebDriverException as err:
            msg = f"headless Chromium failed while drawing {html_path}: {_first_line(err)}"
            raise BrowserError(msg) from None
    write_atomic(out, data)
    return out
