"""redeploy: map where U.S. strategic capacity freed by allied burden-sharing could go."""

from redeploy.errors import (
    InfeasibleAllocationError,
    LayerValidationError,
    RedeployError,
    ScenarioError,
)
from redeploy.layers import read_layer, read_layers, validate_layer
from redeploy.schemas import ASSETS, SCHEMAS, LayerKind

__version__ = "0.1.0"

__all__ = [
    "ASSETS",
    "SCHEMAS",
    "InfeasibleAllocationError",
    "LayerKind",
    "LayerValidationError",
    "RedeployError",
    "ScenarioError",
    "__version__",
    "read_layer",
    "read_layers",
    "validate_layer",
]
