"""Error messages of scenario files: pydantic errors as *file, key, value, what is allowed*."""

from __future__ import annotations

import difflib
import math
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from redeploy.scenario.fields import (
    NAME_MAX,
    NAME_PATTERN,
    PATTERN_WORDS,
    bounds_text,
    field_bounds,
    field_by_key,
    is_model,
    keys_of,
    unwrap_annotation,
)


def type_name(value: Any) -> str:
    """Return how a TOML value of this type reads in a message ("a string", "a table")."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    return type(value).__name__


def not_finite(value: float) -> str:
    """Say why a TOML ``nan`` or ``inf`` is refused where a number is expected."""
    if math.isnan(value):
        return "NaN is not allowed: a number is required"
    return f"{value} is not allowed: a finite number is required"


def _container(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """Follow `loc` through nested models and dicts; return the type reached, or None."""
    current: Any = model
    for part in loc:
        if is_model(current):
            found = field_by_key(current, part)
            if found is None:
                return None
            current = unwrap_annotation(found[1].annotation)
        elif typing.get_origin(current) is dict:  # a key of dict[str, Model]
            current = unwrap_annotation(typing.get_args(current)[1])
        else:
            return None
    return current


def _field_info(model: type[BaseModel], loc: tuple[Any, ...]) -> FieldInfo | None:
    """Return the pydantic FieldInfo at `loc`, or None."""
    if not loc:
        return None
    parent = _container(model, loc[:-1])
    found = field_by_key(parent, loc[-1]) if is_model(parent) else None
    return found[1] if found is not None else None


def _allowed_text(info: FieldInfo | None) -> str:
    """Return what the field at hand allows ("a number >= 0", "one of 'none', 'full'")."""
    if info is None:
        return ""
    annotation = unwrap_annotation(info.annotation)
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    return bounds_text(field_bounds(info), integer=annotation is int)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if " " in text:
                text = f'"{text}"'
            out += ("." if out else "") + text
    return out


def _name_suggestion(text: str) -> str:
    """Return `text` turned into a valid scenario name ("My Scenario!" -> "my-scenario")."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")[:NAME_MAX].strip("-_.")
    return slug or "my-scenario"


def _file_name_message(source: str, value: Any) -> str:
    """Explain that a scenario without ``name`` is named after its file, and the fix."""
    good = _name_suggestion(str(value))
    return (
        f"{source}: the file has no 'name' key, so the scenario is named after the file: "
        f"{value!r} is not a valid scenario name. A name uses "
        f"{PATTERN_WORDS[NAME_PATTERN]} (at most {NAME_MAX} characters). Add "
        f'name = "{good}" to the file, or rename the file (e.g. {good}.toml).'
    )


def _unknown_key_line(source: str, model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Name an unknown key, the closest allowed one and every allowed key there."""
    allowed = keys_of(_container(model, loc[:-1]))
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
    hint = f" Did you mean {_dotted((*loc[:-1], close[0]))!r}?" if close else ""
    known = f" Allowed keys here: {', '.join(allowed)}." if allowed else ""
    return f"{source}: unknown key {_dotted(loc)!r}.{hint}{known}"


def _value_line(source: str, model: type[BaseModel], e: ErrorDetails) -> str:
    """Name the key, the value, what is wrong and what is allowed."""
    loc = tuple(e["loc"])
    key = _dotted(loc)
    pattern = (e.get("ctx") or {}).get("pattern")
    plain = PATTERN_WORDS.get(str(pattern)) if pattern is not None else None
    allowed = "" if e["type"] == "literal_error" else _allowed_text(_field_info(model, loc))
    value = e.get("input")
    got = f" = {value!r}" if not isinstance(value, dict) else ""
    message = e["msg"].removeprefix("Value error, ")
    if plain:
        message = "not allowed here"
        allowed = plain
        if loc == ("name",):
            message = "not a valid scenario name"
            allowed = f"{plain}; at most {NAME_MAX} characters"
    tail = f" Allowed: {allowed}." if allowed else ""
    where = f"key {key!r}" if key else "scenario"
    return f"{source}: {where}{got}: {message}.{tail}"


def _error_line(
    e: ErrorDetails, source: str, model: type[BaseModel], *, name_from_file: bool
) -> str:
    """Return the message line of one pydantic error."""
    loc = tuple(e["loc"])
    if name_from_file and loc == ("name",) and e["type"] != "missing":
        return _file_name_message(source, e.get("input"))
    if e["type"] == "extra_forbidden":
        return _unknown_key_line(source, model, loc)
    if loc and loc[-1] == "[key]":
        return (
            f"{source}: key {_dotted(loc[:-1])!r}: ids are lower-case slugs "
            "(letters, digits and '_'), as in the layers."
        )
    if e["type"] == "missing":
        return f"{source}: key {_dotted(loc)!r} is required but missing."
    return _value_line(source, model, e)


def format_validation_error(
    err: ValidationError,
    source: str,
    model: type[BaseModel],
    *,
    name_from_file: bool = False,
) -> str:
    """
    Turn a pydantic error into lines that name the file, the key, the value and the fix.

    Parameters
    ----------
    err
        The validation error.
    source
        The file (or origin) named at the start of each line.
    model
        The model that was validated (to find allowed keys and bounds).
    name_from_file
        True when the scenario's ``name`` was not in the file but taken from the file
        name, so a bad name is explained as such.
    """
    return "\n".join(
        _error_line(e, source, model, name_from_file=name_from_file)
        for e in err.errors(include_url=False)
    )
