"""`redeploy run` and `redeploy scenarios`: outputs, exit codes 0/2/3, messages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from redeploy.cli import app
from redeploy.layers import read_layers
from redeploy.model.result import HOME_ID
from redeploy.scenario import effective_coefficients, list_scenarios, load_scenario

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
SCENARIOS = MODEL_DATA / "scenarios"


def run(runner, *args):
    return runner.invoke(app, ["run", "--layers", str(MODEL_DATA), *args])


def test_run_writes_the_six_files(runner, tmp_path):
    result = run(runner, "--scenario", str(SCENARIOS / "small.toml"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.iterdir()}
    assert {
        "small-allies.csv",
        "small-flows.csv",
        "small-fronts.csv",
        "small-ledger.csv",
        "small-summary.json",
        "small-zones.csv",
    } <= names
    assert "allocated by region" in result.stdout


def test_run_quiet_prints_nothing(runner, tmp_path):
    result = run(runner, "-s", str(SCENARIOS / "small.toml"), "--out", str(tmp_path), "--quiet")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_typo_in_key_exits_2_naming_file_and_key(runner, tmp_path):
    result = run(runner, "-s", str(SCENARIOS / "typo_key.toml"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "typo_key.toml" in result.stderr
    assert "'fronts.alpha.defence_pct_gdp'" in result.stderr
    assert "Did you mean 'fronts.alpha.defense_pct_gdp'?" in result.stderr
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_out_of_range_exits_2(runner, tmp_path):
    result = run(runner, "-s", str(SCENARIOS / "bad_value.toml"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "bad_value.toml" in result.stderr
    assert "fronts.alpha.defense_pct_gdp' = 40.0" in result.stderr
    assert "<= 25" in result.stderr


def test_unknown_front_exits_2(runner, tmp_path):
    result = run(runner, "-s", str(SCENARIOS / "unknown_front.toml"), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown_front.toml" in result.stderr
    assert "unknown front id 'alpah'" in result.stderr
    assert "'fronts.alpha'" in result.stderr


def test_unknown_scenario_name_exits_2_listing_shipped(runner, tmp_path):
    result = run(runner, "-s", "baselin", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "Did you mean 'baseline'?" in result.stderr
    assert "no-repricing" in result.stderr


def test_impossible_floor_exits_3_saying_what_to_change(runner, tmp_path):
    result = run(runner, "-s", str(SCENARIOS / "impossible_floor.toml"), "--out", str(tmp_path))
    assert result.exit_code == 3
    assert "impossible_floor.toml" in result.stderr
    assert "regions.Africa.floor" in result.stderr
    assert "lower" in result.stderr
    assert not any(tmp_path.iterdir())


def test_failed_run_keeps_earlier_outputs(runner, tmp_path):
    ok = run(runner, "-s", str(SCENARIOS / "small.toml"), "--out", str(tmp_path), "-q")
    assert ok.exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    bad = tmp_path / "small_bad.toml"
    bad.write_text(
        (SCENARIOS / "impossible_floor.toml")
        .read_text()
        .replace("description", 'name = "small"\ndescription')
    )
    result = run(runner, "-s", str(bad), "--out", str(tmp_path), "-q")
    assert result.exit_code == 3
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert {k: v for k, v in after.items() if not k.endswith(".toml")} == before


def test_scenarios_list_show_schema(runner):
    listed = runner.invoke(app, ["scenarios", "list"])
    assert listed.exit_code == 0
    assert "baseline" in listed.stdout and "no-repricing" in listed.stdout
    shown = runner.invoke(app, ["scenarios", "show", "baseline"])
    assert shown.exit_code == 0
    assert "Assumptions" in shown.stdout and "Hague" in shown.stdout
    as_json = runner.invoke(app, ["scenarios", "show", "taiwan-5", "--json"])
    assert json.loads(as_json.stdout)["fronts"]["taiwan"]["defense_pct_gdp"] == 5.0
    schema = runner.invoke(app, ["scenarios", "schema"])
    assert json.loads(schema.stdout)["title"] == "redeploy scenario"
    missing = runner.invoke(app, ["scenarios", "show", "nope"])
    assert missing.exit_code == 2


@pytest.mark.parametrize("name", sorted(list_scenarios()))
def test_every_shipped_scenario_runs_on_the_shipped_layers(runner, tmp_path, name):
    result = runner.invoke(app, ["run", "-s", name, "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    fronts = pd.read_csv(tmp_path / f"{name}-fronts.csv")
    flows = pd.read_csv(tmp_path / f"{name}-flows.csv")
    zones = pd.read_csv(tmp_path / f"{name}-zones.csv")
    coeffs = effective_coefficients(load_scenario(name))
    cost = fronts["asset"].map(lambda a: getattr(coeffs.assets, a).us_unit_cost_bn)
    military = fronts["asset"] != "engagement"
    bought = (fronts["converted"] * cost)[military].groupby(fronts["front_id"]).sum()
    sent = flows.groupby(["front_id", "asset"])["amount"].sum()
    for row in fronts.itertuples():
        assert sent.get((row.front_id, row.asset), 0.0) == pytest.approx(row.released, abs=1e-5)
        if row.front_id == HOME_ID:
            continue
        if row.asset == "engagement":  # engagement freed, plus what the front converted
            assert row.released <= row.freed + bought.get(row.front_id, 0.0) + 1e-5
        else:
            # every unit freed is released (abroad or home), converted or retained
            total = row.released + row.converted + row.retained
            assert total == pytest.approx(row.freed, abs=1e-5)
    into = flows.groupby(["zone_id", "asset"])["amount"].sum()
    for row in zones.itertuples():
        assert into.get((row.zone_id, row.asset), 0.0) == pytest.approx(row.added, abs=1e-5)
    summary = json.loads((tmp_path / f"{name}-summary.json").read_text())
    # home sends abroad at most what it received and its reserve
    home = summary["totals"]["home"]
    assert home["sent_abroad_kpe"] <= home["received_kpe"] + home["reserve_kpe"] + 1e-5
    allies = pd.read_csv(tmp_path / f"{name}-allies.csv")
    assert set(allies["front_id"]) <= set(fronts["front_id"]) - {HOME_ID}
    if name == "baseline":
        assert len(summary["totals"]["regions_served"]) >= 3
    if name == "no-repricing":
        assert fronts.loc[fronts.front_id != "us-home", "freed"].sum() == 0


def test_baseline_tables_carry_existing_added_home_and_conversions(runner, tmp_path):
    """Issue 11's acceptance on the shipped data: no military flow into a zone without an
    access basis, existing and added per zone, the home pool in flows and tables, what each
    front converted in the ledger."""
    result = runner.invoke(app, ["run", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    flows = pd.read_csv(tmp_path / "baseline-flows.csv")
    zones = pd.read_csv(tmp_path / "baseline-zones.csv")
    fronts = pd.read_csv(tmp_path / "baseline-fronts.csv")
    ledger = pd.read_csv(tmp_path / "baseline-ledger.csv")
    layer = read_layers(None, kinds=("peripheral_zones",))["peripheral_zones"].set_index("id")
    basis = layer["access_basis"].fillna("").astype(str).str.strip()
    military = flows[flows["asset"] != "engagement"]
    abroad = military[military["zone_id"] != "us-home"]
    assert (basis.reindex(abroad["zone_id"]).to_numpy() != "").all()
    assert {"existing", "added", "capacity"} <= set(zones.columns)
    assert zones["existing"].sum() > 0  # the observed presence is in the table
    assert "us-home" in set(flows["front_id"]) | set(flows["zone_id"])
    assert "us-home" in set(zones["zone_id"]) and "us-home" in set(fronts["front_id"])
    assert "converted_to_engagement_bn" in ledger.columns


def test_committed_example_map_is_what_redeploy_run_writes(runner, tmp_path):
    """maps/baseline.html in the repository is regenerated by the tool, never edited."""
    result = runner.invoke(app, ["run", "--out", str(tmp_path), "-q", "--format", "csv"])
    assert result.exit_code == 0, result.output
    committed = Path(__file__).resolve().parent.parent / "maps" / "baseline.html"
    assert (tmp_path / "baseline.html").read_bytes() == committed.read_bytes(), (
        "maps/baseline.html is stale: regenerate it with `redeploy run --png`"
    )


def test_run_reads_a_layer_without_crs_when_crs_is_given(runner, tmp_path, broken_dir):
    layer = f"chokepoints={broken_dir / 'no_crs.gpkg'}"
    refused = runner.invoke(app, ["run", "-q", "--layer", layer, "--out", str(tmp_path)])
    assert refused.exit_code == 2
    assert "declares no CRS" in refused.stderr
    result = runner.invoke(
        app,
        [
            "run",
            "-q",
            "--layer",
            layer,
            "--crs",
            "EPSG:4326",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "baseline-flows.csv").exists()


def test_quiet_run_prints_nothing_on_stdout(tmp_path):
    """HiGHS's licence banner (printed from C++ by the first Highs) never reaches stdout."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "redeploy", "run", "-q", "--format", "csv", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "Running HiGHS" not in proc.stderr


