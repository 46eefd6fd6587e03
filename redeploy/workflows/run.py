"""`redeploy run` as Python functions: layers + scenario -> inputs -> LP -> result -> files.

`run_scenario` reads, solves and (optionally) writes the tables; `write_run` writes a run's
whole set of files (tables, GIS files, map) into a staging folder and publishes them
together, so a failed write leaves every earlier output intact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redeploy.export.tables import write_tables
from redeploy.io.forked import in_child
from redeploy.io.publish import published, staged_output
from redeploy.model.allocation import solve_allocation
from redeploy.model.inputs import AllocationInputs, build_inputs
from redeploy.model.result import AllocationResult
from redeploy.scenario import (
    COEFFICIENTS_FILE,
    CoefficientSet,
    Scenario,
    coefficients_digest_payload,
    effective_coefficients,
    load_coefficients,
    load_scenario,
)
from redeploy.schemas import model_kinds

if TYPE_CHECKING:
    from redeploy.own_layers import LayerSet
    from redeploy.render.slide import SlideOptions

#: The layer kinds the model reads (`LayerRole.model_input` in redeploy.schemas).
MODEL_LAYERS: tuple[str, ...] = model_kinds()
#: Default output folder of `redeploy run`.
DEFAULT_OUT_DIR = Path("maps")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutput:
    """What one `run_scenario` call produced."""

    result: AllocationResult
    inputs: AllocationInputs
    scenario: Scenario
    files: dict[str, Path] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: The validated layers the model read (``MODEL_LAYERS``), for maps and GIS exports.
    layers: dict[str, Any] = field(default_factory=dict)
    #: Warnings about the run (e.g. forces sent under access only the scenario grants).
    warnings: tuple[str, ...] = ()

    def map(self, **options: Any) -> Any:
        """Return the run's interactive map (a folium Map: a notebook shows it inline),
        on the run's layers and the shipped basemap; `options` go to `build_map`."""
        from redeploy.render import build_map

        return build_map(with_basemap(self.layers), self.result, **options)

    def _repr_html_(self) -> str:
        """The result's summary (`AllocationResult._repr_html_`)."""
        return self.result._repr_html_()


def access_warnings(
    scenario: Scenario, layers: Mapping[str, Any], result: AllocationResult
) -> list[str]:
    """
    Warn, zone by zone, where the run sends military capacity under basing access that
    only the scenario grants (``zones.<id>.access``): the zones layer's evidence gives
    that zone no access (no agreement and no U.S. presence, `access_basis` empty).
    """
    zones = layers.get("peripheral_zones")
    if zones is None or result.flows.empty:
        return []
    layer = zones.set_index("id")
    military = result.flows[result.flows["asset"] != "engagement"]
    out = []
    for zid, override in sorted(scenario.zones.items()):
        if override.access in (None, "none") or zid not in layer.index:
            continue
        if str(layer.loc[zid, "access"]) != "none":
            continue
        sent = military[military["zone_id"] == zid]
        if sent.empty:
            continue
        by_class = sent.groupby("asset")["amount"].sum()
        classes = ", ".join(f"{a} {v:.3f}" for a, v in by_class.items())
        out.append(
            f"warning: {scenario.source}: zones.{zid}.access = {override.access!r} grants "
            f"basing access to {layer.loc[zid, 'name']} ({zid}) that no agreement or U.S. "
            f"presence supports (its access in the zones layer is 'none'); this run sends "
            f"{by_class.sum():.3f} kpe of military capacity there ({classes} kpe)."
        )
    return out


def with_basemap(
    layers: Mapping[str, Any],
    layers_dir: str | Path | None = None,
    *,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
) -> dict[str, Any]:
    """Return the model's validated `layers` plus the kinds only drawn (the basemap: every
    kind whose `LayerRole.model_input` is false), for maps and GIS exports."""
    from redeploy.layers import read_layers
    from redeploy.schemas import SCHEMAS

    drawn_only = [k.value for k, s in SCHEMAS.items() if not s.role.model_input]
    merged = {
        **layers,
        **read_layers(layers_dir, overrides=layer_overrides, kinds=drawn_only, crs=crs),
    }
    # The schema's order of kinds, as `read_layers` gives it: outputs list layers in it.
    return {k.value: merged[k.value] for k in SCHEMAS if k.value in merged}


