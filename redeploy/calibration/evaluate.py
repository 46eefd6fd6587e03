"""Validation: how well a set of coefficients reproduces what is observed.

Two measurements (docs/validation.md):

- the **backcast**: given the observed U.S. peripheral presence as supply at home (per
  class) and the observed engagement as an engagement reserve, an empty periphery (no
  existing presence) and no floors, where does the model put it? Compared zone by zone
  (military kpe) and region by region (engagement $bn/yr) with the observation;
- the seed paper's **pattern checks** on a scenario (by default `baseline`): P1 Africa
  through engagement, P2 Southeast Asia through naval or ISR at a few access nodes, P3
  South America reached with no floor forcing it, P4 allied money that matters, P5 several
  fronts release capacity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redeploy.calibration.targets import Targets
from redeploy.errors import InfeasibleAllocationError
from redeploy.model.allocation import build_model
from redeploy.model.base import ModelBase
from redeploy.model.inputs import (
    AllocationInputs,
    access_mask,
    assemble_inputs,
    flow_structure,
    scenario_arrays,
)
from redeploy.model.parts import SolutionParts, solution_parts, us_dollars
from redeploy.scenario import CoefficientSet, Scenario, effective_coefficients, scenario_from_dict
from redeploy.schemas import ASSETS, MILITARY_ASSETS, REGIONS

#: Region groups left out one at a time by the leave-one-out validation.
REGION_GROUPS: Mapping[str, tuple[str, ...]] = {
    "Americas": ("South America", "Central America", "Caribbean"),
    "Africa": ("Africa",),
    "Southeast Asia": ("Southeast Asia",),
}
#: Weight of capacity placed beyond what is observed, against observed capacity missed.
EXCESS_WEIGHT = 0.5
#: Amounts above this count as received (kpe or $bn/yr).
RECEIVED = 0.01
#: P2: Southeast Asia's forces concentrate in at most this many zones.
MAX_ACCESS_NODES = 3
#: P4: raising allied spending by half must raise what is released by at least this
#: elasticity (relative change of released / relative change of spending).
MIN_ELASTICITY = 0.2
#: P5: at least this many fronts release capacity.
MIN_RELEASING_FRONTS = 3

_MIL = np.array([a in MILITARY_ASSETS for a in ASSETS])


@dataclass(frozen=True)
class Check:
    """One pattern check: its name, whether it passed, its figures and a penalty >= 0."""

    name: str
    passed: bool
    text: str
    figures: dict[str, float]
    penalty: float

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data."""
        return {
            "name": self.name,
            "passed": self.passed,
            "text": self.text,
            "figures": self.figures,
        }


@dataclass(frozen=True)
class Backcast:
    """The backcast: model and observed military kpe per zone and class, engagement per
    region."""

    zone_ids: tuple[str, ...]
    zone_region: tuple[str, ...]
    model: np.ndarray
    observed: np.ndarray
    weights: np.ndarray
    engagement: dict[str, tuple[float, float, float]]

    def overlap(self, regions: Sequence[str] | None = None) -> float:
        """Σ_z min(model_z, observed_z) / Σ_z observed_z over military kpe by zone."""
        sel = np.ones(len(self.zone_ids), dtype=bool)
        if regions is not None:
            sel = np.isin(np.asarray(self.zone_region), list(regions))
        m = self.model[sel][:, _MIL].sum(axis=1)
        o = self.observed[sel][:, _MIL].sum(axis=1)
        total = float(o.sum())
        return float(np.minimum(m, o).sum() / total) if total > 0 else float("nan")

    def overlap_by_region(self) -> dict[str, float]:
        """The overlap within each region (NaN where nothing is observed)."""
        return {r: self.overlap([r]) for r in REGIONS}

    def engagement_error_by_region(self) -> dict[str, float]:
        """(model − observed) / observed engagement per region."""
        return {
            r: (m - o) / o if o > 0 else float("nan") for r, (m, o, _) in self.engagement.items()
        }

    def misfit(self, exclude: Sequence[str] = ()) -> tuple[float, float]:
        """
        Weighted relative misfit of posture (zone and class) and of engagement (region),
        leaving out the regions in `exclude`.

        Posture: Σ w·max(o − m, 0) + EXCESS_WEIGHT · Σ w·max(m − o, 0), over Σ w·o: the
        observed presence the model misses counts fully, capacity it places where nothing
        is observed half (it may be rotational or planned presence the data lack).
        """
        keep = ~np.isin(np.asarray(self.zone_region), list(exclude))
        w = self.weights[keep][:, _MIL]
        m = self.model[keep][:, _MIL]
        o = self.observed[keep][:, _MIL]
        scale = max(float((w * o).sum()), 1e-9)
        missed = (w * np.maximum(o - m, 0.0)).sum()
        excess = (w * np.maximum(m - o, 0.0)).sum()
        posture = float((missed + EXCESS_WEIGHT * excess) / scale)
        eng = [(m, o, w) for r, (m, o, w) in self.engagement.items() if r not in exclude]
        num = sum(w * abs(m - o) for m, o, w in eng)
        den = max(sum(w * o for _, o, w in eng), 1e-9)
        return posture, float(num / den)

    def rows(self) -> list[dict[str, Any]]:
        """One row per zone with an observation or an allocation (military kpe)."""
        out = []
        m = self.model[:, _MIL].sum(axis=1)
        o = self.observed[:, _MIL].sum(axis=1)
        for k, zid in enumerate(self.zone_ids):
            if m[k] > 1e-6 or o[k] > 1e-6:
                out.append(
                    {
                        "kind": "zone",
                        "id": zid,
                        "region": self.zone_region[k],
                        "metric": "military_kpe",
                        "model": float(m[k]),
                        "observed": float(o[k]),
                    }
                )
        return out


