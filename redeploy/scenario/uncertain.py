"""The ``[uncertain]`` table of a `Scenario`: `ParameterSpace` bound to the scenario model.

The checks themselves live in `redeploy.scenario.parameters`; `Scenario` runs them from its
own validators, and these functions give the rest of the package the same checks by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redeploy.scenario.distributions import Distribution
from redeploy.scenario.models import Scenario, UncertainTable
from redeploy.scenario.parameters import Parameter, ParameterSpace

#: The numeric keys of `Scenario` by dotted path: what an ``[uncertain]`` table may name.
SCENARIO_PARAMETERS = ParameterSpace(Scenario)


def resolve_parameter(path: str) -> Parameter:
    """
    Find the numeric scenario key that `path` names (`ParameterSpace.resolve`).

    Raises
    ------
    ValueError
        When the path names no key, or a key that is not a number; the message lists the
        keys allowed where the path went wrong.
    """
    return SCENARIO_PARAMETERS.resolve(path)


def parse_uncertain(
    table: Mapping[str, Any],
) -> tuple[dict[str, tuple[Parameter, Distribution]], list[str]]:
    """Check every entry of an ``[uncertain]`` table (`ParameterSpace.parse`)."""
    return SCENARIO_PARAMETERS.parse(table)


def validate_uncertain(value: Any) -> UncertainTable:
    """Validate the ``uncertain`` field of a scenario (`ParameterSpace.validate`)."""
    return SCENARIO_PARAMETERS.validate(value)


def distributions(uncertain: Mapping[str, Any]) -> dict[str, tuple[Parameter, Distribution]]:
    """
    Return ``{path: (Parameter, Distribution)}`` of a validated ``uncertain`` field.

    Raises
    ------
    ValueError
        When an entry is invalid (not expected after validation).
    """
    return SCENARIO_PARAMETERS.distributions(uncertain)


def apply_central(data: Any) -> Any:
    """Put each valid ``[uncertain]`` entry's central value into scenario `data`."""
    return SCENARIO_PARAMETERS.with_central_values(data)


def merge_uncertain(
    base: Mapping[str, Any], top: Mapping[str, Any], merged: dict[str, Any]
) -> dict[str, Any]:
    """Set the ``uncertain`` table of scenario data `top` merged over `base` in `merged`.

    See `ParameterSpace.merge`.
    """
    return SCENARIO_PARAMETERS.merge(base, top, merged)
