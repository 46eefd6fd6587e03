"""Sampling uncertain parameters: seeded uniform numbers (a design), then each quantile.

`redeploy sweep` draws sample ``i`` of a parameter by the inverse CDF at one uniform number
seeded by ``numpy.random.SeedSequence(seed, spawn_key=(i, crc32(path)))``, so the value
depends only on the seed, the sample index and the path: not on workers, batches, or which
other parameters are uncertain. `sample_design` also builds Latin hypercube and Sobol'
designs (`scipy.stats.qmc`), which spread a given number of samples more evenly.
"""

from __future__ import annotations

import math
import typing
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from redeploy.scenario.distributions import Distribution
    from redeploy.scenario.parameters import Parameter

#: How the uniform numbers of a sweep are laid out (`sample_design`).
SamplingMethod = Literal["random", "latin-hypercube", "sobol"]
SAMPLING_METHODS: tuple[str, ...] = typing.get_args(SamplingMethod)


def path_key(path: str) -> int:
    """Return the stable 32-bit key of a parameter path (part of its seed)."""
    return zlib.crc32(path.encode("utf-8"))


def uniforms(seed: int, indices: Iterable[int], path: str) -> np.ndarray:
    """
    Return one uniform number in [0, 1) per sample index for parameter `path`.

    Number ``i`` comes from ``SeedSequence(seed, spawn_key=(i, path_key(path)))``: it
    depends only on the seed, the index and the path. The sequences' first 64-bit words are
    computed for all indices at once (`seed_states`), the same numbers as numpy's.
    """
    states = seed_states(
        seed, np.fromiter((int(i) for i in indices), dtype=np.int64), path_key(path)
    )
    return (states >> np.uint64(11)).astype(float) * 2.0**-53


# numpy's SeedSequence (O'Neill's seed_seq hash, numpy/random/bit_generator.pyx), its
# constants and pool of four 32-bit words
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_POOL = 4
_MASK32 = 0xFFFFFFFF


def seed_states(seed: int, indices: np.ndarray, key: int) -> np.ndarray:
    """
    Return ``SeedSequence(seed, spawn_key=(i, key)).generate_state(1, np.uint64)[0]`` for
    every index ``i``, computed on arrays (a sweep draws one per sample and parameter, and
    one SeedSequence object each took most of a sample's time outside the LP).

    Indices and `key` must fit 32 bits (numpy's words); other indices are computed one by
    one with numpy's SeedSequence.
    """
    indices = np.asarray(indices, dtype=np.int64)
    if (
        seed < 0
        or not 0 <= key <= _MASK32
        or (indices.size and (indices.min() < 0 or indices.max() > _MASK32))
    ):
        return np.array(
            [
                np.random.SeedSequence(seed, spawn_key=(int(i), key)).generate_state(1, np.uint64)[
                    0
                ]
                for i in indices
            ],
            dtype=np.uint64,
        )
    run = _words(seed)
    run += [0] * (_POOL - len(run))
    n = len(indices)
    entropy = [np.full(n, w, np.uint32) for w in run]
    entropy += [indices.astype(np.uint32), np.full(n, key, np.uint32)]
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.subtract(np.multiply(_MIX_L, x), np.multiply(_MIX_R, y))
        mixed: np.ndarray = np.bitwise_xor(result, result >> np.uint32(16))
        return mixed

    with np.errstate(over="ignore"):  # 32-bit arithmetic wraps, as in numpy's C code
        mixer = [hashmix(entropy[i]) for i in range(_POOL)]
        for src in range(_POOL):
            for dst in range(_POOL):
                if src != dst:
                    mixer[dst] = mix(mixer[dst], hashmix(mixer[src]))
        for src in range(_POOL, len(entropy)):
            for dst in range(_POOL):
                mixer[dst] = mix(mixer[dst], hashmix(entropy[src]))
        words = []
        hash_b = _INIT_B
        for i in range(2):  # one uint64 is two 32-bit words, low first
            value = mixer[i] ^ np.uint32(hash_b)
            hash_b = (hash_b * _MULT_B) & _MASK32
            value = value * np.uint32(hash_b)
            words.append(value ^ (value >> np.uint32(16)))
    return words[0].astype(np.uint64) | (words[1].astype(np.uint64) << np.uint64(32))


