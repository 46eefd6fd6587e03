"""The calibration's files as text: calibrated.toml, validation.csv and validation.json.

`calibrated_toml` writes every default coefficient in the format of
``redeploy/data/coefficients.toml``; a fitted one gets its fitted value, its prior (the
default it multiplies), its multiplier and posterior range, and ``source = "calibrated:
..."`` naming the targets, so the file can replace the defaults as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from redeploy.calibration.evaluate import Validation
from redeploy.calibration.fit import Fit, Parameter
from redeploy.io.text import csv_text, json_text
from redeploy.scenario import Coefficient

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


def calibrated_toml(
    entries: Sequence[Coefficient],
    params: Sequence[Parameter],
    result: Fit,
    *,
    provenance: str,
) -> str:
    """
    Return the coefficients file with the fitted values.

    Parameters
    ----------
    entries
        Every default coefficient (`redeploy.scenario.coefficient_entries`).
    params, result
        The fitted multipliers.
    provenance
        What the values were fitted to, e.g. the targets' folder, seed and budget.
    """
    multipliers = result.multipliers()
    ranges = result.ranges(params)
    fitted: dict[str, tuple[float, tuple[float, float], str]] = {}
    for p, m, (lo, hi) in zip(params, multipliers, ranges, strict=True):
        for key in p.keys:
            fitted[key] = (float(m), (float(lo), float(hi)), p.name)
    lines = [
        "# Coefficients of the allocation model, calibrated by `redeploy calibrate`",
        f"# ({provenance}). Fitted entries carry their prior (the assumption they multiply),",
        "# the multiplier, and its posterior range from the optimiser's spread.",
        "",
    ]
    for c in entries:
        lines.append(f"[{c.key}]")
        if c.key in fitted:
            m, (lo, hi), name = fitted[c.key]
            source = f"calibrated: multiplier {m:.4g} ({name}) on the prior, fitted to {provenance}"
            value = float(c.value) * m
            if ".fit." in c.key or c.key == "model.conversion_cap":
                value = min(value, 1.0)
            lines += [
                f"value = {_toml_value(value)}",
                f"unit = {_quote(c.unit)}",
                f"source = {_quote(source)}",
                f"note = {_quote(c.note)}",
                f"prior = {_toml_value(float(c.value))}",
                f"prior_source = {_quote(c.source.removeprefix('calibrated: '))}",
                f"multiplier = {_toml_value(m)}",
                f"range = [{_toml_value(float(c.value) * lo)}, {_toml_value(float(c.value) * hi)}]",
            ]
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
