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
- readable titles with units (`redeploy.export.qgis_common`), the layer's stored style
  (`redeploy.export.qgis_styles`), labels on fronts, receiving zones and chokepoints
  (`redeploy.export.qgis_labels`), and an HTML map tip mirroring the map's popups
  (`redeploy.export.qgis_maptips`);
- a print layout (A4 landscape): title, map, legend, scale bar and source note
  (`redeploy.export.qgis_layout`).

The project XML is deterministic: fixed layer ids and item uuids, attributes in a fixed
order, no clock; the zip entry carries the export's fixed timestamp.
"""

from __future__ import annotations

import io
import json
import math
import re
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from redeploy.export.qgis_common import (
    _FAMILY_OGR,
    _QGIS_GEOMETRY,
    _RESULT_OVER,
    _USER,
    ProjectLayer,
    _extent,
    _num,
    _property,
    _schema_of,
    _source,
    _srs,
    _text,
    _tree_layer,
    layer_id_of,
    layer_title,
)
from redeploy.export.qgis_labels import RECEIVING_ZONES, labeling_for
from redeploy.export.qgis_layout import _MAP_BOX, LAYOUT_NAME, _layout, fit_extent, source_note
from redeploy.export.qgis_maptips import map_tip
from redeploy.export.qgis_styles import QGIS_VERSION, style_for_layer
from redeploy.export.staging import connect_staged
from redeploy.schemas import drawn_kinds

__all__ = [
    "LAYOUT_NAME",
    "PROJECT_TABLE",
    "RECEIVING_ZONES",
    "ProjectLayer",
    "layer_id_of",
    "layer_title",
    "project_archive",
    "project_layers",
    "project_xml",
    "read_project_xml",
    "source_note",
    "store_project",
    "write_project",
]

#: Table QGIS keeps GeoPackage projects in (QgsGeoPackageProjectStorage), with its DDL.
PROJECT_TABLE = "qgis_projects"
_PROJECT_DDL = "CREATE TABLE qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"

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


# --------------------------------------------------------------------------- layers


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
    out = []
    for name, fam, wkb in _slots(frames, geometry_types):
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


def _slots(
    frames: Mapping[str, pd.DataFrame], geometry_types: Mapping[str, str | None]
) -> list[tuple[str, str | None, str | None]]:
    """``(table, family, wkb_type)`` of every layer to draw, bottom to top; a table mixing
    geometry families gives one layer per family, an attributes table one without."""
    slots: list[tuple[str, str | None, str | None]] = []
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

    return sorted(slots, key=position)  # stable: unknown layers keep their order


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


# --------------------------------------------------------------------------- XML pieces


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
    root = _root(title, when)
    ET.SubElement(root, "homePath", {"path": ""})
    _text(root, "title", title)
    ET.SubElement(root, "autotransaction", {"active": "0"})
    ET.SubElement(root, "evaluateDefaultValues", {"active": "0"})
    ET.SubElement(root, "trust", {"active": "0"})
    crs = ET.SubElement(root, "projectCrs")
    _srs(crs)

    _layer_tree(root, layers, file_name)
    _canvas(root, extent)
    project_layers_el = ET.SubElement(root, "projectlayers")
    for layer in layers:
        _maplayer(project_layers_el, layer, file_name)
    order_el = ET.SubElement(root, "layerorder")
    for layer in layers:
        ET.SubElement(order_el, "layer", {"id": layer.id})
    _properties(root)
    _metadata(root, title=title, abstract=abstract or _ABSTRACT, when=when)
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


def _root(title: str, when: str) -> ET.Element:
    attrs = {
        "version": QGIS_VERSION,
        "projectname": title,
        "saveDateTime": when,
        "saveUser": _USER,
        "saveUserFull": _USER,
    }
    return ET.Element("qgis", attrs)


def _layer_tree(root: ET.Element, layers: Sequence[ProjectLayer], file_name: str) -> None:
    tree = ET.SubElement(root, "layer-tree-group")
    tree_props = ET.SubElement(tree, "customproperties")
    ET.SubElement(tree_props, "Option")
    for layer in reversed(layers):  # the layers panel lists the top layer first
        _tree_layer(tree, layer, file_name)
    order = ET.SubElement(tree, "custom-order", {"enabled": "0"})
    for layer in layers:
        _text(order, "item", layer.id)


def _canvas(root: ET.Element, extent: Sequence[float]) -> None:
    canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
    _text(canvas, "units", "degrees")
    _extent(ET.SubElement(canvas, "extent"), extent)
    _text(canvas, "rotation", "0")
    dest = ET.SubElement(canvas, "destinationsrs")
    _srs(dest)
    _text(canvas, "rendermaptile", "0")


def _properties(root: ET.Element) -> None:
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


def _metadata(root: ET.Element, *, title: str, abstract: str, when: str) -> None:
    meta = ET.SubElement(root, "projectMetadata")
    for tag, text in (
        ("identifier", ""),
        ("parentidentifier", ""),
        ("language", "en"),
        ("type", "dataset"),
        ("title", title),
        ("abstract", abstract),
    ):
        _text(meta, tag, text)
    ET.SubElement(meta, "links")
    _text(meta, "author", _USER)
    _text(meta, "creation", when)


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
    con = connect_staged(path)
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
