"""validation.html: observed against model, zone by zone and region by region, the pattern
checks and the fit figures, as one offline page (every text escaped)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from redeploy.calibration.report import start_cells

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;
color:#1d2733;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px}
table{border-collapse:collapse;margin:6px 0 14px}
th,td{border-bottom:1px solid #dde3ea;padding:4px 10px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#17655c;font-weight:600}.bad{color:#9b1c31;font-weight:600}
.muted{color:#5b6b7a}.bar{display:inline-block;height:9px;background:#2a9d8f;vertical-align:middle}
.bar.o{background:#8a8f96}
"""


def _n(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):.{digits}f}"


def _pct(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100 * float(x):.0f} %"


def _zones(table: pd.DataFrame) -> str:
    zones = table[table["kind"] == "zone"].sort_values("observed", ascending=False)
    top = max(float(zones[["model", "observed"]].max().max() or 0), 1e-9)
    rows = []
    for r in zones.to_dict("records"):
        observed, model = float(r["observed"]), float(r["model"])
        rows.append(
            f"<tr><td>{html.escape(str(r['id']))}</td><td>{html.escape(str(r['region']))}</td>"
            f"<td class=n>{_n(observed)}</td><td class=n>{_n(model)}</td><td>"
            f"<span class='bar o' style='width:{120 * observed / top:.0f}px'></span><br>"
            f"<span class=bar style='width:{120 * model / top:.0f}px'></span></td></tr>"
        )
    return (
        "<table><tr><th>zone</th><th>region</th><th>observed (kpe)</th>"
        "<th>model (kpe)</th><th>grey observed, teal model</th></tr>" + "".join(rows) + "</table>"
    )


def _regions(summary: Mapping[str, Any]) -> str:
    rows = []
    left_out = summary.get("overlap_left_out") or {}
    for region, value in summary.get("overlap_by_region", {}).items():
        eng = summary.get("engagement_by_region", {}).get(region, {})
        rows.append(
            f"<tr><td>{html.escape(region)}</td><td class=n>{_pct(value)}</td>"
            f"<td class=n>{_n(eng.get('observed_bn'))}</td><td class=n>"
            f"{_n(eng.get('model_bn'))}</td></tr>"
        )
    groups = "".join(
        f"<tr><td>{html.escape(g)}</td><td class=n>{_pct(v)}</td></tr>" for g, v in left_out.items()
    )
    out = (
        "<table><tr><th>region</th><th>overlap in sample</th><th>engagement observed "
        "($bn/yr)</th><th>engagement model ($bn/yr)</th></tr>" + "".join(rows) + "</table>"
    )
    if groups:
        out += (
            "<h2>Left out of the fit, then predicted</h2><table><tr><th>region group</th>"
            "<th>overlap</th></tr>" + groups + "</table>"
        )
    return out


def _checks(summary: Mapping[str, Any]) -> str:
    rows = []
    for c in summary.get("checks", []):
        mark = "<span class=ok>pass</span>" if c.get("passed") else "<span class=bad>fail</span>"
        rows.append(
            f"<tr><td>{html.escape(str(c.get('name')))}</td><td>{mark}</td>"
            f"<td>{html.escape(str(c.get('text')))}</td></tr>"
        )
    return "<table><tr><th>check</th><th></th><th>figures</th></tr>" + "".join(rows) + "</table>"


def _fit(summary: Mapping[str, Any]) -> str:
    fit = summary.get("fit")
    if not fit:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(str(p['name']))}</td><td class=n>{_n(p['multiplier'])}</td>"
        f"<td class=n>{_n(p['low'])} – {_n(p['high'])}</td></tr>"
        for p in fit.get("parameters", [])
    )
    loss = fit.get("loss", {})
    parts = ", ".join(f"{html.escape(k)} {_n(v)}" for k, v in loss.items())
    return (
        f"<h2>Fit</h2><p class=muted>CMA-ES, seed {html.escape(str(fit.get('seed')))}, "
        f"{html.escape(str(fit.get('evaluations')))} evaluations; loss: {parts}</p>"
        + _starts(summary)
        + "<table><tr><th>multiplier</th><th>fitted</th><th>posterior range</th></tr>"
        + rows
        + "</table>"
    )


def _starts(summary: Mapping[str, Any]) -> str:
    """Each fit's seeded starts with their losses and overlaps; the one kept (lowest loss)
    in bold."""
    cells = start_cells(summary, _n, _pct, seed=lambda x: html.escape(str(x)))
    rows = []
    for name, starts in cells.items():
        texts = [f"<b>{text} (kept)</b>" if kept else text for text, kept in starts]
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{'; '.join(texts)}</td></tr>")
    if not rows:
        return ""
    return (
        "<table><tr><th>fit</th><th>starts (seed: loss → overlap, in sample or on the "
        "regions left out)</th></tr>" + "".join(rows) + "</table>"
    )


def validation_html(table: pd.DataFrame, summary: Mapping[str, Any], *, title: str) -> str:
    """Return validation.html as text."""
    overlap = summary.get("overlap")
    head = (
        f"<h1>{html.escape(title)}</h1><p class=muted>Backcast: the observed U.S. "
        "peripheral presence (DMDC Dec 2025 plus operational, rotational and exercise "
        "rows) and engagement given as supply at home, an empty periphery, no floors. "
        f"Overlap Σ min(model, observed) / Σ observed, military kpe by zone: "
        f"<b>{_pct(overlap)}</b>. Pattern checks on scenario "
        f"{html.escape(str(summary.get('scenario')))}.</p>"
    )
    body = (
        head
        + "<h2>Pattern checks (seed paper)</h2>"
        + _checks(summary)
        + "<h2>By region</h2>"
        + _regions(summary)
        + "<h2>By zone</h2>"
        + _zones(table)
        + _fit(summary)
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>"
        f"{html.escape(title)}</title><style>{_STYLE}</style></head><body>{body}"
        "</body></html>\n"
    )
