"""Calibration: targets as data, the backcast, the overlap, a tiny seeded fit and its files,
`redeploy validate` and `redeploy calibrate` on the command line."""

from __future__ import annotations

import itertools
import json
import shutil
import tomllib

import numpy as np
import pandas as pd
import pytest

from redeploy.calibration.evaluate import Backcast, backcast, backcast_scenario
from redeploy.calibration.fit import LOG_BOUND, Objective, apply, fit, parameters
from redeploy.calibration.targets import default_targets_dir, load_targets
from redeploy.cli import app
from redeploy.errors import LayerValidationError
from redeploy.io import check_sets
from redeploy.layers import read_layers
from redeploy.model.base import prepare_base
from redeploy.scenario import load_coefficients, load_scenario, prior_coefficients
from redeploy.schemas import ASSETS, MILITARY_ASSETS
from redeploy.workflows.calibrate import run_calibrate, run_validate
from redeploy.workflows.run import MODEL_LAYERS

MIL = np.array([a in MILITARY_ASSETS for a in ASSETS])


@pytest.fixture(scope="module")
def base():
    return prepare_base(read_layers(None, kinds=MODEL_LAYERS))


@pytest.fixture(scope="module")
def tiny_fit(tmp_path_factory):
    """Two tiny fits with the same seed, and one with another seed (shipped data), each
    of two starts run in this process."""
    outs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        folder = tmp_path_factory.mktemp(f"cal-{name}")
        out = run_calibrate(budget=12, seed=seed, starts=2, workers=1, out_dir=folder)
        outs[name] = (out, folder)
    return outs


def _copy_targets(tmp_path):
    folder = tmp_path / "targets"
    shutil.copytree(default_targets_dir(), folder)
    return folder


def test_overlap_by_hand():
    """Observed 2 kpe in a, 1 in b; the model puts 1.5 in a and 1 in c: min(1.5, 2) +
    min(0, 1) = 1.5 of 3 observed = 50 %; a region without observation has no figure."""
    zeros = np.zeros((3, len(ASSETS)))
    model, observed = zeros.copy(), zeros.copy()
    g = ASSETS.index("ground")
    model[0, g], model[2, g] = 1.5, 1.0
    observed[0, g], observed[1, g] = 2.0, 1.0
    bc = Backcast(
        zone_ids=("a", "b", "c"),
        zone_region=("Africa", "Africa", "Caribbean"),
        model=model,
        observed=observed,
        weights=np.ones_like(model),
        engagement={},
    )
    assert bc.overlap() == pytest.approx(0.5)
    assert bc.overlap(["Africa"]) == pytest.approx(0.5)
    assert np.isnan(bc.overlap(["Caribbean"]))


def test_backcast_sends_the_whole_observed_presence_abroad(base):
    """[home] deploy_all: the observed totals leave home; where is the model's answer."""
    targets = load_targets()
    scenario = backcast_scenario(targets)
    assert scenario.home.deploy_all
    bc = backcast(base, load_coefficients(), targets)
    sent = bc.model[:, MIL].sum(axis=0)
    supply = targets.total_by_class(ASSETS)[MIL]
    np.testing.assert_allclose(sent, supply, rtol=1e-6)
    assert 0.0 < bc.overlap() <= 1.0


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("weight", "1.5", "must be a number from 0 to 1, got"),
        ("observed_kpe", "-1", "must be a number >= 0, got"),
        ("asset", "tanks", "unknown asset 'tanks'; allowed: naval, air, ground, isr"),
    ],
)
def test_bad_targets_name_file_row_column_and_value(tmp_path, column, value, needle):
    folder = _copy_targets(tmp_path)
    path = folder / "posture_targets.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, column] = value
    frame.to_csv(path, index=False)
    with pytest.raises(LayerValidationError) as err:
        load_targets(folder)
    text = str(err.value)
    assert "posture_targets.csv" in text and needle in text
    assert "row 5" in text and column in text


def test_missing_target_column_is_named(tmp_path):
    folder = _copy_targets(tmp_path)
    path = folder / "engagement_targets.csv"
    pd.read_csv(path).drop(columns=["weight"]).to_csv(path, index=False)
    with pytest.raises(LayerValidationError, match=r"missing column.*weight"):
        load_targets(folder)


