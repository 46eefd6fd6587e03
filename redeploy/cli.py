"""The `redeploy` command line: a thin layer over the Python API.

Exit codes: 0 success, 2 bad input (message on stderr), 3 infeasible scenario.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from redeploy.errors import InfeasibleAllocationError, RedeployError
from redeploy.io.atomic import check_out_dir, staged_output
from redeploy.io.atomic import published as _final


def _hide_flag_types() -> None:
    """
    Show on/off flags in --help without a value type.

    Typer 0.29 prints ``--quiet <bool>`` and ``--help <bool>``, as if the flags took a
    value (``--quiet true`` is refused). Only the help text changes; with a Typer that
    lacks the method nothing is patched.
    """
    option = getattr(typer.core, "TyperOption", None)
    show = getattr(option, "display_type_rich", None)
    if show is None or getattr(show, "_redeploy", False):
        return

    def display_type_rich(self: typer.core.TyperOption, ctx: click.Context) -> str | None:
        if getattr(self, "is_flag", False) and not getattr(self, "secondary_opts", None):
            return None
        return show(self, ctx)

    display_type_rich._redeploy = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_types()


class RedeployExit(click.ClickException):
    """A redeploy error shown as one message on stderr with its exit code, no traceback."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: object = None) -> None:
        """Print the message on stderr."""
        click.echo(self.format_message(), err=True)


def _exit_with(message: str, code: int) -> None:
    """Print `message` on stderr and exit with `code` (no traceback).

    Typer vendors its own click, so a `click.ClickException` raised here would not be
    caught by typer's main loop; `typer.Exit` is.
    """
    click.echo(message, err=True)
    raise typer.Exit(code)


