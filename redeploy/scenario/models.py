"""The scenario's pydantic models: frozen tables, unknown keys and quoted numbers refused.

A scenario file states how allies reprice their fronts (defense spending at a horizon year,
host-nation support) and may override any coefficient, weight or bound of the allocation
model per front, zone, region or asset class. The defaults live in
``redeploy/data/coefficients.toml`` (`redeploy.scenario.coefficients`).
"""

from __future__ import annotations

import itertools
import json
import math
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from redeploy.scenario.distributions import DistributionTable
from redeploy.scenario.fields import ScenarioName, Slug, unwrap_annotation
from redeploy.scenario.messages import not_finite, type_name
from redeploy.scenario.parameters import ParameterSpace
from redeploy.schemas import ACCESS_LEVELS, ASSETS, REGIONS, RISK_CHANNELS, value_layers

#: The kinds of value a zone can hold; the asset-fit matrix has one column per kind: one per
#: layer kind feeding zone value (`LayerRole.value_kind` in redeploy.schemas), then
#: "perimeter", the homeland perimeter, which no layer holds (distance to the U.S.).
VALUE_KINDS: tuple[str, ...] = (*value_layers(), "perimeter")
#: The year whose figures the fronts layer holds; every scenario measures against it.
REFERENCE_YEAR: Final = 2024
#: Type of `Scenario.uncertain` once validated: ``{path: distribution table}``, sorted by
#: path, each table normalised (numbers as floats, choice weights adding up to 1).
UncertainTable = dict[str, dict[str, Any]]


