"""Compact GeoJSON for maps: simplified, quantised geometries and JSON safe inside ``<script>``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

#: Decimal places kept for point coordinates (1e-4 degree is about 11 m).
POINT_PRECISION = 4
#: Decimal places kept for lines and data polygons.
SHAPE_PRECISION = 3
#: Decimal places and simplification tolerance (degrees) of the vector basemap.
BASEMAP_PRECISION = 2
BASEMAP_SIMPLIFY = 0.05
#: Simplification tolerance (degrees) of data polygons (peripheral and mineral zones).
POLYGON_SIMPLIFY = 0.02


def compact_geometry(
    geom: BaseGeometry | None, *, precision: int, simplify: float | None = None
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

    Returns
    -------
    dict or None
        A GeoJSON geometry, or None when there is nothing to draw.
    """
    if geom is None or geom.is_empty:
        return None
    if simplify:
        geom = geom.simplify(simplify, preserve_topology=True)
    geom = shapely.transform(geom, lambda c: np.round(c, precision))
    if geom.is_empty:
        return None
    return _clean(mapping(geom))


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


def script_json(obj: Any) -> str:
    """
    Serialise `obj` as compact JSON that is safe to place inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no text from the data can close
    the script element or open a comment, whatever it contains.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, esc in _SCRIPT_ESCAPES.items():
        text = text.replace(char, esc)
    return text
