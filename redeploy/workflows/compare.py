"""`redeploy compare` as a Python function: solve two scenarios, write A-vs-B.html and .csv."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redeploy.errors import ScenarioError
from redeploy.io.publish import published, staged_output
from redeploy.model.result import AllocationResult
from redeploy.scenario import Scenario, load_scenario
from redeploy.workflows.run import run_scenario, with_basemap


@dataclass(frozen=True)
class CompareOutput:
    """What `run_compare` produced: both results, the files written, the layers drawn."""

    a: AllocationResult
    b: AllocationResult
    files: list[Path]
    layers: Mapping[str, Any] = field(default_factory=dict)


def load_pair(a: str | Path | Scenario, b: str | Path | Scenario) -> tuple[Scenario, Scenario]:
    """
    Load scenarios A and B (both checked before either is solved).

    Raises
    ------
    ScenarioError
        When either is invalid, or both are one scenario or share a name.
    """
    scenarios = (
        a if isinstance(a, Scenario) else load_scenario(a),
        b if isinstance(b, Scenario) else load_scenario(b),
    )
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
    return scenarios


def run_compare(
    a: str | Path | Scenario,
    b: str | Path | Scenario,
    *,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    tiles: str | None = None,
    progress: Callable[[str], None] | None = None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
) -> CompareOutput:
    """
    Solve scenarios A and B and write ``A-vs-B.html`` and ``A-vs-B.csv`` together.

    Parameters
    ----------
    a, b
        Shipped scenario names, TOML paths or loaded scenarios.
    layers_dir, layer_overrides, crs
        Layers replacing the shipped ones (as in `run_scenario`).
    out_dir
        Output folder.
    tiles
        Optional web-tile provider of the map.
    progress
        Called with the name of each scenario before it is solved.
    layer_additions
        Features added to the layers (as in `run_scenario`).
    """
    from redeploy.render import write_comparison

    results = []
    for sc in load_pair(a, b):
        if progress is not None:
            progress(sc.name)
        output = run_scenario(
            sc,
            layers_dir=layers_dir,
            layer_overrides=layer_overrides,
            layer_additions=layer_additions,
            crs=crs,
            out_dir=None,
        )
        results.append(output.result)
    every_layer = with_basemap(output.layers, layers_dir, layer_overrides=layer_overrides, crs=crs)
    with staged_output(out_dir) as stage:
        written = write_comparison(every_layer, results[0], results[1], stage, tiles=tiles)
        files = published(list(written), stage, Path(out_dir))
    return CompareOutput(a=results[0], b=results[1], files=files, layers=every_layer)
