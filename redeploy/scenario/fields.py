"""Field types of scenario tables, and what a pydantic model's fields declare (keys, bounds).

The introspection helpers serve the error messages (`redeploy.scenario.messages`), the
checks of TOML types (`redeploy.scenario.models`) and the dotted parameter paths of
``[uncertain]`` tables (`redeploy.scenario.parameters`), so that all three read a field's
type, key and bounds the same way.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints
from pydantic.fields import FieldInfo

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
#: Longest scenario name (it names output files).
NAME_MAX = 80
#: An id of a front or zone, as in the layers.
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
#: A scenario name.
ScenarioName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=NAME_MAX)]
#: What each pattern of the scenario schema allows, in plain words (for error messages).
PATTERN_WORDS: dict[str, str] = {
    NAME_PATTERN: "lower-case letters, digits and . _ -, starting with a letter or digit",
    SLUG_PATTERN: "lower-case letters, digits and _, starting with a letter or digit",
}

#: A bound of a number as (operator, value), e.g. ``(">=", 0.0)``.
Bound = tuple[str, float]
_BOUND_ATTRS = (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def unwrap_annotation(annotation: Any) -> Any:
    """Return the type inside ``Annotated[...]`` and ``X | None`` (``float | None`` -> float)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return unwrap_annotation(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return unwrap_annotation(args[0])
    return annotation


def is_model(annotation: Any) -> bool:
    """Return True when `annotation` is a pydantic model class."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def field_by_key(model: type[BaseModel], key: Any) -> tuple[str, FieldInfo] | None:
    """Return ``(key as written in files, FieldInfo)`` of the field named or aliased `key`."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info
    return None


def keys_of(model: Any) -> list[str]:
    """Return the keys a file may use in the table of `model` (aliases where set)."""
    if not is_model(model):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def field_bounds(info: FieldInfo) -> tuple[Bound, ...]:
    """Return the ``ge``/``gt``/``le``/``lt`` bounds of a field, in declaration order."""
    out = []
    for meta in info.metadata:
        for attr, op in _BOUND_ATTRS:
            value = getattr(meta, attr, None)
            if value is not None:
                out.append((op, float(value)))
    return tuple(out)


def bounds_text(bounds: tuple[Bound, ...], *, integer: bool = False) -> str:
    """Return bounds as words, e.g. ``a number >= 0 and <= 25`` ("" without bounds)."""
    if not bounds:
        return ""
    kind = "an integer" if integer else "a number"
    return f"{kind} {' and '.join(f'{op} {value:g}' for op, value in bounds)}"
