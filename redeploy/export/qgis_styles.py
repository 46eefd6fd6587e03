"""QGIS styles (QML) and OGC SLD for the exported layers, mirroring the HTML map's symbology.

The GeoPackage export stores one default style per layer in a ``layer_styles`` table, the
schema QGIS itself uses, so a layer dragged into QGIS opens styled: zones graduated by
allocation, flows categorised by asset class with width by amount, markers sized by their
key figure, the basemap as a plain fill. `redeploy.export.qgis_symbols` writes each look
down as QML (QGIS 3.22 XML) and SLD.

Styling never computes model quantities: class breaks and marker scales are read from the
frame's own columns (their maximum), which is a presentation choice only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from redeploy import palette as map_style
from redeploy.export.qgis_symbols import (
    QGIS_VERSION,
    Look,
    RendererType,
    SldRule,
    SymbolKind,
    categorized_qml,
    graduated_qml,
    number_text,
    qgis_color,
    single_symbol_qml,
    sld_document,
)

__all__ = [
    "QGIS_VERSION",
    "LayerStyle",
    "Look",
    "allocation_ranges",
    "flow_width_expression",
    "layer_color",
    "marker_size_expression",
    "qgis_color",
    "style_for_layer",
    "symbol_kind",
    "symbol_kind_of_type",
]
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    MILITARY_ASSETS,
    SCHEMAS,
    LayerKind,
    LayerSchema,
)

#: Marker radius range (pixels) of layers `redeploy.palette.MARKER_RADII` does not list.
DEFAULT_RADII = (4.0, 12.0)
#: Opacity (0-255) of polygon fills drawn over the basemap.
ZONE_ALPHA = round(0.9 * 255)
MARKER_ALPHA = round(0.85 * 255)
LIGHT_ALPHA = round(0.35 * 255)
#: Column the zone_allocations style classifies: military capacity the run adds (kpe), the
#: quantity the HTML map colours zones by.
ZONE_METRIC = "added_military"


@dataclass(frozen=True)
class LayerStyle:
    """One layer's default style: what goes into a row of ``layer_styles``."""

    layer: str
    name: str
    renderer: RendererType
    qml: str
    sld: str
    description: str
    #: Colours or class labels, for tests and docs.
    classes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- colours


def layer_color(layer: str, default: str = "#333333") -> str:
    """Return the HTML map's colour of a layer kind (its `LayerRole.palette_key` entry)."""
    schema = _schema_of(layer)
    return map_style.LAYER_COLORS.get(schema.role.palette_key if schema else layer, default)


# --------------------------------------------------------------------------- per layer


def symbol_kind(frame: pd.DataFrame) -> SymbolKind | None:
    """
    Return the symbol kind for a frame's geometry, or None for tables and mixed layers.

    A layer mixing families (points and polygons) gets no default style: QGIS opens such a
    GeoPackage table as one sub-layer per geometry type.
    """
    geometry = getattr(frame, "geometry", None)
    if geometry is None or not hasattr(geometry, "geom_type"):
        return None
    families = {
        {
            "Point": "marker",
            "MultiPoint": "marker",
            "LineString": "line",
            "MultiLineString": "line",
            "Polygon": "fill",
            "MultiPolygon": "fill",
        }.get(t, "?")
        for t in geometry.dropna().geom_type.unique()
    }
    if len(families) != 1 or "?" in families:
        return None
    return families.pop()  # type: ignore[return-value]


def _column_max(frame: pd.DataFrame, column: str) -> float:
    if column not in frame.columns or len(frame) == 0:
        return 0.0
    top = pd.to_numeric(frame[column], errors="coerce").max()
    return 0.0 if pd.isna(top) or not math.isfinite(float(top)) else float(top)


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def marker_size_expression(expr: str, vmax: float, radii: tuple[float, float]) -> str:
    """
    Return a QGIS expression for a marker diameter in pixels, as `marker_radius` sizes it.

    ``2 * (r_min + (r_max - r_min) * sqrt(min(1, value / vmax)))``; missing or non-positive
    values (or a layer whose maximum is not positive) get ``2 * r_min``.
    """
    r_min, r_max = radii
    if vmax <= 0:
        return number_text(2 * r_min)
    share = f"max(0, min(1, coalesce({expr}, 0) / {number_text(vmax)}))"
    return f"2 * ({number_text(r_min)} + {number_text(r_max - r_min)} * sqrt({share}))"


def flow_width_expression(maxima: Mapping[str, float]) -> str:
    """
    Return a QGIS expression for a flow's width in pixels, as `flow_weight` sets it.

    Linear in ``amount`` from ``w_min`` to ``w_max`` at the largest flow of the same unit
    (``maxima``: ``{unit: largest amount}``), so kpe and $bn/yr flows are scaled apart.
    """
    w_min, w_max = map_style.FLOW_WEIGHTS
    cases = [
        f"WHEN {_quote('unit')} = {_literal(unit)} THEN {number_text(w_min)} + "
        f"{number_text(w_max - w_min)}"
        f" * max(0, min(1, coalesce({_quote('amount')}, 0) / {number_text(top)}))"
        for unit, top in sorted(maxima.items())
        if top > 0
    ]
    if not cases:
        return number_text(w_min)
    return "CASE " + " ".join(cases) + f" ELSE {number_text(w_min)} END"


