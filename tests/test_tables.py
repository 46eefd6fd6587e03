"""Run tables: columns, deterministic bytes, atomic writes, the summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from redeploy.errors import OutputError
from redeploy.export.tables import table_csv, write_tables
from redeploy.layers import read_layers
from redeploy.model.allocation import solve_allocation
from redeploy.model.inputs import build_inputs
from redeploy.model.result import (
    ALLY_COLUMNS,
    FLOW_COLUMNS,
    FRONT_COLUMNS,
    HOME_ID,
    HOME_REGION,
    LEDGER_COLUMNS,
    ZONE_COLUMNS,
)
from redeploy.scenario import load_scenario
from redeploy.schemas import MILITARY_ASSETS, RISK_CHANNELS
from redeploy.workflows.run import MODEL_LAYERS

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"


@pytest.fixture(scope="module")
def result():
    layers = read_layers(MODEL_DATA, kinds=MODEL_LAYERS)
    scenario = load_scenario(MODEL_DATA / "scenarios" / "small.toml")
    return solve_allocation(build_inputs(layers, scenario))


def test_writes_six_files_with_the_contract_columns(result, tmp_path):
    paths = write_tables(result, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "small-allies.csv",
        "small-flows.csv",
        "small-fronts.csv",
        "small-ledger.csv",
        "small-summary.json",
        "small-zones.csv",
    ]
    for key, cols in (
        ("flows", FLOW_COLUMNS),
        ("fronts", FRONT_COLUMNS),
        ("zones", ZONE_COLUMNS),
        ("ledger", LEDGER_COLUMNS),
        ("allies", ALLY_COLUMNS),
    ):
        frame = pd.read_csv(paths[key])
        assert tuple(frame.columns) == cols
        assert len(frame) == len(getattr(result, key)), key
    flows = pd.read_csv(paths["flows"])
    assert not flows.empty
    ledger = pd.read_csv(paths["ledger"])
    assert list(ledger["front_id"]) == ["alpha", "bravo"]
    allies = pd.read_csv(paths["allies"])
    assert set(allies["front_id"]) == {"alpha", "bravo"}
    assert set(allies["asset"]) == set(MILITARY_ASSETS)


def test_home_pool_in_the_tables(result, tmp_path):
    """Issue 11: zones carry existing and added, us-home is in the tables, the ledger has
    converted_to_engagement_bn."""
    paths = write_tables(result, tmp_path)
    zones = pd.read_csv(paths["zones"])
    fronts = pd.read_csv(paths["fronts"])
    assert HOME_ID in set(zones["zone_id"]) and HOME_ID in set(fronts["front_id"])
    assert set(zones.loc[zones["zone_id"] == HOME_ID, "region"]) == {HOME_REGION}
    assert {"existing", "added", "capacity"} <= set(zones.columns)
    assert "converted_to_engagement_bn" in pd.read_csv(paths["ledger"]).columns
    risk = fronts[[f"risk_{c}" for c in RISK_CHANNELS]].sum(axis=1)
    assert risk.to_numpy() == pytest.approx(fronts["risk"].to_numpy(), abs=1e-5)


def test_bytes_are_deterministic(result, tmp_path):
    a = write_tables(result, tmp_path / "a")
    b = write_tables(result, tmp_path / "b")
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes()
    text = a["flows"].read_text()
    assert "\r" not in text
    assert all(len(v.split(".")[1]) == 6 for v in text.splitlines()[1].split(",")[3:])


def test_negative_zero_and_nan_formatting():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [-0.0, float("nan")], "c": [1e-12, 2.5]})
    assert table_csv(frame, ("a", "b", "c")) == "a,b,c\nx,0.000000,0.000000\ny,,2.500000\n"


def test_floats_written_as_pandas_float_format_writes_them():
    """`csv_text` formats float cells itself (one ``%`` per value); the bytes are those of
    pandas' ``to_csv(float_format="%.6f")`` on the rounded column, missing cells empty."""
    values = [0.1234565, -0.0, -1e-9, 2.5e-7, -2.5e-7, 1e20, float("inf"), float("nan"), 7.0]
    frame = pd.DataFrame(
        {
            "x": values,
            "nullable": pd.array([1.5, None, -0.0000004, 3.0, None, 0.0, 1.0, 2.0, 9.25]),
            "mixed": [0.5, None, 1.0, None, 2.25, 3.0, None, 4.0, 5.0],
            "name": list("abcdefghi"),
        }
    ).astype({"mixed": object})
    expected = pd.DataFrame(
        {c: frame[c].astype(float).round(6) + 0.0 if c != "name" else frame[c] for c in frame}
    ).to_csv(index=False, float_format="%.6f", lineterminator="\n", na_rep="")
    assert table_csv(frame, tuple(frame.columns)) == expected
    assert "-0.000000" not in expected and "\ninf," in expected and ",," in expected