def test_the_fit_starts_from_the_priors_and_stays_in_bounds():
    defaults, entries = prior_coefficients()
    shipped = load_coefficients()
    fitted = {e.key for e in entries if e.source.startswith("calibrated")}
    assert not fitted  # priors carry the assumption's source, not "calibrated"
    params = parameters()
    x = np.full(len(params), 10.0)  # far out: apply() still gives valid coefficients
    coeffs = apply(defaults, params, np.clip(x, -LOG_BOUND, LOG_BOUND))
    assert coeffs.model.conversion_cap <= 1
    slopes = coeffs.model.segment_slopes
    assert all(b <= a for a, b in itertools.pairwise(slopes))
    assert shipped.model.perimeter_km != defaults.model.perimeter_km  # shipped is fitted


def test_tiny_fit_is_reproducible_byte_for_byte(tiny_fit):
    (a, fa), (_, fb), (_, fc) = tiny_fit["a"], tiny_fit["b"], tiny_fit["c"]
    names = sorted(p.name for p in fa.iterdir() if p.name != ".redeploy")
    assert names == ["calibrated.toml", "validation.csv", "validation.html", "validation.json"]
    [published] = check_sets(fa)  # the four files are one set
    assert published.name == "calibrated" and published.files == tuple(names) and published.ok
    for name in names:
        assert (fa / name).read_bytes() == (fb / name).read_bytes(), name
    assert (fa / "calibrated.toml").read_bytes() != (fc / "calibrated.toml").read_bytes()
    assert a.fit is not None and a.fit.evaluations >= 12


