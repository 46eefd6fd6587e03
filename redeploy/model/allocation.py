"""Build the redeployment LP as sparse matrices, solve it with HiGHS, return AllocationResult.

Variables: flows x_j >= 0 for the (front, zone, asset) triples of `AllocationInputs`, then
fills y_pk >= 0 of the concave value segments k = 1..K-1 of each (zone, asset) pair p (the
last segment takes the rest of the inflow, so it needs no variable). With inflow
X_p = Σ_{j∈p} x_j and slopes s_1 >= ... >= s_K of the first-unit value v_p, the value
Σ_k s_k·v_p·(fill of segment k) = s_K·v_p·X_p + Σ_{k<K} (s_k − s_K)·v_p·y_pk:

    maximise   Σ_j (s_K·v_p(j) − t_j − λ·ρ_fa(j))·x_j + Σ_{p,k<K} (s_k − s_K)·v_p·y_pk
    subject to Σ_{j∈(f,a)} x_j ≤ F_fa                        (supply; dual = worth of freeing)
               0 ≤ X_p − Σ_{k<K} y_pk ≤ share_K·A_p          (room; dual = worth of room)
               0 ≤ y_pk ≤ share_k·A_p                        (segment lengths)
               floor_R ≤ Σ_{j into R, military} x_j ≤ cap_R, and per asset   (regions)

Since s_k − s_K >= 0 the solver fills the steep segments first, and X_p ≤ A_p. This form
has one row per (zone, asset) instead of two and no last-segment column: HiGHS solves it
about 3x faster than the textbook form with a balance row and a room row.

The matrices are assembled from numpy index arrays (no Python loop per variable) and
passed to `highspy` directly, so `AllocationModel.update` can change bounds and costs and
re-solve warm from the last basis, and `AllocationModel.reload` can pass a new sample's LP
on the same matrix (for sweeps).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd

from redeploy.errors import InfeasibleAllocationError, format_number
from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import (
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
    AllocationResult,
)
from redeploy.model.routes import great_circle_path, sea_paths, split_antimeridian
from redeploy.schemas import ASSET_UNITS, CRS

#: Flows below this amount are reported as zero.
ZERO_TOL = 1e-9
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
#: LPs with at least this many flows are solved by sifting (`AllocationModel.solve_raw`):
#: below it (the shipped layers have about 5,000) one solve of the whole LP is as fast.
SIFT_MIN_FLOWS = 30_000
#: Sifting starts from this many best flows (first-unit worth) into each (zone, asset)
#: and out of each (front, asset); each round then adds the left-out flows with the largest
#: positive reduced costs: this share of them, and at least `SIFT_MIN_ADD`
#: (benchmarks/README.md: fastest among 1-5 flows and shares of 0.1-1 at 10^5 flows).
SIFT_START = 2
SIFT_ADD_SHARE = 0.25
SIFT_MIN_ADD = 1_000


def _pass_lp(
    highs: highspy.Highs,
    cost: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    csc: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Hand a maximisation LP (columns >= 0, CSC matrix) to HiGHS as numpy arrays."""
    start, index, value = csc
    n_cols = int(cost.size)
    highs.passModel(
        n_cols,
        int(row_lower.size),
        int(index.size),
        int(highspy.MatrixFormat.kColwise.value),
        int(highspy.ObjSense.kMaximize.value),
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.zeros(n_cols),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        start,
        index,
        value,
        np.zeros(n_cols, dtype=np.int32),  # all continuous (an empty array is misread)
    )


