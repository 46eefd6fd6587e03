"""The LP: a hand-solved instance, duals, region floors, infeasibility, warm re-solves, and
hypothesis properties on random layers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redeploy.errors import InfeasibleAllocationError, format_number
from redeploy.model.allocation import build_model, solve_allocation
from redeploy.model.feasibility import check_feasibility
from redeploy.model.inputs import AllocationInputs, build_inputs
from redeploy.scenario import scenario_from_dict
from redeploy.schemas import ASSETS, MILITARY_ASSETS, REGIONS

ZONES = ("z1", "z2", "z3")
ZONE_REGIONS = ("Southeast Asia", "Africa", "South America")


def hand_inputs(**changes) -> AllocationInputs:
    """The 2-front, 3-zone, one-asset (ground) instance of `test_hand_solved_optimum`."""
    nr = len(REGIONS)
    # flows: every front to every zone; transit cost per kpe
    ff = np.array([0, 0, 0, 1, 1, 1])
    zz = np.array([0, 1, 2, 0, 1, 2])
    transit = np.array([1.0, 2.0, 4.0, 3.0, 1.0, 1.0])
    base = {
        "scenario": "hand",
        "description": "hand-solved instance",
        "run_id": "0" * 64,
        "assets": ("ground",),
        "front_ids": ("f1", "f2"),
        "zone_ids": ZONES,
        "zone_region": ZONE_REGIONS,
        "regions": REGIONS,
        "baseline": np.array([[10.0], [10.0]]),
        "floor": np.zeros((2, 1)),
        "substitute": np.array([[3.0], [2.0]]),
        "freed": np.array([[3.0], [2.0]]),
        "risk": np.array([[0.5], [0.0]]),
        "risk_lambda": 1.0,
        "extra_spending": np.array([1.0, 1.0]),
        "us_unit_cost": np.array([0.1]),
        "value": np.array([[10.0], [6.0], [2.5]]),
        "absorb": np.array([[2.0], [4.0], [10.0]]),
        "access": ("full", "full", "full"),
        "segment_shares": np.array([0.5, 0.5]),
        "segment_slopes": np.array([1.0, 0.5]),
        "flow_front": ff,
        "flow_zone": zz,
        "flow_asset": np.zeros(6, dtype=int),
        "flow_distance_km": transit * 1000,
        "flow_transit_cost": transit,
        "flow_sea": np.zeros(6, dtype=bool),
        "region_floor": np.full(nr, np.nan),
        "region_cap": np.full(nr, np.nan),
        "region_asset_floor": np.full((nr, 1), np.nan),
        "region_asset_cap": np.full((nr, 1), np.nan),
        "front_lonlat": np.array([[8.0, 50.0], [127.0, 37.0]]),
        "zone_lonlat": np.array([[105.0, 0.0], [25.0, -10.0], [-70.0, -25.0]]),
        "scenario_source": "hand.toml",
    }
    base.update(changes)
    return AllocationInputs(**base)


def _flow(result, front, zone):
    sel = (result.flows.front_id == front) & (result.flows.zone_id == zone)
    return float(result.flows.loc[sel, "amount"].sum())


def _front_dual(result, front):
    return float(result.fronts.set_index("front_id").loc[front, "marginal_value"])


def _zone_dual(result, zone):
    return float(result.zones.set_index("zone_id").loc[zone, "marginal_value"])


def test_hand_solved_optimum():
    """
    Two fronts free ground capacity: f1 3 kpe (risk 0.5 per kpe released), f2 2 kpe.

    Zones (value of the first unit, absorb): z1 (10, 2), z2 (6, 4), z3 (2.5, 10); two
    segments of half the absorb each, slopes 1 and 0.5, so z1 pays 10 then 5, z2 6 then 3,
    z3 2.5 then 1.25 per kpe. Transit per kpe: f1 -> z1, z2, z3 = 1, 2, 4; f2 -> 1 unit
    each to z2, z3 and 3 to z1. Net worth per kpe (value - transit - risk):

    ======  =========  =========  =========  =========  =========
    from    z1 seg 1   z1 seg 2   z2 seg 1   z2 seg 2   z3 seg 1
    ======  =========  =========  =========  =========  =========
    f1      8.5        3.5        3.5        0.5        -2.0
    f2      7          2          5          2          1.5
    ======  =========  =========  =========  =========  =========

    f1 is 1.5 cheaper than f2 into z1 and f2 is 1.5 cheaper into z2, so f1 fills z1
    (2 kpe: 8.5 + 3.5), f2 fills the first segment of z2 (2 kpe: 5 + 5), and f1's last
    kpe goes to the second segment of z2 (0.5 > 0). Objective 12 + 10 + 0.5 = 22.5:
    value 15 + 12 + 3 = 30, transit 2 + 2 + 2 = 6, risk 3 * 0.5 = 1.5.

    Duals: one more kpe at f1 -> z2 second segment, +0.5; at f2 -> z2 second segment,
    3 - 1 = 2. One more kpe of room in z1 lets f1 move its z2 kpe there: (5 - 1.5) -
    (3 - 2.5) = 3. z2 and z3 have room left: 0.
    """
    res = solve_allocation(hand_inputs())
    assert res.status == "optimal"
    assert res.objective["total"] == pytest.approx(22.5)
    assert res.objective["value"] == pytest.approx(30.0)
    assert res.objective["transit_cost"] == pytest.approx(6.0)
    assert res.objective["risk"] == pytest.approx(1.5)
    assert _flow(res, "f1", "z1") == pytest.approx(2.0)
    assert _flow(res, "f1", "z2") == pytest.approx(1.0)
    assert _flow(res, "f2", "z2") == pytest.approx(2.0)
    assert _flow(res, "f2", "z1") == pytest.approx(0.0)
    assert _flow(res, "f1", "z3") + _flow(res, "f2", "z3") == pytest.approx(0.0)
    assert _front_dual(res, "f1") == pytest.approx(0.5)
    assert _front_dual(res, "f2") == pytest.approx(2.0)
    assert _zone_dual(res, "z1") == pytest.approx(3.0)
    assert _zone_dual(res, "z2") == pytest.approx(0.0)
    zones = res.zones.set_index("zone_id")
    assert zones.loc["z1", "value"] == pytest.approx(15.0)
    assert zones.loc["z2", "value"] == pytest.approx(15.0)
    assert res.totals["by_region"]["Southeast Asia"] == pytest.approx(2.0)
    assert res.totals["by_region"]["Africa"] == pytest.approx(3.0)


def test_region_floor_forces_flow_and_prices_it():
    """
    A floor of 0.5 kpe in South America (z3) moves half a kpe of f2 from z2 (net 5) to z3
    (net 1.5); f1 moves half a kpe from z2's second segment (0.5) to its first (3.5). Each
    kpe of floor costs 3.5 - 3 = 0.5: objective 22.25, floor dual -0.5. (At a floor of
    exactly 1 kpe the LP is degenerate: any dual in [-3.5, -0.5] is right.)
    """
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("South America")] = 0.5
    res = solve_allocation(hand_inputs(region_floor=floor))
    assert res.objective["total"] == pytest.approx(22.25)
    assert _flow(res, "f2", "z3") == pytest.approx(0.5)
    (bound,) = res.meta["region_bounds"]
    assert bound["region"] == "South America"
    assert bound["marginal_value"] == pytest.approx(-0.5)


@pytest.mark.parametrize("start", [0, 1, 2])
def test_sifting_reaches_the_hand_solved_optima(monkeypatch, start):
    # Sifting from no flow at all (start 0) adds every flow the optimum needs by pricing;
    # with a region floor the small LP is infeasible and the whole LP is solved instead.
    import redeploy.model.sifting as sifting

    monkeypatch.setattr(sifting, "SIFT_START", start)
    monkeypatch.setattr(sifting, "SIFT_MIN_ADD", 1)
    model = build_model(hand_inputs(), sift=True)
    res = model.solve()
    assert res.objective["total"] == pytest.approx(22.5)
    assert _flow(res, "f1", "z1") == pytest.approx(2.0)
    assert _flow(res, "f2", "z2") == pytest.approx(2.0)
    assert _front_dual(res, "f1") == pytest.approx(0.5)
    assert _zone_dual(res, "z1") == pytest.approx(3.0)
    # the sifted optimum's basis is the whole model's: a re-solve after `update` starts there
    model.update(risk_lambda=0.0)
    again = model.solve_raw()
    assert again.objective == pytest.approx(
        build_model(hand_inputs(risk_lambda=0.0)).solve_raw().objective
    )
    assert again.iterations == 0  # still optimal: a cold solve of this LP takes 5
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("South America")] = 0.5
    res = build_model(hand_inputs(region_floor=floor), sift=True).solve()
    assert res.objective["total"] == pytest.approx(22.25)
    assert _flow(res, "f2", "z3") == pytest.approx(0.5)


@pytest.mark.parametrize("sift", [False, True])
def test_closed_flows_stay_closed_after_update(sift):
    inputs = hand_inputs()
    model = build_model(inputs, sift=sift)
    closed = np.zeros(inputs.n_flows, dtype=bool)
    closed[[0, 4]] = True  # f1 -> z1 and f2 -> z2, both used in the optimum
    model.close_flows(closed)
    shut = model.solve_raw().objective
    assert shut < 22.5 - 1
    model.update(absorb=inputs.absorb, freed=inputs.freed)
    again = model.solve_raw()
    assert again.objective == pytest.approx(shut)
    assert again.flows[[0, 4]].max() == 0.0


def test_a_basis_set_after_reload_is_used_when_sifting():
    inputs = hand_inputs()
    model = build_model(inputs, sift=True)
    model.solve_raw()
    optimal = model.highs.getBasis()
    model.reload(risk_lambda=inputs.risk_lambda)  # the same LP, solver state dropped
    model.set_basis(optimal)
    assert model.solve_raw().iterations == 0


def test_large_models_sift_by_default():
    from redeploy.model.allocation import SIFT_MIN_FLOWS

    assert not build_model(hand_inputs()).sift
    assert build_model(hand_inputs(), sift=True).sift
    assert SIFT_MIN_FLOWS > 5_590  # the shipped layers' LPs are solved whole


def test_region_cap_limits_allocation():
    cap = np.full(len(REGIONS), np.nan)
    cap[REGIONS.index("Africa")] = 1.0
    res = solve_allocation(hand_inputs(region_cap=cap))
    assert res.totals["by_region"]["Africa"] == pytest.approx(1.0)


def test_floors_above_freed_are_refused_before_solving():
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("South America")] = 6.0  # 5 kpe freed in all
    with pytest.raises(InfeasibleAllocationError) as err:
        check_feasibility(hand_inputs(region_floor=floor))
    msg = str(err.value)
    assert "hand.toml" in msg
    assert 'regions."South America".floor' in msg
    assert "only 5 kpe is freed" in msg


def test_numbers_in_messages_are_plain_decimals():
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("South America")] = 1000.0
    with pytest.raises(InfeasibleAllocationError) as err:
        check_feasibility(hand_inputs(region_floor=floor))
    msg = str(err.value)
    assert 'regions."South America".floor` = 1000 kpe' in msg
    assert "e+" not in msg
    for value, text in [
        (1000, "1000"),
        (1234.5, "1234.5"),
        (0.0004, "0.0004"),
        (0, "0"),
        (2 / 3, "0.667"),
        (0.012345, "0.0123"),
        (-1234.5678, "-1234.568"),
        (5.0, "5"),
        (123456789.0, "123456789"),
    ]:
        assert format_number(value) == text, value


def test_floor_above_region_absorb_is_refused():
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("Africa")] = 4.5  # z2 absorbs 4
    with pytest.raises(InfeasibleAllocationError, match=r"can absorb only 4 kpe"):
        solve_allocation(hand_inputs(region_floor=floor))


def test_floor_above_cap_is_refused():
    floor = np.full(len(REGIONS), np.nan)
    cap = np.full(len(REGIONS), np.nan)
    floor[0], cap[0] = 2.0, 1.0
    with pytest.raises(InfeasibleAllocationError, match="is above"):
        solve_allocation(hand_inputs(region_floor=floor, region_cap=cap))


def test_solver_infeasibility_names_the_floors():
    """Each floor alone passes the pre-checks, together they need 4 kpe from 3 reachable."""
    floor = np.full(len(REGIONS), np.nan)
    floor[REGIONS.index("Southeast Asia")] = 2.0
    floor[REGIONS.index("Africa")] = 2.0
    # only f1 (3 kpe) reaches z1 and z2; f2 reaches z3 only
    keep = np.array([True, True, False, False, False, True])
    inp = hand_inputs(region_floor=floor).with_flows(keep)
    with pytest.raises(InfeasibleAllocationError) as err:
        solve_allocation(inp)
    msg = str(err.value)
    assert 'regions."Southeast Asia".floor' in msg and "regions.Africa.floor" in msg
    assert "lower a floor or raise a cap" in msg


def test_warm_update_matches_fresh_solve():
    model = build_model(hand_inputs())
    first = model.solve()
    freed = np.array([[4.0], [2.5]])
    model.update(freed=freed, risk_lambda=1.5)
    warm = model.solve()
    fresh = solve_allocation(hand_inputs(freed=freed, risk_lambda=1.5))
    assert warm.objective["total"] == pytest.approx(fresh.objective["total"])
    assert warm.objective["total"] != pytest.approx(first.objective["total"])
    np.testing.assert_allclose(warm.fronts["released"], fresh.fronts["released"], atol=1e-9)


def test_empty_model_solves_to_zero():
    empty = np.zeros(0, dtype=int)
    res = solve_allocation(
        hand_inputs(
            flow_front=empty,
            flow_zone=empty,
            flow_asset=empty,
            flow_distance_km=np.zeros(0),
            flow_transit_cost=np.zeros(0),
            flow_sea=np.zeros(0, dtype=bool),
        )
    )
    assert res.objective["total"] == 0.0
    assert res.flows.empty
    assert len(res.routes) == 0


# ---------------------------------------------------------------- properties


def _random_layers(data) -> dict:
    """Small random layers (2-3 fronts, 3-5 zones) built in memory."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1), label="seed"))
    n_f = data.draw(st.integers(2, 3), label="fronts")
    n_z = data.draw(st.integers(3, 5), label="zones")
    common = {"name": "x", "source": "test", "source_year": 2024, "confidence": "estimate"}
    fronts = []
    for i in range(n_f):
        row = {
            "id": f"f{i}",
            **common,
            "host_iso3": f"H{i}A",
            "adversaries": "RUS",
            "theater": "T",
            "us_personnel": 1000,
        }
        for a in ASSETS:
            u = float(rng.uniform(0, 5))
            row[f"us_{a}"] = u
            row[f"floor_{a}"] = float(rng.uniform(0, 0.5) * u)
            row[f"subst_{a}"] = float(rng.uniform(0, 1))
        row.update(
            gdp_usd_bn=float(rng.uniform(100, 3000)),
            defense_pct_gdp=float(rng.uniform(1, 3)),
            hns_usd_bn=float(rng.uniform(0, 2)),
            threat_level=int(rng.integers(1, 6)),
            geometry=Point(float(rng.uniform(-10, 140)), float(rng.uniform(-10, 55))),
        )
        fronts.append(row)
    zones = []
    for j in range(n_z):
        lon, lat = float(rng.uniform(-80, 120)), float(rng.uniform(-30, 20))
        row = {
            "id": f"z{j}",
            **common,
            "iso3": "IDN",
            "region": REGIONS[int(rng.integers(len(REGIONS)))],
            "us_influence": float(rng.uniform(0, 1)),
            "competitor_influence": float(rng.uniform(0, 1)),
            "access": ("none", "limited", "full")[int(rng.integers(3))],
        }
        for a in ASSETS:
            row[f"absorb_{a}"] = float(rng.choice([0.0, rng.uniform(0.1, 3)]))
        row["geometry"] = box(lon, lat, lon + 5, lat + 5)
        zones.append(row)
    chokepoints = [{"id": "c0", **common, "importance": 1.0, "geometry": Point(101, 2.5)}]
    minerals = [
        {
            "id": "m0",
            **common,
            "world_share_pct": 50.0,
            "criticality": 0.8,
            "geometry": Point(25, -10),
        }
    ]
    nodes = [{"id": "n0", **common, "importance": 0.5, "geometry": Point(-79.9, 9.1)}]
    frames = {
        "fronts": fronts,
        "peripheral_zones": zones,
        "chokepoints": chokepoints,
        "mineral_zones": minerals,
        "supply_nodes": nodes,
    }
    return {k: gpd.GeoDataFrame(v, crs="EPSG:4326") for k, v in frames.items()}


