"""Open the QGIS project stored in a GeoPackage with headless QGIS and print a JSON report.

Run with Debian's ``/usr/bin/python3`` (which has PyQGIS), not the project's Python:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_project_check.py A.gpkg PNG_DIR

It lists the projects in the package (``QgsProject.projectStorageRegistry()``), opens the
first with ``QgsProject.read("geopackage:/abs/A.gpkg?projectName=NAME")`` as *Project >
Open From > GeoPackage* does, and reports the layer order, each layer's validity, title,
source, visibility, labels, legend labels and map tip (map tips and label texts filled for
each feature, keyed by its ``id``); then renders every print layout to
``PNG_DIR/<layout>.png`` and reports the image's size, distinct colours and the share of
non-white pixels. Only the standard library and PyQGIS, like ``tests/qgis_check.py``.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # QT_QPA_PLATFORM must be set before Qt loads
    Qgis,
    QgsApplication,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemScaleBar,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtGui import QImage

#: Features per layer whose map tip is filled (the test fixtures have a handful).
MAX_TIPS = 200


def _label_settings(settings) -> dict:
    fmt = settings.format()
    return {
        "field": settings.fieldName,
        "is_expression": bool(settings.isExpression),
        "placement": int(settings.placement),
        "display_all": bool(settings.displayAll),
        "priority": settings.priority,
        "font_size": fmt.size(),
        "buffer": fmt.buffer().enabled(),
        "color": fmt.color().name(),
    }


def _labels(layer: QgsVectorLayer) -> dict:
    labeling = layer.labeling()
    out: dict = {
        "enabled": layer.labelsEnabled(),
        "type": labeling.type() if labeling is not None else None,
    }
    if labeling is None:
        return out
    if labeling.type() == "simple":
        out["settings"] = [_label_settings(labeling.settings())]
        out["rules"] = []
    elif labeling.type() == "rule-based":
        rules = labeling.rootRule().children()
        out["rules"] = [r.filterExpression() for r in rules]
        out["settings"] = [_label_settings(r.settings()) for r in rules if r.settings()]
    return out


def _legend(layer: QgsVectorLayer) -> list[str]:
    renderer = layer.renderer()
    if renderer is None:
        return []
    return [item.label() for item in renderer.legendSymbolItems()]


def _image_stats(path: str) -> dict:
    image = QImage(path)
    width, height = image.width(), image.height()
    colors: set[int] = set()
    non_white = 0
    step = 2  # every other pixel in each direction: enough to count colours and ink
    sampled = 0
    for y in range(0, height, step):
        for x in range(0, width, step):
            rgb = image.pixel(x, y) & 0xFFFFFF
            colors.add(rgb)
            sampled += 1
            if rgb != 0xFFFFFF:
                non_white += 1
    return {
        "width": width,
        "height": height,
        "bytes": os.path.getsize(path),
        "distinct_colors": len(colors),
        "non_white_share": non_white / sampled if sampled else 0.0,
    }


def _layouts(project: QgsProject, png_dir: str) -> dict:
    out = {}
    for layout in project.layoutManager().printLayouts():
        items = layout.items()
        labels = [i.text() for i in items if isinstance(i, QgsLayoutItemLabel)]
        maps = [i for i in items if isinstance(i, QgsLayoutItemMap)]
        legends = [i for i in items if isinstance(i, QgsLayoutItemLegend)]
        bars = [i for i in items if isinstance(i, QgsLayoutItemScaleBar)]
        page = layout.pageCollection().page(0)
        size = page.pageSize()
        info = {
            "page_mm": [size.width(), size.height()],
            "labels": labels,
            "maps": len(maps),
            "map_extent": [
                maps[0].extent().xMinimum(),
                maps[0].extent().yMinimum(),
                maps[0].extent().xMaximum(),
                maps[0].extent().yMaximum(),
            ]
            if maps
            else None,
            "legends": len(legends),
            "legend_linked": bool(legends and legends[0].linkedMap() is not None),
            "legend_layers": [n.name() for n in legends[0].model().rootGroup().findLayers()]
            if legends
            else [],
            "scalebars": len(bars),
            "scalebar_linked": bool(bars and bars[0].linkedMap() is not None),
            "scalebar_units_label": bars[0].unitLabel() if bars else None,
        }
        png = os.path.join(png_dir, f"layout-{len(out)}.png")
        exporter = QgsLayoutExporter(layout)
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = 100
        settings.generateWorldFile = False
        settings.exportMetadata = False
        result = exporter.exportToImage(png, settings)
        info["export_result"] = int(result)
        info["png"] = png
        if result == QgsLayoutExporter.Success:
            info["image"] = _image_stats(png)
        out[layout.name()] = info
    return out


def _label_texts(project: QgsProject, layers: dict) -> dict:
    """Per labelled layer and feature id: the label text QGIS makes (first rule's settings),
    or None where the rule filters the feature out."""
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils

    out: dict = {}
    for layer_id in layers:
        layer = project.mapLayer(layer_id)
        if not isinstance(layer, QgsVectorLayer) or not layer.labelsEnabled():
            continue
        labeling = layer.labeling()
        if labeling.type() == "simple":
            settings, rule = labeling.settings(), None
        else:
            first = labeling.rootRule().children()[0]
            settings, rule = first.settings(), first.filterExpression()
        text = settings.fieldName if settings.isExpression else f'"{settings.fieldName}"'
        expression = QgsExpression(text)
        keep = QgsExpression(rule) if rule else None
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        id_index = layer.fields().indexOf("id")
        texts = {}
        for n, feature in enumerate(layer.getFeatures()):
            if n >= MAX_TIPS:
                break
            context.setFeature(feature)
            shown = keep is None or bool(keep.evaluate(context))
            fid = str(feature.attribute(id_index)) if id_index >= 0 else str(feature.id())
            texts[fid] = str(expression.evaluate(context)) if shown else None
        out[layer_id] = texts
    return out


def check(path: str, png_dir: str) -> dict:
    """Open the first project stored in GeoPackage `path`; return the report."""
    path = os.path.abspath(path)
    storage = QgsApplication.projectStorageRegistry().projectStorageFromType("geopackage")
    names = storage.listProjects(path) if storage is not None else []
    report: dict = {"qgis_version": Qgis.QGIS_VERSION, "projects": list(names)}
    if not names:
        return report
    project = QgsProject.instance()
    uri = f"geopackage:{path}?projectName={names[0]}"
    report["uri"] = uri
    report["read"] = project.read(uri)
    report["title"] = project.title()
    report["crs"] = project.crs().authid()
    root = project.layerTreeRoot()
    report["tree_order"] = [node.layerId() for node in root.findLayers()]
    report["render_order"] = [layer.id() for layer in root.layerOrder()]
    layers = {}
    for node in root.findLayers():
        layer = node.layer()
        info: dict = {
            "title": node.name(),
            "visible": node.isVisible(),
            "valid": bool(layer and layer.isValid()),
        }
        if layer is not None:
            info["source"] = layer.source()
            info["is_spatial"] = layer.isSpatial()
            info["feature_count"] = layer.featureCount() if layer.isValid() else None
            if isinstance(layer, QgsVectorLayer):
                info["renderer"] = layer.renderer().type() if layer.renderer() else None
                info["labels"] = _labels(layer)
                info["legend"] = _legend(layer)
                info["map_tip"] = layer.mapTipTemplate()
        layers[node.layerId()] = info
    report["layers"] = layers
    # a map tip as QGIS fills it for the first feature of each layer
    from qgis.core import QgsExpression, QgsExpressionContext, QgsExpressionContextUtils

    tips: dict = {}
    by_feature: dict = {}
    for layer_id, info in layers.items():
        layer = project.mapLayer(layer_id)
        if not info.get("map_tip") or layer is None or not layer.isValid():
            continue
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
        id_index = layer.fields().indexOf("id")
        filled = {}
        for n, feature in enumerate(layer.getFeatures()):
            if n >= MAX_TIPS:
                break
            context.setFeature(feature)
            text = QgsExpression.replaceExpressionText(info["map_tip"], context)
            fid = str(feature.attribute(id_index)) if id_index >= 0 else str(feature.id())
            filled[fid] = text
            tips.setdefault(layer_id, text)
        by_feature[layer_id] = filled
    report["map_tips_filled"] = tips  # the first feature of each layer
    report["map_tips_by_feature"] = by_feature
    report["label_texts"] = _label_texts(project, layers)
    report["layouts"] = _layouts(project, png_dir)
    return report


def main(argv: list[str]) -> int:
    """Print the JSON report for the GeoPackage ``argv[0]``; PNGs go to ``argv[1]``."""
    app = QgsApplication([], False)
    app.initQgis()
    try:
        report = check(argv[0], argv[1] if len(argv) > 1 else os.path.dirname(argv[0]))
    finally:
        app.exitQgis()
    sys.stdout.write("QGIS_PROJECT_JSON " + json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
