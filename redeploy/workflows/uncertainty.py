"""`redeploy sensitivity` and `redeploy discover` as Python functions.

Both solve samples of a scenario's ``[uncertain]`` parameters on Dask with the sweep's
machinery (`redeploy.workflows.samples.solve_samples`), then analyse them
(`redeploy.analysis`): Sobol' or Morris indices per outcome (SALib), or a PRIM box where a
condition on an outcome holds. Outputs are published together (`redeploy.io.atomic`).
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from redeploy.analysis.outcomes import (
    outcomes,
    parse_condition,
    sensitivity_outputs,
)
from redeploy.analysis.prim import box_table, prim
from redeploy.analysis.results import DiscoverOutput, SensitivityOutput
from redeploy.analysis.sensitivity import check_samples, design, indices
from redeploy.errors import ScenarioError
from redeploy.io.atomic import write_atomic
from redeploy.io.publish import claim_output, published, staged_output
from redeploy.io.text import csv_text
from redeploy.model.allocation import solve_allocation
from redeploy.model.inputs import build_inputs
from redeploy.model.sweep import STATUS_OK, SweepPlan, sample_columns
from redeploy.scenario import SamplingMethod, Scenario, sample_design
from redeploy.workflows.run import with_basemap
from redeploy.workflows.samples import solve_samples
from redeploy.workflows.sweep import SweepInputs

if TYPE_CHECKING:
    from distributed import Client


@dataclass(frozen=True)
class _Cluster:
    """How to reach Dask: an existing client, a scheduler's address, or local workers."""

    client: Client | None = None
    workers: int | None = None
    scheduler: str | None = None
    batch_size: int | None = None
    processes: bool = True
    progress: bool = True


def _read(
    scenario: str | Path | Scenario,
    layers_dir: str | Path | None,
    layer_overrides: Mapping[str, str | Path] | None,
    crs: str | None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None,
) -> SweepInputs:
    inputs = SweepInputs.read(scenario, layers_dir, layer_overrides, crs, layer_additions)
    if not inputs.plan.paths:
        msg = (
            f"{inputs.plan.source}: scenario {inputs.plan.name!r} has no [uncertain] table: "
            "there is nothing to vary (see docs/uncertainty.md, or use baseline-uncertain)"
        )
        raise ScenarioError(msg)
    return inputs


def _solve(
    plan: SweepPlan,
    rows: np.ndarray,
    seed: int,
    out_dir: str | Path,
    label: str,
    cluster: _Cluster,
) -> tuple[pd.DataFrame, int, float]:
    parts = Path(out_dir) / f"{plan.name}-{label}.parts"
    manifest = {"scenario": plan.name, "run_id": plan.run_id, "seed": seed, label: len(rows)}
    run = solve_samples(
        plan,
        len(rows),
        seed,
        parts,
        manifest,
        client=cluster.client,
        workers=cluster.workers,
        scheduler=cluster.scheduler,
        batch_size=cluster.batch_size,
        processes=cluster.processes,
        progress=cluster.progress,
        design=rows,
        label=label,
    )
    shutil.rmtree(parts, ignore_errors=True)
    if run.interrupted:
        raise KeyboardInterrupt
    return run.table, run.workers, run.seconds


def _central(inputs: SweepInputs) -> Any:
    built = build_inputs(
        inputs.layers, inputs.scenario, coefficients=inputs.coefficients, run_id=inputs.run_id
    )
    return solve_allocation(built)


def run_sensitivity(
    scenario: str | Path | Scenario = "baseline-uncertain",
    *,
    method: str = "sobol",
    samples: int = 512,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    client: Client | None = None,
    processes: bool = True,
    progress: bool = True,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
    write_map: bool = True,
) -> SensitivityOutput:
    """
    Rank the scenario's uncertain parameters by how much each drives every outcome.

    Writes ``NAME-sensitivity.csv`` (`redeploy.analysis.sensitivity.COLUMNS`),
    ``NAME-sensitivity.png`` (the ranking chart) and ``NAME-sensitivity.html`` (the chart
    and the ranking beside the central run's map).

    Parameters
    ----------
    method
        ``"sobol"`` (S1 and ST; `samples` a power of 2; samples · (D + 2) solves) or
        ``"morris"`` (mu_star and sigma; samples · (D + 1) solves).
    samples
        The design's base size N.
    seed
        Seed of the design and of the bootstrap: the same seed gives the same CSV, on any
        number of workers.

    Raises
    ------
    ScenarioError
        For a scenario without ``[uncertain]``, an unknown method or a bad sample size.
    """
    check_samples(method, samples)
    t0 = time.perf_counter()
    inputs = _read(scenario, layers_dir, layer_overrides, crs, layer_additions)
    plan = inputs.plan
    rows = design(method, plan.paths, samples, seed)
    cluster = _Cluster(client, workers, scheduler, batch_size, processes, progress)
    with claim_output(out_dir):  # one writer in the folder, from parts to published set
        table, n_workers, _ = _solve(plan, rows, seed, out_dir, "sensitivity", cluster)
        names = sensitivity_outputs(plan.inputs.regions)
        values, failed = _filled(outcomes(table), table, names)
        output = SensitivityOutput(
            plan=plan,
            method=method,
            samples=samples,
            evaluations=len(rows),
            failed=failed,
            table=indices(method, plan.paths, rows, values, seed),
            outputs=tuple(names),
            workers=n_workers,
            seconds=time.perf_counter() - t0,
        )
        where = (layers_dir, layer_overrides, crs)
        files = _write_sensitivity(output, inputs, out_dir, write_map, *where)
    return dataclasses.replace(output, files=files)


