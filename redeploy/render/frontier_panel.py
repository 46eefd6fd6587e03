"""The frontier page's side panel: the chart, its key, each point's details, all points.

Every point shows its binding risk channel (the model's ``top_channel``) and each channel's
weighted cost; the panel says which weight was swept (the common λ, or one channel's λ_c).
All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd

from redeploy import palette
from redeploy.model.frontier import Frontier, region_slug
from redeploy.render import panels
from redeploy.render.format import fmt_number, fmt_value
from redeploy.render.frames import HOME_REGION
from redeploy.render.frontier_chart import (
    SCENARIO_KEY,
    _lam,
    _points,
    _star,
    channel_text,
    chart_svg,
    swept_name,
    top_channel,
)
from redeploy.render.popups import channel_label
from redeploy.schemas import RISK_CHANNELS


def _key_html(frontier: Frontier) -> str:
    dot = '<svg width="12" height="12"><circle cx="6" cy="6" r="4.5" fill="#5b6673"/></svg>'
    hollow = (
        '<svg width="12" height="12"><circle cx="6" cy="6" r="4.5" fill="#fff" '
        'stroke="#5b6673" stroke-width="1.5"/></svg>'
    )
    star = (
        f'<svg width="14" height="14"><polygon points="{_star(7, 7, 6.5)}" fill="#d4a017"/></svg>'
    )
    sym = panels.esc(swept_name(frontier))
    out = [
        f'<div class="rdf-key"><span>{dot} frontier point</span><span>{hollow} dominated'
        f"</span><span>{star} scenario&#x27;s own {sym}</span></div>",
        f'<div class="rdf-key"><span>{panels.esc("Colour: binding channel")}</span>',
    ]
    rows = [p[3] for p in _points(frontier)]
    present = {top_channel(r) for r in rows}
    for c in [*RISK_CHANNELS, ""]:
        if c in present:
            color = palette.channel_color(c)
            out.append(
                f'<span><svg width="12" height="12"><circle cx="6" cy="6" r="4.5" '
                f'fill="{color}"/></svg> {panels.esc(channel_label(c) if c else "no risk")}'
                "</span>"
            )
    out.append("</div>")
    return "".join(out)


def _risk_rows(row: Mapping[str, Any]) -> list[list[str]]:
    """The point's binding channel, then each channel's weighted cost (> 0)."""
    rows = [["Binding channel (largest risk)", channel_text(row)]]
    for c in RISK_CHANNELS:
        v = row.get(f"risk_{c}")
        if isinstance(v, (int, float)) and math.isfinite(v) and v > 0:
            rows.append([f"· {channel_label(c)} (weighted)", fmt_number(float(v))])
    return rows


def _detail_html(
    key: str, lam: float, row: Mapping[str, Any], regions: Sequence[str], sym: str = "λ"
) -> str:
    esc = panels.esc
    head = (f"The scenario's own {sym} = " if key == SCENARIO_KEY else f"{sym} = ") + _lam(lam)
    if bool(row.get("dominated")):
        head += " (dominated)"
    obj = [
        ["Net value (value − transit)", fmt_number(float(row["net_value"]))],
        ["Value", fmt_number(float(row["value"]))],
        ["Transit cost", fmt_number(float(row["transit_cost"]))],
        [f"Risk accepted (at {sym} = 1)", fmt_number(float(row["risk"]))],
        *_risk_rows(row),
        [
            "Released",
            f"{fmt_value(float(row['released_kpe']), 'kpe')}, "
            f"{fmt_value(float(row['released_engagement_bn']), '$bn/yr')}",
        ],
    ]
    for col, text in (("to_home_kpe", "Sent home"), ("converted_kpe", "Converted to engagement")):
        if col in row:
            obj.append([text, fmt_value(float(row[col]), "kpe") or "0"])
    reg = []
    for r in regions:
        slug = region_slug(r)
        kpe, eng = float(row.get(f"{slug}_kpe", 0.0)), float(row.get(f"{slug}_engagement_bn", 0.0))
        if kpe > 0 or eng > 0:
            reg.append([r, fmt_number(kpe), fmt_number(eng)])
    out = [
        f'<div class="rdf-detail" data-k="{esc(key)}" hidden>',
        f'<div class="rd-h3">{esc(head)}</div>',
        panels._table(["$bn-eq/yr", ""], obj, cls="rd-tab rd-obj"),
    ]
    if reg:
        out.append('<div class="rd-h3">Added by region</div>')
        out.append(panels._table(["Region", "Military kpe", "Engagem. $bn/yr"], reg))
    else:
        out.append(f"<div>{esc('Nothing is added at this point.')}</div>")
    out.append("</div>")
    return "".join(out)


def _points_table(frontier: Frontier) -> str:
    """Every point's weight, net value, risk and binding channel, in one table."""
    sym = swept_name(frontier)
    rows = [
        [
            ("own " if key == SCENARIO_KEY else "") + _lam(lam),
            fmt_number(float(row["net_value"])),
            fmt_number(float(row["risk"])),
            channel_text(row) + (" (dominated)" if bool(row.get("dominated")) else ""),
        ]
        for key, lam, _, row in _points(frontier)
    ]
    return (
        '<details class="rd-sec"><summary>'
        + panels.esc(f"All points: which channel binds ({len(rows)})")
        + "</summary>"
        + panels._table([sym, "Net value", "Risk", "Binding channel"], rows)
        + "</details>"
    )


def _swept_text(frontier: Frontier) -> str:
    """What the frontier sweeps, in words."""
    if frontier.channel is None:
        return (
            "the common risk weight λ of every channel: the LP maximises value − transit "
            "cost − λ·Σ λ_c·risk_c"
        )
    c = channel_label(frontier.channel)
    return (
        f"the weight λ_{frontier.channel} of the {c} channel alone (the other channels at "
        f"the scenario's weights): the LP maximises value − transit cost − risk, the {c} "
        f"cost weighted by λ_{frontier.channel}"
    )


def frontier_panel(frontier: Frontier, layers: Mapping[str, gpd.GeoDataFrame]) -> str:
    """Return the frontier page's panel (escaped HTML)."""
    esc = panels.esc
    res = frontier.scenario_result
    regions = sorted({str(r) for r in res.zones["region"]}) if not res.zones.empty else []
    regions = [r for r in regions if r != HOME_REGION]
    sym = swept_name(frontier)
    out = [
        '<div id="rd-panel" class="rd-box rd-panel rdf-panel" style="display:none">',
        f"<details open><summary>Value–risk frontier · <b>{esc(frontier.scenario)}</b></summary>",
    ]
    if res.description:
        out.append(f'<div class="rd-desc">{esc(res.description.strip())}</div>')
    out.append(
        '<div class="rdf-help">'
        + esc(
            f"Each point solves the allocation with a different value of {_swept_text(frontier)}"
            ". A point's colour is its binding channel: the one with the largest risk cost "
            "there. Click a point to see where freed capacity goes there."
        )
        + "</div>"
    )
    out.append(_key_html(frontier))
    out.append(chart_svg(frontier))
    for key, lam, _, row in _points(frontier):
        out.append(_detail_html(key, lam, row, regions, sym))
    out.append(_points_table(frontier))
    out.append(panels.sources_html(layers))
    out.append(panels.run_line(res))
    out.append("</details></div>")
    return "".join(out)
