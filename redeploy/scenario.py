"""Scenarios: frozen typed models loaded from TOML, and the model's default coefficients.

A scenario file states how allies reprice their fronts (defense spending at a horizon year,
host-nation support) and may override any coefficient, weight or bound of the allocation
model per front, zone, region or asset class. The defaults live in
``redeploy/data/coefficients.toml``, each with its value, unit and source.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from redeploy._shipped import shipped_folder
from redeploy.distributions import UncertainTable, _unwrap, apply_central, merge_uncertain
from redeploy.errors import ScenarioError
from redeploy.schemas import ACCESS_LEVELS, ASSETS, REGIONS

#: The kinds of value a zone can hold; the asset-fit matrix has one column per kind.
VALUE_KINDS: tuple[str, ...] = ("chokepoints", "minerals", "nodes", "presence")
#: The year whose figures the fronts layer holds; every scenario measures against it.
REFERENCE_YEAR = 2024

_DATA_DIR = Path(__file__).resolve().parent / "data"
COEFFICIENTS_FILE = _DATA_DIR / "coefficients.toml"

_SLUG_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
_NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
_NAME_MAX = 80
Slug = Annotated[str, StringConstraints(pattern=_SLUG_PATTERN)]
ScenarioName = Annotated[str, StringConstraints(pattern=_NAME_PATTERN, max_length=_NAME_MAX)]
#: What each pattern of the scenario schema allows, in plain words (for error messages).
_PATTERN_WORDS = {
    _NAME_PATTERN: "lower-case letters, digits and . _ -, starting with a letter or digit",
    _SLUG_PATTERN: "lower-case letters, digits and _, starting with a letter or digit",
}


class _Strict(BaseModel):
    """Base of every scenario table: frozen, unknown keys and quoted numbers are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _typed_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        # TOML types its values: "3.0" or true where a number is expected (or 1 where
        # true/false is) is a mistake in the file, not something to coerce silently.
        field = cls.model_fields.get(info.field_name or "")
        kind = _unwrap(field.annotation) if field is not None else None
        if kind in (int, float) and isinstance(value, float) and not math.isfinite(value):
            raise ValueError(_not_finite(value))
        if kind in (int, float) and isinstance(value, str | bool):
            what = "an integer" if kind is int else "a number"
            msg = f"give {what} (unquoted in TOML), not {_type_name(value)}"
            raise ValueError(msg)
        if kind is bool and not isinstance(value, bool):
            msg = f"give true or false (unquoted in TOML), not {_type_name(value)}"
            raise ValueError(msg)
        if typing.get_origin(kind) is list and isinstance(value, list):
            item = _unwrap(typing.get_args(kind)[0])
            bad = [i for i, v in enumerate(value) if isinstance(v, str | bool)]
            if item in (int, float) and bad:
                msg = (
                    f"give a list of numbers (unquoted in TOML); item {bad[0]} is "
                    f"{_type_name(value[bad[0]])}"
                )
                raise ValueError(msg)
            odd = [i for i, v in enumerate(value) if isinstance(v, float) and not math.isfinite(v)]
            if item in (int, float) and odd:
                raise ValueError(f"{_not_finite(value[odd[0]])} (item {odd[0]})")
        return value


def _not_finite(value: float) -> str:
    """Say why a TOML ``nan`` or ``inf`` is refused where a number is expected."""
    if math.isnan(value):
        return "NaN is not allowed: a number is required"
    return f"{value} is not allowed: a finite number is required"


def _type_name(value: Any) -> str:
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
    cover_relief: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of release risk removed when the ally covers the whole U.S. baseline.",
    )
    engagement_conversion: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of freed military capacity converted into engagement $bn/yr.",
    )
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
    layer_weights: LayerWeights | None = None  # type: ignore[valid-type]

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
    risk_per_unit_bn: float | None = Field(
        None,
        ge=0,
        le=1000,
        description="Risk of releasing one unit from a threat-5 front "
        "with no ally coverage ($bn-eq/yr per unit).",
    )
    transit_cost_bn_per_1000km: float | None = Field(
        None, ge=0, le=100, description="Transit cost ($bn-eq/yr per unit per 1000 km)."
    )
    access_penalty_bn: float | None = Field(
        None, ge=0, le=100, description="Extra cost per unit in zones with limited access."
    )
    fit: FitRow | None = None  # type: ignore[valid-type]


