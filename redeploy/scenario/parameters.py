"""Uncertain parameters: the numeric keys of a model by dotted path, checked and set.

A scenario's ``[uncertain]`` table maps dotted parameter paths to distribution tables::

    [uncertain]
    "fronts.korea.hns_change_pct" = {dist = "triangular", low = 15, mode = 24.6, high = 30}
    "model.decay_km" = {dist = "uniform", low = 400, high = 600}
    'regions."Southeast Asia".value_multiplier' = {dist = "truncnormal", mean = 1,
                                                   sd = 0.2, low = 0.5, high = 1.5}
    "fronts.korea.threat_level" = {dist = "choice", values = [4, 5], weights = [1, 3]}

Any numeric key of a scenario may be named (``redeploy scenarios schema`` lists them); ids
of fronts and zones are checked against the layers when the model is built. Each path must
end at a number, and every value the distribution can take must lie in the range the
scenario schema allows for that key. Integer keys (``threat_level``, ``target_year``,
``horizon_year``) take ``choice`` distributions of integers only.

`ParameterSpace` walks the model it is given (the `Scenario` class, which passes itself
from its validators), so this module does not import the scenario models;
`redeploy.scenario.uncertain` binds it to `Scenario`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from redeploy.scenario.distributions import Distribution, parse_distribution
from redeploy.scenario.fields import (
    Bound,
    bounds_text,
    field_bounds,
    field_by_key,
    is_model,
    keys_of,
    unwrap_annotation,
)

#: Keys of one front that say the same thing two ways; setting one drops the others.
_ALTERNATIVES: Mapping[str, tuple[str, ...]] = {
    "defense_pct_gdp": ("target_pct_gdp", "target_year"),
    "target_pct_gdp": ("defense_pct_gdp",),
    "target_year": ("defense_pct_gdp",),
    "hns_usd_bn": ("hns_change_pct",),
    "hns_change_pct": ("hns_usd_bn",),
}
#: The ways of stating a front's spending, and its host-nation support.
_GROUPS = (("defense_pct_gdp", "target_pct_gdp", "target_year"), ("hns_usd_bn", "hns_change_pct"))
#: Keys of the root model that hold numbers but are not parameters a sweep may vary.
_NOT_SAMPLED = frozenset({"reference_year"})
_ID = re.compile(r"[a-z0-9][a-z0-9_]*")
_PART = re.compile(r'"([^"]*)"|([^."]+)')


def _g(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


@dataclass(frozen=True)
class Parameter:
    """
    A numeric scenario key addressed by a dotted path.

    Attributes
    ----------
    path
        The path as written in the scenario (the ``[uncertain]`` key).
    keys
        The keys of the path as they appear in scenario data (region names as written in
        TOML, e.g. ``("regions", "Southeast Asia", "floor")``).
    integer
        The key takes integers.
    bounds
        ``(">=", 0.0)``-style pairs from the scenario schema.
    """

    path: str
    keys: tuple[str, ...]
    integer: bool
    bounds: tuple[Bound, ...]

    def allowed(self) -> str:
        """Return the allowed range as text, e.g. ``a number >= 0 and <= 25``."""
        text = bounds_text(self.bounds, integer=self.integer)
        return text or ("an integer" if self.integer else "a number")

    def admits(self, lo: float, hi: float) -> bool:
        """Return True when every value in [lo, hi] is within `bounds`."""
        checks = {">=": lo.__ge__, ">": lo.__gt__, "<=": hi.__le__, "<": hi.__lt__}
        return all(checks[op](v) for op, v in self.bounds)


def split_path(path: str) -> list[str]:
    """
    Split a dotted path; parts with dots or spaces may be double-quoted.

    Examples
    --------
    >>> split_path('regions."Southeast Asia".floor')
    ['regions', 'Southeast Asia', 'floor']
    """
    parts: list[str] = []
    pos = 0
    while pos <= len(path):
        m = _PART.match(path, pos)
        if m is None:
            msg = f"cannot read the path {path!r}: write parts separated by dots"
            raise ValueError(msg)
        parts.append(m.group(1) if m.group(1) is not None else m.group(2).strip())
        pos = m.end()
        if pos == len(path):
            break
        if path[pos] != ".":
            msg = f"cannot read the path {path!r}: expected a dot after {parts[-1]!r}"
            raise ValueError(msg)
        pos += 1
    return parts


def _quote(key: str) -> str:
    return f'"{key}"' if " " in key or "." in key else key


def _kind_text(annotation: Any) -> str:
    if is_model(annotation):
        return "a table (" + ", ".join(_quote(k) for k in keys_of(annotation)) + ")"
    if typing.get_origin(annotation) is dict:
        return "a table of ids"
    if annotation is bool:
        return "a true/false switch"
    if annotation is str or typing.get_origin(annotation) is typing.Literal:
        return "a text value"
    return "a list or text"


@dataclass(frozen=True)
class ParameterSpace:
    """
    The numeric keys of a model (the scenario) by dotted path, and its ``[uncertain]`` table.

    Attributes
    ----------
    root
        The model the paths start from.
    """

    root: type[BaseModel]

    def _sampled(self, model: type[BaseModel]) -> list[str]:
        """The keys of `model` a path may name (not ``reference_year`` or ``uncertain``)."""
        return [
            info.alias or name
            for name, info in model.model_fields.items()
            if (info.alias or name) not in _NOT_SAMPLED and name != "uncertain"
        ]

    def resolve(self, path: str) -> Parameter:
        """
        Find the numeric key that `path` names.

        Parameters
        ----------
        path
            A dotted path such as ``"fronts.korea.defense_pct_gdp"`` or
            ``'regions."Southeast Asia".floor'`` (``regions.southeast_asia.floor`` also works).

        Raises
        ------
        ValueError
            When the path names no key, or a key that is not a number; the message lists the
            keys allowed where the path went wrong.
        """
        parts = split_path(path)
        current: Any = self.root
        keys: list[str] = []
        bounds: tuple[Bound, ...] = ()
        for i, part in enumerate(parts):
            if is_model(current):
                found = field_by_key(current, part)
                if found is None or found[0] not in self._sampled(current):
                    allowed = ", ".join(_quote(a) for a in self._sampled(current))
                    where = ".".join(parts[:i]) or "the scenario"
                    msg = f"{part!r} is not a key of {where}; allowed there: {allowed}"
                    raise ValueError(msg)
                keys.append(found[0])
                current = unwrap_annotation(found[1].annotation)
                bounds = field_bounds(found[1])
            elif typing.get_origin(current) is dict:
                if not _ID.fullmatch(part):
                    msg = f"{part!r} is not an id (ids are lower-case slugs, as in the layers)"
                    raise ValueError(msg)
                keys.append(part)
                current = unwrap_annotation(typing.get_args(current)[1])
            else:
                msg = f"{'.'.join(parts[:i])!r} is a number, it has no key {part!r}"
                raise ValueError(msg)
        if typing.get_origin(current) is dict or current not in (int, float):
            what = _kind_text(current)
            msg = f"{path!r} names {what}, not a number; give the path of a numeric key"
            raise ValueError(msg)
        return Parameter(path=path, keys=tuple(keys), integer=current is int, bounds=bounds)

    def parse(
        self, table: Mapping[str, Any]
    ) -> tuple[dict[str, tuple[Parameter, Distribution]], list[str]]:
        """
        Check every entry of an ``[uncertain]`` table.

        Returns
        -------
        tuple
            ``{path: (Parameter, Distribution)}`` of the valid entries (sorted by path), and
            one line per problem: ``"PATH": what is wrong. Allowed: what is allowed``.
        """
        good: dict[str, tuple[Parameter, Distribution]] = {}
        problems: list[str] = []
        seen: dict[tuple[str, ...], str] = {}
        for path in sorted(table):
            try:
                param = self.resolve(path)
                dist = parse_distribution(table[path], integer=param.integer)
            except ValueError as err:
                problems.append(f'"{path}": {err}')
                continue
            lo, hi = dist.support
            if not param.admits(lo, hi):
                problems.append(
                    f'"{path}": {dist.describe()} reaches {_g(lo)} to {_g(hi)}, outside the '
                    f"key's range. Allowed: {param.allowed()}"
                )
            elif param.keys in seen:
                same = seen[param.keys]
                problems.append(f'"{path}" names the same key as "{same}"; give it once')
            else:
                seen[param.keys] = path
                good[path] = (param, dist)
        return good, problems

    def validate(self, value: Any) -> dict[str, dict[str, Any]]:
        """
        Validate an ``uncertain`` table (the field validator of `Scenario.uncertain`).

        Returns
        -------
        dict
            ``{path: table}`` with each table normalised (numbers as floats, choice weights
            adding up to 1), sorted by path.

        Raises
        ------
        ValueError
            One line per bad entry, naming its path, the problem and what is allowed.
        """
        if not isinstance(value, Mapping):
            msg = 'give a table of "dotted.path" = {dist = ...} entries'
            raise ValueError(msg)
        good, problems = self.parse(value)
        if problems:
            raise ValueError("\n  " + "\n  ".join(problems))
        return {path: dist.to_table() for path, (_, dist) in good.items()}

    def distributions(
        self, uncertain: Mapping[str, Any]
    ) -> dict[str, tuple[Parameter, Distribution]]:
        """
        Return ``{path: (Parameter, Distribution)}`` of a validated ``uncertain`` table.

        Raises
        ------
        ValueError
            When an entry is invalid (not expected after validation).
        """
        good, problems = self.parse(uncertain)
        if problems:
            raise ValueError("\n".join(problems))
        return good

    def with_central_values(self, data: Any) -> Any:
        """
        Put each valid ``[uncertain]`` entry's central value into data of the root model.

        Invalid entries are left for the ``uncertain`` field's own validation to report.
        """
        if not isinstance(data, Mapping) or not data.get("uncertain"):
            return data
        table = data["uncertain"]
        if not isinstance(table, Mapping):
            return data
        good, _ = self.parse(table)
        return apply_values(data, {p.keys: d.central() for p, d in good.values()})

    def merge(
        self, base: Mapping[str, Any], top: Mapping[str, Any], merged: dict[str, Any]
    ) -> dict[str, Any]:
        """
        Set the ``uncertain`` table of data `top` merged over `base` in `merged`.

        Entries replace inherited entries whole (a new ``dist`` brings only its own keys),
        and an inherited entry is dropped when `top` states the key as a number (or states
        a front's spending or host-nation support another way): the file read last wins.
        """
        base_unc, top_unc = base.get("uncertain"), top.get("uncertain")
        if not isinstance(base_unc, Mapping):
            return merged
        table = {}
        for path, entry in base_unc.items():
            try:
                keys = self.resolve(path).keys
            except ValueError:
                keys = ()
            if not (keys and _fixed_in(top, keys)):
                table[path] = entry
        if isinstance(top_unc, Mapping):
            table.update(top_unc)
        return {**merged, "uncertain": table}


# ---------------------------------------------------------------- scenario data


def set_parameter(data: dict[str, Any], keys: Sequence[str], value: Any) -> None:
    """
    Set one key of scenario data (as parsed from TOML) in place, creating tables on the way.

    Setting a front's spending or host-nation support one way drops the other way
    (``defense_pct_gdp`` drops ``target_pct_gdp`` and ``target_year``, and so on), as a
    scenario built on another one does.
    """
    node = data
    for key in keys[:-1]:
        child = node.get(key)
        child = dict(child) if isinstance(child, Mapping) else {}
        node[key] = child
        node = child
    leaf = keys[-1]
    if len(keys) == 3 and keys[0] == "fronts":
        for other in _ALTERNATIVES.get(leaf, ()):
            node.pop(other, None)
    node[leaf] = value


def apply_values(data: Mapping[str, Any], values: Mapping[tuple[str, ...], Any]) -> dict[str, Any]:
    """Return a copy of scenario `data` with each ``{keys: value}`` set (`set_parameter`)."""
    out = dict(data)
    for keys, value in values.items():
        set_parameter(out, keys, value)
    return out


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Return `base` with `top` on top, tables merged key by key (neither is changed)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _lookup(data: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def _fixed_in(top: Mapping[str, Any], keys: Sequence[str]) -> bool:
    """True when scenario data `top` states the key (or another way of stating it)."""
    if _lookup(top, keys) is not None:
        return True
    if len(keys) == 3 and keys[0] == "fronts":
        group = next((g for g in _GROUPS if keys[2] in g), ())
        front = _lookup(top, keys[:2])
        return isinstance(front, Mapping) and any(k in front for k in group)
    return False
