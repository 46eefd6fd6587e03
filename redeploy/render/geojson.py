"""Compact GeoJSON for maps: simplified, quantised geometries and JSON safe inside ``<script>``.

Lines and polygons are written in a delta-encoded form that the page decodes before
drawing (`RD.dq` in the page's script, `decode_geometry` here): ``{"type": "Polygon",
"p": 2, "q": [[x0, y0, dx1, dy1, ...], ...]}`` where each ring or line is a flat list of
integers in units of ``10**-p`` degrees, the first pair absolute and the others differences.
Points stay plain GeoJSON. This keeps country outlines at about half the bytes of
decimal coordinates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from redeploy.layers import surface_xy

#: Decimal places kept for point coordinates (1e-4 degree is about 11 m).
POINT_PRECISION = 4
#: Decimal places kept for lines and data polygons.
SHAPE_PRECISION = 3
#: Decimal places and simplification tolerance (degrees) of the vector basemap.
BASEMAP_PRECISION = 2
BASEMAP_SIMPLIFY = 0.05
#: Basemap islands smaller than this (square degrees, about 25 km2) are below a pixel.
BASEMAP_MIN_AREA = 0.002
#: Simplification tolerance (degrees) of data polygons (peripheral and mineral zones).
POLYGON_SIMPLIFY = 0.02


def compact_geometry(
    geom: BaseGeometry | None,
    *,
    precision: int,
    simplify: float | None = None,
    encode: bool = True,
    min_area: float = 0.0,
) -> dict[str, Any] | None:
    """
    Return `geom` as a GeoJSON geometry dict, simplified and rounded.

    Parameters
    ----------
    geom
        A shapely geometry in EPSG:4326 (None or empty gives None).
    precision
        Decimal places kept in each coordinate.
    simplify
        Douglas-Peucker tolerance in degrees (topology preserved), or None.
    encode
        Delta-encode lines and polygons (see the module docstring); points stay plain.
    min_area
        Drop polygon parts smaller than this (square degrees), keeping at least the largest.

    Returns
    -------
    dict or None
        A GeoJSON geometry (possibly delta-encoded), or None when there is nothing to draw.
    """
    if geom is None or geom.is_empty:
        return None
    if min_area > 0 and geom.geom_type == "MultiPolygon":
        parts = list(geom.geoms)
        kept = [g for g in parts if g.area >= min_area] or [max(parts, key=lambda g: g.area)]
        geom = shapely.MultiPolygon(kept) if len(kept) > 1 else kept[0]
    if simplify:
        geom = geom.simplify(simplify, preserve_topology=True)
    return _compact(geom, precision, encode)


def _compact(geom: BaseGeometry, precision: int, encode: bool) -> dict[str, Any] | None:
    """`compact_geometry` of a geometry already simplified."""
    if encode and geom.geom_type in _DEPTH:
        return _encode(geom, precision)
    geom = shapely.transform(geom, lambda c: np.round(c, precision))
    if geom.is_empty:
        return None
    clean: dict[str, Any] = _clean(mapping(geom))
    return clean


def compact_geometries(
    geoms: Sequence[BaseGeometry | None], *, precision: int, simplify: float
) -> list[dict[str, Any] | None]:
    """`compact_geometry` of each of `geoms` (encoded, no parts dropped), the geometries
    simplified all at once."""
    shapes = np.asarray(geoms, dtype=object)
    drawn = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
    simple = np.full(len(shapes), None, dtype=object)
    simple[drawn] = shapely.simplify(shapes[drawn], simplify, preserve_topology=True)
    return [
        _compact(g, precision, True) if ok else None for g, ok in zip(simple, drawn, strict=True)
    ]


def marker_points(geoms: Sequence[BaseGeometry], *, precision: int) -> list[dict[str, Any]]:
    """
    Return each geometry's marker point as a GeoJSON Point rounded to `precision`: the
    point itself, or a point inside a polygon (``representative_point``). The same
    numbers as `compact_geometry` gives point by point, computed for the whole layer at
    once. `geoms` must not be empty or missing.
    """
    if not len(geoms):
        return []
    xy = np.round(surface_xy(geoms), precision).tolist()
    return [{"type": "Point", "coordinates": [x or 0.0, y or 0.0]} for x, y in xy]


#: Nesting depth of coordinate sequences per geometry type (0: one sequence).
_DEPTH = {"LineString": 0, "MultiLineString": 1, "Polygon": 1, "MultiPolygon": 2}


def _delta(coords: Any, precision: int) -> list[int]:
    q = np.round(np.asarray(coords, dtype=float)[:, :2] * 10.0**precision).astype(np.int64)
    q[1:] -= q[:-1].copy()
    return q.ravel().tolist()


def _encode(geom: BaseGeometry, precision: int) -> dict[str, Any]:
    kind = geom.geom_type
    if kind == "LineString":
        q: Any = _delta(geom.coords, precision)
    elif kind == "MultiLineString":
        q = [_delta(g.coords, precision) for g in geom.geoms]
    elif kind == "Polygon":
        q = _rings(geom, precision)
    else:
        q = [_rings(g, precision) for g in geom.geoms]
    return {"type": kind, "p": precision, "q": q}


def _rings(poly: BaseGeometry, precision: int) -> list[list[int]]:
    return [_delta(poly.exterior.coords, precision)] + [
        _delta(r.coords, precision) for r in poly.interiors
    ]


def decode_geometry(geom: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return plain GeoJSON for a geometry written by `compact_geometry` (tests, tools)."""
    if geom is None or "q" not in geom:
        return geom
    scale = 10.0 ** geom["p"]

    def line(flat: list[int]) -> list[list[float]]:
        arr = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) / scale
        points: list[list[float]] = arr.tolist()
        return points

    depth = _DEPTH[geom["type"]]
    q = geom["q"]
    if depth == 0:
        coords: Any = line(q)
    elif depth == 1:
        coords = [line(x) for x in q]
    else:
        coords = [[line(x) for x in part] for part in q]
    return {"type": geom["type"], "coordinates": coords}


