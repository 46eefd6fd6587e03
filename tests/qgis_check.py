"""Open GeoPackages in headless QGIS and print a JSON report of every layer.

Run with Debian's ``/usr/bin/python3`` (which has PyQGIS), not the project's Python:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py A.gpkg [B.gpkg ...]

For each table registered in ``gpkg_contents`` (except ``layer_styles``) it loads the layer the
way QGIS does when a user adds it (default style on, which for a GeoPackage reads the
``layer_styles`` table), and reports validity, CRS, geometry type, feature count, the
renderer and its classes, the styles stored in the database and the field aliases. It uses
only the standard library and PyQGIS, so it runs under any Python that has ``qgis``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # QT_QPA_PLATFORM must be set before Qt loads
    Qgis,
    QgsApplication,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsProperty,
    QgsRenderContext,
    QgsSymbolLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)


def _renderer_report(layer: QgsVectorLayer) -> dict:
    renderer = layer.renderer()
    if renderer is None:
        return {"renderer": None}
    out: dict = {"renderer": renderer.type()}
    # Keep the copied class lists alive while their symbols are used (they own them).
    classes: list = []
    if renderer.type() == "categorizedSymbol":
        classes = renderer.categories()
        out["attribute"] = renderer.classAttribute()
        out["categories"] = [str(c.value()) for c in classes]
        out["colors"] = [c.symbol().color().name() for c in classes]
        symbol = classes[0].symbol() if classes else None
    elif renderer.type() == "graduatedSymbol":
        classes = renderer.ranges()
        out["attribute"] = renderer.classAttribute()
        out["ranges"] = [[r.lowerValue(), r.upperValue()] for r in classes]
        out["colors"] = [r.symbol().color().name() for r in classes]
        symbol = classes[-1].symbol() if classes else None
    elif renderer.type() == "singleSymbol":
        symbol = renderer.symbol()
        out["colors"] = [symbol.color().name()]
    else:
        symbol = None
    if symbol is not None and symbol.symbolLayerCount():
        sl = symbol.symbolLayer(0)
        dd = {}
        for key, prop in (
            ("size", QgsSymbolLayer.PropertySize),
            ("width", QgsSymbolLayer.PropertyStrokeWidth),
        ):
            p = sl.dataDefinedProperties().property(prop)
            if p and p.isActive() and p.propertyType() == QgsProperty.ExpressionBasedProperty:
                dd[key] = p.expressionString()
        out["data_defined"] = dd
        out["symbol_layer"] = sl.layerType()
    out["features"] = _feature_report(layer, out.get("data_defined", {}))
    return out


def _feature_report(layer: QgsVectorLayer, dd: dict) -> dict:
    """Per feature id: the colour the renderer draws it in and its data-defined sizes."""
    renderer = layer.renderer().clone()
    context = QgsRenderContext()
    scope_context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    context.setExpressionContext(scope_context)
    renderer.startRender(context, layer.fields())
    expressions = {key: QgsExpression(text) for key, text in dd.items()}
    out = {}
    id_index = layer.fields().indexOf("id")
    try:
        for feature in layer.getFeatures():
            scope_context.setFeature(feature)
            symbol = renderer.symbolForFeature(feature, context)
            fid = str(feature.attribute(id_index)) if id_index >= 0 else str(feature.id())
            entry = {"color": symbol.color().name() if symbol is not None else None}
            for key, expression in expressions.items():
                value = expression.evaluate(scope_context)
                entry[key] = None if expression.hasEvalError() else value
            out[fid] = entry
    finally:
        renderer.stopRender(context)
    return out


def _sld_report(path: str, name: str, sld: str | None) -> dict:
    """Load the stored SLD into a fresh layer: does QGIS accept it, and as which renderer?"""
    if not sld:
        return {}
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    with tempfile.NamedTemporaryFile("w", suffix=".sld", delete=False, encoding="utf-8") as f:
        f.write(sld)
    try:
        message, ok = layer.loadSldStyle(f.name)
    finally:
        os.unlink(f.name)
    renderer = layer.renderer()
    return {
        "sld_loaded": bool(ok),
        "sld_message": message,
        "sld_renderer": renderer.type() if renderer else None,
    }


def check(paths: list[str]) -> dict:
    """Load every layer of every GeoPackage in `paths`; return the report."""
    report: dict = {"qgis_version": Qgis.QGIS_VERSION, "files": {}}
    for path in paths:
        con = sqlite3.connect(path)
        try:
            tables = [
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM gpkg_contents WHERE table_name != 'layer_styles' "
                    "ORDER BY rowid"
                )
            ]
            has_styles = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
            ).fetchone()
            slds = (
                dict(
                    con.execute(
                        "SELECT f_table_name, styleSLD FROM layer_styles WHERE useAsDefault"
                    )
                )
                if has_styles
                else {}
            )
        finally:
            con.close()
        layers = {}
        for name in tables:
            layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
            info: dict = {"valid": layer.isValid()}
            if layer.isValid():
                fields = layer.fields()
                info.update(
                    crs=layer.crs().authid(),
                    geometry_type=QgsWkbTypes.displayString(layer.wkbType()),
                    feature_count=layer.featureCount(),
                    fields={f.name(): f.typeName() for f in fields},
                    aliases={
                        f.name(): layer.attributeAlias(i)
                        for i, f in enumerate(fields)
                        if layer.attributeAlias(i)
                    },
                )
                info.update(_renderer_report(layer))
                count, _ids, names, _descriptions, _err = layer.listStylesInDatabase()
                info["db_styles"] = list(names)[: max(count, 0)]
                info.update(_sld_report(path, name, slds.get(name)))
            layers[name] = info
        report["files"][path] = layers
    return report


def main(argv: list[str]) -> int:
    """Print the JSON report for the GeoPackages named in `argv`."""
    app = QgsApplication([], False)
    app.initQgis()
    try:
        report = check(argv)
    finally:
        app.exitQgis()
    sys.stdout.write("QGIS_CHECK_JSON " + json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
