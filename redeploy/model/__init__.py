"""The allocation model: layers + scenario -> inputs -> HiGHS LP -> AllocationResult.

Names are imported lazily, so modules that only need the result contract
(`redeploy.model.result`, read by rendering and export) never load the solver.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS: dict[str, str] = {
    "AllocationModel": "redeploy.model.allocation",
    "RawSolution": "redeploy.model.solution",
    "build_model": "redeploy.model.allocation",
    "solve_allocation": "redeploy.model.allocation",
    "AllocationInputs": "redeploy.model.inputs",
    "build_inputs": "redeploy.model.inputs",
    "AllocationResult": "redeploy.model.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'redeploy.model' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
