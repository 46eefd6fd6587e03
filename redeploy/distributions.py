"""Uncertain scenario parameters: distributions, their validation, central values and sampling.

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

`redeploy run` uses each distribution's *central value*: the midpoint of a uniform, the
mode of a triangular, the ``mean`` of a truncated normal (its most likely value), and the
most likely value of a choice (the first listed on ties). `redeploy sweep` draws sample
``i`` of a parameter by the inverse CDF at one uniform number seeded by
``numpy.random.SeedSequence(seed, spawn_key=(i, crc32(path)))``, so the value depends only
on the seed, the sample index and the path: not on workers, batches, or which other
parameters are uncertain.

This module is imported by `redeploy.scenario`; it imports the scenario model only inside
functions.
"""

from __future__ import annotations

import math
import re
import types
import typing
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, WithJsonSchema
from scipy import special

#: The kinds of distribution and the keys each one takes (``weights`` is optional).
DIST_KEYS: Mapping[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "choice": ("values", "weights"),
}
_OPTIONAL = {"weights"}
#: Keys of one front that say the same thing two ways; setting one drops the others.
_ALTERNATIVES: Mapping[str, tuple[str, ...]] = {
    "defense_pct_gdp": ("target_pct_gdp", "target_year"),
    "target_pct_gdp": ("defense_pct_gdp",),
    "target_year": ("defense_pct_gdp",),
    "hns_usd_bn": ("hns_change_pct",),
    "hns_change_pct": ("hns_usd_bn",),
}
#: Scenario keys that hold numbers but are not parameters a sweep may vary.
_NOT_SAMPLED = frozenset({"reference_year"})


# ---------------------------------------------------------------- distributions


