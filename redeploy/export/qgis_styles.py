"""QGIS styles (QML) and OGC SLD for the exported layers, mirroring the HTML map's symbology.

The GeoPackage export stores one default style per layer in a ``layer_styles`` table, the
schema QGIS itself uses, so a layer dragged into QGIS opens styled: zones graduated by
allocation, flows categorised by asset class with width by amount, markers sized by their
key figure, the basemap as a plain fill. The QML is QGIS 3.22 XML (symbol layer properties
written both as ``<Option>`` maps and as legacy ``<prop>`` pairs, as 3.22 writes them).

Styling never computes model quantities: class breaks and marker scales are read from the
frame's own columns (their maximum), which is a presentation choice only.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import pandas as pd

from redeploy import palette as map_style
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    MILITARY_ASSETS,
    SCHEMAS,
    LayerKind,
    LayerSchema,
)

SymbolKind = Literal["marker", "line", "fill"]
RendererType = Literal["singleSymbol", "categorizedSymbol", "graduatedSymbol"]

#: QGIS version the QML declares; 3.22 (Debian 12) is the oldest QGIS the tests load it in.
QGIS_VERSION = "3.22.16-Białowieża"

#: Marker radius range (pixels) of layers `redeploy.palette.MARKER_RADII` does not list.
DEFAULT_RADII = (4.0, 12.0)
#: Opacity (0-255) of polygon fills drawn over the basemap.
ZONE_ALPHA = round(0.9 * 255)
MARKER_ALPHA = round(0.85 * 255)
LIGHT_ALPHA = round(0.35 * 255)
#: Column the zone_allocations style classifies: military capacity allocated (kpe), the
#: quantity the HTML map colours zones by.
ZONE_METRIC = "alloc_military"

_MAP_UNIT_SCALE = "3x:0,0,0,0,0,0"


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


def qgis_color(hex_color: str, alpha: int = 255) -> str:
    """Return ``'r,g,b,a'`` as QML writes colours, from ``'#rrggbb'``."""
    h = hex_color.lstrip("#")
    if len(h) != 6:
        msg = f"colour must be '#rrggbb', got {hex_color!r}"
        raise ValueError(msg)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _num(x: float) -> str:
    """Format a number for XML reproducibly (no trailing noise)."""
    return format(float(x), ".15g")


def _label(x: float) -> str:
    return format(float(x), ".3g")


def layer_color(layer: str, default: str = "#333333") -> str:
    """Return the HTML map's colour of a layer kind (its `LayerRole.palette_key` entry)."""
    schema = _schema_of(layer)
    return map_style.LAYER_COLORS.get(schema.role.palette_key if schema else layer, default)


# --------------------------------------------------------------------------- QML pieces


def _option_map(parent: ET.Element, items: Mapping[str, str], *, name: str | None = None) -> None:
    opt = ET.SubElement(parent, "Option", {"type": "Map"} | ({"name": name} if name else {}))
    for key, value in items.items():
        ET.SubElement(opt, "Option", {"type": "QString", "name": key, "value": value})


def _data_defined(parent: ET.Element, properties: Mapping[str, str]) -> None:
    """Append ``<data_defined_properties>`` with expression-based properties."""
    ddp = ET.SubElement(parent, "data_defined_properties")
    top = ET.SubElement(ddp, "Option", {"type": "Map"})
    ET.SubElement(top, "Option", {"type": "QString", "name": "name", "value": ""})
    if properties:
        props = ET.SubElement(top, "Option", {"type": "Map", "name": "properties"})
        for key, expression in properties.items():
            prop = ET.SubElement(props, "Option", {"type": "Map", "name": key})
            ET.SubElement(prop, "Option", {"type": "bool", "name": "active", "value": "true"})
            ET.SubElement(
                prop, "Option", {"type": "QString", "name": "expression", "value": expression}
            )
            # 3 = QgsProperty::ExpressionBasedProperty
            ET.SubElement(prop, "Option", {"type": "int", "name": "type", "value": "3"})
    else:
        ET.SubElement(top, "Option", {"name": "properties"})
    ET.SubElement(top, "Option", {"type": "QString", "name": "type", "value": "collection"})