def _empty_periphery(base: ModelBase) -> ModelBase:
    zones = dataclasses.replace(base.zones, existing=np.zeros_like(base.zones.existing))
    return dataclasses.replace(base, zones=zones)


def backcast_scenario(targets: Targets) -> Scenario:
    """The backcast: nothing repriced, the observed totals in reserve at home, no floors,
    evaluated in the targets' year (`Targets.year`); built once per `targets`."""
    return targets.cached("backcast_scenario", lambda: _backcast_scenario(targets))


def _backcast_scenario(targets: Targets) -> Scenario:
    supply = targets.total_by_class(ASSETS)
    eng = sum(v for v, _ in targets.engagement_by_region().values())
    reserve = {a: float(v) for a, v in zip(ASSETS, supply, strict=True) if a in MILITARY_ASSETS}
    if "engagement" in ASSETS:
        reserve["engagement"] = float(eng)
    return scenario_from_dict(
        {
            "name": "backcast",
            "description": "Backcast: the observed U.S. peripheral presence and engagement as "
            "supply at home, an empty periphery, no floors.",
            "home": {"reserve": reserve, "deploy_all": True},
            # the sites' maturity is that of the year the targets describe
            "horizon_year": targets.year(),
        },
        source="<backcast>",
    )


def full_inputs(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet) -> AllocationInputs:
    """Inputs with the flows `build_inputs` would create (no file digest: run id zeros)."""
    arrays = scenario_arrays(base, scenario, coeffs)
    mask = access_mask(base, arrays.access)
    mask &= arrays.can_release[:, None, :] & arrays.open_zone[None, :, :]
    flows = flow_structure(base, mask)
    cost = arrays.flow_costs(flows["flow_zone"], flows["flow_asset"], flows["flow_distance_km"])
    return assemble_inputs(base, scenario, arrays, flows, cost, run_id="0" * 64)


def solve_parts(inp: AllocationInputs) -> SolutionParts:
    """Solve `inp` and return what the solution is made of."""
    model = build_model(inp)
    raw = model.solve_raw()
    return solution_parts(model.inputs, model.structure, raw.x)


def backcast(base: ModelBase, coeffs: CoefficientSet, targets: Targets) -> Backcast:
    """Run the backcast with `coeffs` (the effective coefficients) and compare."""
    sc = backcast_scenario(targets)
    inp = full_inputs(_empty_periphery(base), sc, effective_coefficients(sc, coeffs))
    parts = solve_parts(inp)
    zones = base.zones
    n_z = len(zones.ids)
    model = parts.allocated[:n_z]
    eng_col = ASSETS.index("engagement")
    eng_by_region = {}
    observed_eng = targets.engagement_by_region()
    for r in REGIONS:
        m = float(model[zones.region == r, eng_col].sum())
        o, w = observed_eng.get(r, (0.0, 0.0))
        eng_by_region[r] = (m, o, w)
    return Backcast(
        zone_ids=zones.ids,
        zone_region=tuple(zones.region.tolist()),
        model=model,
        observed=targets.observed(zones.ids, ASSETS),
        weights=targets.weights(zones.ids, ASSETS),
        engagement=eng_by_region,
    )


