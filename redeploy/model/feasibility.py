"""Infeasible scenarios: find conflicts between floors, caps and freed capacity before solving.

Every message names the scenario file, the keys in conflict and what to change
(docs/model.md §5, "Infeasible scenarios").
"""

from __future__ import annotations

import numpy as np

from redeploy.errors import InfeasibleAllocationError, format_number
from redeploy.model.inputs import AllocationInputs
from redeploy.schemas import ASSET_UNITS


def _fmt(x: float) -> str:
    """Format a number for an infeasibility message (`redeploy.errors.format_number`)."""
    return format_number(x)


def _key(region: str, name: str) -> str:
    return f'regions."{region}".{name}' if " " in region else f"regions.{region}.{name}"


def _military_floor_problems(
    inp: AllocationInputs, r: int, region_room: np.ndarray, can_reach: np.ndarray
) -> list[str]:
    """A region's military floor against its cap, its room and what can reach it."""
    region, military = inp.regions[r], inp.military
    lo, hi = inp.region_floor[r], inp.region_cap[r]
    out = []
    if not np.isnan(lo) and not np.isnan(hi) and lo > hi + 1e-9:
        out.append(
            f"`{_key(region, 'floor')}` = {_fmt(lo)} kpe is above "
            f"`{_key(region, 'cap')}` = {_fmt(hi)} kpe; lower the floor or raise the cap."
        )
    if np.isnan(lo) or lo <= 1e-9:
        return out
    mil_room = region_room[r, military].sum()
    mil_reach = can_reach[r, military].sum()
    if lo > mil_room + 1e-9:
        out.append(
            f"`{_key(region, 'floor')}` = {_fmt(lo)} kpe but the zones of {region} "
            f"that military assets may enter can absorb only {_fmt(mil_room)} kpe; "
            f"lower `{_key(region, 'floor')}` to at most {_fmt(mil_room)} or raise "
            "absorptive capacity (`zones.<id>.absorb`, "
            f"`{_key(region, 'absorb_multiplier')}`)."
        )
    elif lo > mil_reach + 1e-9:
        out.append(
            f"`{_key(region, 'floor')}` = {_fmt(lo)} kpe but only {_fmt(mil_reach)} "
            f"kpe is freed at fronts that can reach {region}; lower "
            f"`{_key(region, 'floor')}` to at most {_fmt(mil_reach)} or free more "
            "capacity (`fronts.<id>`)."
        )
    return out


def _asset_floor_problems(
    inp: AllocationInputs, r: int, region_room: np.ndarray, can_reach: np.ndarray
) -> list[str]:
    """A region's per-class floors against their caps, the room and what can reach it."""
    region, out = inp.regions[r], []
    for a, asset in enumerate(inp.assets):
        lo, hi = inp.region_asset_floor[r, a], inp.region_asset_cap[r, a]
        kf, kc = _key(region, f"asset_floor.{asset}"), _key(region, f"asset_cap.{asset}")
        u = ASSET_UNITS[asset]
        if not np.isnan(lo) and not np.isnan(hi) and lo > hi + 1e-9:
            out.append(
                f"`{kf}` = {_fmt(lo)} {u} is above `{kc}` = {_fmt(hi)} {u}; "
                "lower the floor or raise the cap."
            )
        if not np.isnan(lo) and lo > region_room[r, a] + 1e-9:
            out.append(
                f"`{kf}` = {_fmt(lo)} {u} but {region} can absorb only "
                f"{_fmt(region_room[r, a])} {u} of {asset}; lower `{kf}`."
            )
        elif not np.isnan(lo) and lo > can_reach[r, a] + 1e-9:
            out.append(
                f"`{kf}` = {_fmt(lo)} {u} but only {_fmt(can_reach[r, a])} "
                f"{u} of {asset} is freed at fronts that can reach {region}; "
                f"lower `{kf}`."
            )
    return out


def _total_problems(inp: AllocationInputs, freed_asset: np.ndarray) -> list[str]:
    """The floors of all regions together against everything freed."""
    out = []
    total_floor = np.nansum(inp.region_floor)
    total_freed = freed_asset[inp.military].sum()
    if total_floor > total_freed + 1e-9:
        named = ", ".join(
            f"`{_key(r, 'floor')}` = {_fmt(v)}"
            for r, v in zip(inp.regions, inp.region_floor, strict=True)
            if not np.isnan(v)
        )
        out.append(
            f"region floors add up to {_fmt(total_floor)} kpe of military "
            f"capacity but only {_fmt(total_freed)} kpe is freed at all fronts "
            f"({named}); lower the floors or free more capacity."
        )
    for a, asset in enumerate(inp.assets):
        col = inp.region_asset_floor[:, a]
        tot = np.nansum(col)
        if tot > freed_asset[a] + 1e-9:
            named = ", ".join(
                f"`{_key(r, f'asset_floor.{asset}')}` = {_fmt(v)}"
                for r, v in zip(inp.regions, col, strict=True)
                if not np.isnan(v)
            )
            unit = ASSET_UNITS[asset]
            out.append(
                f"region floors add up to {_fmt(tot)} {unit} of {asset} "
                f"but only {_fmt(freed_asset[a])} {unit} is freed at all "
                f"fronts ({named}); lower them."
            )
    return out