class AssetsSection(_Strict):
    """Per asset-class coefficients (``[assets.<class>]``)."""

    naval: AssetSection | None = None
    air: AssetSection | None = None
    ground: AssetSection | None = None
    isr: AssetSection | None = None
    engagement: AssetSection | None = None


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
    us: PerAssetAmount | None = None  # type: ignore[valid-type]
    floor: PerAssetAmount | None = None  # type: ignore[valid-type]
    subst: PerAssetShare | None = None  # type: ignore[valid-type]
    split: PerAssetShare | None = None  # type: ignore[valid-type]

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


class ZoneOverride(_Strict):
    """Overrides of one peripheral zone's layer figures."""

    us_influence: float | None = Field(None, ge=0, le=1, description="U.S. influence.")
    competitor_influence: float | None = Field(
        None, ge=0, le=1, description="China/Russia influence."
    )
    access: Literal["none", "limited", "full"] | None = Field(
        None, description="U.S. basing access: " + ", ".join(ACCESS_LEVELS) + "."
    )
    absorb: PerAssetAmount | None = None  # type: ignore[valid-type]
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
    asset_floor: PerAssetAmount | None = None  # type: ignore[valid-type]
    asset_cap: PerAssetAmount | None = None  # type: ignore[valid-type]
    value_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the value of every zone of the region."
    )
    absorb_multiplier: float | None = Field(
        None, ge=0, le=100, description="Multiplies the absorptive capacity of the region's zones."
    )


def _region_field(region: str) -> str:
    return region.lower().replace(" ", "_")


RegionsSection: type[_Strict] = create_model(  # type: ignore[call-overload]
    "RegionsSection",
    __base__=_Strict,
    __doc__='Per-region settings, keyed by region name (``[regions."Southeast Asia"]``).',
    **{_region_field(r): (RegionOverride | None, Field(None, alias=r)) for r in REGIONS},
)


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
    fronts: dict[Slug, FrontOverride] = Field(
        default_factory=dict, description="Per-front repricing and overrides, by front id."
    )
    zones: dict[Slug, ZoneOverride] = Field(
        default_factory=dict, description="Per-zone overrides, by zone id."
    )
    regions: RegionsSection = Field(default_factory=RegionsSection)  # type: ignore[valid-type]
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
        return apply_central(data)

    @property
    def source(self) -> str:
        """The file the scenario was read from, or ``"<scenario NAME>"``."""
        return self._source or f"<scenario {self.name}>"

    def region(self, region: str) -> RegionOverride | None:
        """Return the settings of `region` (a name of `redeploy.schemas.REGIONS`)."""
        return getattr(self.regions, _region_field(region))

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


# ------------------------------------------------------------------ shipped scenarios


def shipped_scenarios_dir() -> Path:
    """
    Return the folder of the shipped scenarios.

    The environment variable ``REDEPLOY_SCENARIOS`` overrides it; otherwise it is the copy
    inside an installed wheel (``redeploy/scenarios/``, see ``setup.py``) or, in a checkout,
    the repository's ``scenarios/`` beside the package.
    """
    return shipped_folder("scenarios", "REDEPLOY_SCENARIOS")


