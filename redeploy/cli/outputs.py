"""`redeploy verify`: is every set of outputs in a folder whole?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from redeploy.cli.common import app, display_path, exit_with, stdout
from redeploy.io.manifest import check_sets
from redeploy.io.stale import find_leftovers


@app.command("verify")
def verify(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder to check.")] = Path(
        "maps"
    ),
) -> None:
    """Check an output folder: every set a command published there (listed in
    .redeploy/sets/NAME.json) is complete, each of its files present with the sha256 it was
    published with, and no staging is left by a killed command (exit 2 when not)."""
    if not out.is_dir():
        exit_with(f"error: --out {out}: is not a folder", 2)
    checks = check_sets(out)
    leftovers = find_leftovers(out)
    where = display_path(out)
    if not checks:
        stdout.print(
            f"{where}: no set published by this redeploy (its manifests are in "
            f"{where}/.redeploy/sets/)",
            markup=False,
        )
    bad = []
    for check in checks:
        run = f", run id {check.run_id[:12]}" if check.run_id else ""
        if check.ok:
            n = len(check.files)
            stdout.print(f"ok   {check.name}: {n} file{'s' if n != 1 else ''}{run}", markup=False)
            continue
        bad += [f"{where}: set {check.name!r} ({check.state}{run}): {p}" for p in check.problems]
    bad += [
        f"{where}: {item.describe()}; the next redeploy command in this folder "
        + ("removes it" if item.alive is False else "keeps it while that process runs")
        for item in leftovers
    ]
    if bad:
        exit_with("\n".join(f"error: {line}" for line in bad), 2)
