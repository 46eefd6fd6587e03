"""`redeploy frontier` as Python functions: trace the value-risk frontier, write its files.

``NAME-frontier.csv`` (one row per λ), ``NAME-frontier.png`` (net value against risk,
`redeploy.render.chart`) and ``NAME-frontier.html`` (the chart beside the map,
`redeploy.render.frontier`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from redeploy.io.atomic import write_atomic
from redeploy.io.publish import published, staged_output
from redeploy.io.text import csv_text
from redeploy.model.frontier import DEFAULT_POINTS, Frontier, trace_frontier
from redeploy.model.inputs import AllocationInputs
from redeploy.render.chart import plot_frontier
from redeploy.render.frontier import write_frontier_map
from redeploy.schemas import RISK_CHANNELS
from redeploy.workflows.run import run_scenario, with_basemap

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontierOutput:
    """What `run_frontier` produced."""

    frontier: Frontier
    inputs: AllocationInputs
    files: dict[str, Path]


def frontier_paths(name: str, out_dir: str | Path, channel: str | None = None) -> dict[str, Path]:
    """Return ``{"csv", "png", "html"}`` paths of the frontier of scenario `name`:
    ``NAME-frontier.*``, or ``NAME-frontier-CHANNEL.*`` when one channel is swept."""
    out = Path(out_dir)
    stem = f"{name}-frontier" + (f"-{channel}" if channel else "")
    return {k: out / f"{stem}.{k}" for k in ("csv", "png", "html")}


def write_frontier(
    frontier: Frontier,
    layers: Mapping[str, gpd.GeoDataFrame],
    out_dir: str | Path,
    *,
    tiles: str | None = None,
) -> dict[str, Path]:
    """
    Write ``NAME-frontier.csv``, ``.png`` and ``.html`` into `out_dir`.

    Parameters
    ----------
    frontier
        From `trace_frontier`.
    layers
        Every layer (the basemap included), for the map.
    out_dir
        Output folder.
    tiles
        Optional xyzservices provider for web tiles.
    """
    paths = frontier_paths(frontier.scenario, out_dir, frontier.channel)
    return {
        "csv": write_atomic(paths["csv"], csv_text(frontier.table)),
        "png": plot_frontier(frontier, paths["png"]),
        "html": write_frontier_map(layers, frontier, paths["html"], tiles=tiles),
    }


def run_frontier(
    scenario: str | Path = "baseline",
    *,
    points: int = DEFAULT_POINTS,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    progress: Callable[[str, int, int], None] | None = None,
    channel: str | None = None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
) -> FrontierOutput:
    """
    Load layers and a scenario, trace its frontier and write the three files.

    Parameters
    ----------
    scenario
        Shipped scenario name or TOML path.
    points
        Number of λ values.
    layers_dir, layer_overrides
        Layers replacing the shipped ones.
    layer_additions
        ``{kind: [file, ...]}`` of features added to a layer (as in `redeploy run`).
    out_dir
        Output folder; the three files are published together once all are written.
    progress
        Called with (stage, done, total).
    channel
        A risk channel (`redeploy.schemas.RISK_CHANNELS`) whose weight is swept, the
        others at the scenario's values; None sweeps the common multiplier λ.

    Raises
    ------
    ValueError
        When `channel` is not a risk channel.
    """
    if channel is not None and channel not in RISK_CHANNELS:
        raise ValueError(f"unknown risk channel {channel!r}; allowed: {', '.join(RISK_CHANNELS)}")
    say = progress or (lambda _s, _d, _t: None)
    say("building the model", 0, points + 1)
    base = run_scenario(
        scenario,
        layers_dir=layers_dir,
        layer_overrides=layer_overrides,
        crs=crs,
        out_dir=None,
        layer_additions=layer_additions,
    )
    for warning in base.warnings:
        log.warning("%s", warning)
    frontier = trace_frontier(
        base.inputs,
        points=points,
        progress=lambda d, t: say("solving λ" if channel is None else f"solving λ_{channel}", d, t),
        channel=channel,
    )
    say("writing", points + 1, points + 1)
    every_layer = with_basemap(base.layers, layers_dir, layer_overrides=layer_overrides, crs=crs)
    with staged_output(out_dir, run_id=frontier.run_id) as stage:
        written = write_frontier(frontier, every_layer, stage)
        files = dict(
            zip(written, published(list(written.values()), stage, Path(out_dir)), strict=True)
        )
    return FrontierOutput(frontier=frontier, inputs=base.inputs, files=files)
