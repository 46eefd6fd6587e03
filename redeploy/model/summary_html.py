"""Short summaries of model inputs and results for notebooks (``_repr_html_``) and the REPL
(``__repr__``): a few tables of totals, never a dump of the arrays.

Plain HTML strings with every text escaped; nothing here draws a map (the model never
imports the renderer): `redeploy.build_map(layers, result)`, or ``output.map()`` on what
`redeploy.run_scenario` returns, shows it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from redeploy.schemas import ASSET_UNITS, MILITARY_ASSETS

# `AllocationResult` and `AllocationInputs` call these from their reprs: the classes are
# typed `Any` here, as importing them (even for type checkers) would make an import cycle.
AllocationResult = Any
AllocationInputs = Any

_STYLE = (
    "<style>.redeploy-summary table{border-collapse:collapse;margin:4px 0 8px}"
    ".redeploy-summary td,.redeploy-summary th{padding:2px 8px;text-align:right}"
    ".redeploy-summary td:first-child,.redeploy-summary th:first-child{text-align:left}"
    "</style>"
)


def _number(value: object, decimals: int = 3) -> str:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return html.escape(str(value))
    return "–" if not np.isfinite(x) else f"{x:,.{decimals}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(c) if isinstance(c, str) else _number(c)}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _by_region(totals: Mapping[str, object]) -> list[tuple[str, object, object, object]]:
    def part(key: str) -> Mapping[str, object]:
        value = totals.get(key, {})
        return value if isinstance(value, Mapping) else {}

    added, existing, engagement = (
        part("by_region"),
        part("existing_by_region"),
        part("by_region_engagement"),
    )
    regions = list(dict.fromkeys([*existing, *added, *engagement]))
    return [(r, existing.get(r, 0.0), added.get(r, 0.0), engagement.get(r, 0.0)) for r in regions]


def result_html(result: AllocationResult) -> str:
    """A result as a notebook shows it: the objective's parts and what each region gets."""
    obj = result.objective
    head = (
        f"<p><b>redeploy allocation</b> · scenario <code>{html.escape(result.scenario)}</code>"
        f" · {html.escape(result.status)} · run <code>{html.escape(result.run_id[:12])}</code>"
        "</p>"
    )
    objective = _table(
        ["value", "transit cost", "risk", "total"],
        [[obj.get(k, float("nan")) for k in ("value", "transit_cost", "risk", "total")]],
        "objective ($bn-eq/yr)",
    )
    regions = _table(
        ["region", "military there (kpe)", "military added (kpe)", "engagement added ($bn/yr)"],
        _by_region(result.totals),
        "by region",
    )
    home = result.totals.get("home", {})
    home = home if isinstance(home, Mapping) else {}
    home_text = ", ".join(
        f"{html.escape(key.removesuffix('_kpe').replace('_', ' '))} {_number(value)} kpe"
        for key, value in home.items()
        if str(key).endswith("_kpe")
    )
    foot = (
        f"<p>{len(result.flows)} flows"
        + (f"; U.S. home pool: {home_text}" if home_text else "")
        + ". Tables: <code>.flows</code>, <code>.fronts</code>, <code>.zones</code>, "
        "<code>.ledger</code>, <code>.allies</code>. Map: "
        "<code>redeploy.build_map(layers, result)</code> (or <code>output.map()</code> "
        "on a <code>run_scenario</code> output).</p>"
    )
    return f'{_STYLE}<div class="redeploy-summary">{head}{objective}{regions}{foot}</div>'


def result_text(result: AllocationResult) -> str:
    """A result in one line: scenario, status, objective total and the number of flows."""
    total = result.objective.get("total", float("nan"))
    return (
        f"AllocationResult(scenario={result.scenario!r}, status={result.status!r}, "
        f"total={total:.3f} $bn-eq/yr, flows={len(result.flows)}, run_id="
        f"{result.run_id[:12]!r}...)"
    )


def inputs_html(inputs: AllocationInputs) -> str:
    """Inputs as a notebook shows them: their size and what the fronts free, per class."""
    fronts, zones = len(inputs.front_ids) - 1, len(inputs.zone_ids) - 1  # less the home pool
    head = (
        f"<p><b>redeploy model inputs</b> · scenario <code>{html.escape(inputs.scenario)}"
        f"</code> · {fronts} fronts, {zones} zones in {len(inputs.regions)} regions, "
        f"{inputs.n_flows:,} flow variables · run <code>{html.escape(inputs.run_id[:12])}"
        f"</code></p>"
    )
    rows = [
        (
            asset,
            ASSET_UNITS.get(asset, ""),
            float(inputs.baseline[:-1, a].sum()),
            float(inputs.freed[:-1, a].sum()),
            float(inputs.existing[:-1, a].sum()),
            float(inputs.absorb[:-1, a].sum()),
        )
        for a, asset in enumerate(inputs.assets)
    ]
    classes = _table(
        ["class", "unit", "on the fronts", "freed", "already in zones", "zone capacity"],
        rows,
        "by asset class (fronts and zones, home pool left out)",
    )
    military = [a for a in inputs.assets if a in MILITARY_ASSETS]
    foot = (
        f"<p>risk weight λ = {_number(inputs.risk_lambda)}; whole units: "
        f"{'yes' if inputs.units else 'no'}; military classes: {html.escape(', '.join(military))}"
        ". Arrays are attributes (<code>.freed</code>, <code>.value</code>, ...), indexed by "
        "<code>.front_ids</code>, <code>.zone_ids</code> and <code>.assets</code>.</p>"
    )
    return f'{_STYLE}<div class="redeploy-summary">{head}{classes}{foot}</div>'


def inputs_text(inputs: AllocationInputs) -> str:
    """Inputs in one line: scenario and sizes."""
    return (
        f"AllocationInputs(scenario={inputs.scenario!r}, fronts={len(inputs.front_ids) - 1}, "
        f"zones={len(inputs.zone_ids) - 1}, assets={len(inputs.assets)}, "
        f"flows={inputs.n_flows}, run_id={inputs.run_id[:12]!r}...)"
    )
