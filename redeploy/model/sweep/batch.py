"""The task each sweep worker runs: solve a batch of samples, one row of results each.

`run_batch` is a pure function of its arguments: the solver is built once per worker
thread and every sample starts from the central basis, so a sample's result depends only
on (seed, sample index). `summarize` turns the rows into means, percentiles and the
probability that a zone, front or region receives capacity.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from redeploy.model.digits import rounded_frame, significant
from redeploy.model.sweep.plan import SweepPlan
from redeploy.model.sweep.samples import STATUS_OK, SampleSolver, sample_columns
from redeploy.scenario import sample_parameters

#: Amounts above this count as "receives capacity" (kpe or $bn/yr).
EPSILON = 1e-6


#: Columns of the summary table, in order.
SUMMARY_COLUMNS = (
    "kind",
    "id",
    "metric",
    "unit",
    "samples",
    "mean",
    "sd",
    "p5",
    "p50",
    "p95",
    "p_positive",
)


_KIND_ORDER = {"objective": 0, "total": 1, "region": 2, "zone": 3, "front": 4, "param": 5}
#: Unit of each metric of the sample table.
_UNITS = {
    "military_kpe": "kpe",
    "military_bn": "$bn/yr",
    "engagement_bn": "$bn/yr",
    "released_kpe": "kpe",
    "converted_kpe": "kpe",
    "home_kpe": "kpe",
}


_SOLVERS = threading.local()


def _solver(plan: SweepPlan) -> SampleSolver:
    """The worker thread's solver for `plan` (built once, reused by later batches)."""
    cached = getattr(_SOLVERS, "solver", None)
    if cached is None or cached.plan.token != plan.token:
        cached = SampleSolver(plan)
        _SOLVERS.solver = cached
    return cached


@dataclass(frozen=True)
class Fault:
    """A failure injected into one batch, once (tests of retries and dead workers)."""

    #: The batch that holds this sample index fails.
    sample: int
    #: File created by the first failure; its existence lets the retry through.
    marker: str
    exit_process: bool = False


def design_values(plan: SweepPlan, design: np.ndarray) -> dict[str, np.ndarray]:
    """
    Return ``{path: values}`` of the rows of a design: uniform numbers in [0, 1), one column
    per uncertain parameter in `plan.paths` order, mapped by each distribution's inverse CDF.
    """
    out: dict[str, np.ndarray] = {}
    for j, (path, param, dist) in enumerate(plan.params):
        values = dist.ppf(np.asarray(design, dtype=float)[:, j])
        out[path] = values.astype(np.int64) if param.integer else values.astype(float)
    return out


def run_batch(
    plan: SweepPlan,
    start: int,
    stop: int,
    seed: int,
    fault: Fault | None = None,
    design: np.ndarray | None = None,
) -> pd.DataFrame:
    """
    Solve samples ``start`` to ``stop - 1`` of `plan` (the task each worker runs).

    A pure function of its arguments: the model is built once per worker thread and every
    sample starts from the central basis. Sample ``i`` is drawn from (seed, i), or, when
    `design` is given, is its row ``i - start`` (rows of uniform numbers, one column per
    uncertain parameter in `plan.paths` order: a Latin hypercube, a Sobol' sequence, or a
    sensitivity method's design).

    Returns
    -------
    pandas.DataFrame
        One row per sample with `sample_columns`.
    """
    if fault is not None and start <= fault.sample < stop and not Path(fault.marker).exists():
        Path(fault.marker).touch()
        if fault.exit_process:
            os._exit(1)  # a worker that dies mid-batch
        msg = f"injected failure in the batch of sample {fault.sample}"
        raise RuntimeError(msg)
    solver = _solver(plan)
    indices = list(range(start, stop))
    if design is None:
        drawn = sample_parameters({p: (par, d) for p, par, d in plan.params}, seed, indices)
    else:
        drawn = design_values(plan, design)
    # Parameters and outcomes to `RESULT_DIGITS` significant digits: a sample is then the
    # same table on every CPU (`redeploy.model.digits`), and the values recorded are those
    # solved.
    drawn = {p: significant(np.asarray(v, dtype=float)) for p, v in drawn.items()}
    rows = []
    for k, i in enumerate(indices):
        row = solver.solve({p: v[k] for p, v in drawn.items()})
        row["sample"] = i
        rows.append(row)
    return rounded_frame(pd.DataFrame(rows).reindex(columns=sample_columns(plan)))


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """
    Summarise a sample table per objective part, region, zone, front and parameter.

    Returns
    -------
    pandas.DataFrame
        `SUMMARY_COLUMNS`, one row per (kind, id, metric), sorted: ``samples`` counts
        the optimal samples used; ``p_positive`` is the share of them with an amount
        above `EPSILON` (empty for objective parts and parameters).
    """
    ok = table[table["status"] == STATUS_OK]
    rows = []
    for col in table.columns:
        if ":" not in col:
            continue
        kind, rest = col.split(":", 1)
        if kind == "param":
            ident, metric, unit = rest, "value", ""
        elif kind == "objective":
            ident, metric, unit = "", rest, "$bn-eq/yr"
        elif kind == "total":
            ident, metric, unit = "", rest, _UNITS.get(rest, "")
        else:
            ident, metric = rest.rsplit(":", 1)
            unit = _UNITS.get(metric, "")
        values = ok[col].to_numpy(dtype=float)
        n = len(values)
        if n:
            p5, p50, p95 = np.percentile(values, [5, 50, 95])
            mean = float(values.mean())
            sd = float(values.std(ddof=1)) if n > 1 else 0.0
        else:
            p5 = p50 = p95 = mean = sd = math.nan
        positive = (
            float((values > EPSILON).mean()) if n and kind in ("zone", "front", "region") else None
        )
        rows.append((kind, ident, metric, unit, n, mean, sd, p5, p50, p95, positive))
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    out["_k"] = out["kind"].map(_KIND_ORDER)
    out = out.sort_values(["_k", "id", "metric"], kind="mergesort").drop(columns="_k")
    return out.reset_index(drop=True)
