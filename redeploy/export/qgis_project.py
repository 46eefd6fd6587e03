"""A QGIS project stored inside the GeoPackage: layer order, titles, labels, map tips, layout.

QGIS keeps projects in a GeoPackage in a ``qgis_projects`` table (``name``, ``metadata``,
``content``), where ``content`` is the zipped project (the ``.qgz`` bytes) written as
hexadecimal text and ``metadata`` a small JSON object; QGIS 3.22 opens it with *Project >
Open From > GeoPackage*, or ``QgsProject.instance().read("geopackage:/path/NAME.gpkg?
projectName=NAME")``. This module writes that row with the standard library only:

- every layer of the package, drawn in the HTML map's order (basemap at the bottom, zones,
  mineral polygons, flows, then the markers: minerals, supply nodes, chokepoints, fronts);
- each pointing at its table by a path relative to the GeoPackage (``./NAME.gpkg|
  layername=fronts``), which QGIS resolves against the package's own folder, so the file
  can be moved (not renamed: the name is part of the path);
- readable titles with units, the layer's stored style (`redeploy.export.qgis_styles`), labels on
  fronts, receiving zones and chokepoints, and an HTML map tip mirroring the map's popups;
- a print layout (A4 landscape): title, map, legend, scale bar and source note.

The project XML is deterministic: fixed layer ids and item uuids, attributes in a fixed
order, no clock; the zip entry carries the export's fixed timestamp.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import sqlite3
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from redeploy._version import __version__
from redeploy.export.qgis_styles import QGIS_VERSION, layer_color, style_for_layer
from redeploy.schemas import (
    ASSET_UNITS,
    ASSETS,
    MILITARY_ASSETS,
    SCHEMAS,
    LayerKind,
    LayerSchema,
    column_label,
    drawn_kinds,
)

__all__ = [
    "LAYOUT_NAME",
    "PROJECT_TABLE",
    "ProjectLayer",
    "layer_id_of",
    "layer_title",
    "project_archive",
    "project_layers",
    "project_xml",
    "read_project_xml",
    "store_project",
    "write_project",
]

#: Table QGIS keeps GeoPackage projects in (QgsGeoPackageProjectStorage), with its DDL.
PROJECT_TABLE = "qgis_projects"
_PROJECT_DDL = "CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
#: Name of the print layout.
LAYOUT_NAME = "redeploy map (A4 landscape)"
#: The project's user, written where QGIS writes the login name.
_USER = "redeploy"
#: Kilometres per degree of a great circle (mean Earth radius 6371.0088 km): plate carrée
#: (EPSG:4326) keeps this scale along every meridian and along the equator.
KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360
_NS = uuid.UUID("5b0e4c1e-9a57-4c4e-8d43-2f1a7c0d0e01")

# --------------------------------------------------------------------------- titles

#: Titles of the result tables in the layers panel and the legend: what the layer is and
#: the unit of what its symbols show (layer kinds have theirs in `LayerRole.legend_title`).
_RESULT_TITLES: Mapping[str, str] = {
    "zone_allocations": "Zone allocations (kpe / $bn/yr)",
    "flows": "Flows (width: amount, kpe / $bn/yr)",
    "front_release": "Front release (size: military capacity released, kpe)",
    "ledger": "Ledger per ally ($bn/yr, kpe, share)",
}
#: The layer kind each result table with geometry is drawn over (as its own copy).
_RESULT_OVER: Mapping[str, str] = {
    "zone_allocations": LayerKind.PERIPHERAL_ZONES.value,
    "front_release": LayerKind.FRONTS.value,
}


def _schema_of(name: str) -> LayerSchema | None:
    return SCHEMAS[LayerKind(name)] if name in {k.value for k in LayerKind} else None


def layer_title(name: str) -> str:
    """Return the title of layer `name` in the project (its table name in words if unknown)."""
    schema = _schema_of(name)
    if schema is not None:
        return schema.role.legend_title
    return _RESULT_TITLES.get(name, name.replace("_", " ").capitalize())


# --------------------------------------------------------------------------- order


def _drawing_order() -> tuple[tuple[str, str], ...]:
    """
    Return ``(table, family)`` bottom to top, as on the HTML map and its panes: every fill
    in the kinds' `LayerRole.draw_order`, the flows, then every marker in that order; a
    result table right over the kind it copies (`_RESULT_OVER`).
    """
    tables: list[str] = []
    for kind in drawn_kinds():
        tables.append(kind)
        tables += [name for name, over in _RESULT_OVER.items() if over == kind]
    fills = [(t, "fill") for t in tables if "fill" in _kind_families(t)]
    markers = [(t, "marker") for t in tables if "marker" in _kind_families(t)]
    return (*fills, ("flows", "line"), *markers)


def _kind_families(table: str) -> set[str]:
    """The symbol families a kind's table (or a result table's kind) may hold."""
    schema = _schema_of(_RESULT_OVER.get(table, table))
    types = {t.removeprefix("Multi") for t in schema.geometry_types} if schema else set()
    return {fam for gtype, fam in (("Polygon", "fill"), ("Point", "marker")) if gtype in types}


_FAMILY_OGR = {"marker": "Point", "line": "LineString", "fill": "Polygon"}
_QGIS_GEOMETRY = {"marker": "Point", "line": "Line", "fill": "Polygon", None: "No geometry"}

# --------------------------------------------------------------------------- layers


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of the project: where its data is and how it is drawn."""

    id: str
    table: str
    title: str
    #: ``marker``, ``line``, ``fill`` or None for a table without geometry.
    family: str | None
    #: OGR type the table is stored with (``MultiPolygon``, ``Point``, ...), or None.
    wkb_type: str | None
    #: Source suffix selecting a geometry family of a mixed table (``|geometrytype=Point``).
    subset: str = ""
    visible: bool = True
    in_legend: bool = True
    #: QML of the layer's style (`redeploy.export.qgis_styles`), or None.
    qml: str | None = None
    map_tip: str = ""
    display_expression: str = ""
    labeling: ET.Element | None = field(default=None, compare=False)


def layer_id_of(table: str) -> str:
    """Return the project's id of the layer showing `table`.

    QGIS keeps a stored id only if it is longer than 10 characters (it takes shorter ones
    for legacy ids and makes new ones), hence the prefix.
    """
    return f"redeploy_{table}"


