"""Benchmark the HTML map against `GeoDataFrame.explore()` drawing the same information.

Both maps get the same layers and result: every input layer with all its columns in popups,
zones with what each class adds, its capacity, existing presence, value and marginal value,
fronts with what is freed, released, sent home, converted and retained, their risk by
channel, marginal values, ledger and the allies' side, and the flows along their routes.
Measured: file size (explore's file as written, which links Leaflet from CDNs, and made
self-contained with the same inlined Leaflet as ours), build time (build + render to
text), and load-to-ready time in headless Chromium with no network.

Run from the repository root::

    python benchmarks/bench_render.py                   # shipped layers, baseline scenario
    python benchmarks/bench_render.py --fixture         # the tiny test fixture
    python benchmarks/bench_render.py --repeat 7 --scenario all-together
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redeploy.model.result import AllocationResult  # noqa: E402
from redeploy.palette import ASSET_COLORS  # noqa: E402
from redeploy.render import assets  # noqa: E402
from redeploy.render.maps import build_map, render_html  # noqa: E402
from redeploy.render.png import chromium_driver, find_chromium  # noqa: E402
from redeploy.schemas import MILITARY_ASSETS  # noqa: E402


def _fixture():
    path = ROOT / "tests" / "data" / "render" / "fixture.py"
    spec = importlib.util.spec_from_file_location("render_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fixture_layers(), module.fixture_result()


def load_inputs(
    *, fixture: bool, scenario: str
) -> tuple[dict[str, gpd.GeoDataFrame], AllocationResult]:
    """Return the layers and a solved result (shipped data) or the test fixture."""
    if fixture:
        return _fixture()
    from redeploy.layers import read_layers
    from redeploy.model import build_inputs, solve_allocation
    from redeploy.scenario import load_scenario

    layers = read_layers()
    return layers, solve_allocation(build_inputs(layers, load_scenario(scenario)))


def _pivot(frame: pd.DataFrame, key: str, cols: list[str]) -> pd.DataFrame:
    wide = frame.pivot_table(index=key, columns="asset", values=cols, aggfunc="sum")
    wide.columns = [f"{c}_{a}" for c, a in wide.columns]
    return wide.reset_index()


def explore_map(layers: Mapping[str, gpd.GeoDataFrame], result: AllocationResult) -> folium.Map:
    """Draw the same information with `GeoDataFrame.explore` (defaults where possible)."""
    m = layers["basemap"].explore(
        tiles=None,
        name="Countries (basemap)",
        tooltip=False,
        popup=False,
        style_kwds={"fillColor": "#e4e2dd", "color": "#b9b5ab", "weight": 0.6},
    )
    zone_figures = ["existing", "added", "added_bn", "capacity", "value", "marginal_value"]
    zones = layers["peripheral_zones"].merge(
        _pivot(result.zones, "zone_id", zone_figures), left_on="id", right_on="zone_id", how="left"
    )
    mil = [c for c in zones.columns if c.startswith("added_") and c[6:] in MILITARY_ASSETS]
    zones["added_military"] = zones[mil].sum(axis=1)
    zones.explore(
        m=m,
        column="added_military",
        cmap="YlGnBu",
        legend=False,
        popup=True,
        tooltip=["name", "added_military"],
        name="Peripheral zones",
    )
    for kind in ("mineral_zones", "supply_nodes", "sites", "posture", "chokepoints"):
        layers[kind].explore(
            m=m, marker_type="circle_marker", popup=True, tooltip=["name"], name=kind
        )
    front_figures = [c for c in result.fronts.columns if c not in ("front_id", "asset")]
    ally_figures = ["dependence", "gap", "gap_cost_bn", "us_industry_inflow_bn"]
    fronts = (
        layers["fronts"]
        .merge(
            _pivot(result.fronts, "front_id", front_figures),
            left_on="id",
            right_on="front_id",
            how="left",
        )
        .merge(
            result.ledger, left_on="id", right_on="front_id", how="left", suffixes=("", "_ledger")
        )
        .merge(
            _pivot(result.allies, "front_id", ally_figures).add_prefix("ally_"),
            left_on="id",
            right_on="ally_front_id",
            how="left",
        )
    )
    fronts.explore(m=m, marker_type="circle_marker", popup=True, tooltip=["name"], name="fronts")
    routes = result.routes.copy()
    for col in ("amount", "distance_km", "cost"):
        routes[col] = result.flows[col].to_numpy()
    assets_present = sorted(routes["asset"].unique())
    routes.explore(
        m=m,
        column="asset",
        categories=assets_present,
        cmap=[ASSET_COLORS[a] for a in assets_present],
        legend=False,
        popup=True,
        tooltip=["front_id", "zone_id", "asset", "amount"],
        name="flows",
    )
    folium.LayerControl().add_to(m)
    return m


def offline_explore_html(text: str) -> str:
    """Make explore's page self-contained: inline Leaflet, drop the other CDN links."""
    text = re.sub(
        r'<script src="[^"]*leaflet[^"]*\.js"></script>',
        lambda _: f"<script>{assets.leaflet_js()}</script>",
        text,
        count=1,
    )
    text = re.sub(
        r'<link rel="stylesheet" href="[^"]*leaflet[^"]*\.css"/>',
        lambda _: f"<style>{assets.leaflet_css()}</style>",
        text,
        count=1,
    )
    text = re.sub(r"<script src=\"https?://[^\"]*\"></script>", "", text)
    return re.sub(r"<link rel=\"stylesheet\" href=\"https?://[^\"]*\"/>", "", text)


