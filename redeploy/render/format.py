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
    """
    Format a number for people: two significant digits below 10, one decimal below 100,
    whole numbers with thousands separated above; trailing zeros dropped.

    >>> [fmt_number(v) for v in (0.0061, 0.196, 1.79, 23.64, 11.0, 37009.0)]
    ['0.0061', '0.2', '1.8', '23.6', '11', '37,009']
    """
    a = abs(x)
    if a == 0 or not math.isfinite(a):
        return "0" if a == 0 else str(x)
    if a >= 100:
        return f"{x:,.0f}"
    text = f"{x:.1f}" if a >= 10 else f"{x:.2g}"
    if "e" in text:  # below 1e-4 `g` switches to exponents: people read decimals
        text = f"{x:.{1 - math.floor(math.log10(a))}f}"
    return text[:-2] if text.endswith(".0") else text


def fmt_money(x: float, per: str = "/yr") -> str:
    """
    Format an amount in $bn: ``$2.5bn/yr`` from 1 up, ``$200m/yr`` and ``$6m/yr`` below.

    >>> [fmt_money(v) for v in (68.96, 2.46, 0.2, 0.0061, 0.0004, -1.5, 0.0)]
    ['$69bn/yr', '$2.5bn/yr', '$200m/yr', '$6m/yr', '$0.4m/yr', '−$1.5bn/yr', '$0bn/yr']
    """
    sign = "−" if x < 0 else ""
    a = abs(x)
    if a == 0:
        return f"$0bn{per}"
    if a >= 0.9995:  # what would round to $1,000m is $1bn
        return f"{sign}${fmt_number(a)}bn{per}"
    m = a * 1000
    text = f"{m:,.0f}" if m >= 1 else f"{m:.1g}"
    return f"{sign}${text}m{per}"


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
        return fmt_money(v)
    if unit == "$bn":
        return fmt_money(v, "")
    if unit in ("%", "share"):
        pct = 100 * v if unit == "share" else v
        return f"{pct:.0f}%" if abs(pct) >= 10 else f"{fmt_number(pct)}%"
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