def _families(frame: pd.DataFrame) -> list[str]:
    geometry = getattr(frame, "geometry", None)
    if geometry is None or not hasattr(geometry, "geom_type"):
        return []
    kinds = {
        "Point": "marker",
        "MultiPoint": "marker",
        "LineString": "line",
        "MultiLineString": "line",
        "Polygon": "fill",
        "MultiPolygon": "fill",
    }
    return sorted({kinds[t] for t in geometry.dropna().geom_type.unique() if t in kinds})


def _family_of_type(geometry_type: str | None) -> str | None:
    family = (geometry_type or "").removeprefix("Multi")
    return {"Point": "marker", "LineString": "line", "Polygon": "fill"}.get(family)


def project_layers(
    frames: Mapping[str, pd.DataFrame],
    geometry_types: Mapping[str, str | None],
    styles: Mapping[str, str],
    *,
    run: tuple[str, str] | None = None,
) -> list[ProjectLayer]:
    """
    Return the project's layers, bottom to top, from the tables written to the GeoPackage.

    Parameters
    ----------
    frames
        The tables as written, keyed by table name.
    geometry_types
        OGR geometry type each table is stored with (``Point``, ``MultiPolygon``,
        ``Unknown`` for a table mixing families, None for an attributes table).
    styles
        Stored QML per table (``layer_styles``); a mixed table gets one style per family.
    run
        ``(scenario, run id)`` of the results, named in map tips and the layout title.
    """
    present = set(frames)
    slots: list[tuple[str, str | None, str | None]] = []  # (table, family, wkb_type)
    for name, frame in frames.items():
        gtype = geometry_types.get(name)
        if gtype is None:
            slots.append((name, None, None))
        elif gtype == "Unknown":
            slots += [(name, fam, _FAMILY_OGR[fam]) for fam in _families(frame)]
        else:
            fam = _family_of_type(gtype)
            if fam is not None:
                slots.append((name, fam, gtype))
    order = _drawing_order()
    rank = {key: i for i, key in enumerate(order)}
    fallback = {
        "fill": rank[("zone_allocations", "fill")] + 0.5,
        "line": rank[("flows", "line")] + 0.5,
        "marker": len(order) + 0.5,
    }

    def position(slot: tuple[str, str | None, str | None]) -> float:
        name, fam, _ = slot
        if fam is None:
            return -1.0  # attribute tables first (bottom of the panel)
        return rank.get((name, fam), fallback[fam])

    slots.sort(key=position)  # stable: unknown layers keep their order
    out = []
    for name, fam, wkb in slots:
        mixed = geometry_types.get(name) == "Unknown"
        frame = frames[name]
        qml = styles.get(name) if not mixed else _family_style(name, frame, fam)
        layer_id = layer_id_of(name) + (f"_{_FAMILY_OGR[fam].lower()}" if mixed and fam else "")
        title = layer_title(name)
        if mixed:  # only the points are sized by the key figure
            title = f"{title} – points" if fam == "marker" else (f"{title.split(' (')[0]} (areas)")
        # Of a result table and the kind it copies, one is shown at first: the allocations
        # rather than the bare zones, the fronts rather than their release.
        visible = fam is not None and not (
            (name == "peripheral_zones" and "zone_allocations" in present)
            or (name == "front_release" and "fronts" in present)
        )
        schema = _schema_of(name)
        out.append(
            ProjectLayer(
                id=layer_id,
                table=name,
                title=title,
                family=fam,
                wkb_type=wkb,
                subset=f"|geometrytype={_FAMILY_OGR[fam]}" if mixed and fam else "",
                visible=visible,
                in_legend=fam is not None and visible and not (schema and schema.role.backdrop),
                qml=qml,
                map_tip=map_tip(name, frame, run=run, present=present) if fam else "",
                display_expression='"name"' if "name" in frame.columns else '"id"',
                labeling=labeling_for(name, frame),
            )
        )
    return out


def _family_style(name: str, frame: pd.DataFrame, fam: str | None) -> str | None:
    """Style one geometry family of a mixed table as its own layer."""
    if fam is None:
        return None
    kinds = frame.geometry.geom_type.str.removeprefix("Multi").map(
        {"Point": "marker", "LineString": "line", "Polygon": "fill"}
    )
    part = frame[(kinds == fam).to_numpy()]
    style = style_for_layer(name, part, geometry_type=_FAMILY_OGR[fam])
    return style.qml if style is not None else None


# --------------------------------------------------------------------------- map tips

