"""Repricing: allies' extra effort on each front -> U.S. capacity freed.

ΔS_f = e_f · [(p'_f − p_f)/100 · GDP_f + (H'_f − H_f)] (announced); expected delivery
δ_f = 1 / (1 + β · rise_f) with rise_f the announced effort in points of GDP;
ally capacity K_fa = max(δ_f·ΔS_f, 0) · w_fa / (c^ally_a · m_f); freed at the front
F0_fa = min(σ_fa · K_fa, U_fa − h·floor_fa), plus a share of the substitute capacity the
front cannot use, spilled over to the other fronts of its theater. docs/model.md §1.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from redeploy.errors import ScenarioError, format_number
from redeploy.scenario import REFERENCE_YEAR, CoefficientSet, Scenario
from redeploy.schemas import ASSET_UNITS, ASSETS, MILITARY_ASSETS

#: (A,) True for the classes counted in kpe.
MILITARY = np.array([a in MILITARY_ASSETS for a in ASSETS])


@dataclass(frozen=True)
class FrontData:
    """The fronts layer as arrays (F,) and (F, A), read once (no geometry)."""

    ids: tuple[str, ...]
    us: np.ndarray
    floor: np.ndarray
    subst: np.ndarray
    defense_pct: np.ndarray
    gdp: np.ndarray
    hns: np.ndarray
    threat: np.ndarray
    #: (F,) group of fronts that count one economy (same hosts and GDP figure).
    host_group: np.ndarray
    #: (F,) the hosts' ISO3 codes and the front's theater.
    hosts: tuple[frozenset[str], ...]
    theater: np.ndarray
    #: (F,) risk-channel figures (defaults where the layer lacks the column):
    #: nuclear sharing (0/1), proliferation latency, U.S. share of arms imports and of
    #: goods trade (shares, 0-1), integration of command and systems.
    nuclear_sharing: np.ndarray
    latency: np.ndarray
    arms_share: np.ndarray
    trade_share: np.ndarray
    integration: np.ndarray


def per_asset(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """Return the (n, A) matrix of the columns ``<prefix>_<asset>``."""
    return np.column_stack([frame[f"{prefix}_{a}"].to_numpy(dtype=float) for a in ASSETS])


def front_data(fronts: pd.DataFrame) -> FrontData:
    """Read the validated fronts layer into `FrontData`."""
    fronts = fronts.reset_index(drop=True)
    hosts = (
        fronts["host_iso3"]
        .astype(str)
        .map(lambda s: ";".join(sorted(p.strip() for p in s.split(";") if p.strip())))
    )
    key = hosts + "|" + fronts["gdp_usd_bn"].astype(float).round(3).astype(str)
    _, group = np.unique(key.to_numpy(), return_inverse=True)
    n = len(fronts)
    return FrontData(
        ids=tuple(fronts["id"].astype(str)),
        us=per_asset(fronts, "us"),
        floor=per_asset(fronts, "floor"),
        subst=per_asset(fronts, "subst"),
        defense_pct=fronts["defense_pct_gdp"].to_numpy(dtype=float),
        gdp=fronts["gdp_usd_bn"].to_numpy(dtype=float),
        hns=fronts["hns_usd_bn"].to_numpy(dtype=float),
        threat=fronts["threat_level"].to_numpy(dtype=float),
        host_group=np.asarray(group, dtype=np.int64),
        hosts=tuple(frozenset(h.split(";")) if h else frozenset() for h in hosts),
        theater=fronts["theater"].astype(str).to_numpy(),
        nuclear_sharing=_optional(fronts, "nuclear_sharing", 0.0, n),
        latency=_optional(fronts, "proliferation_latency", 0.0, n),
        arms_share=_optional(fronts, "us_arms_share_pct", 50.0, n) / 100.0,
        trade_share=_optional(fronts, "us_trade_share_pct", 10.0, n) / 100.0,
        integration=_optional(fronts, "integration", 0.5, n),
    )


#: Values used where the fronts layer lacks a risk-channel column (docs/layers.md).
FRONT_DEFAULTS: Mapping[str, float] = {
    "nuclear_sharing": 0.0,
    "proliferation_latency": 0.0,
    "us_arms_share_pct": 50.0,
    "us_trade_share_pct": 10.0,
    "integration": 0.5,
}


def _optional(frame: pd.DataFrame, name: str, default: float, n: int) -> np.ndarray:
    """Column `name` as floats, `default` where the column or a value is missing."""
    if name not in frame.columns:
        return np.full(n, float(default))
    values = pd.to_numeric(frame[name].astype(object), errors="coerce")
    return values.fillna(default).to_numpy(dtype=float)


def override_matrix(
    base: np.ndarray, ids: Sequence[str], overrides: Mapping[str, Any], attr: str
) -> np.ndarray:
    """Return `base` (rows = ids, cols = ASSETS) with per-asset overrides applied."""
    out = base.copy()
    if not overrides:
        return out
    pos = {i: k for k, i in enumerate(ids)}
    for key, ov in overrides.items():
        table = getattr(ov, attr)
        if table is None:
            continue
        for j, a in enumerate(ASSETS):
            value = getattr(table, a)
            if value is not None:
                out[pos[key], j] = value
    return out


def override_vector(
    base: np.ndarray, ids: Sequence[str], overrides: Mapping[str, Any], attr: str
) -> np.ndarray:
    """Return `base` (one entry per id) with scalar overrides applied."""
    out = base.astype(float, copy=True)
    if not overrides:
        return out
    pos = {i: k for k, i in enumerate(ids)}
    for key, ov in overrides.items():
        value = getattr(ov, attr)
        if value is not None:
            out[pos[key]] = value
    return out


def check_scenario_ids(
    scenario: Scenario, front_ids: Sequence[str], zone_ids: Sequence[str]
) -> None:
    """
    Refuse scenario keys that name no front or zone of the layers.

    Raises
    ------
    ScenarioError
        Naming the scenario file, the key, the closest id and the known ids.
    """
    problems = []
    for section, known in (("fronts", list(front_ids)), ("zones", list(zone_ids))):
        for key in getattr(scenario, section):
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
            hint = f" Did you mean '{section}.{close[0]}'?" if close else ""
            kind = "front" if section == "fronts" else "zone"
            problems.append(
                f"{scenario.source}: key '{section}.{key}': unknown {kind} id {key!r}.{hint} "
                f"Known {kind} ids: {', '.join(sorted(known))}."
            )
    if problems:
        raise ScenarioError("\n".join(problems))


def _spending_at_horizon(
    fronts: FrontData, scenario: Scenario
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the hosts' defense share and support at the horizon, and the front multipliers
    of the ally's unit cost and of the release risk."""
    ref_pct, hns_ref = fronts.defense_pct, fronts.hns
    new_pct, hns_new = ref_pct.copy(), hns_ref.copy()
    n = len(fronts.ids)
    ally_mult, risk_mult = np.ones(n), np.ones(n)
    for k, fid in enumerate(fronts.ids):
        o = scenario.fronts.get(fid)
        if o is None:
            continue
        if o.defense_pct_gdp is not None:
            new_pct[k] = o.defense_pct_gdp
        elif o.target_pct_gdp is not None and o.target_year is not None:
            reach = min(
                1.0, (scenario.horizon_year - REFERENCE_YEAR) / (o.target_year - REFERENCE_YEAR)
            )
            new_pct[k] = max(ref_pct[k], ref_pct[k] + (o.target_pct_gdp - ref_pct[k]) * reach)
        if o.hns_usd_bn is not None:
            hns_new[k] = o.hns_usd_bn
        elif o.hns_change_pct is not None:
            hns_new[k] = hns_ref[k] * (1 + o.hns_change_pct / 100)
        if o.ally_cost_multiplier is not None:
            ally_mult[k] = o.ally_cost_multiplier
        if o.risk_multiplier is not None:
            risk_mult[k] = o.risk_multiplier
    return new_pct, hns_new, ally_mult, risk_mult


