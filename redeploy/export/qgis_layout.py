"""The QGIS project's print layout (A4 landscape): title, map, legend, scale bar, notes."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from redeploy._version import __version__
from redeploy.export.qgis_common import (
    ProjectLayer,
    _empty_options,
    _num,
    _srs,
    _tree_layer,
    _uuid,
)

#: Name of the print layout.
LAYOUT_NAME = "redeploy map (A4 landscape)"


#: Kilometres per degree of a great circle (mean Earth radius 6371.0088 km): plate carrée
#: (EPSG:4326) keeps this scale along every meridian and along the equator.
KM_PER_DEGREE = 2 * math.pi * 6371.0088 / 360


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
    lay = _layout_element(parent)
    x, _, w, _ = _MAP_BOX
    map_uuid = _uuid("layout/map")
    _label_item(lay, "title", title, pos=(x, 6.0), size=(w, 9.0), z=1, font_size=15, bold=True)
    _map_item(lay, extent)
    _legend_item(lay, layers, file_name, map_uuid)
    _scale_bar(lay, extent, map_uuid)
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
    _layout_settings(lay)


def _layout_element(parent: ET.Element) -> ET.Element:
    """The ``<Layout>`` element with its snapping, grid and one A4 page."""
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
    return lay


def _map_item(lay: ET.Element, extent: Sequence[float]) -> None:
    """The map frame showing `extent`."""
    x, y, w, h = _MAP_BOX
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


def _legend_item(
    lay: ET.Element, layers: Sequence[ProjectLayer], file_name: str, map_uuid: str
) -> None:
    """The legend below the map: the layers shown in it, top of the map first."""
    x, y, _, h = _MAP_BOX
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


def _scale_bar(lay: ET.Element, extent: Sequence[float], map_uuid: str) -> None:
    """The scale bar (in km) and its note on plate carrée."""
    x, y, w, h = _MAP_BOX
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


def _layout_settings(lay: ET.Element) -> None:
    """Export as one file; no atlas."""
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
