"""Distribution tables of ``[uncertain]``: one pydantic model per kind, and their quantiles.

Each kind is declared once, as a model: its keys, their checks, the JSON Schema editors see,
its central value and its quantile function::

    {dist = "uniform", low = 400, high = 600}
    {dist = "loguniform", low = 0.8, high = 1.25}
    {dist = "triangular", low = 15, mode = 24.6, high = 30}
    {dist = "truncnormal", mean = 1, sd = 0.2, low = 0.5, high = 1.5}
    {dist = "choice", values = [4, 5], weights = [1, 3]}

`redeploy run` uses each distribution's *central value*: the midpoint of a uniform, the
geometric midpoint of a log-uniform, the mode of a triangular, the ``mean`` of a truncated
normal (its most likely value), and the most likely value of a choice (the first listed on
ties). `redeploy sweep` draws a value by the inverse CDF (`Distribution.ppf`) at a uniform
number (`redeploy.scenario.sampling`).
"""

from __future__ import annotations

import typing
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import ErrorDetails, PydanticCustomError
from scipy import special

#: Largest standard deviation of a truncated normal, and largest choice weight: finite
#: bounds, so that no sum or ratio of them overflows (the values themselves are bounded by
#: the key they are drawn for).
MAX_PARAMETER = 1e12


