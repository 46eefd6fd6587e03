"""Build briefing maps (folium/Leaflet) from layers and an AllocationResult; save them offline.

`build_map` returns a `folium.Map` whose page needs no network: Leaflet is inlined from the
installed django-js-lib-leaflet package, folium's CDN links are removed, the basemap is the
`basemap` layer drawn as vectors. `render_html` gives the page's text with stable element
ids (same inputs, same bytes); `save_map` writes it atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure
from jinja2 import Template

from redeploy import palette
from redeploy.io.atomic import write_atomic
from redeploy.model.result import AllocationResult
from redeploy.render import assets, panels
from redeploy.render.collector import paused_collection
from redeploy.render.features import PANES, basemap_layer, point_layer, zone_layer
from redeploy.render.flows import flow_layers
from redeploy.render.fronts import front_forces, front_layer
from redeploy.render.geojson import script_data, script_json
from redeploy.render.home import home_layer
from redeploy.render.labels import map_labels
from redeploy.render.layerdata import LayerData
from redeploy.render.macros import GeoJsonLayer, PageData, RawHTML, SafeMacro
from redeploy.render.packing import pack_layers, uses_canvas
from redeploy.render.slide import SlideOptions
from redeploy.render.story import any_floor_held, headline
from redeploy.schemas import FLOWS_DRAW_ORDER, SCHEMAS, LayerKind, drawn_kinds

_DEFAULT_TITLE = "Where freed U.S. capacity could go"

_ATTRIBUTION = (
    "Countries: Natural Earth (public domain) · Figures: the source in each popup, "
    "geodata/SOURCES.md · Allocation: redeploy"
)


class _Head(Element):
    """Inline Leaflet, the page's CSS and its runtime into ``<head>``."""

    def __init__(self) -> None:
        super().__init__()
        self._name = "RedeployHead"

    def render(self, **kwargs: Any) -> str:
        css = (
            assets.page_css()
            .replace("{sea}", palette.SEA_COLOR)
            .replace("{home}", palette.HOME_COLOR)
        )
        return (
            f"<style>\n{assets.leaflet_css()}\n</style>\n"
            f"<script>\n{assets.leaflet_js()}\n</script>\n"
            f"<style>{css}</style>\n<script>{assets.page_js()}</script>"
        )


class _Setup(SafeMacro):
    """Create the panes, set the attribution, and add the title/panel/legend controls."""

    _template = Template(
        """{% macro script(this, kwargs) %}
RD.panes({{ this._parent.get_name() }}, {{ this.panes }});
{{ this._parent.get_name() }}.attributionControl.setPrefix(false);
{{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.attribution }});
{% endmacro %}"""
    )

    def __init__(self, attribution: str) -> None:
        super().__init__()
        self._name = "RedeploySetup"
        self.panes = script_json(dict(PANES))
        # Leaflet inserts attributions as HTML: escape, then embed as a JSON string.
        self.attribution = script_json(panels.esc(attribution))