class _Strict(BaseModel):
    """Base of every scenario table: frozen, unknown keys and quoted numbers are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _typed_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        # TOML types its values: "3.0" or true where a number is expected (or 1 where
        # true/false is) is a mistake in the file, not something to coerce silently.
        field = cls.model_fields.get(info.field_name or "")
        kind = unwrap_annotation(field.annotation) if field is not None else None
        if kind in (int, float) and isinstance(value, float) and not math.isfinite(value):
            raise ValueError(not_finite(value))
        if kind in (int, float) and isinstance(value, str | bool):
            what = "an integer" if kind is int else "a number"
            msg = f"give {what} (unquoted in TOML), not {type_name(value)}"
            raise ValueError(msg)
        if kind is bool and not isinstance(value, bool):
            msg = f"give true or false (unquoted in TOML), not {type_name(value)}"
            raise ValueError(msg)
        if typing.get_origin(kind) is list and isinstance(value, list):
            item = unwrap_annotation(typing.get_args(kind)[0])
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
    le: float | None = None,
    gt: float | None = None,
    unit: str = "",
) -> type[_Strict]:
    """Build a table model with one optional bounded number per key."""
    fields: dict[str, Any] = {
        key: (
            float | None,
            Field(None, ge=ge, le=le, gt=gt, description=f"{key}{f' ({unit})' if unit else ''}"),
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
        unit="kpe or $bn/yr",
    )
    PerAssetShare = _optional_table(
        "PerAssetShare", "One share from 0 to 1 per asset class.", ASSETS, ge=0, le=1
    )
    LayerWeights = _optional_table(
        "LayerWeights", "Weight of each kind of value in a zone's value.", VALUE_KINDS, ge=0
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


class ModelSection(_Strict):
    """Model-wide coefficients (``[model]``); defaults in coefficients.toml."""

    risk_lambda: float | None = Field(
        None, ge=0, le=1000, description="Weight of release risk against value (1)."
    )
    decay_km: float | None = Field(
        None, gt=0, le=20000, description="Distance-decay scale of zone value (km)."
    )
    contestability_base: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Contestability = (1 - us_influence) * "
        "(contestability_base + competitor_influence).",
    )
    conversion_cap: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Most of a front's freed military capacity (at U.S. unit cost) the model "
        "may convert into engagement $bn/yr (share).",
    )
    at_sea_value_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Value of naval presence at sea and in port calls (no basing) as a share "
        "of the zone's first-unit naval value.",
    )
    capacity_scale: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Multiplies every zone's capacity to host military classes (sites and at sea).",
    )
    engagement_capacity_scale: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Multiplies every zone's capacity to absorb engagement ($bn/yr).",
    )
    perimeter_km: float | None = Field(
        None, gt=0, le=20000, description="Decay scale of the homeland-perimeter value (km)."
    )
    backlash_beta: float | None = Field(
        None,
        ge=0,
        le=10,
        description="Allied delivery: expected effort = announced / (1 + beta * rise in "
        "points of GDP).",
    )
    spill_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of an ally's substitute capacity beyond its own front's room that "
        "frees U.S. capacity at the other fronts of its theater.",
    )
    floor_hard_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of each front floor that cannot leave at any price; the rest may "
        "leave at the fragmentation channel's floor rate.",
    )
    credibility_shares: list[Annotated[float, Field(gt=0, le=1)]] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Segments of a front's withdrawn share of its U.S. military presence "
        "for the convex credibility cost; add up to 1.",
    )
    credibility_slopes: list[Annotated[float, Field(ge=0, le=1000)]] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Credibility cost per kpe on each segment, as a multiple of its base "
        "rate; non-decreasing (a large withdrawal costs more per kpe).",
    )
    fragmentation_floor_multiplier: float | None = Field(
        None, ge=1, le=100, description="Fragmentation rate on the part of a floor that leaves."
    )
    nuclear_sharing_factor: float | None = Field(
        None, ge=0, le=10, description="Extra fragmentation where a host shares nuclear weapons."
    )
    opportunism_coupling: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How much withdrawing from one theater raises the risk in the others.",
    )
    units: bool | None = Field(
        None,
        description="Deploy military capacity in whole units with a cost per site opened "
        "(a MILP); false: continuous kpe (an LP).",
    )
    site_cost_bn: float | None = Field(
        None, ge=0, le=100, description="Fixed cost of opening a zone to forces (units only)."
    )
    risk_weights: RiskWeights | None = None
    risk_rates: RiskRates | None = None
    split_shared_hosts: bool | None = Field(
        None, description="Split one host's extra effort among the fronts it hosts."
    )
    segment_shares: list[Annotated[float, Field(gt=0, le=1)]] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Lengths of the concave value segments as shares of absorptive "
        "capacity; add up to 1.",
    )
    segment_slopes: list[Annotated[float, Field(ge=0, le=1)]] | None = Field(
        None,
        min_length=1,
        max_length=10,
        description="Value per unit on each segment as a share of the first-unit value; "
        "non-increasing.",
    )
    layer_weights: LayerWeights | None = None

    @field_validator("segment_shares")
    @classmethod
    def _shares_add_up(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and abs(sum(v) - 1.0) > 1e-6:
            msg = f"segment shares must add up to 1, they add up to {sum(v):g}"
            raise ValueError(msg)
        return v

    @field_validator("segment_slopes")
    @classmethod
    def _slopes_decrease(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and any(b > a for a, b in itertools.pairwise(v)):
            msg = "segment slopes must not increase (value has diminishing returns)"
            raise ValueError(msg)
        return v

    @field_validator("credibility_shares")
    @classmethod
    def _credibility_shares_add_up(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and abs(sum(v) - 1.0) > 1e-6:
            msg = f"credibility shares must add up to 1, they add up to {sum(v):g}"
            raise ValueError(msg)
        return v

    @field_validator("credibility_slopes")
    @classmethod
    def _credibility_convex(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and any(b < a for a, b in itertools.pairwise(v)):
            msg = "credibility slopes must not decrease (the harm grows faster than the withdrawal)"
            raise ValueError(msg)
        return v


class AssetSection(_Strict):
    """Coefficients of one asset class (``[assets.naval]`` etc.)."""

    us_unit_cost_bn: float | None = Field(
        None, gt=0, le=100, description="Annual U.S. cost of one unit ($bn/yr per unit)."
    )
    ally_unit_cost_bn: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Ally's annual cost to field capacity substituting "
        "one U.S. unit ($bn/yr per unit).",
    )
    split: float | None = Field(
        None, ge=0, le=1, description="Default share of an ally's extra effort spent on the class."
    )
    value_per_unit_bn: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="Value of the first unit in a zone with index and "
        "contestability 1 ($bn-eq/yr per unit).",
    )
    risk_weight: float | None = Field(
        None,
        ge=0,
        le=100,
        description="How strongly withdrawing one unit of the class registers in the "
        "credibility, opportunism, autonomy, proliferation, backlash and trade channels.",
    )
    integration: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How integrated the class is in allied systems (fragmentation channel).",
    )
    visibility: float | None = Field(
        None,
        ge=0,
        le=1,
        description="How visible one unit is at the destination (counter-alignment channel).",
    )
    home_value_bn: float | None = Field(
        None,
        ge=0,
        le=100,
        description="Value of one unit kept at home as a strategic reserve ($bn-eq/yr).",
    )
    unit_size: float | None = Field(
        None, gt=0, le=100, description="Size of one deployable unit (kpe; whole-unit mode)."
    )
    transit_cost_bn_per_1000km: float | None = Field(
        None, ge=0, le=100, description="Transit cost ($bn-eq/yr per unit per 1000 km)."
    )
    access_penalty_bn: float | None = Field(
        None, ge=0, le=100, description="Extra cost per unit in zones with limited access."
    )
    fit: FitRow | None = None


if TYPE_CHECKING:
    # One optional table per asset class of redeploy.schemas.ASSETS (read with getattr).
    class AssetsSection(_Strict): ...

else:
    AssetsSection = create_model(
        "AssetsSection",
        __base__=_Strict,
        __doc__="Per asset-class coefficients (``[assets.<class>]``).",
        **dict.fromkeys(ASSETS, (AssetSection | None, None)),
    )


class CoefficientSet(_Strict):
    """The model's coefficients: the ``model`` and ``assets`` tables of a scenario."""

    model: ModelSection = Field(default_factory=ModelSection)
    assets: AssetsSection = Field(default_factory=AssetsSection)