def package_version() -> str:
    """Return the installed version of redeploy, or ``"0+unknown"``."""
    try:
        return metadata.version("redeploy")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def compute_run_id(
    layer_files: Mapping[str, Path], scenario: Scenario, coefficients: CoefficientSet
) -> str:
    """
    Return the sha256 of every input: layer file bytes, scenario, coefficients, version.

    Parameters
    ----------
    layer_files
        ``{kind: path}`` of the layer files read.
    scenario
        The scenario (its canonical JSON is hashed, not its file, so comments don't count).
    coefficients
        The effective coefficients.
    """
    h = hashlib.sha256()
    for kind in sorted(layer_files):
        h.update(f"layer:{kind}\n".encode())
        h.update(Path(layer_files[kind]).read_bytes())
    h.update(b"scenario\n" + scenario.canonical_json().encode())
    h.update(b"coefficients\n" + coefficients_digest_payload(coefficients).encode())
    h.update(b"version\n" + package_version().encode())
    return h.hexdigest()


def read_model_layers(
    scenario: Scenario,
    layers_dir: str | Path | None,
    layer_overrides: Mapping[str, str | Path] | None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None,
    crs: str | None,
) -> tuple[LayerSet, Scenario]:
    """
    Read the model's layers (with any added features) and return them with the scenario
    the run is named after: ``SCENARIO_with_STEM`` when features are added, since a run
    on added features is not the scenario's own run (`redeploy.own_layers`).
    """
    from redeploy.own_layers import read_layer_set

    layer_set = read_layer_set(
        layers_dir,
        overrides=layer_overrides,
        additions=layer_additions,
        kinds=MODEL_LAYERS,
        crs=crs,
    )
    if layer_set.added:
        scenario = scenario.model_copy(update={"name": layer_set.run_name(scenario.name)})
    return layer_set, scenario


