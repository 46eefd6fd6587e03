"""The robustness map of a Monte Carlo sweep: how often, and how much, each zone receives.

Zones are coloured by the share of samples in which they receive military capacity (above
`redeploy.model.sweep.EPSILON`); a second, hidden zone layer colours them by the spread of the
amount (p95 − p5). Popups and tooltips give the numbers (probability, mean, median, p5 and
p95 of military kpe and engagement $bn/yr). Flows and markers show the run at the central
values. The figures come from the sweep's summary table; nothing is recomputed here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult
from redeploy.render import panels
from redeploy.render.collector import paused_collection
from redeploy.render.features import LayerData, flow_layer, zone_layer
from redeploy.render.format import fmt_number, fmt_value
from redeploy.render.frames import names
from redeploy.render.maps import add_layers, finish_map, new_map, save_map, stack_layers
from redeploy.render.popups import channel_label
from redeploy.schemas import RISK_CHANNELS, LayerKind

#: Upper edges of the probability classes (a zone that never receives is drawn empty).
PROBABILITY_EDGES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8, 1.0)
#: How many zones the panel lists as the most robust.
TOP_ZONES = 10


def _pct(p: float) -> str:
    return f"{100 * p:.0f} %" if p >= 0.01 or p == 0 else "< 1 %"


def zone_stats(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, float]]]:
    """Return ``{zone_id: {metric: {mean, p5, p50, p95, p_positive}}}`` from a summary."""
    zones = summary[summary["kind"] == "zone"]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for rec in zones.to_dict("records"):
        out.setdefault(str(rec["id"]), {})[str(rec["metric"])] = {
            k: float(rec[k]) if pd.notna(rec[k]) else 0.0
            for k in ("mean", "p5", "p50", "p95", "p_positive")
        }
    return out


def _rows(stats: Mapping[str, Mapping[str, float]], first: str) -> list[list[str]]:
    mil = stats.get("military_kpe", {})
    eng = stats.get("engagement_bn", {})
    prob = [["Receives military capacity", f"{_pct(mil.get('p_positive', 0.0))} of samples"]]
    spread = [
        [
            "Spread p5–p95",
            f"{fmt_value(mil.get('p5', 0.0), 'kpe')} – {fmt_value(mil.get('p95', 0.0), 'kpe')}",
        ]
    ]
    rows = prob + spread if first == "probability" else spread + prob
    rows += [
        [
            "Military, mean · median",
            f"{fmt_value(mil.get('mean', 0.0), 'kpe')} · {fmt_value(mil.get('p50', 0.0), 'kpe')}",
        ],
        ["Receives engagement", f"{_pct(eng.get('p_positive', 0.0))} of samples"],
        [
            "Engagement, mean · p5–p95",
            f"{fmt_value(eng.get('mean', 0.0), '$bn/yr')} · "
            f"{fmt_value(eng.get('p5', 0.0), '$bn/yr')} – "
            f"{fmt_value(eng.get('p95', 0.0), '$bn/yr')}",
        ],
    ]
    return rows


def _driver_row(drivers: Mapping[str, str], zone: str) -> list[list[str]]:
    text = drivers.get(zone)
    return [["Driven most by", text]] if text else []


def _probability_block() -> str:
    esc = panels.esc
    out = [
        '<div class="rd-h3">Zones: share of samples that send military capacity</div>'
        '<div class="rd-scale">'
    ]
    out.append(
        f'<span><span class="rd-sw" style="background:{palette.ZONE_EMPTY_COLOR}"></span>'
        "never</span>"
    )
    lower = 0.0
    for edge in PROBABILITY_EDGES:
        color = palette.allocation_color(edge, PROBABILITY_EDGES)
        text = f"≤ {_pct(edge)}" if lower == 0 else f"{_pct(lower)}–{_pct(edge)}"
        out.append(
            f'<span><span class="rd-sw" style="background:{color}"></span>{esc(text)}</span>'
        )
        lower = edge
    out.append("</div>")
    return "".join(out)


def _stat_row(name: str, r: Mapping[Any, Any]) -> list[str]:
    return [name, *(fmt_number(float(r[k])) for k in ("mean", "p5", "p95"))]


#: Order and labels of the objective's parts; the risk channels follow the risk.
_OBJECTIVE_LABELS: Mapping[str, str] = {
    "value": "Strategic value",
    "transit_cost": "Transit cost",
    "risk": "Risk",
    **{f"risk_{c}": f"· {channel_label(c)}" for c in RISK_CHANNELS},
    "total": "Total",
}
#: Labels of the sweep's totals (`redeploy.model.sweep.summarize`, kind ``total``).
_TOTAL_LABELS: Mapping[str, str] = {
    "released_kpe": "Released from fronts",
    "home_kpe": "Sent home",
    "converted_kpe": "Converted to engagement",
}


def _objective_block(summary: pd.DataFrame) -> str:
    """The objective's parts across samples; risk channels never above 0 are left out."""
    obj = summary[(summary["kind"] == "objective") & summary["mean"].notna()]
    if obj.empty:
        return ""
    recs = {str(r["metric"]): r for r in obj.to_dict("records")}
    order = [k for k in _OBJECTIVE_LABELS if k in recs]
    order += sorted(k for k in recs if k not in _OBJECTIVE_LABELS)
    rows = [
        _stat_row(_OBJECTIVE_LABELS.get(k, k.replace("_", " ")), recs[k])
        for k in order
        if not (k.startswith("risk_") and float(recs[k]["p95"]) <= 0)
    ]
    return '<div class="rd-h3">Objective ($bn-eq/yr)</div>' + panels._table(
        ["Part", "Mean", "p5", "p95"], rows
    )