def _words(n: int) -> list[int]:
    """`n` as little-endian 32-bit words (numpy's `_int_to_uint32_array`; 0 is ``[0]``)."""
    out = []
    while True:
        out.append(n & _MASK32)
        n >>= 32
        if n == 0:
            return out


def sample_design(
    paths: Iterable[str],
    seed: int,
    indices: Iterable[int],
    *,
    method: SamplingMethod = "random",
    samples: int | None = None,
) -> dict[str, np.ndarray]:
    """
    Return uniform numbers in [0, 1) for every parameter path and sample index.

    Parameters
    ----------
    paths
        The parameter paths (the dimensions of the design).
    seed
        The seed; the same arguments give the same numbers.
    indices
        The sample indices wanted (a batch of a sweep, or all of them).
    method
        ``"random"`` (the default): independent numbers from `uniforms`; sample ``i`` of a
        path depends only on the seed, ``i`` and the path.
        ``"latin-hypercube"``: `scipy.stats.qmc.LatinHypercube` with `samples` rows, so
        each path's [0, 1) is cut into `samples` equal strata holding one sample each.
        ``"sobol"``: the scrambled Sobol' sequence (`scipy.stats.qmc.Sobol`), sample ``i``
        its point ``i``; its balance holds for a power of 2 samples.
        Both designs put the paths in sorted order and depend on the seed and on the set of
        paths (adding a parameter changes the others' numbers).
    samples
        Size of the whole design (Latin hypercube only); default ``max(indices) + 1``.

    Returns
    -------
    dict
        ``{path: numbers}``, numbers in the order of `indices`.

    Raises
    ------
    ValueError
        For an unknown method, or an index outside a Latin hypercube of `samples` rows.
    """
    wanted = [int(i) for i in indices]
    names = sorted(set(paths))
    if method == "random":
        return {path: uniforms(seed, wanted, path) for path in names}
    if method not in SAMPLING_METHODS:
        msg = f"unknown sampling method {method!r}; use one of {', '.join(SAMPLING_METHODS)}"
        raise ValueError(msg)
    if not names or not wanted:
        return {path: np.zeros(len(wanted)) for path in names}
    rows = _design_rows(len(names), seed, max(wanted) + 1, method=method, samples=samples)
    return {path: rows[wanted, j] for j, path in enumerate(names)}


def _design_rows(
    dims: int, seed: int, needed: int, *, method: SamplingMethod, samples: int | None
) -> np.ndarray:
    """Return the first rows (at least `needed`) of a seeded quasi-random design."""
    from scipy.stats import qmc  # here: scipy.stats is slow to import and only sweeps sample

    rng = np.random.default_rng(seed)
    if method == "sobol":
        # random_base2 draws 2**m points without scipy's warning about unbalanced sizes;
        # the first `needed` of them are the same as a shorter draw would give.
        sobol: np.ndarray = qmc.Sobol(dims, rng=rng).random_base2(math.ceil(math.log2(needed)))
        return sobol
    size = needed if samples is None else samples
    if needed > size:
        msg = f"sample index {needed - 1} is outside a Latin hypercube of {size} samples"
        raise ValueError(msg)
    lhs: np.ndarray = qmc.LatinHypercube(dims, rng=rng).random(size)
    return lhs


def sample_parameters(
    dists: Mapping[str, tuple[Parameter, Distribution]],
    seed: int,
    indices: Sequence[int] | Iterable[int],
    *,
    method: SamplingMethod = "random",
    samples: int | None = None,
) -> dict[str, np.ndarray]:
    """
    Draw every parameter for the sample `indices`.

    Parameters
    ----------
    dists
        ``{path: (Parameter, Distribution)}`` (`redeploy.scenario.distributions`).
    seed, indices, method, samples
        As for `sample_design`.

    Returns
    -------
    dict
        ``{path: values}``, values in the order of `indices` (integers for integer keys).
    """
    design = sample_design(dists, seed, indices, method=method, samples=samples)
    out: dict[str, np.ndarray] = {}
    for path, (param, dist) in dists.items():
        values = dist.ppf(design[path])
        out[path] = values.astype(np.int64) if param.integer else values.astype(float)
    return out
