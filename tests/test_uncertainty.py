"""Uncertainty that explains: log-uniform draws, calibrated ranges in the shipped uncertain
scenario, SALib designs and indices, PRIM, --when conditions, sensitivity and discover end to
end (files, determinism over workers, the box in words), sweep designs, robustness drivers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from redeploy.analysis.outcomes import outcomes, parse_condition, sensitivity_outputs
from redeploy.analysis.prim import box_table, prim
from redeploy.analysis.sensitivity import check_samples, design, indices
from redeploy.cli import app
from redeploy.errors import ScenarioError
from redeploy.render.uncertainty import box_words, parameter_label
from redeploy.scenario import load_coefficients, load_scenario
from redeploy.scenario.coefficients import UNCERTAIN_WIDEN, calibrated_uncertain_lines
from redeploy.scenario.distributions import parse_distribution
from redeploy.workflows.sweep import read_sweep, run_sweep
from redeploy.workflows.uncertainty import run_discover, run_sensitivity

TINY = """\
name = "tiny-sens"
description = "Tiny scenario for the sensitivity and discovery tests"
[fronts.korea]
defense_pct_gdp = 3.0
[fronts.poland]
defense_pct_gdp = 4.5
[uncertain]
"fronts.korea.defense_pct_gdp" = {dist = "uniform", low = 2.6, high = 3.6}
"model.risk_lambda" = {dist = "loguniform", low = 0.25, high = 4}
"assets.ground.value_per_unit_bn" = {dist = "loguniform", low = 0.2, high = 0.8}
"model.decay_km" = {dist = "triangular", low = 200, mode = 500, high = 1500}
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny-sens") / "tiny-sens.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


# ---------------------------------------------------------------- distributions, scenario


def test_loguniform_is_uniform_in_the_logarithm():
    dist = parse_distribution({"dist": "loguniform", "low": 0.5, "high": 2.0})
    assert dist.central() == pytest.approx(1.0)
    np.testing.assert_allclose(dist.ppf(np.array([0.0, 0.5, 0.75])), [0.5, 1.0, 2**0.5])
    for table, needle in (
        ({"dist": "loguniform", "low": 0.0, "high": 2.0}, "low > 0"),
        ({"dist": "loguniform", "low": 3.0, "high": 2.0}, "low <= high"),
    ):
        with pytest.raises(ValueError, match=needle):
            parse_distribution(table)


def test_baseline_uncertain_samples_the_calibrated_coefficients_around_their_values():
    sc = load_scenario("baseline-uncertain")
    coeffs = load_coefficients().model_dump()
    lines = calibrated_uncertain_lines()
    assert len(lines) >= 40 and UNCERTAIN_WIDEN > 1
    for line in lines:
        key = json.loads(line.split(" = ", 1)[0])
        assert key in sc.uncertain, key
        table = sc.uncertain[key]
        value = coeffs
        for part in key.split("."):
            value = value[part]
        if table["dist"] == "loguniform":  # centred: the geometric midpoint is the value
            assert (table["low"] * table["high"]) ** 0.5 == pytest.approx(value, rel=1e-8)
        else:
            assert (table["low"] + table["high"]) / 2 == pytest.approx(value, rel=1e-8)
        assert table["low"] < value < table["high"] or table["high"] == pytest.approx(value)
    # allied delivery is uncertain too
    assert "model.backlash_beta" in sc.uncertain


# ---------------------------------------------------------------- SALib wrapper


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_a_model_driven_by_one_parameter_gets_all_the_index(method):
    names = ["a", "b", "c", "d"]
    rows = design(method, names, 64 if method == "sobol" else 32, seed=3)
    y = pd.DataFrame({"out": np.sin(3 * rows[:, 1]) + rows[:, 1] ** 2})
    table = indices(method, names, rows, y, seed=3)
    key = "ST" if method == "sobol" else "mu_star"
    by = table.set_index("parameter")[key]
    assert by.idxmax() == "b"
    others = by.drop("b")
    if method == "sobol":
        assert by["b"] == pytest.approx(1.0, abs=0.1)
        assert (others.abs() < 0.05).all()
        s1 = table.set_index("parameter")
        # first-order indices sum to at most 1 within their confidence intervals
        assert (s1["S1"] - s1["S1_conf"]).sum() <= 1.0
    else:
        assert (others == 0).all()


