"""QGIS labels: which layers are labelled (fronts, chokepoints, receiving zones) and how."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pandas as pd

from redeploy.export.qgis_common import _rgba, _uuid
from redeploy.export.qgis_styles import layer_color


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


#: A receiving zone's label: its name, then what the run adds (military kpe, engagement
#: $bn/yr), each only where it is more than nothing.
_ZONE_LABEL = (
    '"name" || if(coalesce("added_military", 0) > 0, '
    "'\\n+' || format_number(\"added_military\", 1) || ' kpe', '')"
    ' || if(coalesce("added_engagement", 0) > 0, '
    "if(coalesce(\"added_military\", 0) > 0, ' · ', '\\n') || "
    "'+$' || format_number(\"added_engagement\", 2) || 'bn/yr', '')"
)


#: Zones that receive something: the rule of the zone labels.
RECEIVING_ZONES = '"added_total" > 0'
_RULE_COLUMN = "added_total"


def label_styles() -> dict[str, LabelStyle]:
    """
    Return the label style of each labelled layer: fronts, chokepoints, sites (small, the
    first dropped where labels collide) and receiving zones.
    """
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
        "sites": LabelStyle('"name"', False, layer_color("sites"), size=6.5, priority=3, z_index=0),
        "zone_allocations": LabelStyle(
            _ZONE_LABEL,
            True,
            "#17403b",
            size=7.5,
            placement=1,
            priority=5,
            rule=RECEIVING_ZONES,
            description="Receiving zones (added > 0)",
        ),
    }


def _text_style(style: LabelStyle) -> dict[str, str]:
    return {
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
    }


#: The halo around label text: white, 0.7 mm.
_TEXT_BUFFER: dict[str, str] = {
    "bufferDraw": "1",
    "bufferSize": "0.7",
    "bufferSizeUnits": "MM",
    "bufferSizeMapUnitScale": "3x:0,0,0,0,0,0",
    "bufferColor": "255,255,255,255",
    "bufferOpacity": "0.85",
    "bufferNoFill": "1",
    "bufferJoinStyle": "128",
    "bufferBlendMode": "0",
}
_TEXT_FORMAT: dict[str, str] = {
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
}


def _placement(style: LabelStyle) -> dict[str, str]:
    return {
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
    }


def _rendering(style: LabelStyle) -> dict[str, str]:
    # displayAll = 0: QGIS drops labels that would overlap (its default, non-overlapping)
    return {
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
    }


def _label_settings(parent: ET.Element, style: LabelStyle) -> ET.Element:
    settings = ET.SubElement(parent, "settings", {"calloutType": "simple"})
    text = ET.SubElement(settings, "text-style", _text_style(style))
    ET.SubElement(text, "text-buffer", dict(_TEXT_BUFFER))
    ET.SubElement(settings, "text-format", dict(_TEXT_FORMAT))
    ET.SubElement(settings, "placement", _placement(style))
    ET.SubElement(settings, "rendering", _rendering(style))
    return settings


def labeling_for(layer: str, frame: pd.DataFrame) -> ET.Element | None:
    """Return the ``<labeling>`` element of a layer, or None when it is not labelled."""
    style = label_styles().get(layer)
    needed = {"name"} | ({_RULE_COLUMN} if style and style.rule else set())
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
