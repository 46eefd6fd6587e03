"""The LP's structure: which columns and rows exist, their costs, bounds and matrix.

Columns, in this order (docs/model.md §5):

- flows x_j >= 0 (front or home -> zone or home, asset);
- segment fills y_pk >= 0 of every value segment of a (zone, asset) pair p but the last
  (the last takes the rest of the pair's inflow, so it needs no column);
- conversions k_fa >= 0: military capacity freed at front f turned into engagement;
- floor tiers t_fa >= 0: withdrawal of class a from front f that reaches into its floor;
- credibility segments u_fk >= 0: front f's weighted withdrawal on credibility segment k;
- in whole-unit mode, units n_p (integer) and site openings o_z (binary).

Rows: supply per (front, asset) (home: inflow from fronts plus its reserve), room per pair,
conversion cap per front, floor tier per (front, asset), credibility per front, region
floors and caps, and in whole-unit mode one unit row and one site row per pair.

`LPStructure` depends only on which flows exist and on which fronts have capacity and
floors; costs and bounds are recomputed from `AllocationInputs` on every change
(`redeploy.model.allocation.AllocationModel.update`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
from scipy import sparse

from redeploy.model.inputs import AllocationInputs
from redeploy.scenario import RISK_CHANNELS

_CRED = RISK_CHANNELS.index("credibility")
_FRAG = RISK_CHANNELS.index("fragmentation")
#: Adds entries to the constraint matrix (`matrix`): rows, columns, and one value for all
#: of them or one each.
_AddEntries: TypeAlias = Callable[[np.ndarray, np.ndarray, np.ndarray | float], None]


def compact(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct `keys` (ints in [0, size)) and each key's position among
    them: `numpy.unique(..., return_inverse=True)` in O(n + size), without sorting."""
    present = np.zeros(size, dtype=bool)
    present[keys] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[keys]


@dataclass(frozen=True)
class LPStructure:
    """Index arrays of every column and row block (see the module docstring)."""

    n_flow: int
    #: supply rows: keys f * A + a, and each flow's supply row; inflow to home per flow.
    supply_keys: np.ndarray
    flow_supply: np.ndarray
    home_inflow: np.ndarray
    #: pairs (zone, asset) with flows into a real zone: keys, each flow's pair (-1: home).
    pair_keys: np.ndarray
    flow_pair: np.ndarray
    seg_pair: np.ndarray
    seg_k: np.ndarray
    #: conversions and floor tiers: front and asset of each column.
    conv_front: np.ndarray
    conv_asset: np.ndarray
    tier_front: np.ndarray
    tier_asset: np.ndarray
    #: credibility: fronts with a row, and the front and segment of each column.
    cred_fronts: np.ndarray
    cred_front: np.ndarray
    cred_k: np.ndarray
    #: fronts with a conversion-cap row.
    cap_fronts: np.ndarray
    #: region rows: (region, asset or None), and the flow columns in each.
    region_rows: tuple[tuple[str, str | None], ...]
    region_members: tuple[np.ndarray, ...]
    #: whole units: military pairs with a unit column, zones with a site column, and the
    #: unit pairs (positions in unit_pairs) in those zones, each with a site row.
    unit_pairs: np.ndarray
    site_zones: np.ndarray
    site_pairs: np.ndarray

    @property
    def n_seg(self) -> int:
        return int(self.seg_pair.size)

    @property
    def offsets(self) -> dict[str, int]:
        """First column of each block."""
        out, at = {}, 0
        for name, size in (
            ("flow", self.n_flow),
            ("seg", self.n_seg),
            ("conv", self.conv_front.size),
            ("tier", self.tier_front.size),
            ("cred", self.cred_front.size),
            ("unit", self.unit_pairs.size),
            ("site", self.site_zones.size),
        ):
            out[name] = at
            at += int(size)
        out["end"] = at
        return out

    @property
    def n_cols(self) -> int:
        return self.offsets["end"]

    @property
    def row_offsets(self) -> dict[str, int]:
        """First row of each block."""
        out, at = {}, 0
        for name, size in (
            ("supply", self.supply_keys.size),
            ("room", self.pair_keys.size),
            ("cap", self.cap_fronts.size),
            ("tier", self.tier_front.size),
            ("cred", self.cred_fronts.size),
            ("region", len(self.region_rows)),
            ("unit", self.unit_pairs.size),
            ("site", self.site_pairs.size),
        ):
            out[name] = at
            at += int(size)
        out["end"] = at
        return out

    @property
    def n_rows(self) -> int:
        return self.row_offsets["end"]


