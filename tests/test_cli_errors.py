"""Trying to break the CLI: bad --out, --layers, --scheduler, --crs, scenarios and compare
arguments exit 2 (3 when infeasible) with a message and no traceback, and a failed run
leaves earlier outputs byte for byte intact."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from redeploy.cli import app
from redeploy.errors import OutputError

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"
IMPOSSIBLE = MODEL_DATA / "scenarios" / "impossible_floor.toml"

COMMANDS = [
    [],
    ["run"],
    ["compare"],
    ["frontier"],
    ["sweep"],
    ["scenarios"],
    ["scenarios", "list"],
    ["scenarios", "show"],
    ["scenarios", "schema"],
    ["layers"],
    ["layers", "list"],
    ["layers", "validate"],
    ["layers", "describe"],
    ["layers", "export"],
]


def run(runner, *args):
    return runner.invoke(app, ["run", "--layers", str(MODEL_DATA), "-q", *args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def renamed_variant() -> str:
    """small.toml with other figures but the same name (so the same output files)."""
    text = SMALL.read_text().replace("defense_pct_gdp = 3.0", "defense_pct_gdp = 4.0")
    assert "4.0" in text
    return 'name = "small"\n' + text


def assert_clean_failure(result, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "redeploy")
def test_every_command_has_help(runner, command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_out_is_a_file_exits_2_before_solving(runner, tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep")
    for out in (target, target / "sub"):
        result = run(runner, "-s", str(SMALL), "--out", str(out))
        assert_clean_failure(result)
        assert str(out) in result.stderr and "is a file" in result.stderr
    assert target.read_text() == "keep"


def test_out_not_writable_exits_2(runner, tmp_path, monkeypatch):
    # Root ignores chmod 555, so the permission check itself is faked.
    real_access = os.access
    monkeypatch.setattr(
        "redeploy.io.atomic.os.access",
        lambda path, mode, **kw: (
            not (Path(path) == tmp_path and mode & os.W_OK) and real_access(path, mode, **kw)
        ),
    )
    result = run(runner, "-s", str(SMALL), "--out", str(tmp_path))
    assert_clean_failure(result)
    assert "not writable" in result.stderr
    assert not any(tmp_path.iterdir())


def test_out_nested_folder_is_created(runner, tmp_path):
    out = tmp_path / "a" / "b" / "c"
    result = run(runner, "-s", str(SMALL), "--out", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (out / "small-flows.csv").is_file()
    # no staging left: only the control folder (lock and the set's manifest)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".redeploy"]


def test_failed_run_leaves_no_new_folder(runner, tmp_path):
    out = tmp_path / "new" / "deeper"
    result = run(runner, "-s", str(IMPOSSIBLE), "--out", str(out))
    assert_clean_failure(result, 3)
    assert not (tmp_path / "new").exists()


def test_failure_while_writing_leaves_every_earlier_output(runner, tmp_path, monkeypatch):
    assert run(runner, "-s", str(SMALL), "--out", str(tmp_path)).exit_code == 0
    before = snapshot(tmp_path)
    assert "small.html" in before and "small-flows.csv" in before
    changed = tmp_path.parent / "changed.toml"
    changed.write_text(renamed_variant())

    def broken_map(*_args, **_kwargs):
        raise OutputError("small.html: disk full (simulated)")

    monkeypatch.setattr("redeploy.render.write_map", broken_map)
    result = run(runner, "-s", str(changed), "--out", str(tmp_path))
    assert_clean_failure(result)
    assert "disk full" in result.stderr
    assert snapshot(tmp_path) == before  # the tables were not replaced either
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, ".redeploy"])


@pytest.mark.parametrize("how", ["error", "killed"])
def test_failure_of_the_forked_gis_writer_leaves_every_earlier_output(
    runner, tmp_path, monkeypatch, how
):
    # The GeoPackage is written in a forked child while the map is built
    # (redeploy.io.forked): its error, or its death, fails the run cleanly all the same.
    import signal

    import redeploy.io.forked

    monkeypatch.setattr(redeploy.io.forked.threading, "active_count", lambda: 1)
    assert run(runner, "-s", str(SMALL), "--out", str(tmp_path)).exit_code == 0
    before = snapshot(tmp_path)
    assert "small.gpkg" in before
    changed = tmp_path.parent / "changed.toml"
    changed.write_text(renamed_variant())
    parent = os.getpid()

    def broken_gis(*_args, **_kwargs):
        assert os.getpid() != parent  # written in the child
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise OutputError("small.gpkg: disk full (simulated)")

    monkeypatch.setattr("redeploy.export.write_results", broken_gis)
    result = run(runner, "-s", str(changed), "--out", str(tmp_path))
    assert_clean_failure(result)
    expected = "disk full" if how == "error" else "stopped without a result (killed by signal 9)"
    assert expected in result.stderr
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, ".redeploy"])


def test_output_blocked_by_a_folder_changes_nothing(runner, tmp_path):
    assert run(runner, "-s", str(SMALL), "--out", str(tmp_path), "--format", "csv").exit_code == 0
    (tmp_path / "small.html").unlink()
    (tmp_path / "small.html").mkdir()
    before = snapshot(tmp_path)
    result = run(runner, "-s", str(SMALL), "--out", str(tmp_path), "--format", "csv")
    assert_clean_failure(result)
    assert "small.html" in result.stderr and "in the way" in result.stderr
    assert snapshot(tmp_path) == before
    assert (tmp_path / "small.html").is_dir()


def test_layers_folder_without_layer_files_is_refused(runner, tmp_path):
    result = runner.invoke(app, ["layers", "list", "--layers", str(tmp_path)])
    assert_clean_failure(result)
    assert str(tmp_path) in result.stderr and "no layer file here" in result.stderr
    (tmp_path / "mine.gpkg").write_bytes(b"")
    result = runner.invoke(app, ["layers", "list", "--layers", str(tmp_path)])
    assert_clean_failure(result)
    assert str(tmp_path / "mine.gpkg") in result.stderr


def test_bad_crs_exits_2(runner):
    result = runner.invoke(app, ["layers", "list", "--crs", "banana"])
    assert_clean_failure(result)
    assert "banana" in result.stderr and "--crs" in result.stderr


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('description = "x"\nfronts = [1, 2]\n', ["'fronts' = [1, 2]", "must be a table"]),
        ('description = "x"\nassumptions = "one"\n', ["'assumptions'", "list of strings"]),
        ('description = "x"\nhorizon_year = "2030"\n', ["'horizon_year' = '2030'", "integer"]),
        ('extends = "baseline-uncertain"\nuncertain = "x"\n', ["'uncertain'", "table"]),
    ],
)
def test_scenario_with_wrong_toml_types_exits_2(runner, tmp_path, text, needles):
    path = tmp_path / "wrong.toml"
    path.write_text(text)
    result = run(runner, "-s", str(path), "--out", str(tmp_path / "out"))
    assert_clean_failure(result)
    assert str(path) in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_scenario_that_is_not_text_exits_2(runner, tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00binary")
    result = run(runner, "-s", str(path), "--out", str(tmp_path / "out"))
    assert_clean_failure(result)
    assert str(path) in result.stderr and "UTF-8" in result.stderr


def test_compare_refuses_the_same_scenario_twice(runner, tmp_path):
    args = ["compare", "--layers", str(MODEL_DATA), "-q", "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, str(SMALL), str(SMALL)])
    assert_clean_failure(result)
    assert "same scenario 'small'" in result.stderr
    twin = tmp_path.parent / "twin.toml"
    twin.write_text(renamed_variant())
    result = runner.invoke(app, [*args, str(SMALL), str(twin)])
    assert_clean_failure(result)
    assert "both named 'small'" in result.stderr
    result = runner.invoke(app, [*args, str(SMALL), "nope"])
    assert_clean_failure(result)
    assert "unknown scenario 'nope'" in result.stderr
    assert not any(tmp_path.iterdir())


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sweep_unreachable_scheduler_fails_fast(runner, tmp_path):
    address = f"tcp://127.0.0.1:{_unused_port()}"
    start = time.monotonic()
    result = runner.invoke(
        app,
        [
            "sweep",
            "--samples",
            "2",
            "--scheduler",
            address,
            "--layers",
            str(MODEL_DATA),
            "--out",
            str(tmp_path),
            "-q",
        ],
    )
    assert time.monotonic() - start < 15
    assert_clean_failure(result)
    assert address in result.stderr and "cannot reach a Dask scheduler" in result.stderr
    result = runner.invoke(
        app,
        ["sweep", "--samples", "2", "--scheduler", "tcp://127.0.0.1", "--out", str(tmp_path), "-q"],
    )
    assert_clean_failure(result)
    assert "host and port" in result.stderr


def test_sweep_out_is_a_file_exits_2(runner, tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep")
    result = runner.invoke(
        app, ["sweep", "--samples", "2", "--workers", "1", "--out", str(target / "x"), "-q"]
    )
    assert_clean_failure(result)
    assert "is a file" in result.stderr


def test_scenario_floor_above_the_baseline_exits_2(runner, tmp_path):
    path = tmp_path / "floor.toml"
    path.write_text('description = "x"\n[fronts.alpha.floor]\nground = 1000\n')
    result = run(runner, "-s", str(path), "--out", str(tmp_path / "out"))
    assert_clean_failure(result)
    assert f"{path}: key 'fronts.alpha.floor.ground' = 1000" in result.stderr
    assert "<= 10 (kpe)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_scenario_baseline_below_the_layer_floor_exits_2(runner, tmp_path):
    path = tmp_path / "cut.toml"
    path.write_text('description = "x"\n[fronts.alpha.us]\nground = 0.5\n')
    result = run(runner, "-s", str(path), "--out", str(tmp_path / "out"))
    assert_clean_failure(result)
    assert (
        f"{path}: key 'fronts.alpha.us.ground' = 0.5: below the front's floor (the "
        "fronts layer's floor_ground for alpha = "
    ) in result.stderr
    assert "set `fronts.alpha.floor.ground` too (at most 0.5)" in result.stderr
    # with its own floor the cut is accepted
    path.write_text(
        'description = "x"\n[fronts.alpha.us]\nground = 0.5\n[fronts.alpha.floor]\nground = 0.2\n'
    )
    assert run(runner, "-s", str(path), "--out", str(tmp_path / "out")).exit_code == 0


def test_scenario_path_that_is_a_directory_exits_2(runner, tmp_path):
    folder = tmp_path / "mine.toml"
    folder.mkdir()
    result = run(runner, "-s", str(folder), "--out", str(tmp_path / "out"))
    assert_clean_failure(result)
    assert "is a directory" in result.stderr and ".toml file" in result.stderr


def test_infeasible_message_prints_plain_numbers(runner, tmp_path):
    path = tmp_path / "big-floor.toml"
    path.write_text('description = "x"\n[regions.Africa]\nfloor = 1000\n')
    result = run(runner, "-s", str(path), "--out", str(tmp_path / "out"))
    assert_clean_failure(result, 3)
    assert "regions.Africa.floor` = 1000 kpe" in result.stderr
    assert "e+" not in result.stderr


def test_version(runner):
    from redeploy import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"redeploy {__version__}"


def test_output_errors_name_the_target_not_a_temporary_file(tmp_path):
    from redeploy.io.atomic import write_atomic

    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "afile" / "sub" / "x.csv", "a,b\n")
    assert str(info.value) == (
        f"{tmp_path / 'afile' / 'sub'}: cannot create the output "
        f"folder: {tmp_path / 'afile'} is a file, not a folder"
    )
    (tmp_path / "taken.csv").mkdir()  # a folder where the file should go: the move fails
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "taken.csv", "a,b\n")
    assert str(info.value).startswith(f"{tmp_path / 'taken.csv'}: could not write the file: ")
    assert ".tmp" not in str(info.value)
    assert not list(tmp_path.glob(".*tmp*"))


@pytest.mark.parametrize(
    "command", [[], ["run"], ["sweep"], ["layers", "describe"], ["scenarios", "show"]]
)
def test_help_shows_flags_without_a_value_type(runner, command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "--help" in result.output and "<bool>" not in result.output
