"""Global sensitivity with SALib: which uncertain parameters drive each outcome.

The design is drawn in the unit cube (SALib, seeded) and each column is mapped through its
parameter's inverse CDF by the sweep (`redeploy.model.sweep.design_values`), so the samples
follow the scenario's ``[uncertain]`` distributions and the indices are those of the model
as the scenario states its uncertainty.

- **Sobol'** (Saltelli's scheme, `SALib.sample.sobol`, ``calc_second_order=False``):
  N · (D + 2) samples for D parameters. ``S1`` is the share of the outcome's variance due to
  the parameter alone, ``ST`` the share it takes part in (with interactions); each with its
  bootstrap 95 % confidence half-width.
- **Morris** (elementary effects, `SALib.sample.morris`, 4 levels): N · (D + 1) samples.
  ``mu_star`` is the mean absolute change of the outcome per move of the parameter across
  its range (in the outcome's unit), ``sigma`` the spread of those changes (non-linearity or
  interactions).
"""

from __future__ import annotations

import math
import typing
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from redeploy.errors import ScenarioError

SensitivityMethod = Literal["sobol", "morris"]
SENSITIVITY_METHODS: tuple[str, ...] = typing.get_args(SensitivityMethod)
#: Columns of ``NAME-sensitivity.csv`` per method.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sobol": ("output", "parameter", "S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("output", "parameter", "mu_star", "mu_star_conf", "sigma"),
}
#: Bootstrap resamples of the confidence intervals.
RESAMPLES = 100
#: Levels of the Morris grid.
MORRIS_LEVELS = 4


def problem(names: Sequence[str]) -> dict[str, Any]:
    """SALib's problem: every parameter on [0, 1] (mapped by its distribution later)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def check_samples(method: str, samples: int) -> None:
    """
    Refuse a base sample size the design cannot use.

    Raises
    ------
    ScenarioError
        For an unknown method, a size below 2, or a Sobol' size that is not a power of 2
        (the Sobol' sequence is balanced only then), naming the nearest valid sizes.
    """
    if method not in SENSITIVITY_METHODS:
        msg = f"--method {method!r}: use one of {', '.join(SENSITIVITY_METHODS)}"
        raise ScenarioError(msg)
    if samples < 2:
        msg = f"--samples must be at least 2, got {samples}"
        raise ScenarioError(msg)
    if method == "sobol" and samples & (samples - 1):
        low = 2 ** int(math.log2(samples))
        msg = (
            f"--samples {samples}: Sobol' designs need a power of 2 (their balance holds "
            f"only then); use {low} or {2 * low}"
        )
        raise ScenarioError(msg)


def design(method: str, names: Sequence[str], samples: int, seed: int) -> np.ndarray:
    """
    Return the design's rows (uniform numbers in [0, 1], one column per parameter).

    Sobol': ``samples · (D + 2)`` rows; Morris: ``samples · (D + 1)`` rows (trajectories).
    """
    from SALib.sample import morris, sobol

    check_samples(method, samples)
    prob = problem(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if method == "sobol":
            rows = sobol.sample(prob, samples, calc_second_order=False, seed=seed)
        else:
            rows = morris.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed)
    # the inverse CDFs take [0, 1): the top of the cube maps to the top of the support
    clipped = np.clip(np.asarray(rows, dtype=float), 0.0, np.nextafter(1.0, 0.0))
    return np.asarray(clipped, dtype=float)


def indices(
    method: str,
    names: Sequence[str],
    rows: np.ndarray,
    outputs: pd.DataFrame,
    seed: int,
) -> pd.DataFrame:
    """
    Return the indices of every output (`COLUMNS`), one row per (output, parameter).

    An output that does not vary (every sample equal) gets zeros: nothing drives it.

    Parameters
    ----------
    rows
        The design (`design`), in sample order.
    outputs
        One column per output, one row per design row (no NaN).
    """
    from SALib.analyze import morris, sobol

    prob = problem(names)
    # SALib's Sobol' analysis takes seed 0 as "no seed" (`if seed:`) and then bootstraps the
    # confidence intervals from numpy's global generator: never pass it 0.
    salib_seed = seed + 1
    records: list[dict[str, Any]] = []
    keys: tuple[str, ...]
    for output in outputs.columns:
        y = outputs[output].to_numpy(dtype=float)
        flat = float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.abs(y).max()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if method == "sobol":
                res = (
                    None
                    if flat
                    else sobol.analyze(
                        prob, y, calc_second_order=False, num_resamples=RESAMPLES, seed=salib_seed
                    )
                )
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                res = (
                    None
                    if flat
                    else morris.analyze(
                        prob,
                        rows,
                        y,
                        num_resamples=RESAMPLES,
                        num_levels=MORRIS_LEVELS,
                        seed=salib_seed,
                    )
                )
                keys = ("mu_star", "mu_star_conf", "sigma")
        for j, name in enumerate(names):
            rec: dict[str, Any] = {"output": output, "parameter": name}
            for key in keys:
                rec[key] = 0.0 if res is None else float(np.asarray(res[key], dtype=float)[j])
            records.append(rec)
    return pd.DataFrame(records, columns=list(COLUMNS[method]))


def ranking(table: pd.DataFrame, method: str, output: str, top: int = 3) -> list[tuple[str, float]]:
    """The `top` parameters of one output by ST (Sobol') or mu_star (Morris), largest first."""
    key = "ST" if method == "sobol" else "mu_star"
    rows = table[table["output"] == output].sort_values(
        [key, "parameter"], ascending=[False, True], kind="mergesort"
    )
    return [(str(r["parameter"]), float(r[key])) for r in rows.head(top).to_dict("records")]
