"""Shared pieces of the QGIS project: layer ids and titles, `ProjectLayer`, XML helpers."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from redeploy.schemas import SCHEMAS, LayerKind, LayerSchema

#: The project's user, written where QGIS writes the login name.
_USER = "redeploy"


_NS = uuid.UUID("5b0e4c1e-9a57-4c4e-8d43-2f1a7c0d0e01")


#: Titles of the result tables in the layers panel and the legend: what the layer is and
#: the unit of what its symbols show (layer kinds have theirs in `LayerRole.legend_title`).
_RESULT_TITLES: Mapping[str, str] = {
    "zone_allocations": "Zone allocations (added, kpe / $bn/yr)",
    "flows": "Flows (width: amount, kpe / $bn/yr)",
    "front_release": "Front release (size: military capacity released, kpe)",
    "ledger": "Ledger per ally ($bn/yr, kpe, share)",
    "allies": "Allies per military class (kpe, $bn/yr, share)",
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


_FAMILY_OGR = {"marker": "Point", "line": "LineString", "fill": "Polygon"}


_QGIS_GEOMETRY = {"marker": "Point", "line": "Line", "fill": "Polygon", None: "No geometry"}


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


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


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