@pytest.mark.parametrize("method", ["sobol", "morris"])
@pytest.mark.parametrize("seed", [0, 5])
def test_confidence_intervals_depend_on_the_seed_only(method, seed):
    """The bootstrap behind the intervals is seeded, seed 0 included (SALib reads 0 as no
    seed): numpy's global generator in any state gives the same table."""
    names = ["a", "b", "c"]
    rows = design(method, names, 32, seed=seed)
    y = pd.DataFrame({"out": rows[:, 0] + 0.5 * rows[:, 1] * rows[:, 2]})
    tables = []
    for state in (1, 2):
        np.random.seed(state)
        tables.append(indices(method, names, rows, y, seed=seed))
    pd.testing.assert_frame_equal(tables[0], tables[1])


def test_a_flat_output_has_no_driver():
    rows = design("morris", ["a", "b"], 8, seed=1)
    table = indices("morris", ["a", "b"], rows, pd.DataFrame({"out": np.ones(len(rows))}), 1)
    assert (table["mu_star"] == 0).all()


@pytest.mark.parametrize(
    ("method", "samples", "needle"),
    [("sobol", 100, r"power of 2 .*; use 64 or 128"), ("fast", 64, "use one of sobol, morris")],
)
def test_bad_designs_are_refused(method, samples, needle):
    with pytest.raises(ScenarioError, match=needle):
        check_samples(method, samples)


# ---------------------------------------------------------------- PRIM


def test_prim_recovers_a_known_box():
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(0, 1, (2000, 5)), columns=list("abcde"))
    y = ((x["a"] > 0.6) & (x["c"] < 0.3)).to_numpy()
    y = np.where(rng.uniform(0, 1, 2000) < 0.05, ~y, y)  # 5 % noise
    result = prim(x, y)
    table = box_table(result).set_index("parameter")
    assert list(table.index) == ["a", "c"]  # the noise parameters are not restricted
    assert table.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert table.loc["c", "high"] == pytest.approx(0.3, abs=0.05)
    assert result.box.density > 0.9 and result.box.coverage > 0.6
    frame = result.trajectory_frame()
    assert frame["coverage"].iloc[0] == 1.0 and frame["density"].iloc[0] == pytest.approx(y.mean())


def test_prim_with_nothing_to_find_says_so():
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    cond = parse_condition("total.released_kpe > 1", ["total.released_kpe"])
    result = prim(x, np.ones(50, dtype=bool))
    assert result.chosen == 0 and result.notes
    assert "holds in every one of the 50 samples" in box_words(result, cond)


# ---------------------------------------------------------------- outcomes and conditions


def test_outcomes_by_name_and_conditions():
    table = pd.DataFrame(
        {
            "status": ["optimal", "optimal", "infeasible"],
            "region:South America:military_bn": [0.0, 0.5, np.nan],
            "region:South America:engagement_bn": [1.0, 0.0, np.nan],
            "objective:value": [3.0, 4.0, np.nan],
        }
    )
    frame = outcomes(table)
    np.testing.assert_allclose(frame["South America.total_bn"].iloc[:2], [1.0, 0.5])
    cond = parse_condition("South America.military_bn > 0", list(frame.columns))
    assert cond.holds(frame).tolist() == [False, True, False]
    names = list(frame.columns)
    with pytest.raises(ScenarioError, match=r"Did you mean 'South America\.total_bn'"):
        parse_condition("South Amrica.total_bn > 0", names)
    with pytest.raises(ScenarioError, match="expected '<outcome> <op> <number>'"):
        parse_condition("South America.total_bn", names)
    with pytest.raises(ScenarioError, match="'lots' is not a number"):
        parse_condition("objective.value > lots", names)


