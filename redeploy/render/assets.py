"""Offline assets: Leaflet's JS and CSS read from the installed django-js-lib-leaflet package.

The maps inline them so a saved file opens with no network. The CSS's image references
(layer-control icon, default marker) become ``data:`` URIs and the source-map comment is
dropped, so the browser requests nothing at all.
"""

from __future__ import annotations

import base64
import importlib.resources
import re
from functools import lru_cache
from importlib.resources.abc import Traversable

from redeploy.errors import RedeployError

_PACKAGE = "js_lib_leaflet"
_FOLDER = "static/js_lib_leaflet"


def _resource(name: str) -> Traversable:
    try:
        root = importlib.resources.files(_PACKAGE)
    except ModuleNotFoundError as err:
        msg = (
            "the Leaflet files for offline maps are missing: install the "
            "'django-js-lib-leaflet' package (pip install django-js-lib-leaflet)"
        )
        raise RedeployError(msg) from err
    return root.joinpath(_FOLDER, name)


@lru_cache(maxsize=1)
def leaflet_js() -> str:
    """
    Return Leaflet's minified JavaScript, ready to inline in a ``<script>`` element.

    Returns
    -------
    str
        ``leaflet.js`` without its ``sourceMappingURL`` comment.
    """
    text = _resource("leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", text)
    # Nothing in the inlined script may close the <script> element early.
    if "</script" in text.lower():
        msg = "leaflet.js contains '</script' and cannot be inlined"
        raise RedeployError(msg)
    return text


def _data_uri(name: str) -> str:
    data = _resource(f"images/{name}").read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@lru_cache(maxsize=1)
def leaflet_css() -> str:
    """
    Return Leaflet's CSS with its images embedded as ``data:`` URIs.

    Returns
    -------
    str
        ``leaflet.css`` in which every ``url(images/NAME.png)`` is a data URI.
    """
    text = _resource("leaflet.css").read_text(encoding="utf-8")
    text = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f"url({_data_uri(m[1])})", text)
    return text


@lru_cache(maxsize=1)
def leaflet_version() -> str:
    """Return the version of the inlined Leaflet (from the script's banner)."""
    m = re.search(r"Leaflet (\d+\.\d+\.\d+)", leaflet_js()[:400])
    return m[1] if m else "unknown"