@dataclass(frozen=True)
class Distribution:
    """
    One validated distribution.

    Attributes
    ----------
    kind
        ``"uniform"``, ``"triangular"``, ``"truncnormal"`` or ``"choice"``.
    params
        The numbers of the table by key (``low``, ``high``, ``mode``, ``mean``, ``sd``);
        for ``choice``, ``values`` and ``weights`` (normalised to add up to 1).
    """

    kind: str
    params: Mapping[str, Any]

    @property
    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take."""
        if self.kind == "choice":
            values = self.params["values"]
            return float(min(values)), float(max(values))
        return float(self.params["low"]), float(self.params["high"])

    def central(self) -> float:
        """
        Return the central value `redeploy run` uses.

        The midpoint of a uniform, the mode of a triangular, the ``mean`` of a truncated
        normal (its mode, as ``low <= mean <= high``), the most likely value of a choice
        (the first listed on ties).
        """
        p = self.params
        if self.kind == "uniform":
            return (float(p["low"]) + float(p["high"])) / 2.0
        if self.kind == "triangular":
            return float(p["mode"])
        if self.kind == "truncnormal":
            return float(p["mean"])
        weights = list(p["weights"])
        return p["values"][weights.index(max(weights))]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """
        Return the quantiles at `u` (inverse CDF), for ``u`` in [0, 1).

        Parameters
        ----------
        u
            Uniform numbers in [0, 1).

        Returns
        -------
        numpy.ndarray
            One value per element of `u`, always within `support`.
        """
        u = np.asarray(u, dtype=float)
        p = self.params
        if self.kind == "uniform":
            lo, hi = float(p["low"]), float(p["high"])
            return np.clip(lo + u * (hi - lo), lo, hi)
        if self.kind == "triangular":
            lo, mode, hi = float(p["low"]), float(p["mode"]), float(p["high"])
            if hi == lo:
                return np.full(u.shape, lo)
            cut = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
            return np.clip(np.where(u < cut, left, right), lo, hi)
        if self.kind == "truncnormal":
            mean, sd = float(p["mean"]), float(p["sd"])
            lo, hi = float(p["low"]), float(p["high"])
            a, b = special.ndtr((lo - mean) / sd), special.ndtr((hi - mean) / sd)
            q = special.ndtri(a + u * (b - a))
            return np.clip(mean + sd * q, lo, hi)
        values = np.asarray(p["values"])
        cum = np.cumsum(np.asarray(p["weights"], dtype=float))
        k = np.searchsorted(cum / cum[-1], u, side="right")
        return values[np.minimum(k, len(values) - 1)]

    def describe(self) -> str:
        """Return the distribution as short text, e.g. ``uniform(2.6, 3.5)``."""
        p = self.params
        if self.kind == "choice":
            pairs = ", ".join(
                f"{_g(v)}: {_g(w)}" for v, w in zip(p["values"], p["weights"], strict=True)
            )
            return f"choice({pairs})"
        keys = DIST_KEYS[self.kind]
        return f"{self.kind}({', '.join(f'{k}={_g(p[k])}' for k in keys)})"

    def to_table(self) -> dict[str, Any]:
        """Return the TOML table of the distribution (``dist`` and its keys)."""
        return {"dist": self.kind, **self.params}


def _g(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_distribution(table: Any, *, integer: bool = False) -> Distribution:
    """
    Check one distribution table and return it as a `Distribution`.

    Parameters
    ----------
    table
        The table as read from TOML, e.g. ``{"dist": "uniform", "low": 1, "high": 2}``.
    integer
        The parameter takes integers: only ``choice`` of integers is allowed.

    Raises
    ------
    ValueError
        Saying what is wrong and what is allowed (no file or key: the caller adds them).
    """
    kinds = ", ".join(repr(k) for k in DIST_KEYS)
    if not isinstance(table, Mapping):
        msg = (
            'give a distribution table such as {dist = "uniform", low = 1, high = 2}, '
            f"got {table!r}"
        )
        raise ValueError(msg)
    kind = table.get("dist")
    if kind not in DIST_KEYS:
        what = "no 'dist' key" if kind is None else f"dist = {kind!r}"
        msg = f"unknown distribution ({what}); dist is one of {kinds}"
        raise ValueError(msg)
    keys = DIST_KEYS[kind]
    extra = sorted(set(table) - {"dist", *keys})
    if extra:
        msg = f"{kind} takes {', '.join(keys)}; unknown key(s) {', '.join(map(repr, extra))}"
        raise ValueError(msg)
    missing = [k for k in keys if k not in table and k not in _OPTIONAL]
    if missing:
        msg = f"{kind} needs {', '.join(keys)}; missing {', '.join(missing)}"
        raise ValueError(msg)
    if integer and kind != "choice":
        msg = (
            f'this key takes integers: use dist = "choice" with integer values '
            f'(e.g. {{dist = "choice", values = [4, 5], weights = [1, 3]}}), not {kind!r}'
        )
        raise ValueError(msg)
    if kind == "choice":
        return Distribution(kind, _choice_params(table, integer=integer))
    params = {}
    for k in keys:
        if not _number(table[k]):
            msg = f"{kind} {k} must be a finite number, got {table[k]!r}"
            raise ValueError(msg)
        params[k] = float(table[k])
    if params["low"] > params["high"]:
        msg = (
            f"{kind} needs low <= high, got low = {_g(params['low'])}, high = {_g(params['high'])}"
        )
        raise ValueError(msg)
    if kind == "triangular" and not params["low"] <= params["mode"] <= params["high"]:
        msg = (
            f"triangular needs low <= mode <= high, got low = {_g(params['low'])}, "
            f"mode = {_g(params['mode'])}, high = {_g(params['high'])}"
        )
        raise ValueError(msg)
    if kind == "truncnormal":
        if params["sd"] <= 0:
            msg = f"truncnormal needs sd > 0, got sd = {_g(params['sd'])}"
            raise ValueError(msg)
        if not params["low"] <= params["mean"] <= params["high"]:
            msg = (
                f"truncnormal needs low <= mean <= high, got low = {_g(params['low'])}, "
                f"mean = {_g(params['mean'])}, high = {_g(params['high'])}"
            )
            raise ValueError(msg)
    return Distribution(kind, params)


def _choice_params(table: Mapping[str, Any], *, integer: bool) -> dict[str, Any]:
    values = table["values"]
    if not isinstance(values, list) or not values or not all(_number(v) for v in values):
        msg = f"choice values must be a non-empty list of numbers, got {values!r}"
        raise ValueError(msg)
    if integer and not all(isinstance(v, int) or float(v).is_integer() for v in values):
        msg = f"this key takes integers; choice values must be integers, got {values!r}"
        raise ValueError(msg)
    values = [int(v) for v in values] if integer else [float(v) for v in values]
    weights = table.get("weights", [1.0] * len(values))
    if (
        not isinstance(weights, list)
        or len(weights) != len(values)
        or not all(_number(w) and w >= 0 for w in weights)
        or sum(weights) <= 0
    ):
        msg = (
            f"choice weights must be {len(values)} numbers >= 0 (one per value) with a "
            f"positive sum, got {weights!r}"
        )
        raise ValueError(msg)
    total = float(sum(weights))
    return {"values": values, "weights": [float(w) / total for w in weights]}


# ---------------------------------------------------------------- parameter paths


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
    bounds: tuple[tuple[str, float], ...]

    def allowed(self) -> str:
        """Return the allowed range as text, e.g. ``a number >= 0 and <= 25``."""
        kind = "an integer" if self.integer else "a number"
        if not self.bounds:
            return kind
        return f"{kind} {' and '.join(f'{op} {v:g}' for op, v in self.bounds)}"

    def admits(self, lo: float, hi: float) -> bool:
        """Return True when every value in [lo, hi] is within `bounds`."""
        checks = {">=": lo.__ge__, ">": lo.__gt__, "<=": hi.__le__, "<": hi.__lt__}
        return all(checks[op](v) for op, v in self.bounds)


_PART = re.compile(r'"([^"]*)"|([^."]+)')


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


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _field(model: Any, key: str) -> tuple[str, Any] | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.alias or name, info
    return None


def _bounds(info: Any) -> tuple[tuple[str, float], ...]:
    out = []
    for meta in info.metadata:
        for attr, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                out.append((op, float(value)))
    return tuple(out)


def resolve_parameter(path: str) -> Parameter:
    """
    Find the numeric scenario key that `path` names.

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
    from pydantic import BaseModel

    from redeploy.scenario import Scenario

    parts = split_path(path)
    current: Any = Scenario
    keys: list[str] = []
    for i, part in enumerate(parts):
        if isinstance(current, type) and issubclass(current, BaseModel):
            found = _field(current, part)
            if found is None or found[0] in _NOT_SAMPLED or found[0] == "uncertain":
                allowed = [
                    info.alias or name
                    for name, info in current.model_fields.items()
                    if (info.alias or name) not in _NOT_SAMPLED and name != "uncertain"
                ]
                where = ".".join(parts[:i]) or "the scenario"
                msg = f"{part!r} is not a key of {where}; allowed there: " + ", ".join(
                    _quote(a) for a in allowed
                )
                raise ValueError(msg)
            key, info = found
            keys.append(key)
            current = _unwrap(info.annotation)
            last_info = info
        elif typing.get_origin(current) is dict:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_]*", part):
                msg = f"{part!r} is not an id (ids are lower-case slugs, as in the layers)"
                raise ValueError(msg)
            keys.append(part)
            current = _unwrap(typing.get_args(current)[1])
        else:
            msg = f"{'.'.join(parts[:i])!r} is a number, it has no key {part!r}"
            raise ValueError(msg)
    if typing.get_origin(current) is dict or current not in (int, float):
        what = _kind_text(current)
        msg = f"{path!r} names {what}, not a number; give the path of a numeric key"
        raise ValueError(msg)
    return Parameter(path=path, keys=tuple(keys), integer=current is int, bounds=_bounds(last_info))


