"""`redeploy scenarios list|show|schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from redeploy.cli.common import display_path, scenarios_app, stdout
from redeploy.cli.json_output import JsonOpt, print_json, scenarios_document


@scenarios_app.command("list")
def scenarios_list(as_json: JsonOpt = False) -> None:
    """List the shipped scenarios with their descriptions."""
    from redeploy.scenario import list_scenarios, load_scenario

    rows = [
        (name, load_scenario(path).description, path) for name, path in list_scenarios().items()
    ]
    if as_json:
        print_json(scenarios_document(rows))
        return
    table = Table(title="redeploy scenarios")
    table.add_column("name")
    table.add_column("description", overflow="fold")
    table.add_column("file")
    for name, description, path in rows:
        table.add_row(name, escape(description), display_path(path))
    stdout.print(table)


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[
        str, typer.Argument(help="Shipped scenario name or .toml path.", metavar="NAME")
    ],
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
    stdout.print(f"[bold]{sc.name}[/bold] ({display_path(Path(sc.source))})")
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