def _timed(fn: Callable[[], str], repeat: int) -> tuple[str, float]:
    times, text = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        text = fn()
        times.append(time.perf_counter() - t0)
    return text, statistics.median(times)


_LOAD_JS = """
var nav = performance.getEntriesByType('navigation')[0];
return [nav.loadEventEnd, document.documentElement.getAttribute('data-rd-ready-ms'),
        document.querySelectorAll('path').length];
"""


def load_times(paths: Mapping[str, Path], repeat: int) -> dict[str, dict[str, float]]:
    """Median load event and ready times (ms) of each page in headless Chromium."""
    out: dict[str, dict[str, list[float]]] = {
        k: {"load": [], "ready": [], "paths": []} for k in paths
    }
    with chromium_driver(width=1600, height=900) as driver:
        for _ in range(repeat):
            for name, path in paths.items():
                driver.get("about:blank")
                driver.get(path.resolve().as_uri())
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    load, ready, n = driver.execute_script(_LOAD_JS)
                    if load and (ready or "ours" not in name):
                        break
                    time.sleep(0.01)
                out[name]["load"].append(float(load))
                out[name]["ready"].append(float(ready) if ready else float(load))
                out[name]["paths"].append(float(n))
    return {k: {m: statistics.median(v) for m, v in d.items()} for k, d in out.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixture", action="store_true", help="use the tiny test fixture")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="also write the pages into this folder")
    args = parser.parse_args(argv)

    layers, result = load_inputs(fixture=args.fixture, scenario=args.scenario)
    ours, t_ours = _timed(lambda: render_html(build_map(layers, result)), args.repeat)
    explore, t_explore = _timed(
        lambda: explore_map(layers, result).get_root().render(), args.repeat
    )
    explore_offline = offline_explore_html(explore)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-render-"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"ours": folder / "ours.html", "explore (offline)": folder / "explore.html"}
    paths["ours"].write_text(ours, encoding="utf-8")
    paths["explore (offline)"].write_text(explore_offline, encoding="utf-8")
    (folder / "explore-cdn.html").write_text(explore, encoding="utf-8")

    size = {
        "ours": len(ours.encode()),
        "explore (offline)": len(explore_offline.encode()),
        "explore (as written, CDN links)": len(explore.encode()),
    }
    build = {
        "ours": t_ours,
        "explore (offline)": t_explore,
        "explore (as written, CDN links)": t_explore,
    }
    loads = load_times(paths, args.repeat) if find_chromium() else {}

    source = "test fixture" if args.fixture else f"shipped layers, scenario {args.scenario}"
    print(f"Inputs: {source}; {len(result.flows)} flows; median of {args.repeat} runs.\n")
    print("| map | bytes | build + render (s) | load event (ms) | ready (ms) |")
    print("|---|---:|---:|---:|---:|")
    for name in size:
        lt = loads.get(name, {})
        load = f"{lt['load']:.0f}" if lt else "–"
        ready = f"{lt['ready']:.0f}" if lt else "–"
        print(f"| {name} | {size[name]:,} | {build[name]:.2f} | {load} | {ready} |")
    ratio = size["ours"] / size["explore (offline)"]
    ratio_cdn = size["ours"] / size["explore (as written, CDN links)"]
    print(
        f"\nours / explore (offline) = {ratio:.1%}; ours / explore (as written) = "
        f"{ratio_cdn:.1%}; target <= 40 %"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
