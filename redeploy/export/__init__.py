"""Export: a run's tables (CSV, JSON) and GIS files (GeoPackage with QGIS styles, GeoJSON,
GeoParquet).

Export reshapes the model's result frames and the validated layers; it computes no model
quantity and never imports the HTML renderer (colours come from `redeploy.palette`).
"""

from redeploy.export.columns import RESULT_COLUMNS, RESULT_LAYERS, result_columns_markdown
from redeploy.export.gis import (
    FIXED_TIMESTAMP,
    LAYER_FORMATS,
    RESULT_FORMATS,
    ExportFormatError,
    parse_formats,
    write_layers,
    write_results,
)
from redeploy.export.results import build_result_layers
from redeploy.export.tables import COLUMN_UNITS, summary_dict, write_tables

__all__ = [
    "COLUMN_UNITS",
    "FIXED_TIMESTAMP",
    "LAYER_FORMATS",
    "RESULT_COLUMNS",
    "RESULT_FORMATS",
    "RESULT_LAYERS",
    "ExportFormatError",
    "build_result_layers",
    "parse_formats",
    "result_columns_markdown",
    "summary_dict",
    "write_layers",
    "write_results",
    "write_tables",
]