def build_structure(inp: AllocationInputs) -> LPStructure:
    """Return the LP's structure for `inp` (see the module docstring)."""
    n_f, n_z, n_a = len(inp.front_ids), len(inp.zone_ids), len(inp.assets)
    home_f, home_z = inp.home_front, inp.home_zone
    mil = inp.military
    military_fronts = np.arange(n_f - 1)
    fa = inp.flow_front * n_a + inp.flow_asset
    to_home = inp.flow_zone == home_z
    # conversions: every real front and military class with a baseline (its freed may grow)
    conv_f, conv_a = np.nonzero((inp.baseline[:-1] > 0) & mil[None, :])
    eng = inp.assets.index("engagement") if "engagement" in inp.assets else -1
    home_keys = home_f * n_a + np.flatnonzero(mil)
    supply_src = np.concatenate(
        [
            fa,
            inp.flow_zone[to_home] * 0 + home_f * n_a + inp.flow_asset[to_home],
            conv_f * n_a + conv_a,
        ]
        + ([conv_f * n_a + eng] if eng >= 0 else [])
    )
    supply_keys = (
        np.unique(np.concatenate([supply_src, home_keys])) if supply_src.size else (home_keys)
    )
    flow_supply = np.searchsorted(supply_keys, fa)
    home_inflow = np.full(inp.n_flows, -1, dtype=np.int64)
    home_inflow[to_home] = np.searchsorted(supply_keys, home_f * n_a + inp.flow_asset[to_home])
    real = ~to_home
    za = inp.flow_zone[real] * n_a + inp.flow_asset[real]
    pair_keys, pos = compact(za, n_z * n_a) if za.size else (np.zeros(0, int), np.zeros(0, int))
    flow_pair = np.full(inp.n_flows, -1, dtype=np.int64)
    flow_pair[real] = pos
    n_seg = inp.seg_length.shape[2]
    seg_pair = np.repeat(np.arange(pair_keys.size), n_seg - 1)
    seg_k = np.tile(np.arange(n_seg - 1), pair_keys.size)
    tier_f, tier_a = np.nonzero((inp.floor[:-1] - inp.hard_floor[:-1] > 0) & mil[None, :])
    presence = (inp.baseline[:-1] * inp.risk.asset_weight[None, :]).sum(axis=1)
    n_k = inp.risk.cred_length.shape[1]
    cred_fronts = military_fronts[presence > 0] if n_k else np.zeros(0, dtype=np.int64)
    cap_fronts = np.unique(conv_f)
    rows, members = _region_rows(inp, real)
    unit_pairs = np.zeros(0, dtype=np.int64)
    site_zones = np.zeros(0, dtype=np.int64)
    site_pairs = np.zeros(0, dtype=np.int64)
    if inp.units:
        unit_pairs = np.flatnonzero(mil[pair_keys % n_a])
        zones = pair_keys[unit_pairs] // n_a
        new = inp.existing[zones][:, mil].sum(axis=1) <= 0
        site_zones = np.unique(zones[new])
        site_pairs = np.flatnonzero(new)
    return LPStructure(
        n_flow=inp.n_flows,
        supply_keys=supply_keys,
        flow_supply=flow_supply,
        home_inflow=home_inflow,
        pair_keys=pair_keys,
        flow_pair=flow_pair,
        seg_pair=seg_pair,
        seg_k=seg_k,
        conv_front=conv_f,
        conv_asset=conv_a,
        tier_front=tier_f,
        tier_asset=tier_a,
        cred_fronts=cred_fronts,
        cred_front=np.repeat(cred_fronts, n_k),
        cred_k=np.tile(np.arange(n_k), cred_fronts.size),
        cap_fronts=cap_fronts,
        region_rows=rows,
        region_members=members,
        unit_pairs=unit_pairs,
        site_zones=site_zones,
        site_pairs=site_pairs,
    )