def _filled(frame: pd.DataFrame, table: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, int]:
    """The outputs of every design row; samples not solved to optimality (infeasible or
    invalid draws) take the mean of the others, so the design stays whole; their count."""
    ok = (table["status"] == STATUS_OK).to_numpy()
    values = frame.reindex(columns=names).astype(float)
    if not ok.any():
        msg = "no sample of the design was solved to optimality: nothing to analyse"
        raise ScenarioError(msg)
    means = values[ok].mean()
    values.loc[~ok] = np.nan
    return values.fillna(means).fillna(0.0), int((~ok).sum())


def _write_sensitivity(
    output: SensitivityOutput,
    inputs: SweepInputs,
    out_dir: str | Path,
    write_map: bool,
    layers_dir: str | Path | None,
    layer_overrides: Mapping[str, str | Path] | None,
    crs: str | None,
) -> dict[str, Path]:
    from redeploy.render.uncertainty import plot_sensitivity, write_sensitivity_map

    name = output.plan.name
    with staged_output(out_dir, name=f"{name}-sensitivity", run_id=output.plan.run_id) as stage:
        png = plot_sensitivity(output, stage / f"{name}-sensitivity.png")
        written = {
            "csv": write_atomic(stage / f"{name}-sensitivity.csv", csv_text(output.table)),
            "png": png,
        }
        if write_map:
            every = with_basemap(
                inputs.layers, layers_dir, layer_overrides=layer_overrides, crs=crs
            )
            written["html"] = write_sensitivity_map(
                every,
                _central(inputs),
                output,
                stage / f"{name}-sensitivity.html",
                png.read_bytes(),
            )
        final = published(list(written.values()), stage, Path(out_dir))
    return dict(zip(written, final, strict=True))


def outcome_names(plan: SweepPlan) -> list[str]:
    """The outcomes a ``--when`` condition may name, for this plan's layers."""
    return list(outcomes(pd.DataFrame(columns=sample_columns(plan))).columns)


def run_discover(
    scenario: str | Path | Scenario = "baseline-uncertain",
    *,
    when: str,
    samples: int = 1024,
    seed: int = 0,
    method: SamplingMethod = "latin-hypercube",
    workers: int | None = None,
    scheduler: str | None = None,
    batch_size: int | None = None,
    client: Client | None = None,
    processes: bool = True,
    progress: bool = True,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path = "maps",
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
    on_solved: Callable[[int, int], None] | None = None,
) -> DiscoverOutput:
    """
    Find the conditions under which `when` holds: PRIM over samples of the scenario.

    Writes ``NAME-discover.csv`` (``box, parameter, low, high, coverage, density``),
    ``NAME-discover.png`` (the peeling trajectory) and ``NAME-discover.html`` (the box in
    words, its table and the trajectory).

    Parameters
    ----------
    when
        ``"<outcome> <op> <number>"``, e.g. ``"South America.total_bn > 0"``
        (`redeploy.analysis.outcomes`).
    samples
        Samples drawn (a Latin hypercube by default).

    Raises
    ------
    ScenarioError
        For a bad condition (checked before anything is solved), a scenario without
        ``[uncertain]``, or a condition that never or always holds.
    """
    if samples < 10:
        msg = f"--samples must be at least 10 for PRIM, got {samples}"
        raise ScenarioError(msg)
    t0 = time.perf_counter()
    inputs = _read(scenario, layers_dir, layer_overrides, crs, layer_additions)
    plan = inputs.plan
    condition = parse_condition(when, outcome_names(plan))
    drawn = sample_design(plan.paths, seed, range(samples), method=method, samples=samples)
    rows = np.column_stack([drawn[p] for p in plan.paths])
    cluster = _Cluster(client, workers, scheduler, batch_size, processes, progress)
    with claim_output(out_dir):  # one writer in the folder, from parts to published set
        table, n_workers, _ = _solve(plan, rows, seed, out_dir, "discover", cluster)
        ok = (table["status"] == STATUS_OK).to_numpy()
        x = table.loc[ok, [f"param:{p}" for p in plan.paths]].set_axis(plan.paths, axis=1)
        y = condition.holds(outcomes(table))[ok]
        try:
            result = prim(x.reset_index(drop=True), y)
        except ValueError as err:
            msg = f"--when {when!r}: {err}"
            raise ScenarioError(msg) from None
        from redeploy.render.uncertainty import box_words

        output = DiscoverOutput(
            plan=plan,
            condition=condition,
            samples=samples,
            failed=int((~ok).sum()),
            result=result,
            table=box_table(result),
            words=box_words(result, condition),
            workers=n_workers,
            seconds=time.perf_counter() - t0,
        )
        return dataclasses.replace(output, files=_write_discover(output, out_dir))


def _write_discover(output: DiscoverOutput, out_dir: str | Path) -> dict[str, Path]:
    from redeploy.render.uncertainty import discover_html, plot_peeling

    name = output.plan.name
    with staged_output(out_dir, name=f"{name}-discover", run_id=output.plan.run_id) as stage:
        png = plot_peeling(output.result, stage / f"{name}-discover.png")
        written = {
            "csv": write_atomic(stage / f"{name}-discover.csv", csv_text(output.table)),
            "png": png,
            "html": write_atomic(
                stage / f"{name}-discover.html", discover_html(output, png.read_bytes())
            ),
        }
        final = published(list(written.values()), stage, Path(out_dir))
    return dict(zip(written, final, strict=True))
