"""`redeploy sweep` as a Python function: plan, solve every sample on Dask, write the results.

Outputs: ``NAME-sweep.parquet`` (one row per sample), ``NAME-sweep-summary.csv`` (mean,
percentiles and probability of receiving capacity per zone, front and region) and
``NAME-sweep.html`` (the robustness map, drawn by `redeploy.render.robustness`).
Completed batches are kept as part files while the sweep runs, so Ctrl-C keeps them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
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
from redeploy.io.atomic import write_atomic, write_with
from redeploy.io.text import csv_text
from redeploy.model.inputs import build_inputs
from redeploy.model.sweep import (
    EPSILON,
    STATUS_OK,
    Fault,
    SweepPlan,
    prepare_sweep,
    run_batch,
    sample_columns,
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
from redeploy.workflows.cluster import sweep_client, worker_threads
from redeploy.workflows.run import MODEL_LAYERS, compute_run_id, with_basemap

if TYPE_CHECKING:
    from distributed import Client

#: Smallest and largest default batch (samples per task).
BATCH_BOUNDS = (16, 512)


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
    `name`; an interrupted sweep's samples go to "partial", beside an earlier sweep's."""
    out = Path(out_dir)
    return {
        "parquet": out / f"{name}-sweep.parquet",
        "partial": out / f"{name}-sweep-partial.parquet",
        "summary": out / f"{name}-sweep-summary.csv",
        "map": out / f"{name}-sweep.html",
        "parts": out / f"{name}-sweep.parts",
    }


def write_parquet(table: pd.DataFrame, path: Path, meta: Mapping[str, Any]) -> Path:
    """Write a sample table to parquet atomically, with `meta` as JSON schema metadata."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    old = arrow.schema.metadata or {}
    arrow = arrow.replace_schema_metadata(
        {**old, b"redeploy": json.dumps(meta, sort_keys=True).encode()}
    )
    return write_with(path, lambda tmp: pq.write_table(arrow, tmp))


def write_text(path: Path, text: str) -> Path:
    """Write `text` (UTF-8, ``\\n``) to `path` atomically."""
    return write_atomic(path, text)


def combine_parts(parts_dir: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read every ``batch-*.parquet`` in `parts_dir` into one table sorted by sample."""
    files = sorted(parts_dir.glob("batch-*.parquet"))
    frames = [pq.read_table(f).to_pandas() for f in files]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    table = pd.concat(frames, ignore_index=True).reindex(columns=list(columns))
    combined: pd.DataFrame = table.sort_values("sample", kind="mergesort").reset_index(drop=True)
    return combined


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


