"""Compare two allocation runs: a change table (CSV) and a map of what grows, shrinks, appears.

Nothing is recomputed: the table lines up the two results' `zones` and `flows` frames and
takes differences (B - A) for display.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.io.atomic import write_atomic
from redeploy.io.text import csv_text
from redeploy.model.result import AllocationResult
from redeploy.render import panels
from redeploy.render.collector import paused_collection
from redeploy.render.compare_panel import compare_panel, headline_change
from redeploy.render.compare_summary import arrow, front_changes
from redeploy.render.compare_views import (
    TwinScript,
    change_zone_block,
    flow_widths,
    twin_blocks,
    zone_fills,
    zone_sums,
)
from redeploy.render.features import flow_layer, zone_layer
from redeploy.render.format import fmt_value
from redeploy.render.frames import HOME_ID, asset_order
from redeploy.render.layerdata import LayerData
from redeploy.render.legend import line_svg, width_samples
from redeploy.render.maps import add_layers, finish_map, new_map, stabilise_ids, stack_layers
from redeploy.render.markup import esc
from redeploy.schemas import ASSET_UNITS, LayerKind

#: Columns of the comparison table (`compare_results`, the ``A-vs-B.csv`` file).
COMPARE_COLUMNS = (
    "kind",
    "front_id",
    "zone_id",
    "region",
    "asset",
    "unit",
    "a",
    "b",
    "change",
    "status",
)
#: Absolute change below which two amounts count as equal.
TOLERANCE = 1e-6


def _status(a: float, b: float) -> str:
    if abs(b - a) <= TOLERANCE:
        return "same"
    if a <= TOLERANCE:
        return "new"
    if b <= TOLERANCE:
        return "gone"
    return "grow" if b > a else "shrink"


def _sum_by(frame: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    values = pd.to_numeric(frame[value], errors="coerce").fillna(0.0)
    return values.groupby([frame[k].astype(str) for k in keys]).sum()


def compare_results(a: AllocationResult, b: AllocationResult) -> pd.DataFrame:
    """
    Line up two results per zone and asset (``added``: what each run adds) and per flow.

    Parameters
    ----------
    a, b
        The two results, from the same layers (zone and front ids in common).

    Returns
    -------
    pandas.DataFrame
        `COMPARE_COLUMNS`: ``kind`` is ``"zone"`` or ``"flow"``; ``a``, ``b`` the amounts
        (0 where a run has none), ``change = b - a``, ``status`` one of ``new``, ``grow``,
        ``shrink``, ``gone``, ``same``. Zones first, then flows, each sorted by ids and
        asset order. Zone ``us-home`` (region ``United States``) is the capacity returned
        to the U.S. home pool; flows from or to ``us-home`` leave or reach it.
    """
    regions: dict[str, str] = {}
    for res in (a, b):
        if res.zones is not None and not res.zones.empty:
            regions.update(
                zip(res.zones["zone_id"].astype(str), res.zones["region"].astype(str), strict=True)
            )
    rows = []
    za = _sum_by(a.zones, ["zone_id", "asset"], "added")
    zb = _sum_by(b.zones, ["zone_id", "asset"], "added")
    for key in sorted(set(za.index) | set(zb.index), key=lambda k: (k[0], asset_order(k[1]))):
        va, vb = float(za.get(key, 0.0)), float(zb.get(key, 0.0))
        rows.append(
            (
                "zone",
                "",
                key[0],
                regions.get(key[0], ""),
                key[1],
                ASSET_UNITS.get(key[1], ""),
                va,
                vb,
                vb - va,
                _status(va, vb),
            )
        )
    fa = _sum_by(a.flows, ["front_id", "zone_id", "asset"], "amount")
    fb = _sum_by(b.flows, ["front_id", "zone_id", "asset"], "amount")
    for key in sorted(set(fa.index) | set(fb.index), key=lambda k: (k[0], k[1], asset_order(k[2]))):
        va, vb = float(fa.get(key, 0.0)), float(fb.get(key, 0.0))
        rows.append(
            (
                "flow",
                key[0],
                key[1],
                regions.get(key[1], ""),
                key[2],
                ASSET_UNITS.get(key[2], ""),
                va,
                vb,
                vb - va,
                _status(va, vb),
            )
        )
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def comparison_name(a: AllocationResult, b: AllocationResult) -> str:
    """Return the file stem ``A-vs-B`` (scenario names made safe for file names)."""

    def safe(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"

    return f"{safe(a.scenario)}-vs-{safe(b.scenario)}"


def _merged_flows(
    a: AllocationResult, b: AllocationResult, table: pd.DataFrame
) -> tuple[AllocationResult, list[dict[str, Any]], list[float], list[list[list[str]]]]:
    """Return a result whose flows/routes are the union of A's and B's, their styles by
    status, the amount that sets each one's width (the change, B - A) and popup rows."""
    flows = table[table["kind"] == "flow"].reset_index(drop=True)
    geoms: dict[tuple[str, str, str], tuple[object, str, Any, Any]] = {}
    for res in (a, b):  # B's route wins where both have one
        if res.routes is None or res.flows is None:
            continue
        for i in range(min(len(res.flows), len(res.routes))):
            f = res.flows.iloc[i]
            key = (str(f["front_id"]), str(f["zone_id"]), str(f["asset"]))
            mode = str(res.routes["mode"].iloc[i]) if "mode" in res.routes else ""
            geoms[key] = (res.routes.geometry.iloc[i], mode, f.get("distance_km"), f.get("cost"))
    recs: list[dict[str, Any]] = []
    routes: list[dict[str, Any]] = []
    styles: list[dict[str, Any]] = []
    amounts: list[float] = []
    extra: list[list[list[str]]] = []
    for rec in flows.to_dict("records"):
        key = (rec["front_id"], rec["zone_id"], rec["asset"])
        if key not in geoms:
            continue
        geom, mode, dist, _cost = geoms[key]
        unit = rec["unit"]
        recs.append(
            {
                "front_id": key[0],
                "zone_id": key[1],
                "asset": key[2],
                "amount": max(rec["a"], rec["b"]),
                "distance_km": dist,
                "cost": math.nan,
            }
        )
        routes.append(
            {"front_id": key[0], "zone_id": key[1], "asset": key[2], "mode": mode, "geometry": geom}
        )
        st = palette.FLOW_CHANGE_STYLES[rec["status"]]
        styles.append(
            {
                "c": st["c"],
                "d": st["d"] or None,
                "o": st["o"],
                "_ab": (rec["a"], rec["b"]),
                "_asset": key[2],
            }
        )
        amounts.append(abs(rec["change"]))
        sign = "+" if rec["change"] > 0 else ""
        extra.append(
            [
                ["Change", f"{sign}{fmt_value(rec['change'], unit)} ({st['label']})"],
                [a.scenario, fmt_value(rec["a"], unit) or "0"],
                [b.scenario, fmt_value(rec["b"], unit) or "0"],
            ]
        )
    merged = dataclasses.replace(
        b,
        flows=pd.DataFrame(
            recs, columns=["front_id", "zone_id", "asset", "amount", "distance_km", "cost"]
        ),
        routes=gpd.GeoDataFrame(routes, geometry="geometry", crs="EPSG:4326")
        if routes
        else gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"),
    )
    for s in styles:
        if s["d"] is None:
            del s["d"]
    return merged, styles, amounts, extra


