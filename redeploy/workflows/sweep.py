"""`redeploy sweep` as a Python function: plan, solve every sample on Dask, write the results.

Outputs: ``NAME-sweep.parquet`` (one row per sample), ``NAME-sweep-summary.csv`` (mean,
percentiles and probability of receiving capacity per zone, front and region) and
``NAME-sweep.html`` (the robustness map, drawn by `redeploy.render.robustness`).
Completed batches are kept as part files while the sweep runs, so Ctrl-C keeps them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from redeploy.errors import OutputError, ScenarioError
from redeploy.io.publish import claim_output, published, staged_output
from redeploy.io.text import csv_text
from redeploy.model.inputs import build_inputs
from redeploy.model.sweep import (
    EPSILON,
    STATUS_OK,
    Fault,
    SweepPlan,
    prepare_sweep,
    summarize,
)
from redeploy.scenario import (
    CoefficientSet,
    SamplingMethod,
    Scenario,
    effective_coefficients,
    load_coefficients,
    sample_design,
)
from redeploy.schemas import ASSET_UNITS
from redeploy.workflows import sweep_faults as faults
from redeploy.workflows.run import (
    compute_run_id,
    read_model_layers,
    with_basemap,
)
from redeploy.workflows.samples import (
    BATCH_BOUNDS as BATCH_BOUNDS,
)
from redeploy.workflows.samples import (
    SolvedSamples as SolvedSamples,
)
from redeploy.workflows.samples import (
    combine_parts as combine_parts,
)
from redeploy.workflows.samples import (
    default_batch_size as default_batch_size,
)
from redeploy.workflows.samples import (
    solve_samples as solve_samples,
)
from redeploy.workflows.samples import (
    write_parquet as write_parquet,
)
from redeploy.workflows.samples import (
    write_text as write_text,
)

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)


class SweepInterrupted(KeyboardInterrupt):
    """The user interrupted a sweep; `output` holds what completed batches wrote."""

    def __init__(self, output: SweepOutput) -> None:
        super().__init__("sweep interrupted")
        self.output = output


def summary_csv(summary: pd.DataFrame) -> str:
    """Return the summary as CSV text (`redeploy.io.text.csv_text`)."""
    return csv_text(summary)


def sweep_paths(name: str, out_dir: str | Path) -> dict[str, Path]:
    """Return ``{"parquet", "summary", "map", "parts", "partial"}`` paths of a sweep of
    `name` (``partial``: the samples of an interrupted sweep)."""
    out = Path(out_dir)
    return {
        "parquet": out / f"{name}-sweep.parquet",
        "summary": out / f"{name}-sweep-summary.csv",
        "map": out / f"{name}-sweep.html",
        "parts": out / f"{name}-sweep.parts",
        "partial": out / f"{name}-sweep-partial.parquet",
    }


@dataclass(frozen=True)
class SweepOutput:
    """What `run_sweep` produced."""

    plan: SweepPlan
    samples: int
    completed: int
    failed: int
    seed: int
    workers: int
    batch_size: int
    seconds: float
    #: Wall time from submitting the first batch to receiving the last one.
    solve_seconds: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)
    summary: pd.DataFrame | None = None
    interrupted: bool = False
    #: Completed samples per status other than optimal (``infeasible``, ``invalid``).
    not_solved: dict[str, int] = field(default_factory=dict)
    #: How the samples were laid out (`redeploy.scenario.SAMPLING_METHODS`).
    method: str = "random"


@dataclass(frozen=True)
class SweepInputs:
    """What a sweep reads once: the scenario, coefficients, model layers, run id and plan."""

    scenario: Scenario
    coefficients: CoefficientSet
    layers: dict[str, Any]
    run_id: str
    plan: SweepPlan

    @classmethod
    def read(
        cls,
        scenario: str | Path | Scenario,
        layers_dir: str | Path | None,
        layer_overrides: Mapping[str, str | Path] | None,
        crs: str | None,
        layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
    ) -> SweepInputs:
        from redeploy.scenario import load_scenario

        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        coeffs = load_coefficients()
        layer_set, sc = read_model_layers(sc, layers_dir, layer_overrides, layer_additions, crs)
        for warning in layer_set.warnings:
            log.warning("%s", warning)
        layers = layer_set.frames
        run_id = compute_run_id(layer_set.hashed_paths(), sc, effective_coefficients(sc, coeffs))
        plan = prepare_sweep(layers, sc, coefficients=coeffs, run_id=run_id)
        return cls(sc, coeffs, layers, run_id, plan)

    def write_map(
        self,
        every_layer: Mapping[str, Any],
        summary: pd.DataFrame,
        output: SweepOutput,
        path: Path,
        table: pd.DataFrame | None = None,
        folder: Path | None = None,
    ) -> Path:
        """Solve the central run and write the robustness map of `summary` to `path`,
        with what drives each zone and the whole map (from `table`, the samples, and the
        scenario's sensitivity run in `folder`, the output folder, when there is one)."""
        from redeploy.model.allocation import solve_allocation
        from redeploy.render.robustness import write_robustness_map

        inputs = build_inputs(
            self.layers, self.scenario, coefficients=self.coefficients, run_id=self.run_id
        )
        central = solve_allocation(inputs)
        zone_drivers, map_drivers = _drivers(table, folder or path.parent, self.plan)
        return write_robustness_map(
            every_layer,
            summary,
            central,
            path,
            facts=_facts(output),
            params=_params(output),
            drivers=zone_drivers,
            map_drivers=map_drivers,
        )


def run_sweep(
    scenario: str | Path | Scenario = "baseline-uncertain",
    *,
    samples: int,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    client: Client | None = None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
    progress: bool = True,
    write_map: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
    processes: bool = True,
    method: SamplingMethod = "random",
    _fault: Fault | None = None,
) -> SweepOutput:
    """
    Sample a scenario's uncertain parameters, solve every sample on Dask, write the results.

    Parameters
    ----------
    scenario
        Shipped scenario name, TOML path or loaded `Scenario` with an ``[uncertain]`` table.
    samples
        Number of samples (indices ``0 .. samples - 1``).
    seed
        Seed of `numpy.random.SeedSequence`; sample ``i`` depends only on (seed, i).
    workers
        Worker processes of the local cluster (default: the machine's cores).
    scheduler
        Address of an existing Dask scheduler, instead of a local cluster.
    batch_size
        Samples per task; default `default_batch_size`.
    layers_dir, layer_overrides
        Layers replacing the shipped ones (as in `redeploy run`).
    layer_additions
        ``{kind: [file, ...]}`` of features added to a layer (as in `redeploy run`); the
        sweep is then named ``SCENARIO_with_STEM``.
    out_dir
        Output folder.
    client
        An existing `distributed.Client` to use (then `workers`/`scheduler` are ignored).
    progress
        Show a progress bar on stderr.
    write_map
        Also write the robustness map ``NAME-sweep.html``.
    on_batch
        Called with (samples done, samples) after each completed batch.
    processes
        Local cluster workers in processes (True) or threads.
    method
        ``"random"`` (sample ``i`` depends only on (seed, i)), ``"latin-hypercube"`` or
        ``"sobol"`` (`redeploy.scenario.sample_design`: the whole design is drawn on the
        client, seeded, and each batch gets its rows).

    Returns
    -------
    SweepOutput
        Files written, counts and timings.

    Raises
    ------
    ScenarioError, LayerValidationError, InfeasibleAllocationError
        For bad input (before any sample is solved).
    SweepInterrupted
        On Ctrl-C: completed batches are combined into ``NAME-sweep-partial.parquet``.
    WorkersLost
        When the Dask workers are lost: the completed samples are kept in the same file.
    """
    if samples < 1:
        msg = f"--samples must be at least 1, got {samples}"
        raise ScenarioError(msg)
    t0 = time.perf_counter()
    inputs = SweepInputs.read(scenario, layers_dir, layer_overrides, crs, layer_additions)
    plan = inputs.plan
    parts_dir = sweep_paths(plan.name, out_dir)["parts"]
    rows = _design_rows(plan, samples, seed, method)
    manifest = {"scenario": plan.name, "run_id": plan.run_id, "seed": seed}
    manifest |= {"samples": samples, "method": method}
    # one writer in the folder from the first part file to the published set
    with claim_output(out_dir):
        try:
            run = solve_samples(
                plan,
                samples,
                seed,
                parts_dir,
                manifest,
                client=client,
                workers=workers,
                scheduler=scheduler,
                batch_size=batch_size,
                processes=processes,
                progress=progress,
                on_batch=on_batch,
                design=rows,
                fault=_fault,
            )
        except faults.WorkersLost as err:  # keep the completed samples, beside any earlier sweep
            meta = _parquet_meta(manifest, err.table, plan)
            kept = _publish_partial(err.table, meta, plan, out_dir)["parquet"]
            raise faults.lost(err, samples, kept) from None
        table = run.table
        output = _sweep_output(plan, run, samples, seed, method, t0)
        meta = _parquet_meta(manifest, table, plan)
        if run.interrupted:
            raise SweepInterrupted(
                dataclasses.replace(output, files=_publish_partial(table, meta, plan, out_dir))
            )
        summary = summarize(table)
        every = (
            with_basemap(inputs.layers, layers_dir, layer_overrides=layer_overrides, crs=crs)
            if write_map
            else None
        )
        written = _publish(inputs, table, meta, summary, output, every, out_dir)
        shutil.rmtree(parts_dir, ignore_errors=True)
    return dataclasses.replace(
        output, files=written, summary=summary, seconds=time.perf_counter() - t0
    )


def _sweep_output(
    plan: SweepPlan,
    run: SolvedSamples,
    samples: int,
    seed: int,
    method: SamplingMethod,
    t0: float,
) -> SweepOutput:
    """The sweep's counts and timings (its files and summary are added once published)."""
    failed, not_solved = _not_solved(run.table)
    return SweepOutput(
        plan=plan,
        samples=samples,
        completed=len(run.table),
        failed=failed,
        seed=seed,
        not_solved=not_solved,
        workers=run.workers,
        batch_size=run.batch_size,
        seconds=time.perf_counter() - t0,
        solve_seconds=run.seconds,
        interrupted=run.interrupted,
        method=method,
    )


def _publish(
    inputs: SweepInputs,
    table: pd.DataFrame,
    meta: Mapping[str, Any],
    summary: pd.DataFrame,
    output: SweepOutput,
    every_layer: Mapping[str, Any] | None,
    out_dir: str | Path,
) -> dict[str, Path]:
    """Publish the sweep's parquet, summary and (with `every_layer`) map as one set."""
    name = inputs.plan.name
    with staged_output(out_dir, name=f"{name}-sweep", run_id=inputs.plan.run_id) as stage:
        paths = sweep_paths(name, stage)
        staged = {
            "parquet": write_parquet(table, paths["parquet"], meta),
            "summary": write_text(paths["summary"], summary_csv(summary)),
        }
        if every_layer is not None:
            staged["map"] = inputs.write_map(
                every_layer, summary, output, paths["map"], table, Path(out_dir)
            )
        final = published(list(staged.values()), stage, Path(out_dir))
    return dict(zip(staged, final, strict=True))


def _publish_partial(
    table: pd.DataFrame, meta: Mapping[str, Any], plan: SweepPlan, out_dir: str | Path
) -> dict[str, Path]:
    """Publish an interrupted sweep's samples as their own set, ``NAME-sweep-partial.parquet``,
    so a complete sweep's parquet, summary and map stay one set."""
    name = f"{plan.name}-sweep-partial"
    with staged_output(out_dir, name=name, run_id=plan.run_id) as stage:
        path = write_parquet(table, sweep_paths(plan.name, stage)["partial"], meta)
        final = published([path], stage, Path(out_dir))
    return {"parquet": final[0]}


def _design_rows(
    plan: SweepPlan, samples: int, seed: int, method: SamplingMethod
) -> np.ndarray | None:
    """The design's rows (one column per uncertain parameter), or None for random draws
    (sample ``i`` then depends only on (seed, i) and is drawn by its worker)."""
    if method == "random" or not plan.paths:
        return None
    drawn = sample_design(plan.paths, seed, range(samples), method=method, samples=samples)
    return np.column_stack([drawn[p] for p in plan.paths])


def _parquet_meta(
    manifest: Mapping[str, Any], table: pd.DataFrame, plan: SweepPlan
) -> dict[str, Any]:
    """The metadata of the sweep's parquet file: the run, its uncertain tables and units."""
    return {
        **manifest,
        "completed": len(table),
        "uncertain": {p: d.to_table() for p, _, d in plan.params},
        "epsilon": EPSILON,
        "units": {"military_kpe": "kpe", "engagement_bn": "$bn/yr", "objective": "$bn-eq/yr"},
        "assets": dict(ASSET_UNITS),
    }


def _not_solved(table: pd.DataFrame) -> tuple[int, dict[str, int]]:
    """How many samples were not solved to optimality, and how many of each status."""
    if not len(table):
        return 0, {}
    bad = table["status"] != STATUS_OK
    counts = table.loc[bad, "status"].value_counts()
    return int(bad.sum()), {str(k): int(v) for k, v in sorted(counts.items())}


def read_sweep(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """
    Read ``NAME-sweep.parquet``: the sample table and its metadata.

    Raises
    ------
    OutputError
        When the file cannot be read.
    """
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as err:
        msg = f"{path}: cannot read the sweep: {err}"
        raise OutputError(msg) from err
    raw = (table.schema.metadata or {}).get(b"redeploy", b"{}")
    return table.to_pandas(), json.loads(raw)


def _facts(output: SweepOutput) -> list[tuple[str, str]]:
    """Rows about the sweep for the robustness map's panel (no timings: same bytes)."""
    ok = output.completed - output.failed
    return [
        (
            "Samples solved",
            f"{ok:,} of {output.samples:,}"
            + (f" ({output.failed:,} infeasible or invalid)" if output.failed else ""),
        ),
        ("Seed", str(output.seed)),
    ]


def _params(output: SweepOutput) -> list[tuple[str, str, str]]:
    """``(path, distribution, central value)`` of each uncertain parameter."""
    return [(path, d.describe(), f"{d.central():g}") for path, _, d in output.plan.params]


def _drivers(
    table: pd.DataFrame | None, folder: Path, plan: SweepPlan
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """What drives each zone's military allocation (the top three parameters by absolute
    Spearman rank correlation over the samples) and the whole map: the scenario's
    ``NAME-sensitivity.csv`` in the same folder when there is one (mean ST or mu* over its
    outcomes), otherwise the rank correlation with the total withdrawn."""
    from redeploy.render.uncertainty import driver_rows, drivers_text, parameter_label

    if table is None or table.empty:
        return {}, []
    zones = {
        col.split(":")[1]: col
        for col in table.columns
        if col.startswith("zone:") and col.endswith(":military_kpe")
    }
    per_zone = {z: drivers_text(d) for z, d in driver_rows(table, zones).items() if d}
    sensitivity = folder / f"{plan.name}-sensitivity.csv"
    if sensitivity.exists():
        frame = pd.read_csv(sensitivity)
        key = "ST" if "ST" in frame.columns else "mu_star"
        mean = frame.groupby("parameter")[key].mean().sort_values(ascending=False).head(5)
        label = f"mean {key} over the outcomes of {sensitivity.name}"
        return per_zone, [(parameter_label(str(p)), f"{v:.2f} ({label})") for p, v in mean.items()]
    top = driver_rows(table, {"total": "total:released_kpe"}, top=5).get("total", [])
    return per_zone, [(parameter_label(p), f"ρ {r:+.2f} with the total withdrawn") for p, r in top]