def test_summary(result, tmp_path):
    paths = write_tables(result, tmp_path)
    summary = json.loads(paths["summary"].read_text())
    for key in ("scenario", "run_id", "status", "objective", "totals", "units"):
        assert key in summary
    assert summary["scenario"] == "small"
    assert summary["status"] == "optimal"
    channels = {f"risk_{c}" for c in RISK_CHANNELS}
    assert set(summary["objective"]) == {"value", "transit_cost", "risk", "total", *channels}
    obj = summary["objective"]
    assert obj["total"] == pytest.approx(obj["value"] - obj["transit_cost"] - obj["risk"], abs=1e-5)
    assert obj["risk"] == pytest.approx(sum(obj[c] for c in channels), abs=1e-5)
    assert summary["units"]["assets"]["engagement"] == "$bn/yr"
    assert "Southeast Asia" in summary["totals"]["by_region_and_asset"]
    assert "build_seconds" not in json.dumps(summary)  # no timings: same inputs, same bytes
    # the double burden of all fronts together, as the model counted it from the ledger
    share = summary["totals"]["double_burden_share"]
    assert share == pytest.approx(result.totals["double_burden_share"], abs=1e-6)
    ledger = result.ledger[result.ledger["ally_extra_spending_bn"] > 0]
    funds = ledger["us_redeployed_value_bn"] + ledger["converted_to_engagement_bn"]
    assert share == pytest.approx(funds.sum() / ledger["ally_extra_spending_bn"].sum(), abs=1e-6)
    assert summary["units"]["columns"]["added_bn"] == "$bn/yr"


def test_zones_csv_in_dollars_and_floor_marks(result, tmp_path):
    """The zones CSV carries the model's dollars of what is added and the floor mark."""
    zones = pd.read_csv(write_tables(result, tmp_path)["zones"])
    assert zones["floor_held"].dtype == bool
    assert zones["floor_held"].tolist() == result.zones["floor_held"].tolist()
    mil = zones["asset"].isin(MILITARY_ASSETS)
    # engagement is already in dollars; forces are not: their dollars differ from kpe
    eng = zones[~mil]
    assert eng["added_bn"].to_numpy() == pytest.approx(eng["added"].to_numpy(), abs=1e-6)
    forces = zones[mil & (zones["added"] > 0)]
    assert not forces.empty
    assert (forces["added_bn"] > 0).all()
    assert zones["added_bn"].to_numpy() == pytest.approx(result.zones["added_bn"], abs=1e-6)


def test_failed_write_leaves_earlier_outputs(result, tmp_path, monkeypatch):
    paths = write_tables(result, tmp_path)
    before = {k: p.read_bytes() for k, p in paths.items()}
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src, dst):
        calls["n"] += 1
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(OutputError, match="disk full"):
        write_tables(result, tmp_path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert {k: p.read_bytes() for k, p in paths.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())


def test_out_dir_that_is_a_file(result, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_tables(result, blocker / "sub")
