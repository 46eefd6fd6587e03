"""Outputs as one set (`redeploy.io.publish`, `.manifest`, `.stale`): published whole with a
manifest, finished by the next command after a kill -9 at any step, stale staging removed,
`redeploy verify`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redeploy.cli import app
from redeploy.errors import OutputError
from redeploy.io import check_sets, claim_output, staged_output
from redeploy.io.lock import Owner
from redeploy.io.manifest import PUBLISHING, Manifest, hash_entry, manifest_path, write_manifest
from redeploy.io.publish import set_name

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def publish(out: Path, files: dict[str, str], *, name: str = "s", run_id: str | None = None):
    notes: list[str] = []
    with claim_output(out, report=notes.append), staged_output(out, name=name, run_id=run_id) as st:
        for file, text in files.items():
            (st / file).write_text(text)
    return notes


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_a_set_is_published_with_its_manifest(tmp_path):
    publish(tmp_path, {"s.html": "map", "s-flows.csv": "a,b\n"}, run_id="abc")
    manifest = json.loads((tmp_path / ".redeploy" / "sets" / "s.json").read_text())
    assert manifest["state"] == "complete" and manifest["run_id"] == "abc"
    assert manifest["files"]["s.html"] == hash_entry(tmp_path / "s.html")
    assert "owner" not in manifest and "stage" not in manifest  # same outputs, same manifest
    [check] = check_sets(tmp_path)
    assert check.ok and check.files == ("s-flows.csv", "s.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".redeploy", "s-flows.csv", "s.html"]
    assert (tmp_path / ".redeploy" / "lock").read_text() == ""  # no owner once released


def test_a_failed_command_publishes_nothing_and_leaves_no_trace(tmp_path):
    out = tmp_path / "new" / "out"
    with pytest.raises(RuntimeError), staged_output(out) as stage:
        (stage / "s.html").write_text("half")
        raise RuntimeError("solver failed")
    assert not (tmp_path / "new").exists()
    publish(tmp_path, {"s.html": "one"})
    with pytest.raises(RuntimeError), staged_output(tmp_path, name="s") as stage:
        (stage / "s.html").write_text("two")
        raise RuntimeError("render failed")
    assert (tmp_path / "s.html").read_text() == "one"
    assert [c.ok for c in check_sets(tmp_path)] == [True]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".redeploy-")]


def test_kill_at_every_publishing_step_leaves_one_set(tmp_path):
    """SIGKILL at each file move or folder removal of a publish (a set of 7 files and a
    folder, run B over run A), then the next command: one run's set every time."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "publish_faults.py"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    trials = [json.loads(line) for line in proc.stdout.splitlines()]
    killed = [t for t in trials if t["killed"]]
    assert len(killed) >= 10 and not trials[-1]["killed"] and trials[-1]["exit"] == 0
    for t in trials:
        assert len(t["after_recovery"]) == 1, t  # one run's files, never a mix
        assert t["set_ok"] == [True] and not t["problems"], t
        assert t["staging_left"] == [], t
        if len(t["after_kill"]["tags"]) > 1:  # a mix is never left unmarked
            assert t["after_kill"]["state"] == "publishing", t
    mixed = [t for t in killed if len(t["after_kill"]["tags"]) > 1]
    assert len(mixed) >= 5  # the kills did land between moves
    assert all(t["after_recovery"] == ["B"] for t in mixed)
    assert all(any("finished publishing set 's'" in n for n in t["notes"]) for t in mixed)
    before_commit = [t for t in killed if t["after_kill"]["state"] == "complete"]
    assert before_commit and before_commit[0]["after_recovery"] == ["A"]
    assert any("removed the staging folder" in n for n in before_commit[0]["notes"])


def _half_published(out: Path, owner: Owner, *, stage: str | None) -> None:
    """A manifest left in state publishing: s.html new, s.csv still the old one."""
    (out / "s.html").write_text("new")
    (out / "s.csv").write_text("old")
    files = {"s.html": hash_entry(out / "s.html"), "s.csv": {"kind": "file", "sha256": "0" * 64}}
    manifest = Manifest("s", PUBLISHING, files, "run-b", stage=stage, owner=owner.to_json())
    write_manifest(manifest_path(out, "s"), manifest)


