"""The allocation model's default coefficients (``redeploy/data/coefficients.toml``).

Each coefficient there has its value, unit and source; a scenario's ``[model]`` and
``[assets]`` tables override them (`effective_coefficients`).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from redeploy.errors import ScenarioError
from redeploy.scenario.coefficient_models import CoefficientSet
from redeploy.scenario.messages import format_validation_error
from redeploy.scenario.models import Scenario

#: The default coefficients, with their units and sources.
COEFFICIENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "coefficients.toml"


@dataclass(frozen=True)
class Coefficient:
    """One default coefficient: dotted key, value, unit, source and note; a calibrated one
    also its prior (the assumption the calibration multiplied) and that prior's source."""

    key: str
    value: Any
    unit: str
    source: str
    note: str
    prior: Any = None
    prior_source: str = ""


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "source" in node


def _flatten_entries(
    node: Mapping[str, Any],
    prefix: str,
    out: list[Coefficient],
    source: str,
    priors: bool = False,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, child in node.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if _is_leaf(child):
            for field in ("unit", "source"):
                if not isinstance(child.get(field), str) or not child.get(field):
                    msg = f"{source}: key {dotted!r}: needs a non-empty {field!r}"
                    raise ScenarioError(msg)
            entry = Coefficient(
                dotted,
                child["value"],
                child["unit"],
                child["source"],
                child.get("note", ""),
                child.get("prior"),
                child.get("prior_source", ""),
            )
            if priors and entry.prior is not None:
                entry = Coefficient(
                    dotted,
                    entry.prior,
                    entry.unit,
                    entry.prior_source or "assumption",
                    entry.note,
                )
            out.append(entry)
            values[key] = entry.value
        elif isinstance(child, dict):
            values[key] = _flatten_entries(child, dotted, out, source, priors)
        else:
            msg = (
                f"{source}: key {dotted!r}: expected a table with value, unit and source, "
                f"got {child!r}"
            )
            raise ScenarioError(msg)
    return values


@lru_cache(maxsize=4)
def _load_coefficients_cached(
    path: str, priors: bool = False
) -> tuple[CoefficientSet, tuple[Coefficient, ...]]:
    file = Path(path)
    try:
        with file.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        msg = f"{file}: cannot read coefficients: {err}"
        raise ScenarioError(msg) from err
    entries: list[Coefficient] = []
    values = _flatten_entries(raw, "", entries, str(file), priors)
    try:
        coeffs = CoefficientSet.model_validate(values)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, str(file), CoefficientSet)) from None
    missing = _missing_keys(coeffs.model_dump(), "")
    if missing:
        msg = f"{file}: coefficients missing: {', '.join(missing)}"
        raise ScenarioError(msg)
    return coeffs, tuple(entries)


def _missing_keys(node: Any, prefix: str) -> list[str]:
    if node is None:
        return [prefix]
    if isinstance(node, dict):
        out = []
        for key, child in node.items():
            out += _missing_keys(child, f"{prefix}.{key}" if prefix else key)
        return out
    return []


def load_coefficients(path: str | Path | None = None) -> CoefficientSet:
    """
    Load the default coefficients (or those of `path`) and check that every one is set.

    Raises
    ------
    ScenarioError
        When the file breaks the schema or leaves a coefficient unset.
    """
    return _load_coefficients_cached(str(path or COEFFICIENTS_FILE))[0]


def coefficient_entries(path: str | Path | None = None) -> tuple[Coefficient, ...]:
    """Return every default coefficient with its unit and source (for docs and summaries)."""
    return _load_coefficients_cached(str(path or COEFFICIENTS_FILE))[1]


def prior_coefficients(
    path: str | Path | None = None,
) -> tuple[CoefficientSet, tuple[Coefficient, ...]]:
    """
    Return the coefficients before calibration: every calibrated entry at its ``prior``
    (the assumption `redeploy calibrate` multiplies), with that prior's source.

    The calibration starts from these, so re-running it reproduces the shipped file.
    """
    return _load_coefficients_cached(str(path or COEFFICIENTS_FILE), True)


