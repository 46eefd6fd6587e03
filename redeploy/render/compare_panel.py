"""The comparison page's panel: the view switch, what changes (money and forces apart), the
allies' side (who pays how much more), regions, the home pool and the objective.

Figures are totals of each result's frames, lined up side by side (B - A shown as the change).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render.compare_summary import arrow, spending_rows
from redeploy.render.format import fmt_number, value_unit
from redeploy.render.frames import HOME_ID, HOME_NAME, HOME_REGION
from redeploy.render.markup import esc, heading, note, table_html
from redeploy.render.panels import run_line, sources_html
from redeploy.render.popups import channel_label
from redeploy.render.story import story_figures
from redeploy.schemas import ASSET_UNITS, MILITARY_ASSETS, RISK_CHANNELS

#: Absolute change below which two amounts count as equal.
TOLERANCE = 1e-6


def change_row(name: str, va: float, vb: float) -> list[str]:
    """[name, A, B, change] with the change signed."""
    return [name, fmt_number(va), fmt_number(vb), ("+" if vb > va else "") + fmt_number(vb - va)]


def views_html() -> str:
    """The switch between the difference map and A and B side by side (synchronised)."""
    return (
        '<div class="rd-views">'
        '<label><input type="radio" name="rd-view" value="diff" checked>Difference map</label>'
        '<label><input type="radio" name="rd-view" value="twin">A and B side by side</label>'
        "</div>"
    )


def headline_change(a: AllocationResult, b: AllocationResult) -> str:
    """One line of what changes, forces and money apart: allied spending, forces and
    engagement sent abroad."""
    fa, fb = story_figures(a), story_figures(b)
    parts = [
        f"allies pay {arrow(fa['announced'], fb['announced'], '$bn/yr')} more",
        f"forces abroad {arrow(fa['forces_abroad'], fb['forces_abroad'], 'kpe')}",
        f"engagement {arrow(fa['engagement_abroad'], fb['engagement_abroad'], '$bn/yr')}",
    ]
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _story_block(a: AllocationResult, b: AllocationResult) -> str:
    """What changes, step by step: allies pay, forces freed, where they go."""
    fa, fb = story_figures(a), story_figures(b)
    rows = (
        ("Allies' extra spending ($bn/yr)", "announced"),
        ("U.S. forces freed (kpe)", "freed"),
        ("Forces sent abroad (kpe)", "forces_abroad"),
        ("Converted into engagement (kpe)", "converted"),
        ("Engagement abroad ($bn/yr)", "engagement_abroad"),
        ("Returned home (kpe)", "to_home"),
        ("Not released (kpe)", "retained"),
    )
    body = [change_row(name, fa[key], fb[key]) for name, key in rows]
    return (
        '<div class="rd-story">'
        + heading("Follow the money, A → B")
        + table_html(["", "A", "B", "Change"], body, cls="rd-tab rd-cmp")
        + "</div>"
    )


def _spending_block(front_table: pd.DataFrame) -> str:
    """Which allies pay how much more in A and in B, and their double burden."""
    rows = spending_rows(front_table)
    if not rows:
        return ""
    return (
        heading("Allies' side: who pays how much more ($bn/yr)")
        + table_html(["Ally (front)", "A → B", "Burden A → B"], rows)
        + note(
            "Extra defense spending and host-nation support against 2024; burden: the share "
            "of it that funds U.S. expansion elsewhere."
        )
    )


def _region_block(table: pd.DataFrame) -> str:
    """What each run adds per region (forces in kpe, other classes in their units)."""
    zones = table[(table["kind"] == "zone") & (table["region"] != HOME_REGION)].copy()
    if zones.empty:
        return ""
    zones["group"] = zones["asset"].map(
        lambda s: "forces" if s in MILITARY_ASSETS else f"{s} ({ASSET_UNITS.get(s, '')})"
    )
    by_region = zones.groupby(["region", "group"], sort=False)[["a", "b", "change"]].sum()
    rows = []
    for key, r in by_region.iterrows():
        region, group = cast(tuple[str, str], key)
        if abs(r["a"]) + abs(r["b"]) <= TOLERANCE:
            continue
        name = f"{region} (kpe)" if group == "forces" else f"{region}, {group}"
        rows.append(change_row(name, float(r["a"]), float(r["b"])))
    return heading("Added by region") + table_html(
        ["Region", "A", "B", "Change"], rows, cls="rd-tab rd-cmp"
    )


def _home_block(table: pd.DataFrame) -> str:
    """The home pool in A and B: military kpe returned home and sent abroad from home."""
    mil = table[table["asset"].isin(MILITARY_ASSETS)]
    home_in = mil[(mil["kind"] == "zone") & (mil["zone_id"] == HOME_ID)]
    home_out = mil[(mil["kind"] == "flow") & (mil["front_id"] == HOME_ID)]
    if home_in.empty and home_out.empty:
        return ""
    rows = [
        change_row(text, float(part["a"].sum()), float(part["b"].sum()))
        for text, part in (("Returned home", home_in), ("Sent abroad from home", home_out))
    ]
    return f'<div class="rd-h3">{esc(HOME_NAME)}</div>' + table_html(
        ["Military kpe", "A", "B", "Change"], rows, cls="rd-tab rd-cmp"
    )


def _objective_block(a: AllocationResult, b: AllocationResult) -> str:
    """The objective's parts in A and B, each risk channel with a figure in either."""
    rows = []
    keys = ["value", "transit_cost", "risk", *(f"risk_{c}" for c in RISK_CHANNELS), "total"]
    for key in keys:
        if key not in a.objective and key not in b.objective:
            continue
        va, vb = float(a.objective.get(key, 0.0)), float(b.objective.get(key, 0.0))
        if key.startswith("risk_") and va == 0 and vb == 0:
            continue
        name = f"· {channel_label(key[5:])}" if key.startswith("risk_") else key.replace("_", " ")
        rows.append(change_row(name, va, vb))
    if not rows:
        return ""
    return heading(f"Objective ({value_unit(b)} index)") + table_html(
        ["Part", "A", "B", "Change"], rows, cls="rd-tab rd-cmp"
    )


def _flow_counts(table: pd.DataFrame) -> str:
    flows = table[table["kind"] == "flow"]
    counts = flows["status"].value_counts()
    text = ", ".join(
        f"{int(counts.get(k, 0))} {palette.FLOW_CHANGE_STYLES[k]['label']}"
        for k in ("new", "grow", "shrink", "gone", "same")
        if counts.get(k, 0)
    )
    return heading("Flows") + f"<div>{esc(text or 'none')}</div>"


def compare_panel(
    a: AllocationResult,
    b: AllocationResult,
    table: pd.DataFrame,
    front_table: pd.DataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> str:
    """Return the comparison page's panel (escaped HTML)."""
    out = [
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">',
        f"<details open><summary>Comparison <b>{esc(a.scenario)}</b> → "
        f"<b>{esc(b.scenario)}</b></summary>",
        views_html(),
        _story_block(a, b),
    ]
    for label, res in (("A", a), ("B", b)):
        if res.description:
            out.append(f'<div class="rd-desc"><b>{label}:</b> {esc(res.description.strip())}</div>')
    out.append(_spending_block(front_table))
    out.append(_region_block(table))
    out.append(_home_block(table))
    out.append(_objective_block(a, b))
    out.append(_flow_counts(table))
    out.append(sources_html(layers))
    out.append(run_line(a, f"A ({a.scenario})"))
    out.append(run_line(b, f"B ({b.scenario})"))
    out.append("</details></div>")
    return "".join(out)