class _Controls(SafeMacro):
    """Move the pre-rendered, escaped HTML blocks into Leaflet controls, add the labels, fit
    the first view clear of the title, panel and legend, and mark the page ready."""

    _template = Template(
        """{% macro script(this, kwargs) %}
{%- for id, pos in this.blocks %}
RD.control({{ id }}, {{ pos }}).addTo({{ this._parent.get_name() }});
{%- endfor %}
RD.labels({{ this._parent.get_name() }}, {{ this.labels }});
RD.ready({{ this._parent.get_name() }}, {{ this.flows }}, {{ this.bounds }});
{% endmacro %}"""
    )

    def __init__(
        self,
        blocks: Sequence[tuple[str, str]],
        flows: int,
        *,
        bounds: list[list[float]] | None = None,
        labels: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__()
        self._name = "RedeployControls"
        self.blocks = [(script_json(i), script_json(p)) for i, p in blocks]
        self.flows = int(flows)
        self.bounds = script_json(bounds)
        self.labels = script_data(list(labels))


def _add_layer(
    m: folium.Map, data: LayerData, collection: dict[str, Any] | None = None
) -> folium.FeatureGroup:
    # Leaflet's layer control inserts names as HTML, so names are escaped here.
    group = folium.FeatureGroup(
        name=panels.esc(data.title), overlay=True, control=True, show=data.show
    )
    group.add_child(GeoJsonLayer(data, collection))
    m.add_child(group)
    return group


def _tile_layer(tiles: str) -> folium.TileLayer:
    import xyzservices

    try:
        provider = xyzservices.providers.query_name(tiles)
    except ValueError as err:
        msg = (
            f"unknown tile provider {tiles!r}: give an xyzservices name such as "
            "'OpenStreetMap.Mapnik' or 'CartoDB.Positron'"
        )
        raise ValueError(msg) from err
    return folium.TileLayer(
        tiles=provider, name=panels.esc(provider.name), overlay=False, control=True
    )


def _bounds(layers: Mapping[str, gpd.GeoDataFrame]) -> list[list[float]]:
    """The first view: the fronts and the peripheral zones (what moves, from where, to
    where); outlying items (the Bering and Drake chokepoints) stay a pan away. Without
    either layer, every data layer frames it; backdrop kinds (the basemap) never do."""
    boxes = []
    framing = [LayerKind.FRONTS, LayerKind.PERIPHERAL_ZONES]
    if not any(layers.get(k) is not None and not layers[k].empty for k in framing):
        framing = [LayerKind(k) for k, s in SCHEMAS.items() if not s.role.backdrop]
    for kind in framing:
        gdf = layers.get(kind)
        if gdf is not None and not gdf.empty:
            boxes.append(gdf.total_bounds)
    if not boxes:
        return [[-55.0, -170.0], [72.0, 170.0]]
    minx = min(b[0] for b in boxes)
    miny = min(b[1] for b in boxes)
    maxx = max(b[2] for b in boxes)
    maxy = max(b[3] for b in boxes)
    return [
        [round(max(miny, -75.0), 1), round(minx, 1)],
        [round(min(maxy, 80.0), 1), round(maxx, 1)],
    ]


def new_map(
    layers: Mapping[str, gpd.GeoDataFrame], *, tiles: str | None = None, title: str = ""
) -> folium.Map:
    """
    Return an empty offline map: inlined Leaflet, no CDN links, optional web tiles.

    Parameters
    ----------
    layers
        Input layers (their extent sets the initial view).
    tiles
        An xyzservices provider name (``"OpenStreetMap.Mapnik"``) to add web tiles, or
        None for the offline vector basemap only.
    title
        Page title (``<title>``), escaped here.
    """
    m = folium.Map(
        location=[20.0, 20.0],
        zoom_start=2,
        tiles=None,
        zoom_control="topright",
        zoom_snap=0.25,
        zoom_delta=0.5,
        min_zoom=1,
        world_copy_jump=False,
    )
    # folium links jQuery, Bootstrap, awesome-markers and Leaflet from CDNs: none is used.
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    root.title = panels.esc(title)
    root.header.add_child(_Head(), name="redeploy_head")
    if tiles:
        m.add_child(_tile_layer(tiles))
    m.add_child(_Setup(_ATTRIBUTION))
    fit_view(m, _bounds(layers))
    return m


def fit_view(m: folium.Map, bounds: list[list[float]], *, right: int = 0) -> None:
    """
    Set the bounds the first view fits: the page fits them once its title, panel and legend
    are drawn, clear of each as measured (`RD.fit`), so no window size hides the data.

    `right` is kept for callers; the panel's width is measured instead. The fit runs
    without animation: a zoom animation would still run when the page marks itself ready,
    and a screenshot taken then would catch an in-between frame (PNGs would differ).
    """
    m._rd_bounds = bounds  # type: ignore[attr-defined]  # read by finish_map


def add_layers(m: folium.Map, data: Sequence[LayerData]) -> None:
    """
    Add each layer as a toggleable `folium.FeatureGroup` holding one `GeoJsonLayer`; texts
    repeated across the page are stored once, and a page with a large layer is drawn on a
    canvas (`redeploy.render.packing`).
    """
    texts, collections = pack_layers(data)
    m.add_child(PageData(texts, uses_canvas(data)))
    for d, collection in zip(data, collections, strict=True):
        _add_layer(m, d, collection)


def finish_map(
    m: folium.Map,
    *,
    title: str,
    subtitle: str,
    panel: str,
    legend: str,
    flows: int,
    labels: Sequence[Mapping[str, Any]] = (),
) -> folium.Map:
    """Add the layer control (folded: it opens on hover), title, panel, legend and labels;
    make every element id stable."""
    folium.LayerControl(position="topright", collapsed=True).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)
    # Raw text, not branca's Element: that would compile the data in them as Jinja.
    root.html.add_child(RawHTML(panels.title_html(title, subtitle)), name="rd_title")
    root.html.add_child(RawHTML(panel), name="rd_panel")
    root.html.add_child(RawHTML(legend), name="rd_legend")
    m.add_child(
        _Controls(
            [("rd-title", "topleft"), ("rd-panel", "topright"), ("rd-legend", "bottomleft")],
            flows,
            bounds=getattr(m, "_rd_bounds", None),
            labels=labels,
        )
    )
    stabilise_ids(m)
    return m