def _zone_rows(
    table: pd.DataFrame, a: AllocationResult, b: AllocationResult
) -> dict[str, list[list[str]]]:
    """Popup rows of each zone whose allocation changes: forces (kpe) and each class."""
    zones = table[(table["kind"] == "zone") & (table["zone_id"] != HOME_ID)]
    va, vb = zone_sums(table, "military")
    rows: dict[str, list[list[str]]] = {}
    for z in sorted(set(va) | set(vb)):
        x, y = va.get(z, 0.0), vb.get(z, 0.0)
        rows[z] = [[f"Forces, {a.scenario} → {b.scenario}", arrow(x, y, "kpe")]]
    for rec in zones[zones["status"] != "same"].to_dict("records"):
        rows.setdefault(rec["zone_id"], []).append(
            [f"{rec['asset']} ({rec['unit']})", arrow(rec["a"], rec["b"], rec["unit"])]
        )
    return rows


def _flow_legend(data: Sequence[LayerData]) -> str:
    """The difference view's flows: colours by change, each kind's width scale (the change)."""
    out = ['<div class="rd-h3">Flows, A → B: width ∝ change</div><div class="rd-scale">']
    for st in palette.FLOW_CHANGE_STYLES.values():
        out.append(
            f"<span>{line_svg(str(st['c']), 4, str(st['d']) or None)}{esc(st['label'])}</span>"
        )
    out.append("</div>")
    for d in data:
        for unit, amax in sorted(d.legend.get("amax", {}).items()):
            weights = tuple(d.legend.get("weights", palette.FLOW_WEIGHTS))
            dash = d.legend.get("dash")
            samples = width_samples(float(amax), unit, (float(weights[0]), float(weights[1])))
            spans = "".join(
                f"<span>{line_svg('#6b7480', w, dash)}{esc(t)}</span>" for t, w in samples
            )
            what = "engagement" if d.kind == "flows_engagement" else "forces"
            out.append(f'<div class="rd-w"><span>{what}:</span>{spans}</div>')
    kinds = " ".join(d.kind for d in data)
    return (
        f'<div class="rd-lg" data-rd-kind="{esc(kinds)}" data-rd-view="diff">{"".join(out)}</div>'
    )


