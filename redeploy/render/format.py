"""How map popups and panels write values: numbers with their units, sources, model lines."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from redeploy.model.result import AllocationResult


def finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt_number(x: float) -> str:
    """Format a number for people: about three significant digits, thousands separated."""
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 0.01:
        return f"{x:.2f}"
    return f"{x:.2g}"


def fmt_value(x: Any, unit: str = "") -> str | None:
    """
    Format `x` with its `unit` (``"$bn/yr"`` gives ``$1.25bn/yr``, ``"%"`` gives ``12.5%``).

    Returns None for missing values, so callers can leave the row out.
    """
    if isinstance(x, str):
        text = x.strip()
        if not text:
            return None
        return text.replace(";", ", ") if unit != "raw" else text
    v = finite(x)
    if v is None:
        return None
    if unit == "$bn/yr":
        return f"${fmt_number(v)}bn/yr"
    if unit == "$bn":
        return f"${fmt_number(v)}bn"
    if unit == "%":
        return f"{fmt_number(v)}%"
    if unit == "share":
        return f"{fmt_number(100 * v)}%"
    if unit == "year":
        return f"{v:.0f}"
    if unit == "1-5":
        return f"{v:.0f} of 5"
    if unit in ("persons", "int"):
        return f"{v:,.0f}"
    if unit in ("index", "", "see unit"):
        return fmt_number(v)
    return f"{fmt_number(v)} {unit}"


def fmt_bool(x: Any) -> str | None:
    """Format a yes/no value (``True``, ``numpy.bool_``, ``"true"``) as ``yes`` or ``no``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    if isinstance(x, str):
        text = x.strip().lower()
        if not text:
            return None
        return "yes" if text in ("true", "1", "yes", "y") else "no"
    return "yes" if bool(x) else "no"


def plain_text(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x)


def source_line(row: Mapping[str, Any]) -> str:
    src = plain_text(row.get("source"))
    year = finite(row.get("source_year"))
    conf = plain_text(row.get("confidence"))
    parts = [src] if src else []
    if year is not None and src and f"{year:.0f}" not in src:
        parts.append(f"({year:.0f})")
    text = " ".join(parts) or "not given"
    return f"{text} · {conf}" if conf else text


def value_unit(result: AllocationResult) -> str:
    """Return the unit of objective values and duals (``meta["units"]["value"]``)."""
    units = result.meta.get("units") if isinstance(result.meta, dict) else None
    unit = units.get("value") if isinstance(units, dict) else None
    return str(unit) if unit else "objective units"


def dual_note(result: AllocationResult, what: str) -> str:
    return (
        f"Value: {value_unit(result)}. Marginal value: {value_unit(result)} gained by "
        f"one more unit (kpe or $bn/yr) {what}."
    )


def model_source(result: AllocationResult) -> str:
    """Return the source line of model figures: scenario and run id."""
    return f"redeploy model, scenario {result.scenario}, run {result.run_id[:12]}"