class _Group(TyperGroup):
    """Top-level group that turns redeploy's errors into exit codes 2 and 3."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except InfeasibleAllocationError as err:
            _exit_with(f"infeasible scenario: {err}", 3)
        except RedeployError as err:
            _exit_with(f"error: {err}", 2)
        except OSError as err:  # a file or network error no layer below turned into a message
            where = f"{err.filename}: " if getattr(err, "filename", None) else ""
            _exit_with(f"error: {where}{err.strerror or err}", 2)
        except KeyboardInterrupt:
            _exit_with("interrupted: every file is replaced only once complete, so no output "
                       "is half-written.", 130)


app = typer.Typer(
    cls=_Group,
    name="redeploy",
    help="Map where U.S. strategic capacity freed by allied burden-sharing could go.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)
layers_app = typer.Typer(
    help="List, validate, describe and export data layers.", no_args_is_help=True
)
app.add_typer(layers_app, name="layers")

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def _print_version(value: bool) -> None:
    if value:
        from redeploy import __version__

        stdout.print(f"redeploy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Print redeploy's version and exit."),
    ] = False,
) -> None:
    """Map where U.S. strategic capacity freed by allied burden-sharing could go."""

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
LayersOpt = Annotated[
    Path | None,
    typer.Option(
        "--layers",
        help="Folder of layer files named KIND.EXT (or one GeoPackage) "
        "replacing the shipped layers; kinds missing there come from the shipped "
        "ones.",
        show_default=False,
    ),
]
LayerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layer",
        help="Replace one layer: KIND=PATH (repeatable).",
        show_default=False,
        metavar="KIND=PATH",
    ),
]
def _crs_option(value: str | None) -> str | None:
    """Refuse a --crs that pyproj cannot read, before any layer is opened."""
    if value is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as err:
        reason = str(err).strip().splitlines()[0]
        msg = f"{value!r} is not a CRS pyproj knows ({reason}); give e.g. EPSG:4326"
        raise typer.BadParameter(msg, param_hint="--crs") from None
    return value


CrsOpt = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="CRS to assume for files that declare none (e.g. EPSG:4326).",
        show_default=False,
        callback=_crs_option,
    ),
]


def parse_layer_overrides(values: list[str] | None) -> dict[str, Path]:
    """Parse ``--layer KIND=PATH`` options into ``{kind: path}``."""
    from redeploy.schemas import LayerKind

    out: dict[str, Path] = {}
    for value in values or []:
        kind, sep, path = value.partition("=")
        known = [k.value for k in LayerKind]
        if not sep or kind not in known:
            msg = f"expected KIND=PATH with KIND one of {', '.join(known)}, got {value!r}"
            raise typer.BadParameter(msg, param_hint="--layer")
        out[kind] = Path(path)
    return out


def _note_shipped_layers(layers: Path | None, overrides: dict[str, Path], quiet: bool) -> None:
    """Say on stderr which kinds come from the shipped set because --layers DIR lacks them."""
    if layers is None or quiet:
        return
    from redeploy.layers import shipped_fallbacks

    kinds = shipped_fallbacks(layers, overrides=overrides)
    if kinds:
        stderr.print(f"note: layers not in {_display_path(layers)}, read from the shipped set: "
                     f"{', '.join(kinds)}", markup=False, soft_wrap=True)


@layers_app.command("list")
def layers_list(layers: LayersOpt = None, layer: LayerOpt = None, crs: CrsOpt = None) -> None:
    """Show each layer: file, geometry type, feature count and share of sourced features."""
    from redeploy.layers import read_layers, resolve_layer_paths, sourced_share

    overrides = parse_layer_overrides(layer)
    paths = resolve_layer_paths(layers, overrides=overrides)
    frames = read_layers(layers, overrides=overrides, crs=crs)
    table = Table(title="redeploy layers")
    for col in ("layer", "geometry", "features", "sourced", "file"):
        table.add_column(
            col, justify="right" if col in ("features", "sourced") else "left", overflow="fold"
        )
    for kind, gdf in frames.items():
        types = sorted(set(gdf.geom_type))
        geoms = ", ".join(t for t in types if f"Multi{t}" not in types)
        geoms = geoms.replace("MultiPolygon", "(Multi)Polygon") if "Polygon" in types else geoms
        table.add_row(
            kind, geoms, str(len(gdf)), f"{sourced_share(gdf):.0%}", _display_path(paths[kind])
        )
    stdout.print(table)


@layers_app.command("validate")
def layers_validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Layer files to check; the kind is the file's stem unless --kind says "
            "otherwise. Without files, checks every layer.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="Layer kind of the FILEs (fronts, chokepoints, mineral_zones, "
            "supply_nodes, peripheral_zones, basemap).",
            show_default=False,
        ),
    ] = None,
    crs: CrsOpt = None,
) -> None:
    """Check layers against their schema; report every problem, exit 2 if any."""
    from redeploy.errors import LayerValidationError
    from redeploy.layers import read_layer, resolve_layer_paths

    if kind is not None:
        from redeploy.schemas import get_schema

        try:
            get_schema(kind)
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--kind") from None
    if files:
        targets = [(f, kind) for f in files]
    else:
        paths = resolve_layer_paths(layers, overrides=parse_layer_overrides(layer))
        targets = [(p, k) for k, p in paths.items()]
    failures: list[str] = []
    for path, k in targets:
        try:
            gdf = read_layer(path, kind=k, crs=crs)
        except LayerValidationError as err:
            failures.append(str(err))
            continue
        stdout.print(f"ok  {_display_path(path)} ({k or path.stem}: {len(gdf)} features)")
    if failures:
        for text in failures:
            stderr.print(text, markup=False, soft_wrap=True)
        raise typer.Exit(2)


@layers_app.command("describe")
def layers_describe(
    kind: Annotated[
        str | None,
        typer.Argument(help="Only this layer kind.", show_default=False, metavar="KIND"),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the Markdown reference (docs/layers.md).")
    ] = False,
) -> None:
    """Describe each layer's columns: type, unit, required, allowed values, meaning."""
    from redeploy.schemas import SCHEMAS, describe_markdown, get_schema

    if markdown:
        sys.stdout.write(describe_markdown())
        return
    if kind is not None:
        try:
            schemas = [get_schema(kind)]
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="KIND") from None
    else:
        schemas = list(SCHEMAS.values())
    for schema in schemas:
        table = Table(
            title=f"{schema.kind.value}: {schema.title} "
            f"({', '.join(sorted(schema.geometry_types))})",
            show_lines=False,
        )
        for col in ("column", "type", "unit", "req.", "allowed", "description"):
            table.add_column(col, overflow="fold")
        for name, spec in schema.columns.items():
            table.add_row(
                name,
                spec.dtype,
                spec.unit,
                "yes" if spec.required else "no",
                spec.allowed(),
                spec.description,
            )
        stdout.print(table)