def test_a_half_published_set_without_its_staging_is_reported_incomplete(tmp_path, runner):
    owner = Owner(dead_pid(), Owner.me().host, "redeploy run", "earlier")
    _half_published(tmp_path, owner, stage=".redeploy-stage-1-gone")
    notes = publish(tmp_path, {"t.html": "other set"}, name="t")
    assert any("set 's' (run id run-b) is incomplete" in n and "s.csv" in n for n in notes)
    [s, t] = check_sets(tmp_path)
    assert s.state == "incomplete" and not s.ok and t.ok
    result = runner.invoke(app, ["verify", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "set 's' (incomplete, run id run-b): s.csv is not the file" in result.output
    assert "ok   t: 1 file\n" in result.output
    publish(tmp_path, {"s.html": "new", "s.csv": "new"})  # running the command again
    assert all(c.ok for c in check_sets(tmp_path))
    assert runner.invoke(app, ["verify", "--out", str(tmp_path)]).exit_code == 0


def test_a_set_being_published_by_a_live_process_is_left_alone(tmp_path, sleeper):
    owner = Owner(sleeper.pid, Owner.me().host, "redeploy sweep", "now")
    stage = tmp_path / ".redeploy-stage-x"
    stage.mkdir()
    (stage / "s.csv").write_text("new")
    _half_published(tmp_path, owner, stage=stage.name)
    notes = publish(tmp_path, {"t.html": "x"}, name="t")
    assert any(f"set 's' is being published by process {sleeper.pid}" in n for n in notes)
    assert (stage / "s.csv").exists() and (tmp_path / "s.csv").read_text() == "old"


def _stage(out: Path, name: str, owner: Owner | None = None, size: int = 5000) -> Path:
    path = out / name
    path.mkdir()
    (path / "x.gpkg").write_bytes(b"0" * size)
    if owner is not None:
        (path / ".redeploy-owner.json").write_text(json.dumps(owner.to_json()))
    return path


def test_stale_staging_is_removed_and_a_live_process_keeps_its_own(tmp_path, sleeper):
    me = Owner.me()
    gone = dead_pid()
    dead = _stage(tmp_path, f".redeploy-stage-{gone}-a1", Owner(gone, me.host, "redeploy run", "t"))
    no_owner_file = _stage(tmp_path, f".redeploy-stage-{dead_pid()}-b2")
    temp = tmp_path / f".s-flows.{gone}-0123abcd.tmp.csv"
    temp.write_text("half")
    old = _stage(tmp_path, ".redeploy-stage-legacy")  # redeploy 0.1: no pid in the name
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    recent_legacy = _stage(tmp_path, ".redeploy-old-recent")
    live = _stage(
        tmp_path, f".redeploy-stage-{sleeper.pid}-c3", Owner(sleeper.pid, me.host, "x", "t")
    )
    other_host = _stage(tmp_path, ".redeploy-stage-1-d4", Owner(1, "elsewhere", "x", "t"))
    notes = publish(tmp_path, {"s.html": "x"})
    for path in (dead, no_owner_file, temp, old):
        assert not path.exists(), path
        assert any(
            f"removed the {'staging folder' if path != temp else 'temporary file'} {path.name}" in n
            for n in notes
        ), (path, notes)
    assert any(f"{dead.name} (5.0 kB) left by process {gone} (`redeploy run`" in n for n in notes)
    for path in (live, other_host, recent_legacy):
        assert path.exists()
        assert any(f"kept the staging folder {path.name}" in n for n in notes), (path, notes)


def test_a_folder_output_replaces_the_earlier_folder_whole(tmp_path):
    with staged_output(tmp_path, name="s") as stage:
        (stage / "s-geojson").mkdir()
        (stage / "s-geojson" / "old.geojson").write_text("{}")
    with staged_output(tmp_path, name="s") as stage:
        (stage / "s-geojson").mkdir()
        (stage / "s-geojson" / "new.geojson").write_text("{}")
    assert [p.name for p in (tmp_path / "s-geojson").iterdir()] == ["new.geojson"]
    assert [c.ok for c in check_sets(tmp_path)] == [True]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".redeploy-")]


