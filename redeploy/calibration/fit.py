"""Fit multipliers on the assumption-only coefficients (CMA-ES) and report how well they do.

Each fitted parameter multiplies one or more default coefficients: the value per unit of
each class, the layer weights, the contestability base, the access penalties, the
military and engagement capacity scales, the conversion cap, each risk channel's weight,
the home reserve's value, the transit costs and the perimeter scale. The search runs on
log-multipliers x (multiplier e^x) with CMA-ES (`cma`), minimising

    loss(x) = 2 · posture misfit + 0.5 · engagement misfit + 2 · Σ pattern-check penalties
              + α · Σ x_i²

(docs/validation.md): the weighted relative misfit of the backcast zone by zone and class
by class, the same for engagement region by region, the seed paper's pattern checks on
`baseline`, and a prior that keeps each multiplier near 1 unless the data pull it away.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redeploy.calibration.evaluate import backcast, pattern_checks
from redeploy.calibration.targets import Targets
from redeploy.errors import InfeasibleAllocationError
from redeploy.model.base import ModelBase
from redeploy.scenario import VALUE_KINDS, CoefficientSet, Scenario
from redeploy.schemas import ASSETS, RISK_CHANNELS

#: Weight of the prior term α Σ x² (x the log-multipliers).
PRIOR_WEIGHT = 0.01
#: Weights of the posture misfit, the engagement misfit and the pattern-check penalties.
POSTURE_WEIGHT = 2.0
ENGAGEMENT_WEIGHT = 0.5
CHECK_WEIGHT = 2.0
#: Largest multiplier either way (e^±LOG_BOUND).
LOG_BOUND = math.log(8.0)
#: Loss of a candidate whose scenario is infeasible.
INFEASIBLE_LOSS = 100.0


@dataclass(frozen=True)
class Parameter:
    """One fitted multiplier and the coefficients (dotted keys) it multiplies."""

    name: str
    keys: tuple[str, ...]
    upper: float = LOG_BOUND
    lower: float = -LOG_BOUND
    note: str = ""


def parameters() -> tuple[Parameter, ...]:
    """The fitted multipliers (docs/validation.md lists them)."""
    out = [
        Parameter(f"value.{a}", (f"assets.{a}.value_per_unit_bn",), note=f"value per unit, {a}")
        for a in ASSETS
    ]
    out += [
        Parameter(f"weight.{k}", (f"model.layer_weights.{k}",), note=f"layer weight, {k}")
        for k in VALUE_KINDS
    ]
    out += [
        Parameter(f"fit.{a}.{k}", (f"assets.{a}.fit.{k}",), note=f"fit of {a} to {k}")
        for a in ASSETS
        for k in VALUE_KINDS
    ]
    out += [
        Parameter("contestability_base", ("model.contestability_base",)),
        Parameter("access_penalty", tuple(f"assets.{a}.access_penalty_bn" for a in ASSETS)),
        Parameter("capacity_scale", ("model.capacity_scale",)),
        Parameter("engagement_capacity_scale", ("model.engagement_capacity_scale",)),
        Parameter("conversion_cap", ("model.conversion_cap",), upper=math.log(2.0)),
        Parameter("home_value", tuple(f"assets.{a}.home_value_bn" for a in ASSETS)),
        Parameter("transit", tuple(f"assets.{a}.transit_cost_bn_per_1000km" for a in ASSETS)),
        # the homeland perimeter stays a perimeter: its decay scale within x0.5-x2
        Parameter(
            "perimeter_km", ("model.perimeter_km",), upper=math.log(2.0), lower=math.log(0.5)
        ),
        Parameter("at_sea_value_share", ("model.at_sea_value_share",), upper=math.log(3.0)),
        Parameter("segment_slope.2", ("model.segment_slopes.1",), upper=math.log(1 / 0.6)),
        Parameter("segment_slope.3", ("model.segment_slopes.2",), upper=math.log(1 / 0.3)),
    ]
    out += [
        Parameter(f"risk.{c}", (f"model.risk_weights.{c}",), note=f"risk weight, {c}")
        for c in RISK_CHANNELS
    ]
    # sites held under access arrangements host rotations, not garrisons (docs/model.md §3)
    out.append(Parameter("access_site_capacity", ("model.access_site_capacity_scale",)))
    # a newly agreed site hosts little yet (docs/model.md §3)
    out.append(Parameter("site_maturity", ("model.site_maturity_years",)))
    return tuple(out)


def _get(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def apply(defaults: CoefficientSet, params: Sequence[Parameter], x: np.ndarray) -> CoefficientSet:
    """Return `defaults` with each parameter's coefficients multiplied by e^x."""
    data = defaults.model_dump()
    for p, xi in zip(params, x, strict=True):
        for key in p.keys:
            value = float(_get(data, key)) * math.exp(float(xi))
            if ".fit." in key or key in ("model.conversion_cap", "model.at_sea_value_share"):
                value = min(value, 1.0)  # shares and fits are at most 1
            _set(data, key, value)
    slopes = data["model"]["segment_slopes"]
    for k in range(1, len(slopes)):  # slopes never increase (diminishing returns)
        slopes[k] = min(slopes[k], slopes[k - 1])
    return CoefficientSet.model_validate(data)


