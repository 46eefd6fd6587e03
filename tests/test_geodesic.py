"""Thomas's second-order distance against pyproj's WGS84 geodesic (`redeploy.model.geodesic`)."""

from __future__ import annotations

import numpy as np

from redeploy.model.geodesic import (
    THOMAS_MAX_KM,
    THOMAS_REL_ERROR,
    parametric_xyz,
    thomas_km,
    value_distances_km,
)
from redeploy.model.routes import geodesic_km


def _pairs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs worldwide: a quarter within a few degrees, an eighth near the antipode
    (down to exactly antipodal), and poles, the equator, meridians and parallels."""
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, (2, n))))
    a = np.column_stack([rng.uniform(-180, 180, n), lat[0]])
    b = np.column_stack([rng.uniform(-180, 180, n), lat[1]])
    k, m = n // 4, n // 8
    b[:k] = a[:k] + rng.normal(0, 3, (k, 2))
    b[k : 2 * k] = a[k : 2 * k] + rng.normal(0, 0.01, (k, 2))
    near = 10.0 ** rng.uniform(-9, 1, (m, 1)) * rng.normal(0, 1, (m, 2))
    b[2 * k : 2 * k + m] = np.column_stack(
        [a[2 * k : 2 * k + m, 0] + 180, -a[2 * k : 2 * k + m, 1]]
    )
    b[2 * k : 2 * k + m] += near
    b[2 * k : 2 * k + 50] = np.column_stack(
        [a[2 * k : 2 * k + 50, 0] + 180, -a[2 * k : 2 * k + 50, 1]]
    )
    b[:, 1] = np.clip(b[:, 1], -90, 90)
    a[:100, 1] = 90.0
    b[100:200, 1] = -90.0
    a[200:300, 1] = b[200:300, 1] = 0.0  # along the equator
    b[300:400, 0] = a[300:400, 0]  # along a meridian
    b[400:500, 1] = a[400:500, 1]  # along a parallel
    b[500:600] = a[500:600]  # the same point
    return a, b


def test_thomas_is_within_its_stated_error_of_the_geodesic_wherever_it_answers():
    a, b = _pairs(400_000, 0)
    exact = geodesic_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    got = thomas_km(parametric_xyz(a[:, 0], a[:, 1]), parametric_xyz(b[:, 0], b[:, 1]))
    answered = ~np.isnan(got)
    assert answered.sum() > 250_000
    np.testing.assert_allclose(got[answered], exact[answered], rtol=THOMAS_REL_ERROR, atol=1e-12)
    assert exact[answered].max() <= THOMAS_MAX_KM
    # It answers up to its range: nothing much shorter is left to pyproj.
    assert exact[~answered].min() >= 0.99 * THOMAS_MAX_KM
    assert (got[500:600] == 0.0).all()
    # The error is real: the bound is not loose by orders of magnitude.
    rel = np.abs(got[answered] - exact[answered]) / np.maximum(exact[answered], 1e-9)
    assert rel.max() > THOMAS_REL_ERROR / 10


def test_value_distances_are_thomas_then_the_geodesic_beyond_its_range():
    a, b = _pairs(100_000, 1)
    pa, pb = parametric_xyz(a[:, 0], a[:, 1]), parametric_xyz(b[:, 0], b[:, 1])
    exact = geodesic_km(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    thomas = thomas_km(pa, pb)
    got = value_distances_km(a, pa, b, pb)
    far = np.isnan(thomas)
    assert far.any() and (~far).any()
    assert np.isfinite(got).all() and (got >= 0).all()
    np.testing.assert_array_equal(got[far], exact[far])  # near-antipodal pairs among them
    np.testing.assert_array_equal(got[~far], thomas[~far])
    # A pair's distance does not depend on the other pairs computed with it.
    np.testing.assert_array_equal(value_distances_km(a[::7], pa[::7], b[::7], pb[::7]), got[::7])
