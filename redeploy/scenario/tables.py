"""The scenario's table models: the strict base (frozen, unknown keys and quoted numbers
refused) and the tables of one optional bounded number per key (per asset class, per kind
of value, per risk channel) that `redeploy.scenario.models` and
`redeploy.scenario.coefficient_models` are built from.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from redeploy.scenario.fields import unwrap_annotation
from redeploy.scenario.messages import not_finite, type_name
from redeploy.schemas import ASSET_UNITS, ASSETS, RISK_CHANNELS, UNIT_MAXIMA, value_layers

#: The kinds of value a zone can hold; the asset-fit matrix has one column per kind: one per
#: layer kind feeding zone value (`LayerRole.value_kind` in redeploy.schemas), then
#: "perimeter", the homeland perimeter, which no layer holds (distance to the U.S.), and
#: "counterdrug", the zones on the U.S. list of major drug-transit countries.
VALUE_KINDS: tuple[str, ...] = (*value_layers(), "perimeter", "counterdrug")


@functools.cache
def _field_kind(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    """The type a field holds (`unwrap_annotation`) and, for a list, its items' type:
    computed once per model and field (sweeps validate a scenario per sample)."""
    field = model.model_fields.get(name)
    kind = unwrap_annotation(field.annotation) if field is not None else None
    item = None
    if typing.get_origin(kind) is list:
        item = unwrap_annotation(typing.get_args(kind)[0])
    return kind, item


class _Strict(BaseModel):
    """Base of every scenario table: frozen, unknown keys and quoted numbers are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _typed_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        # TOML types its values: "3.0" or true where a number is expected (or 1 where
        # true/false is) is a mistake in the file, not something to coerce silently.
        kind, item = _field_kind(cls, info.field_name or "")
        if kind in (int, float) and isinstance(value, float) and not math.isfinite(value):
            raise ValueError(not_finite(value))
        if kind in (int, float) and isinstance(value, str | bool):
            what = "an integer" if kind is int else "a number"
            msg = f"give {what} (unquoted in TOML), not {type_name(value)}"
            raise ValueError(msg)
        if kind is bool and not isinstance(value, bool):
            msg = f"give true or false (unquoted in TOML), not {type_name(value)}"
            raise ValueError(msg)
        if item is not None and isinstance(value, list):
            bad = [i for i, v in enumerate(value) if isinstance(v, str | bool)]
            if item in (int, float) and bad:
                msg = (
                    f"give a list of numbers (unquoted in TOML); item {bad[0]} is "
                    f"{type_name(value[bad[0]])}"
                )
                raise ValueError(msg)
            odd = [i for i, v in enumerate(value) if isinstance(v, float) and not math.isfinite(v)]
            if item in (int, float) and odd:
                raise ValueError(f"{not_finite(value[odd[0]])} (item {odd[0]})")
        return value


def _optional_table(
    name: str,
    doc: str,
    keys: tuple[str, ...],
    *,
    ge: float | None = None,
    le: float | Mapping[str, float] | None = None,
    gt: float | None = None,
    unit: str = "",
) -> type[_Strict]:
    """Build a table model with one optional bounded number per key (`le` may be per key)."""
    fields: dict[str, Any] = {
        key: (
            float | None,
            Field(
                None,
                ge=ge,
                le=le.get(key) if isinstance(le, Mapping) else le,
                gt=gt,
                description=f"{key}{f' ({unit})' if unit else ''}",
            ),
        )
        for key in keys
    }
    model = create_model(name, __base__=_Strict, __doc__=doc, **fields)
    return model


if TYPE_CHECKING:
    # mypy cannot see the fields pydantic's create_model makes: to it these tables are
    # models of unknown keys (code reads them with getattr, by the names in schemas.py).
    class PerAssetAmount(_Strict): ...

    class PerAssetShare(_Strict): ...

    class LayerWeights(_Strict): ...

    class FitRow(_Strict): ...

    class RiskWeights(_Strict): ...

    class RiskRates(_Strict): ...

else:
    PerAssetAmount = _optional_table(
        "PerAssetAmount",
        "One amount per asset class (kpe for military classes, $bn/yr for engagement).",
        ASSETS,
        ge=0,
        le={a: UNIT_MAXIMA[ASSET_UNITS[a]] for a in ASSETS},
        unit="kpe or $bn/yr",
    )
    PerAssetShare = _optional_table(
        "PerAssetShare", "One share from 0 to 1 per asset class.", ASSETS, ge=0, le=1
    )
    LayerWeights = _optional_table(
        "LayerWeights",
        "Weight of each kind of value in a zone's value.",
        VALUE_KINDS,
        ge=0,
        le=100,
    )
    FitRow = _optional_table(
        "FitRow",
        "How well the asset class serves each kind of value (0 = not at all).",
        VALUE_KINDS,
        ge=0,
        le=1,
    )
    RiskWeights = _optional_table(
        "RiskWeights",
        "Weight lambda_<channel> of each risk channel in the objective (1 = as priced).",
        RISK_CHANNELS,
        ge=0,
        le=1000,
    )
    RiskRates = _optional_table(
        "RiskRates",
        "Base rate of each risk channel ($bn-eq/yr per kpe withdrawn or sent; per $bn of "
        "extra effort for backlash and trade).",
        RISK_CHANNELS,
        ge=0,
        le=100,
        unit="$bn-eq/yr per kpe",
    )