def _g(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


class Distribution(BaseModel, ABC):
    """
    Base of the distribution tables: the table as validated, its central value and quantiles.

    Numbers are strict (TOML types them: a quoted number or true/false is refused) and
    finite; unknown keys are refused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    dist: str

    @property
    def kind(self) -> str:
        """``"uniform"``, ``"loguniform"``, ``"triangular"``, ``"truncnormal"`` or
        ``"choice"``."""
        return self.dist

    @property
    def params(self) -> dict[str, Any]:
        """The numbers of the table by key, in the order of the table's keys."""
        return {key: getattr(self, key) for key in type(self).model_fields if key != "dist"}

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take."""

    @abstractmethod
    def central(self) -> float:
        """Return the central value `redeploy run` uses."""

    @abstractmethod
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

    def describe(self) -> str:
        """Return the distribution as short text, e.g. ``uniform(low=2.6, high=3.5)``."""
        return f"{self.kind}({', '.join(f'{k}={_g(v)}' for k, v in self.params.items())})"

    def to_table(self) -> dict[str, Any]:
        """Return the TOML table of the distribution (``dist`` and its keys)."""
        return {"dist": self.kind, **self.params}


def _check_low_high(kind: str, low: float, high: float) -> None:
    if low > high:
        msg = f"{kind} needs low <= high, got low = {_g(low)}, high = {_g(high)}"
        raise ValueError(msg)


class Uniform(Distribution):
    """Every value from ``low`` to ``high`` equally likely."""

    dist: Literal["uniform"]
    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value (>= low).")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        _check_low_high(self.kind, self.low, self.high)
        return self

    @property
    def support(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high

    def central(self) -> float:
        """Return the midpoint."""
        return (self.low + self.high) / 2.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the quantiles at `u` (`scipy.stats.uniform`)."""
        # scipy computes u * (high - low) + low: the same bits as the formula it replaced.
        # scipy.stats is imported here, not with the module: it takes longer to import than
        # the rest of a run's model (`redeploy run` never samples).
        from scipy import stats

        frozen = stats.uniform(loc=self.low, scale=self.high - self.low)
        x: np.ndarray = np.clip(frozen.ppf(np.asarray(u, dtype=float)), self.low, self.high)
        return x


class LogUniform(Distribution):
    """Every value's logarithm from ``log(low)`` to ``log(high)`` equally likely: a factor
    of uncertainty either way (a multiplier e^±s of a calibrated coefficient)."""

    dist: Literal["loguniform"]
    low: float = Field(
        description="Smallest value (> 0).", json_schema_extra={"exclusiveMinimum": 0}
    )
    high: float = Field(description="Largest value (>= low).")

    @model_validator(mode="after")
    def _ordered(self) -> LogUniform:
        if self.low <= 0:
            msg = f"loguniform needs low > 0, got low = {_g(self.low)}"
            raise ValueError(msg)
        _check_low_high(self.kind, self.low, self.high)
        return self

    @property
    def support(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high

    def central(self) -> float:
        """Return the geometric midpoint sqrt(low * high)."""
        return float(np.sqrt(self.low * self.high))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the quantiles at `u`: low * (high / low) ** u."""
        u = np.asarray(u, dtype=float)
        x = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return np.asarray(np.clip(x, self.low, self.high), dtype=float)


class Triangular(Distribution):
    """Density rising linearly from ``low`` to ``mode`` and falling to ``high``."""

    dist: Literal["triangular"]
    low: float = Field(description="Smallest value.")
    mode: float = Field(description="Most likely value (low <= mode <= high).")
    high: float = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        _check_low_high(self.kind, self.low, self.high)
        if not self.low <= self.mode <= self.high:
            msg = (
                f"triangular needs low <= mode <= high, got low = {_g(self.low)}, "
                f"mode = {_g(self.mode)}, high = {_g(self.high)}"
            )
            raise ValueError(msg)
        return self

    @property
    def support(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high

    def central(self) -> float:
        """Return the mode."""
        return self.mode

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the quantiles at `u` (closed-form inverse CDF)."""
        # Not scipy.stats.triang: it computes sqrt(c * u) * (high - low) + low, which differs
        # from this formula in the last bits for about 1 u in 6 (up to 2e-13 on shipped
        # tables), and sweeps must keep giving the same bytes for the same seed.
        u = np.asarray(u, dtype=float)
        lo, mode, hi = self.low, self.mode, self.high
        if hi == lo:
            return np.full(u.shape, lo)
        cut = (mode - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
        return np.clip(np.where(u < cut, left, right), lo, hi)


class TruncNormal(Distribution):
    """A normal distribution of ``mean`` and ``sd`` cut to ``low``..``high``."""

    dist: Literal["truncnormal"]
    mean: float = Field(description="Mean of the normal, its most likely value.")
    # sd > 0 is checked with the other relations, in their order: see _ordered.
    sd: float = Field(
        le=MAX_PARAMETER,
        description="Standard deviation of the normal (> 0).",
        json_schema_extra={"exclusiveMinimum": 0},
    )
    low: float = Field(description="Smallest value (<= mean).")
    high: float = Field(description="Largest value (>= mean).")

    @model_validator(mode="after")
    def _ordered(self) -> TruncNormal:
        _check_low_high(self.kind, self.low, self.high)
        if self.sd <= 0:
            msg = f"truncnormal needs sd > 0, got sd = {_g(self.sd)}"
            raise ValueError(msg)
        if not self.low <= self.mean <= self.high:
            msg = (
                f"truncnormal needs low <= mean <= high, got low = {_g(self.low)}, "
                f"mean = {_g(self.mean)}, high = {_g(self.high)}"
            )
            raise ValueError(msg)
        return self

    @property
    def support(self) -> tuple[float, float]:
        """``(low, high)``."""
        return self.low, self.high

    def central(self) -> float:
        """Return the mean (the mode, as low <= mean <= high)."""
        return self.mean

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the quantiles at `u` (inverse CDF of the normal between its cut points)."""
        # Not scipy.stats.truncnorm: its log-space algorithm differs from this one in the
        # last bits for about 1 u in 5 (up to 4e-15 on shipped tables), and sweeps must
        # keep giving the same bytes for the same seed.
        mean, sd, lo, hi = self.mean, self.sd, self.low, self.high
        a, b = special.ndtr((lo - mean) / sd), special.ndtr((hi - mean) / sd)
        q: np.ndarray = special.ndtri(a + np.asarray(u, dtype=float) * (b - a))
        return np.clip(mean + sd * q, lo, hi)


class Choice(Distribution):
    """One of ``values``, with probabilities proportional to ``weights`` (equal by default)."""

    dist: Literal["choice"]
    values: list[float] = Field(min_length=1, description="The values.")
    weights: list[Annotated[float, Field(ge=0, le=MAX_PARAMETER)]] | SkipJsonSchema[None] = Field(
        None, description="One weight >= 0 per value; equal weights when left out."
    )

    @field_validator("values")
    @classmethod
    def _integers(cls, values: list[float], info: ValidationInfo) -> list[float]:
        # An integer key (validation context {"integer": True}) takes integer values only.
        if not (info.context or {}).get("integer"):
            return values
        if not all(float(v).is_integer() for v in values):
            raise PydanticCustomError("integer_values", "values must be integers")
        return [int(v) for v in values]

    @model_validator(mode="after")
    def _one_weight_per_value(self) -> Choice:
        w = self.weights
        if w is not None and (len(w) != len(self.values) or sum(w) <= 0):
            raise PydanticCustomError("choice_weights", "one weight per value, positive sum")
        return self

    @property
    def probabilities(self) -> list[float]:
        """The weights normalised to add up to 1 (equal when the table gives none)."""
        weights = self.weights if self.weights is not None else [1.0] * len(self.values)
        total = float(sum(weights))
        return [w / total for w in weights]

    @property
    def params(self) -> dict[str, Any]:
        """``values`` and ``weights`` (the `probabilities`)."""
        return {"values": list(self.values), "weights": self.probabilities}

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and the largest value."""
        return float(min(self.values)), float(max(self.values))

    def central(self) -> float:
        """Return the most likely value (the first listed on ties)."""
        weights = self.probabilities
        return self.values[weights.index(max(weights))]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the value whose cumulative probability first exceeds each `u`."""
        values = np.asarray(self.values)
        cum = np.cumsum(np.asarray(self.probabilities, dtype=float))
        k = np.searchsorted(cum / cum[-1], u, side="right")
        return np.asarray(values[np.minimum(k, len(values) - 1)])

    def describe(self) -> str:
        """Return the choice as short text, e.g. ``choice(4: 0.25, 5: 0.75)``."""
        p = self.params
        pairs = zip(p["values"], p["weights"], strict=True)
        return f"choice({', '.join(f'{_g(v)}: {_g(w)}' for v, w in pairs)})"


#: A distribution table as a file gives it: the kind is chosen by its ``dist`` key.
DistributionTable = Annotated[
    Uniform | LogUniform | Triangular | TruncNormal | Choice, Field(discriminator="dist")
]
_TABLE: TypeAdapter[Uniform | LogUniform | Triangular | TruncNormal | Choice] = TypeAdapter(
    DistributionTable
)
_KINDS: tuple[type[Distribution], ...] = (Uniform, LogUniform, Triangular, TruncNormal, Choice)


def _kind_of(cls: type[Distribution]) -> str:
    """Return the ``dist`` value of a distribution model (its Literal)."""
    return str(typing.get_args(cls.model_fields["dist"].annotation)[0])


#: The kinds of distribution and the keys each one takes (``weights`` is optional).
DIST_KEYS: Mapping[str, tuple[str, ...]] = {
    _kind_of(cls): tuple(k for k in cls.model_fields if k != "dist") for cls in _KINDS
}
_EXAMPLE = '{dist = "uniform", low = 1, high = 2}'


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
    try:
        dist = _TABLE.validate_python(table, context={"integer": integer})
    except ValidationError as err:
        raise ValueError(_problem(table, err.errors(include_url=False), integer=integer)) from None
    if integer and dist.kind != "choice":
        raise ValueError(_integer_kind(dist.kind))
    return dist


def _integer_kind(kind: str) -> str:
    return (
        f'this key takes integers: use dist = "choice" with integer values '
        f'(e.g. {{dist = "choice", values = [4, 5], weights = [1, 3]}}), not {kind!r}'
    )


def _problem(table: Any, errors: list[ErrorDetails], *, integer: bool) -> str:
    """
    Return the first problem of a table, as one sentence naming what is allowed.

    The problems are taken in the order a reader fixes them: the kind, unknown and missing
    keys, a kind an integer key cannot take, each key's value, then the keys together.
    """
    if not isinstance(table, Mapping):
        return f"give a distribution table such as {_EXAMPLE}, got {table!r}"
    if any(e["type"] in ("union_tag_not_found", "union_tag_invalid") for e in errors):
        kind = table.get("dist")
        what = "no 'dist' key" if kind is None else f"dist = {kind!r}"
        kinds = ", ".join(repr(k) for k in DIST_KEYS)
        return f"unknown distribution ({what}); dist is one of {kinds}"
    kind = str(table["dist"])
    keys = DIST_KEYS[kind]
    extra = sorted(str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden")
    if extra:
        return f"{kind} takes {', '.join(keys)}; unknown key(s) {', '.join(map(repr, extra))}"
    missing = {str(e["loc"][-1]) for e in errors if e["type"] == "missing"}
    if missing:
        absent = ", ".join(k for k in keys if k in missing)
        return f"{kind} needs {', '.join(keys)}; missing {absent}"
    if integer and kind != "choice":
        return _integer_kind(kind)
    for key in keys:
        at_key = [e for e in errors if e["loc"][1:2] == (key,)]
        if at_key:
            return _key_problem(kind, key, table, at_key[0])
    first = errors[0]
    if first["type"] == "choice_weights":
        return _key_problem(kind, "weights", table, first)
    return first["msg"].removeprefix("Value error, ")


def _key_problem(kind: str, key: str, table: Mapping[str, Any], error: ErrorDetails) -> str:
    """Say what is wrong with one key of a table, with the value as the file gives it."""
    value = table.get(key)
    if key == "values" and error["type"] == "integer_values":
        return f"this key takes integers; choice values must be integers, got {value!r}"
    if key == "values":
        return f"choice values must be a non-empty list of numbers, got {value!r}"
    if key == "weights":
        n = len(table["values"])
        return (
            f"choice weights must be {n} numbers >= 0 and <= {MAX_PARAMETER:g} (one per "
            f"value) with a positive sum, got {value!r}"
        )
    if error["type"] == "less_than_equal":
        return f"{kind} {key} must be at most {MAX_PARAMETER:g}, got {value!r}"
    return f"{kind} {key} must be a finite number, got {value!r}"
