"""Several seeded CMA-ES starts per fit, on worker processes, keeping the lowest loss.

CMA-ES on some fifty multipliers and a piecewise-linear loss lands in different optima
from different seeds (docs/validation.md gives the measured spread). `run_fits` runs
``starts`` searches for each fit (the main fit and each left-out fit), start k of seed s
seeded ``s · STARTS_STRIDE + k``, and keeps the start with the lowest loss: the choice uses
only the loss that fit minimises, never the figures of a region it left out.

The fits run on up to ``workers`` processes, each building its own model base from the
layers; a start's result depends on its seed only, so the files do not depend on the
number of workers. Ctrl-C (SIGINT) reaches the parent, which asks every running start to
stop at its next generation and keeps the best so far; the workers ignore it themselves.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redeploy.calibration.fit import Fit, Objective, fit, parameters
from redeploy.calibration.targets import Targets, load_targets
from redeploy.layers import read_layers
from redeploy.model.base import ModelBase, prepare_base
from redeploy.scenario import CoefficientSet, Scenario, prior_coefficients
from redeploy.workflows.run import MODEL_LAYERS

#: Start k of seed s is seeded s * STARTS_STRIDE + k.
STARTS_STRIDE = 1000
#: Seconds between two looks at the workers' progress.
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class FitJob:
    """One seeded CMA-ES start: of the main fit (``group`` "") or of a left-out fit."""

    group: str
    exclude: tuple[str, ...]
    budget: int
    seed: int


@dataclass(frozen=True)
class Setting:
    """Where a worker finds what every start fits: the layers (to build the model base),
    the targets' folder and the scenario of the pattern checks (the priors are the
    shipped coefficients' own)."""

    layers_dir: str | None
    crs: str | None
    targets_dir: str | None
    scenario: Scenario


def start_seeds(seed: int, starts: int) -> list[int]:
    """The seeds of the `starts` starts of `seed`."""
    return [seed * STARTS_STRIDE + k for k in range(starts)]


def best_start(fits: Sequence[Fit]) -> Fit:
    """The start with the lowest total loss (the first of equals)."""
    return min(fits, key=lambda f: f.loss["total"])


# --- worker side -----------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _worker_init(setting: Setting, messages: Any, stop: Any) -> None:
    """Keep the worker's setting and channels (its model base is built by its first
    start); Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE.update(setting=setting, messages=messages, stop=stop)


def build_base(layers_dir: str | Path | None, crs: str | None) -> ModelBase:
    """The model base of the layers in `layers_dir` (the shipped ones when None)."""
    return prepare_base(read_layers(layers_dir, kinds=MODEL_LAYERS, crs=crs))


@dataclass(frozen=True)
class FitContext:
    """What a start needs in memory: the model base, the priors, the targets and the
    scenario of the pattern checks."""

    base: ModelBase
    defaults: CoefficientSet
    targets: Targets
    scenario: Scenario


def _context() -> FitContext:
    """This worker's `FitContext`, built from its `Setting` on first use."""
    if "context" not in _STATE:
        setting: Setting = _STATE["setting"]
        defaults, _ = prior_coefficients()
        _STATE["context"] = FitContext(
            build_base(setting.layers_dir, setting.crs),
            defaults,
            load_targets(setting.targets_dir),
            setting.scenario,
        )
    context: FitContext = _STATE["context"]
    return context