def test_a_set_takes_over_the_files_it_rewrites_from_other_sets(tmp_path):
    publish(tmp_path, {"calibrated.toml": "c", "validation.csv": "1"}, name="calibrated")
    publish(tmp_path, {"validation.csv": "2"}, name="validation")
    checks = {c.name: c for c in check_sets(tmp_path)}
    assert checks["calibrated"].files == ("calibrated.toml",) and checks["calibrated"].ok
    assert checks["validation"].files == ("validation.csv",) and checks["validation"].ok


def test_files_an_earlier_run_wrote_and_this_one_did_not_are_named(tmp_path):
    publish(tmp_path, {"s.html": "1", "s.png": "1", "s.gpkg": "1"})
    notes = publish(tmp_path, {"s.html": "2"})
    assert notes == [
        f"{tmp_path}: s.gpkg, s.png are left from an earlier run of 's' that this run did "
        "not rewrite; they are not part of its set (.redeploy/sets/s.json)"
    ]
    [check] = check_sets(tmp_path)
    assert check.files == ("s.html",) and check.ok


def test_set_names():
    names = ["baseline.html", "baseline-flows.csv", "baseline-summary.json", "baseline.gpkg"]
    assert set_name(names) == "baseline"
    assert set_name(["x-frontier.csv", "x-frontier.png", "x-frontier.html"]) == "x-frontier"
    assert set_name(["a-vs-b.html", "a-vs-b.csv"]) == "a-vs-b"
    assert set_name(["calibrated.toml", "validation.csv"]) == "calibrated"
    assert set_name(["x-sweep-partial.parquet"]) == "x-sweep-partial"


