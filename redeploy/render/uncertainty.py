"""Pages and charts of `redeploy sensitivity` and `redeploy discover`.

- the sensitivity chart (PNG, matplotlib Agg): a heat map of ST (Sobol') or mu_star
  (Morris) per parameter and outcome, parameters ranked by their largest index;
- the sensitivity page: the central run's map with the ranking (top drivers of each
  outcome) and the chart in the side panel;
- the discovery chart: PRIM's peeling trajectory (density against coverage), the chosen
  box marked; the discovery page: the condition, the box in plain words, its table, the
  trajectory.

Everything from data is escaped; charts are embedded as ``data:`` PNG, so the pages work
offline; same inputs, same bytes.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from redeploy.analysis.outcomes import Condition
from redeploy.analysis.prim import PrimResult
from redeploy.analysis.sensitivity import ranking
from redeploy.io.atomic import atomic_path
from redeploy.model.digits import significant
from redeploy.model.result import AllocationResult
from redeploy.render.features import flow_layer, zone_layer
from redeploy.render.maps import add_layers, finish_map, new_map, save_map, stack_layers
from redeploy.render.markup import esc
from redeploy.render.panels import legend_html, sources_html

if TYPE_CHECKING:
    import geopandas as gpd

    from redeploy.analysis.results import DiscoverOutput, SensitivityOutput

#: Parameters shown in the sensitivity chart (the most influential ones).
CHART_PARAMETERS = 18

_KEY_WORDS = {
    "defense_pct_gdp": "defence spending (% of GDP)",
    "target_pct_gdp": "defence target (% of GDP)",
    "hns_change_pct": "host-nation support change (%)",
    "threat_level": "threat level",
    "value_per_unit_bn": "value per unit",
    "home_value_bn": "value of a unit kept home",
    "transit_cost_bn_per_1000km": "transit cost",
    "access_penalty_bn": "access penalty",
}


def parameter_label(path: str) -> str:
    """A parameter path in words, e.g. ``assets.naval.value_per_unit_bn`` → "value per
    unit, naval"; unknown shapes are returned as they are."""
    parts = path.split(".")
    if parts[0] == "fronts" and len(parts) == 3:
        return f"{parts[1]}: {_KEY_WORDS.get(parts[2], parts[2])}"
    if parts[0] == "assets" and len(parts) == 4 and parts[2] == "fit":
        return f"fit of {parts[1]} to {parts[3]}"
    if parts[0] == "assets" and len(parts) == 3:
        return f"{_KEY_WORDS.get(parts[2], parts[2].replace('_', ' '))}, {parts[1]}"
    if parts[:2] == ["model", "layer_weights"]:
        return f"weight of {parts[2]} value"
    if parts[:2] == ["model", "risk_weights"]:
        return f"risk weight: {parts[2].replace('_', ' ')}"
    if parts[0] in ("regions", "zones") and len(parts) == 3:
        return f"{parts[1]}: {parts[2].replace('_', ' ')}"
    if parts[0] == "model" and len(parts) == 2:
        return parts[1].replace("_", " ")
    return path