def effective_coefficients(
    scenario: Scenario, coefficients: CoefficientSet | None = None
) -> CoefficientSet:
    """Return the default coefficients with the scenario's ``model``/``assets`` on top."""
    base = coefficients or load_coefficients()
    # Both halves are validated models of the same classes: laying one over the other
    # field by field needs no second validation (a sweep does this once per sample).
    out = base.model_copy(
        update={
            "model": _overlay(base.model, scenario.model),
            "assets": _overlay(base.assets, scenario.assets),
        }
    )
    shares, slopes = out.model.segment_shares or [], out.model.segment_slopes or []
    if len(shares) != len(slopes):
        msg = (
            f"{scenario.source}: key 'model.segment_slopes': {len(slopes)} slopes for "
            f"{len(shares)} segment shares; give as many slopes as shares."
        )
        raise ScenarioError(msg)
    return out


def _overlay(base: Any, top: Any) -> Any:
    """`top` laid over `base` as `deep_merge` does on their dumps without None: a table
    (model or mapping) merged key by key, any other value of `top` that is not None taking
    the place of `base`'s."""
    if isinstance(base, BaseModel) and isinstance(top, BaseModel):
        update = {}
        for name in type(top).model_fields:
            value = getattr(top, name)
            if value is not None:
                update[name] = _overlay(getattr(base, name), value)
        return base.model_copy(update=update) if update else base
    if isinstance(base, Mapping) and isinstance(top, Mapping):
        merged = dict(base)
        for key, value in top.items():
            if value is not None:
                merged[key] = _overlay(base.get(key), value)
        return merged
    return top


def coefficients_digest_payload(coeffs: CoefficientSet) -> str:
    """Return canonical JSON of a coefficient set (for run ids)."""
    return json.dumps(coeffs.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def coefficients_markdown(path: str | Path | None = None) -> str:
    """Return the Markdown table of every default coefficient (embedded in docs/model.md)."""

    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return ", ".join(f"{v:g}" for v in value)
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    lines = ["| key | value | unit | source |", "|---|---|---|---|"]
    for c in coefficient_entries(path):
        source = c.source.replace("|", "/")
        lines.append(f"| `{c.key}` | {cell(c.value)} | {c.unit} | {source} |")
    return "\n".join(lines) + "\n"


#: How much wider than the calibration's posterior range (in log space) the shipped
#: uncertain scenario samples each calibrated coefficient: CMA-ES's final spread measures
#: how sharply the optimiser converged, not the data's uncertainty (docs/validation.md).
UNCERTAIN_WIDEN = 3.0


def calibrated_uncertain_lines(
    widen: float = UNCERTAIN_WIDEN, path: str | Path | None = None
) -> list[str]:
    """
    Return ``[uncertain]`` entries (TOML lines) for every calibrated scalar coefficient.

    Each coefficient of value v with posterior range [lo, hi] gets a factor
    f = max(hi / v, v / lo) ** widen and is drawn log-uniform on [v / f, v · f], whose
    geometric midpoint is v: a scenario's central run keeps the calibrated value. A key
    bounded above by 1 (shares, fits) whose v · f would pass 1 is drawn uniform on
    [v − d, v + d] instead, d = min(v (f − 1), 1 − v, v); keys at 0 or pinned at a bound
    are left out.
    """
    from redeploy.scenario.uncertain import resolve_parameter

    lines = []
    for c in coefficient_entries(path):
        raw = _raw_entry(c.key, path)
        rng = raw.get("range")
        value = c.value
        if rng is None or isinstance(value, list | bool) or not value:
            continue
        lo, hi = (float(x) for x in rng)
        v = float(value)
        factor = max(hi / v, v / lo) ** widen if lo > 0 else 1.0
        if factor <= 1.0:
            continue
        top = dict(resolve_parameter(c.key).bounds).get("<=")
        key = json.dumps(c.key)
        if top is not None and v * factor > top:
            d = min(v * (factor - 1.0), top - v, v)
            if d <= 0:
                continue
            lines.append(f'{key} = {{ dist = "uniform", low = {_r(v - d)}, high = {_r(v + d)} }}')
        else:
            low, high = _r(v / factor), _r(v * factor)
            lines.append(f'{key} = {{ dist = "loguniform", low = {low}, high = {high} }}')
    return lines


def _r(x: float) -> str:
    """A TOML float with 12 significant digits (so low · high keeps the value's square)."""
    text = f"{float(x):.12g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _raw_entry(key: str, path: str | Path | None) -> dict[str, Any]:
    """The TOML table of coefficient `key` as written (with its prior, multiplier, range)."""
    with Path(path or COEFFICIENTS_FILE).open("rb") as fh:
        node: Any = tomllib.load(fh)
    for part in key.split("."):
        node = node[part]
    return dict(node)
