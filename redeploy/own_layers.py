"""Own layers: features added to a shipped kind (``--add-layer KIND=FILE``) and the record of
every layer file a run reads.

An added file holds features of one kind. Columns it leaves empty (or lacks) get the
defaults its schema declares (`LayerSchema.added`: name, source, source year,
importance by kind, ...) and such a feature is marked ``estimate``, with the defaults
named in its ``notes``. Its ids must not collide with the layer's. A feature that lies
farther from the countries its ISO3 column names than the kind allows
(`AddedRules.country_km`) is warned about, which catches swapped longitude and latitude.
docs/own-layers.md describes it for users.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import shapely.ops
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from redeploy.errors import LayerValidationError, Problem
from redeploy.layers import (
    _COORDINATE_PROBLEMS,
    default_layers_dir,
    read_layers,
    resolve_layer_paths,
)
from redeploy.layers import _read_raw as read_raw
from redeploy.schemas import LayerKind, LayerSchema, get_schema
from redeploy.validation import _validate as validate_frame
from redeploy.validation import is_missing

log = logging.getLogger(__name__)

#: Where a layer file comes from: the shipped set, the user's files replacing a kind
#: (``--layers``, ``--layer``), or the user's files adding features (``--add-layer``).
ORIGINS: tuple[str, ...] = ("shipped", "own", "added")


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class LayerFile:
    """One layer file a run read: its kind, path, origin (`ORIGINS`) and SHA-256."""

    kind: str
    path: Path
    origin: str
    sha256: str

    @property
    def shown_path(self) -> str:
        """The path as recorded: relative to the shipped folder for shipped files (the
        same on every machine), as given otherwise."""
        if self.origin == "shipped":
            try:
                return self.path.resolve().relative_to(default_layers_dir().resolve()).as_posix()
            except ValueError:
                pass
        return self.path.as_posix()

    def record(self) -> dict[str, str]:
        """The file as ``summary.json`` lists it."""
        return {
            "kind": self.kind,
            "origin": self.origin,
            "path": self.shown_path,
            "sha256": self.sha256,
        }


def _origin(path: Path) -> str:
    try:
        path.resolve().relative_to(default_layers_dir().resolve())
    except ValueError:
        return "own"
    return "shipped"


@dataclass(frozen=True)
class LayerSet:
    """Validated layers with the files they came from and the warnings reading them gave."""

    frames: dict[str, gpd.GeoDataFrame]
    files: tuple[LayerFile, ...]
    warnings: tuple[str, ...] = ()

    @property
    def added(self) -> tuple[LayerFile, ...]:
        """The files of features added to shipped kinds, in the order given."""
        return tuple(f for f in self.files if f.origin == "added")

    def hashed_paths(self) -> dict[str, Path]:
        """``{key: path}`` of every file, for the run id: the kind for the file of each
        kind, ``KIND+added:N`` for added files (so a run without them keeps its id)."""
        out = {f.kind: f.path for f in self.files if f.origin != "added"}
        for n, f in enumerate(self.added):
            out[f"{f.kind}+added:{n}"] = f.path
        return out

    def run_name(self, scenario: str) -> str:
        """The name of a run of `scenario` on these layers: ``SCENARIO_with_STEM`` when
        files are added (``baseline_with_ports``, ``baseline_with_ports_and_mines``), the
        scenario's name otherwise. Only letters, digits, ``_``, ``.`` and ``-``, which file
        names and every output keep as they are."""
        stems = [re.sub(r"[^A-Za-z0-9_.-]+", "_", f.path.stem).strip("._") for f in self.added]
        if not stems:
            return scenario
        return f"{scenario}_with_{'_and_'.join(s or 'layer' for s in stems)}"

    def records(self) -> list[dict[str, str]]:
        """Every file as ``summary.json`` lists it (`LayerFile.record`)."""
        return [f.record() for f in self.files]


def read_layer_set(
    layers_dir: str | Path | None = None,
    *,
    overrides: Mapping[str, str | Path] | None = None,
    additions: Mapping[str, Sequence[str | Path]] | None = None,
    kinds: Iterable[str | LayerKind] | None = None,
    crs: str | None = None,
) -> LayerSet:
    """
    Read the layers as `redeploy.layers.read_layers` does, then add the features of
    `additions` to their kinds.

    Parameters
    ----------
    layers_dir, overrides, kinds, crs
        As for `read_layers`.
    additions
        ``{kind: [file, ...]}``: features added to the layer of that kind (which must be
        among `kinds`), with the defaults of `LayerSchema.added`.

    Returns
    -------
    LayerSet
        The layers, every file read (path, origin, SHA-256) and one warning per added
        feature that lies outside the countries it names.

    Raises
    ------
    LayerValidationError
        For a file that breaks its schema, an added id that is already in the layer, or
        an addition to a kind not read.
    """
    paths = resolve_layer_paths(layers_dir, overrides=overrides, kinds=kinds)
    frames = read_layers(layers_dir, overrides=overrides, kinds=kinds, crs=crs)
    files = [LayerFile(k, Path(p), _origin(Path(p)), file_sha256(p)) for k, p in paths.items()]
    for f in files:
        log.info("layer %s: %s (%s, sha256 %s)", f.kind, f.path, f.origin, f.sha256[:12])
    warnings: list[str] = []
    added = [(LayerKind(k).value, Path(p)) for k, ps in (additions or {}).items() for p in ps]
    if added:
        basemap = read_layers(layers_dir, overrides=overrides, kinds=["basemap"], crs=crs)
        for kind, path in added:
            if kind not in frames:
                problem = Problem(
                    f"cannot add features to layer '{kind}': this command does "
                    f"not read it (it reads {', '.join(frames)})"
                )
                raise LayerValidationError(path, kind, [problem])
            features = read_added_layer(path, kind, crs=crs)
            frames[kind] = add_features(frames[kind], features, kind=kind, path=path)
            warnings += country_warnings(features, kind, basemap["basemap"], source=path)
            files.append(LayerFile(kind, path, "added", file_sha256(path)))
            log.info("added %d feature(s) from %s to layer %s", len(features), path, kind)
    return LayerSet(frames, tuple(files), tuple(warnings))


def fill_defaults(
    raw: gpd.GeoDataFrame, schema: LayerSchema, *, file_name: str
) -> gpd.GeoDataFrame:
    """
    Return `raw` (an added file's features, before validation) with the kind's defaults
    (`AddedRules.defaults`) filled where a value is empty or the column is missing; each
    feature that took a default is marked ``estimate`` and its ``notes`` name them.
    """
    out = raw.copy()
    id_col = schema.id_column
    ids = [None if is_missing(v) else str(v) for v in out.get(id_col, [None] * len(out))]
    filled: dict[int, list[str]] = {}
    for col, default in schema.added.defaults.items():
        values = list(out[col]) if col in out.columns else [None] * len(out)
        by = list(out[default.by]) if default.by and default.by in out.columns else None
        for i, value in enumerate(values):
            if not is_missing(value) or ids[i] is None:
                continue
            new = default.for_feature(ids[i] or "", file_name, by[i] if by else None)
            if new is not None:
                values[i] = new
                filled.setdefault(i, []).append(f"{col} = {new!r}")
        out[col] = pd.Series(values, index=out.index, dtype=object)
    if not filled:
        return out
    notes = list(out["notes"]) if "notes" in out.columns else [None] * len(out)
    confidence = list(out["confidence"])
    for i, names in filled.items():
        confidence[i] = "estimate"
        said = f"defaults of --add-layer (docs/own-layers.md): {', '.join(names)}"
        notes[i] = said if is_missing(notes[i]) else f"{notes[i]}; {said}"
    out["confidence"] = pd.Series(confidence, index=out.index, dtype=object)
    out["notes"] = pd.Series(notes, index=out.index, dtype=object)
    return out


def read_added_layer(
    path: str | Path, kind: str | LayerKind, *, crs: str | None = None
) -> gpd.GeoDataFrame:
    """
    Read a file of features to add to layer `kind`: defaults filled (`fill_defaults`),
    then validated against the kind's schema.

    Raises
    ------
    LayerValidationError
        With every problem found, as for `redeploy.layers.read_layer`.
    """
    path = Path(path)
    schema = get_schema(kind)
    if not path.exists():
        raise LayerValidationError(path, schema.kind.value, [Problem("file not found")])
    raw = read_raw(path, schema, crs=crs)
    coordinates = raw.attrs.pop(_COORDINATE_PROBLEMS, {})
    filled = fill_defaults(raw, schema, file_name=path.name)
    return validate_frame(filled, schema, source=path, coordinate_problems=coordinates)


def add_features(
    layer: gpd.GeoDataFrame, features: gpd.GeoDataFrame, *, kind: str, path: str | Path
) -> gpd.GeoDataFrame:
    """
    Return `layer` with `features` appended (the layer's rows first).

    Raises
    ------
    LayerValidationError
        Naming each added feature whose id the layer already has.
    """
    schema = get_schema(kind)
    taken = set(layer[schema.id_column].astype(str))
    problems = [
        Problem(
            f"id {fid!r} is already a feature of layer '{kind}'; ids must be unique across "
            f"the layer: give this feature another id (or replace the whole layer with "
            f"--layer {kind}=PATH)",
            feature_id=fid,
            row=i + 1,
            column=schema.id_column,
        )
        for i, fid in enumerate(features[schema.id_column].astype(str))
        if fid in taken
    ]
    if problems:
        raise LayerValidationError(path, kind, problems)
    merged = pd.concat([layer, features], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=layer.geometry.name, crs=layer.crs)


_GEOD = Geod(ellps="WGS84")


def country_shapes(basemap: gpd.GeoDataFrame, codes: Iterable[str]) -> dict[str, BaseGeometry]:
    """Return ``{iso3: shape}`` of the `codes` the basemap has (its features joined)."""
    wanted = set(codes)
    shapes = basemap[basemap["iso3"].isin(wanted)]
    return {
        str(code): shapely.union_all(group.geometry.to_numpy())
        for code, group in shapes.groupby("iso3")
    }


def _km_outside(point: BaseGeometry, shapes: Sequence[BaseGeometry]) -> float:
    """Geodesic km from `point` to the nearest of `shapes` (0 inside one)."""
    best = math.inf
    for shape in shapes:
        if shape.covers(point):
            return 0.0
        near = shapely.ops.nearest_points(point, shape)[1]
        best = min(best, _GEOD.inv(point.x, point.y, near.x, near.y)[2] / 1000.0)
    return best


def country_warnings(
    features: gpd.GeoDataFrame, kind: str, basemap: gpd.GeoDataFrame, *, source: str | Path
) -> list[str]:
    """
    Warn about each feature farther than `AddedRules.country_km` from every country its
    `AddedRules.country_column` names (codes the basemap lacks are not checked).
    """
    schema = get_schema(kind)
    column = schema.added.country_column
    if column is None or column not in features.columns or len(features) == 0:
        return []
    codes_of = [str(v).split(";") for v in features[column]]
    shapes = country_shapes(basemap, {c for codes in codes_of for c in codes})
    out = []
    for i, (fid, codes, geom) in enumerate(
        zip(features[schema.id_column], features[column], features.geometry, strict=True)
    ):
        known = [shapes[c] for c in str(codes).split(";") if c in shapes]
        if geom is None or geom.is_empty or not known:
            continue
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        km = _km_outside(point, known)
        if km <= schema.added.country_km:
            continue
        swapped = shapely.Point(point.y, point.x)
        hint = (
            f"with longitude and latitude swapped it would lie in {codes}: check which "
            "column holds which"
            if abs(point.x) <= 90 and _km_outside(swapped, known) <= schema.added.country_km
            else f"check its coordinates (longitude first, then latitude) and its {column!r}"
        )
        out.append(
            f"warning: {source}: feature id={str(fid)!r} (row {i + 1}): its point "
            f"(lon {point.x:.4f}, lat {point.y:.4f}) lies {km:,.0f} km from {codes} (column "
            f"{column!r}), more than the {schema.added.country_km:g} km allowed; {hint}"
        )
    return out


def added_defaults_markdown() -> str:
    """The defaults an added feature gets, per kind (docs/own-layers.md)."""
    lines = ["| layer | column | default when empty |", "|---|---|---|"]
    for schema in (get_schema(k) for k in LayerKind):
        for col, default in schema.added.defaults.items():
            lines.append(f"| `{schema.kind.value}` | `{col}` | {default.rule} |")
    lines += [
        "",
        "| layer | ISO3 column checked | farthest from those countries before a warning |",
        "|---|---|---|",
    ]
    for schema in (get_schema(k) for k in LayerKind):
        rules = schema.added
        if rules.country_column:
            lines.append(
                f"| `{schema.kind.value}` | `{rules.country_column}` | {rules.country_km:g} km |"
            )
    return "\n".join(lines) + "\n"
