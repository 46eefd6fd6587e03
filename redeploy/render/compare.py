"""Compare two allocation runs: a change table (CSV) and a map of what grows, shrinks, appears.

Nothing is recomputed: the table lines up the two results' `zones` and `flows` frames and
takes differences (B - A) for display.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.io.atomic import write_atomic
from redeploy.io.text import csv_text
from redeploy.model.result import AllocationResult
from redeploy.render import panels
from redeploy.render.features import flow_layer, zone_layer
from redeploy.render.format import fmt_number, fmt_value, value_unit
from redeploy.render.frames import HOME_ID, HOME_NAME, HOME_REGION, asset_order
from redeploy.render.maps import add_layers, finish_map, new_map, stack_layers
from redeploy.render.popups import channel_label
from redeploy.schemas import ASSET_UNITS, MILITARY_ASSETS, RISK_CHANNELS, LayerKind

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
    """Return a result whose flows/routes are the union of A's and B's, and their styles."""
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
        styles.append({"c": st["c"], "d": st["d"] or None, "o": st["o"]})
        amounts.append(max(rec["a"], rec["b"]))
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


def _zone_changes(
    table: pd.DataFrame, a: AllocationResult, b: AllocationResult
) -> tuple[dict[str, float], dict[str, str], dict[str, list[list[str]]], list[float]]:
    # The home pool is no peripheral zone: the panel shows it, the zone colours do not.
    zones = table[(table["kind"] == "zone") & (table["zone_id"] != HOME_ID)]
    mil = zones[zones["asset"].isin(MILITARY_ASSETS)]
    change = mil.groupby("zone_id")["change"].sum()
    edges = palette.change_bins(change.to_numpy())
    colors = {
        str(z): palette.change_color(float(v), edges, tolerance=TOLERANCE)
        for z, v in change.items()
    }
    rows: dict[str, list[list[str]]] = {}
    va = mil.groupby("zone_id")["a"].sum().to_dict()
    vb = mil.groupby("zone_id")["b"].sum().to_dict()
    for z, v in change.items():
        sign = "+" if v > 0 else ""
        rows[str(z)] = [
            [
                f"Military kpe, {a.scenario} → {b.scenario}",
                f"{fmt_number(va[z])} → {fmt_number(vb[z])} ({sign}{fmt_number(v)})",
            ]
        ]
    for rec in zones[zones["status"] != "same"].to_dict("records"):
        sign = "+" if rec["change"] > 0 else ""
        rows.setdefault(rec["zone_id"], []).append(
            [
                f"{rec['asset']} ({rec['unit']})",
                f"{fmt_number(rec['a'])} → {fmt_number(rec['b'])} ({sign}"
                f"{fmt_number(rec['change'])})",
            ]
        )
    return {str(k): float(v) for k, v in change.items()}, colors, rows, edges


def _change_row(name: str, va: float, vb: float) -> list[str]:
    return [name, fmt_number(va), fmt_number(vb), ("+" if vb > va else "") + fmt_number(vb - va)]


def _region_block(table: pd.DataFrame) -> str:
    """What each run adds per region (military kpe, other classes in their units)."""
    zones = table[(table["kind"] == "zone") & (table["region"] != HOME_REGION)].copy()
    if zones.empty:
        return ""
    zones["group"] = zones["asset"].map(
        lambda s: "Military kpe" if s in MILITARY_ASSETS else f"{s} ({ASSET_UNITS.get(s, '')})"
    )
    by_region = zones.groupby(["region", "group"], sort=False)[["a", "b", "change"]].sum()
    rows = []
    for key, r in by_region.iterrows():
        region, group = cast(tuple[str, str], key)
        if abs(r["a"]) + abs(r["b"]) <= TOLERANCE:
            continue
        name = region if group == "Military kpe" else f"{region}, {group}"
        rows.append(_change_row(name, float(r["a"]), float(r["b"])))
    return '<div class="rd-h3">Added by region</div>' + panels._table(
        ["Region (kpe)", "A", "B", "Change"], rows, cls="rd-tab rd-cmp"
    )


def _home_block(table: pd.DataFrame) -> str:
    """The home pool in A and B: military kpe returned home and sent abroad from home."""
    mil = table[table["asset"].isin(MILITARY_ASSETS)]
    home_in = mil[(mil["kind"] == "zone") & (mil["zone_id"] == HOME_ID)]
    home_out = mil[(mil["kind"] == "flow") & (mil["front_id"] == HOME_ID)]
    if home_in.empty and home_out.empty:
        return ""
    rows = [
        _change_row(text, float(part["a"].sum()), float(part["b"].sum()))
        for text, part in (("Returned home", home_in), ("Sent abroad from home", home_out))
    ]
    return f'<div class="rd-h3">{panels.esc(HOME_NAME)}</div>' + panels._table(
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
        rows.append(_change_row(name, va, vb))
    if not rows:
        return ""
    return f'<div class="rd-h3">Objective ({panels.esc(value_unit(b))})</div>' + panels._table(
        ["Part", "A", "B", "Change"], rows, cls="rd-tab rd-cmp"
    )


def _panel(
    a: AllocationResult,
    b: AllocationResult,
    table: pd.DataFrame,
    layers: Mapping[str, gpd.GeoDataFrame],
) -> str:
    esc = panels.esc
    out = [
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">',
        f"<details open><summary>Comparison <b>{esc(a.scenario)}</b> → "
        f"<b>{esc(b.scenario)}</b></summary>",
    ]
    for label, res in (("A", a), ("B", b)):
        if res.description:
            out.append(f'<div class="rd-desc"><b>{label}:</b> {esc(res.description.strip())}</div>')
    out.append(_region_block(table))
    out.append(_home_block(table))
    out.append(_objective_block(a, b))
    flows = table[table["kind"] == "flow"]
    counts = flows["status"].value_counts()
    text = ", ".join(
        f"{int(counts.get(k, 0))} {palette.FLOW_CHANGE_STYLES[k]['label']}"
        for k in ("new", "grow", "shrink", "gone", "same")
        if counts.get(k, 0)
    )
    out.append(f'<div class="rd-h3">Flows</div><div>{esc(text or "none")}</div>')
    out.append(panels.sources_html(layers))
    out.append(panels.run_line(a, f"A ({a.scenario})"))
    out.append(panels.run_line(b, f"B ({b.scenario})"))
    out.append("</details></div>")
    return "".join(out)


def _flow_legend() -> str:
    out = ['<div class="rd-h3">Flows, A → B · width ∝ larger amount</div><div class="rd-scale">']
    for st in palette.FLOW_CHANGE_STYLES.values():
        out.append(
            f"<span>{panels._line(str(st['c']), 4, str(st['d']) or None)}"
            f"{panels.esc(st['label'])}</span>"
        )
    out.append("</div>")
    return "".join(out)


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
    Build the comparison map of runs `a` and `b` (B - A).

    Zones are coloured on a diverging scale by the change of military capacity added
    (kpe; the home pool is shown in the panel, not as a zone); flows that grow, shrink,
    appear or disappear are drawn in distinct colours and dashes, as wide as the larger of
    the two amounts. Markers and popups show B's values, the panel sets A, B and the change
    side by side.

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
    values, colors, rows, edges = _zone_changes(table, a, b)
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    zones = []
    if zones_gdf is not None:
        title_z = "Peripheral zones by change"
        zones.append(
            zone_layer(zones_gdf, b, values=values, colors=colors, extra_rows=rows, title=title_z)
        )
    merged, styles, amounts, extra = _merged_flows(a, b, table)
    flows = flow_layer(
        layers,
        merged,
        styles=styles,
        amounts=amounts,
        extra_rows=extra,
        title="Flows: change A → B",
    )
    data = stack_layers(layers, b, zones=zones, flows=flows, tiles=tiles)
    add_layers(m, data)
    legend = panels.legend_html(
        data,
        flow_block=_flow_legend(),
        zone_block=panels.change_scale_html(
            f"change of military capacity added, {b.scenario} − {a.scenario}", "kpe", edges
        ),
    )
    return finish_map(
        m,
        title=title,
        subtitle=_subtitle(a, b, table),
        panel=_panel(a, b, table, layers),
        legend=legend,
        flows=flows.count,
    )


def _subtitle(a: AllocationResult, b: AllocationResult, table: pd.DataFrame) -> str:
    fl = table[table["kind"] == "flow"]
    sa, sb = fl["a"].sum(), fl["b"].sum()
    return (
        f"Flows total {fmt_number(sa)} in {a.scenario}, {fmt_number(sb)} in "
        f"{b.scenario} (kpe and $bn/yr summed per run)"
    )


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
