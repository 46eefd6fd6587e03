"""QGIS symbology documents: QML renderers (single, categorized, graduated) and OGC SLD.

The QML is QGIS 3.22 XML (symbol layer properties written both as ``<Option>`` maps and as
legacy ``<prop>`` pairs, as 3.22 writes them). `redeploy.export.qgis_styles` decides what
each exported layer looks like; this module only writes it down.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

SymbolKind = Literal["marker", "line", "fill"]
RendererType = Literal["singleSymbol", "categorizedSymbol", "graduatedSymbol"]

#: QGIS version the QML declares; 3.22 (Debian 12) is the oldest QGIS the tests load it in.
QGIS_VERSION = "3.22.16-Białowieża"


_MAP_UNIT_SCALE = "3x:0,0,0,0,0,0"


def qgis_color(hex_color: str, alpha: int = 255) -> str:
    """Return ``'r,g,b,a'`` as QML writes colours, from ``'#rrggbb'``."""
    h = hex_color.lstrip("#")
    if len(h) != 6:
        msg = f"colour must be '#rrggbb', got {hex_color!r}"
        raise ValueError(msg)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def number_text(x: float) -> str:
    """Format a number for XML reproducibly (no trailing noise)."""
    return format(float(x), ".15g")


def _label(x: float) -> str:
    return format(float(x), ".3g")


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
            "outline_width": number_text(outline_width),
            "outline_width_unit": "Pixel",
            "scale_method": "diameter",
            "size": number_text(size),
            "size_map_unit_scale": _MAP_UNIT_SCALE,
            "size_unit": "Pixel",
        }
    if kind == "line":
        return {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": qgis_color(color, alpha),
            "line_style": "solid",
            "line_width": number_text(size),
            "line_width_unit": "Pixel",
            "width_map_unit_scale": _MAP_UNIT_SCALE,
        }
    return {
        "color": qgis_color(color, alpha),
        "joinstyle": "bevel",
        "outline_color": qgis_color(outline),
        "outline_style": "solid",
        "outline_width": number_text(outline_width),
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
                "lower": number_text(lower),
                "upper": number_text(upper),
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
    opacity = number_text(round(look.alpha / 255, 2))
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
            _svg(stroke, "stroke-width", number_text(look.outline_width))
            ET.SubElement(graphic, "se:Size").text = number_text(look.size)
        elif kind == "line":
            sym = ET.SubElement(r, "se:LineSymbolizer")
            stroke = ET.SubElement(sym, "se:Stroke")
            _svg(stroke, "stroke", rule.color)
            _svg(stroke, "stroke-opacity", opacity)
            _svg(stroke, "stroke-width", number_text(look.size))
            _svg(stroke, "stroke-linejoin", "round")
            _svg(stroke, "stroke-linecap", "round")
        else:
            sym = ET.SubElement(r, "se:PolygonSymbolizer")
            fill = ET.SubElement(sym, "se:Fill")
            _svg(fill, "fill", rule.color)
            _svg(fill, "fill-opacity", opacity)
            stroke = ET.SubElement(sym, "se:Stroke")
            _svg(stroke, "stroke", look.outline)
            _svg(stroke, "stroke-width", number_text(look.outline_width))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
