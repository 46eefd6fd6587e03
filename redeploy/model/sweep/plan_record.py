"""The plan of a sweep as a record (`SweepPlan`): what every worker receives.

`redeploy.model.sweep.plan.prepare_sweep` makes it; `redeploy.model.sweep.samples` reads
it to solve each sample. It lives below both, so neither imports the other for its type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from redeploy.model.base import ModelBase
from redeploy.model.inputs import AllocationInputs
from redeploy.scenario import CoefficientSet, Distribution, Parameter


@dataclass(frozen=True)
class SweepPlan:
    """
    Everything a worker needs to solve samples: small, picklable, scattered once.

    Attributes
    ----------
    name
        Scenario name (names the output files).
    source
        The scenario file, for messages.
    run_id
        Digest of the inputs at the central values.
    base_data
        The scenario as data (central values in place, no ``uncertain`` table).
    params
        ``(path, Parameter, Distribution)`` of every uncertain parameter, sorted by path.
    coefficients
        The default coefficients (the scenario's own apply on top, per sample).
    base
        The layers as the model reads them (`redeploy.model.base.prepare_base`).
    inputs
        The inputs at the central values with one flow per access-allowed triple.
    keep
        (n,) the flows of the warm model: those the central values or a probe can use.
    basis
        Column and row basis status of the warm model's central solution (the start of
        every sample solved on it).
    token
        Digest of the plan (workers rebuild their solver when it changes).
    """

    name: str
    source: str
    run_id: str
    base_data: dict[str, Any]
    params: tuple[tuple[str, Parameter, Distribution], ...]
    coefficients: CoefficientSet
    base: ModelBase
    inputs: AllocationInputs
    keep: np.ndarray
    basis: tuple[np.ndarray, np.ndarray]
    token: str

    @property
    def paths(self) -> list[str]:
        """The uncertain parameters' paths, sorted."""
        return [p for p, _, _ in self.params]
