"""Fault injection on `redeploy run`: kill -9 at every publishing step, and two runs at once.

``kill``: a folder holds the complete set of run X; run Y (same scenario name, other figures,
so the same file names) is killed with SIGKILL at its k-th step, a step being any file move
(``os.replace``: a file written into the staging folder, the manifest, each output moved into
``--out``) or folder removal (``shutil.rmtree``), for k = 1, 2, ... until a run completes.
After each kill, ``redeploy run`` (run Y again) and ``redeploy verify``; the next trial swaps
X and Y. Each file is classified by comparing its sha256 with clean runs of X and Y.

``concurrent``: two ``redeploy run --out same/`` started together (A and B), N times, with
``REDEPLOY_LOCK_WAIT`` unset (the second should exit 2 naming the first) and with it set
(both should publish, one after the other).

    python benchmarks/bench_publish.py kill
    python benchmarks/bench_publish.py concurrent --trials 20
    python benchmarks/bench_publish.py kill --shipped   # shipped layers, baseline (slow)

Prints one JSON line per trial and a summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tests" / "data" / "model"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

KILLED = """
import os, shutil, signal, sys
steps = [0]
def step():
    steps[0] += 1
    if steps[0] == int(os.environ["KILL_AT_STEP"]):
        os.kill(os.getpid(), signal.SIGKILL)
real_replace, real_rmtree = os.replace, shutil.rmtree
def replace(*a, **k):
    step()
    return real_replace(*a, **k)
def rmtree(*a, **k):
    step()
    return real_rmtree(*a, **k)
os.replace, shutil.rmtree = replace, rmtree
from redeploy.cli import main
sys.argv = ["redeploy", *sys.argv[1:]]
main()
"""


def scenarios(work: Path, shipped: bool) -> tuple[list[str], dict[str, list[str]]]:
    """Layer arguments and the two scenarios' arguments (same name, other figures)."""
    if shipped:
        variant = work / "variant.toml"
        variant.write_text(
            'extends = "baseline"\nname = "baseline"\n\n[fronts.korea]\ndefense_pct_gdp = 3.0\n'
        )
        return [], {"A": ["-s", "baseline"], "B": ["-s", str(variant)]}
    small = MODEL / "scenarios" / "small.toml"
    variant = work / "variant.toml"
    variant.write_text('name = "small"\n' + small.read_text().replace("= 3.0", "= 4.0", 1))
    return ["--layers", str(MODEL)], {"A": ["-s", str(small)], "B": ["-s", str(variant)]}


def redeploy(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redeploy", *args],
        env={**ENV, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def classify(folder: Path, clean: dict[str, dict[str, str]]) -> dict[str, int]:
    """How many of the set's files are run A's, run B's, missing or neither."""
    now = digests(folder)
    counts = {"A": 0, "B": 0, "missing": 0, "other": 0}
    for name in clean["A"]:
        got = now.get(name)
        key = next((t for t in ("A", "B") if clean[t][name] == got), None)
        counts[key or ("missing" if got is None else "other")] += 1
    return counts


def staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".redeploy-"))


def kill_trials(work: Path, shipped: bool) -> list[dict[str, object]]:
    layers, runs = scenarios(work, shipped)
    clean = {}
    for tag, scenario in runs.items():
        folder = work / f"clean-{tag}"
        proc = redeploy(["run", *layers, *scenario, "--out", str(folder), "-q"])
        assert proc.returncode == 0, proc.stderr
        clean[tag] = digests(folder)
    out = work / "out"
    shutil.copytree(work / "clean-A", out)
    results = []
    k = 1
    while True:
        x = "B" if k % 2 else "A"
        args = ["run", *layers, *runs[x], "--out", str(out), "-q"]
        t0 = time.perf_counter()
        killed = subprocess.run(
            [sys.executable, "-c", KILLED, *args],
            env={**ENV, "KILL_AT_STEP": str(k)},
            capture_output=True,
            text=True,
            check=False,
        )
        after_kill = classify(out, clean)
        left = staging(out)
        verify_killed = redeploy(["verify", "--out", str(out)])
        again = redeploy(args)
        verify = redeploy(["verify", "--out", str(out)])
        final = classify(out, clean)
        result = {
            "step": k,
            "run": x,
            "killed": killed.returncode == -9,
            "after_kill": after_kill,
            "staging_after_kill": left,
            "verify_after_kill": verify_killed.returncode,
            "rerun_exit": again.returncode,
            "notes": [line for line in again.stderr.splitlines() if line.startswith("note:")],
            "final": final,
            "one_set": final[x] == len(clean[x]),
            "verify": verify.returncode,
            "staging_left": staging(out),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(json.dumps(result), flush=True)
        results.append(result)
        if killed.returncode != -9:
            break
        k += 1
    return results


def concurrent_trials(work: Path, trials: int, wait: str) -> list[dict[str, object]]:
    layers, runs = scenarios(work, shipped=False)
    clean = {}
    for tag, scenario in runs.items():
        folder = work / f"clean-{tag}"
        if not folder.exists():
            assert redeploy(["run", *layers, *scenario, "--out", str(folder), "-q"]).returncode == 0
        clean[tag] = digests(folder)
    results = []
    for i in range(trials):
        out = work / f"same-{wait}-{i}"
        env = {**ENV, "REDEPLOY_LOCK_WAIT": wait}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "redeploy", "run", *layers, *runs[t], "--out", str(out)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for t in ("A", "B")
        ]
        errs = [p.communicate()[1] for p in procs]
        final = classify(out, clean)
        verify = redeploy(["verify", "--out", str(out)])
        result = {
            "trial": i,
            "wait": wait,
            "exits": [p.returncode for p in procs],
            "message": next((e.strip() for e in errs if "another redeploy" in e), ""),
            "final": final,
            "one_set": max(final["A"], final["B"]) == len(clean["A"]),
            "verify": verify.returncode,
            "staging_left": staging(out),
        }
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["kill", "concurrent"])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--shipped", action="store_true", help="shipped layers, baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.mode == "kill":
            results = kill_trials(work, args.shipped)
            killed = [r for r in results if r["killed"]]
            mixed = [r for r in killed if r["after_kill"]["A"] and r["after_kill"]["B"]]
            print(
                f"summary: {len(killed)} kills at every step; mixed right after the kill: "
                f"{len(mixed)} (verify exit 2 for {sum(r['verify_after_kill'] == 2 for r in mixed)}"
                f"); after the next run: {sum(not r['one_set'] for r in results)} not one set, "
                f"{sum(r['verify'] != 0 for r in results)} failing verify, "
                f"{sum(bool(r['staging_left']) for r in results)} with staging left"
            )
        else:
            for wait in ("0", "300"):
                results = concurrent_trials(work, args.trials, wait)
                exits: dict[str, int] = {}
                for r in results:
                    key = str(sorted(r["exits"]))
                    exits[key] = exits.get(key, 0) + 1
                print(
                    f"summary (REDEPLOY_LOCK_WAIT={wait}): {len(results)} trials, exits "
                    f"{exits}; not one set: {sum(not r['one_set'] for r in results)}; failing "
                    f"verify: {sum(r['verify'] != 0 for r in results)}; staging left: "
                    f"{sum(bool(r['staging_left']) for r in results)}"
                )


if __name__ == "__main__":
    main()
