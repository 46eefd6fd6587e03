"""Benchmark `redeploy run` on layers grown synthetically: stage times, peak memory, the page.

Sizes (`benchmarks/scale_layers.py` writes their layers, seed 0):

- ``1x``: the shipped layers (copied by the generator, so every size reads the same way);
- ``10x``, ``100x``: every point layer (fronts, chokepoints, mineral zones, supply nodes,
  sites, posture) copied and jittered 10 and 100 times, the 98 zones as shipped;
- ``nodes28k``: 28,000 supply nodes, the other layers as shipped;
- ``zones9800``: the 98 zones split into 9,800, the point layers as shipped;
- ``accept``: the issue's acceptance case, 30,000 supply nodes and 1,000 zones.

Each run is a fresh process that imports everything first, then runs ``redeploy run
--layers DIR`` in-process (the CLI's own code: scenario, layers, inputs, LP, tables,
GeoPackage, map) with timers around its stages; "total" is that call, after imports, and
"peak" the process's peak resident memory (``ru_maxrss``, imports included). The issue's
time targets are checked on "total", as its own table measured them. "Whole command" is,
beside it, the wall time of ``python -m redeploy run --layers DIR -q`` run once more as
a user would, from the interpreter's start to the process's end (imports included). The run
writes its GeoPackage in a forked child while it builds the map (`redeploy.io.forked`):
"GeoPackage" is then the time the run waits for it after the map, and "with the writer's
own pages" the largest sum, sampled every 20 ms, of the run's resident memory and the
writer's unshared pages (``/proc/PID/smaps_rollup``), in one more run of each size that
is not timed (reading those files slows the run watched). The page is then opened in
headless Chromium (no network): "ready" is the time from navigation to the page's ready
mark, "pan" and "zoom" the time from a pan (300 px) or a zoom step (one level, in then out)
to the second animation frame after it, i.e. until the browser has drawn it.

Usage (from the repository root)::

    python benchmarks/bench_scale.py --repeat 5                 # every size
    python benchmarks/bench_scale.py --sizes 1x,nodes28k --repeat 3 --no-browser

Medians over ``--repeat`` runs; the machine's load average is printed with the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Size name -> feature counts of the grown layers (`scale_layers.grow_layers`).
SIZES: dict[str, dict[str, Any]] = {
    "1x": {"scale": 1},
    "10x": {"scale": 10},
    "100x": {"scale": 100},
    "nodes28k": {"count": {"supply_nodes": 28_000}},
    "zones9800": {"count": {"peripheral_zones": 9_800}},
    "accept": {"count": {"supply_nodes": 30_000, "peripheral_zones": 1_000}},
}
DEFAULT_SIZES = "1x,10x,100x,nodes28k,zones9800,accept"

#: (module, attribute, stage label): functions timed inside a run. Stages nest: "base"
#: holds "zone value items" (the KD-trees, items inside zones) and "sea lanes"; "scenario
#: arrays" holds "zone value pairs" (the pairs within the cut-off, their geodesics, the
#: sums); "LP + results" holds "LP solve" (every HiGHS run, sifting's included).
_STAGES: tuple[tuple[str, str, str], ...] = (
    ("redeploy.workflows.run", "load_scenario", "scenario"),
    ("redeploy.model.inputs", "prepare_base", "base"),
    ("redeploy.model.base", "value_items", "zone value items"),
    ("redeploy.model.inputs", "value_index", "zone value pairs"),
    ("redeploy.model.base", "sea_distance_matrix", "sea lanes"),
    ("redeploy.model.inputs", "scenario_arrays", "scenario arrays"),
    ("redeploy.workflows.run", "solve_allocation", "LP + results"),
    ("redeploy.export", "write_results", "GeoPackage"),
    ("redeploy.render", "write_map", "map"),
)


def _wrap(stage: str, fn: Callable[..., Any], out: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            out[stage] = out.get(stage, 0.0) + time.perf_counter() - t

    return timed


def child(layers: Path, out: Path) -> dict[str, Any]:
    """Run ``redeploy run --layers LAYERS --out OUT`` in this process; return its figures."""
    import importlib

    import redeploy.cli
    import redeploy.export
    import redeploy.model.allocation
    import redeploy.model.inputs
    import redeploy.render
    import redeploy.workflows.run

    timings: dict[str, float] = {}
    for module, name, stage in _STAGES:
        mod = importlib.import_module(module)
        setattr(mod, name, _wrap(stage, getattr(mod, name), timings))
    import highspy

    highs = highspy.Highs
    setattr(highs, "run", _wrap("LP solve", highs.run, timings))  # noqa: B010
    from redeploy.io.forked import Pending

    # GeoPackage: written in a forked child, so what the run waits for it after the map
    setattr(Pending, "result", _wrap("GeoPackage", Pending.result, timings))  # noqa: B010
    from redeploy.model.routes import sea_network

    sea_network()  # the cached sea network, as after any earlier run
    t = time.perf_counter()
    redeploy.cli.app(
        ["run", "--layers", str(layers), "--out", str(out), "-q"], standalone_mode=False
    )
    total = time.perf_counter() - t
    html = next(out.glob("*.html"))
    gpkg = next(out.glob("*.gpkg"))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "total": total,
        "stages": timings,
        "peak_mb": peak_kb / 1024,
        "html_bytes": html.stat().st_size,
        "gpkg_bytes": gpkg.stat().st_size,
        "html": str(html),
    }


_MAP_JS = """
window.__rdMap = window.__rdMap || Object.keys(window).map(function (k) { return window[k]; })
  .filter(function (v) { return v instanceof L.Map; })[0];