class FrontOverride(_Strict):
    """How one front is repriced at the horizon, and overrides of its layer figures."""

    defense_pct_gdp: float | None = Field(
        None, ge=0, le=25, description="Hosts' defense spending at the horizon year (% GDP)."
    )
    target_pct_gdp: float | None = Field(
        None,
        ge=0,
        le=25,
        description="Announced target (% GDP), reached linearly from the "
        "reference year to `target_year`; never below the reference level.",
    )
    target_year: int | None = Field(
        None, ge=REFERENCE_YEAR + 1, le=2100, description="Year the target is reached."
    )
    gdp_usd_bn: float | None = Field(
        None, ge=0, description="Hosts' GDP ($bn/yr); default the layer's reference figure."
    )
    hns_usd_bn: float | None = Field(
        None, ge=0, description="Host-nation support at the horizon year ($bn/yr)."
    )
    hns_change_pct: float | None = Field(
        None,
        ge=-100,
        le=1000,
        description="Change of host-nation support from the reference year to the horizon (%).",
    )
    threat_level: int | None = Field(None, ge=1, le=5, description="Threat, 1 to 5.")
    effort_share: float | None = Field(
        None, ge=0, le=1, description="Share of the hosts' extra effort attributed to this front."
    )
    ally_cost_multiplier: float | None = Field(
        None, gt=0, le=100, description="Multiplies the ally's unit costs on this front."
    )
    risk_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the release risk of this front."
    )
    us: PerAssetAmount | None = None
    floor: PerAssetAmount | None = None
    subst: PerAssetShare | None = None
    split: PerAssetShare | None = None

    @model_validator(mode="after")
    def _one_way_each(self) -> FrontOverride:
        if self.defense_pct_gdp is not None and self.target_pct_gdp is not None:
            msg = "give either defense_pct_gdp (level at the horizon) or target_pct_gdp, not both"
            raise ValueError(msg)
        if (self.target_pct_gdp is None) != (self.target_year is None):
            msg = "target_pct_gdp and target_year go together"
            raise ValueError(msg)
        if self.hns_usd_bn is not None and self.hns_change_pct is not None:
            msg = "give either hns_usd_bn or hns_change_pct, not both"
            raise ValueError(msg)
        return self


class HomeSection(_Strict):
    """The U.S. home pool (``[home]``): capacity at home the model may send abroad."""

    reserve: PerAssetAmount | None = Field(
        None,
        description="Capacity at home available for peripheral deployment besides what "
        "fronts send home (kpe or $bn/yr; 0 by default).",
    )
    deploy_all: bool = Field(
        False,
        description="The whole reserve must leave for the periphery, as far as the room its "
        "flows reach allows (the calibration's backcast: where the observed presence goes, "
        "not whether).",
    )


class ZoneOverride(_Strict):
    """Overrides of one peripheral zone's layer figures."""

    us_influence: float | None = Field(None, ge=0, le=1, description="U.S. influence.")
    competitor_influence: float | None = Field(
        None, ge=0, le=1, description="China/Russia influence."
    )
    access: Literal["none", "limited", "full"] | None = Field(
        None, description="U.S. basing access: " + ", ".join(ACCESS_LEVELS) + "."
    )
    absorb: PerAssetAmount | None = None
    existing: PerAssetAmount | None = Field(
        None,
        description="U.S. presence already in the zone (kpe or $bn/yr), replacing the posture "
        "layer's.",
    )
    value_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the zone's value."
    )