def allocation_ranges(
    values: Sequence[float], unit: str = "kpe"
) -> list[tuple[float, float, str, str]]:
    """
    Return graduated classes for zone allocations, mirroring `allocation_bins`.

    A first class holds exactly 0 (`ZONE_EMPTY_COLOR`: zones that receive nothing); then
    one class per 1-2-5 edge, ``(previous edge, edge]``, in the HTML map's colour, labelled
    with its `unit` (``"0.2 – 0.5 kpe"``).
    """
    edges = map_style.allocation_bins(values)
    ranges = [(0.0, 0.0, "none", map_style.ZONE_EMPTY_COLOR)]
    lower = 0.0
    for edge in edges:
        color = map_style.allocation_color(edge, edges)
        ranges.append((lower, edge, f"{lower:g} – {edge:g} {unit}".rstrip(), color))
        lower = edge
    return ranges


def _graduated_rules(attr: str, ranges: Sequence[tuple[float, float, str, str]]) -> list[SldRule]:
    rules = []
    for lo, hi, label, color in ranges:
        if lo == hi:
            rules.append(SldRule(label, color, (("PropertyIsEqualTo", attr, number_text(lo)),)))
        else:
            rules.append(
                SldRule(
                    label,
                    color,
                    (
                        ("PropertyIsGreaterThan", attr, number_text(lo)),
                        ("PropertyIsLessThanOrEqualTo", attr, number_text(hi)),
                    ),
                )
            )
    return rules


def _single(
    layer: str,
    kind: SymbolKind,
    color: str,
    look: Look,
    description: str,
    aliases: Mapping[str, str] | None,
) -> LayerStyle:
    qml = single_symbol_qml(kind, color, look, aliases=aliases)
    sld = sld_document(layer, kind, [SldRule(layer, color)], look)
    return LayerStyle(layer, layer, "singleSymbol", qml, sld, description, (color,))


def _markers(
    layer: str,
    frame: pd.DataFrame,
    expr: str | None,
    vmax: float,
    radii: tuple[float, float],
    color: str,
    description: str,
    aliases: Mapping[str, str] | None,
) -> LayerStyle:
    look = Look(
        size=2 * radii[0],
        outline="#ffffff",
        outline_width=1.2,
        alpha=MARKER_ALPHA,
        expressions={"size": marker_size_expression(expr, vmax, radii)} if expr else {},
    )
    return _single(layer, "marker", color, look, description, aliases)


def symbol_kind_of_type(geometry_type: str | None) -> SymbolKind | None:
    """Return the symbol kind of an OGR geometry type name (``"MultiLineString"`` -> line)."""
    family = (geometry_type or "").removeprefix("Multi")
    kinds: dict[str, SymbolKind] = {"Point": "marker", "LineString": "line", "Polygon": "fill"}
    return kinds.get(family)


def style_for_layer(
    layer: str,
    frame: pd.DataFrame,
    *,
    aliases: Mapping[str, str] | None = None,
    geometry_type: str | None = None,
) -> LayerStyle | None:
    """
    Return the default style of an exported layer, or None when it has none.

    The symbology mirrors the HTML map (`redeploy.palette`): same colours, class edges,
    marker radii and flow widths, in pixels.

    Parameters
    ----------
    layer
        Layer name: an input layer kind (``fronts``, ``peripheral_zones``, ...) or a result
        layer (``flows``, ``zone_allocations``, ``front_release``).
    frame
        The layer as written; class edges and marker scales use its maxima.
    aliases
        Field aliases for QGIS (``{column: label}``).
    geometry_type
        OGR geometry type the layer is written with; it decides the symbol kind of a layer
        without features (an empty ``flows`` layer still gets its style).

    Returns
    -------
    LayerStyle or None
        None for attribute tables (no geometry) and layers mixing geometry families.
    """
    kind = symbol_kind(frame)
    if kind is None and isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().sum() == 0:
        kind = symbol_kind_of_type(geometry_type)
    if kind is None:
        return None
    if layer == "flows" and kind == "line":
        return _flows_style(layer, frame, aliases)
    if layer == "zone_allocations" and kind == "fill":
        return _zone_allocations_style(layer, frame, aliases)
    if layer == "front_release" and kind == "marker":
        return _front_release_style(layer, frame, aliases)
    return _kind_style(layer, frame, kind, aliases)


def _schema_of(layer: str) -> LayerSchema | None:
    return SCHEMAS[LayerKind(layer)] if layer in {k.value for k in LayerKind} else None


