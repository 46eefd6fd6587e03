"""Reading aids of a map as HTML: title, scenario panel, legend and the sources list.

Every text taken from data (scenario names and descriptions, feature names, sources, run
ids) passes through `html.escape` here; the page only moves these blocks into place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.features import LayerData
from redeploy.render.format import finite, fmt_number, fmt_value
from redeploy.render.frames import HOME_ID
from redeploy.render.markup import esc, table_html
from redeploy.render.sections import (
    allies_section,
    fronts_section,
    home_section,
    objective_section,
    regions_section,
)
from redeploy.schemas import MILITARY_ASSETS, SCHEMAS, LayerKind

__all__ = ["esc"]

_MAX_SOURCES = 40

# The table helper under its former name, for the other pages.
_table = table_html


def _num(x: Any) -> float:
    v = finite(x)
    return 0.0 if v is None else v


def headline(result: AllocationResult) -> str:
    """Return one line that says what moved: abroad (from fronts and home), and home."""
    flows = result.flows
    if flows is None or flows.empty:
        return "No capacity moves in this scenario."
    abroad = flows[flows["zone_id"].astype(str) != HOME_ID]
    mil = sum(
        _num(a)
        for a, s in zip(abroad["amount"], abroad["asset"], strict=True)
        if s in MILITARY_ASSETS
    )
    eng = sum(
        _num(a) for a, s in zip(abroad["amount"], abroad["asset"], strict=True) if s == "engagement"
    )
    parts = [fmt_value(v, u) for v, u in ((mil, "kpe"), (eng, "$bn/yr")) if v > 0]
    moved = " and ".join(p for p in parts if p) or "nothing"
    sources = abroad.loc[abroad["front_id"].astype(str) != HOME_ID, "front_id"].nunique()
    nz = abroad["zone_id"].nunique()
    text = (
        f"{moved} sent abroad from {sources} front{'s' if sources != 1 else ''}"
        + (" and home" if (abroad["front_id"].astype(str) == HOME_ID).any() else "")
        + f" to {nz} zone{'s' if nz != 1 else ''}"
    )
    home = flows[(flows["zone_id"].astype(str) == HOME_ID) & flows["asset"].isin(MILITARY_ASSETS)]
    if not home.empty:
        text += f"; {fmt_value(sum(_num(a) for a in home['amount']), 'kpe')} returned home"
    return text


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
    Return the scenario panel: name, assumptions, freed capacity by front, the home pool,
    existing and added capacity by region, the objective with each risk channel, the
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


def _circle(r: float, color: str, *, ring: bool = False) -> str:
    d = 2 * r + 4
    paint = (
        f'fill="{color}" fill-opacity="0.18" stroke="{color}" stroke-width="2.4"'
        if ring
        else f'fill="{color}" fill-opacity="0.85" stroke="#fff"'
    )
    return (
        f'<svg width="{d:g}" height="{d:g}" aria-hidden="true"><circle cx="{d / 2:g}" '
        f'cy="{d / 2:g}" r="{r:g}" {paint}/></svg>'
    )


def _line(color: str, width: float = 4, dash: str | None = None) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="28" height="12" aria-hidden="true"><line x1="2" y1="6" x2="26" '
        f'y2="6" stroke="{color}" stroke-width="{width:g}" stroke-linecap="round"'
        f"{dash_attr}/></svg>"
    )


def _swatch(color: str) -> str:
    return f'<span class="rd-sw" style="background:{color}"></span>'


def zone_scale_html(label: str, unit: str, edges: Sequence[float]) -> str:
    """Return the legend block of the allocation colour classes."""
    out = [f'<div class="rd-h3">Zones: {esc(label)} ({esc(unit)})</div><div class="rd-scale">']
    out.append(f"<span>{_swatch(palette.ZONE_EMPTY_COLOR)}none</span>")
    lower = 0.0
    for edge in edges:
        color = palette.allocation_color(edge, edges)
        text = f"≤ {fmt_number(edge)}" if lower == 0 else f"{fmt_number(lower)}–{fmt_number(edge)}"
        out.append(f"<span>{_swatch(color)}{esc(text)}</span>")
        lower = edge
    out.append("</div>")
    return "".join(out)


def change_scale_html(label: str, unit: str, edges: Sequence[float]) -> str:
    """Return the legend block of a diverging change scale."""
    out = [f'<div class="rd-h3">Zones: {esc(label)} ({esc(unit)})</div><div class="rd-scale">']
    for e in reversed(edges):
        out.append(
            f"<span>{_swatch(palette.change_color(-e, edges))}{esc('−' + fmt_number(e))}</span>"
        )
    out.append(f"<span>{_swatch(palette.change_color(0.0, edges))}no change</span>")
    for e in edges:
        out.append(
            f"<span>{_swatch(palette.change_color(e, edges))}{esc('+' + fmt_number(e))}</span>"
        )
    out.append("</div>")
    return "".join(out)


def legend_html(
    layer_data: Sequence[LayerData],
    *,
    flow_block: str | None = None,
    zone_block: str | None = None,
) -> str:
    """
    Return the legend: flow colours and widths, the zone colour scale, marker sizes.

    Parameters
    ----------
    layer_data
        The drawn layers (their `legend` facts are read).
    flow_block, zone_block
        Replacement blocks for flows and zones (comparison maps).
    """
    out = ['<div id="rd-legend" class="rd-box rd-legend" style="display:none">']
    by_kind = {d.kind: d for d in layer_data}
    flows = by_kind.get("flows")
    if flow_block is not None:
        out.append(flow_block)
    elif flows is not None and flows.legend.get("assets"):
        out.append(
            '<div class="rd-h3">Flows by asset class · width ∝ amount</div><div class="rd-scale">'
        )
        for asset in flows.legend["assets"]:
            out.append(f"<span>{_line(palette.asset_color(asset))}{esc(asset)}</span>")
        out.append("</div>")
        maxes = flows.legend.get("max", {})
        if maxes:
            text = "widest: " + " · ".join(v for v in maxes.values() if v)
            out.append(
                f'<div class="rd-note">{_line("#777", 1.5)}{_line("#777", 9)}{esc(text)}</div>'
            )
    zones = by_kind.get("peripheral_zones")
    if zone_block is not None:
        out.append(zone_block)
    elif zones is not None:
        lg = zones.legend
        out.append(zone_scale_html(lg["label"], lg["unit"], lg["edges"]))
        if lg.get("existing"):
            text = (
                f"Existing U.S. presence ({lg['existing']} in the zones) is not in this "
                "colour: see the rings of its own layer and each zone's popup."
            )
            out.append(f'<div class="rd-note">{esc(text)}</div>')
    markers = [d for d in layer_data if d.legend.get("color")]
    if markers:
        out.append('<div class="rd-h3">Markers · area ∝ key figure</div>')
        for d in reversed(markers):
            lg = d.legend
            text = d.title
            if lg.get("key_label"):
                text += f": {lg['key_label']}"
                if lg.get("key_max"):
                    text += f", largest {lg['key_max']}"
            ring = bool(lg.get("ring"))
            out.append(
                f'<div class="rd-mk">{_circle(lg["r_min"], lg["color"], ring=ring)}'
                f"{_circle(lg['r_max'] * 0.6, lg['color'], ring=ring)}<span>{esc(text)}</span>"
                "</div>"
            )
    home = by_kind.get("home")
    if home is not None:
        out.append(
            f'<div class="rd-mk"><span class="rd-star"></span><span>'
            f"{esc(home.legend.get('label', home.title))}</span></div>"
        )
    out.append("</div>")
    return "".join(out)