def _region_rows(
    inp: AllocationInputs, real: np.ndarray
) -> tuple[tuple[tuple[str, str | None], ...], tuple[np.ndarray, ...]]:
    """Region floor/cap rows and the flow columns each one sums (flows into real zones)."""
    region_of_zone = np.array(
        [inp.regions.index(r) if r in inp.regions else -1 for r in inp.zone_region]
    )
    flow_region = region_of_zone[inp.flow_zone] if inp.n_flows else np.zeros(0, int)
    mil = inp.military[inp.flow_asset] if inp.n_flows else np.zeros(0, bool)
    rows: list[tuple[str, str | None]] = []
    members: list[np.ndarray] = []
    for r, name in enumerate(inp.regions):
        if not (np.isnan(inp.region_floor[r]) and np.isnan(inp.region_cap[r])):
            rows.append((name, None))
            members.append(np.flatnonzero((flow_region == r) & mil & real))
        for a, asset in enumerate(inp.assets):
            if np.isnan(inp.region_asset_floor[r, a]) and np.isnan(inp.region_asset_cap[r, a]):
                continue
            rows.append((name, asset))
            members.append(np.flatnonzero((flow_region == r) & (inp.flow_asset == a) & real))
    return tuple(rows), tuple(members)


def region_bounds(inp: AllocationInputs, st: LPStructure) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of every region row (0 and +inf where none is set)."""
    lower, upper = [], []
    for name, asset in st.region_rows:
        r = inp.regions.index(name)
        if asset is None:
            lo, hi = inp.region_floor[r], inp.region_cap[r]
        else:
            a = inp.assets.index(asset)
            lo, hi = inp.region_asset_floor[r, a], inp.region_asset_cap[r, a]
        lower.append(0.0 if np.isnan(lo) else float(lo))
        upper.append(np.inf if np.isnan(hi) else float(hi))
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def flow_value(inp: AllocationInputs, st: LPStructure) -> np.ndarray:
    """(n,) value per unit each flow earns on its zone's last segment, or at home."""
    n_a = len(inp.assets)
    out = np.zeros(st.n_flow)
    real = st.flow_pair >= 0
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    out[real] = inp.seg_value[pz, pa, -1][st.flow_pair[real]]
    home = inp.flow_zone == inp.home_zone
    out[home] = inp.value[inp.home_zone, inp.flow_asset[home]]
    # a flow from home gives up the value of keeping the unit at home
    from_home = inp.flow_front == inp.home_front
    out[from_home] -= inp.value[inp.home_zone, inp.flow_asset[from_home]]
    return out


def costs(inp: AllocationInputs, st: LPStructure) -> np.ndarray:
    """Objective coefficient of every column (maximised; $bn-eq/yr per unit)."""
    n_a = len(inp.assets)
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    release = inp.release_risk
    dest = inp.destination_risk
    flow = flow_value(inp, st) - inp.flow_transit_cost - release[f, a] - dest[z, a]
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    seg = inp.seg_value[pz, pa][st.seg_pair, st.seg_k] - inp.seg_value[pz, pa, -1][st.seg_pair]
    conv = -release[st.conv_front, st.conv_asset]
    w = inp.channel_weights
    extra_floor = inp.risk.floor_rate - inp.risk.per_unit[_FRAG]
    tier = -w[_FRAG] * extra_floor[st.tier_front, st.tier_asset]
    cred = -w[_CRED] * inp.risk.cred_rate[st.cred_front, st.cred_k]
    units = np.zeros(st.unit_pairs.size)
    sites = np.full(st.site_zones.size, -inp.site_cost)
    return np.concatenate([flow, seg, conv, tier, cred, units, sites])


def col_upper(inp: AllocationInputs, st: LPStructure) -> np.ndarray:
    """Upper bound of every column (all lower bounds are 0)."""
    n_a = len(inp.assets)
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    seg = inp.seg_length[pz, pa][st.seg_pair, st.seg_k]
    conv = np.where(
        inp.conversion_cap[st.conv_front] > 0, inp.freed[st.conv_front, st.conv_asset], 0.0
    )
    tier = inp.risk.floor_room[st.tier_front, st.tier_asset]
    cred = inp.risk.cred_length[st.cred_front, st.cred_k]
    units = np.full(st.unit_pairs.size, np.inf)
    sites = np.ones(st.site_zones.size)
    return np.concatenate([np.full(st.n_flow, np.inf), seg, conv, tier, cred, units, sites])