@paused_collection
def build_compare_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    a: AllocationResult,
    b: AllocationResult,
    *,
    tiles: str | None = None,
    title: str | None = None,
    table: pd.DataFrame | None = None,
) -> folium.Map:
    """
    Build the comparison page of runs `a` and `b` (B - A), with two views.

    The difference map colours zones on a diverging scale by the change of the forces
    (kpe) or of the engagement ($bn/yr) each run adds (the legend switches; the home pool
    is in the panel, not a zone) and draws flows that grow, shrink, appear or disappear in
    distinct colours, as wide as the change: forces and engagement each on its own scale,
    never added. Side by side, A and B are drawn on two synchronised maps with shared
    scales. The panel follows the money from A to B, shows which allies pay how much more
    and their double burden, the regions, the home pool and the objective; markers and
    popups show B's values.

    Parameters
    ----------
    layers
        The layers both runs used.
    a, b
        The two results.
    tiles
        Optional xyzservices provider name for web tiles.
    title
        Map title; defaults to ``"A → B: what changes"``.
    table
        `compare_results(a, b)` when already computed.

    Returns
    -------
    folium.Map
        The map; write it with `save_map`.
    """
    table = compare_results(a, b) if table is None else table
    title = title or f"{a.scenario} → {b.scenario}: what changes"
    m = new_map(layers, tiles=tiles, title=title)
    zones, change_edges, twin_edges = _change_zones(layers, table, a, b)
    flows = _change_flows(layers, a, b, table)
    flow_widths(flows)
    data = stack_layers(layers, b, zones=zones, flows=flows, tiles=tiles)
    add_layers(m, data)
    twin_zones, twin_flows = twin_blocks(flows, twin_edges)
    legend = panels.legend_html(
        data,
        flow_block=_flow_legend(flows) + twin_flows,
        zone_block=change_zone_block(change_edges) + twin_zones,
    )
    finish_map(
        m,
        title=title,
        subtitle=headline_change(a, b),
        panel=compare_panel(a, b, table, front_changes(a, b, layers), layers),
        legend=legend,
        flows=sum(d.count for d in flows),
    )
    m.add_child(TwinScript(a.scenario, b.scenario))
    stabilise_ids(m)
    return m


def _change_zones(
    layers: Mapping[str, gpd.GeoDataFrame],
    table: pd.DataFrame,
    a: AllocationResult,
    b: AllocationResult,
) -> tuple[list[LayerData], list[list[float]], list[float]]:
    """The zones layer of a comparison, with the fills of both views, and their scales."""
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    if zones_gdf is None:
        return [], [[], []], []
    va, vb = zone_sums(table, "military")
    change = {z: vb.get(z, 0.0) - va.get(z, 0.0) for z in set(va) | set(vb)}
    zl = zone_layer(
        zones_gdf,
        b,
        values=change,
        colors={},
        extra_rows=_zone_rows(table, a, b),
        title="Peripheral zones by change",
    )
    ids = [str(i) for i in zones_gdf["id"]]
    change_edges, twin_edges = zone_fills(zl, ids, table, TOLERANCE)
    return [zl], change_edges, twin_edges


def _change_flows(
    layers: Mapping[str, gpd.GeoDataFrame],
    a: AllocationResult,
    b: AllocationResult,
    table: pd.DataFrame,
) -> list[LayerData]:
    """The flows that change, forces and engagement apart, each as wide as its change."""
    merged, styles, amounts, extra = _merged_flows(a, b, table)
    money = [str(x) == "engagement" for x in merged.flows["asset"]]
    out = []
    for is_money in (False, True):
        pick = [i for i, mny in enumerate(money) if mny == is_money]
        part = dataclasses.replace(
            merged,
            flows=merged.flows.iloc[pick].reset_index(drop=True),
            routes=merged.routes.iloc[pick].reset_index(drop=True),
        )
        st = [dict(styles[i]) for i in pick]
        if is_money:  # engagement keeps its dots whatever the status
            for x in st:
                x.pop("d", None)
        out.append(
            flow_layer(
                layers,
                part,
                styles=st,
                amounts=[amounts[i] for i in pick],
                extra_rows=[extra[i] for i in pick],
                title="Engagement: change A → B ($bn/yr)"
                if is_money
                else "Forces: change A → B (kpe)",
                kind="flows_engagement" if is_money else "flows",
                weights=palette.ENGAGEMENT_WEIGHTS if is_money else palette.FLOW_WEIGHTS,
                dotted=is_money,
            )
        )
    return out


def table_csv(table: pd.DataFrame) -> str:
    """Return the comparison table as CSV text (`redeploy.io.text.csv_text`)."""
    return csv_text(table)


def write_comparison(
    layers: Mapping[str, gpd.GeoDataFrame],
    a: AllocationResult,
    b: AllocationResult,
    out_dir: str | os.PathLike[str],
    *,
    tiles: str | None = None,
) -> tuple[Path, Path]:
    """
    Write ``A-vs-B.html`` and ``A-vs-B.csv`` into `out_dir`.

    Returns
    -------
    tuple of pathlib.Path
        The HTML map and the CSV table.
    """
    from redeploy.render.maps import save_map

    out = Path(out_dir)
    stem = comparison_name(a, b)
    table = compare_results(a, b)
    html_path = save_map(
        build_compare_map(layers, a, b, tiles=tiles, table=table), out / f"{stem}.html"
    )
    csv_path = write_atomic(out / f"{stem}.csv", table_csv(table))
    return html_path, csv_path
