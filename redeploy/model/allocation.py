"""Solve the redeployment LP (or, in whole-unit mode, MILP) with HiGHS.

The problem's columns, rows, costs and bounds are those of `redeploy.model.lp`
(docs/model.md §5 writes it out). `AllocationModel` holds it in a `highspy.Highs`
instance: `update` changes parameters and the next `solve` starts from the previous basis,
`reload` passes a new sample's LP on the same structure (for sweeps). Large LPs are solved
by sifting (`redeploy.model.sifting`). In whole-unit mode HiGHS solves the MILP, then the
LP with every integer column fixed at its optimum, whose duals are reported.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import Any

import highspy
import numpy as np

from redeploy.errors import InfeasibleAllocationError
from redeploy.model import lp
from redeploy.model.assemble import ZERO_TOL, assemble_result
from redeploy.model.feasibility import check_feasibility, solver_infeasible_message
from redeploy.model.highs import HIGHS_OPTIONS, new_highs, pass_lp
from redeploy.model.inputs import AllocationInputs
from redeploy.model.result import AllocationResult
from redeploy.model.sifting import solve_sifted
from redeploy.model.solution import RawSolution as RawSolution

log = logging.getLogger(__name__)

#: LPs with at least this many flows are solved by sifting (`AllocationModel.solve_raw`):
#: below it (the shipped layers have a few thousand) one solve of the whole LP is as fast.
SIFT_MIN_FLOWS = 30_000
#: Relative MIP gap of whole-unit solves (HiGHS's default is 1e-4).
MIP_GAP = 1e-6


class AllocationModel:
    """
    The LP of one set of inputs, held in a `highspy.Highs` instance.

    Build once with `build_model`, then `solve`; `update` changes parameters (arrays of
    `AllocationInputs`) and the next `solve` starts from the previous basis.

    Parameters
    ----------
    inputs
        Model inputs (`redeploy.model.inputs.build_inputs`).
    highs_options
        HiGHS options on top of `HIGHS_OPTIONS`.
    sift
        Solve by sifting (`solve_raw`); by default when the LP has at least
        `SIFT_MIN_FLOWS` flows. False keeps every solve in `highs`, whose solution and
        column duals then describe the last solve (sweeps rely on that).
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
        self.structure = lp.build_structure(inputs)
        self.highs = new_highs()
        self.options = {**HIGHS_OPTIONS, **(highs_options or {})}
        # whole units (MILP) and a reserve that must all leave need every flow at once
        whole = inputs.units or inputs.home_deploy_all
        self.sift = self.n_flow >= SIFT_MIN_FLOWS and not whole if sift is None else sift
        self._csc = self._matrix()
        #: Upper bounds of the flow columns when some differ from +inf (`reload`).
        self._flow_upper: np.ndarray | None = None
        #: `highs` holds a basis from an earlier solve: re-solve from it, do not sift.
        self._has_basis = False
        for key, value in self.options.items():
            self.highs.setOptionValue(key, value)
        if inputs.units:
            self.highs.setOptionValue("mip_rel_gap", MIP_GAP)
        if self.n_cols:
            self._pass_model()
        self.build_seconds = time.perf_counter() - t0
        self.solve_seconds = 0.0

    # ---------------------------------------------------------------- structure

    @property
    def n_flow(self) -> int:
        """Number of flow columns (the first columns)."""
        return self.structure.n_flow

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return self.structure.n_cols

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.structure.n_rows

    def _matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        m = lp.matrix(self.inputs, self.structure)
        return (
            m.indptr.astype(np.int32),
            m.indices.astype(np.int32),
            m.data.astype(np.float64),
        )

    def _costs(self) -> np.ndarray:
        return lp.costs(self.inputs, self.structure)

    def _col_upper(self) -> np.ndarray:
        upper = lp.col_upper(self.inputs, self.structure)
        if self._flow_upper is not None:
            upper[: self.n_flow] = self._flow_upper
        return upper

    def _row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return lp.row_bounds(self.inputs, self.structure)

    def _integrality(self) -> np.ndarray:
        kinds = np.zeros(self.n_cols, dtype=np.int32)
        if self.inputs.units:
            off = self.structure.offsets
            kinds[off["unit"] : off["end"]] = 1  # kInteger (sites are 0/1 integers)
        return kinds

    def _offset(self) -> float:
        """The objective's constant: the home reserve's value, less the pressure's fixed
        risks (backlash and trade)."""
        inp = self.inputs
        reserve = float((inp.freed[inp.home_front] * inp.value[inp.home_zone]).sum())
        return reserve - float(inp.channel_weights @ inp.risk.fixed.sum(axis=1))

    def _pass_model(self) -> None:
        """Hand the problem to HiGHS as numpy arrays (no per-element conversion)."""
        lower, upper = self._row_bounds()
        self._has_basis = False
        pass_lp(
            self.highs,
            self._costs(),
            self._col_upper(),
            lower,
            upper,
            self._csc,
            integrality=self._integrality(),
            offset=self._offset(),
        )

    # ---------------------------------------------------------------- updates

    def update(self, **changes: Any) -> None:
        """
        Change arrays of the inputs in place; the next `solve` starts from the previous basis.

        Pass any `AllocationInputs` field of the same shape (``freed``, ``value``,
        ``seg_length``, ``seg_value``, ``risk``, ``risk_lambda``, ``risk_weights``,
        ``conversion_cap``, ``region_floor`` ...; ``transit_cost`` sets
        ``flow_transit_cost``). The structure (which flows exist) stays fixed.
        """
        if not self._set_inputs(changes) or not self.n_cols:
            return
        cols = np.arange(self.n_cols, dtype=np.int32)
        self.highs.changeColsCost(self.n_cols, cols, self._costs())
        self.highs.changeColsBounds(self.n_cols, cols, np.zeros(self.n_cols), self._col_upper())
        lower, upper = self._row_bounds()
        rows = np.arange(self.n_rows, dtype=np.int32)
        # highspy 1.16's stub omits changeRowsBounds; the binding has it (_core._Highs)
        self.highs.changeRowsBounds(self.n_rows, rows, lower, upper)  # type: ignore[attr-defined]
        self.highs.changeObjectiveOffset(self._offset())

    def close_flows(self, closed: np.ndarray) -> None:
        """Fix at zero the flows `closed` (an (n,) mask) marks, until the next `reload`."""
        upper = np.full(self.n_flow, np.inf) if self._flow_upper is None else self._flow_upper
        upper = upper.copy()
        upper[np.asarray(closed, dtype=bool)] = 0.0
        self._flow_upper = upper
        cols = np.flatnonzero(closed).astype(np.int32)
        if cols.size:
            self.highs.changeColsBounds(cols.size, cols, np.zeros(cols.size), np.zeros(cols.size))

    def set_basis(self, basis: highspy.HighsBasis) -> None:
        """Start the next solve from `basis` (whole LP; no sifting then)."""
        self._has_basis = self.highs.setBasis(basis) == highspy.HighsStatus.kOk

    def reload(self, *, flow_upper: np.ndarray | None = None, **changes: Any) -> None:
        """
        Change inputs like `update`, then pass the whole problem to HiGHS again.

        Faster than `update` when most costs change, and it discards every piece of solver
        state: the next solve depends only on the inputs and on the basis set after this
        call (without one it starts from scratch).

        Parameters
        ----------
        flow_upper
            (n,) upper bounds of the flow columns (default +inf); 0 fixes a flow at zero.
        """
        self._set_inputs(changes)
        if flow_upper is not None and np.shape(flow_upper) != (self.n_flow,):
            msg = f"reload: flow_upper must have shape ({self.n_flow},), got {np.shape(flow_upper)}"
            raise ValueError(msg)
        self._flow_upper = None if flow_upper is None else np.asarray(flow_upper, dtype=float)
        if self.n_cols:
            self._pass_model()

    def _set_inputs(self, changes: Mapping[str, Any]) -> bool:
        """Check the shapes and replace `inputs`; return True when something changed."""
        if not changes:
            return False
        fields = {f.name for f in dataclasses.fields(AllocationInputs)}
        new: dict[str, Any] = {}
        for key, value in changes.items():
            name = "flow_transit_cost" if key == "transit_cost" else key
            if name not in fields:
                msg = f"update: {key!r} is not an input of the model"
                raise ValueError(msg)
            old = getattr(self.inputs, name)
            if isinstance(old, np.ndarray):
                value = np.asarray(value, dtype=old.dtype)
                if value.shape != old.shape:
                    msg = (
                        f"update: {key} must have shape {old.shape} (the model's structure), "
                        f"got {value.shape}"
                    )
                    raise ValueError(msg)
            new[name] = value
        self.inputs = dataclasses.replace(self.inputs, **new)
        return True

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
        sifted = None
        if self.n_cols and self.sift and not self._has_basis:
            sifted = self._sift()
        if sifted is not None:
            x, duals, iterations, objective = sifted
        elif self.n_cols:
            x, duals, iterations, objective = self._run()
        else:
            x, duals, iterations, objective = np.zeros(0), np.zeros(self.n_rows), 0, 0.0
        self.solve_seconds = time.perf_counter() - t0
        log.debug(
            "HiGHS: %d columns, %d rows, %d iterations%s, %.3f s",
            self.n_cols,
            self.n_rows,
            iterations,
            " (sifting)" if sifted is not None else "",
            self.solve_seconds,
        )
        return self._raw(x, duals, iterations, objective)

    def _sift(self) -> tuple[np.ndarray, np.ndarray, int, float] | None:
        """Solve by sifting (`redeploy.model.sifting`); hand its optimal basis to `highs`."""
        sifted = solve_sifted(
            self.inputs,
            self.structure,
            self._csc,
            cost=self._costs(),
            col_upper=self._col_upper(),
            row_bounds=self._row_bounds(),
            offset=self._offset(),
            options=self.options,
        )
        if sifted is None:
            return None
        x, duals, iterations, objective, basis = sifted
        # left-out flows nonbasic at zero: a re-solve after `update` starts from the optimum
        self._has_basis = self.highs.setBasis(basis) == highspy.HighsStatus.kOk
        return x, duals, iterations, objective

    def _run(self) -> tuple[np.ndarray, np.ndarray, int, float]:
        """Solve the problem held in `highs` (a MILP: then the LP at its integers)."""
        self._check_status()
        iterations = int(self.highs.getInfoValue("simplex_iteration_count")[1])
        if self.inputs.units:
            x = np.asarray(self.highs.getSolution().col_value, dtype=float)
            iterations += self._fix_integers(x)
        self._has_basis = True
        sol = self.highs.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        duals = np.asarray(sol.row_dual, dtype=float)
        objective = float(self.highs.getInfoValue("objective_function_value")[1])
        return x, duals, iterations, objective

    def _check_status(self) -> None:
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            raise InfeasibleAllocationError(solver_infeasible_message(self.inputs))
        msg = f"HiGHS stopped with status {self.highs.modelStatusToString(status)!r}"
        raise InfeasibleAllocationError(msg)

    def _fix_integers(self, x: np.ndarray) -> int:
        """Fix every integer column at its MILP value and solve the LP (for the duals)."""
        off = self.structure.offsets
        cols = np.arange(off["unit"], off["end"], dtype=np.int32)
        fixed = np.round(x[cols])
        self.highs.changeColsIntegrality(cols.size, cols, np.zeros(cols.size, dtype=np.uint8))
        self.highs.changeColsBounds(cols.size, cols, fixed, fixed)
        self._check_status()
        return int(self.highs.getInfoValue("simplex_iteration_count")[1])

    def _raw(
        self, x: np.ndarray, duals: np.ndarray, iterations: int, objective: float
    ) -> RawSolution:
        inp, st = self.inputs, self.structure
        n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
        flows = np.where(x[: self.n_flow] > ZERO_TOL, x[: self.n_flow], 0.0)
        released = np.zeros((n_f, n_a))
        np.add.at(released, (inp.flow_front, inp.flow_asset), flows)
        allocated = np.zeros((n_z, n_a))
        np.add.at(allocated, (inp.flow_zone, inp.flow_asset), flows)
        off = st.offsets
        conv = np.clip(x[off["conv"] : off["tier"]], 0.0, None) if x.size else np.zeros(0)
        converted = np.zeros((n_f, n_a))
        np.add.at(converted, (st.conv_front, st.conv_asset), np.where(conv > ZERO_TOL, conv, 0))
        rows = st.row_offsets
        front_dual = np.zeros(n_f * n_a)
        if duals.size:
            front_dual[st.supply_keys] = duals[rows["supply"] : rows["room"]]
        zone_dual = np.zeros(n_z * n_a)
        if duals.size and st.n_seg:
            zone_dual[st.pair_keys] = self._room_worth(duals[rows["room"] : rows["cap"]])
        return RawSolution(
            objective=objective,
            x=x,
            duals=duals,
            flows=flows,
            released=released,
            converted=converted,
            allocated=allocated,
            front_marginal_value=np.maximum(front_dual, 0.0).reshape(n_f, n_a),
            zone_marginal_value=np.maximum(zone_dual, 0.0).reshape(n_z, n_a),
            iterations=iterations,
        )

    def _room_worth(self, room_duals: np.ndarray) -> np.ndarray:
        """
        (P,) worth of one more unit of each pair's basing capacity: every basing segment
        grows by its share, worth its reduced cost c_k + π_room where the segment is full.
        """
        st = self.structure
        costs = self._costs()
        off = st.offsets["seg"]
        reduced = costs[off : off + st.n_seg] + room_duals[st.seg_pair]
        shares = self.inputs.segment_shares
        k = st.seg_k
        weight = np.where(k < shares.size, shares[np.minimum(k, shares.size - 1)], 0.0)
        return np.bincount(
            st.seg_pair, weights=weight * np.maximum(reduced, 0.0), minlength=st.pair_keys.size
        )

    def solve(self) -> AllocationResult:
        """
        Solve the problem and return the allocation.

        Raises
        ------
        InfeasibleAllocationError
            When floors and caps conflict; the message names them and what to change.
        """
        raw = self.solve_raw()
        return assemble_result(self, raw)


def build_model(
    inputs: AllocationInputs,
    *,
    highs_options: Mapping[str, Any] | None = None,
    sift: bool | None = None,
) -> AllocationModel:
    """
    Build the problem of `inputs` (sparse matrices passed to HiGHS); see `AllocationModel`.

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
    Solve the redeployment problem with HiGHS.

    Parameters
    ----------
    inputs
        Model inputs from `redeploy.model.inputs.build_inputs`.

    Returns
    -------
    AllocationResult
        Flows, per-front and per-zone tables with duals, the ledger, the allies' side,
        routes and totals.

    Raises
    ------
    InfeasibleAllocationError
        When the scenario's floors and caps cannot all hold.
    """
    return build_model(inputs).solve()
