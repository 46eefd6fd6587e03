"""Numbers rounded so that the same inputs give the same outputs on any CPU.

The last digits of a double differ between machines for the same inputs: BLAS kernels and
numpy's SIMD maths (AVX-512 against AVX2) round differently, by up to 1e-14 relative in
this model's results (measured on the shipped scenarios). Outputs that keep full doubles
(the GIS result layers, the sweep's samples) round them with `significant`, and orderings
by a computed figure (the sweep's drivers) compare the rounded figures, so exact ties stay
ties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Significant digits of the result layers' numbers (`redeploy.export`). The solution and
#: its duals hold to HiGHS's tolerances (1e-7); rounded to these digits, the same inputs
#: give the same files on any machine (a last-digit difference of 1e-14 relative moves a
#: rounded figure only when it lies that close to a rounding boundary: about 1 in 10^5).
RESULT_DIGITS = 9
#: Exact powers of ten (each parsed from its decimal text, not computed by a maths library
#: whose last digit may differ between CPUs), indexed by exponent + `_POW10_BIAS`.
_POW10_BIAS = 300
_POW10 = np.array([float(f"1e{k}") for k in range(-_POW10_BIAS, _POW10_BIAS + 1)])


def significant(values: np.ndarray, digits: int = RESULT_DIGITS) -> np.ndarray:
    """
    Return float `values` rounded to `digits` significant digits, the same on every CPU for
    the same doubles: one multiplication by an exact power of ten, ``rint`` and one
    division (IEEE operations, correctly rounded everywhere). Zeros, non-finite values and
    magnitudes beyond 1e±280 are returned as they are.
    """
    x = np.asarray(values, dtype=float)
    magnitude = np.abs(x)
    ok = np.isfinite(x) & (magnitude >= 1e-280) & (magnitude <= 1e280)
    out = x.copy()
    exponent = np.floor(np.log10(magnitude[ok])).astype(np.int64)
    scale = _POW10[np.clip(digits - 1 - exponent, -_POW10_BIAS, _POW10_BIAS) + _POW10_BIAS]
    out[ok] = np.rint(x[ok] * scale) / scale
    return out


def rounded_frame(frame: pd.DataFrame, digits: int = RESULT_DIGITS) -> pd.DataFrame:
    """`frame` with every float64 column rounded to `digits` significant digits."""
    columns = [c for c in frame.columns if frame[c].dtype == np.float64]
    if not columns:
        return frame
    out = frame.copy()
    for column in columns:
        out[column] = significant(frame[column].to_numpy(), digits)
    return out