def _flows_style(layer: str, frame: pd.DataFrame, aliases: Mapping[str, str] | None) -> LayerStyle:
    """Flows coloured by asset class, width by amount."""
    present = {str(a) for a in frame["asset"].dropna()} if "asset" in frame.columns else set()
    assets = [a for a in ASSETS if a in present or not present] + sorted(present - set(ASSETS))
    maxima: dict[str, float] = {}
    if {"unit", "amount"} <= set(frame.columns) and len(frame):
        amounts = pd.to_numeric(frame["amount"], errors="coerce")
        maxima = {
            str(u): float(v) for u, v in amounts.groupby(frame["unit"]).max().items() if pd.notna(v)
        }
    look = Look(
        size=map_style.FLOW_WEIGHTS[0],
        alpha=round(0.85 * 255),
        expressions={"outlineWidth": flow_width_expression(maxima)},
    )
    cats = [
        (a, f"{a} ({ASSET_UNITS[a]})" if a in ASSET_UNITS else a, map_style.asset_color(a))
        for a in assets
    ]
    qml = categorized_qml("asset", cats, "line", look, aliases=aliases)
    rules = [SldRule(a, c, (("PropertyIsEqualTo", "asset", a),)) for a, _, c in cats]
    sld = sld_document(layer, "line", rules, look)
    return LayerStyle(
        layer,
        layer,
        "categorizedSymbol",
        qml,
        sld,
        "Flows coloured by asset class, width by amount (as on the map).",
        tuple(assets),
    )


def _zone_allocations_style(
    layer: str, frame: pd.DataFrame, aliases: Mapping[str, str] | None
) -> LayerStyle:
    """Zones graduated by the military capacity the run adds."""
    values = pd.to_numeric(frame.get(ZONE_METRIC, pd.Series(dtype=float)), errors="coerce").fillna(
        0.0
    )
    ranges = allocation_ranges(list(values))
    look = Look(outline=map_style.ZONE_OUTLINE, outline_width=0.8, alpha=ZONE_ALPHA)
    qml = graduated_qml(ZONE_METRIC, ranges, "fill", look, aliases=aliases, unit="kpe")
    sld = sld_document(layer, "fill", _graduated_rules(ZONE_METRIC, ranges), look)
    return LayerStyle(
        layer,
        layer,
        "graduatedSymbol",
        qml,
        sld,
        "Zones graduated by military capacity added (kpe), as on the map.",
        tuple(r[2] for r in ranges),
    )


def _front_release_style(
    layer: str, frame: pd.DataFrame, aliases: Mapping[str, str] | None
) -> LayerStyle:
    """Front markers (the fronts' colour and radii) sized by the military capacity released."""
    cols = [f"released_{a}" for a in MILITARY_ASSETS if f"released_{a}" in frame.columns]
    expr = "(" + " + ".join(f"coalesce({_quote(c)}, 0)" for c in cols) + ")" if cols else None
    vmax = float(frame[cols].fillna(0).sum(axis=1).max()) if cols and len(frame) else 0.0
    key = SCHEMAS[LayerKind.FRONTS].role.palette_key
    return _markers(
        layer,
        frame,
        expr,
        vmax,
        map_style.MARKER_RADII.get(key, DEFAULT_RADII),
        map_style.LAYER_COLORS.get(key, "#333333"),
        "Fronts sized by military capacity released (kpe).",
        aliases,
    )


def _kind_style(
    layer: str, frame: pd.DataFrame, kind: SymbolKind, aliases: Mapping[str, str] | None
) -> LayerStyle:
    """An input layer kind (or an unknown layer) styled by its role and palette entry."""
    schema = _schema_of(layer)
    if schema is not None and schema.role.backdrop:
        look = Look(outline=map_style.LAND_OUTLINE, outline_width=0.6)
        return _single(layer, kind, map_style.LAND_COLOR, look, "Plain land fill.", aliases)
    key = schema.key_figure if schema else None
    palette_key = schema.role.palette_key if schema else layer
    color = map_style.LAYER_COLORS.get(palette_key, "#555555")
    if kind == "marker":
        return _markers(
            layer,
            frame,
            _quote(key) if key else None,
            _column_max(frame, key) if key else 0.0,
            map_style.MARKER_RADII.get(palette_key, DEFAULT_RADII),
            color,
            f"Markers sized by {key}, as on the map." if key else "Markers.",
            aliases,
        )
    if kind == "line":
        return _single(layer, kind, color, Look(size=1.5), "Plain line.", aliases)
    alpha = ZONE_ALPHA if layer == LayerKind.PERIPHERAL_ZONES.value else LIGHT_ALPHA
    look = Look(
        outline=map_style.ZONE_OUTLINE if alpha == ZONE_ALPHA else color,
        outline_width=0.8,
        alpha=alpha,
    )
    return _single(layer, kind, color, look, "Plain fill.", aliases)
