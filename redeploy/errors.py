"""Exceptions raised by redeploy: every message names where, what, the value and the fix."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def format_number(x: float) -> str:
    """
    Return `x` as a plain decimal for messages, without an exponent.

    Up to 3 decimals, more for small numbers so that 3 significant digits show; trailing
    zeros dropped: 1000 -> ``1000``, 1234.5 -> ``1234.5``, 2/3 -> ``0.667``,
    0.0004 -> ``0.0004``. Magnitudes below 1e-9 or from 1e15 keep the exponent form.
    """
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    magnitude = abs(x)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-9 or magnitude >= 1e15:
        return f"{x:.3g}"
    decimals = max(3, 2 - math.floor(math.log10(magnitude)))
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class RedeployError(Exception):
    """Base class of every error redeploy raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature (or with a whole file) of a layer."""

    message: str
    feature_id: str | None = None
    row: int | None = None
    column: str | None = None

    def render(self, source: str) -> str:
        """Return the problem as one line that starts with the file name."""
        where = [source]
        if self.feature_id is not None or self.row is not None:
            parts = []
            if self.feature_id is not None:
                parts.append(f"feature id={self.feature_id!r}")
            if self.row is not None:
                parts.append(f"(row {self.row})")
            where.append(" ".join(parts))
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return ": ".join([*where, self.message])


class LayerValidationError(RedeployError, ValueError):
    """A layer file that breaks its schema; carries every problem found."""

    def __init__(self, source: str | Path, kind: str, problems: Sequence[Problem]):
        self.source = str(source)
        self.kind = kind
        # whole-file problems first, then feature by feature in file order (stable: the
        # rules' order within a feature)
        self.problems = sorted(problems, key=lambda p: -1 if p.row is None else p.row)
        n = len(self.problems)
        head = f"{self.source}: {n} problem{'s' if n != 1 else ''} in layer '{kind}':"
        lines = [head] + ["  " + p.render(self.source) for p in self.problems]
        super().__init__("\n".join(lines))


class ScenarioError(RedeployError, ValueError):
    """A scenario file that cannot be read or breaks the scenario schema."""


class InfeasibleAllocationError(RedeployError, RuntimeError):
    """The scenario's constraints cannot all hold at once."""


class OutputError(RedeployError, OSError):
    """An output could not be written."""


class OutputBusyError(OutputError):
    """Another command holds the output folder's lock (``OUT/.redeploy/lock``)."""