def list_scenarios() -> dict[str, Path]:
    """Return ``{name: path}`` of the shipped scenarios, sorted by name."""
    folder = shipped_scenarios_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"), key=lambda p: (p.stem, p.name))}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """
    Return the file of a shipped scenario name or a path.

    Raises
    ------
    ScenarioError
        When the name is not shipped and no such file exists; lists the shipped names.
    """
    text = str(name_or_path)
    path = Path(text)
    looks_like_path = path.suffix == ".toml" or os.sep in text or "/" in text
    if path.is_dir() and (looks_like_path or text not in list_scenarios()):
        msg = (
            f"{text}: is a directory, not a scenario file; give the path of a .toml file "
            "(or a shipped scenario name)."
        )
        raise ScenarioError(msg)
    if looks_like_path:
        if not path.is_file():
            msg = f"{text}: scenario file not found"
            raise ScenarioError(msg)
        return path
    shipped = list_scenarios()
    if text in shipped:
        return shipped[text]
    if path.is_file():
        return path
    names = ", ".join(shipped) or "(none found in " + str(shipped_scenarios_dir()) + ")"
    close = difflib.get_close_matches(text, list(shipped), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    msg = (
        f"unknown scenario {text!r}.{hint} Shipped scenarios: {names}. "
        "Or pass the path of a .toml file."
    )
    raise ScenarioError(msg)


def load_scenario(name_or_path: str | Path = "baseline") -> Scenario:
    """
    Load and validate a scenario by shipped name or file path.

    Parameters
    ----------
    name_or_path
        A shipped scenario name (``redeploy scenarios list``) or a TOML file.

    Returns
    -------
    Scenario
        The validated, frozen scenario; ``scenario.source`` names its file.

    Raises
    ------
    ScenarioError
        For an unknown name, unreadable TOML, an unknown key or an out-of-range value;
        the message names the file, the dotted key, the value and what is allowed.
    """
    path = resolve_scenario_path(name_or_path)
    data = _with_bases(_read_toml(path), path, frozenset({path.resolve()}))
    return scenario_from_dict(data, source=str(path), default_name=path.stem)


#: The UTF-8 byte order mark some editors write at the start of a text file.
_BOM = "\ufeff"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text.removeprefix(_BOM))
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not valid TOML: {err}"
        raise ScenarioError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"{path}: not a TOML text file (TOML files are UTF-8 text): {err}"
        raise ScenarioError(msg) from err
    except OSError as err:
        msg = f"{path}: cannot read scenario: {err}"
        raise ScenarioError(msg) from err
    _check_shape(data, path)
    return data


#: Top-level keys of a scenario file that hold tables.
_TABLE_KEYS = ("model", "assets", "fronts", "zones", "regions", "uncertain")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_shape(data: Mapping[str, Any], path: Path) -> None:
    """Refuse a file whose tables or assumptions have the wrong TOML type, before merging.

    The merge with ``extends`` bases walks these keys, so a list where a table belongs
    must be reported here (naming the file's own key) rather than crash or vanish there.
    """
    for key in _TABLE_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, Mapping):
            msg = (
                f"{path}: key {key!r} = {_short(value)}: must be a table "
                f"([{key}] or {key} = {{ ... }}), not {_type_name(value)}."
            )
            raise ScenarioError(msg)
    assumptions = data.get("assumptions")
    if assumptions is None:
        return
    if not isinstance(assumptions, list):
        msg = (
            f"{path}: key 'assumptions' = {_short(assumptions)}: must be a list of strings "
            f'(assumptions = ["...", "..."]), not {_type_name(assumptions)}.'
        )
        raise ScenarioError(msg)
    for i, item in enumerate(assumptions):
        if not isinstance(item, str):
            msg = (
                f"{path}: key 'assumptions[{i}]' = {_short(item)}: must be a string, "
                f"not {_type_name(item)}."
            )
            raise ScenarioError(msg)


def _with_bases(data: dict[str, Any], path: Path, seen: frozenset[Path]) -> dict[str, Any]:
    """
    Merge the scenarios named by ``extends`` under `data`.

    The ancestors are applied once each, bases before the scenarios built on them, in
    the order listed (depth first): ``extends = ["a", "b"]`` with both built on
    ``baseline`` applies baseline, a, b, then `data`.
    """
    order: list[tuple[Path, dict[str, Any]]] = []
    for base_path, base in _ancestors(data, path, seen):
        if all(base_path != p for p, _ in order):
            order.append((base_path, base))
    merged: dict[str, Any] = {}
    for _, base in order:
        own = {k: v for k, v in base.items() if k not in ("name", "extends")}
        merged = merge_scenario_data(merged, own)
    return merge_scenario_data(merged, data)


def _ancestors(
    data: Mapping[str, Any], path: Path, seen: frozenset[Path]
) -> list[tuple[Path, dict[str, Any]]]:
    ext = data.get("extends")
    if ext is None:
        return []
    names = [ext] if isinstance(ext, str) else ext
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        msg = f"{path}: key 'extends' = {ext!r}: give a scenario name or a list of names."
        raise ScenarioError(msg)
    out: list[tuple[Path, dict[str, Any]]] = []
    for name in names:
        candidate = path.parent / name
        try:
            if candidate.suffix == ".toml" and candidate.is_file():
                base_path = candidate
            else:
                base_path = resolve_scenario_path(name)
        except ScenarioError as err:
            msg = f"{path}: key 'extends': {err}"
            raise ScenarioError(msg) from None
        key = base_path.resolve()
        if key in seen:
            msg = f"{path}: key 'extends': {name!r} leads back to this file (a cycle)."
            raise ScenarioError(msg)
        base = _read_toml(base_path)
        out += _ancestors(base, base_path, seen | {key})
        out.append((key, base))
    return out


_SPENDING_KEYS = ("defense_pct_gdp", "target_pct_gdp", "target_year")
_HNS_KEYS = ("hns_usd_bn", "hns_change_pct")


def merge_scenario_data(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """
    Merge scenario `top` over `base` (as parsed from TOML).

    Tables merge key by key; ``assumptions`` are concatenated (base first); a front of
    `top` that states its spending or host-nation support replaces the way `base` stated it;
    ``uncertain`` entries replace whole entries, and a key `top` fixes drops the inherited
    distribution (`redeploy.distributions.merge_uncertain`).
    """
    out = _deep_merge(
        dict(base), {k: v for k, v in top.items() if k not in ("assumptions", "fronts")}
    )
    out["assumptions"] = list(
        dict.fromkeys([*base.get("assumptions", []), *top.get("assumptions", [])])
    )
    fronts = {k: dict(v) for k, v in base.get("fronts", {}).items()}
    for fid, over in top.get("fronts", {}).items():
        current = fronts.get(fid, {})
        if isinstance(over, Mapping):
            if any(k in over for k in _SPENDING_KEYS):
                current = {k: v for k, v in current.items() if k not in _SPENDING_KEYS}
            if any(k in over for k in _HNS_KEYS):
                current = {k: v for k, v in current.items() if k not in _HNS_KEYS}
            fronts[fid] = _deep_merge(current, over)
        else:
            fronts[fid] = over
    if fronts or "fronts" in top or "fronts" in base:
        out["fronts"] = fronts
    return merge_uncertain(base, top, out)


def scenario_from_dict(
    data: Mapping[str, Any], *, source: str = "<scenario>", default_name: str | None = None
) -> Scenario:
    """
    Validate a scenario given as a (TOML-like) mapping.

    Parameters
    ----------
    data
        The parsed scenario.
    source
        Name of the file or origin, used in error messages.
    default_name
        Name used when `data` has no ``name`` key.
    """
    payload = dict(data)
    named_after_file = "name" not in payload and default_name is not None
    if named_after_file:
        payload["name"] = default_name
    try:
        scenario = Scenario.model_validate(payload)
    except ValidationError as err:
        text = format_validation_error(err, source, Scenario, name_from_file=named_after_file)
        raise ScenarioError(text) from None
    scenario._source = source
    return scenario


#: Keys a scenario file may leave out although the model needs them: the loader takes
#: ``name`` from the file name and ``description`` from the scenarios it ``extends``.
_FILE_DEFAULTED_KEYS = ("name", "description")


def scenario_json_schema() -> dict[str, Any]:
    """
    Return the JSON Schema of scenario files (for editors).

    It describes files as `load_scenario` accepts them: ``name`` is optional (the file name
    is the default) and ``description`` may come from a base named by ``extends``, so a
    file needs one of ``description`` and ``extends``.
    """
    schema = Scenario.model_json_schema(by_alias=True)
    required = [k for k in schema.get("required", []) if k not in _FILE_DEFAULTED_KEYS]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    schema["anyOf"] = [{"required": ["description"]}, {"required": ["extends"]}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "redeploy scenario"
    return schema


# ------------------------------------------------------------------ error messages


def _container(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """Follow `loc` through nested models and dicts; return the type reached, or None."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = _field_by_key(current, part)
            if info is None:
                return None
            current = _unwrap(info.annotation)
        elif typing.get_origin(current) is dict:  # a key of dict[str, Model]
            current = _unwrap(typing.get_args(current)[1])
        else:
            return None
    return current


def _field_info(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """Return the pydantic FieldInfo at `loc`, or None."""
    if not loc:
        return None
    parent = _container(model, loc[:-1])
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        return _field_by_key(parent, loc[-1])
    return None


def _field_by_key(model: type[BaseModel], key: Any) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _keys_of(model: Any) -> list[str]:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _allowed_text(info: Any) -> str:
    if info is None:
        return ""
    bounds = []
    for meta in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds.append(f"{word} {value:g}")
    annotation = _unwrap(info.annotation)
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if bounds:
        kind = "an integer" if annotation is int else "a number"
        return f"{kind} {' and '.join(bounds)}"
    return ""


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
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")[:_NAME_MAX].strip("-_.")
    return slug or "my-scenario"


def _file_name_message(source: str, value: Any) -> str:
    """Explain that a scenario without ``name`` is named after its file, and the fix."""
    good = _name_suggestion(str(value))
    return (
        f"{source}: the file has no 'name' key, so the scenario is named after the file: "
        f"{value!r} is not a valid scenario name. A name uses "
        f"{_PATTERN_WORDS[_NAME_PATTERN]} (at most {_NAME_MAX} characters). Add "
        f'name = "{good}" to the file, or rename the file (e.g. {good}.toml).'
    )


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
    lines = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        key = _dotted(loc)
        pattern = (e.get("ctx") or {}).get("pattern")
        plain = _PATTERN_WORDS.get(str(pattern)) if pattern is not None else None
        if name_from_file and loc == ("name",) and e["type"] != "missing":
            lines.append(_file_name_message(source, e.get("input")))
            continue
        if e["type"] == "extra_forbidden":
            allowed = _keys_of(_container(model, loc[:-1]))
            bad = str(loc[-1])
            close = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.5)
            hint = f" Did you mean {_dotted((*loc[:-1], close[0]))!r}?" if close else ""
            known = f" Allowed keys here: {', '.join(allowed)}." if allowed else ""
            lines.append(f"{source}: unknown key {key!r}.{hint}{known}")
            continue
        if loc and loc[-1] == "[key]":
            lines.append(
                f"{source}: key {_dotted(loc[:-1])!r}: ids are lower-case slugs "
                "(letters, digits and '_'), as in the layers."
            )
            continue
        if e["type"] == "missing":
            lines.append(f"{source}: key {key!r} is required but missing.")
            continue
        allowed = "" if e["type"] == "literal_error" else _allowed_text(_field_info(model, loc))
        value = e.get("input")
        got = f" = {value!r}" if not isinstance(value, dict) else ""
        message = e["msg"].removeprefix("Value error, ")
        if plain:
            message = "not allowed here"
            allowed = plain
            if loc == ("name",):
                message = "not a valid scenario name"
                allowed = f"{plain}; at most {_NAME_MAX} characters"
        tail = f" Allowed: {allowed}." if allowed else ""
        where = f"key {key!r}" if key else "scenario"
        lines.append(f"{source}: {where}{got}: {message}.{tail}")
    return "\n".join(lines)


# ------------------------------------------------------------------ coefficients


@dataclass(frozen=True)
class Coefficient:
    """One default coefficient: dotted key, value, unit, source and note."""

    key: str
    value: Any
    unit: str
    source: str
    note: str


class CoefficientSet(_Strict):
    """The model's coefficients: the ``model`` and ``assets`` tables of a scenario."""

    model: ModelSection = Field(default_factory=ModelSection)
    assets: AssetsSection = Field(default_factory=AssetsSection)


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and "source" in node


def _flatten_entries(
    node: Mapping[str, Any], prefix: str, out: list[Coefficient], source: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, child in node.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if _is_leaf(child):
            for field in ("unit", "source"):
                if not isinstance(child.get(field), str) or not child.get(field):
                    msg = f"{source}: key {dotted!r}: needs a non-empty {field!r}"
                    raise ScenarioError(msg)
            out.append(
                Coefficient(
                    dotted, child["value"], child["unit"], child["source"], child.get("note", "")
                )
            )
            values[key] = child["value"]
        elif isinstance(child, dict):
            values[key] = _flatten_entries(child, dotted, out, source)
        else:
            msg = (
                f"{source}: key {dotted!r}: expected a table with value, unit and source, "
                f"got {child!r}"
            )
            raise ScenarioError(msg)
    return values


@lru_cache(maxsize=4)
def _load_coefficients_cached(path: str) -> tuple[CoefficientSet, tuple[Coefficient, ...]]:
    file = Path(path)
    try:
        with file.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        msg = f"{file}: cannot read coefficients: {err}"
        raise ScenarioError(msg) from err
    entries: list[Coefficient] = []
    values = _flatten_entries(raw, "", entries, str(file))
    try:
        coeffs = CoefficientSet.model_validate(values)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, str(file), CoefficientSet)) from None
    missing = _missing_keys(coeffs.model_dump(), "")
    if missing:
        msg = f"{file}: coefficients missing: {', '.join(missing)}"
        raise ScenarioError(msg)
    return coeffs, tuple(entries)