"""

_OP_JS = (
    _MAP_JS
    + """
var done = arguments[arguments.length - 1], map = window.__rdMap, op = arguments[0];
var t0 = performance.now();
if (op === 'pan') map.panBy([arguments[1], arguments[2]], {animate: false});
else map.setZoom(map.getZoom() + arguments[1], {animate: false});
requestAnimationFrame(function () { requestAnimationFrame(function () {
  done(performance.now() - t0); }); });
"""
)


def page_times(html: Path, driver: Any) -> dict[str, Any]:
    """Ready time (ms) of a saved page and the times of 4 pans and 4 zoom steps on it."""
    driver.get("about:blank")
    driver.get(html.resolve().as_uri())
    deadline = time.monotonic() + 120
    ready = None
    while time.monotonic() < deadline:
        ready = driver.execute_script(
            "return document.documentElement.getAttribute('data-rd-ready-ms')"
        )
        if ready:
            break
        time.sleep(0.02)
    driver.set_script_timeout(60)
    pans = [
        driver.execute_async_script(_OP_JS, "pan", dx, dy)
        for dx, dy in ((300, 0), (0, 200), (-300, 0), (0, -200))
    ]
    zooms = [driver.execute_async_script(_OP_JS, "zoom", dz) for dz in (1, -1, 1, -1)]
    return {"ready": float(ready) if ready else float("nan"), "pan": pans, "zoom": zooms}


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(size: str, repeat: int, browser: bool, keep: Path | None) -> dict[str, Any]:
    """Generate `size`'s layers and run it `repeat` times, each in a fresh process."""
    from benchmarks.scale_layers import grow_layers, scale_counts

    spec = SIZES[size]
    counts = scale_counts(spec["scale"]) if "scale" in spec else dict(spec["count"])
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{size}-"))
    layers = work / "layers"
    written = grow_layers(layers, counts)
    runs = []
    for r in range(repeat):
        out = (keep / size) if keep and r == 0 else work / f"out{r}"
        run = _child_run(layers, out, watch=False)
        run["command"] = _whole_command(layers, work / f"cmd{r}")
        runs.append(run)
    # Memory with the GeoPackage writer's pages in one more run of its own: reading
    # /proc/PID/smaps_rollup every 20 ms slows the run it watches (by 12-15 % at every
    # size on the EPYC), so the timed runs are not watched.
    watched = _child_run(layers, work / "watched", watch=True)
    for run in runs:
        run["together_mb"] = max(run["peak_mb"], watched["together_mb"])
    pages = []
    if browser:
        from redeploy.render.png import chromium_driver, find_chromium

        if find_chromium():
            with chromium_driver(width=1600, height=900) as driver:
                pages = [page_times(Path(runs[0]["html"]), driver) for _ in range(repeat)]
    return {"size": size, "counts": written, "runs": runs, "pages": pages, "load": _load()}