def reprice_fronts(
    fronts: FrontData | pd.DataFrame, scenario: Scenario, coeffs: CoefficientSet
) -> dict[str, np.ndarray]:
    """
    Turn allies' extra effort into freed U.S. capacity per front and asset class.

    ΔS_f = s_f · [(p_new − p_ref)/100 · GDP_f + (H_new − H_ref)] (announced);
    expected ΔS^e_f = ΔS_f / (1 + β · rise_f), rise_f = ΔS_f / GDP_f in points;
    ally capacity K_fa = max(ΔS^e_f, 0) · w_fa / (c^ally_a · m_f);
    own freed F0_fa = min(σ_fa · K_fa, U_fa − h · floor_fa); plus the theater's spill-over.

    Parameters
    ----------
    fronts
        The fronts layer (or its `front_data`).
    scenario
        The scenario (front overrides, horizon year).
    coeffs
        Effective coefficients (defaults with the scenario's on top).

    Returns
    -------
    dict
        Arrays: ``ref_pct, new_pct, gdp, hns_ref, hns_new, effort_share,
        extra_spending, expected_spending, delivery, rise_pct_gdp, threat,
        risk_multiplier`` (F,), ``baseline, floor, hard_floor, subst, split, ally_capacity,
        substitute, freed_own, freed_spill, freed, coverage`` (F, A), ``us_unit_cost``
        (A,).
    """
    fd = fronts if isinstance(fronts, FrontData) else front_data(fronts)
    ids, ov = fd.ids, scenario.fronts
    per = {a: getattr(coeffs.assets, a) for a in ASSETS}
    us_cost = np.array([per[a].us_unit_cost_bn for a in ASSETS])
    ally_cost = np.array([per[a].ally_unit_cost_bn for a in ASSETS])
    default_split = np.array([per[a].split for a in ASSETS])

    baseline = override_matrix(fd.us, ids, ov, "us")
    floor = override_matrix(fd.floor, ids, ov, "floor")
    _check_floor_overrides(baseline, floor, ids, scenario)
    subst = override_matrix(fd.subst, ids, ov, "subst")
    split = override_matrix(np.tile(default_split, (len(ids), 1)), ids, ov, "split")
    _check_splits(split, ids, scenario)
    gdp = override_vector(fd.gdp, ids, ov, "gdp_usd_bn")
    threat = override_vector(fd.threat, ids, ov, "threat_level")
    new_pct, hns_new, ally_mult, risk_mult = _spending_at_horizon(fd, scenario)
    effort_share = _effort_shares(
        fd, baseline[:, MILITARY].sum(axis=1), bool(coeffs.model.split_shared_hosts)
    )
    effort_share = override_vector(effort_share, ids, ov, "effort_share")

    extra = effort_share * ((new_pct - fd.defense_pct) / 100.0 * gdp + (hns_new - fd.hns))
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.where(gdp > 0, np.maximum(extra, 0.0) / gdp * 100.0, 0.0)
    delivery = 1.0 / (1.0 + float(coeffs.model.backlash_beta or 0.0) * rise)
    expected = np.where(extra > 0, extra * delivery, extra)
    ally_capacity = (
        np.maximum(expected, 0.0)[:, None] * split / (ally_cost[None, :] * ally_mult[:, None])
    )
    substitute = subst * ally_capacity
    hard = float(coeffs.model.floor_hard_share if coeffs.model.floor_hard_share is not None else 1)
    hard_floor = np.minimum(floor * hard, baseline)
    room = np.maximum(baseline - hard_floor, 0.0)
    own = np.minimum(substitute, room)
    excess = np.maximum(substitute - room, 0.0)
    spill = _spill_over(
        excess,
        room - own,
        fd.theater,
        float(coeffs.model.spill_share or 0.0),
    )
    freed = own + spill
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(baseline > 0, np.minimum(1.0, substitute / baseline), 0.0)
    return {
        "ref_pct": fd.defense_pct,
        "new_pct": new_pct,
        "gdp": gdp,
        "hns_ref": fd.hns,
        "hns_new": hns_new,
        "effort_share": effort_share,
        "extra_spending": extra,
        "expected_spending": expected,
        "delivery": delivery,
        "rise_pct_gdp": rise,
        "baseline": baseline,
        "floor": floor,
        "hard_floor": hard_floor,
        "subst": subst,
        "split": split,
        "ally_capacity": ally_capacity,
        "substitute": substitute,
        "freed_own": own,
        "freed_spill": spill,
        "excess": excess,
        "freed": freed,
        "coverage": coverage,
        "threat": threat,
        "risk_multiplier": risk_mult,
        "us_unit_cost": us_cost,
    }


