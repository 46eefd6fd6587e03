"""A scriptable CLI: ``--json`` documents on stdout, nothing else there, tables that are not
wrapped off a terminal, shell completion and the `redeploy` logger (``-v``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from redeploy.cli import app
from redeploy.cli.diagnostics import UNWRAPPED_WIDTH, log_level
from redeploy.scenario import list_scenarios, load_scenario

ROOT = Path(__file__).resolve().parent.parent
MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"


def _json(result):
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # one document and nothing else
    assert doc["format"] == 1
    return doc


def test_run_json_is_the_summary_with_files_and_warnings(runner, tmp_path):
    result = runner.invoke(
        app,
        ["run", "--layers", str(MODEL_DATA), "-s", str(SMALL), "--out", str(tmp_path), "--json"],
    )
    doc = _json(result)
    summary = json.loads((tmp_path / "small-summary.json").read_text())
    assert doc["command"] == "run"
    assert {k: doc[k] for k in summary} == summary
    assert doc["objective"]["total"] == pytest.approx(
        doc["objective"]["value"] - doc["objective"]["transit_cost"] - doc["objective"]["risk"],
        abs=1e-5,
    )
    published = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert sorted(Path(p).name for p in doc["files"]) == published  # .redeploy: the manifest
    assert doc["warnings"] == []
    assert "allocated by region" not in result.stdout


def test_run_quiet_json_still_prints_the_document(runner, tmp_path):
    args = ["run", "--layers", str(MODEL_DATA), "-s", str(SMALL), "--out", str(tmp_path)]
    doc = _json(runner.invoke(app, [*args, "-q", "--json"]))
    assert doc["scenario"] == "small"
    assert runner.invoke(app, [*args, "-q"]).stdout == ""


def test_compare_json_gives_both_runs_and_the_difference(runner, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(
        f'extends = "{SMALL.as_posix()}"\nname = "other"\ndescription = "more risk"\n'
        "[model]\nrisk_lambda = 3.0\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "compare",
            str(SMALL),
            str(other),
            "--layers",
            str(MODEL_DATA),
            "--out",
            str(tmp_path / "out"),
            "--json",
        ],
    )
    doc = _json(result)
    assert doc["a"]["scenario"] == "small" and doc["b"]["scenario"] == "other"
    for key, value in doc["difference"]["objective"].items():
        assert value == pytest.approx(doc["b"]["objective"][key] - doc["a"]["objective"][key])
    assert {Path(p).name for p in doc["files"]} == {"small-vs-other.html", "small-vs-other.csv"}


def test_layers_and_scenarios_list_json(runner):
    layers = _json(runner.invoke(app, ["layers", "list", "--json"]))
    by_kind = {row["layer"]: row for row in layers["layers"]}
    assert by_kind["supply_nodes"]["features"] == 28
    assert by_kind["supply_nodes"]["files"][0]["origin"] == "shipped"
    assert by_kind["fronts"]["geometry_types"] == ["Point"]
    scenarios = _json(runner.invoke(app, ["scenarios", "list", "--json"]))
    assert [s["name"] for s in scenarios["scenarios"]] == list(list_scenarios())
    assert all(s["description"] for s in scenarios["scenarios"])


def test_sweep_json(runner, tmp_path):
    result = runner.invoke(
        app,
        [
            "sweep",
            "--layers",
            str(MODEL_DATA),
            "-s",
            str(SMALL),
            "--samples",
            "3",
            "--workers",
            "1",
            "--out",
            str(tmp_path),
            "-q",
            "--json",
        ],
    )
    doc = _json(result)
    assert doc["command"] == "sweep" and doc["samples"] == 3 and doc["completed"] == 3
    assert set(doc["files"]) >= {"parquet", "summary"}
    assert any(row["kind"] == "objective" for row in doc["summary"])


def test_frontier_json(runner, tmp_path):
    args = ["frontier", "--layers", str(MODEL_DATA), "-s", str(SMALL), "--points", "3"]
    doc = _json(runner.invoke(app, [*args, "--out", str(tmp_path), "-q", "--json"]))
    assert doc["command"] == "frontier" and doc["channel"] is None
    assert set(doc["files"]) == {"csv", "png", "html"}
    table = pd.read_csv(doc["files"]["csv"])  # the points are the CSV's rows
    assert len(doc["points"]) == len(table) == 3
    assert set(doc["points"][0]) == set(table.columns)


def test_piped_tables_are_not_wrapped(runner):
    """CliRunner's stdout is not a terminal: each scenario is one line of the table, however
    long its description."""
    result = runner.invoke(app, ["scenarios", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for name, path in list_scenarios().items():
        row = [line for line in lines if line.startswith(f"│ {name} ")]
        assert len(row) == 1, name
        assert load_scenario(path).description in row[0]  # whole, on one line
    assert max(len(line) for line in lines) > 200  # 80 columns would have folded them


def test_piped_output_of_a_real_process_is_not_wrapped():
    proc = subprocess.run(
        [sys.executable, "-m", "redeploy", "scenarios", "list"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    description = load_scenario("baseline").description
    assert sum(description in line for line in proc.stdout.splitlines()) == 1
    assert UNWRAPPED_WIDTH > 1000


def test_shell_completion(runner):
    env = {"_REDEPLOY_COMPLETE": "complete_bash", "COMP_CWORD": "1", "COMP_WORDS": "redeploy sc"}
    done = runner.invoke(app, [], prog_name="redeploy", env=env)
    assert done.stdout.split() == ["scenarios"]
    env.update(COMP_WORDS="redeploy run --scenario all", COMP_CWORD="3")
    done = runner.invoke(app, [], prog_name="redeploy", env=env)
    assert done.stdout.split() == ["all-together"]
    env.update(COMP_WORDS="redeploy run --add-layer supp", COMP_CWORD="3")
    done = runner.invoke(app, [], prog_name="redeploy", env=env)
    assert done.stdout.split() == ["supply_nodes="]
    script = runner.invoke(app, ["--show-completion", "bash"], prog_name="redeploy")
    assert script.exit_code == 0 and "_REDEPLOY_COMPLETE=complete_bash" in script.stdout


def test_verbose_logs_on_stderr_only(runner, tmp_path):
    assert [log_level(n) for n in (0, 1, 2)] == [30, 20, 10]
    args = ["run", "--layers", str(MODEL_DATA), "-s", str(SMALL), "--out", str(tmp_path), "-q"]
    quiet = runner.invoke(app, args)
    assert quiet.stderr == "" and quiet.stdout == ""
    verbose = runner.invoke(app, ["-vv", *args, "--json"])
    json.loads(verbose.stdout)
    assert "INFO redeploy.workflows.run: run small: scenario" in verbose.stderr
    assert "DEBUG redeploy.model.allocation: HiGHS:" in verbose.stderr
    assert "INFO redeploy.own_layers: layer fronts:" in verbose.stderr
    again = runner.invoke(app, args)  # the level is set anew by every command
    assert again.stderr == ""


def test_quiet_json_run_in_a_real_process_prints_one_document(tmp_path):
    """The issue's acceptance: `redeploy run -q --json | python -c 'json.load(sys.stdin)'`."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "redeploy",
            "run",
            "-q",
            "--json",
            "--format",
            "csv",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    check = subprocess.run(
        [sys.executable, "-c", "import json,sys; print(json.load(sys.stdin)['scenario'])"],
        input=run.stdout,
        capture_output=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == b"baseline"


def test_validate_json_is_validation_json_with_the_files(runner, tmp_path):
    """`redeploy validate --json` prints what it wrote to validation.json (the backcast
    overlap, by region, the pattern checks) and the files, nothing else on stdout."""
    result = runner.invoke(app, ["validate", "--out", str(tmp_path), "--json"])
    doc = _json(result)
    written = json.loads((tmp_path / "validation.json").read_text())
    assert doc["command"] == "validate"
    assert {k: doc[k] for k in written} == written
    assert 0 < doc["overlap"] <= 1
    assert [c["name"] for c in doc["checks"]] == ["P1", "P2", "P3", "P4", "P5"]
    assert sorted(Path(p).name for p in doc["files"]) == [
        "validation.csv",
        "validation.html",
        "validation.json",
    ]