def _child_run(layers: Path, out: Path, *, watch: bool) -> dict[str, Any]:
    """One run in a fresh process (`child`); with `watch`, also the largest memory of the
    run and its GeoPackage writer together (``together_mb``, `_watch_memory`)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(layers), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    together = _watch_memory(proc) if watch else 0.0
    stdout, stderr = proc.communicate()
    if proc.returncode:
        sys.stderr.write(stderr)
        msg = f"{layers}: the run failed"
        raise SystemExit(msg)
    run: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    # The GeoPackage's writer is a fork of the run (redeploy.io.forked): what both take
    # together is the run's resident memory plus the writer's own (unshared) pages.
    run["together_mb"] = max(run["peak_mb"], together)
    return run


def _whole_command(layers: Path, out: Path) -> float:
    """Wall time (s) of ``python -m redeploy run --layers LAYERS --out OUT -q`` as a user
    waits for it: the interpreter's start, the imports and the run, to the process's end."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "redeploy", "run", "--layers", str(layers), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    took = time.perf_counter() - t
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        msg = f"{layers}: redeploy run failed (exit {proc.returncode})"
        raise SystemExit(msg)
    return took


def _smaps(pid: int) -> dict[str, int]:
    """``/proc/PID/smaps_rollup`` in kB ({} once the process is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    fields = (line.split() for line in text.splitlines()[1:])
    return {f[0].rstrip(":"): int(f[1]) for f in fields if len(f) >= 2 and f[1].isdigit()}


def _watch_memory(proc: subprocess.Popen[str], every: float = 0.02) -> float:
    """Until `proc` ends, sample its resident memory plus its children's unshared pages
    (Private_Clean + Private_Dirty); return the largest sum (MB)."""
    most = 0.0
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    while proc.poll() is None:
        own = _smaps(proc.pid).get("Rss", 0)
        try:
            kids = [int(k) for k in children.read_text().split()]
        except OSError:
            kids = []
        for kid in kids:
            m = _smaps(kid)
            own += m.get("Private_Clean", 0) + m.get("Private_Dirty", 0)
        most = max(most, own / 1024)
        time.sleep(every)
    return most


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _range(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{min(values):.0f}-{max(values):.0f}"


def report(results: list[dict[str, Any]]) -> None:
    """Print the summary table and the stage table (Markdown)."""
    names = [r["size"] for r in results]
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("zones × value items", _counts),
        ("zone value index (s)", lambda r: _stage(r, "zone value items", "zone value pairs")),
        ("LP solve (s)", lambda r: _stage(r, "LP solve")),
        ("LP build + solve + results (s)", lambda r: _stage(r, "LP + results")),
        ("map (s)", lambda r: _stage(r, "map")),
        ("GeoPackage (s)", lambda r: _stage(r, "GeoPackage")),
        ("total after imports (s)", lambda r: f"{_median([x['total'] for x in r['runs']]):.2f}"),
        ("whole command (s)", lambda r: f"{_median([x['command'] for x in r['runs']]):.2f}"),
        ("peak memory (MB)", lambda r: f"{_median([x['peak_mb'] for x in r['runs']]):,.0f}"),
        (
            "with the writer's own pages (MB)",
            lambda r: f"{_median([x['together_mb'] for x in r['runs']]):,.0f}",
        ),
        ("HTML (MB)", lambda r: f"{r['runs'][0]['html_bytes'] / 1e6:.2f}"),
        ("GeoPackage (MB)", lambda r: f"{r['runs'][0]['gpkg_bytes'] / 1e6:.2f}"),
        ("page ready (ms)", lambda r: _page(r, "ready")),
        ("one pan (ms)", lambda r: _page(r, "pan")),
        ("one zoom (ms)", lambda r: _page(r, "zoom")),
    ]
    for label, cell in rows:
        print(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    base = _median([x["total"] for x in results[0]["runs"]])
    base_command = _median([x["command"] for x in results[0]["runs"]])
    print()
    for r in results[1:]:
        total = _median([x["total"] for x in r["runs"]])
        command = _median([x["command"] for x in r["runs"]])
        print(
            f"- {r['size']}: total after imports {total / base:.2f}x the "
            f"{results[0]['size']} run; whole command {command / base_command:.2f}x"
        )
    print("\nTargets (issue 17):")
    for line in targets(results):
        print(f"- {line}")
    print("\nStages (median s): " + ", ".join(_stages(results[0])))
    for r in results:
        print(f"- {r['size']}: " + "; ".join(_stages(r)) + f" (load average {r['load']})")


#: Size -> most wall time as a multiple of the 1x run's (issue 17's targets).
TIME_RATIOS = {"100x": 3.0, "nodes28k": 2.0}
#: Sizes whose peak memory must stay under `PEAK_MB`.
PEAK_MB = 1024.0
#: Page targets: ready, and one pan or zoom (ms), on every page measured.
READY_MS = 1500.0
MOVE_MS = 200.0


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def targets(results: list[dict[str, Any]]) -> list[str]:
    """Each of issue 17's targets that these results can check, with its figure."""
    by = {r["size"]: r for r in results}
    out = []
    base = by.get("1x")
    for size, most in TIME_RATIOS.items():
        if base and size in by:
            ratio = _median([x["total"] for x in by[size]["runs"]]) / _median(
                [x["total"] for x in base["runs"]]
            )
            out.append(
                f"{size} wall time {ratio:.2f}x the 1x run (at most {most:g}x): "
                f"{_verdict(ratio <= most)}"
            )
    for size in (*TIME_RATIOS, "accept"):
        if size in by:
            peak = _median([x.get("together_mb", x["peak_mb"]) for x in by[size]["runs"]])
            out.append(
                f"{size} peak memory, with the GeoPackage writer's own pages, {peak:,.0f} MB "
                f"(under {PEAK_MB:,.0f} MB): {_verdict(peak < PEAK_MB)}"
            )
    for r in results:
        if not r["pages"]:
            continue
        ready = _median([p["ready"] for p in r["pages"]])
        moves = [v for p in r["pages"] for key in ("pan", "zoom") for v in p[key]]
        worst = _median(moves) if moves else float("nan")
        out.append(
            f"{r['size']} page ready {ready:.0f} ms (under {READY_MS:.0f}): "
            f"{_verdict(ready < READY_MS)}; median pan/zoom {worst:.0f} ms, slowest "
            f"{max(moves):.0f} ms (under {MOVE_MS:.0f}): {_verdict(worst < MOVE_MS)}"
        )
    return out