#: Map-tip labels that say more than the map's popups (`ColumnSpec.label`): QGIS shows the
#: raw figure, so the unit goes into the label.
_LABEL_OVERRIDES: Mapping[str, str] = {"defense_pct_gdp": "Defense spending (% of GDP)"}
#: What one feature of a result table is, for the map tip's second line (layer kinds have
#: theirs in `LayerRole.noun`).
_RESULT_NOUNS: Mapping[str, str] = {
    "zone_allocations": "Peripheral zone (allocation)",
    "front_release": "Front (release)",
}
_UNIT_DECIMALS = {
    "persons": 0,
    "1-5": 0,
    "%": 1,
    "index": 2,
    "kpe": 1,
    "$bn/yr": 2,
    "$bn-eq/yr": 2,
    "mb/d": 1,
    "km": 0,
    "transits/yr": 0,
}


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _s(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _esc(expression: str) -> str:
    """QGIS expression: `expression` as text, HTML-escaped (the popups escape text too)."""
    return (
        f"replace(to_string({expression}), array('&', '<', '>', '\"'), "
        "array('&amp;', '&lt;', '&gt;', '&quot;'))"
    )


def value_expression(expression: str, unit: str) -> str:
    """QGIS expression formatting a number with its unit (NULL stays NULL)."""
    places = _UNIT_DECIMALS.get(unit, 2)
    number = f"format_number({expression}, {places})"
    if unit in ("$bn/yr", "$bn"):
        return f"'$' || {number} || {_s(unit[1:])}"
    if unit == "%":
        return f"{number} || '%'"
    if unit == "1-5":
        return f"{number} || ' of 5'"
    if unit in ("", "index", "see unit", "share"):
        return number
    return f"{number} || {_s(' ' + unit)}"


def _column_rows(layer: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(label, expression) of the popup rows of an input layer: its scalar columns."""
    schema = _schema_of(layer)
    if schema is None:
        return []
    rows = []
    for name in schema.scalar_columns:
        spec = schema.columns[name]
        if name not in frame.columns:
            continue
        label = _LABEL_OVERRIDES.get(name) or column_label(schema, name)
        if spec.dtype in ("float", "int"):
            expr = value_expression(_q(name), spec.unit)
            if spec.unit_column and spec.unit_column in frame.columns:
                expr = f"{expr} || ' ' || {_esc(_q(spec.unit_column))}"
        else:
            expr = _esc(f"replace({_q(name)}, ';', ', ')")
        rows.append((label, expr))
    return rows


def _sum(columns: Sequence[str], source: str = "") -> str:
    def get(column: str) -> str:
        if source:
            return f"coalesce(attribute({source}, {_s(column)}), 0)"
        return f"coalesce({_q(column)}, 0)"

    return "(" + " + ".join(get(c) for c in columns) + ")"


def _result_rows(layer: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    cols = set(frame.columns)
    rows: list[tuple[str, str]] = []
    if layer == "zone_allocations":
        for label, col in (("Region", "region"), ("U.S. access", "access")):
            if col in cols:
                rows.append((label, _esc(_q(col))))
        if "alloc_military" in cols:
            rows.append(
                ("Military capacity allocated", value_expression(_q("alloc_military"), "kpe"))
            )
        for asset in ASSETS:
            col = f"alloc_{asset}"
            if col in cols:
                rows.append((f"– {asset}", value_expression(_q(col), ASSET_UNITS[asset])))
        if "value" in cols:
            rows.append(("Strategic value gained", value_expression(_q("value"), "$bn-eq/yr")))
    elif layer == "front_release":
        if "theater" in cols:
            rows.append(("Theater", _esc(_q("theater"))))
        for prefix, what in (("freed", "Freed"), ("released", "Released")):
            mil = [f"{prefix}_{a}" for a in MILITARY_ASSETS if f"{prefix}_{a}" in cols]
            if mil:
                rows.append((f"{what}, military", value_expression(_sum(mil), "kpe")))
            if f"{prefix}_engagement" in cols:
                rows.append(
                    (f"{what}, engagement", value_expression(_q(f"{prefix}_engagement"), "$bn/yr"))
                )
        if "risk" in cols:
            rows.append(("Risk incurred", value_expression(_q("risk"), "$bn-eq/yr")))
    elif layer == "flows":
        if {"amount", "unit"} <= cols:
            rows.append(
                ("Amount", f"format_number({_q('amount')}, 2) || ' ' || {_esc(_q('unit'))}")
            )
        if "distance_km" in cols:
            rows.append(("Distance", value_expression(_q("distance_km"), "km")))
        if "cost" in cols:
            rows.append(("Transit cost", value_expression(_q("cost"), "$bn-eq/yr")))
    return rows


def _front_model_rows(present: set[str]) -> list[tuple[str, str]]:
    if "front_release" not in present:
        return []
    ref = f"get_feature({_s(layer_id_of('front_release'))}, 'id', \"id\")"
    freed = _sum([f"freed_{a}" for a in MILITARY_ASSETS], ref)
    released = _sum([f"released_{a}" for a in MILITARY_ASSETS], ref)
    return [
        ("Military capacity freed (model)", value_expression(freed, "kpe")),
        ("Military capacity released (model)", value_expression(released, "kpe")),
    ]


def _name_of(layer: str, key: str) -> str:
    return (
        f"coalesce(attribute(get_feature({_s(layer_id_of(layer))}, 'id', {_q(key)}), "
        "'name'), "
        f"{_q(key)})"
    )


def map_tip(
    layer: str,
    frame: pd.DataFrame,
    *,
    run: tuple[str, str] | None = None,
    present: set[str] | frozenset[str] = frozenset(),
) -> str:
    """
    Return the HTML map tip template of a layer: title, kind line, key figures, source.

    Values are QGIS expressions between ``[% %]``, formatted with their units; text taken
    from the data is HTML-escaped, as the HTML map's popups insert it as text.
    """
    cols = set(frame.columns)
    model = f"redeploy {__version__} model"
    if run is not None:
        model += f", scenario {run[0]}, run {run[1][:12]}"
    if layer == "flows":
        title = (
            f"[% {_esc(_name_of('fronts', 'front_id'))} %] → "
            f"[% {_esc(_name_of('peripheral_zones', 'zone_id'))} %]"
        )
        kind = (
            "[% "
            + _esc(_q("asset"))
            + " %] flow"
            + (" · [% " + _esc("replace(\"mode\", '_', ' ')") + " %]" if "mode" in cols else "")
        )
        rows = _result_rows(layer, frame)
        source = html.escape(f"Source: {model}")
    else:
        title = "[% " + _esc(_q("name") if "name" in cols else _q("id")) + " %]"
        schema = _schema_of(layer)
        kind_title = (
            schema.role.noun
            if schema
            else _RESULT_NOUNS.get(layer, layer_title(layer).split(" (")[0])
        )
        kind = html.escape(kind_title) + (" · [% " + _esc(_q("id")) + " %]" if "id" in cols else "")
        if layer in ("zone_allocations", "front_release"):
            rows = _result_rows(layer, frame)
            source = html.escape(f"Source: {model}")
        else:
            rows = _column_rows(layer, frame)
            if layer == "fronts":
                rows += _front_model_rows(set(present))
            source = "Source: " + (
                f"[% {_esc(_q('source'))} %]" if "source" in cols else "not given"
            )
            if "source_year" in cols:
                source += (
                    "[% if(\"source_year\" IS NULL, '', ' (' || "
                    "to_string(\"source_year\") || ')') %]"
                )
            if "confidence" in cols:
                source += " · [% " + _esc(_q("confidence")) + " %]"
            if layer == "fronts" and "front_release" in present:
                source += html.escape(f"; model figures: {model}")
    lines = [
        '<div style="font-family:sans-serif;font-size:9pt;max-width:360px">',
        f'<div style="font-weight:bold;font-size:10pt">{title}</div>',
        f'<div style="color:#5b6673">{kind}</div>',
    ]
    if rows:
        lines.append('<table style="border-collapse:collapse;margin:3px 0">')
        for label, expr in rows:
            lines.append(
                f'<tr><th style="text-align:left;font-weight:normal;color:#5b6673;'
                f'padding-right:8px">{html.escape(label, quote=False)}</th>'
                f"<td style=\"text-align:right\">[% coalesce({expr}, '–') %]</td></tr>"
            )
        lines.append("</table>")
    lines.append(
        f'<div style="color:#5b6673;font-size:8pt;border-top:1px solid #e3e6ea">{source}</div>'
    )
    lines.append("</div>")
    return "\n".join(lines)


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelStyle:
    """What a layer's labels show and how they look."""

    text: str
    is_expression: bool
    color: str
    size: float = 8.0
    bold: bool = False
    italic: bool = False
    #: QgsPalLayerSettings placement: 6 = cartographic (around a point), 1 = offset from
    #: a polygon's centroid.
    placement: int = 6
    #: Label priority, 0 to 10: fronts win over chokepoints over zones.
    priority: int = 5
    z_index: float = 0.0
    #: Only features matching this filter get a label (rule-based labeling).
    rule: str = ""
    description: str = ""


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


_ZONE_LABEL = (
    "\"name\" || '\\n' || format_number(coalesce(\"alloc_military\", 0), 1) || ' kpe'"
    " || if(coalesce(\"alloc_engagement\", 0) > 0, ' · $' || "
    "format_number(\"alloc_engagement\", 2) || 'bn/yr', '')"
)
#: Zones that receive something: the rule of the zone labels.
RECEIVING_ZONES = '"alloc_total" > 0'


def label_styles() -> dict[str, LabelStyle]:
    """Return the label style of each labelled layer (fronts, zone allocations, chokepoints)."""
    return {
        "fronts": LabelStyle(
            '"name"', False, layer_color("fronts"), size=8.5, bold=True, priority=9, z_index=2
        ),
        "chokepoints": LabelStyle(
            '"name"',
            False,
            layer_color("chokepoints"),
            size=7.5,
            italic=True,
            priority=7,
            z_index=1,
        ),
        "zone_allocations": LabelStyle(
            _ZONE_LABEL,
            True,
            "#17403b",
            size=7.5,
            placement=1,
            priority=5,
            rule=RECEIVING_ZONES,
            description="Receiving zones (allocation > 0)",
        ),
    }


def _label_settings(parent: ET.Element, style: LabelStyle) -> ET.Element:
    settings = ET.SubElement(parent, "settings", {"calloutType": "simple"})
    text = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": style.text.strip('"') if not style.is_expression else style.text,
            "isExpression": "1" if style.is_expression else "0",
            "fontFamily": "Sans Serif",
            "namedStyle": "Bold" if style.bold else ("Italic" if style.italic else "Regular"),
            "fontSize": format(style.size, "g"),
            "fontSizeUnit": "Point",
            "fontSizeMapUnitScale": "3x:0,0,0,0,0,0",
            "fontWeight": "75" if style.bold else "50",
            "fontItalic": "1" if style.italic else "0",
            "fontUnderline": "0",
            "fontStrikeout": "0",
            "fontKerning": "1",
            "fontLetterSpacing": "0",
            "fontWordSpacing": "0",
            "textColor": _rgba(style.color),
            "textOpacity": "1",
            "textOrientation": "horizontal",
            "multilineHeight": "1",
            "capitalization": "0",
            "allowHtml": "0",
            "blendMode": "0",
            "useSubstitutions": "0",
            "previewBkgrdColor": "255,255,255,255",
            "legendString": "Aa",
        },
    )
    ET.SubElement(
        text,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "0.7",
            "bufferSizeUnits": "MM",
            "bufferSizeMapUnitScale": "3x:0,0,0,0,0,0",
            "bufferColor": "255,255,255,255",
            "bufferOpacity": "0.85",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
            "bufferBlendMode": "0",
        },
    )
    ET.SubElement(
        settings,
        "text-format",
        {
            "wrapChar": "",
            "autoWrapLength": "0",
            "useMaxLineLengthForAutoWrap": "1",
            "multilineAlign": "3",
            "formatNumbers": "0",
            "decimals": "3",
            "plussign": "0",
            "addDirectionSymbol": "0",
            "leftDirectionSymbol": "<",
            "rightDirectionSymbol": ">",
            "reverseDirectionSymbol": "0",
            "placeDirectionSymbol": "0",
        },
    )
    ET.SubElement(
        settings,
        "placement",
        {
            "placement": str(style.placement),
            "placementFlags": "10",
            "predefinedPositionOrder": "TR,TL,BR,BL,R,L,TSR,BSR",
            "quadOffset": "4",
            "dist": "1" if style.placement == 6 else "0",
            "distUnits": "MM",
            "distMapUnitScale": "3x:0,0,0,0,0,0",
            "offsetType": "0",
            "xOffset": "0",
            "yOffset": "0",
            "offsetUnits": "MM",
            "labelOffsetMapUnitScale": "3x:0,0,0,0,0,0",
            "rotationAngle": "0",
            "preserveRotation": "1",
            "centroidWhole": "0",
            "centroidInside": "1",
            "fitInPolygonOnly": "0",
            "polygonPlacementFlags": "2",
            "priority": str(style.priority),
            "repeatDistance": "0",
            "repeatDistanceUnits": "MM",
            "maxCurvedCharAngleIn": "25",
            "maxCurvedCharAngleOut": "-25",
            "overrunDistance": "0",
            "overrunDistanceUnit": "MM",
            "lineAnchorPercent": "0.5",
            "lineAnchorType": "0",
            "lineAnchorClipping": "0",
            "geometryGeneratorEnabled": "0",
            "geometryGenerator": "",
            "geometryGeneratorType": "PointGeometry",
            "layerType": "UnknownGeometry",
        },
    )
    # displayAll = 0: QGIS drops labels that would overlap (its default, non-overlapping)
    ET.SubElement(
        settings,
        "rendering",
        {
            "drawLabels": "1",
            "displayAll": "0",
            "obstacle": "1",
            "obstacleFactor": "1",
            "obstacleType": "1",
            "zIndex": format(style.z_index, "g"),
            "labelPerPart": "0",
            "mergeLines": "0",
            "upsidedownLabels": "0",
            "limitNumLabels": "0",
            "maxNumLabels": "2000",
            "minFeatureSize": "0",
            "scaleVisibility": "0",
            "scaleMin": "0",
            "scaleMax": "0",
            "fontLimitPixelSize": "0",
            "fontMinPixelSize": "3",
            "fontMaxPixelSize": "10000",
            "unplacedVisibility": "0",
        },
    )
    return settings