def _missing_keys(node: Any, prefix: str) -> list[str]:
    if node is None:
        return [prefix]
    if isinstance(node, dict):
        out = []
        for key, child in node.items():
            out += _missing_keys(child, f"{prefix}.{key}" if prefix else key)
        return out
    return []


def load_coefficients(path: str | Path | None = None) -> CoefficientSet:
    """
    Load the default coefficients (or those of `path`) and check that every one is set.

    Raises
    ------
    ScenarioError
        When the file breaks the schema or leaves a coefficient unset.
    """
    return _load_coefficients_cached(str(path or COEFFICIENTS_FILE))[0]


def coefficient_entries(path: str | Path | None = None) -> tuple[Coefficient, ...]:
    """Return every default coefficient with its unit and source (for docs and summaries)."""
    return _load_coefficients_cached(str(path or COEFFICIENTS_FILE))[1]


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def effective_coefficients(
    scenario: Scenario, coefficients: CoefficientSet | None = None
) -> CoefficientSet:
    """Return the default coefficients with the scenario's ``model``/``assets`` on top."""
    base = (coefficients or load_coefficients()).model_dump(exclude_none=True)
    top = {
        "model": scenario.model.model_dump(exclude_none=True),
        "assets": scenario.assets.model_dump(exclude_none=True),
    }
    merged = _deep_merge(base, top)
    try:
        out = CoefficientSet.model_validate(merged)
    except ValidationError as err:  # pragma: no cover - both halves were valid
        raise ScenarioError(format_validation_error(err, scenario.source, CoefficientSet)) from None
    shares, slopes = out.model.segment_shares or [], out.model.segment_slopes or []
    if len(shares) != len(slopes):
        msg = (
            f"{scenario.source}: key 'model.segment_slopes': {len(slopes)} slopes for "
            f"{len(shares)} segment shares; give as many slopes as shares."
        )
        raise ScenarioError(msg)
    return out


def coefficients_digest_payload(coeffs: CoefficientSet) -> str:
    """Return canonical JSON of a coefficient set (for run ids)."""
    return json.dumps(coeffs.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
