"""`redeploy run` and `redeploy compare`."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from redeploy.cli.common import (
    CrsOpt,
    LayerOpt,
    LayersOpt,
    QuietOpt,
    ScenarioOpt,
    TilesOpt,
    app,
    check_tiles,
    display_path,
    note_shipped_layers,
    parse_layer_overrides,
    stderr,
    stdout,
)
from redeploy.io.publish import claim_output


@app.command("run")
def run(
    scenario: ScenarioOpt = "baseline",
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for tables and maps.")
    ] = Path("maps"),
    quiet: QuietOpt = False,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="Comma-separated outputs: gpkg (NAME.gpkg: layers, results, QGIS styles), "
            "geojson (NAME-geojson/), parquet (NAME-parquet/), csv (tables and summary).",
        ),
    ] = "gpkg,csv",
    tiles: TilesOpt = None,
    png: Annotated[
        bool, typer.Option("--png", help="Also write NAME.png (1600x900, headless Chromium).")
    ] = False,
) -> None:
    """Solve the allocation for a scenario and write NAME.html (the map),
    NAME-flows/fronts/zones/ledger.csv, NAME-summary.json and NAME.gpkg (exit 2 on bad
    input, 3 if the scenario is infeasible; a failed run leaves earlier outputs intact)."""
    from redeploy.export import ExportFormatError, parse_formats
    from redeploy.workflows.run import run_scenario, with_basemap, write_run

    try:
        formats = parse_formats(fmt)
    except ExportFormatError as err:
        raise typer.BadParameter(str(err), param_hint="--format") from None
    check_tiles(tiles)
    overrides = parse_layer_overrides(layer)
    note_shipped_layers(layers, overrides, quiet)
    with contextlib.ExitStack() as stack:
        stack.enter_context(claim_output(out))  # one writer in --out for the whole command
        status = None if quiet else stack.enter_context(stderr.status("redeploy run"))

        def say(msg: str) -> None:
            if status is not None:
                status.update(f"redeploy run: {msg}")

        output = run_scenario(
            scenario,
            layers_dir=layers,
            layer_overrides=overrides,
            crs=crs,
            out_dir=None,
            progress=say,
        )
        every_layer = with_basemap(output.layers, layers, layer_overrides=overrides, crs=crs)
        say("writing outputs")
        written = write_run(output, out, layers=every_layer, formats=formats, tiles=tiles, png=png)
    for warning in output.warnings:
        stderr.print(warning, highlight=False, markup=False, soft_wrap=True)
    if quiet:
        return
    result = output.result
    obj = result.objective
    stdout.print(
        f"[bold]{result.scenario}[/bold]: value {obj['value']:.3f}, transit "
        f"{obj['transit_cost']:.3f}, risk {obj['risk']:.3f}, total {obj['total']:.3f} "
        "($bn-eq/yr)"
    )
    table = Table(title="allocated by region")
    table.add_column("region")
    table.add_column("military (kpe)", justify="right")
    table.add_column("engagement ($bn/yr)", justify="right")
    for region, kpe in result.totals["by_region"].items():
        eng = result.totals["by_region_engagement"][region]
        table.add_row(region, f"{kpe:.2f}", f"{eng:.3f}")
    stdout.print(table)
    for path in written:
        stdout.print(f"wrote {display_path(path)}")


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Scenario A: shipped name or .toml path.", metavar="A")],
    b: Annotated[str, typer.Argument(help="Scenario B: shipped name or .toml path.", metavar="B")],
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for the map and table.")
    ] = Path("maps"),
    tiles: TilesOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Solve scenarios A and B and write A-vs-B.html (zones by change, flows that grow,
    shrink, appear or disappear) and A-vs-B.csv (per zone and asset, and per flow)."""
    from redeploy.workflows.compare import load_pair, run_compare

    check_tiles(tiles)
    overrides = parse_layer_overrides(layer)
    note_shipped_layers(layers, overrides, quiet)
    pair = load_pair(a, b)  # both checked before either is solved
    with contextlib.ExitStack() as stack:
        stack.enter_context(claim_output(out))  # one writer in --out for the whole command
        status = None if quiet else stack.enter_context(stderr.status("redeploy compare"))

        def say(name: str) -> None:
            if status is not None:
                status.update(f"redeploy compare: {name}")

        output = run_compare(
            *pair,
            layers_dir=layers,
            layer_overrides=overrides,
            crs=crs,
            out_dir=out,
            tiles=tiles,
            progress=say,
        )
    files = output.files
    if not quiet:
        for path in files:
            stdout.print(f"wrote {display_path(path)}")