def _totals_block(summary: pd.DataFrame) -> str:
    """Military capacity released, sent home and converted across samples (kpe)."""
    tot = summary[(summary["kind"] == "total") & summary["mean"].notna()]
    if tot.empty:
        return ""
    recs = {str(r["metric"]): r for r in tot.to_dict("records")}
    order = [k for k in _TOTAL_LABELS if k in recs] + sorted(set(recs) - set(_TOTAL_LABELS))
    rows = [_stat_row(_TOTAL_LABELS.get(k, k.replace("_", " ")), recs[k]) for k in order]
    return '<div class="rd-h3">Freed military capacity (kpe)</div>' + panels._table(
        ["", "Mean", "p5", "p95"], rows
    )


def _panel(
    summary: pd.DataFrame,
    central: AllocationResult,
    layers: Mapping[str, gpd.GeoDataFrame],
    facts: Sequence[tuple[str, str]],
    params: Sequence[tuple[str, str, str]],
    map_drivers: Sequence[tuple[str, str]] = (),
) -> str:
    esc = panels.esc
    out = [
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">',
        f"<details open><summary>Monte Carlo sweep · <b>{esc(central.scenario)}</b></summary>",
    ]
    if central.description:
        out.append(f'<div class="rd-desc">{esc(central.description.strip())}</div>')
    if facts:
        out.append(panels._table(["Sweep", ""], [list(f) for f in facts], cls="rd-tab rd-obj"))
    if params:
        out.append(
            f'<details class="rd-src"><summary>Uncertain parameters ({len(params)})</summary><ul>'
        )
        out += [
            f"<li><code>{esc(key)}</code>: {esc(dist)}, central {esc(mid)}</li>"
            for key, dist, mid in params
        ]
        out.append("</ul></details>")
    if map_drivers:
        out.append('<div class="rd-h3">What drives this map most</div>')
        out.append(panels._table(["Parameter", "Index"], [list(d) for d in map_drivers]))
    out.append(_objective_block(summary))
    out.append(_totals_block(summary))
    zones = summary[(summary["kind"] == "zone") & (summary["metric"] == "military_kpe")]
    zones = zones[zones["p_positive"].fillna(0) > 0]
    if not zones.empty:
        zone_names = names(layers, "peripheral_zones")
        top = zones.sort_values(
            ["p_positive", "mean", "id"], ascending=[False, False, True], kind="mergesort"
        ).head(TOP_ZONES)
        rows = [
            [
                zone_names.get(str(r["id"]), str(r["id"])),
                _pct(float(r["p_positive"])),
                fmt_number(float(r["mean"])),
                fmt_number(float(r["p95"])),
            ]
            for r in top.to_dict("records")
        ]
        out.append('<div class="rd-h3">Zones most often served (military kpe)</div>')
        out.append(panels._table(["Zone", "P", "Mean", "p95"], rows))
    out.append(panels.sources_html(layers))
    out.append(panels.run_line(central, "central run"))
    out.append("</details></div>")
    return "".join(out)


