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

import highspy
import numpy as np

from redeploy.errors import InfeasibleAllocationError
from redeploy.model.assemble import ZERO_TOL, assemble_result
from redeploy.model.feasibility import check_feasibility, solver_infeasible_message
from redeploy.model.highs import HIGHS_OPTIONS, compact, pass_lp
from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import (
    AllocationResult,
)
from redeploy.model.sifting import solve_sifted

#: LPs with at least this many flows are solved by sifting (`AllocationModel.solve_raw`):
#: below it (the shipped layers have about 5,000) one solve of the whole LP is as fast.
SIFT_MIN_FLOWS = 30_000


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
        self.options = {**HIGHS_OPTIONS, **(highs_options or {})}
        self.sift = self.n_flow >= SIFT_MIN_FLOWS if sift is None else sift
        #: The constraint matrix in CSC form, built once (`reload` passes it again).
        self._csc: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: Upper bounds of the flow columns when some differ from +inf (`reload`, `close_flows`).
        self._flow_upper: np.ndarray | None = None
        #: `highs` holds a basis from an earlier solve: re-solve from it, do not sift again.
        self._has_basis = False
        for key, value in self.options.items():
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
        self.supply_keys, self.flow_supply = compact(fa, len(inp.front_ids) * n_a)
        # (zone, asset) pairs that receive flows: one room row each
        za = inp.flow_zone * n_a + inp.flow_asset
        self.pair_keys, self.flow_pair = compact(za, len(inp.zone_ids) * n_a)
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
        risk = inp.release_risk[inp.flow_front, inp.flow_asset]
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
        pass_lp(self.highs, self._costs(), col_upper, lower, upper, (start, index, value))

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
                msg = (
                    f"update: {key} must have shape {np.shape(getattr(self.inputs, key))} "
                    f"(the model's structure), got {new.shape}"
                )
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
        d = slopes[-1] * value[za] - transit_cost - inp.release_risk.ravel()[fa]
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
            check_feasibility(self.inputs)
        t0 = time.perf_counter()
        # Sift the first solve only: after `update`, re-solving the whole LP from the
        # previous optimal basis is faster (3x at 10^5 flows for a change of λ).
        sifting = self.n_cols and self.sift and not self._has_basis
        sifted = solve_sifted(self) if sifting else None
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
                    raise InfeasibleAllocationError(solver_infeasible_message(self.inputs))
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

    def solve(self) -> AllocationResult:
        """
        Solve the LP and return the allocation.

        Raises
        ------
        InfeasibleAllocationError
            When floors and caps conflict; the message names them and what to change.
        """
        raw = self.solve_raw()
        return assemble_result(self, raw.x, raw.duals, raw.iterations)


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


def solve_allocation(inputs: AllocationInputs) -> AllocationResult:
    """
    Solve the redeployment LP with HiGHS.

    Parameters
    ----------
    inputs
        Model inputs from `redeploy.model.inputs.build_inputs`.

    Returns
    -------
    AllocationResult
        Flows, per-front and per-zone tables with duals, the ledger, routes and totals.

    Raises
    ------
    InfeasibleAllocationError
        When the scenario's floors and caps cannot all hold.
    """
    return build_model(inputs).solve()