def _quote(key: str) -> str:
    return f'"{key}"' if " " in key or "." in key else key


def _kind_text(annotation: Any) -> str:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table (" + ", ".join(_quote(k) for k in _keys_of(annotation)) + ")"
    if typing.get_origin(annotation) is dict:
        return "a table of ids"
    if annotation is bool:
        return "a true/false switch"
    if annotation is str or typing.get_origin(annotation) is typing.Literal:
        return "a text value"
    return "a list or text"


def _keys_of(model: Any) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


# ---------------------------------------------------------------- the [uncertain] table


def parse_uncertain(
    table: Mapping[str, Any],
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
            param = resolve_parameter(path)
        except ValueError as err:
            problems.append(f'"{path}": {err}')
            continue
        try:
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
            continue
        canon = tuple(param.keys)
        if canon in seen:
            problems.append(f'"{path}" names the same key as "{seen[canon]}"; give it once')
            continue
        seen[canon] = path
        good[path] = (param, dist)
    return good, problems


def validate_uncertain(value: Any) -> dict[str, dict[str, Any]]:
    """
    Validate the ``uncertain`` field of a scenario (a pydantic after-validator).

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
    good, problems = parse_uncertain(value)
    if problems:
        raise ValueError("\n  " + "\n  ".join(problems))
    return {path: dist.to_table() for path, (_, dist) in good.items()}


_DIST_SCHEMA = {
    "type": "object",
    "description": "A distribution: dist = uniform {low, high}, triangular {low, mode, high}, "
    "truncnormal {mean, sd, low, high} or choice {values, weights?}.",
    "required": ["dist"],
    "properties": {
        "dist": {"enum": list(DIST_KEYS)},
        "low": {"type": "number"},
        "high": {"type": "number"},
        "mode": {"type": "number"},
        "mean": {"type": "number"},
        "sd": {"type": "number", "exclusiveMinimum": 0},
        "values": {"type": "array", "items": {"type": "number"}, "minItems": 1},
        "weights": {"type": "array", "items": {"type": "number", "minimum": 0}},
    },
    "additionalProperties": False,
}

#: Type of `Scenario.uncertain`: checked by `validate_uncertain`.
UncertainTable = Annotated[
    dict[str, Any],
    AfterValidator(validate_uncertain),
    WithJsonSchema({"type": "object", "additionalProperties": _DIST_SCHEMA}),
]


def distributions(uncertain: Mapping[str, Any]) -> dict[str, tuple[Parameter, Distribution]]:
    """
    Return ``{path: (Parameter, Distribution)}`` of a validated ``uncertain`` field.

    Raises
    ------
    ValueError
        When an entry is invalid (not expected after validation).
    """
    good, problems = parse_uncertain(uncertain)
    if problems:
        raise ValueError("\n".join(problems))
    return good


# ---------------------------------------------------------------- applying values


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


def apply_central(data: Any) -> Any:
    """
    Put each valid ``[uncertain]`` entry's central value into scenario `data`.

    Used as a before-validator of `Scenario`, so `redeploy run` (and everything else that
    reads the scenario) sees the central values. Invalid entries are left for the
    ``uncertain`` field's own validation to report.
    """
    if not isinstance(data, Mapping) or not data.get("uncertain"):
        return data
    table = data["uncertain"]
    if not isinstance(table, Mapping):
        return data
    good, _ = parse_uncertain(table)
    return apply_values(data, {p.keys: d.central() for p, d in good.values()})


def _lookup(data: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


_GROUPS = (("defense_pct_gdp", "target_pct_gdp", "target_year"), ("hns_usd_bn", "hns_change_pct"))


def _fixed_in(top: Mapping[str, Any], keys: Sequence[str]) -> bool:
    """True when scenario data `top` states the key (or another way of stating it)."""
    if _lookup(top, keys) is not None:
        return True
    if len(keys) == 3 and keys[0] == "fronts":
        group = next((g for g in _GROUPS if keys[2] in g), ())
        front = _lookup(top, keys[:2])
        return isinstance(front, Mapping) and any(k in front for k in group)
    return False


def merge_uncertain(
    base: Mapping[str, Any], top: Mapping[str, Any], merged: dict[str, Any]
) -> dict[str, Any]:
    """
    Set the ``uncertain`` table of scenario data `top` merged over `base`.

    Entries replace inherited entries whole (a new ``dist`` brings only its own keys), and
    an inherited entry is dropped when `top` states the key as a number (or states a
    front's spending or host-nation support another way): the file read last wins.
    """
    base_unc, top_unc = base.get("uncertain"), top.get("uncertain")
    if not isinstance(base_unc, Mapping):
        return merged
    table = {}
    for path, entry in base_unc.items():
        try:
            keys = resolve_parameter(path).keys
        except ValueError:
            keys = ()
        if not (keys and _fixed_in(top, keys)):
            table[path] = entry
    if isinstance(top_unc, Mapping):
        table.update(top_unc)
    return {**merged, "uncertain": table}


# ---------------------------------------------------------------- sampling


def path_key(path: str) -> int:
    """Return the stable 32-bit key of a parameter path (part of its seed)."""
    return zlib.crc32(path.encode("utf-8"))


def uniforms(seed: int, indices: Iterable[int], path: str) -> np.ndarray:
    """
    Return one uniform number in [0, 1) per sample index for parameter `path`.

    Number ``i`` comes from ``SeedSequence(seed, spawn_key=(i, path_key(path)))``: it
    depends only on the seed, the index and the path.
    """
    key = path_key(path)
    out = []
    for i in indices:
        state = np.random.SeedSequence(seed, spawn_key=(int(i), key)).generate_state(1, np.uint64)[
            0
        ]
        out.append(float(state >> np.uint64(11)) * 2.0**-53)
    return np.asarray(out, dtype=float)


def sample_parameters(
    dists: Mapping[str, tuple[Parameter, Distribution]], seed: int, indices: Sequence[int]
) -> dict[str, np.ndarray]:
    """
    Draw every parameter for the sample `indices`.

    Returns
    -------
    dict
        ``{path: values}``, values in the order of `indices` (integers for integer keys).
    """
    out: dict[str, np.ndarray] = {}
    for path, (param, dist) in dists.items():
        values = dist.ppf(uniforms(seed, indices, path))
        out[path] = values.astype(np.int64) if param.integer else values.astype(float)
    return out