def check_feasibility(inp: AllocationInputs) -> None:
    """
    Find obvious conflicts before solving: floor above cap, floors above what is freed,
    floors above what a region can absorb.

    Raises
    ------
    InfeasibleAllocationError
        Naming the scenario file, the keys in conflict and what to change.
    """
    src = inp.scenario_source or f"scenario {inp.scenario!r}"
    region_room, can_reach, available = _room_and_reach(inp)
    problems: list[str] = []
    for r in range(len(inp.regions)):
        problems += _military_floor_problems(inp, r, region_room, can_reach)
        problems += _asset_floor_problems(inp, r, region_room, can_reach)
    problems += _total_problems(inp, available.sum(axis=0))
    if len(problems) == 1:
        raise InfeasibleAllocationError(f"{src}: {problems[0]}")
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        msg = f"{src}: {len(problems)} conflicts between floors, caps and freed capacity:\n{lines}"
        raise InfeasibleAllocationError(msg)


def solver_infeasible_message(inp: AllocationInputs) -> str:
    src = inp.scenario_source or f"scenario {inp.scenario!r}"
    bounds = []
    for r, region in enumerate(inp.regions):
        base = f'regions."{region}"' if " " in region else f"regions.{region}"
        if not np.isnan(inp.region_floor[r]):
            bounds.append(f"`{base}.floor` = {_fmt(inp.region_floor[r])} kpe")
        if not np.isnan(inp.region_cap[r]):
            bounds.append(f"`{base}.cap` = {_fmt(inp.region_cap[r])} kpe")
        for a, asset in enumerate(inp.assets):
            for arr, name in (
                (inp.region_asset_floor, "asset_floor"),
                (inp.region_asset_cap, "asset_cap"),
            ):
                if not np.isnan(arr[r, a]):
                    bounds.append(
                        f"`{base}.{name}.{asset}` = {_fmt(arr[r, a])} {ASSET_UNITS[asset]}"
                    )
    listed = "; ".join(bounds) if bounds else "(no region floors or caps are set)"
    return (
        f"{src}: HiGHS finds no allocation that meets every region floor and cap at "
        f"once. Floors and caps involved: {listed}. Freed capacity can serve several "
        "floors only once: lower a floor or raise a cap."
    )


def _room_and_reach(inp: AllocationInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Return, per region and class, the room left in the zones flows can enter, and the
    capacity that sources with a flow into the region can send (a front's freed capacity
    and what it may convert into engagement; home: its reserve plus what the fronts with a
    flow home can send there), and per source and class what it can send.
    """
    n_f, n_a = len(inp.front_ids), len(inp.assets)
    available = inp.freed.copy()
    if "engagement" in inp.assets:
        available[:, inp.assets.index("engagement")] += inp.conversion_cap
    reach = np.zeros((len(inp.zone_ids), n_a), dtype=bool)
    reach[inp.flow_zone, inp.flow_asset] = True
    room = np.where(reach, inp.seg_length.sum(axis=2), 0.0)
    reg_idx = np.array([inp.regions.index(r) if r in inp.regions else -1 for r in inp.zone_region])
    real = reg_idx >= 0
    region_room = np.zeros((len(inp.regions), n_a))
    np.add.at(region_room, reg_idx[real], room[real])
    home = inp.flow_zone == inp.home_zone
    sends_home = np.zeros((n_f, n_a), dtype=bool)
    sends_home[inp.flow_front[home], inp.flow_asset[home]] = True
    home_supply = available[inp.home_front] + np.where(sends_home, available, 0.0)[:-1].sum(axis=0)
    # Which sources have a flow into each region, per class: one pass over the flows.
    reached = np.zeros((len(inp.regions), n_f, n_a), dtype=bool)
    if inp.n_flows:
        into = reg_idx[inp.flow_zone]
        sel = into >= 0
        reached[into[sel], inp.flow_front[sel], inp.flow_asset[sel]] = True
    home_in = reached[:, inp.home_front, :].copy()
    reached[:, inp.home_front, :] = False
    fronts_sum = np.einsum("rfa,fa->ra", reached, available)
    # Home sends what it holds plus what fronts send it, less the fronts counted already.
    counted_home = np.einsum("rfa,fa->ra", reached & sends_home[None, :, :], available)
    can_reach = fronts_sum + np.where(home_in, home_supply[None, :] - counted_home, 0.0)
    return region_room, can_reach, available
