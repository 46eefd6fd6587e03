"""The FAF paper's risk channels, each a priced term of the objective.

Withdrawing a unit of a military class from a front (sending it to a zone, home, or
converting it into engagement) costs, per kpe and before each channel's weight λ_c:

- credibility (convex): on the share of the front's U.S. military presence withdrawn,
  `r_cred · threat/5 · slope_k` on segment k (`credibility_shares`, `credibility_slopes`);
- fragmentation: `r_frag · integration_f · integration_a · (1 + n · nuclear_f)`, times
  `fragmentation_floor_multiplier` for the part of a floor that leaves;
- opportunism: `r_opp · w_a · (threat_f/5 + κ · max over other theaters of threat/5)`;
- autonomy: `r_aut · w_a · (1 − arms_share_f)` (leverage lost where the ally buys
  outside U.S. standards);
- proliferation: `r_prolif · w_a · latency_f · threat_f/5`;

sending a unit into zone z costs counter-alignment `r_ca · competitor_z · visibility_a`;
and the pressure itself costs, whatever the allocation, backlash `r_bl · (ΔS_f − ΔS^e_f)`
(the announced effort the ally is not expected to deliver, $bn) and trade `r_trade ·
trade_share_f · ΔS_f` (retaliation exposure to the demanded effort). `w_a` is the class's
risk weight; every term of a front is multiplied by its scenario `risk_multiplier`. No
per-unit rate grows with what allies pay, so more allied spending only frees more: the
pressure's own risks are fixed terms. docs/model.md §4 maps each term to the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from redeploy.model.repricing import MILITARY, FrontData
from redeploy.scenario import RISK_CHANNELS, CoefficientSet
from redeploy.schemas import ASSETS

#: Channels priced per unit withdrawn from a front (the others are credibility, convex
#: in the share withdrawn, and counter-alignment, priced at the destination).
PER_UNIT_CHANNELS: tuple[str, ...] = (
    "fragmentation",
    "opportunism",
    "autonomy",
    "proliferation",
)
#: Channels that price the pressure itself: a fixed cost per front, whatever moves.
FIXED_CHANNELS: tuple[str, ...] = ("backlash", "trade")


@dataclass(frozen=True)
class RiskTerms:
    """
    The risk channels of one scenario, before their weights.

    Attributes
    ----------
    per_unit
        (C, F, A) cost of withdrawing one unit ($bn-eq/yr per kpe); zero for credibility,
        counter-alignment and the fixed channels, and for engagement.
    fixed
        (C, F) cost of the pressure on each front whatever moves ($bn-eq/yr): backlash and
        trade.
    cred_length, cred_rate
        (F, K) credibility segments: length (weighted kpe) and cost per weighted kpe.
    floor_start, floor_room, floor_rate
        (F, A) withdrawal above which a floor starts to leave, how much of it may leave
        (floor − hard floor) and the fragmentation cost per kpe of it.
    destination
        (Z, A) counter-alignment cost of sending one unit into the zone.
    asset_weight
        (A,) the classes' risk weights (credibility counts withdrawal in weighted kpe).
    """

    per_unit: np.ndarray
    fixed: np.ndarray
    cred_length: np.ndarray
    cred_rate: np.ndarray
    floor_start: np.ndarray
    floor_room: np.ndarray
    floor_rate: np.ndarray
    destination: np.ndarray
    asset_weight: np.ndarray

    def release_cost(self, weights: np.ndarray) -> np.ndarray:
        """(F, A) cost of withdrawing one unit at channel `weights` (C,): Σ_c w_c · per_unit_c."""
        return np.tensordot(weights, self.per_unit, axes=1)

    def with_home(self) -> RiskTerms:
        """Return the terms with a last front row and zone row for the home pool (no risk)."""

        def row(a: np.ndarray, axis: int = 0) -> np.ndarray:
            shape = list(a.shape)
            shape[axis] = 1
            return np.concatenate([a, np.zeros(shape, dtype=a.dtype)], axis=axis)

        return RiskTerms(
            per_unit=row(self.per_unit, axis=1),
            fixed=row(self.fixed, axis=1),
            cred_length=row(self.cred_length),
            cred_rate=row(self.cred_rate),
            floor_start=row(self.floor_start),
            floor_room=row(self.floor_room),
            floor_rate=row(self.floor_rate),
            destination=row(self.destination),
            asset_weight=self.asset_weight,
        )


def channel_weights(coeffs: CoefficientSet) -> np.ndarray:
    """(C,) the weight λ_c of every channel (`model.risk_weights`), before risk_lambda."""
    table = coeffs.model.risk_weights
    return np.array([float(getattr(table, c)) for c in RISK_CHANNELS])


def _opportunism(fronts: FrontData, threat: np.ndarray, coupling: float) -> np.ndarray:
    """(F,) threat/5 + κ · highest threat/5 among the other theaters' fronts."""
    out = threat / 5.0
    theaters = fronts.theater
    others = np.array([threat[theaters != t].max(initial=0.0) for t in theaters], dtype=float)
    return out + coupling * others / 5.0