@dataclass
class ScenarioRun:
    """One scenario's solution parts with the inputs they came from."""

    inputs: AllocationInputs
    parts: SolutionParts
    extra: dict[str, float] = field(default_factory=dict)

    def regional(self, region: str) -> tuple[np.ndarray, float]:
        """(A,) added per class in `region` and its military dollars at U.S. unit cost."""
        sel = np.asarray(self.inputs.zone_region) == region
        added = self.parts.allocated[sel].sum(axis=0)
        dollars = float(us_dollars(self.inputs, added)[_MIL].sum())
        return added, dollars

    def released(self) -> float:
        """Military kpe withdrawn from the fronts (released and converted)."""
        real = len(self.inputs.front_ids) - 1
        return float(self.parts.withdrawn[:real][:, _MIL].sum())


def run_scenario_parts(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet) -> ScenarioRun:
    """Solve `scenario` on `base` with the default coefficients `coeffs`."""
    inp = full_inputs(base, scenario, effective_coefficients(scenario, coeffs))
    return ScenarioRun(inp, solve_parts(inp))


def _without_floors(scenario: Scenario) -> Scenario:
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("regions", None)
    data.pop("uncertain", None)
    return scenario_from_dict(data, source=scenario.source)


def _more_spending(scenario: Scenario, inputs: AllocationInputs, factor: float) -> Scenario:
    """`scenario` with every front's extra effort (spending and support) times `factor`."""
    rep = inputs.meta["repricing"]
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("uncertain", None)
    fronts = data.setdefault("fronts", {})
    for k, fid in enumerate(inputs.front_ids[:-1]):
        ref_pct, new_pct = float(rep["ref_pct"][k]), float(rep["new_pct"][k])
        ref_h, new_h = float(rep["hns_ref"][k]), float(rep["hns_new"][k])
        entry = {
            key: v
            for key, v in fronts.get(fid, {}).items()
            if key
            not in (
                "defense_pct_gdp",
                "target_pct_gdp",
                "target_year",
                "hns_usd_bn",
                "hns_change_pct",
            )
        }
        entry["defense_pct_gdp"] = min(25.0, max(0.0, ref_pct + factor * (new_pct - ref_pct)))
        entry["hns_usd_bn"] = max(0.0, ref_h + factor * (new_h - ref_h))
        fronts[fid] = entry
    return scenario_from_dict(data, source=scenario.source)


def pattern_checks(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet) -> list[Check]:
    """
    Evaluate the seed paper's pattern P1-P5 on `scenario` (kpe turned into dollars at the
    model's U.S. unit costs wherever classes are compared).

    Raises
    ------
    InfeasibleAllocationError
        When the scenario is infeasible.
    """
    run = run_scenario_parts(base, scenario, coeffs)
    checks = [_p1(run), _p2(run), _p3(base, scenario, coeffs)]
    checks.append(_p4(base, scenario, coeffs, run))
    checks.append(_p5(run))
    return checks


def _p1(run: ScenarioRun) -> Check:
    added, force = run.regional("Africa")
    eng = float(added[ASSETS.index("engagement")])
    passed = eng >= force - 1e-9
    penalty = max(0.0, force - eng) / max(force + eng, 1e-9)
    return Check(
        "P1",
        passed,
        f"Africa: engagement ${eng:.3f}bn/yr against forces ${force:.3f}bn/yr",
        {"engagement_bn": eng, "force_bn": force},
        penalty,
    )