def labeling_for(layer: str, frame: pd.DataFrame) -> ET.Element | None:
    """Return the ``<labeling>`` element of a layer, or None when it is not labelled."""
    style = label_styles().get(layer)
    needed = {"name"} | ({"alloc_total"} if style and style.rule else set())
    if style is None or not needed <= set(frame.columns):
        return None
    if not style.rule:
        labeling = ET.Element("labeling", {"type": "simple"})
        _label_settings(labeling, style)
        return labeling
    labeling = ET.Element("labeling", {"type": "rule-based"})
    rules = ET.SubElement(labeling, "rules", {"key": _uuid(f"{layer}/labels")})
    rule = ET.SubElement(
        rules,
        "rule",
        {"key": _uuid(f"{layer}/labels/0"), "filter": style.rule, "description": style.description},
    )
    _label_settings(rule, style)
    return labeling


# --------------------------------------------------------------------------- XML pieces


def _uuid(name: str) -> str:
    return "{" + str(uuid.uuid5(_NS, name)) + "}"


def _text(
    parent: ET.Element, tag: str, text: str, attrs: Mapping[str, str] | None = None
) -> ET.Element:
    el = ET.SubElement(parent, tag, dict(attrs or {}))
    el.text = text
    return el


def _srs(parent: ET.Element) -> None:
    """EPSG:4326 as QGIS writes it; QGIS reads it back by ``authid`` (``srsid`` 3452)."""
    srs = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (
        ("wkt", ""),
        ("proj4", "+proj=longlat +datum=WGS84 +no_defs"),
        ("srsid", "3452"),
        ("srid", "4326"),
        ("authid", "EPSG:4326"),
        ("description", "WGS 84"),
        ("projectionacronym", "longlat"),
        ("ellipsoidacronym", "EPSG:7030"),
        ("geographicflag", "true"),
    ):
        _text(srs, tag, text)


