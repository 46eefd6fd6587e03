"""`redeploy frontier` and `redeploy sweep`."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from redeploy.cli.common import (
    AddLayerOpt,
    CrsOpt,
    LayerOpt,
    LayersOpt,
    OutOpt,
    QuietOpt,
    ScenarioOpt,
    app,
    display_path,
    exit_with,
    layer_options,
    stderr,
    stdout,
)
from redeploy.cli.json_output import JsonOpt, frontier_document, print_json, sweep_document
from redeploy.errors import OutputError
from redeploy.io.atomic import check_out_dir
from redeploy.io.publish import claim_output
from redeploy.schemas import RISK_CHANNELS

if TYPE_CHECKING:
    from redeploy.model.frontier import Frontier
    from redeploy.workflows.sweep import SweepOutput


@app.command("frontier")
def frontier(
    scenario: ScenarioOpt = "baseline",
    points: Annotated[
        int, typer.Option("--points", "-n", min=2, help="Number of λ values (0 included).")
    ] = 15,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            "-c",
            show_default=False,
            help="Sweep one risk channel's weight (the others at the scenario's values): "
            "credibility, fragmentation, opportunism, counter_alignment, autonomy, "
            "proliferation, backlash or trade [default: the common multiplier λ of all]. "
            "Files are then named NAME-frontier-CHANNEL.*.",
        ),
    ] = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    add_layer: AddLayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Sweep the risk weight λ (or one channel's) and write NAME-frontier.csv,
    NAME-frontier.png (net value against risk) and NAME-frontier.html (the chart beside the
    map of the chosen point, with the channel that weighs most at each point)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from redeploy.workflows.frontier import run_frontier

    if channel is not None and channel not in RISK_CHANNELS:
        close = difflib.get_close_matches(channel, RISK_CHANNELS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        exit_with(
            f"error: --channel {channel!r} is not a risk channel.{hint} "
            f"Allowed: {', '.join(RISK_CHANNELS)}.",
            2,
        )
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
    claim = claim_output(out)  # one writer in --out for the whole command
    bar = Progress(
        TextColumn("redeploy frontier: {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr,
        disable=quiet,
    )
    with claim, bar:
        task = bar.add_task("building the model", total=points + 1)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        output = run_frontier(
            scenario,
            points=points,
            layers_dir=layers,
            layer_overrides=overrides,
            layer_additions=additions,
            crs=crs,
            out_dir=out,
            progress=step,
            channel=channel,
        )
        files = list(output.files.values())
    if as_json:
        print_json(frontier_document(output))
    elif not quiet:
        _print_frontier(output.frontier, files)


def _print_frontier(fr: Frontier, files: list[Path]) -> None:
    """The frontier's table, the scenario's own point and the files written, on stdout."""
    from redeploy.model.frontier import lambda_label

    swept = "λ" if fr.channel is None else f"λ_{fr.channel}"
    table = Table(title=f"value-risk frontier · {fr.scenario} · {swept} ($bn-eq/yr)")
    for col in (swept, "net value", "risk", "released kpe", "top channel", "dominated"):
        table.add_column(col, justify="right")
    for row in fr.table.to_dict("records"):
        table.add_row(
            lambda_label(row["lambda"]),
            f"{row['net_value']:.3f}",
            f"{row['risk']:.3f}",
            f"{row['released_kpe']:.2f}",
            str(row.get("top_channel", "")),
            "yes" if row["dominated"] else "",
        )
    stdout.print(table)
    own = fr.scenario_row
    stdout.print(
        f"scenario's own λ = {lambda_label(fr.scenario_lambda)}: net value "
        f"{own['net_value']:.3f}, risk {own['risk']:.3f}"
    )
    for path in files:
        stdout.print(f"wrote {display_path(path)}")


WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        show_default=False,
        help="Worker processes of the local Dask cluster [default: cores].",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        show_default=False,
        help="Address of a running Dask scheduler (tcp://host:8786) instead of a local cluster.",
    ),
]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        show_default=False,
        help="Samples per task [default: samples / (4 x workers), 16 to 512].",
    ),
]


@app.command("sweep")
def sweep(
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, help="Number of samples.")],
    scenario: ScenarioOpt = "baseline-uncertain",
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed: sample i depends only on (seed, i).")
    ] = 0,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="How samples are laid out: random (sample i depends only on (seed, i)), "
            "latin-hypercube or sobol (scipy.stats.qmc; spread more evenly, seeded).",
        ),
    ] = "random",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    batch_size: BatchSizeOpt = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    add_layer: AddLayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Sample the scenario's [uncertain] parameters, solve each sample on Dask and write
    NAME-sweep.parquet (every sample), NAME-sweep-summary.csv and NAME-sweep.html (the
    robustness map). Ctrl-C keeps the completed samples (exit 130)."""
    from redeploy.scenario import SAMPLING_METHODS, load_scenario
    from redeploy.workflows.sweep import SweepInterrupted, run_sweep

    if method not in SAMPLING_METHODS:
        raise typer.BadParameter(
            f"{method!r}; use one of {', '.join(SAMPLING_METHODS)}", param_hint="--method"
        )
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
    check_out_dir(out)  # run_sweep holds --out from its first part file
    cluster_checks(workers, scheduler)
    sc = load_scenario(scenario)
    if not sc.uncertain and not quiet:
        stderr.print(
            f"note: scenario {sc.name!r} has no [uncertain] table, so every sample "
            "is the central run (see docs/sweeps.md or baseline-uncertain).",
            markup=False,
        )
    try:
        output = run_sweep(
            sc,
            samples=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            batch_size=batch_size,
            layers_dir=layers,
            layer_overrides=overrides,
            layer_additions=additions,
            crs=crs,
            out_dir=out,
            progress=not quiet,
            method=method,  # type: ignore[arg-type]  # checked against SAMPLING_METHODS
        )
    except OSError as err:
        if scheduler is None or isinstance(err, OutputError):
            raise
        exit_with(f"error: --scheduler {scheduler}: cannot use the Dask scheduler there: {err}", 2)
    except SweepInterrupted as stop:
        part = stop.output
        path = part.files.get("parquet")
        where = f" in {display_path(path)}" if path else ""
        exit_with(
            f"interrupted: {part.completed:,} of {part.samples:,} samples kept{where} "
            "(no summary or map written).",
            130,
        )
    if as_json:
        print_json(sweep_document(output))
    elif not quiet:
        _report_sweep(output)