class RegionOverride(_Strict):
    """Floors, caps and multipliers of one region."""

    floor: float | None = Field(
        None, ge=0, description="Least total military allocation to the region (kpe)."
    )
    cap: float | None = Field(
        None, ge=0, description="Most total military allocation to the region (kpe)."
    )
    asset_floor: PerAssetAmount | None = None
    asset_cap: PerAssetAmount | None = None
    value_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the value of every zone of the region."
    )
    absorb_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the absorptive capacity of the region's zones."
    )


def _region_field(region: str) -> str:
    return region.lower().replace(" ", "_")


def _regions_table() -> type[_Strict]:
    """Build the table of per-region settings, one optional key per region name."""
    fields: dict[str, Any] = {
        _region_field(r): (RegionOverride | None, Field(None, alias=r)) for r in REGIONS
    }
    doc = 'Per-region settings, keyed by region name (``[regions."Southeast Asia"]``).'
    return create_model("RegionsSection", __base__=_Strict, __doc__=doc, **fields)


if TYPE_CHECKING:

    class RegionsSection(_Strict): ...  # built by create_model: see PerAssetAmount

else:
    RegionsSection = _regions_table()


class Scenario(_Strict):
    """
    A named set of assumptions: how allies reprice their fronts and model overrides.

    Every scenario measures against the reference year 2024 figures of the fronts layer.
    """

    name: ScenarioName = Field(description="Scenario name; names the output files.")
    extends: str | list[str] | None = Field(
        None,
        description="Shipped scenario name(s) or .toml path(s) this one builds on; "
        "their settings apply first and their assumptions come first.",
    )
    description: str = Field(min_length=1, description="What the scenario represents.")
    assumptions: list[str] = Field(
        default_factory=list, description="The scenario's stated assumptions, one per item."
    )
    reference_year: Literal[2024] = Field(
        REFERENCE_YEAR, description="Year of the layers' figures (2024)."
    )
    horizon_year: int = Field(
        2030, ge=REFERENCE_YEAR + 1, le=2100, description="Year the repricing is evaluated."
    )
    model: ModelSection = Field(default_factory=ModelSection)
    assets: AssetsSection = Field(default_factory=AssetsSection)
    home: HomeSection = Field(default_factory=HomeSection)
    fronts: dict[Slug, FrontOverride] = Field(
        default_factory=dict, description="Per-front repricing and overrides, by front id."
    )
    zones: dict[Slug, ZoneOverride] = Field(
        default_factory=dict, description="Per-zone overrides, by zone id."
    )
    regions: RegionsSection = Field(default_factory=RegionsSection)
    uncertain: UncertainTable | None = Field(
        None,
        description="Distributions of parameters for `redeploy sweep`, by dotted key (e.g. "
        '"fronts.korea.defense_pct_gdp" = {dist = "uniform", low = 2.6, high = 3.5}); '
        "other commands use each one's central value (docs/sweeps.md).",
    )

    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _central_values(cls, data: Any) -> Any:
        # Central values of [uncertain] replace the fixed ones, so every command sees them.
        return ParameterSpace(cls).with_central_values(data)

    @field_validator(
        "uncertain", mode="before", json_schema_input_type=dict[str, DistributionTable]
    )
    @classmethod
    def _check_uncertain(cls, value: Any) -> Any:
        # The paths are keys of this model, so the check needs the class (not an import).
        # What is not a table is left to the field's type, which says so.
        return ParameterSpace(cls).validate(value) if isinstance(value, Mapping) else value

    @property
    def source(self) -> str:
        """The file the scenario was read from, or ``"<scenario NAME>"``."""
        return self._source or f"<scenario {self.name}>"

    def region(self, region: str) -> RegionOverride | None:
        """Return the settings of `region` (a name of `redeploy.schemas.REGIONS`)."""
        found: RegionOverride | None = getattr(self.regions, _region_field(region))
        return found

    def summary_text(self) -> str:
        """Return the description and the assumptions as plain text."""
        lines = [self.description.strip()]
        lines += [f"- {a}" for a in self.assumptions]
        return "\n".join(lines)

    def canonical_json(self) -> str:
        """Return the scenario as canonical JSON (sorted keys), for run ids."""
        return json.dumps(
            self.model_dump(mode="json", exclude_none=True, by_alias=True),
            sort_keys=True,
            separators=(",", ":"),
        )