def test_forces_under_access_only_the_scenario_grants_are_warned(runner, tmp_path):
    scenario = tmp_path / "granted.toml"
    scenario.write_text(
        'extends = "baseline"\ndescription = "Angola granted access"\n'
        '[zones.ago]\naccess = "full"\nabsorb = { ground = 2.0 }\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", "-s", str(scenario), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert "zones.ago.access = 'full' grants basing access to Angola (ago)" in result.stderr
    assert "kpe of military capacity there" in result.stderr
    # the baseline itself grants nothing: no warning
    plain = runner.invoke(app, ["run", "--out", str(tmp_path / "b"), "-q"])
    assert "warning" not in plain.stderr


def test_whole_units_solve_the_shipped_baseline(runner, tmp_path):
    """[model] units = true: a MILP solved to optimality, every military addition a whole
    number of the class's units."""
    scenario = tmp_path / "units.toml"
    scenario.write_text(
        'extends = "baseline"\ndescription = "whole units"\n[model]\nunits = true\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["run", "-s", str(scenario), "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    coeffs = effective_coefficients(load_scenario(scenario))
    zones = pd.read_csv(tmp_path / "units-zones.csv")
    added = zones[(zones["asset"] != "engagement") & (zones["zone_id"] != HOME_ID)]
    size = added["asset"].map(lambda a: getattr(coeffs.assets, a).unit_size)
    units = added["added"] / size
    assert (added["added"] > 0).any()
    assert np.allclose(units, units.round(), atol=1e-6)
