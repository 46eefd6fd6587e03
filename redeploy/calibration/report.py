"""The calibration's files as text: calibrated.toml, validation.csv and validation.json.

`calibrated_toml` writes every default coefficient in the format of
``redeploy/data/coefficients.toml``; a fitted one gets its fitted value, its prior (the
default it multiplies), its multiplier and posterior range, and ``source = "calibrated:
..."`` naming the targets, so the file can replace the defaults as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from redeploy.calibration.evaluate import Validation
from redeploy.calibration.fit import Fit, Parameter
from redeploy.io.text import csv_text, json_text
from redeploy.scenario import Coefficient, CoefficientSet

#: Columns of validation.csv.
VALIDATION_COLUMNS = ("kind", "id", "region", "metric", "model", "observed", "passed", "text")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(round(value, 6) + 0.0)
    if isinstance(value, int):
        return str(value)
    return _quote(str(value))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dotted(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def _fitted_entry(
    c: Coefficient,
    value: Any,
    fits: Mapping[int | None, tuple[float, tuple[float, float], str]],
    provenance: str,
) -> list[str]:
    """The lines of one calibrated entry: fitted value, prior, multiplier(s) and range(s).
    A list coefficient (segment slopes) has one multiplier and range per item."""
    names = ", ".join(sorted({name for _, _, name in fits.values()}))
    prior: Any
    mult: Any
    ranges: Any
    if isinstance(c.value, list):
        prior = [float(v) for v in c.value]
        mult = [fits[k][0] if k in fits else 1.0 for k in range(len(prior))]
        ranges = [
            [p * fits[k][1][0], p * fits[k][1][1]] if k in fits else [p, p]
            for k, p in enumerate(prior)
        ]
        shown = ", ".join(f"{m:.4g}" for m in mult)
    else:
        m, (lo, hi), _ = fits[None]
        prior, mult, ranges = float(c.value), m, [float(c.value) * lo, float(c.value) * hi]
        shown = f"{m:.4g}"
    source = f"calibrated: multiplier {shown} ({names}) on the prior, fitted to {provenance}"
    return [
        f"value = {_toml_value(value)}",
        f"unit = {_quote(c.unit)}",
        f"source = {_quote(source)}",
        f"note = {_quote(c.note)}",
        f"prior = {_toml_value(prior)}",
        f"prior_source = {_quote(c.source)}",
        f"multiplier = {_toml_value(mult)}",
        f"range = {_toml_value(ranges)}",
    ]


def calibrated_toml(
    entries: Sequence[Coefficient],
    params: Sequence[Parameter],
    result: Fit,
    fitted: CoefficientSet,
    *,
    provenance: str,
) -> str:
    """
    Return the coefficients file with the fitted values.

    Parameters
    ----------
    entries
        Every coefficient at its prior (`redeploy.scenario.prior_coefficients`).
    params, result
        The fitted multipliers.
    fitted
        The fitted coefficients (`redeploy.calibration.fit.apply`): values are written as
        the model uses them (shares and fits capped at 1, slopes never increasing).
    provenance
        What the values were fitted to, e.g. the targets' folder, seed and budget.
    """
    ranges = result.ranges(params)
    fits: dict[str, dict[int | None, tuple[float, tuple[float, float], str]]] = {}
    for p, m, (lo, hi) in zip(params, result.multipliers(), ranges, strict=True):
        for key in p.keys:
            base, _, index = key.rpartition(".")
            entry, item = (base, int(index)) if index.isdigit() else (key, None)
            fits.setdefault(entry, {})[item] = (float(m), (float(lo), float(hi)), p.name)
    data = fitted.model_dump()
    lines = [
        "# Coefficients of the allocation model, calibrated by `redeploy calibrate`",
        f"# ({provenance}). Fitted entries carry their prior (the assumption they multiply),",
        "# the multiplier, and its posterior range from the optimiser's spread.",
        "",
    ]
    for c in entries:
        lines.append(f"[{c.key}]")
        if c.key in fits:
            lines += _fitted_entry(c, _dotted(data, c.key), fits[c.key], provenance)
        else:
            lines += [
                f"value = {_toml_value(c.value)}",
                f"unit = {_quote(c.unit)}",
                f"source = {_quote(c.source)}",
                f"note = {_quote(c.note)}",
            ]
        lines.append("")
    return "\n".join(lines)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def validation_table(validation: Validation) -> pd.DataFrame:
    """One row per zone, region, engagement region and pattern check."""
    rows: list[dict[str, Any]] = []
    bc = validation.backcast
    for row in bc.rows():
        rows.append({**row, "passed": "", "text": ""})
    for region, value in bc.overlap_by_region().items():
        rows.append(
            {
                "kind": "region",
                "id": region,
                "region": region,
                "metric": "overlap",
                "model": _finite(value),
                "observed": 1.0,
                "passed": "",
                "text": "",
            }
        )
    for region, (m, o, _) in bc.engagement.items():
        rows.append(
            {
                "kind": "engagement",
                "id": region,
                "region": region,
                "metric": "engagement_bn",
                "model": m,
                "observed": o,
                "passed": "",
                "text": "",
            }
        )
    for check in validation.checks:
        rows.append(
            {
                "kind": "check",
                "id": check.name,
                "region": "",
                "metric": "passed",
                "model": None,
                "observed": None,
                "passed": "yes" if check.passed else "no",
                "text": check.text,
            }
        )
    rows.append(
        {
            "kind": "fit",
            "id": "overlap",
            "region": "",
            "metric": "overlap",
            "model": bc.overlap(),
            "observed": 1.0,
            "passed": "",
            "text": "",
        }
    )
    frame = pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))
    for col in ("model", "observed"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def validation_csv(validation: Validation) -> str:
    """validation.csv as text."""
    return csv_text(validation_table(validation), VALIDATION_COLUMNS)


def validation_json(validation: Validation, extra: Mapping[str, Any] | None = None) -> str:
    """validation.json as text: the summary, plus `extra` (fit figures, left-out overlap)."""
    data = {**validation.summary(), **(extra or {})}
    return json_text(_no_nan(data))


def _no_nan(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_no_nan(v) for v in obj]
    if isinstance(obj, float | np.floating) and not math.isfinite(float(obj)):
        return None
    return obj


#: Targets of the calibration issue: in-sample and each left-out region's backcast overlap.
TARGET_IN_SAMPLE = 0.85
TARGET_LEFT_OUT = 0.70


def _pct_cell(x: Any) -> str:
    value = _finite(x) if x is not None else None
    return "–" if value is None else f"{100 * value:.1f} %"


def _verdict(x: float | None, target: float) -> str:
    if x is None:
        return "no figure"
    return "met" if x >= target else f"**not met** (target {100 * target:.0f} %)"


def _md_summary(summary: Mapping[str, Any], fit: Mapping[str, Any]) -> list[str]:
    overlap = _finite(summary["overlap"])
    left = fit.get("overlap_left_out") or {}
    out = [
        "### Summary",
        "",
        f"- Backcast overlap in sample (military kpe by zone): **{_pct_cell(overlap)}**, "
        f"{_verdict(overlap, TARGET_IN_SAMPLE)}.",
    ]
    for group in sorted(left):
        value = _finite(left[group])
        out.append(
            f"- Left out of the fit and predicted, {group}: **{_pct_cell(value)}**, "
            f"{_verdict(value, TARGET_LEFT_OUT)}."
        )
    passed = [c["name"] for c in summary["checks"] if c["passed"]]
    failed = [c["name"] for c in summary["checks"] if not c["passed"]]
    out.append(
        f"- Pattern checks on `{summary['scenario']}`: {len(passed)} of "
        f"{len(summary['checks'])} pass" + (f"; failing: {', '.join(failed)}." if failed else ".")
    )
    return [*out, ""]


def _md_checks(summary: Mapping[str, Any]) -> list[str]:
    out = ["### Pattern checks", "", "| check | result | figures |", "|---|---|---|"]
    for c in summary["checks"]:
        out.append(f"| {c['name']} | {'pass' if c['passed'] else 'FAIL'} | {c['text']} |")
    return [*out, ""]


def _md_regions(summary: Mapping[str, Any], fit: Mapping[str, Any]) -> list[str]:
    groups = {
        "South America": "Americas",
        "Central America": "Americas",
        "Caribbean": "Americas",
        "Africa": "Africa",
        "Southeast Asia": "Southeast Asia",
    }
    left = fit.get("overlap_left_out") or {}
    out = [
        "### By region",
        "",
        "| region | overlap in sample | overlap with its group left out | engagement observed "
        "($bn/yr) | engagement model ($bn/yr) |",
        "|---|---|---|---|---|",
    ]
    for region, value in summary["overlap_by_region"].items():
        eng = summary["engagement_by_region"].get(region, {})
        out.append(
            f"| {region} | {_pct_cell(value)} | {_pct_cell(left.get(groups.get(region, '')))} "
            f"| {eng.get('observed_bn', 0):.3f} | {eng.get('model_bn', 0):.3f} |"
        )
    return [*out, ""]


def _md_zones(table: pd.DataFrame) -> list[str]:
    zones = table[table["kind"] == "zone"].sort_values(["observed", "id"], ascending=[False, True])
    out = [
        "### Backcast by zone (military kpe)",
        "",
        "| zone | region | observed | model |",
        "|---|---|---|---|",
    ]
    for r in zones.to_dict("records"):
        out.append(f"| {r['id']} | {r['region']} | {r['observed']:.3f} | {r['model']:.3f} |")
    return [*out, ""]


def _md_fit(fit: Mapping[str, Any]) -> list[str]:
    info = fit.get("fit") or {}
    if not info:
        return ["### Fit", "", "No fit summary (geodata/calibration/fit.json) found.", ""]
    loss = info.get("loss", {})
    out = [
        "### Fit",
        "",
        f"{info.get('method', '')}; seed {info.get('seed')}, budget {info.get('budget')}, "
        f"{info.get('evaluations')} evaluations. Loss: "
        + ", ".join(f"{k} {float(v):.4f}" for k, v in sorted(loss.items()))
        + ".",
        "",
        *_md_starts(fit),
        "| multiplier | fitted | posterior range | coefficients |",
        "|---|---|---|---|",
    ]
    for p in info.get("parameters", []):
        keys = ", ".join(f"`{k}`" for k in p["keys"])
        out.append(
            f"| {p['name']} | {p['multiplier']:.3f} | {p['low']:.3f} – {p['high']:.3f} | {keys} |"
        )
    return [*out, ""]


def start_cells(
    summary: Mapping[str, Any],
    loss: Callable[[Any], str],
    overlap: Callable[[Any], str],
    seed: Callable[[Any], str] = str,
) -> dict[str, list[tuple[str, bool]]]:
    """
    Each fit's seeded starts as written in a calibration summary (``validation.json``): in
    sample, then without each region group; every start as ``("seed: loss → overlap",
    kept)``, the numbers formatted by `loss` and `overlap` (the overlap left out where a
    summary written before it was reported lacks it). Empty when no fit has starts.
    """
    fits = {"in sample": (summary.get("fit") or {}).get("starts", [])}
    for group, entry in (summary.get("left_out_fits") or {}).items():
        fits[f"without {group}"] = entry.get("starts", [])
    if not any(fits.values()):
        return {}
    out: dict[str, list[tuple[str, bool]]] = {}
    for name, starts in fits.items():
        out[name] = [
            (
                f"{seed(s['seed'])}: {loss(s['loss'])}"
                + (f" → {overlap(s['overlap'])}" if s.get("overlap") is not None else ""),
                bool(s.get("kept")),
            )
            for s in starts
        ]
    return out


def _md_starts(fit: Mapping[str, Any]) -> list[str]:
    """The seeded starts of each fit, their losses and overlaps, and the one kept."""
    cells = start_cells(fit, lambda x: f"{x:.4f}", _pct_cell)
    if not cells:
        return []
    out = [
        "| fit | starts (seed: loss → overlap in sample, or on the regions left out; "
        "kept in bold) |",
        "|---|---|",
    ]
    for name, starts in cells.items():
        texts = [f"**{text}**" if kept else text for text, kept in starts]
        out.append(f"| {name} | {'; '.join(texts)} |")
    return [*out, ""]


def validation_markdown(validation: Validation, fit: Mapping[str, Any]) -> str:
    """
    Return the generated part of docs/validation.md: the summary against the targets, the
    pattern checks, the figures by region and by zone, and the fit.

    Parameters
    ----------
    validation
        The shipped coefficients evaluated (`redeploy.calibration.validate_coefficients`):
        what `redeploy validate` reports.
    fit
        The ``validation.json`` `redeploy calibrate` wrote with them (its ``fit`` and
        ``overlap_left_out``), as kept in ``geodata/calibration/fit.json``.
    """
    summary = json.loads(validation_json(validation))
    lines = [
        *_md_summary(summary, fit),
        *_md_checks(summary),
        *_md_regions(summary, fit),
        *_md_zones(validation_table(validation)),
        *_md_fit(fit),
    ]
    return "\n".join(lines)
