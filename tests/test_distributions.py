"""Distributions in scenarios: validation messages, central values, sampling, paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from redeploy.cli import app
from redeploy.errors import ScenarioError
from redeploy.scenario import (
    Uniform,
    apply_values,
    load_scenario,
    parse_distribution,
    path_key,
    resolve_parameter,
    sample_design,
    sample_parameters,
    scenario_from_dict,
    scenario_json_schema,
    split_path,
    uniforms,
)


def write(tmp_path: Path, uncertain: str, name: str = "unc.toml", extra: str = "") -> Path:
    path = tmp_path / name
    path.write_text(f'description = "test"\n{extra}\n[uncertain]\n{uncertain}\n', encoding="utf-8")
    return path


# ---------------------------------------------------------------- distributions


def test_central_values():
    assert parse_distribution({"dist": "uniform", "low": 2, "high": 4}).central() == 3.0
    tri = {"dist": "triangular", "low": 1, "mode": 1.5, "high": 4}
    assert parse_distribution(tri).central() == 1.5
    tn = {"dist": "truncnormal", "mean": 1, "sd": 0.3, "low": 0.2, "high": 3}
    assert parse_distribution(tn).central() == 1.0
    ch = parse_distribution({"dist": "choice", "values": [4, 5, 3], "weights": [1, 3, 3]})
    assert ch.central() == 5.0  # the most likely value, the first one on ties
    assert ch.params["weights"] == pytest.approx([1 / 7, 3 / 7, 3 / 7])
    assert parse_distribution({"dist": "choice", "values": [2, 1]}).central() == 2.0


@pytest.mark.parametrize(
    "table",
    [
        {"dist": "uniform", "low": 2, "high": 4},
        {"dist": "triangular", "low": 1, "mode": 3.5, "high": 4},
        {"dist": "truncnormal", "mean": 1, "sd": 2, "low": 0.5, "high": 1.2},
        {"dist": "choice", "values": [1, 2, 7], "weights": [0.2, 0.5, 0.3]},
    ],
)
def test_quantiles_stay_in_support_and_increase(table):
    d = parse_distribution(table)
    u = np.linspace(0, 1 - 1e-12, 2001)
    x = d.ppf(u)
    lo, hi = d.support
    assert x.min() >= lo and x.max() <= hi
    assert np.all(np.diff(x) >= 0)


def test_sample_moments():
    rng = np.random.default_rng(0)
    u = rng.random(200_000)
    tri = parse_distribution({"dist": "triangular", "low": 0, "mode": 1, "high": 4})
    assert tri.ppf(u).mean() == pytest.approx(5 / 3, abs=0.01)
    tn = parse_distribution({"dist": "truncnormal", "mean": 0, "sd": 1, "low": -1, "high": 1})
    # mean 0 by symmetry, variance of N(0,1) truncated to [-1, 1] is 0.2911
    assert tn.ppf(u).mean() == pytest.approx(0, abs=0.01)
    assert tn.ppf(u).var() == pytest.approx(0.2911, abs=0.005)
    ch = parse_distribution({"dist": "choice", "values": [4, 5], "weights": [1, 3]})
    assert (ch.ppf(u) == 5).mean() == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ({"dist": "uniform", "low": 3, "high": 2}, "low <= high"),
        ({"dist": "gaussian", "low": 1, "high": 2}, "dist is one of 'uniform'"),
        ({"low": 1, "high": 2}, "no 'dist' key"),
        ({"dist": "uniform", "low": 1}, "missing high"),
        ({"dist": "uniform", "low": 1, "high": 2, "mode": 1}, "unknown key(s) 'mode'"),
        ({"dist": "triangular", "low": 1, "mode": 3, "high": 2}, "low <= mode <= high"),
        ({"dist": "truncnormal", "mean": 1, "sd": 0, "low": 0, "high": 2}, "sd > 0"),
        ({"dist": "truncnormal", "mean": 3, "sd": 1, "low": 0, "high": 2}, "low <= mean"),
        ({"dist": "choice", "values": []}, "non-empty list"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "2 numbers >= 0"),
        ({"dist": "choice", "values": [1, 2], "weights": [-1, 2]}, "2 numbers >= 0"),
        ({"dist": "uniform", "low": "a", "high": 2}, "finite number"),
        (3.0, "give a distribution table"),
    ],
)
def test_bad_distributions(table, needle):
    with pytest.raises(ValueError, match=None) as info:
        parse_distribution(table)
    assert needle in str(info.value)


def test_integer_keys_take_integer_choices():
    with pytest.raises(ValueError, match="takes integers"):
        parse_distribution({"dist": "uniform", "low": 1, "high": 2}, integer=True)
    with pytest.raises(ValueError, match="must be integers"):
        parse_distribution({"dist": "choice", "values": [1.5, 2]}, integer=True)
    d = parse_distribution({"dist": "choice", "values": [4.0, 5]}, integer=True)
    assert d.params["values"] == [4, 5]


# ---------------------------------------------------------------- paths


def test_split_path():
    assert split_path("fronts.korea.defense_pct_gdp") == ["fronts", "korea", "defense_pct_gdp"]
    assert split_path('regions."Southeast Asia".floor') == ["regions", "Southeast Asia", "floor"]
    with pytest.raises(ValueError, match="cannot read"):
        split_path('regions."Southeast Asia"x.floor')


def test_resolve_parameter():
    p = resolve_parameter("fronts.korea.defense_pct_gdp")
    assert p.keys == ("fronts", "korea", "defense_pct_gdp") and not p.integer
    assert p.allowed() == "a number >= 0 and <= 25"
    assert resolve_parameter("fronts.korea.threat_level").integer
    assert resolve_parameter("regions.southeast_asia.floor").keys == (
        "regions",
        "Southeast Asia",
        "floor",
    )
    assert resolve_parameter("zones.ago.absorb.naval").keys[-1] == "naval"
    assert resolve_parameter("model.layer_weights.minerals").bounds == ((">=", 0.0), ("<=", 100.0))
    for bad, needle in [
        ("fronts.korea.nope", "not a key of fronts.korea; allowed there: defense_pct_gdp"),
        ("fronts.korea", "names a table"),
        ("model.split_shared_hosts", "true/false switch"),
        ("zones.ago.access", "text value"),
        ("model.segment_shares", "list"),
        ("reference_year", "not a key of the scenario"),
        ("fronts.Korea.threat_level", "is not an id"),
        ("model.decay_km.x", "is a number, it has no key"),
    ]:
        with pytest.raises(ValueError, match=None) as info:
            resolve_parameter(bad)
        assert needle in str(info.value), (bad, str(info.value))


# ---------------------------------------------------------------- scenarios


def test_scenario_gets_central_values(tmp_path):
    path = write(
        tmp_path,
        '"fronts.korea.defense_pct_gdp" = {dist = "uniform", low = 2.6, high = 3.4}\n'
        '"fronts.germany_rear_hub.defense_pct_gdp" = '
        '{dist = "triangular", low = 2, mode = 2.5, high = 3}\n'
        '"regions.\\"Southeast Asia\\".value_multiplier" = '
        '{dist = "truncnormal", mean = 1.2, sd = 0.2, low = 0.5, high = 1.5}\n'
        '"fronts.korea.threat_level" = {dist = "choice", values = [4, 5], weights = [3, 1]}\n',
        extra='extends = "baseline"',
    )
    sc = load_scenario(path)
    assert sc.fronts["korea"].defense_pct_gdp == pytest.approx(3.0)
    assert sc.fronts["korea"].threat_level == 4
    assert sc.fronts["korea"].hns_change_pct == 24.6  # from baseline, untouched
    # a level replaces the base's target (one way to state spending)
    assert sc.fronts["germany_rear_hub"].defense_pct_gdp == 2.5
    assert sc.fronts["germany_rear_hub"].target_pct_gdp is None
    assert sc.region("Southeast Asia").value_multiplier == 1.2
    assert list(sc.uncertain) == sorted(sc.uncertain)


def test_baseline_uncertain_centres_on_baseline():
    base = load_scenario("baseline")
    unc = load_scenario("baseline-uncertain")
    assert len(unc.uncertain) >= 8
    assert unc.fronts["korea"].hns_change_pct == base.fronts["korea"].hns_change_pct
    assert unc.fronts["taiwan"].defense_pct_gdp == base.fronts["taiwan"].defense_pct_gdp
    assert unc.fronts["germany_rear_hub"].target_pct_gdp == 3.5
    assert unc.fronts["germany_rear_hub"].target_year == 2035
    assert base.uncertain is None


@pytest.mark.parametrize(
    ("line", "needles"),
    [
        (
            '"fronts.korea.defense_pct_gdp" = {dist = "uniform", low = 3.5, high = 2.6}',
            ["fronts.korea.defense_pct_gdp", "low <= high", "low = 3.5"],
        ),
        (
            '"fronts.korea.defense_pct_gdp" = {dist = "lognormal", low = 1, high = 2}',
            ["fronts.korea.defense_pct_gdp", "unknown distribution", "'truncnormal'"],
        ),
        (
            '"fronts.korea.defence_pct_gdp" = {dist = "uniform", low = 1, high = 2}',
            ["fronts.korea.defence_pct_gdp", "allowed there: defense_pct_gdp"],
        ),
        (
            '"model.conversion_cap" = {dist = "uniform", low = 0.5, high = 1.5}',
            ["model.conversion_cap", "outside the key's range", "<= 1"],
        ),
        (
            '"zones.ago.access" = {dist = "choice", values = [1, 2]}',
            ["zones.ago.access", "not a number"],
        ),
    ],
)
def test_bad_uncertain_entry_names_file_and_key(tmp_path, line, needles):
    path = write(tmp_path, line)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert str(path) in text and "uncertain" in text
    for needle in needles:
        assert needle in text, (needle, text)


def test_all_problems_are_reported_together(tmp_path):
    path = write(
        tmp_path,
        '"model.decay_km" = {dist = "uniform", low = 900, high = 300}\n'
        '"model.risk_lambda" = {dist = "nope"}\n',
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "model.decay_km" in str(info.value) and "model.risk_lambda" in str(info.value)


def test_same_key_twice_is_refused():
    data = {
        "name": "x",
        "description": "x",
        "uncertain": {
            "regions.southeast_asia.floor": {"dist": "uniform", "low": 0, "high": 1},
            'regions."Southeast Asia".floor': {"dist": "uniform", "low": 0, "high": 2},
        },
    }
    with pytest.raises(ScenarioError, match="names the same key"):
        scenario_from_dict(data, source="s.toml")


def test_cli_exits_2_on_bad_distribution(tmp_path, runner):
    path = write(tmp_path, '"model.decay_km" = {dist = "uniform", low = 900, high = 300}')
    for args in (["sweep", "--samples", "5"], ["frontier"], ["run"]):
        result = runner.invoke(app, [*args, "--scenario", str(path), "--out", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert str(path) in result.output and "model.decay_km" in result.output
        assert "low <= high" in result.output


def test_json_schema_describes_distributions():
    schema = scenario_json_schema()
    text = str(schema["properties"]["uncertain"])
    for kind in ("uniform", "triangular", "truncnormal", "choice"):
        assert kind in text


def test_apply_values_drops_the_other_way_of_stating_spending():
    data = {"fronts": {"x": {"target_pct_gdp": 3.5, "target_year": 2035, "hns_usd_bn": 2}}}
    out = apply_values(data, {("fronts", "x", "defense_pct_gdp"): 3.0})
    assert out["fronts"]["x"] == {"hns_usd_bn": 2, "defense_pct_gdp": 3.0}
    out = apply_values(data, {("fronts", "x", "target_pct_gdp"): 3.0})
    assert out["fronts"]["x"]["target_year"] == 2035
    out = apply_values(data, {("fronts", "x", "hns_change_pct"): 10.0})
    assert "hns_usd_bn" not in out["fronts"]["x"]
    assert data["fronts"]["x"]["hns_usd_bn"] == 2  # the input is not changed


# ---------------------------------------------------------------- sampling


def test_sample_i_depends_only_on_seed_index_and_path():
    all_ = uniforms(7, range(50), "model.decay_km")
    assert uniforms(7, [31], "model.decay_km")[0] == all_[31]
    assert uniforms(7, range(40, 50), "model.decay_km").tolist() == all_[40:].tolist()
    assert not np.array_equal(uniforms(8, range(50), "model.decay_km"), all_)
    assert not np.array_equal(uniforms(7, range(50), "model.risk_lambda"), all_)
    assert (all_ >= 0).all() and (all_ < 1).all()


@pytest.mark.parametrize("seed", [0, 7, 2**33 + 1, 2**140 + 9])
def test_uniforms_are_numpys_seed_sequence_numbers(seed):
    """The array computation gives exactly SeedSequence's numbers (so sweeps drawn before it
    are reproduced), for small and large indices and seeds of several 32-bit words."""
    rng = np.random.default_rng(seed % 2**32)
    indices = [*range(30), *rng.integers(0, 2**32, 60).tolist(), 2**32 - 1]
    for path in ("model.decay_km", "fronts.japan.delivery"):
        key = path_key(path)
        expected = [
            float(
                np.random.SeedSequence(seed, spawn_key=(i, key)).generate_state(1, np.uint64)[0]
                >> np.uint64(11)
            )
            * 2.0**-53
            for i in indices
        ]
        assert uniforms(seed, indices, path).tolist() == expected
        # an index beyond 32 bits takes numpy's own path, with the same numbers
        assert uniforms(seed, [*indices[:3], 2**40], path).tolist()[:3] == expected[:3]


def test_adding_a_parameter_leaves_the_others_unchanged():
    a = resolve_parameter("model.decay_km")
    b = resolve_parameter("fronts.korea.threat_level")
    da = Uniform(dist="uniform", low=300.0, high=900.0)
    db = parse_distribution({"dist": "choice", "values": [4, 5]}, integer=True)
    one = sample_parameters({"model.decay_km": (a, da)}, 3, range(20))
    two = sample_parameters(
        {"model.decay_km": (a, da), "fronts.korea.threat_level": (b, db)}, 3, range(20)
    )
    assert np.array_equal(one["model.decay_km"], two["model.decay_km"])
    assert two["fronts.korea.threat_level"].dtype.kind == "i"
    assert set(two["fronts.korea.threat_level"]) <= {4, 5}


def test_extending_an_uncertain_scenario(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text(
        'extends = "baseline-uncertain"\ndescription = "child"\n'
        "[fronts.korea]\nhns_usd_bn = 2.0\n"  # fixes Korea's support another way
        "[model]\nrisk_lambda = 1.5\n"  # fixes an uncertain coefficient
        "[uncertain]\n"
        '"model.decay_km" = {dist = "choice", values = [400, 600]}\n',  # a new kind
        encoding="utf-8",
    )
    sc = load_scenario(path)
    assert sc.fronts["korea"].hns_usd_bn == 2.0 and sc.fronts["korea"].hns_change_pct is None
    assert sc.model.risk_lambda == 1.5
    assert "fronts.korea.hns_change_pct" not in sc.uncertain
    assert "model.risk_lambda" not in sc.uncertain
    assert sc.uncertain["model.decay_km"] == {
        "dist": "choice",
        "values": [400.0, 600.0],
        "weights": [0.5, 0.5],
    }
    assert sc.model.decay_km == 400.0  # the first of two equally likely values
    assert "fronts.taiwan.defense_pct_gdp" in sc.uncertain  # the rest is inherited


# ---------------------------------------------------------------- designs


PATHS = ("model.decay_km", "model.risk_lambda", "fronts.korea.threat_level")


def test_random_design_is_the_per_path_uniforms():
    design = sample_design(PATHS, 7, range(30))
    for path in PATHS:
        assert design[path].tolist() == uniforms(7, range(30), path).tolist()


def test_latin_hypercube_puts_one_sample_in_each_stratum():
    design = sample_design(PATHS, 3, range(40), method="latin-hypercube")
    for path in PATHS:
        strata = np.floor(design[path] * 40).astype(int)
        assert sorted(strata) == list(range(40))
    again = sample_design(reversed(PATHS), 3, range(40), method="latin-hypercube")
    assert all(np.array_equal(design[p], again[p]) for p in PATHS)  # seeded, order-free
    batch = sample_design(PATHS, 3, range(10, 20), method="latin-hypercube", samples=40)
    assert all(np.array_equal(batch[p], design[p][10:20]) for p in PATHS)
    with pytest.raises(ValueError, match="outside a Latin hypercube of 40 samples"):
        sample_design(PATHS, 3, [40], method="latin-hypercube", samples=40)


def test_sobol_points_do_not_depend_on_the_batch():
    design = sample_design(PATHS, 5, range(64), method="sobol")
    batch = sample_design(PATHS, 5, range(20, 30), method="sobol")
    assert all(np.array_equal(batch[p], design[p][20:30]) for p in PATHS)
    for path in PATHS:  # 64 = 2**6 points: each of 8 equal strata holds 8
        assert np.bincount(np.floor(design[path] * 8).astype(int)).tolist() == [8] * 8
        assert (design[path] >= 0).all() and (design[path] < 1).all()
    assert not np.array_equal(
        sample_design(PATHS, 6, range(64), method="sobol")[PATHS[0]], design[PATHS[0]]
    )


def test_sample_parameters_takes_a_design_method():
    dists = {
        p: (resolve_parameter(p), parse_distribution(t, integer=p.endswith("level")))
        for p, t in [
            ("model.decay_km", {"dist": "uniform", "low": 300, "high": 900}),
            ("fronts.korea.threat_level", {"dist": "choice", "values": [4, 5]}),
        ]
    }
    drawn = sample_parameters(dists, 1, range(10), method="latin-hypercube")
    strata = np.floor((drawn["model.decay_km"] - 300) / 60).astype(int)
    assert sorted(strata) == list(range(10))
    assert drawn["fronts.korea.threat_level"].dtype.kind == "i"
    with pytest.raises(ValueError, match="unknown sampling method"):
        sample_design(PATHS, 1, range(3), method="grid")