@dataclass
class Objective:
    """The loss of one candidate, and its parts (for reports)."""

    base: ModelBase
    defaults: CoefficientSet
    targets: Targets
    scenario: Scenario
    params: tuple[Parameter, ...]
    exclude: tuple[str, ...] = ()
    evaluations: int = 0
    history: list[float] = field(default_factory=list)

    def parts(self, x: np.ndarray) -> dict[str, float]:
        """posture, engagement, checks, prior and total loss of `x`."""
        coeffs = apply(self.defaults, self.params, x)
        prior = PRIOR_WEIGHT * float(np.sum(np.asarray(x) ** 2))
        try:
            bc = backcast(self.base, coeffs, self.targets)
            checks = pattern_checks(self.base, self.scenario, coeffs)
        except InfeasibleAllocationError:
            return {
                "posture": 0.0,
                "engagement": 0.0,
                "checks": INFEASIBLE_LOSS,
                "prior": prior,
                "total": INFEASIBLE_LOSS + prior,
            }
        posture, engagement = bc.misfit(self.exclude)
        penalty = sum(c.penalty for c in checks)
        total = (
            POSTURE_WEIGHT * posture
            + ENGAGEMENT_WEIGHT * engagement
            + CHECK_WEIGHT * penalty
            + prior
        )
        return {
            "posture": posture,
            "engagement": engagement,
            "checks": penalty,
            "prior": prior,
            "total": total,
        }

    def __call__(self, x: np.ndarray) -> float:
        self.evaluations += 1
        value = self.parts(np.asarray(x, dtype=float))["total"]
        self.history.append(value)
        return value


@dataclass(frozen=True)
class Fit:
    """The result of one CMA-ES run."""

    x: np.ndarray
    loss: dict[str, float]
    std: np.ndarray
    evaluations: int
    interrupted: bool
    exclude: tuple[str, ...]
    #: The seed the search ran with.
    seed: int = 0

    def multipliers(self) -> np.ndarray:
        """e^x of every parameter."""
        return np.asarray(np.exp(self.x), dtype=float)

    def ranges(self, params: Sequence[Parameter]) -> np.ndarray:
        """(P, 2) posterior range of each multiplier: e^(x ± 2 sd), sd the optimiser's
        final spread, within the parameter's bounds."""
        lo = np.array([p.lower for p in params])
        hi = np.array([p.upper for p in params])
        low = np.clip(self.x - 2 * self.std, lo, hi)
        high = np.clip(self.x + 2 * self.std, lo, hi)
        return np.asarray(np.exp(np.column_stack([low, high])), dtype=float)


def fit(
    objective: Objective,
    *,
    budget: int,
    seed: int,
    progress: Callable[[int, int, float], None] | None = None,
    sigma0: float = 0.8,
    stop: Callable[[], bool] | None = None,
) -> Fit:
    """
    Minimise `objective` with CMA-ES from the defaults (x = 0), seeded, within `budget`
    evaluations. Ctrl-C, or `stop` returning True (asked once per generation), stops the
    search and keeps the best so far.
    """
    import cma

    params = objective.params
    n = len(params)
    lower = [p.lower for p in params]
    upper = [p.upper for p in params]
    options = {
        "seed": int(seed) + 1,  # cma treats seed 0 as "random"
        "bounds": [lower, upper],
        "maxfevals": int(budget),
        "verbose": -9,
        "verb_log": 0,
        "verb_disp": 0,
        "tolfun": 1e-6,
    }
    es = cma.CMAEvolutionStrategy(np.zeros(n), sigma0, options)
    best_x, best = np.zeros(n), objective(np.zeros(n))
    interrupted = False
    try:
        while not es.stop():
            if stop is not None and stop():
                interrupted = True
                break
            xs = es.ask()
            losses = [objective(np.asarray(x)) for x in xs]
            es.tell(xs, losses)
            k = int(np.argmin(losses))
            if losses[k] < best:
                best, best_x = float(losses[k]), np.asarray(xs[k], dtype=float)
            if progress is not None:
                progress(objective.evaluations, budget, best)
    except KeyboardInterrupt:
        interrupted = True
    std = np.asarray(es.result.stds, dtype=float) if es.result.stds is not None else np.zeros(n)
    return Fit(
        x=best_x,
        loss=objective.parts(best_x),
        std=std,
        evaluations=objective.evaluations,
        interrupted=interrupted,
        exclude=objective.exclude,
        seed=int(seed),
    )
