"""The map palette and symbol-size rules, shared by the HTML maps and the QGIS styles.

Everything here is plain data and pure functions so that `redeploy.export` (QGIS styles in
the GeoPackage) can mirror the HTML maps exactly:

- `ASSET_COLORS`: one colour per asset class (flows are drawn in it).
- `RISK_CHANNEL_COLORS`: one colour per risk channel; `HOME_COLOR` the home pool's marker.
- `LAYER_COLORS`: fill colour of each layer kind's markers or polygons.
- `allocation_bins` / `allocation_color` / `ALLOCATION_RAMP`: the sequential classes that
  colour peripheral zones by the capacity allocated to them.
- `change_bins` / `change_color` / `CHANGE_RAMP`: the diverging classes of comparison maps.
- `marker_radius`: marker radius in pixels from a feature's key figure (the
  `LayerSchema.key_figure` column); `flow_weight`: line width in pixels from a flow amount.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

#: Colour of each asset class (Okabe-Ito based, readable for common colour-vision deficits).
ASSET_COLORS: Mapping[str, str] = {
    "naval": "#1f4e9c",
    "air": "#3fa7dd",
    "ground": "#b5472b",
    "isr": "#7b4fa0",
    "engagement": "#d4a017",
}
#: Colour of an asset class missing from `ASSET_COLORS` (user-configured classes).
OTHER_ASSET_COLOR = "#555555"

#: Fill colour of each layer kind's symbols.
LAYER_COLORS: Mapping[str, str] = {
    "fronts": "#9b1c31",
    "chokepoints": "#16324f",
    "mineral_zones": "#a0662f",
    "supply_nodes": "#6b7785",
    "peripheral_zones": "#2a9d8f",
    "sites": "#3d5a80",
    "posture": "#e07a1f",
    "basemap": "#e4e2dd",
}
#: Colour of the U.S. home pool's marker (a star at the home point; no layer draws it).
HOME_COLOR = "#0a3161"
#: Colour of each risk channel (`redeploy.schemas.RISK_CHANNELS`), e.g. the channel that
#: binds at each point of a frontier.
RISK_CHANNEL_COLORS: Mapping[str, str] = {
    "credibility": "#c0392b",
    "fragmentation": "#7b4fa0",
    "opportunism": "#e67e22",
    "counter_alignment": "#1f78b4",
    "autonomy": "#33a02c",
    "proliferation": "#6a3d1a",
    "backlash": "#e7298a",
    "trade": "#bcbd22",
}
#: Colour of a risk channel missing from `RISK_CHANNEL_COLORS` (and of "no risk").
OTHER_CHANNEL_COLOR = "#8a8f96"
#: Sea (map background) colour of the offline vector basemap.
SEA_COLOR = "#cfdfe9"
#: Land colour and outline of the vector basemap.
LAND_COLOR = "#e4e2dd"
LAND_OUTLINE = "#b9b5ab"
#: Fill of a peripheral zone that receives nothing.
ZONE_EMPTY_COLOR = "#f6f3ea"
ZONE_OUTLINE = "#5b7f7a"

#: Sequential ramp of the allocation classes, light to dark (ColorBrewer-like teal).
ALLOCATION_RAMP: tuple[str, ...] = ("#d3eee8", "#9fd8cb", "#5fbcaa", "#2a9d8f", "#17655c")
#: Diverging ramp of the change classes: decrease (brown) - no change - increase (teal).
CHANGE_RAMP: tuple[str, ...] = (
    "#8c510a",
    "#d8b365",
    "#f6e8c3",
    "#f5f5f5",
    "#c7eae5",
    "#5ab4ac",
    "#01665e",
)

#: Style of a flow in a comparison map, by how it changes from A to B: colour ``c``,
#: dash pattern ``d`` (SVG stroke-dasharray) and opacity ``o``; ``label`` for the legend.
FLOW_CHANGE_STYLES: Mapping[str, Mapping[str, str | float]] = {
    "new": {"c": "#2166ac", "d": "", "o": 0.9, "label": "appears in B"},
    "grow": {"c": "#01665e", "d": "", "o": 0.9, "label": "grows"},
    "shrink": {"c": "#8c510a", "d": "", "o": 0.9, "label": "shrinks"},
    "gone": {"c": "#6f6f6f", "d": "3 7", "o": 0.9, "label": "disappears in B"},
    "same": {"c": "#9aa3ad", "d": "", "o": 0.4, "label": "unchanged"},
}

#: Marker radius range in pixels for each point layer (smallest and largest feature).
MARKER_RADII: Mapping[str, tuple[float, float]] = {
    "fronts": (5.0, 20.0),
    "chokepoints": (3.5, 11.0),
    "mineral_zones": (3.0, 10.0),
    "supply_nodes": (3.0, 8.0),
    "sites": (3.0, 8.0),
    "posture": (3.0, 12.0),
}
#: Flow line width range in pixels (smallest and largest flow of the map).
FLOW_WEIGHTS: tuple[float, float] = (1.5, 9.0)
#: Width range of engagement flows ($bn/yr): their own, narrower scale, drawn dotted, so
#: money never reads as forces (kpe).
ENGAGEMENT_WEIGHTS: tuple[float, float] = (2.0, 6.5)
#: Dash pattern of engagement flows (round caps make it a chain of dots).
ENGAGEMENT_DASH = "0.1 7"

# The 1-2-5 series gives class edges people read at a glance.
_NICE = tuple(k * 10.0**e for e in range(-3, 7) for k in (1, 2, 5))


def asset_color(asset: str) -> str:
    """Return the colour of asset class `asset` (grey for classes without one)."""
    return ASSET_COLORS.get(asset, OTHER_ASSET_COLOR)


def channel_color(channel: str) -> str:
    """Return the colour of risk channel `channel` (grey for none or an unknown one)."""
    return RISK_CHANNEL_COLORS.get(channel, OTHER_CHANNEL_COLOR)


def _nice_ceil(x: float) -> float:
    for v in _NICE:
        if v >= x * (1 - 1e-12):
            return v
    return _NICE[-1]


def allocation_bins(values: Iterable[float], *, n: int = 5) -> list[float]:
    """
    Return the upper edges of the allocation classes for `values`.

    The edges come from the 1-2-5 series: the largest edge is the smallest series value at
    or above the largest of `values`, and the `n - 1` series values below it complete the
    classes. A zone with nothing (0) has its own class, drawn in `ZONE_EMPTY_COLOR`.

    Parameters
    ----------
    values
        Allocated amounts (>= 0) of the features to colour.
    n
        Number of classes; at most ``len(ALLOCATION_RAMP)`` colours are distinct.

    Returns
    -------
    list of float
        ``n`` increasing upper edges; class ``i`` holds values in ``(edges[i-1], edges[i]]``
        (with ``edges[-1] = 0``). Empty when every value is 0.

    Examples
    --------
    >>> allocation_bins([0.0, 3.2, 12.0])
    [1.0, 2.0, 5.0, 10.0, 20.0]
    """
    top = max((float(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if top <= 0:
        return []
    i = _NICE.index(_nice_ceil(top))
    edges = list(_NICE[max(0, i - n + 1) : i + 1])
    return edges


def _ramp_color(ramp: Sequence[str], k: int, n: int) -> str:
    if n <= 1:
        return ramp[-1]
    # Spread the n classes over the ramp so few classes still use its full range.
    return ramp[round(k * (len(ramp) - 1) / (n - 1))]


def allocation_color(value: float, edges: Sequence[float]) -> str:
    """
    Return the fill colour of a zone that received `value`.

    Parameters
    ----------
    value
        Amount allocated to the zone.
    edges
        Class edges from `allocation_bins`.

    Returns
    -------
    str
        `ZONE_EMPTY_COLOR` for 0 (or not a number), otherwise the ramp colour of its class.
    """
    if not edges or value is None or not math.isfinite(value) or value <= 0:
        return ZONE_EMPTY_COLOR
    for k, edge in enumerate(edges):
        if value <= edge * (1 + 1e-12):
            return _ramp_color(ALLOCATION_RAMP, k, len(edges))
    return ALLOCATION_RAMP[-1]


def change_bins(values: Iterable[float]) -> list[float]:
    """
    Return the positive class edges of a diverging change scale.

    Three edges ``[t/5 or t/4, t/2, t]`` from the 1-2-5 series, with ``t`` at or above the
    largest absolute change; the scale is symmetric: ``-t .. -e0 | ~0 | e0 .. t``.

    Parameters
    ----------
    values
        Changes (B - A) of the features to colour.

    Returns
    -------
    list of float
        Three increasing positive edges, empty when nothing changes.
    """
    top = max((abs(float(v)) for v in values if v is not None and math.isfinite(v)), default=0.0)
    if top <= 0:
        return []
    i = _NICE.index(_nice_ceil(top))
    return list(_NICE[max(0, i - 2) : i + 1])


def change_color(value: float, edges: Sequence[float], *, tolerance: float = 1e-9) -> str:
    """
    Return the fill colour of a change `value` on the diverging scale of `edges`.

    Parameters
    ----------
    value
        Change (B - A).
    edges
        Positive edges from `change_bins`.
    tolerance
        Changes smaller than this in absolute value count as no change.

    Returns
    -------
    str
        The middle (neutral) colour for no change, browns for decreases, teals for increases.
    """
    mid = len(CHANGE_RAMP) // 2
    if not edges or value is None or not math.isfinite(value) or abs(value) <= tolerance:
        return CHANGE_RAMP[mid]
    k = next((i for i, e in enumerate(edges) if abs(value) <= e * (1 + 1e-12)), len(edges) - 1)
    return CHANGE_RAMP[mid + 1 + k] if value > 0 else CHANGE_RAMP[mid - 1 - k]


def marker_radius(value: float, vmax: float, *, r_min: float = 4.0, r_max: float = 16.0) -> float:
    """
    Return a marker radius in pixels for a feature's key figure.

    The radius grows with the square root of the value, so a marker's area above the
    smallest visible size is proportional to the value: ``r_min + (r_max - r_min) *
    sqrt(value / vmax)``. Missing, negative or zero values get `r_min`.

    Parameters
    ----------
    value
        The feature's key figure (`LayerSchema.key_figure`).
    vmax
        The largest key figure of the layer (the reference for `r_max`).
    r_min, r_max
        Radius of the smallest and of the largest feature (see `MARKER_RADII`).

    Returns
    -------
    float
        Radius in pixels, rounded to 0.1.
    """
    if vmax is None or not math.isfinite(vmax) or vmax <= 0:
        return round(r_min, 1)
    if value is None or not math.isfinite(value) or value <= 0:
        return round(r_min, 1)
    share = min(1.0, float(value) / float(vmax))
    return round(r_min + (r_max - r_min) * math.sqrt(share), 1)


def flow_weight(amount: float, amax: float, weights: tuple[float, float] = FLOW_WEIGHTS) -> float:
    """
    Return the line width in pixels of a flow of `amount`, linear in the amount.

    ``w_min + (w_max - w_min) * amount / amax`` with `weights` as ``(w_min, w_max)``
    (`FLOW_WEIGHTS` by default, `ENGAGEMENT_WEIGHTS` for engagement); `amax` is the largest
    flow drawn on the same scale (one unit: kpe or $bn/yr).
    """
    w_min, w_max = weights
    if amax is None or not math.isfinite(amax) or amax <= 0 or not math.isfinite(amount):
        return w_min
    return round(w_min + (w_max - w_min) * min(1.0, max(0.0, amount / amax)), 1)
