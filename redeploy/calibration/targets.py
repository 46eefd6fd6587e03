"""Calibration targets: the observed U.S. peripheral posture and engagement, as data.

`geodata/calibration/posture_targets.csv` (zone, military class, observed kpe, weight) and
`engagement_targets.csv` (region, observed $bn/yr, weight) are built from the reference
data by ``tools/build_calibration.py`` (geodata/calibration/README.md); each row carries its
source, date and confidence, and weak figures weigh less.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd

from redeploy._shipped import shipped_folder
from redeploy.errors import LayerValidationError, Problem
from redeploy.schemas import MILITARY_ASSETS, REGIONS

#: Columns each target file must have.
POSTURE_COLUMNS = ("zone_id", "region", "asset", "observed_kpe", "weight")
ENGAGEMENT_COLUMNS = ("region", "observed_bn_per_yr", "weight")
#: Earliest year a backcast can describe (a scenario's horizon_year is after 2024).
OBSERVED_YEAR_MIN = 2025

_T = TypeVar("_T")


@dataclass(frozen=True)
class Targets:
    """
    What the model is fitted to.

    Attributes
    ----------
    posture
        One row per zone and military class: ``zone_id, region, asset, observed_kpe,
        weight`` (and the files' provenance columns).
    engagement
        One row per region: ``region, observed_bn_per_yr, weight``.
    folder
        Where the files were read from.
    """

    posture: pd.DataFrame
    engagement: pd.DataFrame
    folder: Path
    #: What was derived from the (never modified) tables, by key: a calibration asks for
    #: the same matrices and backcast scenario at every one of its thousands of evaluations.
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: Any, make: Callable[[], _T]) -> _T:
        """`make()`, computed once per key for these targets."""
        if key not in self._memo:
            self._memo[key] = make()
        value: _T = self._memo[key]
        return value

    def observed(self, zone_ids: tuple[str, ...], assets: tuple[str, ...]) -> np.ndarray:
        """(Z, A) observed kpe per zone and class (0 where no row; read-only)."""
        return self._matrix(zone_ids, assets, "observed_kpe")

    def weights(self, zone_ids: tuple[str, ...], assets: tuple[str, ...]) -> np.ndarray:
        """(Z, A) weight of each zone and class (0 where no row; read-only)."""
        return self._matrix(zone_ids, assets, "weight")

    def _matrix(
        self, zone_ids: tuple[str, ...], assets: tuple[str, ...], column: str
    ) -> np.ndarray:
        return self.cached(
            ("matrix", zone_ids, assets, column), lambda: self._table(zone_ids, assets, column)
        )

    def _table(self, zone_ids: tuple[str, ...], assets: tuple[str, ...], column: str) -> np.ndarray:
        out = np.zeros((len(zone_ids), len(assets)))
        pos = {z: k for k, z in enumerate(zone_ids)}
        apos = {a: j for j, a in enumerate(assets)}
        for z, a, v in zip(
            self.posture["zone_id"], self.posture["asset"], self.posture[column], strict=True
        ):
            if z in pos and a in apos:
                out[pos[z], apos[a]] = float(v)
        out.setflags(write=False)
        return out

    def year(self) -> int:
        """
        The year the observed presence describes: the year most posture rows are dated
        (the first year in each ``date`` cell; DMDC's 31 Dec 2025 for the shipped targets),
        at least `OBSERVED_YEAR_MIN`. The backcast evaluates the sites' maturity then.
        """
        return self.cached("year", self._year)

    def _year(self) -> int:
        if "date" not in self.posture.columns:
            return OBSERVED_YEAR_MIN
        years = self.posture["date"].astype(str).str.extract(r"((?:19|20)\d\d)")[0].dropna()
        if years.empty:
            return OBSERVED_YEAR_MIN
        counts = years.astype(int).value_counts()
        top = counts[counts == counts.max()].index
        return max(int(top.max()), OBSERVED_YEAR_MIN)

    def total_by_class(self, assets: tuple[str, ...]) -> np.ndarray:
        """(A,) observed kpe summed over zones per class (the backcast's supply)."""

        def total() -> np.ndarray:
            by = self.posture.groupby("asset")["observed_kpe"].sum()
            out = np.array([float(by.get(a, 0.0)) for a in assets])
            out.setflags(write=False)
            return out

        return self.cached(("total", assets), total)

    def engagement_by_region(self) -> dict[str, tuple[float, float]]:
        """``{region: (observed $bn/yr, weight)}``."""
        return {
            str(r): (float(v), float(w))
            for r, v, w in zip(
                self.engagement["region"],
                self.engagement["observed_bn_per_yr"],
                self.engagement["weight"],
                strict=True,
            )
        }


def default_targets_dir() -> Path:
    """The shipped targets: ``geodata/calibration/`` (``REDEPLOY_GEODATA`` moves it)."""
    return shipped_folder("geodata", "REDEPLOY_GEODATA") / "calibration"


def _problem(
    path: Path, message: str, row: int | None = None, column: str | None = None
) -> NoReturn:
    raise LayerValidationError(path, "calibration", [Problem(message, row=row, column=column)])


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read one target file: its columns present, figures >= 0, weights from 0 to 1,
    classes and regions known. Raises `LayerValidationError` naming the file, the row (1 =
    first data row), the column, the value and what is allowed."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise LayerValidationError(path, "calibration", [Problem(f"cannot read: {err}")]) from err
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        _problem(path, f"missing column(s) {', '.join(missing)}; needs {', '.join(columns)}")
    for column in columns[-2:]:
        values = pd.to_numeric(frame[column], errors="coerce")
        top = 1.0 if column == "weight" else np.inf
        bad = np.flatnonzero(
            values.isna().to_numpy() | (values.to_numpy() < 0) | (values.to_numpy() > top)
        )
        if bad.size:
            row = int(bad[0])
            allowed = "a number from 0 to 1" if column == "weight" else "a number >= 0"
            _problem(path, f"must be {allowed}, got {frame[column].iloc[row]!r}", row + 1, column)
        frame[column] = values.astype(float)
    for column, known in (("asset", MILITARY_ASSETS), ("region", REGIONS)):
        if column not in columns:
            continue
        unknown = np.flatnonzero(~frame[column].astype(str).isin(known).to_numpy())
        if unknown.size:
            row = int(unknown[0])
            _problem(
                path,
                f"unknown {column} {frame[column].iloc[row]!r}; allowed: {', '.join(known)}",
                row + 1,
                column,
            )
    return frame


def load_targets(folder: str | Path | None = None) -> Targets:
    """
    Read the calibration targets from `folder` (default: the shipped ones).

    Raises
    ------
    LayerValidationError
        Naming the file, the row and the column of a bad figure.
    """
    folder = Path(folder) if folder is not None else default_targets_dir()
    return Targets(
        posture=_read(folder / "posture_targets.csv", POSTURE_COLUMNS),
        engagement=_read(folder / "engagement_targets.csv", ENGAGEMENT_COLUMNS),
        folder=folder,
    )
