"""Sifting: solve a large LP on its most promising flows first, pricing in the rest.

The LP has far more flow columns than rows and a basic optimum has at most as many
positive columns as rows, so a small LP with every row, every segment column and the
most promising flows is solved first; every left-out flow is then priced at its duals and
those that would improve it are added, until none would (docs/model.md §5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import highspy
import numpy as np

from redeploy.model.highs import PRICE_TOL, columns_of, new_highs, pass_lp
from redeploy.model.inputs import AllocationInputs
from redeploy.model.lp import LPStructure

#: Sifting starts from this many best flows (first-unit worth) into each (zone, asset)
#: and out of each (front, asset); each round then adds the left-out flows with the largest
#: positive reduced costs: this share of them, and at least `SIFT_MIN_ADD`
#: (benchmarks/README.md, "Allocation model": 1 flow and 0.1 were the fastest or near it
#: at 10^5 and 10^6 synthetic flows and on the 100x scale layers' 204,367).
SIFT_START = 1
SIFT_ADD_SHARE = 0.1
SIFT_MIN_ADD = 1_000


def solve_sifted(
    inputs: AllocationInputs,
    structure: LPStructure,
    csc: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    cost: np.ndarray,
    col_upper: np.ndarray,
    row_bounds: tuple[np.ndarray, np.ndarray],
    offset: float,
    options: Mapping[str, Any],
) -> tuple[np.ndarray, np.ndarray, int, float, highspy.HighsBasis] | None:
    """
    Solve the LP by sifting: on a few flows first, adding left-out ones that price in.

    The LP has far more flow columns than rows and a basic optimum has at most as many
    positive columns as rows, so a small LP with every row, every segment column and
    the most promising flows is solved first; every left-out flow is then priced at its duals
    (c_j − A_jᵀπ) and those that would improve it are added (`SIFT_ADD_SHARE`), and
    HiGHS goes on from its basis. When none prices in, the small LP's optimum is
    optimal for the whole LP (its duals are those of the whole LP).

    Parameters
    ----------
    inputs, structure
        The model's inputs and the LP's layout (`redeploy.model.lp.build_structure`).
    csc
        The whole constraint matrix as CSC arrays (start, index, value).
    cost, col_upper, row_bounds, offset
        The whole LP's column costs and upper bounds, row bounds (lower, upper) and
        objective constant (`redeploy.model.lp`).
    options
        HiGHS options of the small LP.

    Returns
    -------
    tuple or None
        Columns and row duals in the whole LP's layout, simplex iterations, the
        objective and the optimal basis of the whole LP (left-out flows nonbasic at
        zero); None when the small LP is not optimal (a region floor may need flows
        left out): `solve_raw` then solves the whole LP.
    """
    inp, st = inputs, structure
    n, n_cols = st.n_flow, st.n_cols
    start, index, value = csc
    lower, upper = row_bounds
    is_open = col_upper[:n] > 0
    chosen = _start_flows(inp, st, cost, is_open, lower)
    columns = np.r_[np.flatnonzero(chosen), np.arange(n, n_cols)]
    sub = new_highs()
    for key, val in options.items():
        sub.setOptionValue(key, val)
    pass_lp(
        sub,
        cost[columns],
        col_upper[columns],
        lower,
        upper,
        columns_of(start, index, value, columns),
        offset=offset,
    )
    iterations = 0
    flow_entries = int(start[n])
    while True:
        sub.run()
        iterations += int(sub.getInfoValue("simplex_iteration_count")[1])
        if sub.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = sub.getSolution()
        duals = np.asarray(sol.row_dual, dtype=float)
        priced = np.add.reduceat(value[:flow_entries] * duals[index[:flow_entries]], start[:n])
        reduced = cost[:n] - priced
        enter = np.flatnonzero(~chosen & is_open & (reduced > PRICE_TOL))
        if not enter.size:
            break
        take = max(SIFT_MIN_ADD, int(SIFT_ADD_SHARE * enter.size))
        add = enter[np.argsort(-reduced[enter], kind="stable")[:take]]
        chosen[add] = True
        columns = np.r_[columns, add]
        add_start, add_index, add_value = columns_of(start, index, value, add)
        sub.addCols(
            add.size,
            np.ascontiguousarray(cost[add]),
            np.zeros(add.size),
            np.ascontiguousarray(col_upper[add]),
            int(add_index.size),
            add_start[:-1],
            add_index,
            add_value,
        )
    x = np.zeros(n_cols)
    x[columns] = np.asarray(sol.col_value, dtype=float)
    objective = float(sub.getInfoValue("objective_function_value")[1])
    return x, duals, iterations, objective, _whole_basis(sub.getBasis(), columns, n_cols)


def _best_per_group(ranked: np.ndarray, group: np.ndarray, k: int) -> np.ndarray:
    """The flows among `ranked` (best first) that rank among the `k` best of their `group`."""
    order = ranked[np.argsort(group[ranked], kind="stable")]
    keys = group[order]
    first = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
    rank = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size]))
    return np.asarray(order[rank < k], dtype=np.intp)


def _start_flows(
    inp: AllocationInputs,
    st: LPStructure,
    cost: np.ndarray,
    is_open: np.ndarray,
    lower: np.ndarray,
) -> np.ndarray:
    """
    (n,) the flows of the first small LP: the `SIFT_START` best (first-unit worth) into
    each (zone, asset) and out of each (front, asset), and for every region row with a
    floor the `SIFT_START` best into the region out of each (front, asset) that can reach
    it, so that the small LP can meet the floors the whole LP meets.
    """
    n = st.n_flow
    n_a = len(inp.assets)
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    steepest = inp.seg_value[pz, pa].max(axis=1, initial=0.0) - inp.seg_value[pz, pa, -1]
    # A flow without a value pair (``flow_pair`` -1) takes the 0 appended at the end; with
    # no pair at all `steepest` is empty and only that 0 is there.
    first_unit = cost[:n] + np.append(steepest, 0.0)[st.flow_pair]
    chosen = np.zeros(n, dtype=bool)
    ranked = np.lexsort((np.arange(n), -first_unit, ~is_open))
    for group in (st.flow_pair, st.flow_supply):
        chosen[_best_per_group(ranked, group, SIFT_START)] = True
    position = np.empty(n, dtype=np.intp)
    position[ranked] = np.arange(n)
    first_region = st.row_offsets["region"]
    for k, members in enumerate(st.region_members):
        if lower[first_region + k] <= 0 or not members.size:
            continue
        mine = members[is_open[members]]
        mine = mine[np.argsort(position[mine], kind="stable")]
        chosen[_best_per_group(mine, st.flow_supply, SIFT_START)] = True
    return chosen


def _whole_basis(basis: highspy.HighsBasis, columns: np.ndarray, n_cols: int) -> highspy.HighsBasis:
    """The small LP's optimal `basis` in the whole LP's layout: the small LP's `columns`
    keep their status, left-out flows are nonbasic at zero."""
    status = np.zeros(n_cols, dtype=np.int8)  # kLower
    status[columns] = [int(v) for v in basis.col_status]
    lookup = [highspy.HighsBasisStatus(v) for v in range(int(status.max(initial=0)) + 1)]
    whole = highspy.HighsBasis()
    whole.col_status = [lookup[v] for v in status.tolist()]
    whole.row_status = basis.row_status
    whole.valid = True
    return whole