@paused_collection
def build_robustness_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    summary: pd.DataFrame,
    central: AllocationResult,
    *,
    facts: Sequence[tuple[str, str]] = (),
    params: Sequence[tuple[str, str, str]] = (),
    tiles: str | None = None,
    title: str | None = None,
    drivers: Mapping[str, str] | None = None,
    map_drivers: Sequence[tuple[str, str]] = (),
) -> folium.Map:
    """
    Build the robustness map of a sweep.

    Parameters
    ----------
    layers
        Every layer, keyed by kind (the basemap included).
    summary
        The sweep's summary (`redeploy.model.sweep.summarize`).
    central
        The allocation at the central values (flows, markers and popup tables).
    facts
        ``(label, text)`` rows about the sweep for the panel (samples, seed, ...).
    params
        ``(key, distribution, central value)`` of each uncertain parameter.
    tiles
        Optional xyzservices provider name for web tiles.
    title
        Map title.
    drivers
        ``{zone_id: text}``: the parameters that most drive each zone's allocation (a
        popup row).
    map_drivers
        ``(parameter, figure)`` of the parameters that drive the whole map most, and where
        the figure comes from (the panel lists them).

    Returns
    -------
    folium.Map
        The map; write it with `redeploy.render.maps.save_map`.
    """
    title = title or "How robust is the allocation?"
    m = new_map(layers, tiles=tiles, title=f"{title} · {central.scenario}")
    stats = zone_stats(summary)
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    zones: list[LayerData] = []
    spread_edges: list[float] = []
    if zones_gdf is not None:
        zones, spread_edges = _robustness_zones(zones_gdf, central, stats, drivers or {})
    flows = None
    if central.routes is not None and len(central.routes):
        flows = dataclasses.replace(
            flow_layer(layers, central, title="Flows at the central values"), show=False
        )
    data = stack_layers(layers, central, zones=zones, flows=flows, tiles=tiles)
    add_layers(m, data)
    n = next((int(r["samples"]) for r in summary.to_dict("records") if r["kind"] == "objective"), 0)
    served = sum(1 for s in stats.values() if s.get("military_kpe", {}).get("p_positive", 0.0) > 0)
    subtitle = (
        f"Scenario {central.scenario}: {n:,} samples; {served} zones receive "
        "military capacity in at least one of them"
    )
    zone_block = _probability_block() + panels.zone_scale_html(
        "spread p95 − p5 (hidden layer)", "kpe", spread_edges
    )
    legend = panels.legend_html(data, zone_block=zone_block)
    return finish_map(
        m,
        title=title,
        subtitle=subtitle,
        panel=_panel(summary, central, layers, facts, params, map_drivers),
        legend=legend,
        flows=flows.count if flows else 0,
    )


def _robustness_zones(
    zones_gdf: gpd.GeoDataFrame,
    central: AllocationResult,
    stats: Mapping[str, Any],
    drivers: Mapping[str, str],
) -> tuple[list[LayerData], list[float]]:
    """The zones by how often they receive, then (hidden) by the spread p5–p95 of what they
    receive, and the spread's class edges."""
    prob = {z: s.get("military_kpe", {}).get("p_positive", 0.0) for z, s in stats.items()}
    colors = {z: palette.allocation_color(p, PROBABILITY_EDGES) for z, p in prob.items()}
    rows = {z: _rows(s, "probability") + _driver_row(drivers, z) for z, s in stats.items()}
    zones = [
        zone_layer(
            zones_gdf,
            central,
            values=prob,
            colors=colors,
            extra_rows=rows,
            title="Peripheral zones: how often they receive",
        )
    ]
    spread = {
        z: s.get("military_kpe", {}).get("p95", 0.0) - s.get("military_kpe", {}).get("p5", 0.0)
        for z, s in stats.items()
    }
    spread_edges = palette.allocation_bins(spread.values())
    colors = {z: palette.allocation_color(v, spread_edges) for z, v in spread.items()}
    rows = {z: _rows(s, "spread") + _driver_row(drivers, z) for z, s in stats.items()}
    spread_layer = zone_layer(
        zones_gdf,
        central,
        values=spread,
        colors=colors,
        extra_rows=rows,
        title="Peripheral zones: spread p5–p95",
    )
    zones.append(dataclasses.replace(spread_layer, show=False, kind="zones_spread"))
    return zones, spread_edges


def write_robustness_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    summary: pd.DataFrame,
    central: AllocationResult,
    path: str | os.PathLike[str],
    *,
    facts: Sequence[tuple[str, str]] = (),
    params: Sequence[tuple[str, str, str]] = (),
    tiles: str | None = None,
    drivers: Mapping[str, str] | None = None,
    map_drivers: Sequence[tuple[str, str]] = (),
) -> Path:
    """
    Write the robustness map to `path` (atomically; same inputs, same bytes).

    Parameters
    ----------
    facts
        ``(label, text)`` rows about the sweep for the panel (samples solved, seed); no
        timings, so the file does not change from run to run.
    params
        ``(path, distribution, central value)`` of each uncertain parameter.
    drivers, map_drivers
        As for `build_robustness_map`.
    """
    m = build_robustness_map(
        layers,
        summary,
        central,
        tiles=tiles,
        facts=facts,
        params=params,
        drivers=drivers,
        map_drivers=map_drivers,
    )
    return save_map(m, path)
