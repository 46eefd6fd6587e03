"""Slide images of a map: size, region (a bounding box or a named preset), title, subtitle.

`SlideOptions` is what ``redeploy run --png --size 1920x1080 --bbox africa --title ...``
asks for; `redeploy.render.png.save_png` applies it to a saved page (`RD.slide`): the
interactive controls are hidden, the panel keeps its story, the view fits the region clear
of the title, panel and legend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

#: The default size of slide images (px).
SLIDE_SIZE = (1600, 900)
#: Smallest and largest side of a slide image (px).
SIZE_LIMITS = (320, 7680)

#: Named regions: (west, south, east, north) in degrees.
REGIONS: Mapping[str, tuple[float, float, float, float]] = {
    "world": (-170.0, -58.0, 178.0, 72.0),
    "indo-pacific": (60.0, -40.0, 160.0, 42.0),
    "africa": (-26.0, -37.0, 58.0, 38.0),
    "americas": (-125.0, -56.0, -30.0, 42.0),
}


@dataclass(frozen=True)
class SlideOptions:
    """
    What a slide image shows.

    Attributes
    ----------
    size
        Width and height in pixels.
    bbox
        (west, south, east, north) in degrees, or None for the map's own first view.
    title, subtitle
        Replace the page's title and subtitle on the image (None keeps them).
    """

    size: tuple[int, int] = SLIDE_SIZE
    bbox: tuple[float, float, float, float] | None = None
    title: str | None = None
    subtitle: str | None = None

    def script_options(self) -> dict[str, object]:
        """The options as `RD.slide` in the page takes them."""
        out: dict[str, object] = {}
        if self.bbox is not None:
            out["bbox"] = list(self.bbox)
        if self.title:
            out["title"] = self.title
        if self.subtitle:
            out["subtitle"] = self.subtitle
        return out


def parse_size(text: str) -> tuple[int, int]:
    """
    Parse ``WxH`` (``1920x1080``) into pixels.

    Raises
    ------
    ValueError
        When the text is not two whole numbers joined by ``x`` within `SIZE_LIMITS`.
    """
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text or "")
    lo, hi = SIZE_LIMITS
    if not match:
        msg = f"size {text!r} is not WIDTHxHEIGHT in pixels, e.g. 1920x1080 or 1280x720"
        raise ValueError(msg)
    w, h = int(match[1]), int(match[2])
    if not (lo <= w <= hi and lo <= h <= hi):
        msg = f"size {text!r}: each side must be from {lo} to {hi} pixels"
        raise ValueError(msg)
    return w, h


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """
    Parse a region: a name of `REGIONS` (``africa``, ``indo-pacific``, ``americas``,
    ``world``) or ``WEST,SOUTH,EAST,NORTH`` in degrees.

    Raises
    ------
    ValueError
        When the text is neither, or the box is empty or off the globe.
    """
    key = (text or "").strip().lower().replace("_", "-").replace(" ", "-")
    if key in REGIONS:
        return REGIONS[key]
    parts = [p.strip() for p in (text or "").split(",")]
    names = ", ".join(REGIONS)
    try:
        if len(parts) != 4:
            raise ValueError
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        msg = f"region {text!r} is neither one of {names} nor WEST,SOUTH,EAST,NORTH in degrees"
        raise ValueError(msg) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        msg = f"region {text!r}: the bounds must be finite numbers"
        raise ValueError(msg)
    if not (-180 <= w < e <= 180 and -85 <= s < n <= 85):
        msg = (
            f"region {text!r}: need -180 <= WEST < EAST <= 180 and -85 <= SOUTH < NORTH <= 85 "
            "(degrees)"
        )
        raise ValueError(msg)
    return w, s, e, n