def cluster_checks(workers: int | None, scheduler: str | None) -> None:
    """Refuse --workers with --scheduler, and a scheduler that cannot be reached."""
    from redeploy.workflows.cluster import check_scheduler

    if workers is not None and scheduler is not None:
        raise typer.BadParameter("give --workers or --scheduler, not both", param_hint="--workers")
    if scheduler is not None:
        check_scheduler(scheduler)


def _report_sweep(output: SweepOutput) -> None:
    """Print what a sweep solved, its objective's quantiles and the files written."""
    ok = output.completed - output.failed
    rate = output.completed / max(output.solve_seconds, 1e-9)
    not_solved = "".join(f", {n:,} {status}" for status, n in output.not_solved.items())
    if not_solved:
        not_solved += " (see the parquet's status column)"
    stdout.print(
        f"[bold]{output.plan.name}[/bold]: {ok:,} of {output.samples:,} samples "
        f"solved{not_solved} on {output.workers} worker(s) in batches of "
        f"{output.batch_size}; {output.solve_seconds:.1f} s solving "
        f"({rate:,.0f} samples/s), {output.seconds:.1f} s in all"
    )
    summary = output.summary
    if summary is not None:
        table = Table(title="objective ($bn-eq/yr)")
        for col in ("part", "mean", "p5", "p50", "p95"):
            table.add_column(col, justify="right" if col != "part" else "left")
        for rec in summary[summary["kind"] == "objective"].to_dict("records"):
            table.add_row(
                str(rec["metric"]), *(f"{rec[k]:.3f}" for k in ("mean", "p5", "p50", "p95"))
            )
        stdout.print(table)
    for path in output.files.values():
        stdout.print(f"wrote {display_path(path)}")
