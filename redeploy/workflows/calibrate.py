"""`redeploy calibrate` and `redeploy validate` as Python functions.

`run_validate` evaluates a set of coefficients (by default the shipped ones) without
fitting and writes ``validation.csv``, ``validation.json`` and ``validation.html``;
`run_calibrate` fits the multipliers (`redeploy.calibration.fit`), validates the fit on the
regions it left out, and writes ``calibrated.toml`` beside the same three files. Each
command's files are published together.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redeploy.calibration.evaluate import (
    REGION_GROUPS,
    Validation,
    backcast,
    validate_coefficients,
)
from redeploy.calibration.fit import Fit, apply, parameters
from redeploy.calibration.report import (
    calibrated_toml,
    validation_csv,
    validation_json,
    validation_markdown,
    validation_table,
)
from redeploy.calibration.targets import Targets, default_targets_dir, load_targets
from redeploy.io.atomic import write_atomic
from redeploy.io.publish import published, staged_output
from redeploy.model.base import ModelBase
from redeploy.render.validation import validation_html
from redeploy.scenario import (
    CoefficientSet,
    Scenario,
    load_coefficients,
    load_scenario,
    prior_coefficients,
)
from redeploy.workflows.fit_starts import (
    FitContext,
    FitJob,
    Progress,
    Runs,
    best_start,
    build_base,
    default_workers,
    run_fits,
    setting_of,
    start_seeds,
)

#: Default evaluations of the main fit; each left-out fit gets half as many.
DEFAULT_BUDGET = 6000
#: Default CMA-ES starts per fit (the lowest loss is kept, `redeploy.workflows.fit_starts`).
DEFAULT_STARTS = 2


@dataclass(frozen=True)
class CalibrationOutput:
    """What `run_calibrate` or `run_validate` produced."""

    validation: Validation
    files: dict[str, Path]
    summary: dict[str, Any]
    fit: Fit | None = None
    left_out: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False


def _base(layers_dir: str | Path | None, crs: str | None) -> ModelBase:
    return build_base(layers_dir, crs)


def _write(
    out_dir: str | Path,
    validation: Validation,
    summary: Mapping[str, Any],
    *,
    title: str,
    extra_files: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Path]:
    table = validation_table(validation)
    texts: dict[str, tuple[str, str]] = {
        "csv": ("validation.csv", validation_csv(validation)),
        "json": ("validation.json", validation_json(validation, summary)),
        "html": (
            "validation.html",
            validation_html(table, {**validation.summary(), **summary}, title=title),
        ),
    }
    for key, (name, text) in (extra_files or {}).items():
        texts[key] = (name, text)
    with staged_output(out_dir) as stage:
        written = {key: write_atomic(stage / name, text) for key, (name, text) in texts.items()}
        final = published(list(written.values()), stage, Path(out_dir))
    return dict(zip(written, final, strict=True))


def run_validate(
    scenario: str | Path | Scenario = "baseline",
    *,
    coefficients: str | Path | None = None,
    layers_dir: str | Path | None = None,
    crs: str | None = None,
    targets_dir: str | Path | None = None,
    out_dir: str | Path = "maps",
) -> CalibrationOutput:
    """
    Evaluate coefficients without fitting: the backcast and the pattern checks.

    Parameters
    ----------
    scenario
        The scenario of the pattern checks (default ``baseline``).
    coefficients
        A coefficients file (default the shipped ``redeploy/data/coefficients.toml``),
        e.g. a ``calibrated.toml``.
    layers_dir, crs
        Layers replacing the shipped ones.
    targets_dir
        Calibration targets (default ``geodata/calibration/``).
    out_dir
        Output folder of validation.csv, .json and .html.
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    coeffs = load_coefficients(coefficients)
    targets = load_targets(targets_dir)
    validation = validate_coefficients(_base(layers_dir, crs), coeffs, targets, sc)
    files = _write(out_dir, validation, {}, title="redeploy validation")
    return CalibrationOutput(
        validation, files, validation.summary(), seconds=time.perf_counter() - t0
    )


def _starts(fits: list[Fit], chosen: Fit, overlap: Callable[[Fit], float]) -> list[dict[str, Any]]:
    """Each start's seed, loss and evaluations, whether it is the one kept, and the overlap
    it reaches (`overlap`: in sample for the main fit, on the left-out regions for a
    left-out fit). The start is chosen on its loss alone; the overlaps are reported so a
    reader sees what the choice did."""
    return [
        {
            "seed": f.seed,
            "loss": f.loss["total"],
            "overlap": round(overlap(f), 6),
            "evaluations": f.evaluations,
            "interrupted": f.interrupted,
            "kept": f is chosen,
        }
        for f in fits
    ]


@dataclass(frozen=True)
class _Backcasts:
    """The backcast overlap of any start's multipliers, in sample or on some regions."""

    base: ModelBase
    defaults: CoefficientSet
    targets: Targets

    def overlap(self, regions: tuple[str, ...] = ()) -> Callable[[Fit], float]:
        def of(fit: Fit) -> float:
            bc = backcast(self.base, apply(self.defaults, parameters(), fit.x), self.targets)
            return bc.overlap(regions or None)

        return of


