"""`redeploy layers list|validate|describe|export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from redeploy.cli.common import (
    AddLayerOpt,
    CrsOpt,
    LayerOpt,
    LayersOpt,
    display_path,
    layers_app,
    note_shipped_layers,
    parse_layer_additions,
    parse_layer_overrides,
    stderr,
    stdout,
)
from redeploy.cli.json_output import JsonOpt, layers_document, print_json
from redeploy.schemas import LayerKind


@layers_app.command("list")
def layers_list(
    layers: LayersOpt = None,
    layer: LayerOpt = None,
    crs: CrsOpt = None,
    add_layer: AddLayerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show each layer: file, geometry type, feature count and share of sourced features."""
    from redeploy.layers import sourced_share
    from redeploy.own_layers import read_layer_set

    overrides = parse_layer_overrides(layer)
    read = read_layer_set(
        layers, overrides=overrides, additions=parse_layer_additions(add_layer), crs=crs
    )
    for warning in read.warnings:
        stderr.print(warning, markup=False, soft_wrap=True)
    if as_json:
        print_json(layers_document(read))
        return
    frames = read.frames
    paths = {f.kind: f.path for f in read.files if f.origin != "added"}
    table = Table(title="redeploy layers")
    for col in ("layer", "geometry", "features", "sourced", "file"):
        table.add_column(
            col, justify="right" if col in ("features", "sourced") else "left", overflow="fold"
        )
    for kind, gdf in frames.items():
        types = sorted(set(gdf.geom_type))
        geoms = ", ".join(t for t in types if f"Multi{t}" not in types)
        geoms = geoms.replace("MultiPolygon", "(Multi)Polygon") if "Polygon" in types else geoms
        shown = display_path(paths[kind])
        shown += "".join(f" + {display_path(f.path)}" for f in read.added if f.kind == kind)
        table.add_row(kind, geoms, str(len(gdf)), f"{sourced_share(gdf):.0%}", shown)
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
            help=f"Layer kind of the FILEs ({', '.join(k.value for k in LayerKind)}).",
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
        stdout.print(f"ok  {display_path(path)} ({k or path.stem}: {len(gdf)} features)")
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
    from redeploy.schema_docs import describe_markdown
    from redeploy.schemas import SCHEMAS, get_schema

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
    note_shipped_layers(layers, overrides, quiet=False)
    frames = read_layers(layers, overrides=overrides, crs=crs)
    written = write_layers(frames, out, fmt=fmt)
    for path in written:
        stdout.print(f"wrote {display_path(path)}")