def _symbol_layer_props(
    kind: SymbolKind, color: str, *, size: float, outline: str, outline_width: float, alpha: int
) -> dict[str, str]:
    # Sizes are in pixels, the unit of the HTML map, so both draw the same symbols.
    if kind == "marker":
        return {
            "angle": "0",
            "color": qgis_color(color, alpha),
            "name": "circle",
            "outline_color": qgis_color(outline),
            "outline_style": "solid",
            "outline_width": _num(outline_width),
            "outline_width_unit": "Pixel",
            "scale_method": "diameter",
            "size": _num(size),
            "size_map_unit_scale": _MAP_UNIT_SCALE,
            "size_unit": "Pixel",
        }
    if kind == "line":
        return {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": qgis_color(color, alpha),
            "line_style": "solid",
            "line_width": _num(size),
            "line_width_unit": "Pixel",
            "width_map_unit_scale": _MAP_UNIT_SCALE,
        }
    return {
        "color": qgis_color(color, alpha),
        "joinstyle": "bevel",
        "outline_color": qgis_color(outline),
        "outline_style": "solid",
        "outline_width": _num(outline_width),
        "outline_width_unit": "Pixel",
        "style": "solid",
    }


_SYMBOL_LAYER_CLASS = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}


def _symbol(
    parent: ET.Element,
    name: str,
    kind: SymbolKind,
    color: str,
    *,
    size: float = 8.0,
    outline: str = "#333333",
    outline_width: float = 1.0,
    alpha: int = 255,
    expressions: Mapping[str, str] | None = None,
) -> None:
    """Append one ``<symbol>`` with a single simple symbol layer."""
    sym = ET.SubElement(
        parent,
        "symbol",
        {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    _data_defined(sym, {})
    layer = ET.SubElement(
        sym,
        "layer",
        {"class": _SYMBOL_LAYER_CLASS[kind], "enabled": "1", "locked": "0", "pass": "0"},
    )
    props = _symbol_layer_props(
        kind, color, size=size, outline=outline, outline_width=outline_width, alpha=alpha
    )
    _option_map(layer, props)
    for key, value in props.items():  # the legacy form QGIS 3.22 still writes beside <Option>
        ET.SubElement(layer, "prop", {"k": key, "v": value})
    _data_defined(layer, expressions or {})


def _renderer(rtype: RendererType, **attrs: str) -> ET.Element:
    base = {
        "type": rtype,
        **attrs,
        "forceraster": "0",
        "symbollevels": "0",
        "enableorderby": "0",
        "referencescale": "-1",
    }
    return ET.Element("renderer-v2", base)


def _finish_renderer(renderer: ET.Element) -> None:
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")


_GEOMETRY_TYPE_CODE = {"marker": "0", "line": "1", "fill": "2"}


def qml_document(
    renderer: ET.Element, kind: SymbolKind, *, aliases: Mapping[str, str] | None = None
) -> str:
    """
    Wrap a ``<renderer-v2>`` element into a complete QML document.

    Parameters
    ----------
    renderer
        The renderer element.
    kind
        Symbol kind of the layer; QGIS refuses a style whose geometry type differs.
    aliases
        Field aliases (``{field: label}``) shown in QGIS attribute tables and forms.

    Returns
    -------
    str
        The QML text, starting with the ``<!DOCTYPE qgis ...>`` line.
    """
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "styleCategories": "AllStyleCategories",
            "hasScaleBasedVisibilityFlag": "0",
            "maxScale": "0",
            "minScale": "100000000",
            "labelsEnabled": "0",
            "readOnly": "0",
        },
    )
    root.append(renderer)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.SubElement(root, "legend", {"type": "default-vector", "showLabelLegend": "0"})
    if aliases:
        al = ET.SubElement(root, "aliases")
        for index, (field_name, label) in enumerate(aliases.items()):
            ET.SubElement(al, "alias", {"field": field_name, "index": str(index), "name": label})
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_TYPE_CODE[kind]
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


@dataclass(frozen=True)
class Look:
    """How one symbol is drawn: colours, opacity and size (pixels) besides its class colour."""

    size: float = 8.0
    outline: str = "#333333"
    outline_width: float = 1.0
    alpha: int = 255
    expressions: Mapping[str, str] = field(default_factory=dict)


def single_symbol_qml(
    kind: SymbolKind, color: str, look: Look = Look(), *, aliases: Mapping[str, str] | None = None
) -> str:
    """Return QML for a single-symbol renderer (optionally data-defined size or width)."""
    renderer = _renderer("singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(
        symbols,
        "0",
        kind,
        color,
        size=look.size,
        outline=look.outline,
        outline_width=look.outline_width,
        alpha=look.alpha,
        expressions=look.expressions,
    )
    _finish_renderer(renderer)
    return qml_document(renderer, kind, aliases=aliases)


