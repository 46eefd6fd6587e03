"""What a solution is made of: flows, withdrawals, conversions, value and each risk channel.

`solution_parts` reads every quantity the tables, the summary and the sweep report from
the columns of one solve, so they all count the same way (docs/model.md §5-7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from redeploy.model.inputs import AllocationInputs
from redeploy.model.lp import LPStructure
from redeploy.scenario import RISK_CHANNELS

#: Flows below this amount are reported as zero.
ZERO_TOL = 1e-9
_CRED = RISK_CHANNELS.index("credibility")
_FRAG = RISK_CHANNELS.index("fragmentation")
_CA = RISK_CHANNELS.index("counter_alignment")


@dataclass(frozen=True)
class SolutionParts:
    """
    One solution, counted once.

    Attributes
    ----------
    flows
        (n,) amount of each flow (kpe or $bn/yr).
    released, to_home, converted
        (F, A) capacity leaving each front as forces (to zones and home), the part sent
        home, and military capacity converted into engagement (kpe).
    allocated
        (Z, A) capacity added to each zone (the home row: what fronts sent home).
    zone_value
        (Z, A) value realised by what was added ($bn-eq/yr); the home row: value of the
        units kept at home (fronts' returns and the reserve, less what home sent abroad).
    transit
        (n,) transit cost of each flow.
    risk
        (C, F, A) each risk channel's cost ($bn-eq/yr), attributed to the front and class
        it comes from (counter-alignment: the front that sent the capacity).
    risk_raw
        (C, F, A) the same before each channel's weight (λ · λ_c = 1).
    """

    flows: np.ndarray
    released: np.ndarray
    to_home: np.ndarray
    converted: np.ndarray
    allocated: np.ndarray
    zone_value: np.ndarray
    transit: np.ndarray
    risk: np.ndarray
    risk_raw: np.ndarray

    @property
    def withdrawn(self) -> np.ndarray:
        """(F, A) capacity withdrawn from each front: released plus converted."""
        return np.asarray(self.released + self.converted, dtype=float)

    def objective(self) -> dict[str, float]:
        """Value, transit cost, every risk channel, their sum, and the total ($bn-eq/yr)."""
        value = float(self.zone_value.sum())
        transit = float(self.transit.sum())
        parts = {f"risk_{c}": float(self.risk[k].sum()) for k, c in enumerate(RISK_CHANNELS)}
        risk = float(self.risk.sum())
        return {
            "value": value,
            "transit_cost": transit,
            **parts,
            "risk": risk,
            "total": value - transit - risk,
        }


def _segment_value(
    inp: AllocationInputs, st: LPStructure, flows: np.ndarray, fills: np.ndarray
) -> np.ndarray:
    """(Z, A) value realised on the segments of each real pair: v_last·X + Σ (v_k − v_last)·y."""
    n_z, n_a = len(inp.zone_ids), len(inp.assets)
    out = np.zeros((n_z, n_a))
    if not st.pair_keys.size:
        return out
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    real = st.flow_pair >= 0
    inflow = np.bincount(st.flow_pair[real], weights=flows[real], minlength=st.pair_keys.size)
    last = inp.seg_value[pz, pa, -1]
    pair_value = last * inflow
    extra = inp.seg_value[pz, pa][st.seg_pair, st.seg_k] - last[st.seg_pair]
    pair_value += np.bincount(st.seg_pair, weights=extra * fills, minlength=st.pair_keys.size)
    out[pz, pa] = pair_value
    return out


def solution_parts(inp: AllocationInputs, st: LPStructure, x: np.ndarray) -> SolutionParts:
    """Read every quantity of a solution from its columns `x` (`redeploy.model.lp` order)."""
    n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
    off = st.offsets
    x = np.clip(x, 0.0, None) if x.size else np.zeros(st.n_cols)
    flows = np.where(x[: st.n_flow] > ZERO_TOL, x[: st.n_flow], 0.0)
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    released = np.zeros((n_f, n_a))
    np.add.at(released, (f, a), flows)
    home = z == inp.home_zone
    to_home = np.zeros((n_f, n_a))
    np.add.at(to_home, (f[home], a[home]), flows[home])
    allocated = np.zeros((n_z, n_a))
    np.add.at(allocated, (z, a), flows)
    conv = x[off["conv"] : off["tier"]]
    converted = np.zeros((n_f, n_a))
    np.add.at(converted, (st.conv_front, st.conv_asset), np.where(conv > ZERO_TOL, conv, 0.0))
    zone_value = _segment_value(inp, st, flows, x[off["seg"] : off["conv"]])
    sent_from_home = released[inp.home_front]
    kept = inp.freed[inp.home_front] + allocated[inp.home_zone] - sent_from_home
    zone_value[inp.home_zone] = inp.value[inp.home_zone] * np.maximum(kept, 0.0)
    mil = inp.military
    withdrawn = np.where(mil[None, :], released + converted, 0.0)
    withdrawn[inp.home_front] = 0.0
    raw = inp.risk.per_unit * withdrawn[None, :, :]
    tiers = x[off["tier"] : off["cred"]]
    extra = inp.risk.floor_rate - inp.risk.per_unit[_FRAG]
    np.add.at(
        raw[_FRAG], (st.tier_front, st.tier_asset), extra[st.tier_front, st.tier_asset] * tiers
    )
    cred = inp.risk.cred_rate[st.cred_front, st.cred_k] * x[off["cred"] : off["unit"]]
    per_front = np.bincount(st.cred_front, weights=cred, minlength=n_f)
    weighted = withdrawn * inp.risk.asset_weight[None, :]
    total = weighted.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total[:, None] > 0, weighted / total[:, None], 0.0)
    raw[_CRED] = per_front[:, None] * share
    np.add.at(raw[_CA], (f, a), inp.risk.destination[z, a] * flows)
    raw += fixed_by_class(inp)
    return SolutionParts(
        flows=flows,
        released=released,
        to_home=to_home,
        converted=converted,
        allocated=allocated,
        zone_value=zone_value,
        transit=flows * inp.flow_transit_cost,
        risk=inp.channel_weights[:, None, None] * raw,
        risk_raw=raw,
    )


def us_dollars(inp: AllocationInputs, amounts: np.ndarray) -> np.ndarray:
    """
    Return (..., A) `amounts` of each class in $bn/yr: military kpe at the model's U.S.
    unit costs (`AllocationInputs.us_unit_cost`), engagement (already $bn/yr) as it is.

    The one conversion of forces into dollars: the pattern checks (P1) compare classes
    with it and the zones table's ``added_bn`` is written with it.
    """
    mil = inp.military
    return np.where(mil, np.asarray(amounts, dtype=float) * inp.us_unit_cost, amounts)


def fixed_by_class(inp: AllocationInputs) -> np.ndarray:
    """(C, F, A) the fixed channels' cost of each front, spread over its military classes
    in proportion to its U.S. baseline (evenly when it has none)."""
    mil = inp.military
    base = np.where(mil[None, :], inp.baseline, 0.0)
    total = base.sum(axis=1, keepdims=True)
    even = np.where(mil[None, :], 1.0 / max(int(mil.sum()), 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, base / total, even)
    return inp.risk.fixed[:, :, None] * share[None, :, :]
