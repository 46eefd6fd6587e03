"""The scenario's pydantic models: frozen tables, unknown keys and quoted numbers refused.

A scenario file states how allies reprice their fronts (defense spending at a horizon year,
host-nation support) and may override any coefficient, weight or bound of the allocation
model per front, zone, region or asset class. The defaults live in
``redeploy/data/coefficients.toml`` (`redeploy.scenario.coefficients`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import (
    Field,
    PrivateAttr,
    create_model,
    field_validator,
    model_validator,
)

from redeploy.scenario.coefficient_models import (
    AssetsSection,
    ModelSection,
)
from redeploy.scenario.distributions import DistributionTable
from redeploy.scenario.fields import ScenarioName, Slug
from redeploy.scenario.parameters import ParameterSpace
from redeploy.scenario.tables import (
    PerAssetAmount,
    PerAssetShare,
    _Strict,
)
from redeploy.schemas import ACCESS_LEVELS, REGIONS, UNIT_MAXIMA

#: The year whose figures the fronts layer holds; every scenario measures against it.
REFERENCE_YEAR: Final = 2024
#: Type of `Scenario.uncertain` once validated: ``{path: distribution table}``, sorted by
#: path, each table normalised (numbers as floats, choice weights adding up to 1).
UncertainTable = dict[str, dict[str, Any]]


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
        None,
        ge=0,
        le=UNIT_MAXIMA["$bn/yr"],
        description="Hosts' GDP ($bn/yr); default the layer's reference figure.",
    )
    hns_usd_bn: float | None = Field(
        None,
        ge=0,
        le=UNIT_MAXIMA["$bn/yr"],
        description="Host-nation support at the horizon year ($bn/yr).",
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
        None,
        ge=0,
        le=UNIT_MAXIMA["kpe"],
        description="Least total military allocation to the region (kpe).",
    )
    cap: float | None = Field(
        None,
        ge=0,
        le=UNIT_MAXIMA["kpe"],
        description="Most total military allocation to the region (kpe).",
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
