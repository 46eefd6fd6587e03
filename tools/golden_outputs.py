"""Run every shipped scenario's commands and record (or check) the sha256 of every output.

`tests/test_golden_outputs.py` compares a fresh run with ``tests/data/golden_outputs.json``,
so that a refactor cannot change an output by accident. When a change of the model or of an
output format is intended, regenerate the record and commit it with the change::

    python tools/golden_outputs.py --write

The commands are those of the CLI, run in-process (typer's CliRunner): ``run`` on every
shipped scenario (map, tables, GeoPackage), ``compare baseline all-together``, ``frontier``
on baseline (5 points) and ``sweep`` of baseline-uncertain (24 samples, seed 7, one
worker, threads).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "tests" / "data" / "golden_outputs.json"
# The checkout's package, not an installed copy (an editable install of another worktree)
sys.path.insert(0, str(ROOT))

#: (label, CLI arguments after the command's output folder option).
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    *(
        (f"run {name}", ["run", "--scenario", name, "-q"])
        for name in (
            "baseline",
            "all-together",
            "hns-rise",
            "nato-3.5-now",
            "no-repricing",
            "taiwan-5",
            "baseline-uncertain",
        )
    ),
    ("compare", ["compare", "baseline", "all-together", "-q"]),
    ("frontier", ["frontier", "--scenario", "baseline", "--points", "5", "-q"]),
    (
        "sweep",
        [
            "sweep",
            "--scenario",
            "baseline-uncertain",
            "--samples",
            "24",
            "--seed",
            "7",
            "--workers",
            "1",
            "-q",
        ],
    ),
)


def _digest(folder: Path) -> dict[str, str]:
    """sha256 of every output (not of the control folder ``.redeploy/``: the lock and the
    manifests, which hold these same hashes)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] != ".redeploy"
    }


def compute(labels: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Run the commands (all, or those of `labels`) and return ``{label: {file: sha256}}``."""
    from typer.testing import CliRunner

    from redeploy.cli import app

    runner = CliRunner()
    out: dict[str, dict[str, str]] = {}
    for label, args in COMMANDS:
        if labels is not None and label not in labels:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result = runner.invoke(app, [*args, "--out", tmp])
            if result.exit_code != 0:
                msg = f"{label}: exit {result.exit_code}\n{result.output}\n{result.exception!r}"
                raise RuntimeError(msg)
            out[label] = _digest(Path(tmp))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {RECORD.name}")
    parser.add_argument(
        "--labels",
        help="check only these commands, comma-separated (e.g. 'run all-together,sweep')",
    )
    args = parser.parse_args(argv)
    labels = None if args.labels is None else [x.strip() for x in args.labels.split(",")]
    known = [label for label, _ in COMMANDS]
    unknown = sorted(set(labels or ()) - set(known))
    if unknown:
        parser.error(f"unknown label(s) {unknown}; known: {known}")
    if args.write and labels is not None:
        parser.error("--write records every command: drop --labels")
    hashes = compute(labels)
    if args.write:
        RECORD.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"wrote {RECORD.relative_to(ROOT)}")
        return 0
    recorded = json.loads(RECORD.read_text())
    if labels is not None:
        recorded = {label: recorded.get(label, {}) for label in labels}
    diff = [
        f"{label}: {name}"
        for label in sorted(set(recorded) | set(hashes))
        for name in sorted(set(recorded.get(label, {})) | set(hashes.get(label, {})))
        if recorded.get(label, {}).get(name) != hashes.get(label, {}).get(name)
    ]
    print("\n".join(diff) if diff else "every output matches the record")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
