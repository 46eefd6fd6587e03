"""Render allocation results as offline, deterministic briefing maps (HTML, PNG, comparisons)."""

from redeploy.render.maps import build_map, render_html, save_map
from redeploy.render.style import ASSET_COLORS, allocation_bins, marker_radius

__all__ = [
    "ASSET_COLORS",
    "allocation_bins",
    "build_map",
    "marker_radius",
    "render_html",
    "save_map",
]