def _empty_options(parent: ET.Element, tag: str) -> None:
    holder = ET.SubElement(parent, tag)
    top = ET.SubElement(holder, "Option", {"type": "Map"})
    ET.SubElement(top, "Option", {"type": "QString", "name": "name", "value": ""})
    ET.SubElement(top, "Option", {"name": "properties"})
    ET.SubElement(top, "Option", {"type": "QString", "name": "type", "value": "collection"})


def _source(layer: ProjectLayer, file_name: str) -> str:
    return f"./{file_name}|layername={layer.table}{layer.subset}"


def _maplayer(parent: ET.Element, layer: ProjectLayer, file_name: str) -> None:
    style = ET.fromstring(layer.qml) if layer.qml else None
    el = ET.SubElement(
        parent,
        "maplayer",
        {
            "type": "vector",
            "geometry": _QGIS_GEOMETRY[layer.family],
            "wkbType": layer.wkb_type or "NoGeometry",
            "labelsEnabled": "1" if layer.labeling is not None else "0",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
            "readOnly": "0",
            "autoRefreshEnabled": "0",
            "autoRefreshTime": "0",
            "refreshOnNotifyEnabled": "0",
            "refreshOnNotifyMessage": "",
            "simplifyDrawingHints": "1",
            "simplifyDrawingTol": "1",
            "simplifyLocal": "1",
            "simplifyAlgorithm": "0",
            "simplifyMaxScale": "1",
            "symbologyReferenceScale": "-1",
            "styleCategories": "AllStyleCategories",
            "legendPlaceholderImage": "",
        },
    )
    _text(el, "id", layer.id)
    _text(el, "datasource", _source(layer, file_name))
    _text(el, "layername", layer.title)
    srs = ET.SubElement(el, "srs")
    _srs(srs)
    _text(el, "provider", "ogr", {"encoding": "UTF-8"})
    if style is not None:
        renderer = style.find("renderer-v2")
        if renderer is not None:
            el.append(renderer)
    if layer.labeling is not None:
        el.append(layer.labeling)
    _text(el, "blendMode", "0")
    _text(el, "featureBlendMode", "0")
    _text(el, "layerOpacity", "1")
    ET.SubElement(el, "legend", {"type": "default-vector", "showLabelLegend": "0"})
    aliases = style.find("aliases") if style is not None else None
    if aliases is not None:
        el.append(aliases)
    _text(el, "previewExpression", layer.display_expression)
    _text(el, "mapTip", layer.map_tip)
    if layer.family is not None:
        _text(el, "layerGeometryType", {"marker": "0", "line": "1", "fill": "2"}[layer.family])


def _tree_layer(
    parent: ET.Element, layer: ProjectLayer, file_name: str, *, legend_label: str | None = None
) -> None:
    node = ET.SubElement(
        parent,
        "layer-tree-layer",
        {
            "id": layer.id,
            "name": layer.title,
            "source": _source(layer, file_name),
            "providerKey": "ogr",
            "checked": "Qt::Checked" if layer.visible else "Qt::Unchecked",
            "expanded": "1" if layer.family in ("fill", "line") and layer.visible else "0",
            "legend_exp": "",
            "legend_split_behavior": "0",
            "patch_size": "-1,-1",
        },
    )
    props = ET.SubElement(node, "customproperties")
    if legend_label is None:
        ET.SubElement(props, "Option")
    else:  # the text a layout legend shows instead of the layer's name
        option = ET.SubElement(props, "Option", {"type": "Map"})
        ET.SubElement(
            option,
            "Option",
            {"type": "QString", "name": "legend/title-label", "value": legend_label},
        )


def _extent(el: ET.Element, box: Sequence[float]) -> None:
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        _text(el, tag, _num(value))


def _num(x: float) -> str:
    return format(round(float(x), 6), ".10g")


def _property(parent: ET.Element, path: str, value: str, kind: str = "QString") -> None:
    """Append a project property ``<A><B type=...>value</B></A>`` (one level of nesting)."""
    head, _, tail = path.partition("/")
    group = parent.find(head)
    if group is None:
        group = ET.SubElement(parent, head)
    _text(group, tail, value, {"type": kind})


# --------------------------------------------------------------------------- extent


def data_extent(frames: Mapping[str, pd.DataFrame]) -> tuple[float, float, float, float]:
    """Return the lon/lat box the map opens on: the data layers, as the HTML map frames them."""
    boxes = []
    # Every table with geometry but the backdrop kinds (the basemap) frames the view.
    for name, frame in frames.items():
        schema = _schema_of(name)
        if schema is not None and schema.role.backdrop:
            continue
        geometry = getattr(frame, "geometry", None)
        if geometry is None or not hasattr(geometry, "total_bounds"):
            continue
        if geometry.notna().sum() == 0:
            continue
        b = geometry.total_bounds
        if all(math.isfinite(v) for v in b):
            boxes.append(b)
    if not boxes:
        return (-170.0, -55.0, 170.0, 72.0)
    xmin = min(b[0] for b in boxes)
    ymin = max(min(b[1] for b in boxes), -75.0)
    xmax = max(b[2] for b in boxes)
    ymax = min(max(b[3] for b in boxes), 80.0)
    return (xmin, ymin, xmax, ymax)