def run_job(
    job: FitJob,
    context: FitContext,
    progress: Callable[[int, float], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> Fit:
    """Run one start of `job`'s fit."""
    objective = Objective(
        context.base,
        context.defaults,
        context.targets,
        context.scenario,
        parameters(),
        exclude=job.exclude,
    )
    return fit(
        objective,
        budget=job.budget,
        seed=job.seed,
        progress=None if progress is None else (lambda done, _total, best: progress(done, best)),
        stop=stop,
    )


def _pooled_job(index: int, job: FitJob) -> Fit:
    messages, stop = _STATE["messages"], _STATE["stop"]
    return run_job(
        job,
        _context(),
        progress=lambda done, best: messages.put((index, done, best)),
        stop=stop.is_set,
    )


# --- parent side -----------------------------------------------------------------------


@dataclass
class Runs:
    """The starts' results by job (None: not run, interrupted before it began)."""

    jobs: list[FitJob]
    fits: list[Fit | None]
    interrupted: bool

    def group(self, name: str) -> list[Fit]:
        """The completed or stopped starts of `name`'s fit ("" the main fit)."""
        return [f for j, f in zip(self.jobs, self.fits, strict=True) if j.group == name and f]

    def complete(self, name: str) -> bool:
        """Whether every start of `name`'s fit ran to its end."""
        fits = [f for j, f in zip(self.jobs, self.fits, strict=True) if j.group == name]
        return all(f is not None and not f.interrupted for f in fits)


Progress = Callable[[str, int, int, float], None]


def run_fits(
    jobs: list[FitJob],
    setting: Setting,
    context: FitContext,
    *,
    workers: int,
    progress: Progress | None = None,
) -> Runs:
    """
    Run every start in `jobs`: in this process with `context` when `workers` is 1, else on
    `workers` processes that each build theirs from `setting`. Progress is reported as
    (stage, evaluations done, evaluations in all, best main-fit loss so far).
    """
    say = progress or (lambda *_: None)
    total = sum(j.budget for j in jobs)
    done = [0] * len(jobs)
    best = [float("inf")] * len(jobs)
    fits: list[Fit | None] = [None] * len(jobs)

    def report(finished: int) -> None:
        main = min((b for j, b in zip(jobs, best, strict=True) if not j.group), default=0.0)
        say(f"{finished} of {len(jobs)} fits", sum(done), total, main)

    if workers <= 1:
        for i, job in enumerate(jobs):

            def step(d: int, b: float, i: int = i) -> None:
                done[i], best[i] = d, b
                report(i)

            fits[i] = run_job(job, context, progress=step)
            if fits[i] is not None and fits[i].interrupted:  # type: ignore[union-attr]
                return Runs(jobs, fits, True)
        return Runs(jobs, fits, False)
    return _pooled(jobs, setting, workers, fits, (done, best, report))


def _pooled(
    jobs: list[FitJob],
    setting: Setting,
    workers: int,
    fits: list[Fit | None],
    state: tuple[list[int], list[float], Callable[[int], None]],
) -> Runs:
    done, best, report = state
    ctx = multiprocessing.get_context("spawn")
    messages, stop = ctx.Queue(), ctx.Event()
    interrupted = False
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(setting, messages, stop)
    ) as pool:
        futures: dict[Future[Fit], int] = {
            pool.submit(_pooled_job, i, job): i for i, job in enumerate(jobs)
        }
        pending = set(futures)
        while pending:
            try:
                finished, pending = wait(pending, POLL_SECONDS, FIRST_COMPLETED)
                for future in finished:
                    if future.cancelled():
                        continue
                    try:
                        fits[futures[future]] = future.result()
                    except BrokenProcessPool:
                        if not interrupted:  # a worker died of something else
                            raise
                _drain(messages, done, best)
                report(sum(f is not None for f in fits))
            except KeyboardInterrupt:
                # every running start stops at its next generation and returns its best
                interrupted = True
                stop.set()
                for future in pending:
                    future.cancel()
    return Runs(jobs, fits, interrupted or any(f is None or f.interrupted for f in fits))


def _drain(messages: Any, done: list[int], best: list[float]) -> None:
    """Take every progress message the workers sent: (job, evaluations, best loss)."""
    while True:
        try:
            i, d, b = messages.get_nowait()
        except queue.Empty:
            return
        done[i], best[i] = d, b


def default_workers(jobs: int) -> int:
    """Worker processes for `jobs` starts: one per core, at most one per start."""
    return max(1, min(jobs, os.cpu_count() or 1))


def setting_of(
    scenario: Scenario,
    layers_dir: str | Path | None,
    crs: str | None,
    targets_dir: str | Path | None,
) -> Setting:
    """The `Setting` of a calibration (paths as text, so it pickles the same anywhere)."""
    return Setting(
        layers_dir=None if layers_dir is None else str(layers_dir),
        crs=crs,
        targets_dir=None if targets_dir is None else str(targets_dir),
        scenario=scenario,
    )