def categorized_qml(
    attr: str,
    categories: Sequence[tuple[str, str, str]],
    kind: SymbolKind,
    look: Look = Look(),
    *,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """
    Return QML for a categorised renderer.

    Parameters
    ----------
    attr
        Field whose value picks the category.
    categories
        ``(value, label, '#rrggbb')`` per category, in legend order.
    kind
        Symbol kind.
    look
        Size, outline, opacity and data-defined properties shared by every category
        (``{"outlineWidth": expr}`` for lines, ``{"size": expr}`` for markers).
    aliases
        Field aliases.
    """
    renderer = _renderer("categorizedSymbol", attr=attr)
    cats = ET.SubElement(renderer, "categories")
    for i, (value, label, _color) in enumerate(categories):
        ET.SubElement(
            cats, "category", {"value": value, "label": label, "symbol": str(i), "render": "true"}
        )
    symbols = ET.SubElement(renderer, "symbols")
    for i, (_value, _label_text, color) in enumerate(categories):
        _symbol(
            symbols,
            str(i),
            kind,
            color,
            size=look.size,
            outline=look.outline,
            outline_width=look.outline_width,
            alpha=look.alpha,
            expressions=look.expressions,
        )
    _finish_renderer(renderer)
    return qml_document(renderer, kind, aliases=aliases)


def graduated_qml(
    attr: str,
    ranges: Sequence[tuple[float, float, str, str]],
    kind: SymbolKind,
    look: Look = Look(),
    *,
    aliases: Mapping[str, str] | None = None,
    unit: str = "",
) -> str:
    """
    Return QML for a graduated-colour renderer.

    Parameters
    ----------
    attr
        Field (or expression) classified.
    ranges
        ``(lower, upper, label, '#rrggbb')`` per class; QGIS uses the first class whose
        closed interval holds the value.
    kind
        Symbol kind.
    look
        Outline and opacity of every class's symbol.
    aliases
        Field aliases.
    unit
        Unit QGIS appends to class labels when the user classifies again.
    """
    renderer = _renderer("graduatedSymbol", attr=attr, graduatedMethod="GraduatedColor")
    rng = ET.SubElement(renderer, "ranges")
    for i, (lower, upper, label, _color) in enumerate(ranges):
        ET.SubElement(
            rng,
            "range",
            {
                "lower": _num(lower),
                "upper": _num(upper),
                "label": label,
                "symbol": str(i),
                "render": "true",
            },
        )
    symbols = ET.SubElement(renderer, "symbols")
    for i, (_lo, _hi, _label_text, color) in enumerate(ranges):
        _symbol(
            symbols,
            str(i),
            kind,
            color,
            size=look.size,
            outline=look.outline,
            outline_width=look.outline_width,
            alpha=look.alpha,
            expressions=look.expressions,
        )
    method = ET.SubElement(renderer, "classificationMethod", {"id": "Custom"})
    ET.SubElement(method, "symmetricMode", {"enabled": "0", "symmetrypoint": "0", "astride": "0"})
    label_format = f"%1 – %2 {unit}".rstrip()
    ET.SubElement(
        method,
        "labelFormat",
        {"format": label_format, "labelprecision": "3", "trimtrailingzeroes": "1"},
    )
    _finish_renderer(renderer)
    return qml_document(renderer, kind, aliases=aliases)


# --------------------------------------------------------------------------- SLD

_SLD_NS = {
    "xmlns": "http://www.opengis.net/sld",
    "xmlns:ogc": "http://www.opengis.net/ogc",
    "xmlns:se": "http://www.opengis.net/se",
    "xmlns:xlink": "http://www.w3.org/1999/xlink",
    "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsi:schemaLocation": "http://www.opengis.net/sld "
    "http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd",
    "version": "1.1.0",
}


@dataclass(frozen=True)
class SldRule:
    """One SLD rule: a title, a colour and up to two AND-ed comparisons."""

    title: str
    color: str
    filters: tuple[tuple[str, str, str], ...] = ()  # (operator, property, literal)


def _svg(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "se:SvgParameter", {"name": name}).text = value


def sld_document(layer: str, kind: SymbolKind, rules: Sequence[SldRule], look: Look) -> str:
    """Return an SLD 1.1 document with one rule per class (sizes fixed: SLD has no scale)."""
    root = ET.Element("StyledLayerDescriptor", dict(_SLD_NS))
    named = ET.SubElement(root, "NamedLayer")
    ET.SubElement(named, "se:Name").text = layer
    user = ET.SubElement(named, "UserStyle")
    ET.SubElement(user, "se:Name").text = layer
    fts = ET.SubElement(user, "se:FeatureTypeStyle")
    opacity = _num(round(look.alpha / 255, 2))
    for rule in rules:
        r = ET.SubElement(fts, "se:Rule")
        ET.SubElement(r, "se:Name").text = rule.title
        desc = ET.SubElement(r, "se:Description")
        ET.SubElement(desc, "se:Title").text = rule.title
        if rule.filters:
            flt = ET.SubElement(r, "ogc:Filter")
            holder = ET.SubElement(flt, "ogc:And") if len(rule.filters) > 1 else flt
            for op, prop, literal in rule.filters:
                cmp_el = ET.SubElement(holder, f"ogc:{op}")
                ET.SubElement(cmp_el, "ogc:PropertyName").text = prop
                ET.SubElement(cmp_el, "ogc:Literal").text = literal
        if kind == "marker":
            sym = ET.SubElement(r, "se:PointSymbolizer")
            graphic = ET.SubElement(sym, "se:Graphic")
            mark = ET.SubElement(graphic, "se:Mark")
            ET.SubElement(mark, "se:WellKnownName").text = "circle"
            fill = ET.SubElement(mark, "se:Fill")
            _svg(fill, "fill", rule.color)
            _svg(fill, "fill-opacity", opacity)
            stroke = ET.SubElement(mark, "se:Stroke")
            _svg(stroke, "stroke", look.outline)
            _svg(stroke, "stroke-width", _num(look.outline_width))
            ET.SubElement(graphic, "se:Size").text = _num(look.size)
        elif kind == "line":
            sym = ET.SubElement(r, "se:LineSymbolizer")
            stroke = ET.SubElement(sym, "se:Stroke")
            _svg(stroke, "stroke", rule.color)
            _svg(stroke, "stroke-opacity", opacity)
            _svg(stroke, "stroke-width", _num(look.size))
            _svg(stroke, "stroke-linejoin", "round")
            _svg(stroke, "stroke-linecap", "round")
        else:
            sym = ET.SubElement(r, "se:PolygonSymbolizer")
            fill = ET.SubElement(sym, "se:Fill")
            _svg(fill, "fill", rule.color)
            _svg(fill, "fill-opacity", opacity)
            stroke = ET.SubElement(sym, "se:Stroke")
            _svg(stroke, "stroke", look.outline)
            _svg(stroke, "stroke-width", _num(look.outline_width))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


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
        return _num(2 * r_min)
    share = f"max(0, min(1, coalesce({expr}, 0) / {_num(vmax)}))"
    return f"2 * ({_num(r_min)} + {_num(r_max - r_min)} * sqrt({share}))"


def flow_width_expression(maxima: Mapping[str, float]) -> str:
    """
    Return a QGIS expression for a flow's width in pixels, as `flow_weight` sets it.

    Linear in ``amount`` from ``w_min`` to ``w_max`` at the largest flow of the same unit
    (``maxima``: ``{unit: largest amount}``), so kpe and $bn/yr flows are scaled apart.
    """
    w_min, w_max = map_style.FLOW_WEIGHTS
    cases = [
        f"WHEN {_quote('unit')} = {_literal(unit)} THEN {_num(w_min)} + {_num(w_max - w_min)}"
        f" * max(0, min(1, coalesce({_quote('amount')}, 0) / {_num(top)}))"
        for unit, top in sorted(maxima.items())
        if top > 0
    ]
    if not cases:
        return _num(w_min)
    return "CASE " + " ".join(cases) + f" ELSE {_num(w_min)} END"


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
            rules.append(SldRule(label, color, (("PropertyIsEqualTo", attr, _num(lo)),)))
        else:
            rules.append(
                SldRule(
                    label,
                    color,
                    (
                        ("PropertyIsGreaterThan", attr, _num(lo)),
                        ("PropertyIsLessThanOrEqualTo", attr, _num(hi)),
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
    """Zones graduated by the military capacity allocated."""
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
        "Zones graduated by military capacity allocated (kpe), as on the map.",
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