def fit_extent(
    box: Sequence[float], width_mm: float, height_mm: float, *, margin: float = 0.06
) -> tuple[float, float, float, float]:
    """Pad `box` and widen it to the aspect ratio of a `width_mm` x `height_mm` frame."""
    xmin, ymin, xmax, ymax = box
    w = max(xmax - xmin, 1.0) * (1 + 2 * margin)
    h = max(ymax - ymin, 1.0) * (1 + 2 * margin)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    aspect = width_mm / height_mm
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return (round(cx - w / 2, 4), round(cy - h / 2, 4), round(cx + w / 2, 4), round(cy + h / 2, 4))


# --------------------------------------------------------------------------- layout

#: A4 landscape, millimetres.
PAGE = (297.0, 210.0)
#: The map frame (x, y, width, height): the page's width, about the 2:1 of a world map in
#: plate carrée; the legend, the scale bar and the notes sit below it.
_MAP_BOX = (10.0, 17.0, 277.0, 138.0)
_ITEM_TYPES = {
    "page": "65638",
    "map": "65639",
    "label": "65641",
    "legend": "65642",
    "scalebar": "65646",
}


def _item(
    parent: ET.Element,
    kind: str,
    key: str,
    *,
    pos: tuple[float, float],
    size: tuple[float, float],
    z: int,
    frame: bool = False,
    background: bool = False,
    **attrs: str,
) -> ET.Element:
    uid = _uuid(f"layout/{key}")
    el = ET.SubElement(
        parent,
        "LayoutItem",
        {
            "type": _ITEM_TYPES[kind],
            "id": key,
            "uuid": uid,
            "templateUuid": uid,
            "position": f"{_num(pos[0])},{_num(pos[1])},mm",
            "positionOnPage": f"{_num(pos[0])},{_num(pos[1])},mm",
            "size": f"{_num(size[0])},{_num(size[1])},mm",
            "referencePoint": "0",
            "zValue": str(z),
            "visibility": "1",
            "positionLock": "false",
            "itemRotation": "0",
            "frame": "true" if frame else "false",
            "frameJoinStyle": "miter",
            "outlineWidthM": "0.3,mm",
            "background": "true" if background else "false",
            "blendMode": "0",
            "opacity": "1",
            "excludeFromExports": "0",
            "groupUuid": "",
            **attrs,
        },
    )
    ET.SubElement(el, "FrameColor", {"red": "154", "green": "163", "blue": "173", "alpha": "255"})
    ET.SubElement(
        el, "BackgroundColor", {"red": "255", "green": "255", "blue": "255", "alpha": "255"}
    )
    obj = ET.SubElement(el, "LayoutObject")
    _empty_options(obj, "dataDefinedProperties")
    props = ET.SubElement(obj, "customproperties")
    ET.SubElement(props, "Option")
    return el


def _font(size: float, *, bold: bool = False) -> str:
    # QFont::toString of Qt 5: family, point size, pixel size, style hint, weight, italic, ...
    return f"Sans Serif,{format(size, 'g')},-1,5,{75 if bold else 50},0,0,0,0,0"


def _label_item(
    parent: ET.Element,
    key: str,
    text: str,
    *,
    pos: tuple[float, float],
    size: tuple[float, float],
    z: int,
    font_size: float,
    bold: bool = False,
    color: tuple[int, int, int] = (0, 0, 0),
) -> None:
    el = _item(
        parent,
        "label",
        key,
        pos=pos,
        size=size,
        z=z,
        labelText=text,
        htmlState="0",
        halign="1",
        valign="32",
        marginX="0",
        marginY="0",
    )
    ET.SubElement(
        el,
        "LabelFont",
        {"description": _font(font_size, bold=bold), "style": "Bold" if bold else ""},
    )
    ET.SubElement(
        el,
        "FontColor",
        {"red": str(color[0]), "green": str(color[1]), "blue": str(color[2]), "alpha": "255"},
    )


def source_note() -> str:
    """Return the layout's source note."""
    return (
        f"Sources: see layer attributes; model: redeploy {__version__}. "
        "Countries: Natural Earth (public domain)."
    )


def _scale_segment_km(extent: Sequence[float]) -> float:
    """A round segment length (1-2-5 x 10^n km) about a sixth of the map's width."""
    target = (extent[2] - extent[0]) * KM_PER_DEGREE / 8
    power = 10.0 ** math.floor(math.log10(target))
    return next(m * power for m in (5.0, 2.0, 1.0) if m * power <= target)


