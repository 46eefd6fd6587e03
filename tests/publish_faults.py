"""Kill a publishing process (SIGKILL) at every step, then let the next command recover.

Run as a script, in a fresh process (it forks: one child per trial, each killed at its
k-th file move or folder removal)::

    python tests/publish_faults.py OUT

It prints one JSON line per trial: the step, whether the child was killed, the runs whose
files the folder held right after the kill and the manifest's state then, the runs whose
files it holds once the next command has recovered, the set's check and what is left in
staging. `tests/test_publish.py` runs it; every trial must end with one run's files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

from redeploy.io import check_sets, claim_output, staged_output, write_atomic
from redeploy.io.manifest import manifest_path, read_manifest

#: The set: seven files and one folder (replaced whole), like `redeploy run --format csv,geojson`.
FILES = [f"s-{n}.csv" for n in ("flows", "fronts", "zones", "ledger", "allies", "extra")]
FILES.append("s-summary.json")
FOLDER = "s-geojson"


def write_set(folder: Path, tag: str) -> None:
    """Write every file of the set, each holding `tag` (the run that wrote it)."""
    for i, name in enumerate(FILES):
        text = f"{tag}\n" + "x" * 2000
        if i < 2:  # as the tables are: moved into the staging folder once written
            write_atomic(folder / name, text)
        else:
            (folder / name).write_text(text, encoding="utf-8")
    sub = folder / FOLDER
    sub.mkdir()
    for name in ("a.geojson", "b.geojson"):
        (sub / name).write_text(f"{tag}\n", encoding="utf-8")


def publish(out: Path, tag: str) -> None:
    """One command: stage the set written by run `tag`, then publish it."""
    with staged_output(out, name="s", run_id=tag) as stage:
        write_set(stage, tag)


def tags(out: Path) -> list[str]:
    """The runs whose files the folder holds (one entry when it holds one run's set)."""
    found = set()
    for name in FILES:
        path = out / name
        found.add(path.read_text(encoding="utf-8").split("\n")[0] if path.exists() else "-")
    for path in (out / FOLDER).glob("*.geojson"):
        found.add(path.read_text(encoding="utf-8").strip())
    return sorted(found)


def _child(out: Path, kill_at: int) -> None:
    calls = [0]
    real_replace, real_rmtree = os.replace, shutil.rmtree

    def step() -> None:
        calls[0] += 1
        if calls[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def replace(*args, **kwargs):
        step()
        return real_replace(*args, **kwargs)

    def rmtree(*args, **kwargs):
        step()
        return real_rmtree(*args, **kwargs)

    os.replace = replace
    shutil.rmtree = rmtree
    try:
        publish(out, "B")
    except BaseException:
        os._exit(1)
    os._exit(0)


def trial(out: Path, kill_at: int) -> dict[str, object]:
    """Publish run B over run A, killed at step `kill_at`; then recover as the next command."""
    pid = os.fork()
    if pid == 0:
        _child(out, kill_at)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    manifest = read_manifest(manifest_path(out, "s"))
    after_kill = {"tags": tags(out), "state": manifest.state if manifest else None}
    notes: list[str] = []
    with claim_output(out, report=notes.append):
        pass  # the next command: it finishes or clears what the killed one left
    checks = check_sets(out)
    return {
        "step": kill_at,
        "killed": killed,
        "exit": None if killed else os.WEXITSTATUS(status),
        "after_kill": after_kill,
        "after_recovery": tags(out),
        "set_ok": [c.ok for c in checks],
        "problems": [p for c in checks for p in c.problems],
        "staging_left": sorted(p.name for p in out.iterdir() if p.name.startswith(".redeploy-")),
        "notes": notes,
    }


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    step = 1
    while True:
        publish(out, "A")
        result = trial(out, step)
        print(json.dumps(result), flush=True)
        if not result["killed"]:
            break
        step += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]))