@paused_collection
def build_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    tiles: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    zone_metric: str = "military",
) -> folium.Map:
    """
    Build the briefing map of one allocation run.

    Layers, bottom to top: the vector basemap, peripheral zones coloured by what this run
    adds (forces, engagement or value: the legend switches), mineral zones, the forces
    moved (kpe, solid, colour by class) and the engagement funded ($bn/yr, dotted gold),
    each flow layer on its own width scale along `result.routes`, supply nodes, the sites
    that can host U.S. forces, the existing U.S. presence (rings), chokepoints, the fronts
    (a filled circle for the U.S. forces that leave inside a ring for those there today),
    and the U.S. home pool (a star). Each is a toggleable overlay; estimated features are
    drawn dashed and lighter; popups and tooltips show values with units and sources;
    permanent labels name the fronts, the zones that receive and the top chokepoints. A
    title, a scenario panel that follows the money (allied spending, forces freed, where
    they go, the double burden) and a legend with the key of units explain it.

    Parameters
    ----------
    layers
        Validated layers keyed by kind (``"fronts"``, ``"chokepoints"``, ...,
        ``"basemap"``), as `redeploy.layers.read_layers` returns them. Missing kinds are
        left out.
    result
        The solved allocation. Only its frames are read.
    tiles
        An xyzservices provider name (``"OpenStreetMap.Mapnik"``) to add web tiles; by
        default the map needs no network at all.
    title, subtitle
        Title shown on the map (a generic one by default) and the line under it (by
        default: what allies pay, and what goes abroad to how many zones).
    zone_metric
        The zone colours shown first: ``"military"`` (forces added, kpe), ``"engagement"``
        ($bn/yr) or ``"all"`` (value realised, $bn-eq/yr index).

    Returns
    -------
    folium.Map
        The map; write it with `save_map`.
    """
    title = title or _DEFAULT_TITLE
    m = new_map(layers, tiles=tiles, title=f"{title} · {result.scenario}")
    data = list(iter_layer_data(layers, result, tiles=tiles, zone_metric=zone_metric))
    add_layers(m, data)
    flows = sum(d.count for d in data if d.kind.startswith("flows"))
    if subtitle is None:
        subtitle = f"Scenario {result.scenario}: {headline(result)}"
    return finish_map(
        m,
        title=title,
        subtitle=subtitle,
        panel=panels.panel_html(result, layers),
        legend=panels.legend_html(data, floors=any_floor_held(result)),
        flows=flows,
        labels=map_labels(layers, result, data, front_forces(result)),
    )


def iter_layer_data(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    tiles: str | None = None,
    zone_metric: str = "military",
) -> Iterator[LayerData]:
    """Yield the drawable layers of a run, bottom to top."""
    zones_gdf = layers.get(LayerKind.PERIPHERAL_ZONES)
    zones = [zone_layer(zones_gdf, result, metric=zone_metric)] if zones_gdf is not None else []
    # Listed even when empty, so every run's map has the same layers.
    flows = flow_layers(layers, result) if result.routes is not None else None
    yield from stack_layers(layers, result, zones=zones, flows=flows, tiles=tiles)


def stack_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    *,
    zones: Sequence[LayerData] = (),
    flows: LayerData | Sequence[LayerData] | None = None,
    tiles: str | None = None,
) -> list[LayerData]:
    """
    Return a map's layers bottom to top, in the kinds' drawing order (`LayerRole.draw_order`).

    The basemap (a backdrop kind) and the marker kinds are drawn here (the fronts as what
    leaves inside what is there today, `front_layer`); each map colours the peripheral
    zones its own way and passes those layers as `zones`, and its `flows` (one layer or
    several), which go at `FLOWS_DRAW_ORDER`. The U.S. home pool's marker, when the result
    has one, goes on top.

    Parameters
    ----------
    layers
        Validated layers keyed by kind; missing kinds are left out.
    result
        The result whose figures the markers' popups show.
    zones
        The layers drawn in place of the peripheral zones.
    flows
        The flows layer(s), or None for a map without flows.
    tiles
        Web tiles of the map, if any: the basemap is then hidden at first.
    """
    out: list[LayerData] = []
    pending = [flows] if isinstance(flows, LayerData) else list(flows or [])
    for kind in drawn_kinds():
        role = SCHEMAS[LayerKind(kind)].role
        if pending and role.draw_order > FLOWS_DRAW_ORDER:
            out.extend(pending)
            pending = []
        gdf = layers.get(kind)
        if gdf is None:
            continue
        if role.backdrop:
            out.append(basemap_layer(gdf, show=not tiles))
        elif kind == LayerKind.PERIPHERAL_ZONES:
            out.extend(zones)
        elif kind == LayerKind.FRONTS:
            out.append(front_layer(gdf, result))
        else:
            out.append(point_layer(kind, gdf, result))
    out.extend(pending)
    home = home_layer(layers, result)
    if home is not None:
        out.append(home)
    return out


