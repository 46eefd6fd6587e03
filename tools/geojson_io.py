"""Deterministic RFC 7946 GeoJSON writing shared by the geodata build scripts.

GDAL's GeoJSON writer is not used for the shipped files because its number formatting
and member order depend on the GDAL version; this writer gives the same bytes on every
run and machine: one feature per line, properties in schema order, fixed rounding,
counter-clockwise exterior rings (RFC 7946 section 3.1.6), no ``crs`` member (RFC 7946
files are always WGS 84 longitude/latitude, which GDAL reads as EPSG:4326).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry


def slugify(text: str) -> str:
    """Return `text` as a lower-case ASCII slug of letters, digits and '_'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _round(value: float, digits: int) -> float:
    out = round(float(value), digits)
    return 0.0 if out == 0 else out  # no "-0.0" in the files


def _ring(coords: Sequence[Sequence[float]], digits: int) -> list[list[float]]:
    return [[_round(x, digits), _round(y, digits)] for x, y, *_ in coords]


def geometry_to_geojson(geom: BaseGeometry, *, digits: int) -> dict[str, Any]:
    """Return the GeoJSON mapping of a Point, Polygon or MultiPolygon, coordinates rounded."""
    if geom.geom_type == "Point":
        return {"type": "Point", "coordinates": [_round(geom.x, digits), _round(geom.y, digits)]}
    if geom.geom_type == "Polygon":
        geom = shapely.orient_polygons(geom, exterior_cw=False)
        return {"type": "Polygon", "coordinates": _polygon(geom, digits)}
    if geom.geom_type == "MultiPolygon":
        geom = shapely.orient_polygons(geom, exterior_cw=False)
        return {"type": "MultiPolygon", "coordinates": [_polygon(p, digits) for p in geom.geoms]}
    msg = f"unsupported geometry type {geom.geom_type!r}"
    raise TypeError(msg)


def _polygon(poly: shapely.Polygon, digits: int) -> list[list[list[float]]]:
    return [_ring(poly.exterior.coords, digits)] + [_ring(r.coords, digits) for r in poly.interiors]


def clean_value(value: Any, *, digits: int = 6) -> Any:
    """Return a JSON-ready property value: NaN/None -> null, floats rounded, ints kept."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return _round(value, digits)
    if isinstance(value, str):
        return value if value.strip() else None
    msg = f"unsupported property value {value!r}"
    raise TypeError(msg)


def write_feature_collection(
    path: Path,
    features: Iterable[tuple[Mapping[str, Any], BaseGeometry]],
    *,
    name: str,
    columns: Sequence[str],
    coord_digits: int,
    value_digits: int = 6,
) -> int:
    """
    Write `features` to `path` as a GeoJSON FeatureCollection, byte-stable.

    Parameters
    ----------
    path
        Output file.
    features
        ``(properties, geometry)`` pairs, already in output order.
    name
        Layer name written as the collection's ``name`` member (GDAL's layer name).
    columns
        Property names in output order; every feature gets every column (missing -> null).
    coord_digits
        Decimal places kept in coordinates.
    value_digits
        Decimal places kept in float properties.

    Returns
    -------
    int
        Number of features written.
    """
    lines = []
    for props, geom in features:
        unknown = set(props) - set(columns)
        if unknown:
            msg = f"{name}: properties not in the column list: {sorted(unknown)}"
            raise KeyError(msg)
        clean = {c: clean_value(props.get(c), digits=value_digits) for c in columns}
        feature = {
            "type": "Feature",
            "properties": clean,
            "geometry": geometry_to_geojson(geom, digits=coord_digits),
        }
        lines.append(
            json.dumps(feature, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        )
    head = json.dumps({"type": "FeatureCollection", "name": name}, separators=(",", ":"))
    text = head[:-1] + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return len(lines)
