"""Model inputs: repricing, zone value, distances, access/fit rules, routes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import MultiLineString

from redeploy.errors import ScenarioError
from redeploy.layers import read_layers
from redeploy.model.inputs import build_inputs
from redeploy.model.repricing import reprice_fronts
from redeploy.model.routes import (
    great_circle_paths,
    sea_distance_matrix,
    sea_paths,
    split_antimeridian,
    split_antimeridian_many,
)
from redeploy.model.sweep import SampleSolver, prepare_sweep
from redeploy.scenario import (
    VALUE_KINDS,
    effective_coefficients,
    load_coefficients,
    load_scenario,
    scenario_from_dict,
)
from redeploy.schemas import ASSETS
from redeploy.workflows.run import MODEL_LAYERS

MODEL_DATA = Path(__file__).resolve().parent / "data" / "model"


@pytest.fixture(scope="module")
def layers():
    return read_layers(MODEL_DATA, kinds=MODEL_LAYERS)


def _scenario(**data):
    data.setdefault("description", "test")
    return scenario_from_dict(data, source="test.toml", default_name="test")


def _reprice(layers, **data):
    sc = _scenario(**data)
    return reprice_fronts(layers["fronts"], sc, effective_coefficients(sc))


#: Coefficients set by hand so the figures below can be checked on paper: ground and air
#: split and ally unit cost, no backlash, hard floors, no spill-over.
HAND = {
    "model": {"backlash_beta": 0.0, "floor_hard_share": 1.0, "spill_share": 0.0},
    "assets": {
        "ground": {"split": 0.2, "ally_unit_cost_bn": 0.2},
        "air": {"split": 0.15, "ally_unit_cost_bn": 0.45},
    },
}


def _hand(**data):
    model = {**HAND["model"], **data.pop("model", {})}
    return {**HAND, **data, "model": model}


def test_repricing_by_hand(layers):
    """
    alpha: 1000 $bn GDP from 2.0 to 3.0 % -> 10 $bn/yr extra. Ground: split 0.2 ->
    2 $bn / 0.2 $bn per kpe = 10 kpe of ally ground capacity; subst 0.8 -> 8 kpe
    substitute, capped by U - floor = 10 - 2 = 8 -> freed 8 kpe. Air: 10 * 0.15 / 0.45 =
    3.33 kpe; * 0.5 = 1.67 kpe < 4 - 1 = 3 -> 1.67 kpe. No backlash: expected = announced.
    """
    rep = _reprice(layers, **_hand(fronts={"alpha": {"defense_pct_gdp": 3.0}}))
    a = 0  # alpha
    g, air = ASSETS.index("ground"), ASSETS.index("air")
    assert rep["extra_spending"][a] == pytest.approx(10.0)
    assert rep["expected_spending"][a] == pytest.approx(10.0)
    assert rep["ally_capacity"][a, g] == pytest.approx(10.0)
    assert rep["substitute"][a, g] == pytest.approx(8.0)
    assert rep["freed"][a, g] == pytest.approx(8.0)
    assert rep["freed"][a, air] == pytest.approx(10 * 0.15 / 0.45 * 0.5)
    assert rep["extra_spending"][1] == 0.0  # bravo unchanged
    assert rep["freed"][1].sum() == 0.0


def test_backlash_lowers_expected_delivery(layers):
    """
    beta = 0.5 per point of GDP: alpha's rise of 1 point (10 $bn on 1000 $bn) is expected
    to deliver 1 / (1 + 0.5 * 1) = 2/3 of the announced 10 $bn; a 3-point rise only 0.4.
    """
    small = _reprice(
        layers, **_hand(fronts={"alpha": {"defense_pct_gdp": 3.0}}, model={"backlash_beta": 0.5})
    )
    assert small["rise_pct_gdp"][0] == pytest.approx(1.0)
    assert small["delivery"][0] == pytest.approx(2 / 3)
    assert small["expected_spending"][0] == pytest.approx(10 * 2 / 3)
    g = ASSETS.index("ground")
    assert small["ally_capacity"][0, g] == pytest.approx(10 * 2 / 3 * 0.2 / 0.2)
    large = _reprice(
        layers, **_hand(fronts={"alpha": {"defense_pct_gdp": 5.0}}, model={"backlash_beta": 0.5})
    )
    assert large["delivery"][0] == pytest.approx(1 / 2.5)
    assert large["expected_spending"][0] == pytest.approx(30 * 0.4)
    assert large["expected_spending"][0] < large["extra_spending"][0]


def test_room_caps_freed_capacity(layers):
    rep = _reprice(layers, **_hand(fronts={"alpha": {"defense_pct_gdp": 10.0}}))
    room = rep["baseline"] - rep["floor"]
    np.testing.assert_allclose(rep["freed"][0], np.minimum(rep["substitute"][0], room[0]))
    assert rep["freed"][0, ASSETS.index("ground")] == pytest.approx(8.0)


def test_priced_floors_free_more_than_hard_ones(layers):
    """With floor_hard_share h only h of a floor is hard; the rest can leave (at the
    fragmentation channel's price): alpha's ground room becomes 10 - 0.5 * 2 = 9 kpe."""
    data = _hand(fronts={"alpha": {"defense_pct_gdp": 10.0}}, model={"floor_hard_share": 0.5})
    rep = _reprice(layers, **data)
    g = ASSETS.index("ground")
    assert rep["hard_floor"][0, g] == pytest.approx(1.0)
    assert rep["freed"][0, g] == pytest.approx(min(rep["substitute"][0, g], 9.0))
    assert rep["freed"][0, g] > 8.0


def test_conversion_cap_bounds_what_becomes_engagement(layers):
    """What a front may convert is conversion_cap x its freed military capacity at U.S.
    unit cost; with cap 0 nothing can be converted and no engagement leaves alpha beyond
    what was freed as engagement."""
    sc = _scenario(
        **_hand(fronts={"alpha": {"defense_pct_gdp": 3.0}}, model={"conversion_cap": 0.25})
    )
    inp = build_inputs(layers, sc)
    rep = inp.meta["repricing"]
    mil = [ASSETS.index(a) for a in ("naval", "air", "ground", "isr")]
    dollars = (rep["freed"][0, mil] * rep["us_unit_cost"][mil]).sum()
    assert inp.conversion_cap[0] == pytest.approx(0.25 * dollars)
    assert inp.conversion_cap[1] == 0.0  # bravo frees nothing
    none = build_inputs(
        layers,
        _scenario(
            **_hand(fronts={"alpha": {"defense_pct_gdp": 3.0}}, model={"conversion_cap": 0.0})
        ),
    )
    assert none.conversion_cap[0] == 0.0


def test_target_path_is_linear_to_the_target_year(layers):
    """2.0 % in 2024 -> 3.5 % in 2035; at 2030 the path has gone 6/11 of the way."""
    rep = _reprice(
        layers, horizon_year=2030, fronts={"alpha": {"target_pct_gdp": 3.5, "target_year": 2035}}
    )
    assert rep["new_pct"][0] == pytest.approx(2.0 + 1.5 * 6 / 11)
    late = _reprice(
        layers, horizon_year=2040, fronts={"alpha": {"target_pct_gdp": 3.5, "target_year": 2035}}
    )
    assert late["new_pct"][0] == pytest.approx(3.5)
    below = _reprice(layers, fronts={"alpha": {"target_pct_gdp": 1.0, "target_year": 2030}})
    assert below["new_pct"][0] == pytest.approx(2.0)  # never below the reference


def test_host_nation_support(layers):
    rep = _reprice(layers, fronts={"bravo": {"hns_change_pct": 50}})
    assert rep["hns_new"][1] == pytest.approx(1.5)
    assert rep["extra_spending"][1] == pytest.approx(0.5)
    rep = _reprice(layers, fronts={"bravo": {"hns_usd_bn": 3.0}})
    assert rep["extra_spending"][1] == pytest.approx(2.0)


def test_shared_hosts_split_when_asked(layers):
    fronts = layers["fronts"].copy()
    # bravo repeats alpha's economy: same hosts, GDP and spending
    fronts.loc[1, ["host_iso3", "gdp_usd_bn", "defense_pct_gdp"]] = ["DEU", 1000.0, 2.0]
    sc = _scenario(
        fronts={"alpha": {"defense_pct_gdp": 3.0}, "bravo": {"defense_pct_gdp": 3.0}},
        model={"split_shared_hosts": True},
    )
    rep = reprice_fronts(fronts, sc, effective_coefficients(sc))
    assert rep["extra_spending"].sum() == pytest.approx(10.0)  # counted once, not twice
    assert rep["effort_share"] == pytest.approx([16 / 38, 22 / 38])  # military baselines


def test_split_above_one_is_refused(layers):
    with pytest.raises(ScenarioError, match=r"fronts\.alpha\.split.*add up to 1\.75"):
        _reprice(layers, fronts={"alpha": {"split": {"naval": 0.9, "air": 0.6}}})


def test_floor_above_the_baseline_is_refused(layers):
    # alpha: us_ground 10 kpe, us_engagement 0.2 $bn/yr in the fixture layer
    with pytest.raises(ScenarioError) as err:
        _reprice(layers, fronts={"alpha": {"floor": {"ground": 1000, "engagement": 0.5}}})
    msg = str(err.value)
    assert (
        "test.toml: key 'fronts.alpha.floor.ground' = 1000: a floor cannot exceed the "
        "front's U.S. baseline (the fronts layer's us_ground for alpha = 10 kpe)"
    ) in msg
    assert "Allowed: a number >= 0 and <= 10 (kpe)." in msg
    assert "key 'fronts.alpha.floor.engagement' = 0.5" in msg
    assert "Allowed: a number >= 0 and <= 0.2 ($bn/yr)." in msg
    # against the scenario's own baseline when it states one
    with pytest.raises(ScenarioError, match=r"fronts\.alpha\.us\.ground = 3 kpe.*<= 3 \(kpe\)"):
        _reprice(layers, fronts={"alpha": {"us": {"ground": 3}, "floor": {"ground": 4}}})
    # a floor up to the baseline is fine: nothing of that asset leaves the front
    rep = _reprice(
        layers, **_hand(fronts={"alpha": {"defense_pct_gdp": 10.0, "floor": {"ground": 10}}})
    )
    assert rep["freed"][0, ASSETS.index("ground")] == 0.0
    with pytest.raises(ScenarioError, match=r"fronts\.bravo\.floor\.ground"):
        build_inputs(layers, _scenario(fronts={"bravo": {"floor": {"ground": 12.5}}}))


def test_a_sampled_floor_above_the_baseline_is_an_invalid_sample(tmp_path, layers_dir):
    # korea's U.S. ground baseline is 10 kpe in the test layers
    path = tmp_path / "floors.toml"
    path.write_text(
        'description = "x"\n[fronts.korea]\ndefense_pct_gdp = 3.0\n[uncertain]\n'
        '"fronts.korea.floor.ground" = {dist = "uniform", low = 2, high = 14}\n',
        encoding="utf-8",
    )
    # redeploy.sweep calls reprice_fronts per sample: a broken rule is an invalid sample
    plan = prepare_sweep(read_layers(layers_dir, kinds=MODEL_LAYERS), load_scenario(path))
    solver = SampleSolver(plan)
    assert solver.solve({"fronts.korea.floor.ground": 9.0})["status"] == "optimal"
    row = solver.solve({"fronts.korea.floor.ground": 12.0})
    assert row["status"] == "invalid"
    assert row["param:fronts.korea.floor.ground"] == 12.0


def test_unknown_front_and_zone_ids(layers):
    sc = _scenario(fronts={"alpah": {"defense_pct_gdp": 3.0}}, zones={"sea_zon": {}})
    with pytest.raises(ScenarioError) as err:
        build_inputs(layers, sc)
    msg = str(err.value)
    assert "test.toml: key 'fronts.alpah': unknown front id 'alpah'" in msg
    assert "Did you mean 'fronts.alpha'?" in msg
    assert "key 'zones.sea_zon'" in msg and "'zones.sea_zone'" in msg


def test_access_none_bars_military_but_not_engagement(layers):
    sc = _scenario(fronts={"alpha": {"defense_pct_gdp": 4.0}, "bravo": {"defense_pct_gdp": 4.0}})
    inp = build_inputs(layers, sc)
    sam = inp.zone_ids.index("sam_zone")  # access "none"
    assets_into_sam = {inp.assets[a] for a in inp.flow_asset[inp.flow_zone == sam]}
    assert assets_into_sam == {"engagement"}
    afr = inp.zone_ids.index("afr_zone")  # absorb_naval 0
    assert "naval" not in {inp.assets[a] for a in inp.flow_asset[inp.flow_zone == afr]}


def test_access_override_and_penalty(layers):
    sc = _scenario(
        fronts={"alpha": {"defense_pct_gdp": 4.0}}, zones={"sam_zone": {"access": "limited"}}
    )
    inp = build_inputs(layers, sc)
    sam = inp.zone_ids.index("sam_zone")
    sel = (inp.flow_zone == sam) & (inp.flow_asset == ASSETS.index("ground"))
    assert sel.any()
    coeffs = load_coefficients()
    per_km = coeffs.assets.ground.transit_cost_bn_per_1000km
    penalty = coeffs.assets.ground.access_penalty_bn
    np.testing.assert_allclose(
        inp.flow_transit_cost[sel], inp.flow_distance_km[sel] / 1000 * per_km + penalty
    )


def test_zero_fit_removes_flows(layers):
    zero = dict.fromkeys(VALUE_KINDS, 0.0)
    sc = _scenario(fronts={"alpha": {"defense_pct_gdp": 4.0}}, assets={"naval": {"fit": zero}})
    inp = build_inputs(layers, sc)
    abroad = inp.flow_zone != inp.home_zone
    naval = ASSETS.index("naval")
    assert naval not in set(inp.flow_asset[abroad].tolist())
    assert np.all(inp.value[: inp.home_zone, naval] == 0)
    # what is freed can still return home: the home pool takes every military class
    assert naval in set(inp.flow_asset[~abroad].tolist())


def test_zone_value_is_contested_and_normalised(layers):
    inp = build_inputs(layers, _scenario())
    index = inp.meta["zone_index"]
    # this layer set lists no major drug-transit country: that kind is 0 everywhere
    drugs = VALUE_KINDS.index("counterdrug")
    assert np.delete(index.max(axis=0), drugs) == pytest.approx(np.ones(len(VALUE_KINDS) - 1))
    assert np.all(index[:, drugs] == 0)
    sea = inp.zone_ids.index("sea_zone")
    assert index[sea, 0] == pytest.approx(1.0)  # Malacca and Singapore lie inside
    zl = layers["peripheral_zones"].set_index("id")
    base = load_coefficients().model.contestability_base
    contest = (1 - zl["us_influence"]) * (base + zl["competitor_influence"])
    np.testing.assert_allclose(inp.meta["contestability"], contest.to_numpy())


def _value_by_hand(inp, coeffs):
    """v_za = v0_a · ((I_za − P_za) · C_z + P_za), P the part of the index of the homeland
    perimeter and the counter-drug value."""
    kinds = list(VALUE_KINDS)
    fit = np.array([[getattr(getattr(coeffs.assets, a).fit, k) for k in kinds] for a in ASSETS])
    fw = fit * np.array([getattr(coeffs.model.layer_weights, k) for k in kinds])[None, :]
    index, contest = inp.meta["zone_index"], inp.meta["contestability"]
    whole = index @ fw.T / fw.sum(axis=1)
    secure = sum(
        np.outer(index[:, k], fw[:, k]) / fw.sum(axis=1)
        for k in (kinds.index("perimeter"), kinds.index("counterdrug"))
    )
    v0 = np.array([getattr(coeffs.assets, a).value_per_unit_bn for a in ASSETS])
    return v0 * ((whole - secure) * contest[:, None] + secure), secure


def test_perimeter_value_is_not_contested(layers):
    """Contestability scales the value of chokepoints, minerals and nodes, not the homeland
    perimeter's: a zone with nothing to contest keeps its perimeter value."""
    coeffs = load_coefficients()
    inp = build_inputs(layers, _scenario())
    z = len(inp.meta["contestability"])
    expected, secure = _value_by_hand(inp, coeffs)
    np.testing.assert_allclose(inp.value[:z], expected, rtol=1e-12, atol=1e-15)
    near = int(np.argmax(secure.sum(axis=1)))
    zid = inp.zone_ids[near]
    full = build_inputs(layers, _scenario(zones={zid: {"us_influence": 1.0}}))
    assert full.meta["contestability"][near] == 0.0
    assert np.all(full.value[near] > 0)
    np.testing.assert_allclose(full.value[near], _value_by_hand(full, coeffs)[0][near])


def test_counterdrug_value_is_the_listed_zones_and_not_contested(layers):
    """A zone on the list of major drug-transit countries (`drug_transit`) scores 1 on the
    counter-drug value, the others 0; like the perimeter's, that part of a zone's value is
    not scaled by contestability, so a listed zone the U.S. fully holds keeps it."""
    coeffs = load_coefficients()
    zones = layers["peripheral_zones"].copy()
    listed = str(zones["id"].iloc[1])
    zones["drug_transit"] = zones["id"] == listed
    marked = {**layers, "peripheral_zones": zones}
    sc = _scenario(zones={listed: {"us_influence": 1.0}})
    inp, plain = build_inputs(marked, sc), build_inputs(layers, sc)
    drugs = VALUE_KINDS.index("counterdrug")
    z = inp.zone_ids.index(listed)
    expected = np.zeros(len(zones))
    expected[z] = 1.0
    np.testing.assert_array_equal(inp.meta["zone_index"][:, drugs], expected)
    assert inp.meta["contestability"][z] == 0.0
    np.testing.assert_allclose(inp.value[: len(zones)], _value_by_hand(inp, coeffs)[0], rtol=1e-12)
    fit = np.array([getattr(coeffs.assets, a).fit.counterdrug for a in ASSETS])
    # the listed zone gains value in every class that serves the counter-drug mission ...
    gain = inp.value[z] - plain.value[z]
    assert np.all(gain[fit > 0] > 0)
    # ... and the zones not listed keep theirs
    others = np.flatnonzero(np.arange(len(zones)) != z)
    np.testing.assert_array_equal(inp.value[others], plain.value[others])


def test_sea_distance_close_to_searoute():
    import searoute

    japan, panama = (139.35, 35.75), (-79.5, 9.0)
    ours = sea_distance_matrix(np.array([japan]), np.array([panama]))[0, 0]
    theirs = searoute.searoute(list(japan), list(panama)).properties["length"]
    assert ours == pytest.approx(theirs, rel=0.03)


def test_japan_to_panama_crosses_the_pacific():
    (path,) = sea_paths([((139.35, 35.75), (-79.5, 9.0))])
    line = split_antimeridian(path)
    assert isinstance(line, MultiLineString)
    lons = np.concatenate([np.asarray(g.coords)[:, 0] for g in line.geoms])
    assert lons.min() >= -180 and lons.max() <= 180
    assert not ((lons > -30) & (lons < 100)).any()  # never through Eurasia or the Atlantic
    gc = split_antimeridian(
        great_circle_paths(np.array([[139.35, 35.75]]), np.array([[-79.5, 9.0]]))[0]
    )
    assert isinstance(gc, MultiLineString)
    ends = [tuple(np.round(g.coords[-1], 6)) for g in gc.geoms]
    assert ends[0][0] == 180.0 and ends[-1] == (-79.5, 9.0)


def test_split_antimeridian_edge_cases():
    line = split_antimeridian(np.array([[170.0, 0.0], [190.0, 10.0]]))
    assert isinstance(line, MultiLineString)
    first, second = line.geoms
    assert first.coords[-1] == pytest.approx((180.0, 5.0))
    assert second.coords[0] == pytest.approx((-180.0, 5.0))
    assert second.coords[-1] == pytest.approx((-170.0, 10.0))
    simple = split_antimeridian(np.array([[0.0, 0.0], [10.0, 0.0]]))
    assert simple.geom_type == "LineString"
    # Repeated points are dropped; longitudes wrapped into [-180, 180].
    repeated = split_antimeridian(np.array([[0.0, 0.0], [0.0, 0.0], [370.0, 5.0], [10.0, 5.0]]))
    assert list(repeated.coords) == [(0.0, 0.0), (10.0, 5.0)]
    # One point, however often: a line of length zero at it.
    still = split_antimeridian(np.array([[-190.0, 3.0], [170.0, 3.0]]))
    assert list(still.coords) == [(170.0, 3.0), (170.0, 3.0)]


def test_sea_network_cache_holds_the_same_numbers(tmp_path, monkeypatch):
    from redeploy.model import routes

    monkeypatch.setenv("REDEPLOY_CACHE_DIR", "off")
    routes.sea_network.cache_clear()
    fresh = routes.sea_network()
    monkeypatch.setenv("REDEPLOY_CACHE_DIR", str(tmp_path))
    routes.sea_network.cache_clear()
    routes.sea_network()  # builds and writes the cache file
    assert list(tmp_path.glob("sea-network-*.npz"))
    routes.sea_network.cache_clear()
    cached = routes.sea_network()  # reads it back
    routes.sea_network.cache_clear()
    np.testing.assert_array_equal(fresh.lon, cached.lon)
    np.testing.assert_array_equal(fresh.graph.indptr, cached.graph.indptr)
    np.testing.assert_array_equal(fresh.graph.indices, cached.graph.indices)
    np.testing.assert_array_equal(fresh.graph.data, cached.graph.data)
    np.testing.assert_array_equal(fresh.snappable, cached.snappable)


def test_access_sites_are_scaled_apart_from_bases():
    """`model.access_site_capacity_scale` scales what sites held under access arrangements
    can host (Singapore's MoU sites, Panama's), never a base's (Djibouti, Honduras), nor
    engagement or the room at sea."""
    shipped = read_layers(None, kinds=MODEL_LAYERS)
    runs = {}
    for scale in (1.0, 0.5):
        sc = scenario_from_dict(
            {"description": "x", "model": {"access_site_capacity_scale": scale}},
            default_name="x",
        )
        runs[scale] = build_inputs(shipped, sc)
    ids = list(runs[1.0].zone_ids)
    land = [ASSETS.index(a) for a in ("air", "ground", "isr")]
    for zone, factor in (("sgp", 0.5), ("pan", 0.5), ("dji", 1.0), ("hnd", 1.0)):
        k = ids.index(zone)
        full, scaled = runs[1.0].absorb[k, land], runs[0.5].absorb[k, land]
        assert full.sum() > 0
        np.testing.assert_allclose(scaled, factor * full, err_msg=zone)
    eng = ASSETS.index("engagement")
    np.testing.assert_array_equal(runs[1.0].absorb[:, eng], runs[0.5].absorb[:, eng])


def test_new_sites_grow_to_their_capacity():
    """A site hosts nothing in its agreement's year and grows linearly to its capacity over
    `model.site_maturity_years` (docs/model.md §3): with T_m = 4 years, in 2027 the Panama
    MoU sites (2025) host half their capacity and Peru's (2026) a quarter; Djibouti (2003,
    2013) and Gabon (undated: established) host all of theirs."""
    shipped = read_layers(None, kinds=MODEL_LAYERS)

    def absorb(years: float) -> tuple[list[str], np.ndarray]:
        sc = scenario_from_dict(
            {"description": "x", "horizon_year": 2027, "model": {"site_maturity_years": years}},
            default_name="x",
        )
        inp = build_inputs(shipped, sc)
        return list(inp.zone_ids), inp.absorb

    ids, grown = absorb(0.0)
    _, growing = absorb(4.0)
    land = [ASSETS.index(a) for a in ("air", "ground", "isr")]
    for zone, share in (("pan", 0.5), ("per", 0.25), ("dji", 1.0), ("gab", 1.0)):
        k = ids.index(zone)
        assert grown[k, land].sum() > 0, zone
        np.testing.assert_allclose(growing[k, land], share * grown[k, land], err_msg=zone)


def test_site_share_by_hand():
    """m_s(t) = clip((t − since) / T_m, 0, 1), 1 without a year, times s_acc for access
    sites; a site whose year is after t hosts nothing; T_m = 0 means at once."""
    from redeploy.model.base import SiteData, site_share
    from redeploy.scenario import load_coefficients

    sites = SiteData(
        zone=np.zeros(4, dtype=np.int64),
        capacity=np.ones((4, len(ASSETS))),
        access=np.array([True, False, False, False]),
        since=np.array([2025.0, np.nan, 2020.0, 2031.0]),
    )
    m = load_coefficients().model.model_copy(
        update={"site_maturity_years": 4.0, "access_site_capacity_scale": 0.5}
    )
    np.testing.assert_allclose(site_share(sites, 2027, m), [0.5 * 0.5, 1.0, 1.0, 0.0])
    at_once = m.model_copy(update={"site_maturity_years": 0.0})
    np.testing.assert_allclose(site_share(sites, 2027, at_once), [0.5, 1.0, 1.0, 0.0])


def test_sites_without_a_year_are_established():
    """A user's sites layer without `since` (or an empty cell) counts every site as
    established; without `access_kind` every site counts as a base."""
    import pandas as pd

    from redeploy.model.base import site_data

    frame = pd.DataFrame(
        {"zone_id": ["a", "b", "zz"], "status": ["active", "active", "active"], "cap_air": 1.0}
    )
    for a in ("naval", "ground", "isr"):
        frame[f"cap_{a}"] = 0.5
    data = site_data(("a", "b"), frame)
    assert list(data.zone) == [0, 1]  # the site of an unknown zone is left out
    assert np.isnan(data.since).all() and not data.access.any()
    assert data.capacity[0, ASSETS.index("air")] == 1.0


def test_split_antimeridian_many_gives_the_same_lines_as_one_by_one():
    """The batched split (`split_antimeridian_many`) is byte for byte `split_antimeridian`
    of each path: lines on one side, repeated points, crossings, a single point."""
    rng = np.random.default_rng(3)
    paths = []
    for k in range(400):
        n = int(rng.integers(1, 30))
        p = np.column_stack([rng.uniform(-250, 250, n).cumsum() / n * 3, rng.uniform(-80, 80, n)])
        if k % 5 == 0 and n > 2:
            p[1] = p[0]
        if k % 7 == 0:
            p = np.repeat(p[:1], n, axis=0)
        paths.append(p)
    paths += [
        np.array([[0.0, 0.0], [0.0, 0.0], [370.0, 5.0], [10.0, 5.0]]),
        np.array([[170.0, 0.0], [190.0, 10.0]]),
        np.array([[1.0, 1.0]]),
    ]
    many = split_antimeridian_many(paths)
    one = [split_antimeridian(p) for p in paths]
    assert [g.wkb for g in many] == [g.wkb for g in one]
    assert {g.geom_type for g in many} == {"LineString", "MultiLineString"}
    assert split_antimeridian_many([]) == []