def _counts(r: dict[str, Any]) -> str:
    c = r["counts"]
    items = c["chokepoints"] + c["mineral_zones"] + c["supply_nodes"]
    return f"{c['peripheral_zones']:,} × {items:,}"


def _stage(r: dict[str, Any], *stages: str) -> str:
    return f"{_median([sum(x['stages'].get(s, 0.0) for s in stages) for x in r['runs']]):.3f}"


def _stages(r: dict[str, Any]) -> list[str]:
    keys = list(dict.fromkeys(k for x in r["runs"] for k in x["stages"]))
    return [f"{k} {_stage(r, k)}" for k in keys]


def _page(r: dict[str, Any], key: str) -> str:
    if not r["pages"]:
        return "–"
    if key == "ready":
        return f"{_median([p['ready'] for p in r['pages']]):.0f}"
    values = [v for p in r["pages"] for v in p[key]]
    return f"{_median(values):.0f} ({_range(values)})"


def main(argv: list[str] | None = None) -> int:
    """Run the sizes and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated of {list(SIZES)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium timings")
    ap.add_argument("--keep", type=Path, help="keep each size's first outputs in this folder")
    ap.add_argument("--json", type=Path, help="also write every figure to this file")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    results = []
    for size in args.sizes.split(","):
        print(f"{size} ...", file=sys.stderr, flush=True)
        results.append(measure(size, args.repeat, not args.no_browser, args.keep))
    print(f"Median of {args.repeat} runs; load average at the end: {_load()}.\n")
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