def default_batch_size(samples: int, workers: int) -> int:
    """Return ``ceil(samples / (4 * workers))`` bounded to `BATCH_BOUNDS`."""
    lo, hi = BATCH_BOUNDS
    return max(lo, min(hi, math.ceil(samples / (4 * max(workers, 1)))))


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
    ) -> SweepInputs:
        from redeploy.layers import read_layers, resolve_layer_paths
        from redeploy.scenario import load_scenario

        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        coeffs = load_coefficients()
        paths = resolve_layer_paths(layers_dir, overrides=layer_overrides, kinds=MODEL_LAYERS)
        layers = read_layers(layers_dir, overrides=layer_overrides, kinds=MODEL_LAYERS, crs=crs)
        run_id = compute_run_id(paths, sc, effective_coefficients(sc, coeffs))
        plan = prepare_sweep(layers, sc, coefficients=coeffs, run_id=run_id)
        return cls(sc, coeffs, layers, run_id, plan)

    def write_map(
        self,
        every_layer: Mapping[str, Any],
        summary: pd.DataFrame,
        output: SweepOutput,
        path: Path,
        table: pd.DataFrame | None = None,
    ) -> Path:
        """Solve the central run and write the robustness map of `summary` to `path`,
        with what drives each zone and the whole map (from `table`, the samples, and the
        scenario's sensitivity run in the same folder when there is one)."""
        from redeploy.model.allocation import solve_allocation
        from redeploy.render.robustness import write_robustness_map

        inputs = build_inputs(
            self.layers, self.scenario, coefficients=self.coefficients, run_id=self.run_id
        )
        central = solve_allocation(inputs)
        zone_drivers, map_drivers = _drivers(table, path.parent, self.plan)
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
    inputs = SweepInputs.read(scenario, layers_dir, layer_overrides, crs)
    plan = inputs.plan
    files = sweep_paths(plan.name, out_dir)
    rows = _design_rows(plan, samples, seed, method)
    manifest = {"scenario": plan.name, "run_id": plan.run_id, "seed": seed}
    manifest |= {"samples": samples, "method": method}
    try:
        run = solve_samples(
            plan,
            samples,
            seed,
            files["parts"],
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
        path = write_parquet(err.table, files["partial"], _parquet_meta(manifest, err.table, plan))
        raise faults.lost(err, samples, path) from None
    table = run.table
    target = files["partial" if run.interrupted else "parquet"]
    written = {"parquet": write_parquet(table, target, _parquet_meta(manifest, table, plan))}
    failed, not_solved = _not_solved(table)
    output = SweepOutput(
        plan=plan,
        samples=samples,
        completed=len(table),
        failed=failed,
        seed=seed,
        not_solved=not_solved,
        workers=run.workers,
        batch_size=run.batch_size,
        seconds=time.perf_counter() - t0,
        solve_seconds=run.seconds,
        files=written,
        interrupted=run.interrupted,
        method=method,
    )
    if run.interrupted:
        raise SweepInterrupted(output)
    summary = summarize(table)
    written["summary"] = write_text(files["summary"], summary_csv(summary))
    if write_map:
        every = with_basemap(inputs.layers, layers_dir, layer_overrides=layer_overrides, crs=crs)
        written["map"] = inputs.write_map(every, summary, output, files["map"], table)
    shutil.rmtree(files["parts"], ignore_errors=True)
    return dataclasses.replace(
        output, files=written, summary=summary, seconds=time.perf_counter() - t0
    )


def _design_rows(
    plan: SweepPlan, samples: int, seed: int, method: SamplingMethod
) -> np.ndarray | None:
    """The design's rows (one column per uncertain parameter), or None for random draws
    (sample ``i`` then depends only on (seed, i) and is drawn by its worker)."""
    if method == "random" or not plan.paths:
        return None
    drawn = sample_design(plan.paths, seed, range(samples), method=method, samples=samples)
    return np.column_stack([drawn[p] for p in plan.paths])


@dataclass(frozen=True)
class SolvedSamples:
    """The sample table of `solve_samples` and how it was solved."""

    table: pd.DataFrame
    workers: int
    batch_size: int
    #: Wall time from submitting the first batch to receiving the last one.
    seconds: float
    interrupted: bool


def solve_samples(
    plan: SweepPlan,
    samples: int,
    seed: int,
    parts_dir: Path,
    manifest: Mapping[str, Any],
    *,
    client: Client | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    processes: bool = True,
    progress: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
    design: np.ndarray | None = None,
    fault: Fault | None = None,
    label: str = "sweep",
) -> SolvedSamples:
    """
    Solve samples ``0 .. samples - 1`` of `plan` on Dask, keeping each completed batch as a
    part file in `parts_dir` (so Ctrl-C keeps them), and combine them.

    Sample ``i`` is drawn from (seed, i), or is row ``i`` of `design` (uniform numbers, one
    column per uncertain parameter in `plan.paths` order). Used by `run_sweep`, and by
    `redeploy.workflows.uncertainty` for the sensitivity and discovery designs.
    """
    faults.check_parts_dir(parts_dir)
    gone = None
    with contextlib.ExitStack() as stack:
        if client is None:
            client = stack.enter_context(sweep_client(workers, scheduler, processes=processes))
        # only once the cluster runs: a sweep that cannot start leaves the folder as it was
        if parts_dir.exists():
            shutil.rmtree(parts_dir)
        parts_dir.mkdir(parents=True)
        write_text(parts_dir / "manifest.json", json.dumps(manifest, sort_keys=True) + "\n")
        n_workers = worker_threads(client)
        size = min(samples, batch_size or default_batch_size(samples, n_workers))
        t_solve = time.perf_counter()
        try:
            interrupted = _run_batches(
                client,
                plan,
                samples,
                seed,
                size,
                parts_dir,
                progress,
                on_batch,
                fault,
                design=design,
                label=label,
            )
        except faults.WorkersLost as err:  # raised below, once the cluster is closed
            gone = err
        t_solve = time.perf_counter() - t_solve
    table = combine_parts(parts_dir, sample_columns(plan))
    if gone is not None:
        raise faults.lost(gone, samples, None, table)
    return SolvedSamples(table, n_workers, size, t_solve, interrupted)


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


def _run_batches(
    client: Client,
    plan: SweepPlan,
    samples: int,
    seed: int,
    size: int,
    parts_dir: Path,
    progress: bool,
    on_batch: Callable[[int, int], None] | None,
    fault: Fault | None,
    design: np.ndarray | None = None,
    label: str = "sweep",
) -> bool:
    """Submit the batches and write each part file as it completes; True if interrupted.

    With a `design` (one row of uniform numbers per sample) each batch gets its rows."""
    from distributed import as_completed

    remote = None
    futures: list[Any] = []
    done = 0
    bar = _progress_bar(progress, samples)
    tag = str(seed) if design is None else hashlib.sha256(design.tobytes()).hexdigest()[:16]
    try:
        remote = client.scatter(plan, broadcast=True, hash=False)
        for start in range(0, samples, size):
            stop = min(samples, start + size)
            rows = None if design is None else design[start:stop]
            key = f"redeploy-{label}-{plan.token[:16]}-{tag}-{start}-{stop}"
            futures.append(
                client.submit(
                    run_batch,
                    remote,
                    start,
                    stop,
                    seed,
                    fault,
                    rows,
                    key=key,
                    retries=2,
                    pure=True,
                )
            )
        index = {f.key: b for b, f in enumerate(futures)}
        with bar:
            task = bar.add_task(f"{label} {plan.name}", total=samples)
            for fut in as_completed(futures):
                part = fut.result()
                write_parquet(
                    part,
                    parts_dir / f"batch-{index[fut.key]:05d}.parquet",
                    {"start": int(part["sample"].min()), "stop": int(part["sample"].max()) + 1},
                )
                done += len(part)
                bar.update(task, advance=len(part))
                if on_batch is not None:
                    on_batch(done, samples)
    except KeyboardInterrupt:  # also while the plan is being sent: nothing solved yet
        client.cancel(futures)
        return True
    except faults.lost_worker_errors() as err:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        raise faults.workers_lost(err) from None
    finally:
        if remote is not None:
            with contextlib.suppress(Exception):
                client.cancel(remote)
    return False


def _progress_bar(enabled: bool, total: int) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=16),  # the whole line fits 80 columns with a long name
        MofNCompleteColumn(),
        TextColumn("samples"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )


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