def _layout(
    parent: ET.Element,
    layers: Sequence[ProjectLayer],
    file_name: str,
    *,
    title: str,
    extent: Sequence[float],
) -> None:
    layouts = ET.SubElement(parent, "Layouts")
    lay = ET.SubElement(
        layouts,
        "Layout",
        {"name": LAYOUT_NAME, "units": "mm", "printResolution": "300", "worldFileMap": ""},
    )
    ET.SubElement(
        lay,
        "Snapper",
        {"tolerance": "5", "snapToGrid": "0", "snapToItems": "1", "snapToGuides": "1"},
    )
    ET.SubElement(
        lay,
        "Grid",
        {"resolution": "10", "resUnits": "mm", "offsetX": "0", "offsetY": "0", "offsetUnits": "mm"},
    )
    pages = ET.SubElement(lay, "PageCollection")
    _item(pages, "page", "page-1", pos=(0.0, 0.0), size=PAGE, z=0, background=True)
    ET.SubElement(pages, "GuideCollection", {"visible": "1"})

    x, y, w, h = _MAP_BOX
    map_uuid = _uuid("layout/map")
    _label_item(lay, "title", title, pos=(x, 6.0), size=(w, 9.0), z=1, font_size=15, bold=True)
    m = _item(
        lay,
        "map",
        "map",
        pos=(x, y),
        size=(w, h),
        z=2,
        frame=True,
        background=True,
        mapRotation="0",
        keepLayerSet="false",
        drawCanvasItems="true",
        mapFlags="0",
        followPreset="false",
        followPresetName="",
        labelMargin="0,mm",
        isTemporal="0",
    )
    ET.SubElement(
        m,
        "Extent",
        {
            "xmin": _num(extent[0]),
            "ymin": _num(extent[1]),
            "xmax": _num(extent[2]),
            "ymax": _num(extent[3]),
        },
    )
    crs = ET.SubElement(m, "crs")
    _srs(crs)
    ET.SubElement(m, "LayerSet")
    ET.SubElement(m, "AtlasMap", {"atlasDriven": "0", "scalingMode": "2", "margin": "0.1"})
    ET.SubElement(m, "labelBlockingItems")

    legend = _item(
        lay,
        "legend",
        "legend",
        pos=(x, y + h + 2),
        size=(190.0, 40.0),
        z=3,
        map_uuid=map_uuid,
        title="",
        titleAlignment="1",
        columnCount="3",
        splitLayer="0",
        equalColumnWidth="0",
        symbolWidth="6",
        symbolHeight="3.5",
        boxSpace="1.5",
        columnSpace="2",
        lineSpacing="0.5",
        wrapChar="|",
        resizeToContents="1",
        legendFilterByMap="0",
        legendFilterByAtlas="0",
        fontColor="#222222",
        rasterBorder="0",
        wmsLegendWidth="50",
        wmsLegendHeight="25",
    )
    styles = ET.SubElement(legend, "styles")
    for name, size, bold, top in (
        ("title", 10, True, 0),
        ("group", 8.5, True, 2),
        ("subgroup", 7.5, True, 2.5),
        ("symbol", 7, False, 1.2),
        ("symbolLabel", 7, False, 1.2),
    ):
        st = ET.SubElement(
            styles,
            "style",
            {
                "name": name,
                "alignment": "1",
                "marginTop": format(top, "g"),
                "indent": "0",
                "marginBottom": "1" if name == "title" else "0",
                "marginLeft": "1.5" if name == "symbolLabel" else "0",
            },
        )
        ET.SubElement(
            st,
            "styleFont",
            {"description": _font(size, bold=bold), "style": "Bold" if bold else ""},
        )
    tree = ET.SubElement(legend, "layer-tree-group")
    tree_props = ET.SubElement(tree, "customproperties")
    ET.SubElement(tree_props, "Option")
    for layer in reversed(layers):  # top of the map first, as in the layers panel
        if layer.in_legend:
            _tree_layer(tree, layer, file_name, legend_label=layer.title.replace(" (", "|(", 1))

    seg = _scale_segment_km(extent)
    bar_x = x + w - 82.0
    bar = _item(
        lay,
        "scalebar",
        "scalebar",
        pos=(bar_x, y + h + 3),
        size=(82.0, 10.0),
        z=4,
        mapUuid=map_uuid,
        style="Single Box",
        unitType="<unknown>",
        unitLabel="km",
        numMapUnitsPerScaleBarUnit=format(1 / KM_PER_DEGREE, ".12g"),
        # with map units (degrees) QGIS sizes segments in degrees and divides the
        # labels by numMapUnitsPerScaleBarUnit: segments of `seg` km, labelled in km
        numUnitsPerSegment=format(seg / KM_PER_DEGREE, ".12g"),
        numSegments="2",
        numSegmentsLeft="0",
        numSubdivisions="1",
        subdivisionsHeight="1.5",
        segmentSizeMode="0",
        segmentMillimeters=_num(seg / KM_PER_DEGREE / (extent[2] - extent[0]) * w),
        minBarWidth="50",
        maxBarWidth="150",
        height="2.5",
        labelBarSpace="2",
        boxContentSpace="1",
        alignment="0",
        labelVerticalPlacement="0",
        labelHorizontalPlacement="0",
        outlineWidth="0.3",
        lineJoinStyle="miter",
        lineCapStyle="square",
    )
    ET.SubElement(
        bar,
        "text-style",
        {
            "fontFamily": "Sans Serif",
            "fontSize": "7",
            "fontSizeUnit": "Point",
            "textColor": "0,0,0,255",
            "textOpacity": "1",
            "fontWeight": "50",
            "namedStyle": "Regular",
            "multilineHeight": "1",
        },
    )
    _label_item(
        lay,
        "scale-note",
        "Plate carrée (EPSG:4326): the scale bar holds along meridians and the equator only.",
        pos=(bar_x, y + h + 15),
        size=(82.0, 8.0),
        z=5,
        font_size=6.5,
        color=(91, 102, 115),
    )
    _label_item(
        lay,
        "source-note",
        source_note(),
        pos=(x, PAGE[1] - 9.0),
        size=(w, 5.0),
        z=6,
        font_size=7.5,
        color=(60, 60, 60),
    )
    props = ET.SubElement(lay, "customproperties")
    opt = ET.SubElement(props, "Option", {"type": "Map"})
    ET.SubElement(opt, "Option", {"type": "bool", "name": "singleFile", "value": "true"})
    ET.SubElement(
        lay,
        "Atlas",
        {
            "enabled": "0",
            "coverageLayer": "",
            "hideCoverage": "0",
            "filenamePattern": "'output_'||@atlas_featurenumber",
            "pageNameExpression": "",
            "sortFeatures": "0",
            "filterFeatures": "0",
        },
    )


# --------------------------------------------------------------------------- project


def project_title(run: tuple[str, str] | None) -> str:
    """Return the project's (and the layout's) title."""
    if run is None:
        return "redeploy: input layers"
    return f"redeploy: scenario {run[0]}, run {run[1][:12]}"


_ABSTRACT = (
    "Layers and results of redeploy, styled and ordered as on its HTML map; layer "
    "sources are relative to this GeoPackage."
)


