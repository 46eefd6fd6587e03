"""One solve of the allocation problem as plain arrays (`RawSolution`).

`redeploy.model.allocation` makes it; `redeploy.model.assemble` turns it into an
`AllocationResult` and the sweep reads its figures. It lives below all of them, so none
imports another for its type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RawSolution:
    """One solve as arrays: objective, columns, row duals, and per-class totals."""

    objective: float
    #: All columns (flows first, `redeploy.model.lp` order) and all row duals.
    x: np.ndarray
    duals: np.ndarray
    #: (n,) flow amounts; (F, A) released (flows out, home included) and converted;
    #: (Z, A) allocated (flows in, home included).
    flows: np.ndarray
    released: np.ndarray
    converted: np.ndarray
    allocated: np.ndarray
    #: (F, A) worth of one more unit freed; (Z, A) worth of one more unit of room.
    front_marginal_value: np.ndarray
    zone_marginal_value: np.ndarray
    iterations: int