def _p2(run: ScenarioRun) -> Check:
    """Naval or ISR capacity reaches Southeast Asia, and its forces based ashore sit at a
    few access nodes (zones with basing access); naval presence at sea off other coasts
    is no access node and is reported apart."""
    added, _ = run.regional("Southeast Asia")
    naval_isr = float(added[ASSETS.index("naval")] + added[ASSETS.index("isr")])
    inp = run.inputs
    sel = np.asarray(inp.zone_region) == "Southeast Asia"
    basing = np.asarray(inp.access) != "none"
    forces = run.parts.allocated[:, _MIL].sum(axis=1)
    nodes = int(((forces > RECEIVED) & sel & basing).sum())
    at_sea = int(((forces > RECEIVED) & sel & ~basing).sum())
    passed = naval_isr > RECEIVED and nodes <= MAX_ACCESS_NODES
    penalty = (0.0 if naval_isr > RECEIVED else 1.0) + max(0, nodes - MAX_ACCESS_NODES) / 3
    return Check(
        "P2",
        passed,
        f"Southeast Asia: {naval_isr:.3f} kpe naval and ISR; forces at "
        f"{nodes} access nodes (at most {MAX_ACCESS_NODES}), naval at sea off "
        f"{at_sea} more coasts",
        {"naval_isr_kpe": naval_isr, "access_nodes": float(nodes), "at_sea_zones": float(at_sea)},
        penalty,
    )


def _p3(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet) -> Check:
    run = run_scenario_parts(base, _without_floors(scenario), coeffs)
    added, force = run.regional("South America")
    eng = float(added[ASSETS.index("engagement")])
    kpe = float(added[_MIL].sum())
    passed = kpe > RECEIVED or eng > RECEIVED
    return Check(
        "P3",
        passed,
        f"South America with every floor removed: {kpe:.3f} kpe and ${eng:.3f}bn/yr of engagement",
        {"military_kpe": kpe, "engagement_bn": eng, "force_bn": force},
        0.0 if passed else 1.0,
    )


def _p4(base: ModelBase, scenario: Scenario, coeffs: CoefficientSet, run: ScenarioRun) -> Check:
    more = run_scenario_parts(base, _more_spending(scenario, run.inputs, 1.5), coeffs)
    r0, r1 = run.released(), more.released()
    elasticity = (r1 / r0 - 1.0) / 0.5 if r0 > 1e-9 else (float("inf") if r1 > 0 else 0.0)
    passed = r1 >= r0 - 1e-6 and elasticity >= MIN_ELASTICITY
    penalty = max(0.0, MIN_ELASTICITY - min(elasticity, MIN_ELASTICITY)) / MIN_ELASTICITY
    return Check(
        "P4",
        passed,
        f"allied extra effort x1.5: released {r0:.2f} -> {r1:.2f} kpe "
        f"(elasticity {elasticity:.2f}, at least {MIN_ELASTICITY})",
        {
            "released_kpe": r0,
            "released_kpe_x1_5": r1,
            "elasticity": elasticity if np.isfinite(elasticity) else 99.0,
        },
        penalty,
    )


def _p5(run: ScenarioRun) -> Check:
    real = len(run.inputs.front_ids) - 1
    per_front = run.parts.withdrawn[:real][:, _MIL].sum(axis=1)
    n = int((per_front > RECEIVED).sum())
    passed = n >= MIN_RELEASING_FRONTS
    penalty = max(0, MIN_RELEASING_FRONTS - n) / MIN_RELEASING_FRONTS
    return Check(
        "P5",
        passed,
        f"{n} fronts release capacity (at least {MIN_RELEASING_FRONTS})",
        {"fronts_releasing": float(n)},
        penalty,
    )


@dataclass(frozen=True)
class Validation:
    """A backcast and the pattern checks of one set of coefficients."""

    backcast: Backcast
    checks: list[Check]
    scenario: str

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: overlap (in sample), by region, engagement errors, checks."""
        return {
            "scenario": self.scenario,
            "overlap": self.backcast.overlap(),
            "overlap_by_region": self.backcast.overlap_by_region(),
            "engagement_error_by_region": self.backcast.engagement_error_by_region(),
            "engagement_by_region": {
                r: {"model_bn": m, "observed_bn": o}
                for r, (m, o, _) in self.backcast.engagement.items()
            },
            "checks": [c.as_dict() for c in self.checks],
        }


def validate_coefficients(
    base: ModelBase, coeffs: CoefficientSet, targets: Targets, scenario: Scenario
) -> Validation:
    """Backcast and pattern checks of `coeffs` (`redeploy validate`)."""
    try:
        checks = pattern_checks(base, scenario, coeffs)
    except InfeasibleAllocationError as err:
        checks = [Check("feasible", False, str(err), {}, 10.0)]
    return Validation(backcast(base, coeffs, targets), checks, scenario.name)
