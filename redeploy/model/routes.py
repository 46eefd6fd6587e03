"""Transit distances and route geometry: sea lanes on searoute's network, great circles.

Naval flows follow sea lanes: the offline maritime network bundled with `searoute`
(Eurostat MARNET, the Northwest Passage closed as in searoute's default), searched with
one vectorised Dijkstra per origin (`scipy.sparse.csgraph`) instead of one query per
pair, so the result never depends on a cache. Other flows follow the great circle
(`pyproj.Geod`, WGS84). Route lines are split at the antimeridian into MultiLineStrings
with longitudes in [-180, 180], so a flow from Japan to Panama crosses the Pacific.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from platformdirs import user_cache_path
from pyproj import Geod
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString

if TYPE_CHECKING:
    import numpy.typing as npt

log = logging.getLogger(__name__)

#: The ellipsoid every geodesic distance of the model uses.
GEOD = Geod(ellps="WGS84")
#: Passages of searoute's network closed to routes (searoute's own default).
CLOSED_PASSAGES: frozenset[str] = frozenset({"northwest"})
#: Spacing of the intermediate points drawn along great circles (km).
GREAT_CIRCLE_STEP_KM = 250.0
#: Mean Earth radius (km) of the spherical distances used to rank and preselect.
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class SeaNetwork:
    """The maritime network as arrays: node coordinates and a symmetric CSR graph (km)."""

    lon: np.ndarray
    lat: np.ndarray
    graph: csr_matrix
    #: Indices of the nodes of the largest connected component (snapping targets).
    snappable: np.ndarray
    #: KD-tree of the snappable nodes on the unit sphere (chord distance = great circle).
    tree: cKDTree


def wrap_lon(lon: np.ndarray | float) -> np.ndarray:
    """Return longitudes wrapped to [-180, 180)."""
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def cache_dir() -> Path | None:
    """
    Return the folder of redeploy's disk cache, or None when caching is off.

    ``REDEPLOY_CACHE_DIR`` sets it (``""`` or ``"off"`` turns caching off); otherwise the
    platform's user cache folder (`platformdirs`: ``$XDG_CACHE_HOME/redeploy`` or
    ``~/.cache/redeploy`` on Linux).
    """
    env = os.environ.get("REDEPLOY_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    return user_cache_path("redeploy", appauthor=False)


def _searoute_version() -> str:
    try:
        return metadata.version("searoute")
    except metadata.PackageNotFoundError:  # pragma: no cover - searoute is a dependency
        return "unknown"


@lru_cache(maxsize=1)
def sea_network() -> SeaNetwork:
    """
    Return searoute's maritime network as a CSR graph (built once per process).

    The arrays are also kept in the disk cache (`cache_dir`), keyed by searoute's
    version: they are the same numbers, so results never depend on the cache; it only
    saves the ~0.15 s of importing searoute's network.

    Returns
    -------
    SeaNetwork
        Node coordinates (longitudes wrapped to [-180, 180)) and edge lengths in km.
    """
    folder = cache_dir()
    file = folder / f"sea-network-searoute-{_searoute_version()}-v1.npz" if folder else None
    if file is not None and file.is_file():
        try:
            with np.load(file) as z:
                log.debug("sea-lane network read from the cache %s", file)
                return _network_from_arrays(
                    z["lon"], z["lat"], z["indptr"], z["indices"], z["data"]
                )
        except (OSError, ValueError, KeyError):
            pass  # a broken cache file is rebuilt below
    lon, lat, mat = _build_sea_graph()
    log.debug("sea-lane network built from searoute (cache: %s)", file or "off")
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh, lon=lon, lat=lat, indptr=mat.indptr, indices=mat.indices, data=mat.data
                )
            os.replace(tmp, file)
        except OSError:
            pass  # no cache when the folder is not writable
    return _network_from_arrays(lon, lat, mat.indptr, mat.indices, mat.data)


def _build_sea_graph() -> tuple[np.ndarray, np.ndarray, csr_matrix]:
    import searoute

    graph = searoute.setup_M()
    # searoute fills networkx's private dicts directly; read them the same way (fast).
    adjacency = getattr(graph, "_adj", None) or dict(graph.adj)
    nodes = list(getattr(graph, "_node", None) or graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    rows: list[int] = []
    cols: list[int] = []
    weights: list[float] = []
    # One pass over searoute's adjacency dict; this runs once per process.
    for u, nbrs in adjacency.items():
        iu = index[u]
        for v, data in nbrs.items():
            if data.get("passage") in CLOSED_PASSAGES:
                continue
            rows.append(iu)
            cols.append(index[v])
            weights.append(float(data.get("weight", 0.0)))
    n = len(nodes)
    # csgraph drops explicit zeros; the 0-km links across the antimeridian must stay.
    w = np.maximum(np.asarray(weights), 1e-6)
    mat = csr_matrix((w, (np.asarray(rows), np.asarray(cols))), shape=(n, n))
    mat = mat.maximum(mat.T).tocsr()
    mat.sort_indices()
    coords = np.asarray(nodes, dtype=float)
    return wrap_lon(coords[:, 0]), coords[:, 1], mat


def _network_from_arrays(
    lon: np.ndarray, lat: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray
) -> SeaNetwork:
    n = len(lon)
    mat = csr_matrix((data, indices, indptr), shape=(n, n))
    _, labels = connected_components(mat, directed=False)
    main = np.bincount(labels).argmax()
    snappable = np.flatnonzero(labels == main)
    return SeaNetwork(
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        graph=mat,
        snappable=snappable,
        tree=cKDTree(unit_xyz(lon[snappable], lat[snappable])),
    )


def unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return (n, 3) unit vectors of lon/lat points (chord distance ranks as great circle)."""
    lo, la = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def haversine_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return spherical distances (km), broadcasting the inputs; used only for ranking."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