def run_scenario(
    scenario: str | Path | Scenario = "baseline",
    *,
    layers_dir: str | Path | None = None,
    layer_overrides: Mapping[str, str | Path] | None = None,
    crs: str | None = None,
    out_dir: str | Path | None = DEFAULT_OUT_DIR,
    coefficients: CoefficientSet | None = None,
    progress: Callable[[str], None] | None = None,
    layer_additions: Mapping[str, Sequence[str | Path]] | None = None,
) -> RunOutput:
    """
    Load layers and a scenario, solve the allocation and write the tables.

    Parameters
    ----------
    scenario
        Shipped scenario name, a TOML path, or a loaded `Scenario`.
    layers_dir
        Folder (or GeoPackage) of layers replacing the shipped ones.
    crs
        CRS to assume for layer files that declare none.
    layer_overrides
        ``{kind: path}`` replacing single layers.
    out_dir
        Output folder; ``None`` writes nothing.
    coefficients
        Default coefficients (``redeploy/data/coefficients.toml`` when omitted).
    progress
        Called with a short message before each stage.
    layer_additions
        ``{kind: [file, ...]}`` of features added to the shipped (or `layers_dir`) layer of
        that kind (`redeploy.own_layers`); the run is then named ``SCENARIO_with_STEM``.

    Returns
    -------
    RunOutput
        The result, the inputs, the scenario, the files written and stage timings.

    Raises
    ------
    RedeployError
        `ScenarioError`, `LayerValidationError`, `InfeasibleAllocationError` or
        `OutputError`; nothing is written unless the solve succeeded.
    """
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    say("loading scenario")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    coeffs = coefficients or load_coefficients(COEFFICIENTS_FILE)
    effective = effective_coefficients(sc, coeffs)
    timings["scenario"] = time.perf_counter() - t

    t = time.perf_counter()
    say("reading layers")
    layer_set, sc = read_model_layers(sc, layers_dir, layer_overrides, layer_additions, crs)
    layers = layer_set.frames
    timings["layers"] = time.perf_counter() - t

    t = time.perf_counter()
    say("building model inputs")
    run_id = compute_run_id(layer_set.hashed_paths(), sc, effective)
    inputs = build_inputs(layers, sc, coefficients=coeffs, run_id=run_id)
    timings["inputs"] = time.perf_counter() - t

    t = time.perf_counter()
    say(f"solving the LP ({inputs.n_flows} flow variables)")
    result = solve_allocation(inputs)
    result = dataclasses.replace(result, meta={**result.meta, "layer_files": layer_set.records()})
    timings["solve"] = time.perf_counter() - t

    files: dict[str, Path] = {}
    if out_dir is not None:
        t = time.perf_counter()
        say("writing tables")
        with staged_output(out_dir, name=result.scenario, run_id=result.run_id) as stage:
            staged = write_tables(result, stage)
            files = dict(
                zip(staged, published(list(staged.values()), stage, Path(out_dir)), strict=True)
            )
        timings["write"] = time.perf_counter() - t
    log.info("run %s: %s", sc.name, ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return RunOutput(
        result=result,
        inputs=inputs,
        scenario=sc,
        files=files,
        timings=timings,
        layers=layers,
        warnings=(*layer_set.warnings, *access_warnings(sc, layers, result)),
    )


def write_run(
    output: RunOutput,
    out_dir: str | Path,
    *,
    layers: Mapping[str, Any] | None = None,
    formats: Sequence[str] = ("gpkg", "csv"),
    tiles: str | None = None,
    png: bool | SlideOptions = False,
    title: str | None = None,
    subtitle: str | None = None,
    zone_metric: str = "military",
) -> list[Path]:
    """
    Write a run's files into `out_dir`, all or none: tables, GIS files and the map. The
    GIS files are written in a forked child process while this one builds the map, where
    that is safe (`redeploy.io.forked.can_fork`); the files are the same either way.

    Parameters
    ----------
    output
        From `run_scenario`.
    out_dir
        Output folder (created if needed).
    layers
        Every layer for the map and the GIS files (the model's layers and the basemap,
        `with_basemap`); by default the run's own layers without a basemap.
    formats
        Any of ``csv`` (tables and summary), ``gpkg``, ``geojson``, ``parquet``, ``xlsx``.
    tiles
        Optional web-tile provider of the map.
    png
        Also write ``NAME.png`` (headless Chromium): True for the default slide, or the
        slide's size, region and title (`redeploy.render.slide.SlideOptions`).
    title, subtitle
        The map's title and the line under it.
    zone_metric
        What colours the zones first (`redeploy.render.build_map`).

    Returns
    -------
    list of Path
        The files written, where they are once published.

    Raises
    ------
    OutputError
        When a file cannot be written; earlier outputs are left as they were.
    BrowserError
        When `png` is set and headless Chromium is missing or fails: every other file is
        written first.
    """
    from redeploy.export import write_results
    from redeploy.render import write_map
    from redeploy.render.png import BrowserError, save_png
    from redeploy.render.slide import SlideOptions

    every_layer = dict(layers if layers is not None else output.layers)
    result = output.result
    failed: BrowserError | None = None
    with staged_output(out_dir, name=result.scenario, run_id=result.run_id) as stage:
        written: list[Path] = []
        if "csv" in formats:
            written += write_tables(output.result, stage).values()
        gis = [f for f in formats if f != "csv"]

        def gis_files() -> list[Path]:
            if not gis:
                return []
            return list(
                write_results(every_layer, result, stage, formats=gis, scenario=output.scenario)
            )

        # The GIS files in a child process while this one builds the map (`in_child`).
        with in_child(gis_files, fork=bool(gis)) as pending:
            html = write_map(
                every_layer,
                result,
                stage,
                tiles=tiles,
                title=title,
                subtitle=subtitle,
                zone_metric=zone_metric,
            )[0]
            written += pending.result()
        written.append(html)
        if png:
            options = png if isinstance(png, SlideOptions) else SlideOptions()
            try:
                written.append(save_png(html, options=options))
            except BrowserError as err:  # the map and tables are still worth having
                failed = err
        files = list(dict.fromkeys(published(written, stage, Path(out_dir))))
    if failed is not None:
        target = Path(out_dir) / html.with_suffix(".png").name
        msg = f"{target}: not written: {failed}; the map and tables were written to {out_dir}"
        raise BrowserError(msg)
    return files
