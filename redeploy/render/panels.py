"""Reading aids of a map as HTML: title, scenario panel, legend and the sources list.

Every text taken from data (scenario names and descriptions, feature names, sources, run
ids) passes through `html.escape` here; the page only moves these blocks into place.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.features import LayerData, _names
from redeploy.render.format import fmt_number, fmt_value, value_unit
from redeploy.schemas import MILITARY_ASSETS, SCHEMAS, LayerKind

_MAX_SOURCES = 40


_MORE_ESCAPES = str.maketrans({"{": "&#123;", "}": "&#125;", "\n": "&#10;"})


def esc(text: Any) -> str:
    """
    HTML-escape any value (quotes included).

    Braces become character references too, so no text from data can ever read as a Jinja
    tag if it reaches a template, and line breaks do, so the page's whitespace clean-up
    (`redeploy.render.maps.render_html`) leaves a description's blank lines alone.
    """
    return html.escape("" if text is None else str(text), quote=True).translate(_MORE_ESCAPES)


def _table(
    head: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "rd-tab", total: bool = False
) -> str:
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    rows = list(rows)
    for i, row in enumerate(rows):
        # The first cell may be cut short on screen: its title shows it whole.
        first = f'<td title="{esc(row[0])}">{esc(row[0])}</td>'
        tr = '<tr class="rd-tot">' if total and i == len(rows) - 1 else "<tr>"
        out.append(tr + first + "".join(f"<td>{esc(c)}</td>" for c in row[1:]) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return 0.0
    return v if math.isfinite(v) else 0.0


def _split_totals(frame: pd.DataFrame, key: str, value: str) -> list[tuple[str, float, float]]:
    """Sum `value` per `key` into (key, military kpe, engagement $bn/yr), in first-seen order."""
    if frame is None or frame.empty or key not in frame:
        return []
    out: dict[str, list[float]] = {}
    for rec in frame.to_dict("records"):
        k = str(rec[key])
        slot = out.setdefault(k, [0.0, 0.0])
        if rec.get("asset") in MILITARY_ASSETS:
            slot[0] += _num(rec.get(value))
        elif rec.get("asset") == "engagement":
            slot[1] += _num(rec.get(value))
    return [(k, v[0], v[1]) for k, v in out.items()]


def headline(result: AllocationResult) -> str:
    """Return one line that says what moved: totals of the flows, fronts and zones."""
    flows = result.flows
    if flows is None or flows.empty:
        return "No capacity moves in this scenario."
    mil = sum(
        _num(a)
        for a, s in zip(flows["amount"], flows["asset"], strict=True)
        if s in MILITARY_ASSETS
    )
    eng = sum(
        _num(a) for a, s in zip(flows["amount"], flows["asset"], strict=True) if s == "engagement"
    )
    parts = []
    if mil > 0:
        parts.append(fmt_value(mil, "kpe"))
    if eng > 0:
        parts.append(fmt_value(eng, "$bn/yr"))
    moved = " and ".join(p for p in parts if p) or "nothing"
    nf = flows["front_id"].nunique()
    nz = flows["zone_id"].nunique()
    return (
        f"{moved} redeployed from {nf} front{'s' if nf != 1 else ''} "
        f"to {nz} zone{'s' if nz != 1 else ''}"
    )


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
    Return the scenario panel: name, assumptions, freed capacity by front, allocation by
    region, objective parts, data sources and the run id.

    Parameters
    ----------
    result
        The allocation result whose frames are summarised (never recomputed).
    layers
        Input layers, for front names and the sources list.
    extra
        Already-escaped HTML placed before the run line (comparison maps use it).
    """
    names = _names(layers, "fronts")
    out = [
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">',
        "<details open><summary>Scenario <b>",
        esc(result.scenario),
        "</b></summary>",
    ]
    if result.description:
        out.append(f'<div class="rd-desc">{esc(result.description.strip())}</div>')
    fronts = [
        (names.get(k, k), m, e) for k, m, e in _split_totals(result.fronts, "front_id", "freed")
    ]
    if fronts:
        out.append('<div class="rd-h3">Freed U.S. capacity by front</div>')
        out.append(_split_table("Front", [f for f in fronts if f[1] or f[2]], fronts))
    regions = _split_totals(result.zones, "region", "added")
    if regions:
        out.append('<div class="rd-h3">Allocated by region</div>')
        out.append(_split_table("Region", regions, regions))
    if result.objective:
        out.append(f'<div class="rd-h3">Objective ({esc(value_unit(result))})</div>')
        labels = {
            "value": "Strategic value",
            "transit_cost": "− Transit cost",
            "risk": "− Risk",
            "total": "= Total",
        }
        keys = [k for k in labels if k in result.objective]
        keys += sorted(k for k in result.objective if k not in labels)
        rows = [[labels.get(k, k), fmt_number(_num(result.objective[k]))] for k in keys]
        out.append(_table(["Part", ""], rows, cls="rd-tab rd-obj", total=True))
    out.append(extra)
    out.append(sources_html(layers))
    out.append(run_line(result))
    out.append("</details></div>")
    return "".join(out)


_Split = Sequence[tuple[str, float, float]]


def _split_table(label: str, rows: _Split, all_rows: _Split) -> str:
    """Return a table of (name, military kpe, engagement $bn/yr) rows and their total.

    An engagement column that is zero throughout is left out.
    """
    with_eng = any(r[2] for r in all_rows)
    head = [label, "Military kpe"] + (["Engagem. $bn/yr"] if with_eng else [])
    body = [[n, fmt_number(m)] + ([fmt_number(e)] if with_eng else []) for n, m, e in rows]
    total = ["Total", fmt_number(sum(r[1] for r in all_rows))]
    if with_eng:
        total.append(fmt_number(sum(r[2] for r in all_rows)))
    return _table(head, [*body, total], total=True)


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


def _circle(r: float, color: str) -> str:
    d = 2 * r + 2
    return (
        f'<svg width="{d:g}" height="{d:g}" aria-hidden="true"><circle cx="{d / 2:g}" '
        f'cy="{d / 2:g}" r="{r:g}" fill="{color}" fill-opacity="0.85" stroke="#fff"/></svg>'
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
            out.append(
                f'<div class="rd-mk">{_circle(lg["r_min"], lg["color"])}'
                f"{_circle(lg['r_max'] * 0.6, lg['color'])}<span>{esc(text)}</span></div>"
            )
    out.append("</div>")
    return "".join(out)