def _savefig(fig: Any, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return Path(path)


def _matrix(output: SensitivityOutput) -> pd.DataFrame:
    key = "ST" if output.method == "sobol" else "mu_star"
    wide = output.table.pivot_table(index="parameter", columns="output", values=key, aggfunc="sum")
    wide = wide.reindex(columns=list(output.outputs)).fillna(0.0)
    if output.method == "morris":  # mu_star in each output's unit: scale per output
        top = wide.max(axis=0).replace(0.0, 1.0)
        wide = wide / top
    order = wide.max(axis=1).sort_values(ascending=False, kind="mergesort").index
    return wide.loc[list(order)[:CHART_PARAMETERS]]


def plot_sensitivity(output: SensitivityOutput, path: str | Path) -> Path:
    """Write the ranking chart (PNG): the index of each top parameter for every outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wide = _matrix(output)
    fig, ax = plt.subplots(
        figsize=(2.2 + 0.55 * max(len(wide.columns), 1), 1.6 + 0.32 * max(len(wide), 1)), dpi=130
    )
    image = ax.imshow(wide.to_numpy(dtype=float), cmap="YlGnBu", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_yticks(range(len(wide)), [parameter_label(p) for p in wide.index], fontsize=7.5)
    ax.set_xticks(range(len(wide.columns)), list(wide.columns), rotation=60, ha="right", fontsize=7)
    what = "total-order index ST" if output.method == "sobol" else "mu* (share of the largest)"
    ax.set_title(f"What drives each outcome · {output.plan.name} · {what}", loc="left", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    fig.tight_layout()
    return _savefig(fig, path)


def _ranking_html(output: SensitivityOutput) -> str:
    key = "ST" if output.method == "sobol" else "mu*"
    rows = []
    for out in output.outputs:
        top = ranking(output.table, output.method, out, top=3)
        cells = "; ".join(f"{esc(parameter_label(p))} {v:.2f}" for p, v in top if v > 0) or "–"
        rows.append(f"<tr><td>{esc(out)}</td><td>{cells}</td></tr>")
    return (
        f'<div class="rd-sec"><b>Top drivers of each outcome ({esc(key)})</b>'
        f'<table class="rd-t"><tr><th>outcome</th><th>parameters</th></tr>{"".join(rows)}'
        "</table></div>"
    )


def _sensitivity_panel(output: SensitivityOutput, chart: bytes, layers: Mapping[str, Any]) -> str:
    facts = (
        f"{esc(output.method.capitalize())} indices (SALib) from {output.evaluations:,} solves "
        f"(base size {output.samples:,}, {len(output.plan.paths)} uncertain parameters)"
        + (f"; {output.failed:,} not solved, given the mean" if output.failed else "")
        + "."
    )
    src = base64.b64encode(chart).decode("ascii")
    return (
        '<div id="rd-panel" class="rd-box rd-panel" style="display:none">'
        f"<details open><summary>Sensitivity · <b>{esc(output.plan.name)}</b></summary>"
        f"<p>{facts} The map shows the allocation at the central values.</p>"
        f"{_ranking_html(output)}"
        f'<img alt="sensitivity chart" style="max-width:100%" src="data:image/png;base64,{src}">'
        f"{sources_html(layers)}</details></div>"
    )


def write_sensitivity_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    central: AllocationResult,
    output: SensitivityOutput,
    path: str | os.PathLike[str],
    chart: bytes,
) -> Path:
    """Write the sensitivity page: the central run's map, the ranking and the chart (the
    PNG of `plot_sensitivity`, embedded)."""
    m = new_map(layers, title=f"What drives the allocation · {central.scenario}")
    zones_gdf = layers.get("peripheral_zones")
    zones = [zone_layer(zones_gdf, central)] if zones_gdf is not None else []
    flows = flow_layer(layers, central) if len(central.routes) else None
    data = stack_layers(layers, central, zones=zones, flows=flows)
    add_layers(m, data)
    finish_map(
        m,
        title="What drives the allocation",
        subtitle=(
            f"Scenario {central.scenario}: {len(output.plan.paths)} uncertain parameters, "
            f"{output.method} indices for {len(output.outputs)} outcomes"
        ),
        panel=_sensitivity_panel(output, chart, layers),
        legend=legend_html(data),
        flows=flows.count if flows else 0,
    )
    return save_map(m, path)


def _fmt(x: float) -> str:
    if x == 0 or not math.isfinite(x) or float(x).is_integer():
        return f"{x:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{digits}f}"


def box_words(result: PrimResult, condition: Condition) -> str:
    """The chosen box in plain words: "South America.total_bn > 0 holds in 91 % of the
    samples where value per unit, naval is below 0.45 and ... (coverage ..., density ...)"."""
    box = result.box
    if result.cases in (0, result.samples):
        which = "holds in every one" if result.cases else "holds in none"
        return (
            f"{condition.text} {which} of the {result.samples:,} samples: over the whole "
            "range of the uncertain parameters the answer does not flip, so no box is needed."
        )
    parts = []
    for j, name in enumerate(result.names):
        lo_cut = box.low[j] > result.bounds_low[j]
        hi_cut = box.high[j] < result.bounds_high[j]
        label = parameter_label(name)
        if lo_cut and hi_cut and box.low[j] == box.high[j]:
            parts.append(f"{label} is {_fmt(box.low[j])}")
        elif lo_cut and hi_cut:
            parts.append(f"{label} is between {_fmt(box.low[j])} and {_fmt(box.high[j])}")
        elif lo_cut:
            parts.append(f"{label} is at least {_fmt(box.low[j])}")
        elif hi_cut:
            parts.append(f"{label} is at most {_fmt(box.high[j])}")
    if not parts:
        return (
            f"No box stands out: {condition.text} holds in {result.base_density:.0%} of the "
            f"{result.samples:,} samples, and no range of the parameters concentrates it."
        )
    where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"{condition.text} holds in {box.density:.0%} of the samples where {where} "
        f"(against {result.base_density:.0%} over all {result.samples:,} samples); "
        f"this box holds {box.coverage:.0%} of the {result.cases:,} samples where it holds."
    )