@layers_app.command("export")
def layers_export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="gpkg (one file, every layer), "
            "geojson or parquet (one file per layer in folder "
            "--out).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Output file (gpkg) or folder.")],
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
) -> None:
    """Export every validated layer as one GeoPackage, or GeoJSON / GeoParquet files."""
    from redeploy.export import write_layers
    from redeploy.layers import read_layers

    if fmt not in ("gpkg", "geojson", "parquet"):
        raise typer.BadParameter(
            f"must be gpkg, geojson or parquet, got {fmt!r}", param_hint="--format"
        )
    overrides = parse_layer_overrides(layer)
    _note_shipped_layers(layers, overrides, quiet=False)
    frames = read_layers(layers, overrides=overrides, crs=crs)
    written = write_layers(frames, out, fmt=fmt)
    for path in written:
        stdout.print(f"wrote {_display_path(path)}")


# ---------------------------------------------------------------- run and scenarios
# (added by the allocation model: `redeploy run`, `redeploy scenarios list|show|schema`)

scenarios_app = typer.Typer(help="List, show and describe scenario files.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")

ScenarioOpt = Annotated[
    str,
    typer.Option(
        "--scenario",
        "-s",
        help="Shipped scenario name (see `redeploy scenarios list`) or path of a .toml file.",
    ),
]


TilesOpt = Annotated[
    str | None,
    typer.Option(
        "--tiles",
        help="Add web tiles under the map from an xyzservices provider, e.g. "
        "OpenStreetMap.Mapnik (needs network to view); by default the map is offline.",
        show_default=False,
    ),
]