def _spill_over(
    excess: np.ndarray, room_left: np.ndarray, theater: np.ndarray, share: float
) -> np.ndarray:
    """
    Return the (F, A) U.S. capacity freed at each front by its theater's spare substitute.

    In each theater and class, `share` of the substitute capacity fronts cannot use at
    home (`excess`) frees capacity at the theater's fronts with room left, in proportion
    to that room and never beyond it.
    """
    out = np.zeros_like(room_left)
    if share <= 0:
        return out
    for t in np.unique(theater):
        sel = theater == t
        pool = share * excess[sel].sum(axis=0)
        left = room_left[sel]
        total = left.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(total > 0, left * (pool / total)[None, :], 0.0)
        out[sel] = np.minimum(part, left)
    return out


def _check_splits(split: np.ndarray, ids: Sequence[str], scenario: Scenario) -> None:
    bad = np.flatnonzero(split.sum(axis=1) > 1 + 1e-9)
    if bad.size:
        lines = [
            f"{scenario.source}: key 'fronts.{ids[i]}.split': asset shares add up to "
            f"{split[i].sum():g}; they must add up to at most 1 (the rest is the ally's own "
            "needs)."
            for i in bad.tolist()
        ]
        raise ScenarioError("\n".join(lines))


def _check_floor_overrides(
    baseline: np.ndarray, floor: np.ndarray, ids: Sequence[str], scenario: Scenario
) -> None:
    """
    Refuse a scenario floor (``fronts.<id>.floor.<asset>``) above the front's U.S. baseline,
    and a scenario baseline (``fronts.<id>.us.<asset>``) below the layer's floor.

    A floor is the part of the baseline that cannot leave, so it can be at most the
    baseline: the fronts layer's ``us_<asset>``, or the scenario's ``fronts.<id>.us.<asset>``.

    Raises
    ------
    ScenarioError
        Naming the scenario file, each key, its value and the largest allowed value.
    """
    pos = {fid: k for k, fid in enumerate(ids)}
    lines = []
    for fid, over in scenario.fronts.items():
        if fid not in pos:
            continue
        for j, asset in enumerate(ASSETS):
            if over.floor is not None:
                line = _floor_above_baseline(scenario, fid, asset, over, baseline[pos[fid], j])
                if line:
                    lines.append(line)
    for fid, over in scenario.fronts.items():
        if fid not in pos:
            continue
        for j, asset in enumerate(ASSETS):
            if over.us is not None:
                line = _baseline_below_floor(scenario, fid, asset, over, floor[pos[fid], j])
                if line:
                    lines.append(line)
    if lines:
        raise ScenarioError("\n".join(lines))


