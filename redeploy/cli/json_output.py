"""``--json``: one JSON document on stdout for `run`, `compare`, `sweep`, `frontier`,
`validate`, `calibrate`, `layers list` and `scenarios list`; progress, notes and warnings
stay on stderr.

Each document is built from the command's result with the tables' number format
(`redeploy.io.text.json_text`: six decimals, sorted keys), so a script reads it with
``json.load(sys.stdin)``. docs/cli.md lists the keys of each document.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from redeploy.io.text import json_text

if TYPE_CHECKING:
    from redeploy.own_layers import LayerSet
    from redeploy.workflows.compare import CompareOutput
    from redeploy.workflows.frontier import FrontierOutput
    from redeploy.workflows.run import RunOutput
    from redeploy.workflows.sweep import SweepOutput

JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout (what the run produced and the files "
        "written); progress and messages stay on stderr.",
    ),
]

#: Version of the documents' layout: raised when a key changes meaning or goes away.
JSON_FORMAT = 1


def print_json(document: Mapping[str, Any]) -> None:
    """Write `document` to stdout as one JSON document (sorted keys, final newline)."""
    sys.stdout.write(json_text({"format": JSON_FORMAT, **document}))
    sys.stdout.flush()


def _paths(paths: Iterable[Path]) -> list[str]:
    return [Path(p).as_posix() for p in paths]


def run_document(output: RunOutput, written: Iterable[Path]) -> dict[str, Any]:
    """`redeploy run --json`: the run's summary (as ``NAME-summary.json``), the files
    written and the warnings."""
    from redeploy.export import summary_dict

    return {
        "command": "run",
        **summary_dict(output.result),
        "files": _paths(written),
        "warnings": list(output.warnings),
    }


def _difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, float]:
    keys = sorted(set(a) | set(b))
    return {k: float(b.get(k, 0.0)) - float(a.get(k, 0.0)) for k in keys}


def compare_document(output: CompareOutput) -> dict[str, Any]:
    """`redeploy compare --json`: both runs' summaries, B minus A (objective parts and
    capacity added by region) and the files written."""
    from redeploy.export import summary_dict

    a, b = summary_dict(output.a), summary_dict(output.b)
    return {
        "command": "compare",
        "a": a,
        "b": b,
        "difference": {
            "objective": _difference(a["objective"], b["objective"]),
            "military_kpe_by_region": _difference(
                a["totals"]["military_kpe_by_region"], b["totals"]["military_kpe_by_region"]
            ),
            "engagement_bn_by_region": _difference(
                a["totals"]["engagement_bn_by_region"], b["totals"]["engagement_bn_by_region"]
            ),
        },
        "files": _paths(output.files),
    }


def sweep_document(output: SweepOutput) -> dict[str, Any]:
    """`redeploy sweep --json`: what was sampled and solved, the summary table's rows
    (``NAME-sweep-summary.csv``) and the files written."""
    summary = output.summary
    rows = [] if summary is None else summary.to_dict("records")
    return {
        "command": "sweep",
        "scenario": output.plan.name,
        "samples": output.samples,
        "completed": output.completed,
        "failed": output.failed,
        "not_solved": dict(output.not_solved),
        "seed": output.seed,
        "method": output.method,
        "workers": output.workers,
        "batch_size": output.batch_size,
        "seconds": {"total": output.seconds, "solving": output.solve_seconds},
        "summary": rows,
        "files": {k: Path(v).as_posix() for k, v in sorted(output.files.items())},
    }


def frontier_document(output: FrontierOutput) -> dict[str, Any]:
    """`redeploy frontier --json`: the swept weight, the scenario's own point, one row per
    point (``NAME-frontier.csv``) and the files written."""
    fr = output.frontier
    return {
        "command": "frontier",
        "scenario": fr.scenario,
        "run_id": fr.run_id,
        "channel": fr.channel,
        "scenario_lambda": fr.scenario_lambda,
        "points": fr.table.to_dict("records"),
        "files": {k: Path(v).as_posix() for k, v in sorted(output.files.items())},
    }


def validation_document(
    command: str, summary: Mapping[str, Any], files: Iterable[Path]
) -> dict[str, Any]:
    """`redeploy validate --json` and `redeploy calibrate --json`: what the command wrote
    to ``validation.json`` (the backcast overlap, by region, the engagement errors, the
    pattern checks; calibrate adds the fit and ``overlap_left_out``) and the files
    written."""
    return {"command": command, **summary, "files": _paths(files)}


def layers_document(layer_set: LayerSet) -> dict[str, Any]:
    """`redeploy layers list --json`: each layer's files (path, origin, SHA-256), geometry
    types, feature count and share of sourced features."""
    from redeploy.layers import sourced_share

    return {
        "command": "layers list",
        "layers": [
            {
                "layer": kind,
                "files": [f.record() for f in layer_set.files if f.kind == kind],
                "geometry_types": sorted(set(gdf.geom_type.dropna())),
                "features": len(gdf),
                "sourced_share": sourced_share(gdf),
            }
            for kind, gdf in layer_set.frames.items()
        ],
        "warnings": list(layer_set.warnings),
    }


def scenarios_document(rows: Iterable[tuple[str, str, Path]]) -> dict[str, Any]:
    """`redeploy scenarios list --json`: each shipped scenario's name, description and file."""
    return {
        "command": "scenarios list",
        "scenarios": [
            {"name": name, "description": description, "file": Path(path).as_posix()}
            for name, description, path in rows
        ],
    }
