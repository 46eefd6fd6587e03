"""Which flows a scenario's problem has: the access rules and each flow's distance.

`access_mask` says which (source, destination, class) basing access and port calls allow;
`flow_structure` turns a mask into the flow variables with their distances (sea lanes for
naval, great circles for the others; flows home end at the nearest homeland point).
"""

from __future__ import annotations

import numpy as np

from redeploy.model.base import ModelBase
from redeploy.model.repricing import MILITARY
from redeploy.schemas import ASSETS

#: (A,) True for the classes that follow sea lanes.
SEA_ASSETS = np.array([a == "naval" for a in ASSETS])


def access_mask(base: ModelBase, access: np.ndarray, port_calls: bool = True) -> np.ndarray:
    """
    (F+1, Z+1, A) True for every flow basing access (or at-sea presence) allows: engagement
    everywhere, military classes into zones with access, naval also off zones with port
    calls, military capacity home from every front; never from a front to its own hosts.
    """
    n_f, n_z = len(base.fronts.ids), len(base.zones.ids)
    allowed = np.ones((n_f + 1, n_z + 1, len(ASSETS)), dtype=bool)
    basing = access[:n_z] != "none"
    allowed[:, :n_z, :] &= np.where(MILITARY[None, :], basing[:, None], True)[None, :, :]
    if port_calls:
        naval = ASSETS.index("naval")
        allowed[:, :n_z, naval] |= base.zones.port_calls[None, :]
    allowed[:n_f, :n_z, :] &= ~base.same_country[:, :, None]
    allowed[:, n_z, :] = MILITARY[None, :]  # home takes military capacity back
    allowed[n_f, n_z, :] = False  # home to home is no flow
    return allowed


def flow_structure(base: ModelBase, mask: np.ndarray) -> dict[str, np.ndarray]:
    """
    Return the flow variables of the (F+1, Z+1, A) `mask`: indices, distance (km), sea lane.

    Naval flows follow sea lanes, the others great circles; flows home end (and flows
    from home start) at the nearest homeland point.
    """
    n_f, n_z = len(base.fronts.ids), len(base.zones.ids)
    f_idx, z_idx, a_idx = np.nonzero(mask)
    is_sea = SEA_ASSETS[a_idx]
    gc = np.zeros((n_f + 1, n_z + 1))
    sea = np.zeros((n_f + 1, n_z + 1))
    gc[:n_f, :n_z], sea[:n_f, :n_z] = base.great_circle_km, base.sea_km
    gc[:n_f, n_z], sea[:n_f, n_z] = base.front_home_km[:, 0], base.front_home_km[:, 1]
    gc[n_f, :n_z], sea[n_f, :n_z] = base.zone_home_km[:, 0], base.zone_home_km[:, 1]
    dist = np.where(is_sea, sea[f_idx, z_idx], gc[f_idx, z_idx])
    return {
        "flow_front": f_idx.astype(np.int64),
        "flow_zone": z_idx.astype(np.int64),
        "flow_asset": a_idx.astype(np.int64),
        "flow_distance_km": dist,
        "flow_sea": is_sea,
    }