def _clean(obj: Any) -> Any:
    # mapping() gives nested tuples of numpy-free floats; lists serialise the same, and
    # -0.0 is folded into 0.0 so identical inputs give identical bytes on every platform.
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float):
        return 0.0 if obj == 0 else obj
    return obj


def feature(geometry: dict[str, Any] | None, properties: dict[str, Any]) -> dict[str, Any]:
    """Return a GeoJSON Feature."""
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def feature_collection(features: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection of `features` (those with a geometry)."""
    return {
        "type": "FeatureCollection",
        "features": [f for f in features if f.get("geometry") is not None],
    }


_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


# A brace that opens a Jinja tag ("{{", "{%", "{#"). In compact JSON such a pair only
# occurs inside strings (an object starts with '"' or '}'), where "\\u007b" is the same "{".
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def script_json(obj: Any) -> str:
    """
    Serialise `obj` as compact JSON that is safe to place inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no text from the data can close
    the script element or open a comment, whatever it contains; so are U+2028 and U+2029,
    and a ``{`` that would open a Jinja tag (the page is built from Jinja templates).
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, esc in _SCRIPT_ESCAPES.items():
        text = text.replace(char, esc)
    return _JINJA_OPEN.sub(r"\\u007b", text)


def script_data(obj: Any) -> str:
    """
    Write `obj` as a script expression that reads its `script_json` text: ``JSON.parse('...')``.

    A browser parses a JSON string several times faster than the same data written as an
    object literal in the script: a page with large layers opens about 0.4 s sooner. The
    text is that of `script_json` (so equally safe in a ``<script>`` element and in a Jinja
    template) with ``\\`` and ``'`` escaped for the single-quoted string.
    """
    text = script_json(obj).replace("\\", "\\\\").replace("'", "\\'")
    return f"JSON.parse('{text}')"