def _columns_of(
    start: np.ndarray, index: np.ndarray, value: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the CSC arrays (start, index, value) of `columns` of a CSC matrix."""
    lengths = start[columns + 1] - start[columns]
    sub_start = np.zeros(columns.size + 1, dtype=np.int32)
    np.cumsum(lengths, out=sub_start[1:])
    entries = np.repeat(start[columns] - sub_start[:-1], lengths) + np.arange(sub_start[-1])
    return sub_start, index[entries], value[entries]


def _compact(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct `keys` (ints in [0, size)) and each key's position among
    them: `numpy.unique(..., return_inverse=True)` in O(n + size), without sorting."""
    present = np.zeros(size, dtype=bool)
    present[keys] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[keys]


@dataclass
class _Rows:
    """Row blocks of the LP: supply (F, A), room (Z, A), then region bounds."""

    n_supply: int
    n_pairs: int
    region_rows: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def room(self) -> int:
        return self.n_supply

    @property
    def region(self) -> int:
        return self.n_supply + self.n_pairs

    @property
    def total(self) -> int:
        return self.region + len(self.region_rows)


class AllocationModel:
    """
    The LP of one set of inputs, held in a `highspy.Highs` instance.

    Build once with `build_model`, then `solve`; `update` changes freed capacity, value,
    absorptive capacity or λ and the next `solve` starts from the previous basis.

    Parameters
    ----------
    inputs
        Model inputs (`redeploy.model.inputs.build_inputs`).
    highs_options
        HiGHS options on top of `HIGHS_OPTIONS`.
    sift
        Solve by sifting (`solve_raw`); by default when the LP has at least
        `SIFT_MIN_FLOWS` flows. A sifted solve leaves its optimal basis in `highs` but not
        its solution (read it from `solve_raw`'s result). False keeps every solve in
        `highs`, whose solution and column duals then describe the last solve (sweeps
        rely on that). A basis given with `set_basis` is always used: no sifting then.
    """

    def __init__(
        self,
        inputs: AllocationInputs,
        *,
        highs_options: Mapping[str, Any] | None = None,
        sift: bool | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.inputs = inputs
        self._index(inputs)
        self.highs = highspy.Highs()
        self._options = {**HIGHS_OPTIONS, **(highs_options or {})}
        self.sift = self.n_flow >= SIFT_MIN_FLOWS if sift is None else sift
        #: The constraint matrix in CSC form, built once (`reload` passes it again).
        self._csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: Upper bounds of the flow columns when some differ from +inf (`reload`, `close_flows`).
        self._flow_upper: np.ndarray | None = None
        #: `highs` holds a basis from an earlier solve: re-solve from it, do not sift again.
        self._has_basis = False
        for key, value in self._options.items():
            self.highs.setOptionValue(key, value)
        if self.n_cols:
            self._pass_model()
        self.build_seconds = time.perf_counter() - t0
        self.solve_seconds = 0.0

    # ---------------------------------------------------------------- structure

    def _index(self, inp: AllocationInputs) -> None:
        n_a = len(inp.assets)
        n = inp.n_flows
        k = len(inp.segment_shares)
        # supply rows: one per (front, asset) that has flows
        fa = inp.flow_front * n_a + inp.flow_asset
        self.supply_keys, self.flow_supply = _compact(fa, len(inp.front_ids) * n_a)
        # (zone, asset) pairs that receive flows: one room row each
        za = inp.flow_zone * n_a + inp.flow_asset
        self.pair_keys, self.flow_pair = _compact(za, len(inp.zone_ids) * n_a)
        self.pair_zone = self.pair_keys // n_a
        self.pair_asset = self.pair_keys % n_a
        n_p = len(self.pair_keys)
        # segment fills of all segments but the last (the room row bounds the last one)
        self.seg_pair = np.repeat(np.arange(n_p), k - 1)
        self.seg_k = np.tile(np.arange(k - 1), n_p)
        self.n_flow, self.n_seg = n, n_p * (k - 1)
        self.n_cols = self.n_flow + self.n_seg
        military = inp.military
        region_of_zone = np.array([inp.regions.index(r) for r in inp.zone_region], dtype=int)
        self.pair_region = region_of_zone[self.pair_zone] if n_p else np.zeros(0, int)
        rows = _Rows(len(self.supply_keys), n_p)
        reg_r, reg_c = [], []
        self.region_lower, self.region_upper = [], []
        flow_region = region_of_zone[inp.flow_zone] if n else np.zeros(0, int)
        flow_cols = np.arange(n)
        for r, name in enumerate(inp.regions):
            lo, hi = inp.region_floor[r], inp.region_cap[r]
            if not (np.isnan(lo) and np.isnan(hi)):
                sel = (flow_region == r) & military[inp.flow_asset]
                reg_r.append(np.full(sel.sum(), len(rows.region_rows)))
                reg_c.append(flow_cols[sel])
                rows.region_rows.append((name, None))
                self.region_lower.append(0.0 if np.isnan(lo) else lo)
                self.region_upper.append(np.inf if np.isnan(hi) else hi)
            for a, asset in enumerate(inp.assets):
                lo, hi = inp.region_asset_floor[r, a], inp.region_asset_cap[r, a]
                if np.isnan(lo) and np.isnan(hi):
                    continue
                sel = (flow_region == r) & (inp.flow_asset == a)
                reg_r.append(np.full(sel.sum(), len(rows.region_rows)))
                reg_c.append(flow_cols[sel])
                rows.region_rows.append((name, asset))
                self.region_lower.append(0.0 if np.isnan(lo) else lo)
                self.region_upper.append(np.inf if np.isnan(hi) else hi)
        self.rows = rows
        self._region_r = np.concatenate(reg_r) if reg_r else np.zeros(0, int)
        self._region_c = np.concatenate(reg_c) if reg_c else np.zeros(0, int)

    def _matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Return the constraint matrix in CSC form (start, index, value), built directly.

        Each flow column holds its supply row, its room row and at most two region rows
        (the region's military total and its per-asset row), in increasing row order; each
        segment column holds -1 in its pair's room row. No sort is needed.
        """
        n, rows = self.n_flow, self.rows
        seg_index = rows.room + self.seg_pair
        if not self._region_r.size:
            flow_index = np.empty(2 * n, dtype=np.int64)
            flow_index[0::2] = self.flow_supply
            flow_index[1::2] = rows.room + self.flow_pair
            flow_counts = np.full(n, 2, dtype=np.int64)
        else:
            slots = np.full((n, 4), -1, dtype=np.int64)
            slots[:, 0] = self.flow_supply
            slots[:, 1] = rows.room + self.flow_pair
            # a flow sits in one region: it meets at most the total row and one asset row
            order = np.lexsort((self._region_r, self._region_c))
            cols, regs = self._region_c[order], rows.region + self._region_r[order]
            is_first = np.ones(cols.size, dtype=bool)
            is_first[1:] = cols[1:] != cols[:-1]
            slots[cols[is_first], 2] = regs[is_first]
            slots[cols[~is_first], 3] = regs[~is_first]
            used = slots >= 0
            flow_counts = used.sum(axis=1)
            flow_index = slots[used]
        start = np.empty(self.n_cols + 1, dtype=np.int32)
        start[0] = 0
        np.cumsum(flow_counts, out=start[1 : n + 1])
        start[n + 1 :] = start[n] + np.arange(1, self.n_seg + 1, dtype=np.int32)
        index = np.concatenate([flow_index, seg_index]).astype(np.int32)
        value = np.ones(index.size)
        value[flow_index.size :] = -1.0
        return start, index, value

    def _costs(self) -> np.ndarray:
        """Objective coefficients: flows earn the last slope, segments the extra slope."""
        inp = self.inputs
        risk = inp.risk_lambda * inp.risk[inp.flow_front, inp.flow_asset]
        pair_value = inp.value[self.pair_zone, self.pair_asset]
        last = inp.segment_slopes[-1]
        flow_value = last * pair_value[self.flow_pair] if self.n_flow else np.zeros(0)
        seg_value = (inp.segment_slopes[self.seg_k] - last) * pair_value[self.seg_pair]
        return np.concatenate([flow_value - (inp.flow_transit_cost + risk), seg_value])

    def _col_upper(self) -> np.ndarray:
        inp = self.inputs
        room = inp.absorb[self.pair_zone, self.pair_asset]
        seg_upper = inp.segment_shares[self.seg_k] * room[self.seg_pair]
        return np.concatenate([np.full(self.n_flow, np.inf), seg_upper])

    def _row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        inp, rows = self.inputs, self.rows
        supply_up = inp.freed.ravel()[self.supply_keys]
        last_room = inp.segment_shares[-1] * inp.absorb[self.pair_zone, self.pair_asset]
        lower = np.concatenate(
            [
                np.full(rows.n_supply, -np.inf),
                np.zeros(rows.n_pairs),
                np.asarray(self.region_lower, dtype=float),
            ]
        )
        upper = np.concatenate([supply_up, last_room, np.asarray(self.region_upper, dtype=float)])
        return lower, upper

    def _pass_model(self, flow_upper: np.ndarray | None = None) -> None:
        """Hand the LP to HiGHS as numpy arrays (no per-element conversion)."""
        if self._csc is None:
            self._csc = self._matrix()
        start, index, value = self._csc
        lower, upper = self._row_bounds()
        col_upper = self._col_upper()
        self._has_basis = False
        self._flow_upper = None if flow_upper is None else np.array(flow_upper, dtype=float)
        if flow_upper is not None:
            col_upper[: self.n_flow] = flow_upper
        _pass_lp(self.highs, self._costs(), col_upper, lower, upper, (start, index, value))

    # ---------------------------------------------------------------- updates

    def update(
        self,
        *,
        freed: np.ndarray | None = None,
        value: np.ndarray | None = None,
        absorb: np.ndarray | None = None,
        risk_lambda: float | None = None,
        risk: np.ndarray | None = None,
        transit_cost: np.ndarray | None = None,
    ) -> None:
        """
        Change parameters in place; the next `solve` starts from the previous basis.

        The structure (which flows exist) stays fixed: pass arrays of the shapes of
        `AllocationInputs` (freed and risk (F, A), value and absorb (Z, A),
        transit_cost (n,)).
        """
        changes = self._set_inputs(
            freed=freed,
            value=value,
            absorb=absorb,
            risk_lambda=risk_lambda,
            risk=risk,
            transit_cost=transit_cost,
        )
        if not changes or not self.n_cols:
            return
        cols = np.arange(self.n_cols, dtype=np.int32)
        if {"value", "risk_lambda", "risk", "flow_transit_cost"} & changes.keys():
            self.highs.changeColsCost(self.n_cols, cols, self._costs())
        if "absorb" in changes:
            col_upper = self._col_upper()
            if self._flow_upper is not None:  # closed flows stay closed
                col_upper[: self.n_flow] = self._flow_upper
            self.highs.changeColsBounds(self.n_cols, cols, np.zeros(self.n_cols), col_upper)
        if {"freed", "absorb"} & changes.keys():
            lower, upper = self._row_bounds()
            rows = np.arange(self.rows.total, dtype=np.int32)
            self.highs.changeRowsBounds(self.rows.total, rows, lower, upper)

    def close_flows(self, closed: np.ndarray) -> None:
        """Fix at zero the flows `closed` (an (n,) mask) marks, until the next `reload`."""
        cols = np.flatnonzero(closed).astype(np.int32)
        if not cols.size:
            return
        upper = np.full(self.n_flow, np.inf) if self._flow_upper is None else self._flow_upper
        upper[cols] = 0.0
        self._flow_upper = upper
        self.highs.changeColsBounds(cols.size, cols, np.zeros(cols.size), np.zeros(cols.size))

    def set_basis(self, basis: highspy.HighsBasis) -> None:
        """Start the next solve from `basis` (whole LP; no sifting then)."""
        self._has_basis = self.highs.setBasis(basis) == highspy.HighsStatus.kOk

    def reload(
        self,
        *,
        flow_upper: np.ndarray | None = None,
        freed: np.ndarray | None = None,
        value: np.ndarray | None = None,
        absorb: np.ndarray | None = None,
        risk_lambda: float | None = None,
        risk: np.ndarray | None = None,
        transit_cost: np.ndarray | None = None,
    ) -> None:
        """
        Change parameters like `update`, then pass the whole LP to HiGHS again.

        Faster than `update` when most costs change (HiGHS sorts the index set of every
        change call; the matrix is kept from the first pass), and it discards every piece
        of solver state, as a new model would: the next solve depends only on the inputs
        and on the basis set after this call (without one it starts from scratch).

        Parameters
        ----------
        flow_upper
            (n,) upper bounds of the flow columns (default: none, +inf); 0 fixes a flow at
            zero.
        """
        self._set_inputs(
            freed=freed,
            value=value,
            absorb=absorb,
            risk_lambda=risk_lambda,
            risk=risk,
            transit_cost=transit_cost,
        )
        if flow_upper is not None and np.shape(flow_upper) != (self.n_flow,):
            msg = f"reload: flow_upper must have shape ({self.n_flow},), got {np.shape(flow_upper)}"
            raise ValueError(msg)
        if self.n_cols:
            self._pass_model(flow_upper)

    def _set_inputs(
        self,
        *,
        freed: np.ndarray | None,
        value: np.ndarray | None,
        absorb: np.ndarray | None,
        risk_lambda: float | None,
        risk: np.ndarray | None,
        transit_cost: np.ndarray | None,
    ) -> dict[str, Any]:
        """Check the shapes and replace `inputs`; return the changed fields."""
        changes: dict[str, Any] = {}
        if freed is not None:
            changes["freed"] = np.asarray(freed, dtype=float)
        if value is not None:
            changes["value"] = np.asarray(value, dtype=float)
        if absorb is not None:
            changes["absorb"] = np.asarray(absorb, dtype=float)
        if risk_lambda is not None:
            changes["risk_lambda"] = float(risk_lambda)
        if risk is not None:
            changes["risk"] = np.asarray(risk, dtype=float)
        if transit_cost is not None:
            changes["flow_transit_cost"] = np.asarray(transit_cost, dtype=float)
        if not changes:
            return changes
        for key, new in changes.items():
            if key != "risk_lambda" and new.shape != np.shape(getattr(self.inputs, key)):
                msg = (f"update: {key} must have shape {np.shape(getattr(self.inputs, key))} "
                       f"(the model's structure), got {new.shape}")
                raise ValueError(msg)
        self.inputs = dataclasses.replace(self.inputs, **changes)
        return changes

    # ---------------------------------------------------------------- pricing

    def reduced_costs(
        self,
        duals: np.ndarray,
        flow_front: np.ndarray,
        flow_zone: np.ndarray,
        flow_asset: np.ndarray,
        transit_cost: np.ndarray,
    ) -> np.ndarray:
        """
        Return the reduced costs of flows at a dual solution of this model, held or not.

        The objective can only improve by adding a flow the model lacks if the flow's
        reduced cost is positive (column generation): if none is, this model's optimum is
        optimal for the model with every flow, and `duals` extend to that model's duals.

            d_j = s_K·v_p − t_j − λ·ρ_fa − π_supply(f,a) − π_room(p) − Σ π_region

        A (front, asset) without a supply row here has π_supply = 0 (it releases nothing
        here, so its row would be slack); a (zone, asset) pair without a room row receives
        nothing, and its room dual is −(max_k s_k − s_K)·v_p, the largest that keeps every
        segment fill at zero dual feasible, so a flow into it is priced at the first,
        steepest slope. For the model's own flows the result equals HiGHS's column duals.

        Parameters
        ----------
        duals
            Row duals of this model's last solve (`RawSolution.duals`).
        flow_front, flow_zone, flow_asset, transit_cost
            (m,) the flows to price, as in `AllocationInputs` (same fronts, zones, assets).
        """
        inp, rows = self.inputs, self.rows
        n_a = len(inp.assets)
        slopes = inp.segment_slopes
        value = inp.value.ravel()
        fa = flow_front * n_a + flow_asset
        za = flow_zone * n_a + flow_asset
        pi_supply = np.zeros(len(inp.front_ids) * n_a)
        pi_supply[self.supply_keys] = duals[: rows.n_supply]
        pi_room = -(slopes.max() - slopes[-1]) * value
        pi_room[self.pair_keys] = duals[rows.room : rows.region]
        d = slopes[-1] * value[za] - transit_cost - inp.risk_lambda * inp.risk.ravel()[fa]
        d -= pi_supply[fa] + pi_room[za]
        if rows.region_rows:
            region_of_zone = np.array([inp.regions.index(r) for r in inp.zone_region])
            flow_region = region_of_zone[flow_zone]
            military = inp.military[flow_asset]
            for k, (name, asset) in enumerate(rows.region_rows):
                member = flow_region == inp.regions.index(name)
                member &= military if asset is None else flow_asset == inp.assets.index(asset)
                d[member] -= duals[rows.region + k]
        return d

    # ---------------------------------------------------------------- solve

    def solve_raw(self, *, check: bool = True) -> RawSolution:
        """
        Solve and return plain arrays (no tables, no route geometry): for sweeps.

        Parameters
        ----------
        check
            Run `check_feasibility` first (cheap; names conflicting floors).

        Raises
        ------
        InfeasibleAllocationError
            When floors and caps conflict.
        """
        if check:
            check_feasibility(self.inputs, self)
        t0 = time.perf_counter()
        # Sift the first solve only: after `update`, re-solving the whole LP from the
        # previous optimal basis is faster (3x at 10^5 flows for a change of λ).
        sifting = self.n_cols and self.sift and not self._has_basis
        sifted = self._solve_sifted() if sifting else None
        if sifted is not None:
            x, duals, iterations, objective = sifted
        elif self.n_cols:
            self.highs.run()
            status = self.highs.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                self.solve_seconds = time.perf_counter() - t0
                if status in (
                    highspy.HighsModelStatus.kInfeasible,
                    highspy.HighsModelStatus.kUnboundedOrInfeasible,
                ):
                    raise InfeasibleAllocationError(_solver_infeasible_message(self.inputs))
                msg = f"HiGHS stopped with status {self.highs.modelStatusToString(status)!r}"
                raise InfeasibleAllocationError(msg)
            self._has_basis = True
            sol = self.highs.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            duals = np.asarray(sol.row_dual, dtype=float)
            iterations = int(self.highs.getInfoValue("simplex_iteration_count")[1])
            objective = float(self.highs.getInfoValue("objective_function_value")[1])
        else:
            x, duals, iterations, objective = np.zeros(0), np.zeros(self.rows.total), 0, 0.0
        self.solve_seconds = time.perf_counter() - t0
        inp = self.inputs
        flows = np.where(x[: self.n_flow] > ZERO_TOL, x[: self.n_flow], 0.0)
        n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
        # Sums in flow order, as `numpy.add.at` would (bit for bit), but faster.
        released = np.zeros(n_f * n_a)
        released[self.supply_keys] = np.bincount(
            self.flow_supply, weights=flows, minlength=len(self.supply_keys)
        )
        released = released.reshape(n_f, n_a)
        allocated = np.zeros(n_z * n_a)
        allocated[self.pair_keys] = np.bincount(
            self.flow_pair, weights=flows, minlength=len(self.pair_keys)
        )
        allocated = allocated.reshape(n_z, n_a)
        front_dual = np.zeros(n_f * n_a)
        front_dual[self.supply_keys] = duals[: self.rows.n_supply]
        zone_dual = np.zeros(n_z * n_a)
        room = self.rows.room
        zone_dual[self.pair_keys] = duals[room : room + self.rows.n_pairs]
        return RawSolution(
            objective=objective,
            x=x,
            duals=duals,
            flows=flows,
            released=released,
            allocated=allocated,
            front_marginal_value=np.maximum(front_dual, 0.0).reshape(n_f, n_a),
            zone_marginal_value=np.maximum(zone_dual, 0.0).reshape(n_z, n_a),
            iterations=iterations,
        )

    def _solve_sifted(self) -> tuple[np.ndarray, np.ndarray, int, float] | None:
        """
        Solve the LP by sifting: on a few flows first, adding left-out ones that price in.

        The LP has far more flow columns than rows and a basic optimum has at most as many
        positive columns as rows, so a small LP with every row, every segment column and
        the most promising flows is solved first; every left-out flow is then priced at its duals
        (c_j − A_jᵀπ) and those that would improve it are added (`SIFT_ADD_SHARE`), and
        HiGHS goes on from its basis. When none prices in, the small LP's optimum is
        optimal for the whole LP (its duals are those of the whole LP).

        Returns
        -------
        tuple or None
            Columns and row duals in the whole LP's layout, simplex iterations and the
            objective; None when the small LP is not optimal (a region floor may need
            flows left out): `solve_raw` then solves the whole LP.
        """
        inp, n = self.inputs, self.n_flow
        assert self._csc is not None  # passed with the model
        start, index, value = self._csc
        cost = self._costs()
        col_upper = self._col_upper()
        if self._flow_upper is not None:
            col_upper[:n] = self._flow_upper
        lower, upper = self._row_bounds()
        is_open = col_upper[:n] > 0
        slopes = inp.segment_slopes
        first_unit = cost[:n] + (slopes.max() - slopes[-1]) * (
            inp.value[self.pair_zone, self.pair_asset][self.flow_pair]
        )
        chosen = np.zeros(n, dtype=bool)
        order_by_worth = np.lexsort((np.arange(n), -first_unit, ~is_open))
        for group in (self.flow_pair, self.flow_supply):
            order = order_by_worth[np.argsort(group[order_by_worth], kind="stable")]
            keys = group[order]
            first = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
            rank = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
            chosen[order[rank < SIFT_START]] = True
        columns = np.r_[np.flatnonzero(chosen), np.arange(n, self.n_cols)]
        sub = highspy.Highs()
        for key, val in self._options.items():
            sub.setOptionValue(key, val)
        _pass_lp(sub, cost[columns], col_upper[columns], lower, upper,
                 _columns_of(start, index, value, columns))
        iterations = 0
        flow_entries = int(start[n])
        while True:
            sub.run()
            iterations += int(sub.getInfoValue("simplex_iteration_count")[1])
            if sub.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            sol = sub.getSolution()
            duals = np.asarray(sol.row_dual, dtype=float)
            priced = np.add.reduceat(value[:flow_entries] * duals[index[:flow_entries]],
                                     start[:n])
            reduced = cost[:n] - priced
            enter = np.flatnonzero(~chosen & is_open & (reduced > PRICE_TOL))
            if not enter.size:
                break
            take = max(SIFT_MIN_ADD, int(SIFT_ADD_SHARE * enter.size))
            add = enter[np.argsort(-reduced[enter], kind="stable")[:take]]
            chosen[add] = True
            columns = np.r_[columns, add]
            add_start, add_index, add_value = _columns_of(start, index, value, add)
            sub.addCols(add.size, np.ascontiguousarray(cost[add]), np.zeros(add.size),
                        np.ascontiguousarray(col_upper[add]), int(add_index.size),
                        add_start[:-1], add_index, add_value)
        x = np.zeros(self.n_cols)
        x[columns] = np.asarray(sol.col_value, dtype=float)
        objective = float(sub.getInfoValue("objective_function_value")[1])
        # Hand the optimal basis to `highs` (left-out flows nonbasic at zero), so that a
        # re-solve after `update` starts from it.
        basis = sub.getBasis()
        status = np.zeros(self.n_cols, dtype=np.int8)  # kLower
        status[columns] = [int(v) for v in basis.col_status]
        lookup = [highspy.HighsBasisStatus(v) for v in range(int(status.max(initial=0)) + 1)]
        whole = highspy.HighsBasis()
        whole.col_status = [lookup[v] for v in status.tolist()]
        whole.row_status = basis.row_status
        whole.valid = True
        self._has_basis = self.highs.setBasis(whole) == highspy.HighsStatus.kOk
        return x, duals, iterations, objective

    def solve(self) -> AllocationResult:
        """
        Solve the LP and return the allocation.

        Raises
        ------
        InfeasibleAllocationError
            When floors and caps conflict; the message names them and what to change.
        """
        raw = self.solve_raw()
        return _assemble(self, raw.x, raw.duals, raw.iterations)


@dataclass(frozen=True)
class RawSolution:
    """One solve as arrays: objective, columns, row duals, flows and per-class totals."""

    objective: float
    #: All columns (flows then segment fills) and all row duals, as HiGHS returns them.
    x: np.ndarray
    duals: np.ndarray
    #: (n,) flow amounts; (F, A) released; (Z, A) allocated.
    flows: np.ndarray
    released: np.ndarray
    allocated: np.ndarray
    #: (F, A) worth of one more unit freed; (Z, A) worth of one more unit of room.
    front_marginal_value: np.ndarray
    zone_marginal_value: np.ndarray
    iterations: int


def build_model(
    inputs: AllocationInputs,
    *,
    highs_options: Mapping[str, Any] | None = None,
    sift: bool | None = None,
) -> AllocationModel:
    """
    Build the LP of `inputs` (sparse matrices passed to HiGHS); see `AllocationModel`.

    Parameters
    ----------
    inputs
        Model inputs from `redeploy.model.inputs.build_inputs`.
    highs_options
        HiGHS options on top of `HIGHS_OPTIONS` (e.g. ``{"threads": 1}``).
    sift
        Solve by sifting; by default from `SIFT_MIN_FLOWS` flows (see `AllocationModel`).
    """
    return AllocationModel(inputs, highs_options=highs_options, sift=sift)


def solve_allocation(inputs: AllocationInputs, *, solver: str = "highs") -> AllocationResult:
    """
    Solve the redeployment LP.

    Parameters
    ----------
    inputs
        Model inputs from `redeploy.model.inputs.build_inputs`.
    solver
        Only ``"highs"`` (through `highspy`).

    Returns
    -------
    AllocationResult
        Flows, per-front and per-zone tables with duals, the ledger, routes and totals.

    Raises
    ------
    InfeasibleAllocationError
        When the scenario's floors and caps cannot all hold.
    """
    if solver != "highs":
        msg = f"unknown solver {solver!r}; redeploy solves with 'highs'"
        raise ValueError(msg)
    return build_model(inputs).solve()


# ---------------------------------------------------------------- feasibility


def _fmt(x: float) -> str:
    """Format a number for an infeasibility message (`redeploy.errors.format_number`)."""
    return format_number(x)


def check_feasibility(inp: AllocationInputs, model: AllocationModel | None = None) -> None:
    """
    Find obvious conflicts before solving: floor above cap, floors above what is freed,
    floors above what a region can absorb.

    Raises
    ------
    InfeasibleAllocationError
        Naming the scenario file, the keys in conflict and what to change.
    """
    src = inp.scenario_source or f"scenario {inp.scenario!r}"
    military = inp.military
    problems: list[str] = []
    reach = np.zeros((len(inp.zone_ids), len(inp.assets)), dtype=bool)
    reach[inp.flow_zone, inp.flow_asset] = True
    room = np.where(reach, inp.absorb, 0.0)
    reg_idx = np.array([inp.regions.index(r) for r in inp.zone_region], dtype=int)
    region_room = np.zeros((len(inp.regions), len(inp.assets)))
    np.add.at(region_room, reg_idx, room)
    # freed capacity that has any flow into each region (per asset)
    can_reach = np.zeros((len(inp.regions), len(inp.assets)))
    if inp.n_flows:
        pairs = np.unique(
            np.column_stack([reg_idx[inp.flow_zone], inp.flow_front, inp.flow_asset]), axis=0
        )
        np.add.at(can_reach, (pairs[:, 0], pairs[:, 2]), inp.freed[pairs[:, 1], pairs[:, 2]])
    freed_asset = inp.freed.sum(axis=0)
    unit = {a: ASSET_UNITS[a] for a in inp.assets}

    def key(region: str, name: str) -> str:
        return f'regions."{region}".{name}' if " " in region else f"regions.{region}.{name}"

    for r, region in enumerate(inp.regions):
        lo, hi = inp.region_floor[r], inp.region_cap[r]
        if not np.isnan(lo) and not np.isnan(hi) and lo > hi + 1e-9:
            problems.append(
                f"`{key(region, 'floor')}` = {_fmt(lo)} kpe is above "
                f"`{key(region, 'cap')}` = {_fmt(hi)} kpe; lower the floor or "
                "raise the cap."
            )
        if not np.isnan(lo) and lo > 1e-9:
            mil_room = region_room[r, military].sum()
            mil_reach = can_reach[r, military].sum()
            if lo > mil_room + 1e-9:
                problems.append(
                    f"`{key(region, 'floor')}` = {_fmt(lo)} kpe but the zones of {region} "
                    f"that military assets may enter can absorb only {_fmt(mil_room)} kpe; "
                    f"lower `{key(region, 'floor')}` to at most {_fmt(mil_room)} or raise "
                    "absorptive capacity (`zones.<id>.absorb`, "
                    f"`{key(region, 'absorb_multiplier')}`)."
                )
            elif lo > mil_reach + 1e-9:
                problems.append(
                    f"`{key(region, 'floor')}` = {_fmt(lo)} kpe but only {_fmt(mil_reach)} "
                    f"kpe is freed at fronts that can reach {region}; lower "
                    f"`{key(region, 'floor')}` to at most {_fmt(mil_reach)} or free more "
                    "capacity (`fronts.<id>`)."
                )
        for a, asset in enumerate(inp.assets):
            lo, hi = inp.region_asset_floor[r, a], inp.region_asset_cap[r, a]
            kf, kc = key(region, f"asset_floor.{asset}"), key(region, f"asset_cap.{asset}")
            u = unit[asset]
            if not np.isnan(lo) and not np.isnan(hi) and lo > hi + 1e-9:
                problems.append(
                    f"`{kf}` = {_fmt(lo)} {u} is above `{kc}` = {_fmt(hi)} {u}; "
                    "lower the floor or raise the cap."
                )
            if not np.isnan(lo) and lo > region_room[r, a] + 1e-9:
                problems.append(
                    f"`{kf}` = {_fmt(lo)} {u} but {region} can absorb only "
                    f"{_fmt(region_room[r, a])} {u} of {asset}; lower `{kf}`."
                )
            elif not np.isnan(lo) and lo > can_reach[r, a] + 1e-9:
                problems.append(
                    f"`{kf}` = {_fmt(lo)} {u} but only {_fmt(can_reach[r, a])} "
                    f"{u} of {asset} is freed at fronts that can reach {region}; "
                    f"lower `{kf}`."
                )
    # floors of all regions together against everything freed
    total_floor = np.nansum(inp.region_floor)
    total_freed = freed_asset[military].sum()
    if total_floor > total_freed + 1e-9:
        named = ", ".join(
            f"`{key(r, 'floor')}` = {_fmt(v)}"
            for r, v in zip(inp.regions, inp.region_floor, strict=True)
            if not np.isnan(v)
        )
        problems.append(
            f"region floors add up to {_fmt(total_floor)} kpe of military "
            f"capacity but only {_fmt(total_freed)} kpe is freed at all fronts "
            f"({named}); lower the floors or free more capacity."
        )
    for a, asset in enumerate(inp.assets):
        col = inp.region_asset_floor[:, a]
        tot = np.nansum(col)
        if tot > freed_asset[a] + 1e-9:
            named = ", ".join(
                f"`{key(r, f'asset_floor.{asset}')}` = {_fmt(v)}"
                for r, v in zip(inp.regions, col, strict=True)
                if not np.isnan(v)
            )
            problems.append(
                f"region floors add up to {_fmt(tot)} {unit[asset]} of {asset} "
                f"but only {_fmt(freed_asset[a])} {unit[asset]} is freed at all "
                f"fronts ({named}); lower them."
            )
    if len(problems) == 1:
        raise InfeasibleAllocationError(f"{src}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        msg = f"{src}: {len(problems)} conflicts between floors, caps and freed capacity:\n{lines}"
        raise InfeasibleAllocationError(msg)


def _solver_infeasible_message(inp: AllocationInputs) -> str:
    src = inp.scenario_source or f"scenario {inp.scenario!r}"
    bounds = []
    for r, region in enumerate(inp.regions):
        base = f'regions."{region}"' if " " in region else f"regions.{region}"
        if not np.isnan(inp.region_floor[r]):
            bounds.append(f"`{base}.floor` = {_fmt(inp.region_floor[r])} kpe")
        if not np.isnan(inp.region_cap[r]):
            bounds.append(f"`{base}.cap` = {_fmt(inp.region_cap[r])} kpe")
        for a, asset in enumerate(inp.assets):
            for arr, name in (
                (inp.region_asset_floor, "asset_floor"),
                (inp.region_asset_cap, "asset_cap"),
            ):
                if not np.isnan(arr[r, a]):
                    bounds.append(
                        f"`{base}.{name}.{asset}` = {_fmt(arr[r, a])} {ASSET_UNITS[asset]}"
                    )
    listed = "; ".join(bounds) if bounds else "(no region floors or caps are set)"
    return (
        f"{src}: HiGHS finds no allocation that meets every region floor and cap at "
        f"once. Floors and caps involved: {listed}. Freed capacity can serve several "
        "floors only once: lower a floor or raise a cap."
    )


# ---------------------------------------------------------------- results


def _assemble(
    model: AllocationModel, x: np.ndarray, duals: np.ndarray, iterations: int
) -> AllocationResult:
    inp = model.inputs
    n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
    flows_x = np.where(x[: model.n_flow] > ZERO_TOL, x[: model.n_flow], 0.0)
    seg_y = np.clip(x[model.n_flow :], 0.0, None)
    released = np.zeros((n_f, n_a))
    np.add.at(released, (inp.flow_front, inp.flow_asset), flows_x)
    allocated = np.zeros((n_z, n_a))
    np.add.at(allocated, (inp.flow_zone, inp.flow_asset), flows_x)
    zone_value = zone_values(model, flows_x, seg_y)
    risk_unit = inp.risk_lambda * inp.risk
    risk_fa = risk_unit * released
    transit = flows_x * inp.flow_transit_cost
    front_dual = np.zeros(n_f * n_a)
    front_dual[model.supply_keys] = duals[: model.rows.n_supply]
    zone_dual = np.zeros(n_z * n_a)
    zone_dual[model.pair_keys] = duals[model.rows.room : model.rows.room + model.rows.n_pairs]

    assets = np.array(inp.assets)
    asset_rank = {a: i for i, a in enumerate(inp.assets)}
    fronts = pd.DataFrame(
        {
            "front_id": np.repeat(inp.front_ids, n_a),
            "asset": np.tile(assets, n_f),
            "baseline": inp.baseline.ravel(),
            "freed": inp.freed.ravel(),
            "released": released.ravel(),
            "risk": risk_fa.ravel(),
            "marginal_value": np.maximum(front_dual, 0.0),
        }
    )
    zones = pd.DataFrame(
        {
            "zone_id": np.repeat(inp.zone_ids, n_a),
            "region": np.repeat(inp.zone_region, n_a),
            "asset": np.tile(assets, n_z),
            "allocated": allocated.ravel(),
            "value": zone_value.ravel(),
            "marginal_value": np.maximum(zone_dual, 0.0),
        }
    )
    keep = flows_x > 0
    flows = pd.DataFrame(
        {
            "front_id": np.asarray(inp.front_ids)[inp.flow_front[keep]],
            "zone_id": np.asarray(inp.zone_ids)[inp.flow_zone[keep]],
            "asset": assets[inp.flow_asset[keep]],
            "amount": flows_x[keep],
            "distance_km": inp.flow_distance_km[keep],
            "cost": transit[keep],
        }
    )
    order_cols = ["front_id", "zone_id", "_rank"]
    flows["_rank"] = flows["asset"].map(asset_rank)
    flows = flows.sort_values(order_cols, kind="mergesort").drop(columns="_rank")
    flows = flows.reset_index(drop=True)
    sea_keep = inp.flow_sea[keep]
    ends = pd.DataFrame(
        {
            "f": inp.flow_front[keep],
            "z": inp.flow_zone[keep],
            "sea": sea_keep,
            "front_id": np.asarray(inp.front_ids)[inp.flow_front[keep]],
            "zone_id": np.asarray(inp.zone_ids)[inp.flow_zone[keep]],
            "_rank": inp.flow_asset[keep],
        }
    )
    ends = ends.sort_values(order_cols, kind="mergesort").reset_index(drop=True)
    fronts["_rank"] = fronts["asset"].map(asset_rank)
    fronts = (
        fronts.sort_values(["front_id", "_rank"], kind="mergesort")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    zones["_rank"] = zones["asset"].map(asset_rank)
    zones = (
        zones.sort_values(["zone_id", "_rank"], kind="mergesort")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )

    ledger = _ledger(inp, released)
    value_total = float(zone_value.sum())
    transit_total = float(transit.sum())
    risk_total = float(risk_fa.sum())
    objective = {
        "value": value_total,
        "transit_cost": transit_total,
        "risk": risk_total,
        "total": value_total - transit_total - risk_total,
    }
    military = inp.military
    reg_idx = np.array([inp.regions.index(r) for r in inp.zone_region], dtype=int)
    by_region_asset = np.zeros((len(inp.regions), n_a))
    np.add.at(by_region_asset, reg_idx, allocated)
    totals = {
        "by_region": {
            r: float(by_region_asset[i, military].sum()) for i, r in enumerate(inp.regions)
        },
        "by_region_engagement": {
            r: float(by_region_asset[i, ~military].sum()) for i, r in enumerate(inp.regions)
        },
        "by_asset": {a: float(allocated[:, j].sum()) for j, a in enumerate(inp.assets)},
        "freed_by_asset": {a: float(inp.freed[:, j].sum()) for j, a in enumerate(inp.assets)},
        "released_by_asset": {a: float(released[:, j].sum()) for j, a in enumerate(inp.assets)},
    }
    for i, r in enumerate(inp.regions):
        totals[f"region:{r}"] = {a: float(by_region_asset[i, j]) for j, a in enumerate(inp.assets)}
    region_duals = duals[model.rows.region : model.rows.total]
    bounds = [
        {
            "region": name,
            "asset": asset or "military",
            "floor": _finite_or_none(lo),
            "cap": _finite_or_none(hi),
            "marginal_value": float(d),
        }
        for (name, asset), lo, hi, d in zip(
            model.rows.region_rows,
            model.region_lower,
            model.region_upper,
            region_duals,
            strict=True,
        )
    ]
    meta = {
        "region_bounds": bounds,
        "risk_lambda": inp.risk_lambda,
        "horizon_year": inp.meta.get("horizon_year"),
        "reference_year": inp.meta.get("reference_year"),
        "units": inp.meta.get("units", {}),
        "n_variables": int(model.n_cols),
        "n_flow_variables": int(model.n_flow),
        "n_constraints": int(model.rows.total),
        "simplex_iterations": iterations,
        "build_seconds": model.build_seconds,
        "solve_seconds": model.solve_seconds,
        "solver": "HiGHS "
        + ".".join(
            str(v)
            for v in (
                highspy.HIGHS_VERSION_MAJOR,
                highspy.HIGHS_VERSION_MINOR,
                highspy.HIGHS_VERSION_PATCH,
            )
        ),
    }
    return AllocationResult(
        scenario=inp.scenario,
        description=inp.description,
        run_id=inp.run_id,
        status="optimal",
        objective=objective,
        flows=flows[list(FLOW_COLUMNS)],
        fronts=fronts[list(FRONT_COLUMNS)],
        zones=zones[list(ZONE_COLUMNS)],
        ledger=ledger[list(LEDGER_COLUMNS)],
        routes=_routes(inp, flows, ends),
        totals=totals,
        meta=meta,
    )


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) and x != 0.0 else (0.0 if x == 0.0 else None)


def zone_values(model: AllocationModel, flows: np.ndarray, seg_y: np.ndarray) -> np.ndarray:
    """Return the (Z, A) value realised in each zone: s_K·v·X + Σ_k (s_k − s_K)·v·y_k."""
    inp = model.inputs
    out = np.zeros((len(inp.zone_ids), len(inp.assets)))
    if not model.rows.n_pairs:
        return out
    pv = inp.value[model.pair_zone, model.pair_asset]
    inflow = np.zeros(model.rows.n_pairs)
    np.add.at(inflow, model.flow_pair, flows)
    pair_value = inp.segment_slopes[-1] * pv * inflow
    if model.n_seg:
        extra = (inp.segment_slopes[model.seg_k] - inp.segment_slopes[-1]) * pv[model.seg_pair]
        np.add.at(pair_value, model.seg_pair, extra * seg_y)
    out[model.pair_zone, model.pair_asset] = pair_value
    return out


def _ledger(inp: AllocationInputs, released: np.ndarray) -> pd.DataFrame:
    military = inp.military
    cost = inp.us_unit_cost
    extra = inp.extra_spending
    freed_value = (inp.freed * cost).sum(axis=1)
    redeployed_value = (released * cost).sum(axis=1)
    retained = (inp.baseline[:, military] - released[:, military]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        burden = np.where(extra > 0, redeployed_value / extra, 0.0)
        price = np.where((retained > 0) & (extra > 0), extra / retained, 0.0)
    eng = ~military
    ledger = pd.DataFrame(
        {
            "front_id": inp.front_ids,
            "ally_extra_spending_bn": extra,
            "us_freed_kpe": inp.freed[:, military].sum(axis=1),
            "us_freed_engagement_bn": inp.freed[:, eng].sum(axis=1),
            "us_freed_value_bn": freed_value,
            "us_redeployed_value_bn": redeployed_value,
            "double_burden_share": burden,
            "price_per_retained_kpe_bn": price,
        }
    )
    return ledger.sort_values("front_id", kind="mergesort").reset_index(drop=True)


def _routes(inp: AllocationInputs, flows: pd.DataFrame, ends: pd.DataFrame) -> gpd.GeoDataFrame:
    """One route geometry per flow: sea lanes for naval, great circles otherwise."""
    geoms: list[Any] = [None] * len(flows)
    sea_rows = np.flatnonzero(ends["sea"].to_numpy()) if len(ends) else np.zeros(0, int)
    pairs = [
        (tuple(inp.front_lonlat[ends["f"].iat[i]]), tuple(inp.zone_lonlat[ends["z"].iat[i]]))
        for i in sea_rows
    ]
    for i, path in zip(sea_rows, sea_paths(pairs), strict=True):
        geoms[i] = split_antimeridian(path)
    cache: dict[tuple[int, int], Any] = {}
    for i in range(len(flows)):
        if geoms[i] is not None:
            continue
        key = (int(ends["f"].iat[i]), int(ends["z"].iat[i]))
        if key not in cache:
            cache[key] = split_antimeridian(
                great_circle_path(tuple(inp.front_lonlat[key[0]]), tuple(inp.zone_lonlat[key[1]]))
            )
        geoms[i] = cache[key]
    return gpd.GeoDataFrame(
        {
            "front_id": flows["front_id"].to_numpy(),
            "zone_id": flows["zone_id"].to_numpy(),
            "asset": flows["asset"].to_numpy(),
            "mode": np.where(ends["sea"].to_numpy(dtype=bool), "sea", "great_circle")
            if len(ends)
            else np.zeros(0, dtype=str),
        },
        geometry=gpd.GeoSeries(geoms, crs=CRS) if geoms else gpd.GeoSeries([], crs=CRS),
        crs=CRS,
    )