def project_xml(
    layers: Sequence[ProjectLayer],
    *,
    file_name: str,
    title: str,
    extent: Sequence[float],
    stamp: str,
    abstract: str = "",
) -> bytes:
    """
    Return the project file (``.qgs`` XML, UTF-8) for `layers`, bottom to top.

    Parameters
    ----------
    layers
        From `project_layers`.
    file_name
        The GeoPackage's file name; layer sources are ``./<file_name>|layername=<table>``.
    title
        Project and layout title.
    extent
        Lon/lat box the canvas and the layout's map show.
    stamp
        ISO timestamp written as the save date (the export's fixed timestamp).
    abstract
        The project's description (Project > Properties > Metadata).
    """
    when = stamp.rstrip("Z").split(".")[0]
    root = ET.Element(
        "qgis",
        {
            "version": QGIS_VERSION,
            "projectname": title,
            "saveDateTime": when,
            "saveUser": _USER,
            "saveUserFull": _USER,
        },
    )
    ET.SubElement(root, "homePath", {"path": ""})
    _text(root, "title", title)
    ET.SubElement(root, "autotransaction", {"active": "0"})
    ET.SubElement(root, "evaluateDefaultValues", {"active": "0"})
    ET.SubElement(root, "trust", {"active": "0"})
    crs = ET.SubElement(root, "projectCrs")
    _srs(crs)

    tree = ET.SubElement(root, "layer-tree-group")
    tree_props = ET.SubElement(tree, "customproperties")
    ET.SubElement(tree_props, "Option")
    for layer in reversed(layers):  # the layers panel lists the top layer first
        _tree_layer(tree, layer, file_name)
    order = ET.SubElement(tree, "custom-order", {"enabled": "0"})
    for layer in layers:
        _text(order, "item", layer.id)

    canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
    _text(canvas, "units", "degrees")
    _extent(ET.SubElement(canvas, "extent"), extent)
    _text(canvas, "rotation", "0")
    dest = ET.SubElement(canvas, "destinationsrs")
    _srs(dest)
    _text(canvas, "rendermaptile", "0")

    project_layers_el = ET.SubElement(root, "projectlayers")
    for layer in layers:
        _maplayer(project_layers_el, layer, file_name)
    order_el = ET.SubElement(root, "layerorder")
    for layer in layers:
        ET.SubElement(order_el, "layer", {"id": layer.id})

    props = ET.SubElement(root, "properties")
    _property(props, "Paths/Absolute", "false", "bool")
    # QGIS 3.22 reads <projectCrs> only when ProjectionsEnabled is set
    _property(props, "SpatialRefSys/ProjectionsEnabled", "1", "int")
    _property(props, "SpatialRefSys/ProjectCrs", "EPSG:4326")
    _property(props, "Measure/Ellipsoid", "EPSG:7030")
    _property(props, "Measurement/DistanceUnits", "km")
    _property(props, "Measurement/AreaUnits", "km2")
    _property(props, "PAL/DrawUnplaced", "false", "bool")
    _property(props, "PAL/ShowingAllLabels", "false", "bool")
    _property(props, "PAL/ShowingPartialsLabels", "true", "bool")
    _property(props, "PAL/PlacementEngineVersion", "1", "int")

    meta = ET.SubElement(root, "projectMetadata")
    for tag, text in (
        ("identifier", ""),
        ("parentidentifier", ""),
        ("language", "en"),
        ("type", "dataset"),
        ("title", title),
        ("abstract", abstract or _ABSTRACT),
    ):
        _text(meta, tag, text)
    ET.SubElement(meta, "links")
    _text(meta, "author", _USER)
    _text(meta, "creation", when)

    _layout(
        root,
        layers,
        file_name,
        title=title,
        extent=fit_extent(extent, _MAP_BOX[2], _MAP_BOX[3], margin=0.02),
    )
    view = ET.SubElement(root, "ProjectViewSettings", {"UseProjectScales": "0", "rotation": "0"})
    ET.SubElement(view, "Scales")
    default = ET.SubElement(
        view,
        "DefaultViewExtent",
        {
            "xmin": _num(extent[0]),
            "ymin": _num(extent[1]),
            "xmax": _num(extent[2]),
            "ymax": _num(extent[3]),
        },
    )
    _srs(default)
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n").encode(
        "utf-8"
    )


def _zip_date(stamp: str) -> tuple[int, int, int, int, int, int]:
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", stamp)
    parts = tuple(int(g) for g in m.groups()) if m else (1980, 1, 1, 0, 0, 0)
    return parts if parts[0] >= 1980 else (1980, 1, 1, 0, 0, 0)  # type: ignore[return-value]


def project_archive(xml: bytes, *, name: str, stamp: str) -> bytes:
    """Return the ``.qgz`` bytes: one deflated ``<name>.qgs`` entry with a fixed date."""
    info = zipfile.ZipInfo(f"{name}.qgs", date_time=_zip_date(stamp))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, whatever the platform, so the bytes do not depend on it
    info.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, xml, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def store_project(path: str | Path, archive: bytes, *, name: str, stamp: str) -> None:
    """
    Store a ``.qgz`` in the GeoPackage at `path` as QGIS does: a ``qgis_projects`` row.

    ``content`` is the archive as hexadecimal text (QGIS reads it with
    ``QByteArray::fromHex``), ``metadata`` the JSON object QGIS writes. An existing
    project of the same name is replaced.
    """
    metadata = json.dumps(
        {"last_modified_time": stamp.rstrip("Z").split(".")[0], "last_modified_user": _USER}
    )
    con = sqlite3.connect(path)
    try:
        with con:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (PROJECT_TABLE,)
            ).fetchone()
            if not exists:
                con.execute(_PROJECT_DDL)
            con.execute(
                "INSERT OR REPLACE INTO qgis_projects VALUES (?, ?, ?)",
                (name, metadata, archive.hex()),
            )
    finally:
        con.close()


def read_project_xml(path: str | Path, name: str | None = None) -> str:
    """Return the XML of the project stored in GeoPackage `path` (the first one by default)."""
    con = sqlite3.connect(path)
    try:
        if name is None:
            row = con.execute("SELECT content FROM qgis_projects ORDER BY name").fetchone()
        else:
            row = con.execute(
                "SELECT content FROM qgis_projects WHERE name = ?", (name,)
            ).fetchone()
    finally:
        con.close()
    if row is None:
        msg = f"{path}: no QGIS project {name or ''} stored".replace("  ", " ")
        raise LookupError(msg)
    content = row[0].decode() if isinstance(row[0], bytes) else row[0]
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(content))) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".qgs"))
        return archive.read(member).decode("utf-8")


def write_project(
    path: str | Path,
    frames: Mapping[str, pd.DataFrame],
    geometry_types: Mapping[str, str | None],
    styles: Mapping[str, str],
    *,
    file_name: str,
    name: str,
    stamp: str,
    run: tuple[str, str] | None = None,
) -> bytes:
    """
    Build the project of a GeoPackage's tables and store it in the package.

    Parameters
    ----------
    path
        The GeoPackage being written (possibly a temporary file).
    frames, geometry_types, styles
        As for `project_layers`.
    file_name
        The GeoPackage's final file name, which layer sources name.
    name
        Project name in ``qgis_projects`` (``?projectName=`` of the QGIS URI).
    stamp
        The export's fixed timestamp.
    run
        ``(scenario, run id)`` for the title and map tips.

    Returns
    -------
    bytes
        The project XML stored.
    """
    layers = project_layers(frames, geometry_types, styles, run=run)
    abstract = _ABSTRACT + (f" Scenario {run[0]}, run {run[1]}." if run else "")
    xml = project_xml(
        layers,
        file_name=file_name,
        title=project_title(run),
        extent=data_extent(frames),
        stamp=stamp,
        abstract=abstract,
    )
    store_project(
        path, project_archive(xml, name=_member_name(name), stamp=stamp), name=name, stamp=stamp
    )
    return xml


def _member_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "project"