def risk_terms(
    fronts: FrontData,
    rep: dict[str, np.ndarray],
    competitor: np.ndarray,
    coeffs: CoefficientSet,
) -> RiskTerms:
    """
    Return every risk channel of a scenario.

    Parameters
    ----------
    fronts
        The fronts as arrays (theater, latency, arms and trade shares, integration).
    rep
        The repricing arrays (`redeploy.model.repricing.reprice_fronts`).
    competitor
        (Z,) competitor influence of every zone (after the scenario's overrides).
    coeffs
        The effective coefficients.
    """
    m = coeffs.model
    rates = {c: float(getattr(m.risk_rates, c)) for c in RISK_CHANNELS}
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    w = np.array([per[a].risk_weight if MILITARY[j] else 0.0 for j, a in enumerate(ASSETS)])
    integ = np.array([per[a].integration if MILITARY[j] else 0.0 for j, a in enumerate(ASSETS)])
    vis = np.array([per[a].visibility for a in ASSETS])
    threat, mult = rep["threat"], rep["risk_multiplier"]
    n_f = len(fronts.ids)
    per_unit = np.zeros((len(RISK_CHANNELS), n_f, len(ASSETS)))

    def put(channel: str, front_factor: np.ndarray, asset_factor: np.ndarray) -> None:
        per_unit[RISK_CHANNELS.index(channel)] = (
            rates[channel] * (front_factor * mult)[:, None] * asset_factor[None, :]
        )

    nuclear = 1.0 + float(m.nuclear_sharing_factor or 0.0) * fronts.nuclear_sharing
    put("fragmentation", fronts.integration * nuclear, integ)
    put("opportunism", _opportunism(fronts, threat, float(m.opportunism_coupling or 0.0)), w)
    put("autonomy", 1.0 - fronts.arms_share, w)
    put("proliferation", fronts.latency * threat / 5.0, w)
    fixed = np.zeros((len(RISK_CHANNELS), n_f))
    announced = np.maximum(rep["extra_spending"], 0.0)
    shortfall = announced - np.maximum(rep["expected_spending"], 0.0)
    fixed[RISK_CHANNELS.index("backlash")] = rates["backlash"] * shortfall * mult
    fixed[RISK_CHANNELS.index("trade")] = rates["trade"] * fronts.trade_share * announced * mult

    shares = np.asarray(m.credibility_shares, dtype=float)
    slopes = np.asarray(m.credibility_slopes, dtype=float)
    presence = (rep["baseline"] * w[None, :]).sum(axis=1)
    cred_length = presence[:, None] * shares[None, :]
    cred_rate = rates["credibility"] * (threat / 5.0 * mult)[:, None] * slopes[None, :]

    floor_start = np.maximum(rep["baseline"] - rep["floor"], 0.0)
    floor_room = np.maximum(rep["floor"] - rep["hard_floor"], 0.0)
    frag = per_unit[RISK_CHANNELS.index("fragmentation")]
    floor_rate = float(m.fragmentation_floor_multiplier or 1.0) * frag
    destination = rates["counter_alignment"] * competitor[:, None] * vis[None, :]
    return RiskTerms(
        per_unit=per_unit,
        fixed=fixed,
        cred_length=cred_length,
        cred_rate=cred_rate,
        floor_start=floor_start,
        floor_room=floor_room,
        floor_rate=floor_rate,
        destination=destination,
        asset_weight=w,
    )
