"""Shared fixtures: paths to the tiny test layers and a CLI runner."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

DATA = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent


def load_data_module(relative: str, name: str) -> ModuleType:
    """Import a fixture-building script from ``tests/data/`` (not a package) as `name`."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DATA / relative)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_QUOTED = re.compile(r"JSON\.parse\('((?:[^'\\]|\\.)*)'\)")


def page_calls(html: str, call: str) -> list[tuple[Any, str]]:
    """
    The data a page's script passes to `call` (``"RD.layer("``) as ``JSON.parse('...')``
    (`redeploy.render.geojson.script_data`), decoded, each with the rest of its line.
    """
    out = []
    for m in re.finditer(re.escape(call) + r"(?:map_\w+, )?", html):
        found = _QUOTED.match(html, m.end())
        if found:
            text = re.sub(r"\\(.)", r"\1", found[1])
            out.append((json.loads(text), html[found.end() : html.index("\n", found.end())]))
    return out


def require_tool(path_or_name: str) -> str:
    """Return the tool's path; skip when it is absent, but fail under CI=true."""
    found = shutil.which(path_or_name) or (path_or_name if Path(path_or_name).exists() else None)
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{path_or_name} is required under CI=true but is not installed")
    pytest.skip(f"{path_or_name} not installed")
    raise AssertionError  # unreachable


def require_browser() -> None:
    """Skip when selenium, headless Chromium or chromedriver is missing; fail under CI=true."""
    try:
        import selenium  # noqa: F401

        from redeploy.render.png import find_chromium
    except ImportError:
        found = None
    else:
        found = find_chromium()
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("headless Chromium, chromedriver or selenium missing under CI=true")
        pytest.skip("headless Chromium, chromedriver or selenium not installed")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def layers_dir() -> Path:
    """Folder of the tiny, valid test layers (one file per kind)."""
    return DATA / "layers"


@pytest.fixture(scope="session")
def broken_dir() -> Path:
    """Folder of deliberately broken layer files, one per validation rule."""
    return DATA / "broken"


@pytest.fixture(scope="session")
def shipped_dir() -> Path:
    return ROOT / "geodata"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
