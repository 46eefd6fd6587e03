"""Permanent map labels: fronts (what leaves), the zones that receive, the top chokepoints.

`map_labels` returns plain records ``{"x", "y", "t", "c", "k", "r"}`` (lon, lat, text,
class, layer kind, offset in px; ``"a": 1`` to try the anchor itself first), highest priority
first; the page places them without
overlap, hiding those that find no free spot (`RD.labels` in ``static/page.js``). Texts are
inserted with ``textContent``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, fmt_value, plain_text
from redeploy.render.frames import column_by_zone, records
from redeploy.render.layerdata import LayerData
from redeploy.render.story import FLOOR_MARK, floor_held
from redeploy.schemas import LayerKind

#: How many chokepoints are labelled (the most important ones).
TOP_CHOKEPOINTS = 5

_PAREN = re.compile(r"\s*\([^)]*\)")


def short_names(full: Sequence[str]) -> list[str]:
    """
    Short labels of feature names: parentheses dropped, and of ``"Prefix - Part"`` names the
    part when several names share the prefix, the prefix otherwise.

    >>> short_names(["NATO eastern flank - Poland", "NATO eastern flank - Baltic states",
    ...              "Germany - rear hub (EUCOM)", "Japan (Yokota)", "Japan - Okinawa"])
    ['Poland', 'Baltic states', 'Germany', 'Japan', 'Okinawa']
    """
    bare = [_PAREN.sub("", n).strip() for n in full]
    prefixes = [n.split(" - ", 1)[0].strip() for n in bare]
    count: dict[str, int] = {}
    for p in prefixes:
        count[p] = count.get(p, 0) + 1
    out = []
    for n, p in zip(bare, prefixes, strict=True):
        if " - " in n and count[p] > 1:
            out.append(n.split(" - ", 1)[1].strip())
        else:
            out.append(p)
    return out


def _anchor(geom: BaseGeometry) -> tuple[float, float]:
    """A point inside the largest part of `geom` (lon, lat), rounded to 0.01 degree."""
    if geom.geom_type == "MultiPolygon":
        geom = max(geom.geoms, key=lambda g: g.area)
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(p.x, 2), round(p.y, 2)


def _radii(data: LayerData | None) -> dict[tuple[float, float], float]:
    """Largest marker radius drawn at each point of a layer."""
    out: dict[tuple[float, float], float] = {}
    if data is None:
        return out
    for f in data.collection["features"]:
        g = f.get("geometry") or {}
        if g.get("type") == "Point":
            key = (round(g["coordinates"][0], 2), round(g["coordinates"][1], 2))
            out[key] = max(out.get(key, 0.0), float(f["properties"].get("r") or 0.0))
    return out


def front_labels(
    gdf: gpd.GeoDataFrame, forces: Mapping[str, tuple[float, float]], drawn: LayerData | None
) -> list[dict[str, Any]]:
    """Fronts: short name and the U.S. forces that leave, most leaving first."""
    recs = records(gdf)
    shorts = short_names([plain_text(r.get("name")) or plain_text(r.get("id")) for r in recs])
    radii = _radii(drawn)
    out = []
    for rec, short, geom in zip(recs, shorts, gdf.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        leave = forces.get(plain_text(rec.get("id")), (0.0, 0.0))[1]
        x, y = _anchor(geom)
        text = f"{short}: {fmt_value(leave, 'kpe')} leave" if leave > 0 else short
        out.append(
            {
                "x": x,
                "y": y,
                "t": text,
                "c": "front",
                "k": "fronts",
                "r": radii.get((x, y), 6.0),
                "_p": -leave,
            }
        )
    return sorted(out, key=lambda d: (d["_p"], d["t"]))


def zone_labels(gdf: gpd.GeoDataFrame, result: AllocationResult) -> list[dict[str, Any]]:
    """Zones that receive: name, forces (kpe) and engagement ($bn/yr); first the zones that
    receive most of either, each measured against the largest zone of its own kind."""
    forces = column_by_zone(result, "military", "added")
    money = column_by_zone(result, "engagement", "added")
    top_kpe = max(forces.values(), default=0.0) or 1.0
    top_bn = max(money.values(), default=0.0) or 1.0
    out = []
    for rec, geom in zip(records(gdf), gdf.geometry, strict=True):
        zid = plain_text(rec.get("id"))
        kpe, bn = forces.get(zid, 0.0), money.get(zid, 0.0)
        if (kpe <= 0 and bn <= 0) or geom is None or geom.is_empty:
            continue
        parts = [fmt_value(v, u) for v, u in ((kpe, "kpe"), (bn, "$bn/yr")) if v > 0]
        name = plain_text(rec.get("name")) or zid
        mark = f" {FLOOR_MARK}" if floor_held(result, plain_text(rec.get("region"))) else ""
        x, y = _anchor(geom)
        out.append(
            {
                "x": x,
                "y": y,
                "t": f"{name}{mark} {' · '.join(p for p in parts if p)}",
                "c": "zone",
                "k": "peripheral_zones",
                "r": 0,
                "a": 1,
                "_p": -max(kpe / top_kpe, bn / top_bn),
            }
        )
    return sorted(out, key=lambda d: (d["_p"], d["t"]))


def chokepoint_labels(gdf: gpd.GeoDataFrame, drawn: LayerData | None) -> list[dict[str, Any]]:
    """The `TOP_CHOKEPOINTS` most important chokepoints, by name."""
    radii = _radii(drawn)
    ranked = sorted(
        (
            (finite(r.get("importance")) or 0.0, plain_text(r.get("name")), g)
            for r, g in zip(records(gdf), gdf.geometry, strict=True)
            if g is not None and not g.is_empty
        ),
        key=lambda t: (-t[0], t[1]),
    )[:TOP_CHOKEPOINTS]
    out = []
    for _, name, geom in ranked:
        x, y = _anchor(geom)
        out.append(
            {
                "x": x,
                "y": y,
                "t": _PAREN.sub("", name).strip(),
                "c": "choke",
                "k": "chokepoints",
                "r": radii.get((x, y), 4.0),
            }
        )
    return out


def map_labels(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    data: Sequence[LayerData],
    forces: Mapping[str, tuple[float, float]],
) -> list[dict[str, Any]]:
    """
    Return a run map's labels, highest priority first: fronts, receiving zones, chokepoints.

    Parameters
    ----------
    layers
        The layers drawn (fronts, peripheral zones, chokepoints are read).
    result
        The result (what each zone receives; binding floors).
    data
        The drawn layers (marker radii, so labels clear their markers).
    forces
        ``{front id: (U.S. forces today, forces that leave)}`` in kpe.
    """
    drawn = {d.kind: d for d in data}
    out: list[dict[str, Any]] = []
    fronts = layers.get(LayerKind.FRONTS)
    if fronts is not None:
        out += front_labels(fronts, forces, drawn.get("fronts"))
    zones = layers.get(LayerKind.PERIPHERAL_ZONES)
    if zones is not None:
        out += zone_labels(zones, result)
    chokepoints = layers.get(LayerKind.CHOKEPOINTS)
    if chokepoints is not None:
        out += chokepoint_labels(chokepoints, drawn.get("chokepoints"))
    for d in out:
        d.pop("_p", None)
    return out
