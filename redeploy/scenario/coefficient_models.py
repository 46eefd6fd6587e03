"""The model's coefficients as pydantic models: ``[model]`` and ``[assets.<class>]`` of a
scenario, and of ``redeploy/data/coefficients.toml`` (`redeploy.scenario.coefficients`)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, create_model, field_validator

from redeploy.scenario.tables import (
    FitRow,
    LayerWeights,
    RiskRates,
    RiskWeights,
    _Strict,
)
from redeploy.schemas import ASSETS


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
    access_site_capacity_scale: float | None = Field(
        None,
        gt=0,
        le=100,
        description="Multiplies the capacity of sites held under access arrangements (DCA, "
        "MoU, SOFA, access: rotations on host facilities) against bases.",
    )
    site_maturity_years: float | None = Field(
        None,
        ge=0,
        le=100,
        description="Years after a site's `since` year until it hosts its stated capacity "
        "(linearly from 0; 0: at once).",
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
