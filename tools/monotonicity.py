"""Measure how often more allied spending lowers what leaves the fronts, on random instances.

    python tools/monotonicity.py [--instances 600] [--seed 11]

Each instance is a small random layer set (2-3 fronts, 3-5 zones, the property tests'
generator in tests/test_allocation.py) with random spending, risk weight and conversion cap,
solved at its spending and at its spending plus 0.1-3 points of GDP on every front. It
counts the instances where the second solve withdraws less military capacity from the fronts
(sent to zones or home, or converted), in kpe and in dollars at U.S. unit cost, and where
the value net of the variable costs falls (never, by LP theory). docs/model.md §4 quotes the
figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redeploy.model.allocation import solve_allocation  # noqa: E402
from redeploy.model.inputs import build_inputs  # noqa: E402
from redeploy.scenario import effective_coefficients, scenario_from_dict  # noqa: E402
from redeploy.schemas import ASSETS, MILITARY_ASSETS  # noqa: E402
from tests.test_allocation import _random_layers  # noqa: E402


class _Draws:
    """Feeds `_random_layers` its seed and sizes (it draws them from hypothesis data)."""

    def __init__(self, values: list[int]) -> None:
        self.values = values

    def draw(self, _strategy: object, label: str | None = None) -> int:
        return self.values.pop(0)


def _withdrawn(result, cost: dict[str, float]) -> tuple[float, float, float]:
    f = result.fronts
    f = f[(f["front_id"] != "us-home") & f["asset"].isin(MILITARY_ASSETS)]
    out = f["released"] + f["converted"]
    obj = result.objective
    net = obj["total"] + obj["risk_backlash"] + obj["risk_trade"]
    return float(out.sum()), float((out * f["asset"].map(cost)).sum()), float(net)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=600)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    falls = {"kpe": 0, "dollars": 0, "net value": 0}
    for _ in range(args.instances):
        sizes = [int(rng.integers(2**31)), int(rng.integers(2, 4)), int(rng.integers(3, 6))]
        layers = _random_layers(_Draws(sizes))
        pct = {f: float(rng.uniform(0, 5)) for f in layers["fronts"]["id"]}
        more = float(rng.uniform(0.1, 3))
        model = {"risk_lambda": float(rng.uniform(0, 3)), "conversion_cap": rng.uniform(0, 0.5)}
        figures = []
        for extra in (0.0, more):
            sc = scenario_from_dict(
                {
                    "description": "random",
                    "fronts": {f: {"defense_pct_gdp": v + extra} for f, v in pct.items()},
                    "model": {k: float(v) for k, v in model.items()},
                },
                default_name="random",
            )
            coeffs = effective_coefficients(sc)
            cost = {a: float(getattr(coeffs.assets, a).us_unit_cost_bn) for a in ASSETS}
            figures.append(_withdrawn(solve_allocation(build_inputs(layers, sc)), cost))
        (k0, d0, n0), (k1, d1, n1) = figures
        falls["kpe"] += k1 < k0 - 1e-6
        falls["dollars"] += d1 < d0 - 1e-6
        falls["net value"] += n1 < n0 - 1e-6
    print(f"{args.instances} instances, seed {args.seed}: more allied spending lowered")
    for what, n in falls.items():
        print(f"  {what:>9}: {n} ({100 * n / args.instances:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