def test_parameter_labels_read_as_words():
    assert parameter_label("assets.naval.value_per_unit_bn") == "value per unit, naval"
    assert parameter_label("assets.air.fit.chokepoints") == "fit of air to chokepoints"
    assert parameter_label("model.risk_weights.credibility") == "risk weight: credibility"
    assert parameter_label("fronts.korea.threat_level") == "korea: threat level"
    assert parameter_label("regions.Africa.value_multiplier") == "Africa: value multiplier"


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def sensitivities(tiny, layers_dir, tmp_path_factory):
    """The tiny scenario's Morris run on one worker (threads) and on two."""
    out = {}
    for workers in (1, 2):
        folder = tmp_path_factory.mktemp(f"sens-{workers}")
        out[workers] = run_sensitivity(
            tiny,
            method="morris",
            samples=6,
            seed=2,
            workers=workers,
            processes=False,
            progress=False,
            layers_dir=layers_dir,
            out_dir=folder,
        )
    return out


def test_sensitivity_writes_its_files_and_is_the_same_on_any_worker_count(sensitivities):
    one, two = sensitivities[1], sensitivities[2]
    assert sorted(one.files) == ["csv", "html", "png"]
    for key in ("csv", "png", "html"):
        assert one.files[key].read_bytes() == two.files[key].read_bytes(), key
    table = pd.read_csv(one.files["csv"])
    assert list(table.columns) == ["output", "parameter", "mu_star", "mu_star_conf", "sigma"]
    assert set(table["output"]) == set(sensitivity_outputs(one.plan.inputs.regions))
    assert set(table["parameter"]) == set(one.plan.paths)
    assert one.evaluations == 6 * (len(one.plan.paths) + 1)
    page = one.files["html"].read_text(encoding="utf-8")
    assert "Top drivers of each outcome" in page and "data:image/png;base64," in page


def test_discover_writes_the_box_in_words(tiny, layers_dir, tmp_path):
    output = run_discover(
        tiny,
        when="objective.risk > 0.001",
        samples=64,
        seed=1,
        workers=1,
        processes=False,
        progress=False,
        layers_dir=layers_dir,
        out_dir=tmp_path,
    )
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "tiny-sens-discover.csv",
        "tiny-sens-discover.html",
        "tiny-sens-discover.png",
    ]
    csv = pd.read_csv(output.files["csv"])
    assert list(csv.columns) == ["box", "parameter", "low", "high", "coverage", "density"]
    page = output.files["html"].read_text(encoding="utf-8")
    assert "objective.risk &gt; 0.001" in page  # escaped
    assert output.words.startswith("objective.risk > 0.001 holds in")
    assert output.words.replace(">", "&gt;") in page


def test_discover_checks_its_condition_before_solving(runner, tmp_path):
    result = runner.invoke(
        app, ["discover", "--when", "Africa.militry_bn > 1", "-n", "16", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "Did you mean 'Africa.military_bn'" in result.output
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith(".")]


def test_sensitivity_without_uncertain_table_is_refused(runner, tmp_path):
    result = runner.invoke(app, ["sensitivity", "-s", "baseline", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "has no [uncertain] table" in result.output


def test_sweep_designs_are_seeded_and_spread(tiny, layers_dir, tmp_path):
    tables = {}
    for method in ("latin-hypercube", "random"):
        out = run_sweep(
            tiny,
            samples=20,
            seed=4,
            workers=1,
            processes=False,
            method=method,
            progress=False,
            write_map=False,
            layers_dir=layers_dir,
            out_dir=tmp_path / method,
        )
        tables[method], meta = read_sweep(out.files["parquet"])
        assert meta["method"] == method
    lhs = tables["latin-hypercube"]["param:model.risk_lambda"].to_numpy()
    # a Latin hypercube puts one sample in each twentieth of the distribution
    u = np.log(lhs / 0.25) / np.log(4 / 0.25)
    assert sorted(np.floor(u * 20).astype(int).tolist()) == list(range(20))
    assert not np.allclose(lhs, tables["random"]["param:model.risk_lambda"].to_numpy())