def _fit_summary(
    result: Fit,
    seed: int,
    budget: int,
    left_out: Mapping[str, Mapping[str, Any]],
    runs: Runs,
    backcasts: _Backcasts,
) -> dict[str, Any]:
    params = parameters()
    ranges = result.ranges(params)
    return {
        "overlap_left_out": {g: v["overlap"] for g, v in left_out.items()},
        "left_out_fits": {
            g: {
                "loss": v["fit"].loss,
                "starts": _starts(
                    runs.group(g), v["fit"], backcasts.overlap(tuple(REGION_GROUPS[g]))
                ),
            }
            for g, v in left_out.items()
        },
        "fit": {
            "method": "CMA-ES (cma), log-multipliers, bounds e^±ln 8; the lowest-loss start "
            "of each fit is kept",
            "seed": seed,
            "budget": budget,
            "starts": _starts(runs.group(""), result, backcasts.overlap()),
            "evaluations": result.evaluations,
            "interrupted": result.interrupted,
            "loss": result.loss,
            "parameters": [
                {
                    "name": p.name,
                    "keys": list(p.keys),
                    "multiplier": float(m),
                    "low": float(lo),
                    "high": float(hi),
                }
                for p, m, (lo, hi) in zip(params, result.multipliers(), ranges, strict=True)
            ],
        },
    }


def run_calibrate(
    *,
    budget: int = DEFAULT_BUDGET,
    seed: int = 0,
    starts: int = DEFAULT_STARTS,
    workers: int | None = None,
    scenario: str | Path | Scenario = "baseline",
    layers_dir: str | Path | None = None,
    crs: str | None = None,
    targets_dir: str | Path | None = None,
    out_dir: str | Path = "maps",
    leave_out: bool = True,
    progress: Progress | None = None,
) -> CalibrationOutput:
    """
    Fit the multipliers, validate them in sample and on left-out regions, write the files.

    Parameters
    ----------
    budget
        Evaluations of each start of the main fit (each left-out start gets half).
    seed
        Seed of CMA-ES: the same seed (and `starts`) gives the same calibrated.toml,
        whatever `workers`.
    starts
        Seeded CMA-ES starts per fit; the one with the lowest loss is kept.
    workers
        Processes the starts run on (default: one per core, at most one per start; 1 runs
        them in this process).
    scenario
        The scenario of the pattern checks (default ``baseline``).
    leave_out
        Also fit without each region group (Americas, Africa, Southeast Asia) and predict
        it (``overlap_left_out``).
    progress
        Called with (stage, evaluations done, evaluations in all, best main-fit loss).

    Notes
    -----
    Ctrl-C keeps the best fit so far: its files are written, marked interrupted.
    """
    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    # the fit starts from the priors, so it reproduces the shipped (calibrated) file
    defaults, priors = prior_coefficients()
    targets: Targets = load_targets(targets_dir)
    base = _base(layers_dir, crs)
    params = parameters()
    seeds = start_seeds(seed, starts)
    jobs = [FitJob("", (), budget, s) for s in seeds]
    if leave_out:
        half = max(budget // 2, 1)
        jobs += [FitJob(g, r, half, s) for g, r in REGION_GROUPS.items() for s in seeds]
    runs = run_fits(
        jobs,
        setting_of(sc, layers_dir, crs, targets_dir),
        FitContext(base, defaults, targets, sc),
        workers=workers or default_workers(len(jobs)),
        progress=progress,
    )
    result = best_start(runs.group(""))
    backcasts = _Backcasts(base, defaults, targets)
    left = _left_out(backcasts, runs) if leave_out else {}
    fitted = apply(defaults, params, result.x)
    validation = validate_coefficients(base, fitted, targets, sc)
    summary = {
        **validation.summary(),
        **_fit_summary(result, seed, budget, left, runs, backcasts),
    }
    summary["interrupted"] = runs.interrupted
    provenance = (
        f"geodata/calibration (posture_targets.csv, engagement_targets.csv) and the pattern "
        f"checks P1-P5 on {sc.name} by redeploy calibrate --seed {seed} --budget {budget} "
        f"--starts {starts}"
    )
    toml = calibrated_toml(priors, params, result, fitted, provenance=provenance)
    files = _write(
        out_dir,
        validation,
        summary,
        title="redeploy calibration",
        extra_files={"toml": ("calibrated.toml", toml)},
    )
    missing = [g for g in REGION_GROUPS if g not in left] if leave_out else []
    summary["left_out_missing"] = missing
    return CalibrationOutput(
        validation,
        files,
        summary,
        fit=result,
        left_out=left,
        seconds=time.perf_counter() - t0,
        interrupted=runs.interrupted,
    )


def _left_out(backcasts: _Backcasts, runs: Runs) -> dict[str, dict[str, Any]]:
    """``{group: {overlap, fit}}`` for each region group whose starts all completed: the
    lowest-loss fit without the group's targets, and its overlap on the group."""
    out: dict[str, dict[str, Any]] = {}
    for group, regions in REGION_GROUPS.items():
        if not runs.complete(group):
            continue
        chosen = best_start(runs.group(group))
        out[group] = {"overlap": backcasts.overlap(tuple(regions))(chosen), "fit": chosen}
    return out


#: The fit summary of the shipped coefficients: the ``validation.json`` `redeploy calibrate`
#: wrote with them, kept beside the targets (its fit and left-out figures).
FIT_SUMMARY = "fit.json"


def shipped_validation_markdown() -> str:
    """
    Return the generated part of docs/validation.md: the shipped coefficients evaluated
    as `redeploy validate` does (baseline, shipped layers and targets), with the fit and
    leave-one-out figures of ``geodata/calibration/fit.json``.
    """
    sc = load_scenario("baseline")
    validation = validate_coefficients(_base(None, None), load_coefficients(), load_targets(), sc)
    path = default_targets_dir() / FIT_SUMMARY
    fit_summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return validation_markdown(validation, fit_summary)
