"""Reading aids of a map as HTML: title, scenario panel, legend and the sources list.

Every text taken from data (scenario names and descriptions, feature names, sources, run
ids) passes through `html.escape` here; the page only moves these blocks into place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, fmt_number
from redeploy.render.legend import change_scale_html, legend_html, zone_scale_html
from redeploy.render.markup import esc, table_html
from redeploy.render.sections import (
    allies_section,
    fronts_section,
    home_section,
    objective_section,
    regions_section,
)
from redeploy.render.story import headline, story_html
from redeploy.schemas import SCHEMAS, LayerKind

__all__ = [
    "change_scale_html",
    "esc",
    "fmt_number",
    "headline",
    "legend_html",
    "zone_scale_html",
]

_MAX_SOURCES = 40

# The table helper under its former name, for the other pages.
_table = table_html


def _num(x: Any) -> float:
    v = finite(x)
    return 0.0 if v is None else v


def title_html(title: str, subtitle: str) -> str:
    """Return the title block."""
    return (
        f'<div id="rd-title" class="rd-box rd-title" style="display:none">'
        f'<div class="rd-h1">{esc(title)}</div><div class="rd-h2">{esc(subtitle)}</div></div>'
    )


def panel_html(
    result: AllocationResult,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    extra: str = "",
) -> str:
    """
    Return the scenario panel: name, the story (follow the money: allied spending, forces
    freed, where they go, the double burden), assumptions, freed capacity by front, the home
    pool, existing and added capacity by region, the objective with each risk channel, the
    allies' side, data sources and the run id.

    Parameters
    ----------
    result
        The allocation result whose frames are summarised (never recomputed).
    layers
        Input layers, for front names and the sources list.
    extra
        Already-escaped HTML placed before the run line (comparison maps use it).
    """
    out = [
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">',
        "<details open><summary>Scenario <b>",
        esc(result.scenario),
        "</b></summary>",
    ]
    out.append(story_html(result, layers))
    if result.description:
        out.append(f'<div class="rd-desc">{esc(result.description.strip())}</div>')
    out.append(fronts_section(result, layers))
    out.append(home_section(result))
    out.append(regions_section(result))
    out.append(objective_section(result))
    out.append(allies_section(result, layers))
    out.append(extra)
    out.append(sources_html(layers))
    out.append(run_line(result))
    out.append("</details></div>")
    return "".join(out)


def run_line(result: AllocationResult, label: str = "run") -> str:
    """Return the run line: short run id (whole id in its tooltip) and solver status."""
    rid = esc(result.run_id)
    return (
        f'<div class="rd-run">{esc(label)} <code title="{rid}">{esc(result.run_id[:16])}'
        f"</code> · {esc(result.status)}</div>"
    )


def sources_html(layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """Return a collapsed list of the distinct sources of each layer."""
    items = []
    n = 0
    for kind, gdf in layers.items():
        if gdf is None or "source" not in gdf or gdf.empty:
            continue
        try:
            title = SCHEMAS[LayerKind(kind)].title
        except ValueError:
            title = kind
        srcs = [
            s
            for s in dict.fromkeys(str(s) for s in gdf["source"] if isinstance(s, str))
            if s.strip()
        ]
        n += len(srcs)
        shown = srcs[:_MAX_SOURCES]
        more = f"<li>… and {len(srcs) - len(shown)} more</li>" if len(srcs) > len(shown) else ""
        items.append(
            f"<li><b>{esc(title)}</b><ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in shown)
            + more
            + "</ul></li>"
        )
    if not items:
        return ""
    return (
        f'<details class="rd-src"><summary>Data sources ({n})</summary>'
        f"<ul>{''.join(items)}</ul></details>"
    )
