"""What libraries alone take per feature on a large layer: the floor under a scaled run.

`bench_scale.py` times `redeploy run` on grown layers; this script times, on the same
layers, the steps whose work is done by libraries once per feature, each on its own (best
of ``--repeat``, in this process, after a first untimed call):

- GDAL's parse of the supply-node GeoJSON (`pyogrio.read_dataframe`, through Arrow, as
  `redeploy.layers` reads it), Python's `json.loads` of the same file for comparison, and
  `redeploy.layers.read_layer` (read and validate);
- the zone value pairs (`redeploy.model.value.pairs_within` at `model.decay_km` = 500 km,
  on the threads a run uses), and on one thread its two parts: the KD-tree queries for each
  pair's nearest zone vertex and the pairs' distances (Thomas's formula);
- writing the supply-node layer into a GeoPackage as a run does (`prepare_layer`, GDAL's
  staged settings), and the same layer with its text columns as Arrow strings.

Usage (from the repository root)::

    python benchmarks/bench_floor.py                       # 1x and nodes28k
    python benchmarks/bench_floor.py --sizes 1x,accept --repeat 3

The last column is the difference between the last size and the first: what the large
layer adds to a run before any of redeploy's own per-feature work.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Zone value decay of the runs measured (the shipped `model.decay_km`).
DECAY_KM = 500.0


def _best(fn: Callable[[], Any], repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _pair_parts(layers: dict[str, Any], repeat: int) -> dict[str, float]:
    """The zone value pairs on a run's threads, and on one thread their two parts."""
    import numpy as np

    from redeploy.model import value

    zones = layers["peripheral_zones"]
    items = value.value_items(layers, zones, np.zeros(len(zones)))
    radius = value.cutoff_km(DECAY_KM)

    def pairs() -> None:
        value.pairs_within(items.vertices, items.points, items.inside, radius)

    out = {"zone value pairs (run's threads)": _best(pairs, repeat)}
    spent = {"nearest": 0.0, "distance": 0.0}
    nearest, distances = value._nearest_vertices, value.value_distances_km

    def timed(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            t0 = time.perf_counter()
            result = fn(*args)
            spent[key] += time.perf_counter() - t0
            return result

        return run

    threads = value.GEODESIC_THREADS
    value._nearest_vertices = timed("nearest", nearest)
    value.value_distances_km = timed("distance", distances)
    value.GEODESIC_THREADS = 1
    try:
        best = {"nearest": float("inf"), "distance": float("inf")}
        for _ in range(repeat):
            spent.update(nearest=0.0, distance=0.0)
            pairs()
            best = {k: min(best[k], spent[k]) for k in best}
    finally:
        value._nearest_vertices, value.value_distances_km = nearest, distances
        value.GEODESIC_THREADS = threads
    out["nearest zone vertex, KD-tree queries (1 thread)"] = best["nearest"]
    out["pair distances, Thomas (1 thread)"] = best["distance"]
    return out


def _gpkg_parts(nodes: Any, work: Path, repeat: int) -> dict[str, float]:
    """Write the supply-node layer as a run prepares it, and with Arrow strings."""
    import pandas as pd
    import pyogrio

    from redeploy.export.gis import _gdal_config
    from redeploy.export.results import prepare_layer
    from redeploy.export.staging import GDAL_STAGED

    frame = prepare_layer("supply_nodes", nodes)
    arrow = frame.copy()
    for col in arrow.columns:
        if arrow[col].dtype == object:
            arrow[col] = arrow[col].astype(pd.StringDtype("pyarrow"))

    def write(df: Any) -> Callable[[], None]:
        def run() -> None:
            path = work / "floor.gpkg"
            path.unlink(missing_ok=True)
            with _gdal_config(dict(GDAL_STAGED)):
                pyogrio.write_dataframe(df, path, layer="supply_nodes", driver="GPKG")

        return run

    return {
        "GeoPackage layer, as a run writes it": _best(write(frame), repeat),
        "GeoPackage layer, Arrow strings": _best(write(arrow), repeat),
    }


def measure(size: str, repeat: int) -> dict[str, float]:
    """Grow `size`'s layers (`bench_scale.SIZES`) and time each step on them."""
    import pyogrio

    from benchmarks.bench_scale import SIZES
    from benchmarks.scale_layers import grow_layers, scale_counts
    from redeploy.layers import read_layer, read_layers

    spec = SIZES[size]
    counts = scale_counts(spec["scale"]) if "scale" in spec else dict(spec["count"])
    work = Path(tempfile.mkdtemp(prefix=f"bench-floor-{size}-"))
    grow_layers(work / "layers", counts)
    path = work / "layers" / "supply_nodes.geojson"
    out = {
        "GDAL's parse of the supply-node GeoJSON": _best(
            lambda: pyogrio.read_dataframe(path, use_arrow=True), repeat
        ),
        "json.loads of the same file (for comparison)": _best(
            lambda: json.loads(path.read_bytes()), repeat
        ),
        "read and validate the layer (read_layer)": _best(
            lambda: read_layer(path, kind="supply_nodes"), repeat
        ),
    }
    layers = read_layers(work / "layers")
    out.update(_pair_parts(layers, repeat))
    out.update(_gpkg_parts(layers["supply_nodes"], work, repeat))
    out["supply nodes"] = float(len(layers["supply_nodes"]))
    return out


def main(argv: list[str] | None = None) -> None:
    """Measure each size and print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1x,nodes28k", help="Sizes of bench_scale.py.")
    ap.add_argument("--repeat", type=int, default=5, help="Timed runs of each step (best).")
    args = ap.parse_args(argv)
    sizes = args.sizes.split(",")
    results = {size: measure(size, args.repeat) for size in sizes}
    first, last = results[sizes[0]], results[sizes[-1]]
    print(f"Best of {args.repeat}, seconds; supply nodes: ", end="")
    print(", ".join(f"{s} {int(results[s]['supply nodes']):,}" for s in sizes), end=".\n\n")
    print("| step | " + " | ".join(sizes) + f" | {sizes[-1]} − {sizes[0]} |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for step in first:
        if step == "supply nodes":
            continue
        cells = [f"{results[s][step]:.3f}" for s in sizes]
        print(f"| {step} | " + " | ".join(cells) + f" | {last[step] - first[step]:.3f} |")
    floor = sum(
        last[k] - first[k]
        for k in (
            "GDAL's parse of the supply-node GeoJSON",
            "zone value pairs (run's threads)",
            "GeoPackage layer, as a run writes it",
        )
    )
    print(
        f"\nGDAL's parse, the zone value pairs and the GeoPackage layer together add "
        f"{floor:.2f} s from {sizes[0]} to {sizes[-1]}."
    )


if __name__ == "__main__":
    main()
