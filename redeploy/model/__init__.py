"""The allocation model: layers + scenario -> inputs -> HiGHS LP -> AllocationResult."""

from redeploy.model.allocation import (
    AllocationModel,
    RawSolution,
    build_model,
    solve_allocation,
)
from redeploy.model.inputs import AllocationInputs, build_inputs
from redeploy.model.result import AllocationResult

__all__ = [
    "AllocationInputs",
    "AllocationModel",
    "AllocationResult",
    "RawSolution",
    "build_inputs",
    "build_model",
    "solve_allocation",
]
