"""The benchmarks' own models stay today's: the synthetic instance is valid inputs, and the
PuLP comparison (`benchmarks/bench_pulp.py`) writes the same LP as the model (it once fell
behind the model and measured an earlier LP without anyone noticing)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from redeploy.model.allocation import AllocationModel
from redeploy.workflows.run import run_scenario

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _benchmark(name: str):
    """Import `benchmarks/NAME.py` (its own imports of its siblings included)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_model():
    return _benchmark("bench_model")


@pytest.fixture(scope="module")
def bench_pulp():
    pytest.importorskip("pulp")
    return _benchmark("bench_pulp")


def _ours(inp) -> float:
    return AllocationModel(inp).solve_raw().objective


def test_synthetic_instance_is_todays_inputs(bench_model):
    inp = bench_model.synthetic_inputs(*bench_model.SHAPES[1_000])
    assert inp.n_flows == 1_000
    assert np.isfinite(_ours(inp))


@pytest.mark.parametrize("scenario", ["baseline", "all-together", "deploy-all", "synthetic"])
def test_pulp_writes_the_models_lp(bench_model, bench_pulp, scenario):
    if scenario == "synthetic":
        inp = bench_model.synthetic_inputs(*bench_model.SHAPES[1_000])
    elif scenario == "deploy-all":
        # A home reserve worth more at home than abroad, which `[home] deploy_all` sends
        # out all the same: the home rows' lower bounds hold (the optimum falls).
        inp = bench_model.synthetic_inputs(*bench_model.SHAPES[1_000])
        freed, value = inp.freed.copy(), inp.value.copy()
        freed[-1], value[-1] = 2.0, 0.25
        kept = dataclasses.replace(inp, freed=freed, value=value)
        inp = dataclasses.replace(kept, home_deploy_all=True)
        assert _ours(inp) < _ours(kept) - 0.1
    else:
        inp = run_scenario(scenario, out_dir=None).inputs
    run = bench_pulp.solve_pulp(inp)
    assert run.status == "Optimal"
    assert run.objective == pytest.approx(_ours(inp), rel=1e-9, abs=1e-12)


def test_pulp_refuses_whole_units(bench_model, bench_pulp):
    inp = dataclasses.replace(bench_model.synthetic_inputs(4, 50), units=True)
    with pytest.raises(ValueError, match="whole-unit"):
        bench_pulp.build_pulp(inp)