def _random_scenario(layers, data):
    fronts = {}
    for fid in layers["fronts"]["id"]:
        fronts[fid] = {
            "defense_pct_gdp": data.draw(st.floats(0, 6), label=f"{fid} pct"),
            "hns_change_pct": data.draw(st.floats(0, 200), label=f"{fid} hns"),
        }
    lam = data.draw(st.floats(0, 3), label="lambda")
    conversion = data.draw(st.floats(0, 0.5), label="conversion")
    return scenario_from_dict(
        {
            "description": "random",
            "fronts": fronts,
            "model": {"risk_lambda": lam, "engagement_conversion": conversion},
        },
        default_name="random",
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_flow_properties(data):
    layers = _random_layers(data)
    sc = _random_scenario(layers, data)
    inp = build_inputs(layers, sc)
    res = solve_allocation(inp)
    flows, fronts, zones = res.flows, res.fronts, res.zones

    # non-negative, and per front and asset: sum of flows == released <= freed
    assert (flows["amount"] >= 0).all()
    by_fa = flows.groupby(["front_id", "asset"])["amount"].sum()
    for row in fronts.itertuples():
        sent = float(by_fa.get((row.front_id, row.asset), 0.0))
        assert sent == pytest.approx(row.released, abs=1e-7)
        assert row.released <= row.freed + 1e-7
        assert row.freed <= max(row.baseline, 0) + 1e-7 or row.asset == "engagement"

    # zone allocations equal the flows into them, and stay within absorptive capacity
    by_za = flows.groupby(["zone_id", "asset"])["amount"].sum()
    zl = layers["peripheral_zones"].set_index("id")
    for row in zones.itertuples():
        assert float(by_za.get((row.zone_id, row.asset), 0.0)) == pytest.approx(
            row.allocated, abs=1e-7
        )
        assert row.allocated <= zl.loc[row.zone_id, f"absorb_{row.asset}"] + 1e-7

    # flows go only where access and fit allow
    for row in flows.itertuples():
        if row.asset in MILITARY_ASSETS:
            assert zl.loc[row.zone_id, "access"] != "none"
        assert zl.loc[row.zone_id, f"absorb_{row.asset}"] > 0
        z = inp.zone_ids.index(row.zone_id)
        assert inp.value[z, inp.assets.index(row.asset)] > 0

    # one route per flow, in the same order, in [-180, 180]
    assert list(res.routes["front_id"]) == list(flows["front_id"])
    assert list(res.routes["zone_id"]) == list(flows["zone_id"])
    assert list(res.routes["asset"]) == list(flows["asset"])
    if len(res.routes):
        bounds = res.routes.total_bounds
        assert bounds[0] >= -180 and bounds[2] <= 180

    # more freed capacity never lowers the objective (warm re-solve of the same model)
    model = build_model(inp)
    base = model.solve().objective["total"]
    factor = data.draw(st.floats(1.0, 3.0), label="factor")
    model.update(freed=inp.freed * factor)
    assert model.solve().objective["total"] >= base - 1e-7

    # Sifting reaches the same optimum as one solve of the whole LP
    sifted = build_model(inp, sift=True).solve_raw()
    whole = build_model(inp, sift=False).solve_raw()
    assert sifted.objective == pytest.approx(whole.objective, abs=1e-7)

    # Pricing: own flows' reduced costs are HiGHS's column duals; a model on some of the
    # flows whose left-out flows all price at <= 0 has the optimum of the model on all
    model = build_model(inp)
    full = model.solve_raw()
    own = model.reduced_costs(
        full.duals, inp.flow_front, inp.flow_zone, inp.flow_asset, inp.flow_transit_cost
    )
    col_dual = np.asarray(model.highs.getSolution().col_dual)[: model.n_flow]
    np.testing.assert_allclose(own, col_dual, atol=1e-9)
    keep = np.array(
        data.draw(
            st.lists(st.booleans(), min_size=inp.n_flows, max_size=inp.n_flows), label="keep"
        ),
        dtype=bool,
    )
    if keep.any():
        part = build_model(inp.with_flows(keep))
        raw = part.solve_raw()
        out = ~keep
        d = part.reduced_costs(
            raw.duals,
            inp.flow_front[out],
            inp.flow_zone[out],
            inp.flow_asset[out],
            inp.flow_transit_cost[out],
        )
        can_carry = inp.freed[inp.flow_front[out], inp.flow_asset[out]] > 0
        assert raw.objective <= full.objective + 1e-7
        if not (d[can_carry] > 1e-7).any():
            assert raw.objective == pytest.approx(full.objective, abs=1e-7)


def test_reduced_costs_price_left_out_flows_by_hand():
    """
    The hand instance without any flow into z2: f1 fills z1 (2 kpe) and has 1 kpe left
    that nothing pays for (z3 nets -2), so its supply dual is 0; f2 sends its 2 kpe to the
    first segment of z3 (2.5 - 1 = 1.5 each), its supply dual 1.5: objective 12 + 3 = 15.
    z2's room row is not in the model: its flows are priced at the first slope, value 6
    less transit, risk and supply dual: f1 -> z2 6 - 2 - 0.5 - 0 = 3.5, f2 -> z2
    6 - 1 - 0 - 1.5 = 3.5 (both would improve the optimum). Without only f1 -> z3 (unused
    in the optimum), the left-out flow prices at 2.5 - 4 - 0.5 - 0.5 = -2.5 and the
    optimum is the full one, 22.5.
    """
    inp = hand_inputs()
    no_z2 = inp.flow_zone != 1
    part = build_model(inp.with_flows(no_z2))
    raw = part.solve_raw()
    assert raw.objective == pytest.approx(12.0 + 2 * 1.5)
    d = part.reduced_costs(
        raw.duals,
        inp.flow_front[~no_z2],
        inp.flow_zone[~no_z2],
        inp.flow_asset[~no_z2],
        inp.flow_transit_cost[~no_z2],
    )
    np.testing.assert_allclose(d, [3.5, 3.5])
    no_f1_z3 = np.ones(inp.n_flows, dtype=bool)
    no_f1_z3[2] = False
    part = build_model(inp.with_flows(no_f1_z3))
    raw = part.solve_raw()
    assert raw.objective == pytest.approx(22.5)
    d = part.reduced_costs(
        raw.duals,
        inp.flow_front[[2]],
        inp.flow_zone[[2]],
        inp.flow_asset[[2]],
        inp.flow_transit_cost[[2]],
    )
    np.testing.assert_allclose(d, [-2.5])


def test_solve_raw_matches_the_tables():
    model = build_model(hand_inputs())
    raw = model.solve_raw()
    res = model.solve()
    assert raw.objective == pytest.approx(res.objective["total"])
    np.testing.assert_allclose(raw.released.ravel(), res.fronts["released"], atol=1e-9)
    np.testing.assert_allclose(raw.front_marginal_value.ravel(), [0.5, 2.0])
    np.testing.assert_allclose(raw.zone_marginal_value.ravel(), [3.0, 0.0, 0.0], atol=1e-9)


def test_update_refuses_arrays_of_the_wrong_shape():
    inputs = hand_inputs()
    model = build_model(inputs)
    with pytest.raises(ValueError, match="freed must have shape"):
        model.update(freed=np.zeros((inputs.freed.shape[0] + 1, inputs.freed.shape[1])))
