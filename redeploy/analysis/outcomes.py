"""The outcomes of a sample table by name, and the ``--when`` conditions over them.

A sweep's sample table has columns such as ``region:Africa:military_bn`` and
``objective:value`` (`redeploy.model.sweep.sample_columns`). Analyses name them as
``<Region>.<metric>`` (``Africa.military_bn``, ``South America.total_bn``: military
dollars at U.S. unit cost plus engagement), ``<zone id>.<metric>`` (``dji.military_kpe``),
``total.<metric>`` (``total.released_kpe``) and ``objective.<part>`` (``objective.value``,
``objective.risk``).
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from redeploy.errors import ScenarioError

#: The outputs a sensitivity run reports, per region then overall (issue: military and
#: engagement dollars by region, total released, value, risk).
REGION_METRICS = ("military_bn", "engagement_bn")
TOTAL_OUTPUTS = ("total.released_kpe", "objective.value", "objective.risk")

_OPS: Mapping[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION = re.compile(r"^\s*(?P<name>.+?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>\S+)\s*$")


def outcomes(table: pd.DataFrame) -> pd.DataFrame:
    """
    Return the outcomes of a sample table, one column per name (see the module doc).

    ``<Region>.total_bn`` is ``military_bn + engagement_bn``; other names map one column.
    """
    out: dict[str, pd.Series] = {}
    for col in table.columns:
        if ":" not in col:
            continue
        kind, rest = col.split(":", 1)
        if kind in ("region", "zone", "front"):
            ident, metric = rest.rsplit(":", 1)
            out[f"{ident}.{metric}"] = table[col]
        elif kind in ("objective", "total"):
            out[f"{kind}.{rest}"] = table[col]
    for name in list(out):
        if name.endswith(".military_bn"):
            region = name.removesuffix(".military_bn")
            eng = out.get(f"{region}.engagement_bn")
            if eng is not None:
                out[f"{region}.total_bn"] = out[name] + eng
    return pd.DataFrame(out, index=table.index)


def sensitivity_outputs(regions: tuple[str, ...]) -> list[str]:
    """The outputs a sensitivity run analyses, in report order."""
    return [f"{r}.{m}" for r in regions for m in REGION_METRICS] + list(TOTAL_OUTPUTS)


def describe_outcomes(names: list[str]) -> str:
    """The outcome names in short: regions and their metrics, totals, objective parts."""
    regions = sorted({n.rpartition(".")[0] for n in names if n[:1].isupper()})
    metrics = sorted({n.rpartition(".")[2] for n in names if n[:1].isupper()})
    totals = sorted(n for n in names if n.startswith("total."))
    parts = sorted(n for n in names if n.startswith("objective."))
    return (
        f"Outcomes: <region>.<metric> with region one of {', '.join(regions)} and metric "
        f"one of {', '.join(metrics)}; {', '.join(totals)}; {', '.join(parts)}; and "
        "<zone or front id>.military_kpe or .engagement_bn."
    )


@dataclass(frozen=True)
class Condition:
    """A ``--when`` condition: an outcome, a comparison and a number."""

    text: str
    name: str
    op: str
    value: float

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        """(n,) True where the condition holds (False where the outcome is NaN)."""
        values = pd.to_numeric(frame[self.name], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            result = np.asarray(_OPS[self.op](values, self.value), dtype=bool)
        return np.asarray(result & ~np.isnan(values), dtype=bool)


def parse_condition(text: str, names: list[str]) -> Condition:
    """
    Parse ``"<outcome> <op> <number>"`` (op one of > >= < <= == !=) against the outcomes
    `names` of a sample table.

    Raises
    ------
    ScenarioError
        Naming the expression, what is wrong and what is allowed (the closest outcome name).
    """
    match = _CONDITION.match(text)
    if match is None:
        msg = (
            f"--when {text!r}: expected '<outcome> <op> <number>' with op one of "
            f"{', '.join(_OPS)}, e.g. 'Africa.military_bn > 1'"
        )
        raise ScenarioError(msg)
    name, op, raw = match.group("name"), match.group("op"), match.group("value")
    try:
        value = float(raw)
    except ValueError:
        msg = f"--when {text!r}: {raw!r} is not a number"
        raise ScenarioError(msg) from None
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        msg = f"--when {text!r}: unknown outcome {name!r}.{hint} {describe_outcomes(names)}"
        raise ScenarioError(msg)
    return Condition(text.strip(), name, op, value)