def row_bounds(inp: AllocationInputs, st: LPStructure) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of every row."""
    n_a = len(inp.assets)
    pz, pa = st.pair_keys // n_a, st.pair_keys % n_a
    supply = inp.freed.ravel()[st.supply_keys]
    room = inp.seg_length[pz, pa, -1]
    cap = inp.conversion_cap[st.cap_fronts]
    tier = inp.risk.floor_start[st.tier_front, st.tier_asset]
    cred = np.zeros(st.cred_fronts.size)
    reg_lo, reg_hi = region_bounds(inp, st)
    n_unit = st.unit_pairs.size
    n_site = st.site_pairs.size
    lower = np.concatenate(
        [
            _home_lower(inp, st, supply),
            np.zeros(room.size),
            np.full(cap.size + tier.size + cred.size, -np.inf),
            reg_lo,
            np.zeros(n_unit),
            np.full(n_site, -np.inf),
        ]
    )
    upper = np.concatenate([supply, room, cap, tier, cred, reg_hi, np.zeros(n_unit + n_site)])
    return lower, upper


def _home_lower(inp: AllocationInputs, st: LPStructure, supply: np.ndarray) -> np.ndarray:
    """Lower bounds of the supply rows: none, except the home rows when the whole home
    reserve must leave (``[home] deploy_all``), as far as the room its flows reach allows."""
    lower = np.full(supply.size, -np.inf)
    if not inp.home_deploy_all:
        return lower
    n_a = len(inp.assets)
    f, z, a = inp.flow_front, inp.flow_zone, inp.flow_asset
    from_home = f == inp.home_front
    # whole units: each zone takes whole units only, so the reserve leaves in whole units
    size = np.where(inp.units & inp.military & (inp.unit_size > 0), inp.unit_size, 0.0)
    room = np.zeros(n_a)
    for asset in range(n_a):
        zones = np.unique(z[from_home & (a == asset)])
        rooms = inp.seg_length[zones, asset].sum(axis=-1)
        if size[asset] > 0:
            rooms = np.floor(rooms / size[asset] + 1e-9) * size[asset]
        room[asset] = rooms.sum()
    keys = st.supply_keys
    home = keys // n_a == inp.home_front
    k = keys[home] % n_a
    low = np.minimum(supply[home], room[k])
    whole = size[k] > 0
    low[whole] = np.floor(low[whole] / size[k][whole] + 1e-9) * size[k][whole]
    lower[home] = low
    return lower


def matrix(inp: AllocationInputs, st: LPStructure) -> sparse.csc_matrix:
    """The constraint matrix (rows x columns) in CSC form."""
    n_a = len(inp.assets)
    col, row = st.offsets, st.row_offsets
    r: list[np.ndarray] = []
    c: list[np.ndarray] = []
    v: list[np.ndarray] = []

    def add(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        r.append(rows)
        c.append(cols)
        v.append(np.broadcast_to(np.asarray(vals, dtype=float), rows.shape))

    flows = np.arange(st.n_flow)
    add(row["supply"] + st.flow_supply, flows, 1.0)
    inflow = st.home_inflow >= 0
    add(row["supply"] + st.home_inflow[inflow], flows[inflow], -1.0)
    real = st.flow_pair >= 0
    add(row["room"] + st.flow_pair[real], flows[real], 1.0)
    add(row["room"] + st.seg_pair, col["seg"] + np.arange(st.n_seg), -1.0)
    _conversion_entries(inp, st, add)
    _withdrawal_entries(inp, st, add, flows)
    for k, members in enumerate(st.region_members):
        add(np.full(members.size, row["region"] + k), members, 1.0)
    if st.unit_pairs.size:
        _unit_entries(inp, st, add, flows, n_a)
    rows_all = np.concatenate(r) if r else np.zeros(0, np.int64)
    cols_all = np.concatenate(c) if c else np.zeros(0, np.int64)
    vals_all = np.concatenate(v) if v else np.zeros(0)
    return sparse.csc_matrix((vals_all, (rows_all, cols_all)), shape=(st.n_rows, st.n_cols))


def _conversion_entries(inp: AllocationInputs, st: LPStructure, add: _AddEntries) -> None:
    """A conversion uses military supply, adds engagement supply and counts to the cap."""
    n_a = len(inp.assets)
    col, row = st.offsets, st.row_offsets
    conv = col["conv"] + np.arange(st.conv_front.size)
    mil_key = st.conv_front * n_a + st.conv_asset
    add(row["supply"] + np.searchsorted(st.supply_keys, mil_key), conv, 1.0)
    if "engagement" in inp.assets:
        eng_key = st.conv_front * n_a + inp.assets.index("engagement")
        dollars = inp.us_unit_cost[st.conv_asset]
        add(row["supply"] + np.searchsorted(st.supply_keys, eng_key), conv, -dollars)
        add(row["cap"] + np.searchsorted(st.cap_fronts, st.conv_front), conv, dollars)


def _withdrawal_entries(
    inp: AllocationInputs, st: LPStructure, add: _AddEntries, flows: np.ndarray
) -> None:
    """Floor-tier and credibility rows: withdrawal = flows out + conversions."""
    n_a = len(inp.assets)
    col, row = st.offsets, st.row_offsets
    conv = col["conv"] + np.arange(st.conv_front.size)
    f, a = inp.flow_front, inp.flow_asset
    tier_pos = np.full(len(inp.front_ids) * n_a, -1)
    tier_pos[st.tier_front * n_a + st.tier_asset] = np.arange(st.tier_front.size)
    for src_f, src_a, cols in ((f, a, flows), (st.conv_front, st.conv_asset, conv)):
        t = tier_pos[src_f * n_a + src_a]
        add(row["tier"] + t[t >= 0], cols[t >= 0], 1.0)
    add(
        row["tier"] + np.arange(st.tier_front.size),
        col["tier"] + np.arange(st.tier_front.size),
        -1.0,
    )
    cred_pos = np.full(len(inp.front_ids), -1)
    cred_pos[st.cred_fronts] = np.arange(st.cred_fronts.size)
    weight = inp.risk.asset_weight
    for src_f, src_a, cols in ((f, a, flows), (st.conv_front, st.conv_asset, conv)):
        k = cred_pos[src_f]
        keep = (k >= 0) & (weight[src_a] > 0)
        add(row["cred"] + k[keep], cols[keep], weight[src_a[keep]])
    add(row["cred"] + cred_pos[st.cred_front], col["cred"] + np.arange(st.cred_front.size), -1.0)


def _unit_entries(
    inp: AllocationInputs, st: LPStructure, add: _AddEntries, flows: np.ndarray, n_a: int
) -> None:
    """Whole units: inflow = size · n; inflow <= room · opened."""
    col, row = st.offsets, st.row_offsets
    unit_pos = np.full(st.pair_keys.size, -1)
    unit_pos[st.unit_pairs] = np.arange(st.unit_pairs.size)
    real = st.flow_pair >= 0
    k = np.full(st.n_flow, -1)
    k[real] = unit_pos[st.flow_pair[real]]
    members = k >= 0
    add(row["unit"] + k[members], flows[members], 1.0)
    keys = st.pair_keys[st.unit_pairs]
    size = inp.unit_size[keys % n_a]
    add(
        row["unit"] + np.arange(st.unit_pairs.size),
        col["unit"] + np.arange(st.unit_pairs.size),
        -size,
    )
    if st.site_pairs.size:
        site_row = np.full(st.unit_pairs.size, -1)
        site_row[st.site_pairs] = np.arange(st.site_pairs.size)
        s_k = np.where(members, site_row[np.maximum(k, 0)], -1)
        in_site = s_k >= 0
        add(row["site"] + s_k[in_site], flows[in_site], 1.0)
        zone = keys[st.site_pairs] // n_a
        room = inp.seg_length[zone, keys[st.site_pairs] % n_a].sum(axis=1)
        add(
            row["site"] + np.arange(st.site_pairs.size),
            col["site"] + np.searchsorted(st.site_zones, zone),
            -room,
        )
