"""One writer per output folder (`redeploy.io.lock`): a second command waits a bounded time
or exits 2 naming the first; concurrent commands never mix their files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from redeploy.cli import app
from redeploy.errors import OutputBusyError, OutputError
from redeploy.io import check_sets, claim_output, staged_output
from redeploy.io.lock import lock_wait

ROOT = Path(__file__).resolve().parent.parent
MODEL_DATA = ROOT / "tests" / "data" / "model"
SMALL = MODEL_DATA / "scenarios" / "small.toml"


class Holder:
    """Hold a folder's claim from another thread until `release`."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.held = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.held.wait(10)

    def _run(self) -> None:
        with claim_output(self.out, report=lambda _m: None):
            self.held.set()
            self.done.wait(30)

    def release(self) -> None:
        self.done.set()
        self.thread.join(10)


@pytest.fixture
def holder(tmp_path):
    h = Holder(tmp_path)
    yield h
    h.release()


def test_a_second_writer_is_refused_naming_the_first(holder, tmp_path, monkeypatch):
    monkeypatch.delenv("REDEPLOY_LOCK_WAIT", raising=False)
    with pytest.raises(OutputBusyError) as info, staged_output(tmp_path) as stage:
        (stage / "s.html").write_text("x")
    message = str(info.value)
    assert f"{tmp_path}: another redeploy command is writing into this folder" in message
    assert f"process {os.getpid()} (`" in message and "holds its lock" in message
    assert str(tmp_path / ".redeploy" / "lock") in message and "REDEPLOY_LOCK_WAIT" in message
    assert not (tmp_path / "s.html").exists()


def test_the_cli_exits_2_while_another_command_writes(holder, tmp_path, runner, monkeypatch):
    monkeypatch.delenv("REDEPLOY_LOCK_WAIT", raising=False)
    args = ["run", "--layers", str(MODEL_DATA), "-s", str(SMALL), "--out", str(tmp_path), "-q"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "another redeploy command is writing into this folder" in result.output
    assert f"process {os.getpid()}" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".redeploy"]


def test_a_writer_waits_for_the_lock_when_asked(holder, tmp_path, monkeypatch):
    monkeypatch.setenv("REDEPLOY_LOCK_WAIT", "20")
    threading.Timer(0.5, holder.release).start()
    with staged_output(tmp_path, name="s") as stage:
        (stage / "s.html").write_text("x")
    assert (tmp_path / "s.html").read_text() == "x"


def test_a_bounded_wait_ends_with_the_same_message(holder, tmp_path):
    with (
        pytest.raises(OutputBusyError, match=r"\(waited 0.3 s\)"),
        claim_output(tmp_path, wait=0.3),
    ):
        pass


def test_the_lock_is_reentrant_within_a_thread(tmp_path):
    with claim_output(tmp_path) as outer, claim_output(tmp_path) as inner:
        assert inner is outer
        with staged_output(tmp_path, name="s") as stage:
            (stage / "s.csv").write_text("1")
    assert [c.ok for c in check_sets(tmp_path)] == [True]
    with claim_output(tmp_path, wait=0):  # released
        pass


@pytest.mark.parametrize("value", ["soon", "-1", "inf"])
def test_a_bad_lock_wait_is_refused(monkeypatch, value):
    monkeypatch.setenv("REDEPLOY_LOCK_WAIT", value)
    with pytest.raises(OutputError, match=rf"REDEPLOY_LOCK_WAIT='{value}': must be a number"):
        lock_wait()


WRITER = """
import sys, time
from pathlib import Path
from redeploy.errors import OutputBusyError
from redeploy.io import staged_output

out, tag = Path(sys.argv[1]), sys.argv[2]
(out.parent / f"ready-{tag}").touch()  # both processes start publishing together
while len(list(out.parent.glob("ready-*"))) < 2:
    time.sleep(0.01)
try:
    with staged_output(out, name="s") as stage:
        for i in range(7):
            (stage / f"s-{i}.csv").write_text(tag)
            time.sleep(0.05)  # a slow command: the other one starts meanwhile
except OutputBusyError as err:
    print(err, file=sys.stderr)
    sys.exit(2)
"""


def _writers(out: Path, wait: str) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDEPLOY_LOCK_WAIT": wait}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(out), tag],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("A", "B")
    ]
    done = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=60)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return done


def _tags(out: Path) -> set[str]:
    return {(out / f"s-{i}.csv").read_text() for i in range(7)}


def test_two_processes_at_once_one_set_and_a_clear_message(tmp_path):
    results = _writers(tmp_path / "out", "0")
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 2], [r.stderr for r in results]
    for r in results:
        if r.returncode == 2:
            assert "another redeploy command is writing into this folder" in r.stderr
            assert "holds its lock" in r.stderr and "process " in r.stderr
    out = tmp_path / "out"
    assert len(_tags(out)) == 1 and [c.ok for c in check_sets(out)] == [True]


def test_two_processes_that_wait_both_publish_one_after_the_other(tmp_path):
    results = _writers(tmp_path / "out", "30")
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    out = tmp_path / "out"
    assert len(_tags(out)) == 1 and [c.ok for c in check_sets(out)] == [True]
