"""`redeploy calibrate` and `redeploy validate`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from redeploy.cli.common import (
    CrsOpt,
    LayersOpt,
    OutOpt,
    QuietOpt,
    ScenarioOpt,
    app,
    display_path,
    exit_with,
    stderr,
    stdout,
)
from redeploy.cli.json_output import JsonOpt, print_json, validation_document
from redeploy.io.publish import claim_output

BudgetOpt = Annotated[
    int,
    typer.Option(
        "--budget",
        min=10,
        help="Evaluations of each start of the main fit (each left-out start gets half).",
    ),
]
StartsOpt = Annotated[
    int,
    typer.Option(
        "--starts", min=1, max=100, help="Seeded CMA-ES starts per fit; the lowest loss is kept."
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Processes the starts run on [default: one per core, at most one per start]; "
        "the result does not depend on it.",
        show_default=False,
    ),
]
TargetsOpt = Annotated[
    Path | None,
    typer.Option(
        "--targets",
        help="Folder of calibration targets (posture_targets.csv, engagement_targets.csv) "
        "[default: the shipped geodata/calibration].",
        show_default=False,
    ),
]


def _pct(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.0%}"


def _report(summary: dict[str, Any]) -> None:
    stdout.print(
        f"backcast overlap (military kpe by zone): [bold]{_pct(summary['overlap'])}[/bold]"
    )
    table = Table(title="by region")
    for col in ("region", "overlap", "left out", "engagement obs. $bn/yr", "model $bn/yr"):
        table.add_column(col, justify="left" if col == "region" else "right")
    left = summary.get("overlap_left_out") or {}
    groups = {
        "South America": "Americas",
        "Central America": "Americas",
        "Caribbean": "Americas",
        "Africa": "Africa",
        "Southeast Asia": "Southeast Asia",
    }
    for region, value in summary["overlap_by_region"].items():
        eng = summary["engagement_by_region"].get(region, {})
        table.add_row(
            region,
            _pct(value),
            _pct(left.get(groups.get(region, ""))),
            f"{eng.get('observed_bn', 0):.2f}",
            f"{eng.get('model_bn', 0):.2f}",
        )
    stdout.print(table)
    for check in summary["checks"]:
        mark = "[green]pass[/green]" if check["passed"] else "[red]fail[/red]"
        stdout.print(f"{check['name']} {mark}  {check['text']}", highlight=False)
    passed = sum(bool(c["passed"]) for c in summary["checks"])
    stdout.print(
        f"pattern checks on {summary.get('scenario')}: {passed} of {len(summary['checks'])} pass",
        highlight=False,
    )


@app.command("validate")
def validate(
    scenario: ScenarioOpt = "baseline",
    coefficients: Annotated[
        Path | None,
        typer.Option(
            "--coefficients",
            help="Coefficients file to evaluate (e.g. a "
            "calibrated.toml) [default: the shipped ones].",
            show_default=False,
        ),
    ] = None,
    layers: LayersOpt = None,
    crs: CrsOpt = None,
    targets: TargetsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate the coefficients without fitting: the backcast against the observed U.S.
    posture and engagement, and the seed paper's pattern checks on the scenario; write
    validation.csv, validation.json and validation.html."""
    from redeploy.workflows.calibrate import run_validate

    claim = claim_output(out)  # one writer in --out for the whole command
    with claim, stderr.status("redeploy validate", spinner="dots") if not quiet else _Null():
        output = run_validate(
            scenario,
            coefficients=coefficients,
            layers_dir=layers,
            crs=crs,
            targets_dir=targets,
            out_dir=out,
        )
    if json_out:
        print_json(validation_document("validate", output.summary, output.files.values()))
        return
    if quiet:
        return
    _report(output.summary)
    for path in output.files.values():
        stdout.print(f"wrote {display_path(path)}")


@app.command("calibrate")
def calibrate(
    out: OutOpt = Path("maps"),
    budget: BudgetOpt = 6000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of CMA-ES.")] = 0,
    starts: StartsOpt = 2,
    workers: WorkersOpt = None,
    scenario: ScenarioOpt = "baseline",
    layers: LayersOpt = None,
    crs: CrsOpt = None,
    targets: TargetsOpt = None,
    no_leave_out: Annotated[
        bool, typer.Option("--no-leave-out", help="Skip the leave-one-region-out fits.")
    ] = False,
    quiet: QuietOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Fit the assumption-only coefficients to the observed U.S. peripheral posture and
    engagement (CMA-ES), validate on left-out regions, and write calibrated.toml,
    validation.csv, validation.json and validation.html. Ctrl-C keeps the best so far."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from redeploy.workflows.calibrate import run_calibrate

    claim = claim_output(out)  # one writer in --out for the whole command
    bar = Progress(
        TextColumn("redeploy calibrate: {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("best loss {task.fields[best]}"),
        console=stderr,
        disable=quiet,
    )
    with claim, bar:
        task = bar.add_task("fits", total=None, best="–")

        def step(stage: str, done: int, total: int, best: float) -> None:
            bar.update(
                task, description=stage, completed=min(done, total), total=total, best=f"{best:.4f}"
            )

        output = run_calibrate(
            budget=budget,
            seed=seed,
            starts=starts,
            workers=workers,
            scenario=scenario,
            layers_dir=layers,
            crs=crs,
            targets_dir=targets,
            out_dir=out,
            leave_out=not no_leave_out,
            progress=step,
        )
    if output.interrupted:
        path = output.files.get("toml")
        exit_with(
            f"interrupted: the best fit so far is in {display_path(path)}"
            if path
            else "interrupted",
            130,
        )
    if json_out:
        print_json(validation_document("calibrate", output.summary, output.files.values()))
        return
    if quiet:
        return
    _report(output.summary)
    stdout.print(
        f"{output.fit.evaluations if output.fit else 0} evaluations in {output.seconds:.0f} s"
    )
    for path in output.files.values():
        stdout.print(f"wrote {display_path(path)}")


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
