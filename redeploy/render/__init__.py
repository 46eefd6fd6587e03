"""Render allocation results as offline, deterministic briefing maps (HTML, PNG, comparisons).

- `build_map(layers, result)` -> `folium.Map`; `save_map(m, path)` writes it atomically.
- `build_compare_map(layers, a, b)`, `compare_results(a, b)`, `write_comparison(...)`
  write ``A-vs-B.html`` and ``A-vs-B.csv``.
- `save_png(html_path)` renders a saved map to a slide image with headless Chromium.
- `redeploy.palette` holds the palette and size rules the QGIS styles mirror.
"""

from redeploy.palette import ASSET_COLORS, allocation_bins, marker_radius
from redeploy.render.compare import (
    build_compare_map,
    compare_results,
    comparison_name,
    write_comparison,
)
from redeploy.render.maps import build_map, render_html, save_map, write_map
from redeploy.render.png import save_png

__all__ = [
    "ASSET_COLORS",
    "allocation_bins",
    "build_compare_map",
    "build_map",
    "compare_results",
    "comparison_name",
    "marker_radius",
    "render_html",
    "save_map",
    "save_png",
    "write_comparison",
    "write_map",
]
