"""`redeploy sensitivity` and `redeploy discover`: which assumptions drive the answer, and
under which conditions it flips (docs/uncertainty.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from redeploy.cli.analysis import BatchSizeOpt, SchedulerOpt, WorkersOpt, cluster_checks
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
    stdout,
)
from redeploy.io.atomic import check_out_dir

if TYPE_CHECKING:
    from redeploy.analysis.results import SensitivityOutput

SeedOpt = Annotated[
    int, typer.Option("--seed", min=0, help="Seed of the design (same seed, same outputs).")
]


@app.command("sensitivity")
def sensitivity(
    scenario: ScenarioOpt = "baseline-uncertain",
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="sobol (first-order S1 and total ST indices; --samples a power of 2) or "
            "morris (elementary effects mu* and sigma; cheaper).",
        ),
    ] = "sobol",
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            "-n",
            min=2,
            help="Base size N of the design: Sobol' solves N x (D + 2), Morris N x (D + 1), "
            "D the scenario's uncertain parameters.",
        ),
    ] = 512,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    batch_size: BatchSizeOpt = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    add_layer: AddLayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
) -> None:
    """Rank the scenario's [uncertain] parameters by how much each drives every outcome
    (SALib, on Dask): NAME-sensitivity.csv, .png (the ranking chart) and .html (the chart
    and the ranking beside the central run's map); the top three drivers of each regional
    total on the terminal."""
    from redeploy.workflows.uncertainty import run_sensitivity

    cluster_checks(workers, scheduler)
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
    check_out_dir(out)
    try:
        output = run_sensitivity(
            scenario,
            method=method,
            samples=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            batch_size=batch_size,
            progress=not quiet,
            layers_dir=layers,
            layer_overrides=overrides,
            layer_additions=additions,
            crs=crs,
            out_dir=out,
        )
    except KeyboardInterrupt:
        exit_with("interrupted: nothing written.", 130)
    if not quiet:
        _report_sensitivity(output)


def _report_sensitivity(output: SensitivityOutput) -> None:
    from redeploy.analysis.sensitivity import ranking
    from redeploy.render.uncertainty import parameter_label

    key = "ST" if output.method == "sobol" else "mu*"
    stdout.print(
        f"[bold]{output.plan.name}[/bold]: {output.method} indices from "
        f"{output.evaluations:,} solves on {output.workers} worker(s) in "
        f"{output.seconds:.0f} s" + (f"; {output.failed:,} not solved" if output.failed else "")
    )
    table = Table(title=f"top three drivers of each regional total ({key})")
    table.add_column("outcome")
    for k in range(1, 4):
        table.add_column(f"#{k}")
    for out in output.outputs:
        if out.startswith(("total.", "objective.")):
            continue
        top = [(p, v) for p, v in ranking(output.table, output.method, out, top=3) if v > 0]
        cells = [f"{parameter_label(p)} ({v:.2f})" for p, v in top] + ["–"] * (3 - len(top))
        table.add_row(out, *cells)
    stdout.print(table)
    for path in output.files.values():
        stdout.print(f"wrote {display_path(path)}")


@app.command("discover")
def discover(
    when: Annotated[
        str,
        typer.Option(
            "--when",
            help="The condition to explain: '<outcome> <op> <number>', op one of > >= < <= "
            "== !=, e.g. 'Africa.military_bn > 1' or 'South America.total_bn == 0'.",
        ),
    ],
    scenario: ScenarioOpt = "baseline-uncertain",
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=10, help="Samples (a Latin hypercube).")
    ] = 1024,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    batch_size: BatchSizeOpt = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    add_layer: AddLayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
) -> None:
    """Scenario discovery: under which ranges of the uncertain parameters does the
    condition hold? PRIM over samples solved on Dask: NAME-discover.csv (the box),
    .png (the peeling trajectory) and .html (the box in words)."""
    from redeploy.workflows.uncertainty import run_discover

    cluster_checks(workers, scheduler)
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
    check_out_dir(out)
    try:
        output = run_discover(
            scenario,
            when=when,
            samples=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            batch_size=batch_size,
            progress=not quiet,
            layers_dir=layers,
            layer_overrides=overrides,
            layer_additions=additions,
            crs=crs,
            out_dir=out,
        )
    except KeyboardInterrupt:
        exit_with("interrupted: nothing written.", 130)
    if quiet:
        return
    stdout.print(output.words, highlight=False, markup=False, soft_wrap=True)
    for path in output.files.values():
        stdout.print(f"wrote {display_path(path)}")