def _walk(element: Element) -> Iterator[Element]:
    yield element
    if isinstance(element, Figure):
        for part in (element.header, element.html, element.script):
            yield from _walk(part)
    for child in list(element._children.values()):
        yield from _walk(child)


def stabilise_ids(m: folium.Map) -> None:
    """Replace folium's random element ids by a counter in tree order (stable output)."""
    for i, element in enumerate(_walk(m.get_root())):
        element._id = f"{i:03d}"


# folium and branca name elements "<kind>_<32 hex digits>"; `stabilise_ids` numbers the
# tree, and any element created while rendering gets a counter in order of appearance.
_RANDOM_ID = re.compile(r"[0-9a-f]{32}")
_HEX_AFTER_UNDERSCORE = re.compile(r"_([0-9a-f]{32})")


def _first_places(text: str, names: set[str]) -> dict[str, int]:
    """
    ``{name: where it first occurs in text}`` of the `names` (each ``<kind>_<32 hex
    digits>``) found in `text`: one scan for an underscore and 32 hex digits, instead of
    a search of the whole page (megabytes of data at scale) for each name.
    """
    by_id = {n[-32:]: n for n in names}
    out: dict[str, int] = {}
    for match in _HEX_AFTER_UNDERSCORE.finditer(text):
        name = by_id.get(match.group(1))
        if name is None or name in out:
            continue
        at = match.end() - len(name)
        if at >= 0 and text.startswith(name, at):
            out[name] = at
    return out


def render_html(m: folium.Map) -> str:
    """
    Render the map's page as text, byte-stable for the same inputs.

    Returns
    -------
    str
        The complete HTML document.
    """
    stabilise_ids(m)
    root = m.get_root()
    text = root.render()
    # Only the names of elements still carrying a random id are replaced, never text from
    # the data that merely looks like one (a source address with a 32-digit hash).
    names = {e.get_name() for e in _walk(root) if _RANDOM_ID.fullmatch(e._id)}
    found = sorted((at, n) for n, at in _first_places(text, names).items())
    for i, (_, name) in enumerate(found):
        text = text.replace(name, name[:-32] + f"x{i:03d}")
    # Trailing spaces from folium's templates only cost bytes, as do runs of blank lines
    # (what ``re.sub(r"[ \t]+\n", "\n", ...)`` then ``re.sub(r"\n{3,}", "\n\n", ...)``
    # give, without scanning the page's data character by character).
    lines = text.split("\n")
    text = "\n".join([line.rstrip(" \t") for line in lines[:-1]] + lines[-1:])
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


@paused_collection
def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """
    Write the map's page to `path` atomically (a temporary file, then `os.replace`).

    Parameters
    ----------
    m
        A map from `build_map` or `build_compare_map`.
    path
        Output ``.html`` file; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    return write_atomic(Path(path), render_html(m))


def write_map(
    layers: Mapping[str, gpd.GeoDataFrame],
    result: AllocationResult,
    out_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    tiles: str | None = None,
    png: bool | SlideOptions = False,
    title: str | None = None,
    subtitle: str | None = None,
    zone_metric: str = "military",
) -> list[Path]:
    """
    Write the map of a run as ``OUT/NAME.html`` (and ``OUT/NAME.png`` with `png`).

    This is what ``redeploy run`` calls after solving.

    Parameters
    ----------
    layers
        The layers the run used, keyed by kind (the basemap included).
    result
        The solved allocation.
    out_dir
        Output folder (created if needed).
    name
        File stem; defaults to the scenario name.
    tiles
        Optional xyzservices provider name for web tiles (``--tiles``).
    png
        Also render a PNG slide with headless Chromium (``--png``): True for the defaults
        (`SLIDE_SIZE`, the whole map, the page's title), or `SlideOptions` for a size, a
        region and a title of the slide's own.
    title, subtitle
        Map title and the line under it (HTML and PNG).
    zone_metric
        What colours the zones first (`build_map`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name or result.scenario).strip("._") or "map"
    html_path = save_map(
        build_map(
            layers, result, tiles=tiles, title=title, subtitle=subtitle, zone_metric=zone_metric
        ),
        Path(out_dir) / f"{stem}.html",
    )
    files = [html_path]
    if png:
        from redeploy.render.png import save_png

        options = png if isinstance(png, SlideOptions) else SlideOptions()
        files.append(save_png(html_path, options=options))
    return files


def check_tiles(tiles: str | None) -> None:
    """Raise ValueError unless `tiles` is None or a known xyzservices provider name."""
    if tiles:
        _tile_layer(tiles)
