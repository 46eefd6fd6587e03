"""redeploy: map where U.S. strategic capacity freed by allied burden-sharing could go.

The public API mirrors the CLI::

    import redeploy

    layers = redeploy.read_layers()                       # files -> validated layers
    scenario = redeploy.load_scenario("baseline")         # TOML -> typed scenario
    inputs = redeploy.build_inputs(layers, scenario)      # -> model inputs
    result = redeploy.solve_allocation(inputs)            # -> HiGHS solution
    redeploy.write_tables(result, "maps")                 # CSV tables + summary JSON
    redeploy.write_map(layers, result, "maps")            # offline HTML map
    redeploy.write_results(layers, result, "maps")        # GeoPackage with QGIS styles

Names are imported lazily, so ``import redeploy.model`` never pulls in folium; type
checkers see them through the ``TYPE_CHECKING`` imports below, which mirror `_EXPORTS`
(``tests/test_architecture.py`` keeps the two equal).
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import TYPE_CHECKING, Any

from redeploy._version import __version__

if TYPE_CHECKING:
    from redeploy.errors import (
        InfeasibleAllocationError,
        LayerValidationError,
        RedeployError,
        ScenarioError,
    )
    from redeploy.export import write_layers, write_results, write_tables
    from redeploy.layers import read_layer, read_layers, validate_layer
    from redeploy.model import (
        AllocationInputs,
        AllocationResult,
        build_inputs,
        build_model,
        solve_allocation,
    )
    from redeploy.render import build_map, save_map, save_png, write_comparison, write_map
    from redeploy.scenario import Scenario, list_scenarios, load_scenario
    from redeploy.schemas import ASSETS, SCHEMAS, LayerKind
    from redeploy.workflows.frontier import run_frontier
    from redeploy.workflows.run import run_scenario
    from redeploy.workflows.sweep import run_sweep

# A library leaves where its diagnostics go to the program (the CLI: -v on stderr).
logging.getLogger(__name__).addHandler(logging.NullHandler())

_EXPORTS: dict[str, str] = {
    "ASSETS": "redeploy.schemas",
    "SCHEMAS": "redeploy.schemas",
    "LayerKind": "redeploy.schemas",
    "RedeployError": "redeploy.errors",
    "LayerValidationError": "redeploy.errors",
    "ScenarioError": "redeploy.errors",
    "InfeasibleAllocationError": "redeploy.errors",
    "read_layer": "redeploy.layers",
    "read_layers": "redeploy.layers",
    "validate_layer": "redeploy.layers",
    "Scenario": "redeploy.scenario",
    "load_scenario": "redeploy.scenario",
    "list_scenarios": "redeploy.scenario",
    "AllocationInputs": "redeploy.model",
    "AllocationResult": "redeploy.model",
    "build_inputs": "redeploy.model",
    "build_model": "redeploy.model",
    "solve_allocation": "redeploy.model",
    "write_tables": "redeploy.export",
    "run_scenario": "redeploy.workflows.run",
    "build_map": "redeploy.render",
    "save_map": "redeploy.render",
    "write_map": "redeploy.render",
    "write_comparison": "redeploy.render",
    "save_png": "redeploy.render",
    "write_layers": "redeploy.export",
    "write_results": "redeploy.export",
    "run_frontier": "redeploy.workflows.frontier",
    "run_sweep": "redeploy.workflows.sweep",
}

# A literal list, so that type checkers and linters read it; equal to `_EXPORTS`'s keys
# plus the version (tests/test_architecture.py).
__all__ = [
    "ASSETS",
    "SCHEMAS",
    "AllocationInputs",
    "AllocationResult",
    "InfeasibleAllocationError",
    "LayerKind",
    "LayerValidationError",
    "RedeployError",
    "Scenario",
    "ScenarioError",
    "__version__",
    "build_inputs",
    "build_map",
    "build_model",
    "list_scenarios",
    "load_scenario",
    "read_layer",
    "read_layers",
    "run_frontier",
    "run_scenario",
    "run_sweep",
    "save_map",
    "save_png",
    "solve_allocation",
    "validate_layer",
    "write_comparison",
    "write_layers",
    "write_map",
    "write_results",
    "write_tables",
]


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        msg = f"module 'redeploy' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