def geodesic_km(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> np.ndarray:
    """Return WGS84 geodesic distances (km) between paired points (vectorised)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        np.asarray(lon1, float),
        np.asarray(lat1, float),
        np.asarray(lon2, float),
        np.asarray(lat2, float),
    )
    if lon1.size == 0:
        return np.zeros(lon1.shape)
    _, _, dist = GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(dist).reshape(lon1.shape) / 1000.0


def snap_to_sea(lon: np.ndarray, lat: np.ndarray, net: SeaNetwork | None = None) -> np.ndarray:
    """Return, for each point, the index of the nearest node of the sea network."""
    net = net or sea_network()
    _, k = net.tree.query(unit_xyz(np.atleast_1d(lon), np.atleast_1d(lat)))
    return np.asarray(net.snappable[np.asarray(k, dtype=int)], dtype=np.intp)


def sea_distance_matrix(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """
    Return sea-lane distances (km) from every origin to every destination.

    Each end is snapped to the nearest network node; the geodesic legs from the points to
    their nodes are added. The network is undirected, so one Dijkstra runs per distinct
    node of whichever side has fewer (the origins on a tie): 1,300 fronts and 98 zones
    take 98 searches, not 1,300.

    Parameters
    ----------
    origins, destinations
        Arrays of shape (n, 2) and (m, 2) of lon/lat degrees.

    Returns
    -------
    numpy.ndarray
        Shape (n, m), km; ``inf`` where the network has no path.
    """
    origins = np.asarray(origins, dtype=float).reshape(-1, 2)
    destinations = np.asarray(destinations, dtype=float).reshape(-1, 2)
    if len(origins) == 0 or len(destinations) == 0:
        return np.zeros((len(origins), len(destinations)))
    net = sea_network()
    o_node = snap_to_sea(origins[:, 0], origins[:, 1], net)
    d_node = snap_to_sea(destinations[:, 0], destinations[:, 1], net)
    o_src, o_inv = np.unique(o_node, return_inverse=True)
    d_src, d_inv = np.unique(d_node, return_inverse=True)
    if len(d_src) < len(o_src):
        core = dijkstra(net.graph, directed=False, indices=d_src)[:, o_node][d_inv].T
    else:
        core = dijkstra(net.graph, directed=False, indices=o_src)[:, d_node][o_inv]
    o_leg = geodesic_km(origins[:, 0], origins[:, 1], net.lon[o_node], net.lat[o_node])
    d_leg = geodesic_km(destinations[:, 0], destinations[:, 1], net.lon[d_node], net.lat[d_node])
    return np.asarray(core + o_leg[:, None] + d_leg[None, :], dtype=float)


def great_circle_matrix(origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
    """Return geodesic distances (km) from every origin to every destination, shape (n, m)."""
    origins = np.asarray(origins, dtype=float).reshape(-1, 2)
    destinations = np.asarray(destinations, dtype=float).reshape(-1, 2)
    return geodesic_km(
        origins[:, None, 0], origins[:, None, 1], destinations[None, :, 0], destinations[None, :, 1]
    )


def sea_paths(pairs: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[np.ndarray]:
    """
    Return the sea-lane polyline of each (origin, destination) pair, ends included.

    One Dijkstra runs per distinct origin node; paths are read from its predecessors.
    """
    if not pairs:
        return []
    net = sea_network()
    o = np.asarray([p[0] for p in pairs], dtype=float)
    d = np.asarray([p[1] for p in pairs], dtype=float)
    o_node = snap_to_sea(o[:, 0], o[:, 1], net)
    d_node = snap_to_sea(d[:, 0], d[:, 1], net)
    sources, inverse = np.unique(o_node, return_inverse=True)
    _, pred = dijkstra(net.graph, directed=False, indices=sources, return_predecessors=True)
    out = []
    for k in range(len(pairs)):
        row = pred[inverse[k]]
        chain = [int(d_node[k])]
        while chain[-1] != o_node[k] and row[chain[-1]] >= 0:
            chain.append(int(row[chain[-1]]))
        chain.reverse()
        nodes = np.column_stack([net.lon[chain], net.lat[chain]])
        out.append(np.vstack([o[k], nodes, d[k]]))
    return out


def great_circle_paths(
    origins: np.ndarray, destinations: np.ndarray, step_km: float = GREAT_CIRCLE_STEP_KM
) -> list[np.ndarray]:
    """Return, for each (origin, destination) row pair of two (n, 2) lon/lat arrays, points
    along the geodesic between them every `step_km` or so (at most 256), ends included;
    every pair's length taken in one call."""
    dist = geodesic_km(origins[:, 0], origins[:, 1], destinations[:, 0], destinations[:, 1])
    counts = np.minimum(256, np.maximum(0, np.ceil(dist / step_km) - 1)).astype(int)
    out = []
    for (lon1, lat1), (lon2, lat2), n in zip(
        origins.tolist(), destinations.tolist(), counts.tolist(), strict=True
    ):
        mid = GEOD.npts(lon1, lat1, lon2, lat2, n) if n > 0 else []
        out.append(np.asarray([(lon1, lat1), *mid, (lon2, lat2)], dtype=float))
    return out


def split_antimeridian(coords: np.ndarray) -> LineString | MultiLineString:
    """
    Return a line with longitudes in [-180, 180], split where it crosses the antimeridian.

    A step whose longitude jumps by more than 180 degrees is taken to cross the
    antimeridian; the crossing latitude is interpolated on the unwrapped step.

    Parameters
    ----------
    coords
        Array (k, 2) of lon/lat points; longitudes may lie outside [-180, 180].
    """
    pts = np.asarray(coords, dtype=float).reshape(-1, 2).copy()
    pts[:, 0] = wrap_lon(pts[:, 0])
    jumps = np.abs(np.diff(pts[:, 0])) > 180.0
    if not jumps.any():  # one part: the same line without the loop below
        keep = np.concatenate([[True], (pts[1:] != pts[:-1]).any(axis=1)])
        if keep.sum() >= 2:
            return LineString(pts[keep])
        x, y = pts[0]
        return LineString([(x, y), (x, y)])
    parts: list[list[tuple[float, float]]] = [[tuple(pts[0])]]
    for i in range(1, len(pts)):
        (x0, y0), (x1, y1) = pts[i - 1], pts[i]
        if jumps[i - 1]:
            edge = 180.0 if x0 > 0 else -180.0
            x1u = x1 + 360.0 if x0 > 0 else x1 - 360.0
            t = 0.0 if x1u == x0 else (edge - x0) / (x1u - x0)
            yc = y0 + t * (y1 - y0)
            parts[-1].append((edge, yc))
            parts.append([(-edge, yc)])
        parts[-1].append((x1, y1))
    lines = []
    for part in parts:
        dedup = [part[0]] + [p for p, q in zip(part[1:], part[:-1], strict=True) if p != q]
        if len(dedup) >= 2:
            lines.append(LineString(dedup))
    if not lines:
        x, y = pts[0]
        return LineString([(x, y), (x, y)])
    if len(lines) == 1:
        return lines[0]
    return MultiLineString(lines)


def split_antimeridian_many(paths: list[np.ndarray]) -> list[LineString | MultiLineString]:
    """
    `split_antimeridian` of every path, the same geometries: the paths that stay on one
    side of the antimeridian (nearly all) made as lines in one `shapely.linestrings` call,
    the few that cross it one by one.
    """
    if not paths:
        return []
    sizes = np.array([len(p) for p in paths])
    pts = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in paths])
    pts[:, 0] = wrap_lon(pts[:, 0])
    owner = np.repeat(np.arange(len(paths)), sizes)
    inner = owner[1:] == owner[:-1]  # steps within one path
    crosses = np.zeros(len(paths), dtype=bool)
    crosses[owner[1:][inner & (np.abs(np.diff(pts[:, 0])) > 180.0)]] = True
    # A point is kept unless it repeats the one before it in the same path.
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = ~inner | (pts[1:] != pts[:-1]).any(axis=1)
    kept = np.bincount(owner[keep], minlength=len(paths))
    simple = ~crosses & (kept >= 2)
    out: list[LineString | MultiLineString | None] = [None] * len(paths)
    mask = keep & simple[owner]
    if mask.any():
        ids = np.flatnonzero(simple)
        rank = np.cumsum(simple) - 1  # path -> its position among the simple paths
        lines = shapely.linestrings(pts[mask], indices=rank[owner[mask]])
        for i, line in zip(ids.tolist(), lines.tolist(), strict=True):
            out[i] = line
    for i in np.flatnonzero(~simple).tolist():
        out[i] = split_antimeridian(paths[i])
    return out
