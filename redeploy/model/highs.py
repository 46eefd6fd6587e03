"""Thin helpers around `highspy`: pass an LP as numpy arrays, select CSC columns.

`PRICE_TOL` is HiGHS's own dual feasibility tolerance, the test applied to decide whether
a flow left out of a model would improve its optimum (sifting, the sweep's core model).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import highspy
import numpy as np

#: HiGHS options set on every model. Devex pricing in the dual simplex needs ~30 % fewer
#: iterations than HiGHS's default (steepest edge) on this transport-like LP and about
#: half the time; presolve finds little to remove in this already compact form and costs
#: 10-20 % of the solve (benchmarks/README.md).
HIGHS_OPTIONS: Mapping[str, Any] = {
    "output_flag": False,
    "random_seed": 0,
    "simplex_dual_edge_weight_strategy": 1,
    "presolve": "off",
}
#: A flow left out of a model would improve its optimum if its reduced cost at the model's
#: duals is above this: HiGHS's own dual feasibility tolerance, the test it applies to the
#: columns it holds.
PRICE_TOL = 1e-7

_banner_shown = False


def new_highs() -> highspy.Highs:
    """
    Return a new `highspy.Highs` with `HIGHS_OPTIONS` set.

    highspy 1.16 prints its licence banner on the process's standard output (file
    descriptor 1, from C++) when the first `Highs` is made, whatever its options: the
    first one is made with that descriptor pointed at the null device, so `--json` output
    and tables written to stdout stay clean.
    """
    global _banner_shown
    # highspy 1.16 leaves Highs.__init__ unannotated (mypy: an untyped call)
    if _banner_shown:
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
            finally:
                os.close(null)
            highs = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    for key, value in HIGHS_OPTIONS.items():
        highs.setOptionValue(key, value)
    return highs


def pass_lp(
    highs: highspy.Highs,
    cost: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    csc: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    integrality: np.ndarray | None = None,
    offset: float = 0.0,
) -> None:
    """Hand a maximisation problem (columns >= 0, CSC matrix) to HiGHS as numpy arrays.

    `integrality` marks integer columns with 1 (a MILP); `offset` is a constant added to
    the objective.
    """
    start, index, value = csc
    n_cols = int(cost.size)
    kinds = np.zeros(n_cols, dtype=np.int32) if integrality is None else integrality
    highs.passModel(
        n_cols,
        int(row_lower.size),
        int(index.size),
        int(highspy.MatrixFormat.kColwise.value),
        int(highspy.ObjSense.kMaximize.value),
        float(offset),
        np.ascontiguousarray(cost, dtype=np.float64),
        np.zeros(n_cols),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        start,
        index,
        value,
        np.ascontiguousarray(kinds, dtype=np.int32),  # an empty array is misread
    )


def columns_of(
    start: np.ndarray, index: np.ndarray, value: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the CSC arrays (start, index, value) of `columns` of a CSC matrix."""
    lengths = start[columns + 1] - start[columns]
    sub_start = np.zeros(columns.size + 1, dtype=np.int32)
    np.cumsum(lengths, out=sub_start[1:])
    entries = np.repeat(start[columns] - sub_start[:-1], lengths) + np.arange(sub_start[-1])
    return sub_start, index[entries], value[entries]
