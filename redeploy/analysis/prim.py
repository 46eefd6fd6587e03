"""The Patient Rule Induction Method (Friedman and Fisher 1999), as scenario discovery uses it.

Given samples of the uncertain parameters ``X`` (n × D) and a yes/no outcome ``y`` (the
``--when`` condition), PRIM looks for a box, a range per parameter, where ``y`` holds much
more often than overall:

- **peeling**: starting from the whole sample's box, repeatedly remove the slice of
  `alpha` of the remaining samples from the low or high end of one parameter (or, for a
  parameter with few values, one of its values) that most raises the share of ``y`` in the
  box, until the box holds less than `mass_min` of the samples. Each step is a point of the
  **peeling trajectory**: its **coverage** (the share of all samples with ``y`` that fall in
  the box) and **density** (the share of the box's samples with ``y``).
- **pruning**: release each of the chosen box's restrictions that does not earn its place
  (its quasi-p-value, a one-sided binomial test of the box's cases against the density
  without it, above `SIGNIFICANCE`): late peels often cut noise;
- **pasting** (optional): widen the chosen box again where that raises density.
- **the chosen box**: the first (least restricted) box on the trajectory whose density is
  within `tolerance` of the best density among those with coverage at least
  `coverage_min` (the standard trade-off: a box should describe most of the cases of
  interest, and mostly them); when no such box concentrates the cases (density not above
  the whole sample's by `tolerance`), the coverage asked for is lowered by 0.1 down to
  `COVERAGE_FLOOR`, and the result's notes say so.

Written here (the `prim` package is GPL-licensed; the EMA Workbench is a large dependency);
tests/test_uncertainty.py recovers a known box on a synthetic case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Share of the box's samples removed per peel, smallest box, and the chosen box's rule.
ALPHA = 0.05
MASS_MIN = 0.05
COVERAGE_MIN = 0.5
COVERAGE_FLOOR = 0.2
TOLERANCE = 0.02
#: A restriction of the chosen box stays only with a quasi-p-value at most this.
SIGNIFICANCE = 0.05
#: A parameter with at most this many distinct values is peeled value by value.
DISCRETE_MAX = 6


@dataclass(frozen=True)
class Box:
    """One box: a [low, high] range per parameter, with its coverage, density and mass."""

    low: np.ndarray
    high: np.ndarray
    coverage: float
    density: float
    mass: float

    def contains(self, x: np.ndarray) -> np.ndarray:
        """(n,) True for the rows of `x` inside the box."""
        return np.asarray(np.all((x >= self.low[None, :]) & (x <= self.high[None, :]), axis=1))

    def restricted(self, bounds_low: np.ndarray, bounds_high: np.ndarray) -> np.ndarray:
        """(D,) True for the parameters the box restricts (tighter than the data's range)."""
        return (self.low > bounds_low) | (self.high < bounds_high)


@dataclass(frozen=True)
class PrimResult:
    """The peeling trajectory, the chosen box and the data's own range per parameter."""

    names: tuple[str, ...]
    trajectory: tuple[Box, ...]
    chosen: int
    bounds_low: np.ndarray
    bounds_high: np.ndarray
    base_density: float
    cases: int
    samples: int
    notes: list[str] = field(default_factory=list)

    @property
    def box(self) -> Box:
        """The chosen box."""
        return self.trajectory[self.chosen]

    def trajectory_frame(self) -> pd.DataFrame:
        """One row per step: ``step, coverage, density, mass, restricted`` (parameter count)."""
        return pd.DataFrame(
            [
                {
                    "step": k,
                    "coverage": b.coverage,
                    "density": b.density,
                    "mass": b.mass,
                    "restricted": int(b.restricted(self.bounds_low, self.bounds_high).sum()),
                }
                for k, b in enumerate(self.trajectory)
            ]
        )


def _stats(inside: np.ndarray, y: np.ndarray, total: int) -> tuple[float, float, float]:
    n_in = int(inside.sum())
    hits = int((inside & y).sum())
    coverage = hits / total if total else 0.0
    density = hits / n_in if n_in else 0.0
    return coverage, density, n_in / len(y)


def _candidates(
    x: np.ndarray, inside: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: float
) -> list[tuple[int, float, float]]:
    """Every peel of the current box: (parameter, new low, new high)."""
    out = []
    sub = x[inside]
    for j in range(x.shape[1]):
        col = sub[:, j]
        values = np.unique(col)
        if values.size <= 1:
            continue
        if values.size <= DISCRETE_MAX:
            out.append((j, float(values[1]), high[j]))  # drop the smallest value
            out.append((j, low[j], float(values[-2])))  # drop the largest value
            continue
        lo_q = float(np.quantile(col, alpha, method="higher"))
        hi_q = float(np.quantile(col, 1.0 - alpha, method="lower"))
        if lo_q > low[j]:
            out.append((j, lo_q, high[j]))
        if hi_q < high[j]:
            out.append((j, low[j], hi_q))
    return out


def _peel(
    x: np.ndarray, y: np.ndarray, alpha: float, mass_min: float
) -> tuple[list[Box], np.ndarray, np.ndarray]:
    total = int(y.sum())
    low, high = x.min(axis=0).astype(float), x.max(axis=0).astype(float)
    bounds = (low.copy(), high.copy())
    inside = np.ones(len(y), dtype=bool)
    boxes = [Box(low.copy(), high.copy(), *_stats(inside, y, total))]
    while True:
        best = None
        for j, lo, hi in _candidates(x, inside, low, high, alpha):
            trial = inside & (x[:, j] >= lo) & (x[:, j] <= hi)
            n = int(trial.sum())
            if n == 0 or n / len(y) < mass_min or n == int(inside.sum()):
                continue
            density = float((trial & y).sum()) / n
            key = (density, n, -j)  # ties: keep more samples, then the first parameter
            if best is None or key > best[0]:
                best = (key, j, lo, hi, trial)
        if best is None:
            break
        _, j, lo, hi, inside = best
        low[j], high[j] = lo, hi
        boxes.append(Box(low.copy(), high.copy(), *_stats(inside, y, total)))
    return boxes, *bounds


def _paste(x: np.ndarray, y: np.ndarray, box: Box, alpha: float) -> Box:
    """Widen the box while that raises its density (one parameter side at a time)."""
    total = int(y.sum())
    low, high = box.low.copy(), box.high.copy()
    inside = box.contains(x)
    density = box.density
    improved = True
    while improved:
        improved = False
        step = max(1, int(alpha * inside.sum()))
        for j in range(x.shape[1]):
            others = (
                np.all(np.delete((x >= low) & (x <= high), j, axis=1), axis=1)
                if x.shape[1] > 1
                else np.ones(len(y), dtype=bool)
            )
            for side in ("low", "high"):
                cand = others & ((x[:, j] < low[j]) if side == "low" else (x[:, j] > high[j]))
                if not cand.any():
                    continue
                order = np.sort(x[cand, j])
                edge = order[-step:][0] if side == "low" else order[:step][-1]
                trial_low, trial_high = low.copy(), high.copy()
                if side == "low":
                    trial_low[j] = edge
                else:
                    trial_high[j] = edge
                trial = np.all((x >= trial_low) & (x <= trial_high), axis=1)
                d = float((trial & y).sum()) / max(int(trial.sum()), 1)
                if d > density + 1e-12:
                    low, high, inside, density, improved = trial_low, trial_high, trial, d, True
    return Box(low, high, *_stats(inside, y, total))


def _prune(x: np.ndarray, y: np.ndarray, box: Box, lo: np.ndarray, hi: np.ndarray) -> Box:
    """Drop the box's restrictions that do not earn their place. A restriction's
    quasi-p-value (as the EMA Workbench reports it) is the one-sided binomial test of the
    box's cases against the density of the box without that restriction; while the largest
    is above `SIGNIFICANCE`, that restriction is released (late peels often cut noise)."""
    from scipy.stats import binomtest

    total = int(y.sum())
    low, high = box.low.copy(), box.high.copy()
    while True:
        inside = np.all((x >= low) & (x <= high), axis=1)
        n, k = int(inside.sum()), int((inside & y).sum())
        worst = None
        for j in np.flatnonzero((low > lo) | (high < hi)):
            relaxed = np.all(np.delete((x >= low) & (x <= high), j, axis=1), axis=1)
            base = float((relaxed & y).sum()) / max(int(relaxed.sum()), 1)
            p = binomtest(k, n, min(max(base, 1e-12), 1.0), alternative="greater").pvalue
            if worst is None or p > worst[0]:
                worst = (float(p), j)
        if worst is None or worst[0] <= SIGNIFICANCE:
            break
        low[worst[1]], high[worst[1]] = lo[worst[1]], hi[worst[1]]
    inside = np.all((x >= low) & (x <= high), axis=1)
    return Box(low, high, *_stats(inside, y, total))


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    *,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    coverage_min: float = COVERAGE_MIN,
    tolerance: float = TOLERANCE,
    paste: bool = True,
) -> PrimResult:
    """
    Run PRIM on samples `x` (one column per parameter) and the outcome `y` (booleans).

    When `y` never or always holds there is nothing to discover: the result is the whole
    sample's box alone, with a note.

    Raises
    ------
    ValueError
        When `x` is empty or its rows do not match `y`.
    """
    y = np.asarray(y, dtype=bool)
    values = x.to_numpy(dtype=float)
    if values.size == 0 or len(y) != len(values):
        msg = "PRIM needs samples: one row of parameters per outcome"
        raise ValueError(msg)
    if not y.any() or y.all():  # nothing to discover: the whole space is the answer
        lo, hi = values.min(axis=0).astype(float), values.max(axis=0).astype(float)
        whole = Box(lo.copy(), hi.copy(), *_stats(np.ones(len(y), dtype=bool), y, int(y.sum())))
        share = "never" if not y.any() else "always"
        return PrimResult(
            names=tuple(str(c) for c in x.columns),
            trajectory=(whole,),
            chosen=0,
            bounds_low=lo,
            bounds_high=hi,
            base_density=float(y.mean()),
            cases=int(y.sum()),
            samples=len(y),
            notes=[f"the condition {share} holds: no range of the parameters is needed"],
        )
    boxes, lo, hi = _peel(values, y, alpha, mass_min)
    notes = []
    floor = coverage_min
    while True:
        eligible = [k for k, b in enumerate(boxes) if b.coverage >= floor] or [0]
        best = max(boxes[k].density for k in eligible)
        chosen = min(k for k in eligible if boxes[k].density >= best - tolerance)
        # a box that barely concentrates the cases is no answer: accept less coverage,
        # down to COVERAGE_FLOOR, and say so
        if best >= boxes[0].density + tolerance or floor <= COVERAGE_FLOOR + 1e-9:
            break
        floor = round(floor - 0.1, 10)
    if floor < coverage_min:
        notes.append(
            f"no box with coverage {coverage_min:.0%} concentrates the cases; "
            f"coverage down to {floor:.0%} accepted"
        )
    if chosen > 0:
        pruned = _prune(values, y, boxes[chosen], lo, hi)
        before = int(boxes[chosen].restricted(lo, hi).sum())
        after = int(pruned.restricted(lo, hi).sum())
        if after < before:
            boxes = [*boxes, pruned]
            chosen = len(boxes) - 1
            notes.append(
                f"{before - after} restriction(s) not significant at {SIGNIFICANCE} dropped"
            )
    if paste and chosen > 0:
        pasted = _paste(values, y, boxes[chosen], alpha)
        if pasted.density > boxes[chosen].density + 1e-12:
            boxes = [*boxes, pasted]
            chosen = len(boxes) - 1
            notes.append("the chosen box was widened by pasting")
    return PrimResult(
        names=tuple(str(c) for c in x.columns),
        trajectory=tuple(boxes),
        chosen=chosen,
        bounds_low=lo,
        bounds_high=hi,
        base_density=float(y.mean()),
        cases=int(y.sum()),
        samples=len(y),
        notes=notes,
    )


def box_table(result: PrimResult) -> pd.DataFrame:
    """The chosen box as rows ``box, parameter, low, high, coverage, density``: only the
    parameters it restricts (all of them when it restricts none)."""
    box = result.box
    keep = box.restricted(result.bounds_low, result.bounds_high)
    if not keep.any():
        keep = np.ones_like(keep)
    rows = [
        {
            "box": 1,
            "parameter": name,
            "low": float(box.low[j]),
            "high": float(box.high[j]),
            "coverage": box.coverage,
            "density": box.density,
        }
        for j, name in enumerate(result.names)
        if keep[j]
    ]
    return pd.DataFrame(rows, columns=["box", "parameter", "low", "high", "coverage", "density"])