def plot_peeling(result: PrimResult, path: str | Path) -> Path:
    """Write PRIM's peeling trajectory (PNG): density against coverage, the chosen box."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.trajectory_frame()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=130)
    points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=16)
    chosen = result.box
    ax.scatter([chosen.coverage], [chosen.density], s=160, facecolor="none", edgecolor="#c0392b")
    ax.annotate(
        "chosen box",
        (chosen.coverage, chosen.density),
        xytext=(8, 6),
        textcoords="offset points",
        fontsize=8,
        color="#c0392b",
    )
    ax.set_xlabel("coverage: share of the cases of interest inside the box")
    ax.set_ylabel("density: share of the box's samples that are cases")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, color="#e3e6ea", lw=0.8)
    fig.colorbar(points, ax=ax, label="parameters restricted")
    ax.set_title("PRIM peeling trajectory", loc="left", fontsize=10)
    fig.tight_layout()
    return _savefig(fig, path)


def discover_html(output: DiscoverOutput, chart: bytes) -> str:
    """The discovery page: the condition, the box in words, its table, the trajectory."""
    rows = "".join(
        f"<tr><td>{esc(parameter_label(r['parameter']))}</td><td><code>{esc(r['parameter'])}"
        f"</code></td><td>{_fmt(float(r['low']))}</td><td>{_fmt(float(r['high']))}</td></tr>"
        for r in output.table.to_dict("records")
    )
    traj = output.result.trajectory_frame()
    steps = "".join(
        f"<tr><td>{int(r['step'])}</td><td>{r['coverage']:.3f}</td><td>{r['density']:.3f}</td>"
        f"<td>{r['mass']:.3f}</td><td>{int(r['restricted'])}</td></tr>"
        for r in traj.to_dict("records")
    )
    src = base64.b64encode(chart).decode("ascii")
    failed = f" ({output.failed:,} not solved, left out)" if output.failed else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>When does it hold? · {esc(output.plan.name)}</title>"
        "<style>body{font:14px/1.45 system-ui,sans-serif;max-width:980px;margin:24px auto;"
        "padding:0 16px;color:#1d2733}table{border-collapse:collapse;margin:8px 0}"
        "td,th{border-bottom:1px solid #e3e6ea;padding:3px 8px;text-align:left}"
        ".words{font-size:16px;background:#f4f7f9;padding:12px;border-left:4px solid #2a9d8f}"
        "</style></head><body>"
        f"<h1>When does <code>{esc(output.condition.text)}</code> hold?</h1>"
        f"<p>Scenario <b>{esc(output.plan.name)}</b>: {output.samples:,} samples of "
        f"{len(output.plan.paths)} uncertain parameters{esc(failed)}; scenario discovery "
        "with PRIM (docs/uncertainty.md).</p>"
        f'<p class="words">{esc(output.words)}</p>'
        "<h2>The box</h2><table><tr><th>parameter</th><th>key</th><th>low</th><th>high</th>"
        f"</tr>{rows}</table>"
        f"<p>Coverage {output.result.box.coverage:.3f}, density "
        f"{output.result.box.density:.3f}.</p>"
        f'<h2>Peeling trajectory</h2><img alt="peeling trajectory" '
        f'src="data:image/png;base64,{src}">'
        "<table><tr><th>step</th><th>coverage</th><th>density</th><th>mass</th>"
        f"<th>parameters restricted</th></tr>{steps}</table>"
        "</body></html>\n"
    )


def driver_rows(
    table: pd.DataFrame, columns: Mapping[str, str], top: int = 3
) -> dict[str, list[tuple[str, float]]]:
    """
    The parameters whose values move each outcome most in a sample table: the `top` by
    absolute Spearman rank correlation (optimal samples; outcomes that do not vary get
    none). `columns` maps an id (a zone) to its column of the table.
    """
    ok = table[table["status"] == "optimal"]
    params = [c for c in ok.columns if c.startswith("param:")]
    if len(ok) < 3 or not params:
        return {}
    ranks = ok[params].rank()
    out: dict[str, list[tuple[str, float]]] = {}
    for ident, col in columns.items():
        y = ok[col].rank()
        if y.nunique() <= 1:
            continue
        rho = ranks.corrwith(y).fillna(0.0)
        # Ranked on rounded figures: ties (common in ranks of few samples) keep the
        # parameters' order on every CPU (`redeploy.model.digits`).
        strength = pd.Series(significant(rho.abs().to_numpy()), index=rho.index)
        order = strength.sort_values(ascending=False, kind="mergesort").index[:top]
        out[ident] = [(p.removeprefix("param:"), float(rho[p])) for p in order if abs(rho[p]) > 0]
    return out


def drivers_text(drivers: list[tuple[str, float]]) -> str:
    """``"value per unit, naval (ρ +0.62); ..."`` for a popup or the panel."""
    return "; ".join(f"{parameter_label(p)} (ρ {r:+.2f})" for p, r in drivers)


__all__ = [
    "box_words",
    "discover_html",
    "driver_rows",
    "drivers_text",
    "parameter_label",
    "plot_peeling",
    "plot_sensitivity",
    "write_sensitivity_map",
]