def _check_tiles(tiles: str | None) -> None:
    from redeploy.render.maps import check_tiles

    try:
        check_tiles(tiles)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--tiles") from None


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
    from redeploy.pipeline import run_scenario

    try:
        formats = parse_formats(fmt)
    except ExportFormatError as err:
        raise typer.BadParameter(str(err), param_hint="--format") from None
    _check_tiles(tiles)
    overrides = parse_layer_overrides(layer)
    _note_shipped_layers(layers, overrides, quiet)
    check_out_dir(out)
    from redeploy.pipeline import with_basemap
    from redeploy.render import write_map

    with contextlib.ExitStack() as stack:
        status = None if quiet else stack.enter_context(stderr.status("redeploy run"))

        def say(msg: str) -> None:
            if status is not None:
                status.update(f"redeploy run: {msg}")

        output = run_scenario(
            scenario, layers_dir=layers, layer_overrides=overrides, crs=crs, out_dir=None,
            progress=say,
        )
        every_layer = with_basemap(output.layers, layers, layer_overrides=overrides, crs=crs)
        say("writing outputs")
        with staged_output(out) as stage:
            written: list[Path] = []
            if "csv" in formats:
                from redeploy.export.tables import write_tables

                written += write_tables(output.result, stage).values()
            gis = [f for f in formats if f != "csv"]
            if gis:
                from redeploy.export import write_results

                written += write_results(every_layer, output.result, stage, formats=gis)
            written += write_map(every_layer, output.result, stage, tiles=tiles, png=png)
            written = _final(written, stage, out)
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
    for path in dict.fromkeys(written):
        stdout.print(f"wrote {_display_path(path)}")


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Scenario A: shipped name or .toml path.",
                                     metavar="A")],
    b: Annotated[str, typer.Argument(help="Scenario B: shipped name or .toml path.",
                                     metavar="B")],
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
    from redeploy.errors import ScenarioError
    from redeploy.pipeline import run_scenario, with_basemap
    from redeploy.render import write_comparison
    from redeploy.scenario import load_scenario

    _check_tiles(tiles)
    overrides = parse_layer_overrides(layer)
    _note_shipped_layers(layers, overrides, quiet)
    check_out_dir(out)
    scenarios = [load_scenario(a), load_scenario(b)]  # both checked before either is solved
    if scenarios[0].name == scenarios[1].name:
        same = scenarios[0].canonical_json() == scenarios[1].canonical_json()
        msg = (
            f"A ({a}) and B ({b}) are the same scenario {scenarios[0].name!r}; "
            "there is nothing to compare: give two different scenarios"
            if same
            else f"A ({a}) and B ({b}) are both named {scenarios[0].name!r}, so their "
            "changes could not be told apart in the output; give one of them another "
            "`name = ...` in its file"
        )
        raise ScenarioError(msg)
    results = []
    for sc in scenarios:
        with contextlib.ExitStack() as stack:
            if not quiet:
                stack.enter_context(stderr.status(f"redeploy compare: {sc.name}"))
            output = run_scenario(sc, layers_dir=layers, layer_overrides=overrides,
                                  crs=crs, out_dir=None)
        results.append(output.result)
    every_layer = with_basemap(output.layers, layers, layer_overrides=overrides, crs=crs)
    with staged_output(out) as stage:
        files = _final(list(write_comparison(every_layer, results[0], results[1], stage,
                                             tiles=tiles)), stage, out)
    if not quiet:
        for path in files:
            stdout.print(f"wrote {_display_path(path)}")


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the shipped scenarios with their descriptions."""
    from redeploy.scenario import list_scenarios, load_scenario

    table = Table(title="redeploy scenarios")
    table.add_column("name")
    table.add_column("description", overflow="fold")
    table.add_column("file")
    for name, path in list_scenarios().items():
        sc = load_scenario(path)
        table.add_row(name, sc.description, _display_path(path))
    stdout.print(table)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Shipped scenario name or .toml path.",
                                        metavar="NAME")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the validated scenario as JSON.")
    ] = False,
) -> None:
    """Show a scenario: description, assumptions and every setting it overrides."""
    import json

    from redeploy.scenario import load_scenario

    sc = load_scenario(name)
    data = sc.model_dump(mode="json", exclude_none=True, by_alias=True)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    stdout.print(f"[bold]{sc.name}[/bold] ({_display_path(Path(sc.source))})")
    stdout.print(sc.description, markup=False)
    stdout.print("\n[bold]Assumptions[/bold]")
    for item in sc.assumptions:
        stdout.print(f"- {item}", markup=False)
    settings = {k: v for k, v in data.items() if k not in ("name", "description", "assumptions")}
    stdout.print("\n[bold]Settings[/bold] (defaults: redeploy/data/coefficients.toml)")
    stdout.print(json.dumps(settings, indent=2, sort_keys=True), markup=False)


@scenarios_app.command("schema")
def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    import json

    from redeploy.scenario import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


# ---------------------------------------------------------------- frontier and sweep
# (added by issue 6: `redeploy frontier`, `redeploy sweep`; see docs/sweeps.md)

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Output folder (created if needed).")
]
@app.command("frontier")
def frontier(
    scenario: ScenarioOpt = "baseline",
    points: Annotated[
        int, typer.Option("--points", "-n", min=2, help="Number of λ values (0 included).")
    ] = 15,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
) -> None:
    """Sweep the risk weight λ and write NAME-frontier.csv, NAME-frontier.png (net value
    against risk) and NAME-frontier.html (the chart beside the map of the chosen point)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from redeploy.frontier import lambda_label, run_frontier

    overrides = parse_layer_overrides(layer)
    _note_shipped_layers(layers, overrides, quiet)
    check_out_dir(out)
    bar = Progress(TextColumn("redeploy frontier: {task.description}"), BarColumn(),
                   MofNCompleteColumn(), console=stderr, disable=quiet)
    with bar:
        task = bar.add_task("building the model", total=points + 1)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        with staged_output(out) as stage:
            output = run_frontier(scenario, points=points, layers_dir=layers,
                                  layer_overrides=overrides, crs=crs, out_dir=stage,
                                  progress=step)
            files = _final(list(output.files.values()), stage, out)
    if quiet:
        return
    fr = output.frontier
    table = Table(title=f"value-risk frontier · {fr.scenario} ($bn-eq/yr)")
    for col in ("λ", "net value", "risk", "released kpe", "dominated"):
        table.add_column(col, justify="right")
    for row in fr.table.to_dict("records"):
        table.add_row(lambda_label(row["lambda"]), f"{row['net_value']:.3f}",
                      f"{row['risk']:.3f}", f"{row['released_kpe']:.2f}",
                      "yes" if row["dominated"] else "")
    stdout.print(table)
    own = fr.scenario_row
    stdout.print(f"scenario's own λ = {lambda_label(fr.scenario_lambda)}: net value "
                 f"{own['net_value']:.3f}, risk {own['risk']:.3f}")
    for path in files:
        stdout.print(f"wrote {_display_path(path)}")


