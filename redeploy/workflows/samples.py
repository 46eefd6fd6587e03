"""Samples of a scenario solved on Dask: the batches, their part files, the combined table.

`solve_samples` is shared by `redeploy sweep` (`redeploy.workflows.sweep`) and by
`redeploy sensitivity` and `redeploy discover` (`redeploy.workflows.uncertainty`): sample
``i`` is drawn from (seed, i) or is row ``i`` of a design; completed batches are kept as
part files while the work runs, so Ctrl-C keeps them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from redeploy.io.atomic import write_atomic, write_with
from redeploy.model.sweep import Fault, SweepPlan, run_batch, sample_columns
from redeploy.workflows import sweep_faults as faults
from redeploy.workflows.cluster import sweep_client, worker_threads

if TYPE_CHECKING:
    from distributed import Client


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


#: Smallest and largest default batch (samples per task).
BATCH_BOUNDS = (16, 512)


def default_batch_size(samples: int, workers: int) -> int:
    """Return ``ceil(samples / (4 * workers))`` bounded to `BATCH_BOUNDS`."""
    lo, hi = BATCH_BOUNDS
    return max(lo, min(hi, math.ceil(samples / (4 * max(workers, 1)))))


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
        interrupted = False
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
