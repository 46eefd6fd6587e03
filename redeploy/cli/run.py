"""`redeploy run` and `redeploy compare`."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from redeploy.cli.common import (
    AddLayerOpt,
    CrsOpt,
    LayerOpt,
    LayersOpt,
    QuietOpt,
    ScenarioOpt,
    TilesOpt,
    app,
    check_tiles,
    display_path,
    layer_options,
    stderr,
    stdout,
)
from redeploy.cli.json_output import JsonOpt, compare_document, print_json, run_document
from redeploy.io.publish import claim_output

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from redeploy.model.result import AllocationResult
    from redeploy.render.slide import SlideOptions


PngOpt = Annotated[
    bool,
    typer.Option(
        "--png", help="Also write NAME.png, a slide without the map's controls (headless Chromium)."
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(
        "--size", help="PNG size WIDTHxHEIGHT in pixels (default 1600x900).", metavar="WxH"
    ),
]
BboxOpt = Annotated[
    str | None,
    typer.Option(
        "--bbox",
        help="PNG region: world, indo-pacific, africa, americas, or WEST,SOUTH,EAST,NORTH "
        "in degrees (default: the map's first view).",
        metavar="REGION",
    ),
]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Title of the map and the PNG.")]
SubtitleOpt = Annotated[
    str | None,
    typer.Option("--subtitle", help="Line under the title (default: what allies pay, what moves)."),
]
ZonesOpt = Annotated[
    str,
    typer.Option(
        "--zones",
        help="What colours the zones first: forces (kpe), engagement ($bn/yr), total "
        "(forces at their U.S. cost plus engagement, $bn/yr) or value (index); the map's "
        "legend switches between them.",
    ),
]


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
            "geojson (NAME-geojson/), parquet (NAME-parquet/), csv (tables and summary), "
            "xlsx (NAME.xlsx: the briefing workbook).",
        ),
    ] = "gpkg,csv",
    tiles: TilesOpt = None,
    png: PngOpt = False,
    size: SizeOpt = None,
    bbox: BboxOpt = None,
    title: TitleOpt = None,
    subtitle: SubtitleOpt = None,
    zones: ZonesOpt = "forces",
    add_layer: AddLayerOpt = None,
    as_json: JsonOpt = False,
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
    slide = slide_options(png=png, size=size, bbox=bbox, title=title, subtitle=subtitle)
    zone_metric = zone_choice(zones)
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
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
            layer_additions=additions,
        )
        every_layer = with_basemap(output.layers, layers, layer_overrides=overrides, crs=crs)
        say("writing outputs")
        written = write_run(
            output,
            out,
            layers=every_layer,
            formats=formats,
            tiles=tiles,
            png=slide or False,
            title=title,
            subtitle=subtitle,
            zone_metric=zone_metric,
        )
    for warning in output.warnings:
        stderr.print(warning, highlight=False, markup=False, soft_wrap=True)
    if as_json:
        print_json(run_document(output, written))
    elif not quiet:
        print_run(output.result, written)


def print_run(result: AllocationResult, written: Sequence[Path]) -> None:
    """Print a run's objective, what each region receives, and the files written."""
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


#: ``--zones`` choices and the zone metric each names (`redeploy.render.features.ZONE_METRICS`).
ZONE_CHOICES = {
    "forces": "military",
    "engagement": "engagement",
    "total": "total",
    "value": "all",
}


def zone_choice(text: str) -> str:
    """The zone metric ``--zones`` names (`ZONE_CHOICES`); a bad value exits with code 2."""
    metric = ZONE_CHOICES.get(text.strip().lower())
    if metric is None:
        msg = f"{text!r} is not one of {', '.join(ZONE_CHOICES)}"
        raise typer.BadParameter(msg, param_hint="--zones")
    return metric


def slide_options(
    *, png: bool, size: str | None, bbox: str | None, title: str | None, subtitle: str | None
) -> SlideOptions | None:
    """The PNG slide `run` writes (None without ``--png``); ``--size``/``--bbox`` need it."""
    from redeploy.render.slide import SlideOptions, parse_bbox, parse_size

    if not png:
        for value, hint in ((size, "--size"), (bbox, "--bbox")):
            if value is not None:
                msg = f"{hint} shapes the PNG: add --png"
                raise typer.BadParameter(msg, param_hint=hint)
        return None
    try:
        dims = parse_size(size) if size is not None else None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--size") from None
    try:
        box = parse_bbox(bbox) if bbox is not None else None
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--bbox") from None
    options = SlideOptions(bbox=box, title=title, subtitle=subtitle)
    return dataclasses.replace(options, size=dims) if dims else options


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
    add_layer: AddLayerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Solve scenarios A and B and write A-vs-B.html (zones by change, flows that grow,
    shrink, appear or disappear) and A-vs-B.csv (per zone and asset, and per flow)."""
    from redeploy.workflows.compare import load_pair, run_compare

    check_tiles(tiles)
    overrides, additions = layer_options(layers, layer, add_layer, quiet)
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
            layer_additions=additions,
        )
    files = output.files
    if as_json:
        print_json(compare_document(output))
    elif not quiet:
        print_changes(output.a, output.b, output.layers)
        for path in files:
            stdout.print(f"wrote {display_path(path)}")


def print_changes(a: AllocationResult, b: AllocationResult, layers: Mapping[str, Any]) -> None:
    """Print the largest changes from A to B by region and by front (forces and money apart)."""
    from redeploy.render.compare_summary import FRONT_HEAD, REGION_HEAD, change_text

    regions, fronts = change_text(a, b, layers)
    for what, head, rows in (("region", REGION_HEAD, regions), ("front", FRONT_HEAD, fronts)):
        if not rows:
            continue
        table = Table(title=f"largest changes by {what}, {a.scenario} → {b.scenario}")
        table.add_column(head[0])
        for h in head[1:]:
            table.add_column(h, justify="right")
        for row in rows:
            table.add_row(*row)
        stdout.print(table)