@app.command("sweep")
def sweep(
    samples: Annotated[int, typer.Option("--samples", "-n", min=1, help="Number of samples.")],
    scenario: ScenarioOpt = "baseline-uncertain",
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Seed: sample i depends only on (seed, i).")
    ] = 0,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, show_default=False,
                     help="Worker processes of the local Dask cluster [default: cores]."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", show_default=False,
                     help="Address of a running Dask scheduler (tcp://host:8786) instead of "
                          "a local cluster."),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, show_default=False,
                     help="Samples per task [default: samples / (4 x workers), 16 to 512]."),
    ] = None,
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
    out: OutOpt = Path("maps"),
    quiet: QuietOpt = False,
) -> None:
    """Sample the scenario's [uncertain] parameters, solve each sample on Dask and write
    NAME-sweep.parquet (every sample), NAME-sweep-summary.csv and NAME-sweep.html (the
    robustness map). Ctrl-C keeps the completed samples (exit 130)."""
    from redeploy.scenario import load_scenario
    from redeploy.sweep import SweepInterrupted, run_sweep

    if workers is not None and scheduler is not None:
        raise typer.BadParameter("give --workers or --scheduler, not both",
                                 param_hint="--workers")
    overrides = parse_layer_overrides(layer)
    _note_shipped_layers(layers, overrides, quiet)
    check_out_dir(out)
    if scheduler is not None:
        check_scheduler(scheduler)
    sc = load_scenario(scenario)
    if not sc.uncertain and not quiet:
        stderr.print(f"note: scenario {sc.name!r} has no [uncertain] table, so every sample "
                     "is the central run (see docs/sweeps.md or baseline-uncertain).",
                     markup=False)
    try:
        output = run_sweep(sc, samples=samples, seed=seed, workers=workers,
                           scheduler=scheduler, batch_size=batch_size, layers_dir=layers,
                           layer_overrides=overrides, crs=crs, out_dir=out,
                           progress=not quiet)
    except OSError as err:
        if scheduler is None:
            raise
        _exit_with(f"error: --scheduler {scheduler}: cannot use the Dask scheduler there: "
                   f"{err}", 2)
        return
    except SweepInterrupted as stop:
        part = stop.output
        path = part.files.get("parquet")
        where = f" in {_display_path(path)}" if path else ""
        _exit_with(f"interrupted: {part.completed:,} of {part.samples:,} samples kept{where} "
                   "(no summary or map written).", 130)
        return
    if quiet:
        return
    ok = output.completed - output.failed
    rate = output.completed / max(output.solve_seconds, 1e-9)
    not_solved = "".join(f", {n:,} {status}" for status, n in output.not_solved.items())
    if not_solved:
        not_solved += " (see the parquet's status column)"
    stdout.print(f"[bold]{output.plan.name}[/bold]: {ok:,} of {output.samples:,} samples "
                 f"solved{not_solved} on {output.workers} worker(s) in batches of "
                 f"{output.batch_size}; {output.solve_seconds:.1f} s solving "
                 f"({rate:,.0f} samples/s), {output.seconds:.1f} s in all")
    summary = output.summary
    if summary is not None:
        table = Table(title="objective ($bn-eq/yr)")
        for col in ("part", "mean", "p5", "p50", "p95"):
            table.add_column(col, justify="right" if col != "part" else "left")
        for rec in summary[summary["kind"] == "objective"].to_dict("records"):
            table.add_row(str(rec["metric"]), *(f"{rec[k]:.3f}"
                                                for k in ("mean", "p5", "p50", "p95")))
        stdout.print(table)
    for path in output.files.values():
        stdout.print(f"wrote {_display_path(path)}")


#: Seconds `check_scheduler` waits for a TCP connection to a Dask scheduler.
SCHEDULER_CONNECT_TIMEOUT = 5.0


def check_scheduler(address: str, timeout: float = SCHEDULER_CONNECT_TIMEOUT) -> None:
    """
    Refuse a ``--scheduler`` address nothing listens on, within `timeout` seconds.

    Only ``tcp://`` and ``tls://`` addresses (or a bare ``host:port``) are probed; Dask
    reports on other transports itself.

    Raises
    ------
    RedeployError
        Naming the address, why it failed and what to do.
    """
    import socket
    from urllib.parse import urlsplit

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in ("tcp", "tls"):
        return
    example = "e.g. tcp://127.0.0.1:8786"
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host, port = parts.hostname, parts.port
    except ValueError as err:
        msg = f"--scheduler {address!r}: not a scheduler address ({err}); {example}"
        raise RedeployError(msg) from None
    if not host or port is None:
        msg = f"--scheduler {address!r}: give the scheduler's host and port, {example}"
        raise RedeployError(msg)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        reason = "timed out" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        msg = (
            f"--scheduler {address}: cannot reach a Dask scheduler there ({reason}, waited "
            f"up to {timeout:g} s); start one (`dask scheduler`) or leave out --scheduler "
            "to use a local cluster (--workers N)"
        )
        raise RedeployError(msg) from None


def _display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    """Run the CLI (the `redeploy` console script)."""
    app()


if __name__ == "__main__":
    main()