def test_verify_names_a_changed_file_and_leftover_staging(tmp_path, runner):
    publish(tmp_path, {"s.html": "map", "s.csv": "a"}, run_id="r1")
    ok = runner.invoke(app, ["verify", "--out", str(tmp_path)])
    assert ok.exit_code == 0 and "ok   s: 2 files, run id r1" in ok.output
    (tmp_path / "s.csv").write_text("edited")
    _stage(tmp_path, f".redeploy-stage-{dead_pid()}-zz")
    bad = runner.invoke(app, ["verify", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "set 's' (complete, run id r1): s.csv is not the file this set published" in bad.output
    assert "staging folder .redeploy-stage-" in bad.output and "removes it" in bad.output
    assert runner.invoke(app, ["verify", "--out", str(tmp_path / "nope")]).exit_code == 2


def test_a_stage_that_cannot_be_made_is_an_output_error(tmp_path, monkeypatch):
    def refuse(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("redeploy.io.publish.tempfile.mkdtemp", refuse)
    with pytest.raises(OutputError, match="cannot create a staging folder there"):
        publish(tmp_path, {"s.html": "x"})


MODEL_DATA = ROOT / "tests" / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"
#: `redeploy` with `os.replace` killing the process (SIGKILL) at its KILL_AT_MOVE-th move of
#: a staged output into --out.
KILLED_CLI = """
import os, signal, sys
real = os.replace
moves = [0]
def replace(src, dst, *args, **kwargs):
    if ".redeploy-stage-" in str(src) and ".redeploy-stage-" not in str(dst):
        moves[0] += 1
        if moves[0] == int(os.environ["KILL_AT_MOVE"]):
            os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *args, **kwargs)
os.replace = replace
from redeploy.cli import main
sys.argv = ["redeploy", *sys.argv[1:]]
main()
"""


def test_redeploy_run_killed_between_two_moves_is_finished_by_the_next_run(tmp_path, runner):
    out = tmp_path / "out"
    variant = tmp_path / "variant.toml"  # other figures, same name: the same files
    variant.write_text('name = "small"\n' + SMALL.read_text().replace("= 3.0", "= 4.0", 1))
    args = ["run", "--layers", str(MODEL_DATA), "--out", str(out), "--format", "csv", "-q"]
    assert runner.invoke(app, [*args, "-s", str(SMALL)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_CLI, *args, "-s", str(variant)],
        env={**ENV, "KILL_AT_MOVE": "3"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    changed = sorted(name for name in before if after[name] != before[name])
    assert len(changed) == 2  # two of the seven files are new: a mixed folder...
    [check] = check_sets(out)
    assert check.state == "publishing" and not check.ok  # ...that says so
    verify = runner.invoke(app, ["verify", "--out", str(out)])
    assert verify.exit_code == 2 and "being published by process" in verify.output
    again = runner.invoke(app, [*args, "-s", str(variant)])
    assert again.exit_code == 0, again.output
    assert "finished publishing set 'small'" in again.stderr
    assert "moved the last 5 of its 7 files" in again.stderr
    assert runner.invoke(app, ["verify", "--out", str(out)]).exit_code == 0
    assert not [p for p in out.iterdir() if p.name.startswith(".redeploy-")]
    summary = json.loads((out / "small-summary.json").read_text())
    assert (
        summary["run_id"]
        == check_sets(out)[0].run_id
        != json.loads(before["small-summary.json"])["run_id"]
    )


def _failing_move(monkeypatch, error: BaseException, at: int) -> None:
    """Make the `at`-th move of a staged output into the folder raise `error`."""
    real = os.replace
    moves = [0]

    def replace(src, dst, *args, **kwargs):
        if ".redeploy-stage-" in str(src) and ".redeploy-stage-" not in str(dst):
            moves[0] += 1
            if moves[0] == at:
                raise error
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr("redeploy.io.publish.os.replace", replace)


FIVE = {f"s-{i}.csv": "new" for i in range(5)}


def test_ctrl_c_between_two_moves_still_publishes_the_whole_set(tmp_path, monkeypatch):
    publish(tmp_path, dict.fromkeys(FIVE, "old"))
    _failing_move(monkeypatch, KeyboardInterrupt(), at=3)
    with pytest.raises(KeyboardInterrupt):
        publish(tmp_path, FIVE)
    assert {(tmp_path / n).read_text() for n in FIVE} == {"new"}
    assert [c.ok for c in check_sets(tmp_path)] == [True]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".redeploy-")]


def test_a_move_that_fails_keeps_the_staging_for_the_next_command(tmp_path, monkeypatch):
    publish(tmp_path, dict.fromkeys(FIVE, "old"))
    _failing_move(monkeypatch, OSError(28, "No space left on device"), at=3)
    with pytest.raises(OutputError, match=r"s-2.csv: could not move the output into place: No sp"):
        publish(tmp_path, FIVE)
    assert {(tmp_path / n).read_text() for n in FIVE} == {"old", "new"}  # a mix...
    [check] = check_sets(tmp_path)
    assert check.state == "publishing" and not check.ok  # ...that says so
    monkeypatch.undo()
    notes = publish(tmp_path, {"t.csv": "x"}, name="t")  # the next command, same process
    assert any("finished publishing set 's'" in n and "last 3 of its 5" in n for n in notes)
    assert {(tmp_path / n).read_text() for n in FIVE} == {"new"}
    assert all(c.ok for c in check_sets(tmp_path))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".redeploy-")]


def test_an_output_that_cannot_be_written_is_named_where_it_goes(tmp_path):
    from redeploy.io import write_atomic

    with pytest.raises(OutputError) as info, staged_output(tmp_path / "out") as stage:
        (stage / "s.csv").mkdir()  # the write fails, as on a full disk
        write_atomic(stage / "s.csv", "a,b\n")
    assert str(info.value).startswith(f"{tmp_path / 'out' / 's.csv'}: could not write the file")
    assert ".redeploy-stage-" not in str(info.value)
    assert not (tmp_path / "out").exists()
