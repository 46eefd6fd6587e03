"""Offline assets: Leaflet's JS and CSS (from the installed django-js-lib-leaflet package) and
the page's own CSS and runtime script (``redeploy/render/static/``).

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


def _page_file(name: str) -> str:
    text = (
        importlib.resources.files("redeploy.render")
        .joinpath("static", name)
        .read_text(encoding="utf-8")
    )
    # Nothing in the inlined script or style may close its element early.
    if "</script" in text.lower() or "</style" in text.lower():
        msg = f"redeploy/render/static/{name} contains a closing tag and cannot be inlined"
        raise RedeployError(msg)
    return text


@lru_cache(maxsize=1)
def page_css() -> str:
    """Return the page's own CSS (``static/page.css``; ``{sea}`` and ``{home}`` are colours)."""
    return _page_file("page.css")


@lru_cache(maxsize=1)
def page_js() -> str:
    """
    Return the page's runtime script (``static/canvas.js`` then ``static/page.js``).

    It builds popups from plain properties with textContent (never innerHTML), moves the
    escaped title/panel/legend blocks into Leaflet controls, places the labels, switches the
    zone colours, lays the page out for slides and print, and marks the page ready for
    screenshots and tests. ``canvas.js`` draws the vector layers of a page with a large layer
    on one canvas.
    """
    return _page_file("canvas.js") + "\n" + _page_file("page.js")