def test_the_lowest_loss_start_is_kept_whatever_the_workers(tiny_fit, tmp_path):
    """Each fit keeps its lowest-loss start (chosen on its own loss, never on a left-out
    region's figures), and two worker processes give the same files as one."""
    out, folder = tiny_fit["a"]
    data = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
    # each start reports the overlap it reaches: the kept one's is the fit's figure
    fits = {"": (data["fit"], data["overlap"])}
    for group, entry in data["left_out_fits"].items():
        fits[group] = (entry, data["overlap_left_out"][group])
    for entry, figure in fits.values():
        starts = entry["starts"]
        assert [s["seed"] for s in starts] == [3000, 3001]
        [kept] = [s for s in starts if s["kept"]]
        assert kept["loss"] == min(s["loss"] for s in starts)
        assert all(0 <= s["overlap"] <= 1 for s in starts)
        assert kept["overlap"] == pytest.approx(figure, abs=1e-6)
    assert out.fit is not None and out.fit.seed == next(
        s["seed"] for s in data["fit"]["starts"] if s["kept"]
    )
    page = (folder / "validation.html").read_text(encoding="utf-8")
    assert "without Africa" in page and page.count("(kept)</b>") == 4  # main and 3 left out
    pooled = run_calibrate(budget=12, seed=3, starts=2, workers=2, out_dir=tmp_path)
    assert pooled.fit is not None and pooled.fit.seed == out.fit.seed
    for name in ("calibrated.toml", "validation.json", "validation.csv"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_a_stopped_fit_keeps_its_best_so_far(base):
    """`stop` (how a worker hears Ctrl-C) ends the search at the next generation with the
    best candidate so far, marked interrupted."""
    defaults, _ = prior_coefficients()
    params = parameters()
    objective = Objective(base, defaults, load_targets(), load_scenario("baseline"), params)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 1  # after one generation

    result = fit(objective, budget=1000, seed=1, stop=stop)
    assert result.interrupted and result.seed == 1
    assert 1 < result.evaluations < 100
    assert result.loss["total"] <= objective.history[0]


def test_calibrated_toml_loads_and_records_its_provenance(tiny_fit):
    _, folder = tiny_fit["a"]
    path = folder / "calibrated.toml"
    coeffs = load_coefficients(path)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    entry = raw["model"]["capacity_scale"]
    assert entry["source"].startswith("calibrated: multiplier")
    assert "posture_targets.csv" in entry["source"] and "--seed 3" in entry["source"]
    assert entry["value"] == pytest.approx(entry["prior"] * entry["multiplier"], rel=1e-5)
    low, high = entry["range"]
    assert low <= entry["value"] <= high
    slopes = raw["model"]["segment_slopes"]  # a list entry: one multiplier per item
    assert len(slopes["multiplier"]) == len(slopes["prior"]) == len(slopes["value"])
    assert coeffs.model.segment_slopes == pytest.approx(slopes["value"])
    # its priors are the shipped file's priors: a re-fit starts where this one did
    assert prior_coefficients(path)[0] == prior_coefficients()[0]


def test_validation_json_has_every_figure(tiny_fit):
    _, folder = tiny_fit["a"]
    data = json.loads((folder / "validation.json").read_text(encoding="utf-8"))
    for key in ("overlap", "overlap_by_region", "engagement_error_by_region", "checks"):
        assert key in data
    assert set(data["overlap_left_out"]) == {"Americas", "Africa", "Southeast Asia"}
    assert [c["name"] for c in data["checks"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert all({"name", "passed", "text", "figures"} <= set(c) for c in data["checks"])
    table = pd.read_csv(folder / "validation.csv")
    assert {"zone", "region", "engagement", "check"} <= set(table["kind"])


def test_validate_reproduces_the_shipped_figures(tmp_path):
    out = run_validate(out_dir=tmp_path)
    data = json.loads((tmp_path / "validation.json").read_text(encoding="utf-8"))
    stored = json.loads((default_targets_dir() / "fit.json").read_text(encoding="utf-8"))
    # the stored fit used the unrounded multipliers; the file rounds values to 6 decimals
    assert data["overlap"] == pytest.approx(stored["overlap"], abs=1e-5)
    for region, value in stored["overlap_by_region"].items():
        assert data["overlap_by_region"][region] == pytest.approx(value, abs=1e-5)
    assert [c["passed"] for c in data["checks"]] == [c["passed"] for c in stored["checks"]]
    assert out.summary["overlap"] == pytest.approx(data["overlap"], abs=1e-6)


def test_cli_validate_and_bad_coefficients(runner, tmp_path):
    ok = runner.invoke(app, ["validate", "--out", str(tmp_path), "-q"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "validation.html").exists()
    said = runner.invoke(app, ["validate", "--out", str(tmp_path)])
    data = json.loads((tmp_path / "validation.json").read_text(encoding="utf-8"))
    passed = sum(c["passed"] for c in data["checks"])
    assert f"pattern checks on baseline: {passed} of 5 pass" in said.stdout
    assert "backcast overlap (military kpe by zone):" in said.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('[model.risk_lambda]\nvalue = "x"\nunit = "1"\nsource = "a"\n')
    result = runner.invoke(app, ["validate", "--coefficients", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.toml" in result.output


def test_ctrl_c_stops_the_worker_starts_and_keeps_the_best(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while the starts
    run on two worker processes: `redeploy calibrate` exits 130 within seconds, naming
    the file that holds the best fit so far, and its four files are written, marked
    interrupted."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = tmp_path / "cal"
    command = [sys.executable, "-m", "redeploy", "calibrate", "--budget", "3000"]
    proc = subprocess.Popen(
        [*command, "--starts", "2", "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    time.sleep(15)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert "interrupted: the best fit so far is in" in err.decode()
    assert "Traceback" not in err.decode()
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert data["interrupted"] is True
    assert any(s["kept"] for s in data["fit"]["starts"])
    assert (out / "calibrated.toml").exists()


def test_the_backcast_year_is_the_year_most_targets_describe(tmp_path):
    """`Targets.year` is the year most posture rows are dated (the first year in each
    `date` cell), 2025 for the shipped targets (DMDC's 31 Dec 2025), and the backcast
    scenario is evaluated then; at least 2025 (a horizon after the 2024 reference)."""
    assert load_targets().year() == 2025
    assert backcast_scenario(load_targets()).horizon_year == 2025
    folder = _copy_targets(tmp_path)
    path = folder / "posture_targets.csv"
    table = pd.read_csv(path)
    table["date"] = ["2027-06-30" if i % 3 else "2026-2027 (period)" for i in range(len(table))]
    table.to_csv(path, index=False)
    assert load_targets(folder).year() == 2027
    table["date"] = "undated"
    table.to_csv(path, index=False)
    assert load_targets(folder).year() == 2025
