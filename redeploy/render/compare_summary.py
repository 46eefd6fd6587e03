"""What changes from run A to run B, by region and by front: the largest changes first.

`change_tables` lines up totals of each result's frames (what each region receives, what
leaves each front, what each ally pays) and takes differences (B - A) for display; forces
(kpe) and money ($bn/yr) stay in columns of their own. `redeploy compare` prints them
(`change_text`) and the comparison page shows the allies' side (`spending_rows`).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from redeploy.model.result import AllocationResult
from redeploy.render.format import finite, fmt_number, fmt_value
from redeploy.render.frames import names
from redeploy.render.fronts import front_forces
from redeploy.render.labels import short_names
from redeploy.render.story import by_region

#: Columns of the region table: forces added (kpe) and engagement added ($bn/yr) in A and B.
REGION_COLUMNS = ("region", "forces_a", "forces_b", "forces_change", "eng_a", "eng_b", "eng_change")
#: Columns of the front table: forces that leave (kpe), allies' extra spending ($bn/yr), and
#: the double burden (share), in A and B.
FRONT_COLUMNS = (
    "front",
    "leave_a",
    "leave_b",
    "leave_change",
    "spend_a",
    "spend_b",
    "spend_change",
    "burden_a",
    "burden_b",
)


def _rank(frame: pd.DataFrame, changes: tuple[str, str]) -> pd.DataFrame:
    """Largest changes first: each change measured against the largest of its own kind."""
    if frame.empty:
        return frame
    score = pd.Series(0.0, index=frame.index)
    for col in changes:
        top = frame[col].abs().max()
        if top > 0:
            score = score.combine(frame[col].abs() / top, max)
    name = dict(zip(frame.index, frame.iloc[:, 0].astype(str), strict=True))
    order = sorted(frame.index, key=lambda i: (-float(score[i]), name[i]))
    return frame.loc[order].reset_index(drop=True)


def region_changes(a: AllocationResult, b: AllocationResult) -> pd.DataFrame:
    """Per region: forces and engagement each run adds (`REGION_COLUMNS`), largest change first."""
    ra = {r: (m, e) for r, m, e in by_region(a)}
    rb = {r: (m, e) for r, m, e in by_region(b)}
    rows = []
    for region in sorted(set(ra) | set(rb)):
        (fa, ea), (fb, eb) = ra.get(region, (0.0, 0.0)), rb.get(region, (0.0, 0.0))
        rows.append((region, fa, fb, fb - fa, ea, eb, eb - ea))
    frame = pd.DataFrame(rows, columns=list(REGION_COLUMNS))
    return _rank(frame, ("forces_change", "eng_change"))


def _ledger(result: AllocationResult) -> dict[str, tuple[float, float]]:
    """``{front id: (extra spending $bn/yr, double burden share)}`` of the result's ledger."""
    ledger = result.ledger
    if ledger is None or ledger.empty or "front_id" not in ledger:
        return {}
    return {
        str(r["front_id"]): (
            finite(r.get("ally_extra_spending_bn")) or 0.0,
            finite(r.get("double_burden_share")) or 0.0,
        )
        for r in ledger.to_dict("records")
    }


def front_changes(
    a: AllocationResult, b: AllocationResult, layers: Mapping[str, gpd.GeoDataFrame]
) -> pd.DataFrame:
    """Per front (short names): what leaves, what its allies pay, their double burden
    (`FRONT_COLUMNS`), largest change first."""
    la, lb = front_forces(a), front_forces(b)
    ga, gb = _ledger(a), _ledger(b)
    full = names(layers, "fronts")
    front_names = dict(zip(full, short_names(list(full.values())), strict=True))
    rows = []
    for fid in sorted(set(la) | set(lb) | set(ga) | set(gb)):
        leave_a, leave_b = la.get(fid, (0.0, 0.0))[1], lb.get(fid, (0.0, 0.0))[1]
        (sa, da), (sb, db) = ga.get(fid, (0.0, 0.0)), gb.get(fid, (0.0, 0.0))
        if not any((leave_a, leave_b, sa, sb)):
            continue
        rows.append(
            (
                front_names.get(fid, fid),
                leave_a,
                leave_b,
                leave_b - leave_a,
                sa,
                sb,
                sb - sa,
                da,
                db,
            )
        )
    frame = pd.DataFrame(rows, columns=list(FRONT_COLUMNS))
    return _rank(frame, ("leave_change", "spend_change"))


def _signed(v: float, unit: str) -> str:
    text = fmt_value(abs(v), unit) or "0"
    if abs(v) < 1e-9:
        return "±0"
    return ("+" if v > 0 else "−") + text


def arrow(va: float, vb: float, unit: str) -> str:
    """``A → B (±change)`` in `unit` (``kpe``, ``$bn/yr``, ``share``)."""
    return f"{fmt_value(va, unit)} → {fmt_value(vb, unit)} ({_signed(vb - va, unit)})"


def spending_rows(table: pd.DataFrame) -> list[list[str]]:
    """The allies' side of a comparison: per front, extra spending A → B ($bn/yr) and the
    double burden A → B; fronts whose allies pay more in either run, most in B first."""
    rows = []
    for r in table.sort_values("spend_b", ascending=False, kind="mergesort").to_dict("records"):
        if r["spend_a"] <= 0 and r["spend_b"] <= 0:
            continue
        rows.append(
            [
                str(r["front"]),
                f"{fmt_number(r['spend_a'])} → {fmt_number(r['spend_b'])}",
                f"{fmt_value(r['burden_a'], 'share')} → {fmt_value(r['burden_b'], 'share')}",
            ]
        )
    return rows


#: Column heads of `change_text`'s tables (units in the heads, plain numbers below).
REGION_HEAD = ("region", "forces A", "B", "change (kpe)", "engagement A", "B", "change ($bn/yr)")
FRONT_HEAD = ("front", "leave A", "B", "change (kpe)", "allies pay A", "B", "change ($bn/yr)")


def _plain_change(v: float) -> str:
    if abs(v) < 1e-9:
        return "0"
    return ("+" if v > 0 else "−") + fmt_number(abs(v))


def _row(name: str, *pairs: tuple[float, float]) -> list[str]:
    out = [name]
    for va, vb in pairs:
        out += [fmt_number(va), fmt_number(vb), _plain_change(vb - va)]
    return out


def change_text(
    a: AllocationResult,
    b: AllocationResult,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    top: int = 8,
) -> tuple[list[list[str]], list[list[str]]]:
    """
    The largest changes as text rows for a terminal (`REGION_HEAD`, `FRONT_HEAD`): by
    region (forces and engagement each run adds) and by front (U.S. forces that leave,
    allies' extra spending), at most `top` rows each, largest change first.
    """
    regions = [
        _row(str(r["region"]), (r["forces_a"], r["forces_b"]), (r["eng_a"], r["eng_b"]))
        for r in region_changes(a, b).head(top).to_dict("records")
    ]
    fronts = [
        _row(str(r["front"]), (r["leave_a"], r["leave_b"]), (r["spend_a"], r["spend_b"]))
        for r in front_changes(a, b, layers).head(top).to_dict("records")
    ]
    return regions, fronts