def _floor_above_baseline(
    scenario: Scenario, fid: str, asset: str, over: Any, top: float
) -> str | None:
    value = getattr(over.floor, asset)
    top = float(top)
    if value is None or value <= top + 1e-9:
        return None
    unit = ASSET_UNITS[asset]
    stated = over.us is not None and getattr(over.us, asset) is not None
    origin = (
        f"the scenario's fronts.{fid}.us.{asset}"
        if stated
        else f"the fronts layer's us_{asset} for {fid}"
    )
    return (
        f"{scenario.source}: key 'fronts.{fid}.floor.{asset}' = {format_number(value)}: "
        f"a floor cannot exceed the front's U.S. baseline ({origin} = "
        f"{format_number(top)} {unit}); a floor is the part of the baseline that "
        f"cannot leave. Allowed: a number >= 0 and <= {format_number(top)} ({unit})."
    )


def _baseline_below_floor(
    scenario: Scenario, fid: str, asset: str, over: Any, low: float
) -> str | None:
    value = getattr(over.us, asset)
    own_floor = over.floor is not None and getattr(over.floor, asset) is not None
    low = float(low)
    if value is None or own_floor or value >= low - 1e-9:
        return None
    unit = ASSET_UNITS[asset]
    return (
        f"{scenario.source}: key 'fronts.{fid}.us.{asset}' = {format_number(value)}: "
        f"below the front's floor (the fronts layer's floor_{asset} for {fid} = "
        f"{format_number(low)} {unit}), the part of the baseline that cannot leave; "
        f"set `fronts.{fid}.floor.{asset}` too (at most {format_number(value)}), or "
        f"keep the baseline at least {format_number(low)} {unit}."
    )


def _effort_shares(
    fronts: FrontData, military_baseline: np.ndarray, split_shared: bool
) -> np.ndarray:
    """
    Share of the hosts' extra effort each front carries.

    Fronts with the same hosts and the same GDP figure count one economy several times
    (e.g. two Japan fronts); their shares follow their U.S. military baseline (equal when
    it is zero) so the effort is counted once.
    """
    n = len(fronts.ids)
    share = np.ones(n)
    if not split_shared or n == 0:
        return share
    inverse = fronts.host_group
    n_groups = int(inverse.max()) + 1
    totals = np.bincount(inverse, weights=military_baseline, minlength=n_groups)
    counts = np.bincount(inverse, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            totals[inverse] > 0, military_baseline / totals[inverse], 1.0 / counts[inverse]
        )
    return np.asarray(share, dtype=float)
