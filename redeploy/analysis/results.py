"""What `redeploy sensitivity` and `redeploy discover` produce (their workflows fill these;
render draws them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from redeploy.analysis.outcomes import Condition
from redeploy.analysis.prim import PrimResult
from redeploy.model.sweep import SweepPlan


@dataclass(frozen=True)
class SensitivityOutput:
    """What `run_sensitivity` produced."""

    plan: SweepPlan
    method: str
    samples: int
    evaluations: int
    failed: int
    table: pd.DataFrame
    outputs: tuple[str, ...]
    workers: int
    seconds: float
    files: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class DiscoverOutput:
    """What `run_discover` produced."""

    plan: SweepPlan
    condition: Condition
    samples: int
    failed: int
    result: PrimResult
    table: pd.DataFrame
    words: str
    workers: int
    seconds: float
    files: dict[str, Path] = field(default_factory=dict)
