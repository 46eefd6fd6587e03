"""The story of a run at a glance: follow the money from the allies to where it ends up.

Allied extra spending -> U.S. forces freed -> sent abroad (by region), converted into
engagement, returned home, or not released; and the allies' double burden. Every figure is
a total of the result's frames (ledger, fronts, flows, zones) or a row of its meta, as the
model wrote it: nothing is recomputed, and forces (kpe) and money ($bn/yr) are never added.
Scenario floors and caps that bind (`meta["region_bounds"]`, negative dual for a floor) are
told apart from the model's choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from redeploy import palette
from redeploy.model.result import AllocationResult, bound_covers, cap_binds, floor_binds
from redeploy.render.format import finite, fmt_number, fmt_value
from redeploy.render.frames import HOME_ID, HOME_REGION, military_total, names, total
from redeploy.render.markup import esc, heading, note, table_html
from redeploy.schemas import ASSET_UNITS, MILITARY_ASSETS

#: Colours of the story bar's parts (what becomes of the forces freed).
BAR_COLORS = {
    "abroad": palette.LAYER_COLORS["peripheral_zones"],
    "home": palette.HOME_COLOR,
    "converted": palette.ASSET_COLORS["engagement"],
    "retained": "#b8bec6",
}
#: The mark of an allocation held up by a binding scenario floor.
FLOOR_MARK = "⚑"


@dataclass(frozen=True)
class Bound:
    """A scenario floor or cap on a region (`meta["region_bounds"]` row) and whether it binds."""

    region: str
    asset: str
    floor: float | None
    cap: float | None
    dual: float

    @property
    def unit(self) -> str:
        """Unit of the bound: kpe for military capacity, the class's unit otherwise."""
        return "kpe" if self.asset == "military" else ASSET_UNITS.get(self.asset, "")

    @property
    def what(self) -> str:
        """What the bound counts, in words."""
        return "forces" if self.asset == "military" else self.asset

    @property
    def floor_binds(self) -> bool:
        """A binding floor: the model would allocate less without it (negative dual; the
        model's `redeploy.model.result.floor_binds`, as the zones table's ``floor_held``)."""
        return floor_binds(self.floor, self.dual)

    @property
    def cap_binds(self) -> bool:
        """A binding cap: the model would allocate more without it (positive dual)."""
        return cap_binds(self.cap, self.dual)

    def covers(self, asset: str) -> bool:
        """Whether the bound counts allocations of asset class `asset`."""
        return bound_covers(self.asset, asset)

    def text(self) -> str:
        """The bound in words, for popups: held up, capped, or not binding."""
        floor = fmt_value(self.floor, self.unit) if self.floor is not None else None
        cap = fmt_value(self.cap, self.unit) if self.cap is not None else None
        if self.floor_binds:
            return (
                f"{FLOOR_MARK} Held up by the scenario's floor for {self.region} (at least "
                f"{floor} of {self.what}): without it the model would send less."
            )
        if self.cap_binds:
            return (
                f"Capped by the scenario at {cap} of {self.what} in {self.region}: "
                "without the cap the model would send more."
            )
        bound = f"at least {floor}" if floor else f"at most {cap}"
        return (
            f"{self.region}: {bound} of {self.what} (does not bind: the model's own choice "
            "meets it)."
        )


def region_bounds(result: AllocationResult) -> list[Bound]:
    """The scenario's region floors and caps with their duals, as the result's meta holds them."""
    meta = result.meta if isinstance(result.meta, dict) else {}
    out = []
    for row in meta.get("region_bounds") or []:
        if not isinstance(row, dict):
            continue
        out.append(
            Bound(
                region=str(row.get("region", "")),
                asset=str(row.get("asset", "military")),
                floor=finite(row.get("floor")),
                cap=finite(row.get("cap")),
                dual=finite(row.get("marginal_value")) or 0.0,
            )
        )
    return out


def bounds_for(result: AllocationResult, region: str, asset: str | None = None) -> list[Bound]:
    """The bounds of `region` (that count `asset`, if given)."""
    return [
        b
        for b in region_bounds(result)
        if b.region == region and (asset is None or b.covers(asset))
    ]


def floor_held(result: AllocationResult, region: str, asset: str | None = None) -> bool:
    """Whether a binding floor holds up what `region` receives (of `asset`, if given)."""
    return any(b.floor_binds for b in bounds_for(result, region, asset))


def any_floor_held(result: AllocationResult) -> bool:
    """Whether any scenario floor binds in this run."""
    return any(b.floor_binds for b in region_bounds(result))


# ---------------------------------------------------------------------------- figures


def _flows_abroad(result: AllocationResult) -> pd.DataFrame:
    flows = result.flows
    if flows is None or flows.empty:
        return pd.DataFrame(columns=["front_id", "zone_id", "asset", "amount"])
    return flows[flows["zone_id"].astype(str) != HOME_ID]


def _fronts(result: AllocationResult) -> pd.DataFrame | None:
    fr = result.fronts
    if fr is None or fr.empty or "front_id" not in fr:
        return fr
    return fr[fr["front_id"].astype(str) != HOME_ID]


def by_region(result: AllocationResult) -> list[tuple[str, float, float]]:
    """(region, forces kpe, engagement $bn/yr) this run adds abroad, largest first."""
    zones = result.zones
    if zones is None or zones.empty or "region" not in zones:
        return []
    zones = zones[zones["region"].astype(str) != HOME_REGION]
    added = pd.to_numeric(zones["added"], errors="coerce").fillna(0.0)
    mil = added.where(zones["asset"].isin(MILITARY_ASSETS), 0.0)
    eng = added.where(zones["asset"] == "engagement", 0.0)
    frame = pd.DataFrame({"region": zones["region"].astype(str), "mil": mil, "eng": eng})
    sums = frame.groupby("region", sort=False)[["mil", "eng"]].sum()
    rows = [(str(r), float(v["mil"]), float(v["eng"])) for r, v in sums.iterrows()]
    rows = [r for r in rows if r[1] > 0 or r[2] > 0]
    return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))


def story_figures(result: AllocationResult) -> dict[str, float]:
    """The totals the story shows, each a sum of one column of the result's frames."""
    fronts = _fronts(result)
    abroad = _flows_abroad(result)
    direct = abroad[
        (abroad["front_id"].astype(str) != HOME_ID) & abroad["asset"].isin(MILITARY_ASSETS)
    ]
    ledger = result.ledger
    return {
        "announced": total(ledger, "ally_extra_spending_bn"),
        "expected": total(ledger, "ally_expected_spending_bn"),
        "freed": military_total(fronts, "freed"),
        "freed_cost": total(ledger, "us_freed_value_bn"),
        "abroad_direct": float(pd.to_numeric(direct["amount"], errors="coerce").sum()),
        "to_home": military_total(fronts, "to_home"),
        "converted": military_total(fronts, "converted"),
        "converted_bn": total(ledger, "converted_to_engagement_bn"),
        "retained": military_total(fronts, "retained"),
        "redeployed_cost": total(ledger, "us_redeployed_value_bn"),
        "forces_abroad": float(
            pd.to_numeric(
                abroad.loc[abroad["asset"].isin(MILITARY_ASSETS), "amount"], errors="coerce"
            ).sum()
        ),
        "engagement_abroad": float(
            pd.to_numeric(
                abroad.loc[abroad["asset"] == "engagement", "amount"], errors="coerce"
            ).sum()
        ),
        "zones": float(abroad["zone_id"].nunique()),
    }


def headline(result: AllocationResult) -> str:
    """One line: what allies pay, the forces and the engagement sent abroad, where to."""
    f = story_figures(result)
    parts = []
    if f["announced"] > 0:
        parts.append(f"allies pay {fmt_value(f['announced'], '$bn/yr')} more")
    moved = [
        f"{fmt_value(f['forces_abroad'], 'kpe')} of U.S. forces" if f["forces_abroad"] > 0 else "",
        f"{fmt_value(f['engagement_abroad'], '$bn/yr')} of engagement"
        if f["engagement_abroad"] > 0
        else "",
    ]
    moved = [m for m in moved if m]
    if moved:
        n = int(f["zones"])
        parts.append(f"{' and '.join(moved)} go abroad to {n} zone{'s' if n != 1 else ''}")
    else:
        parts.append("no capacity moves")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


# ---------------------------------------------------------------------------- HTML


def _step(n: int, html: str) -> str:
    return f'<div class="rd-step"><span>{n}</span><div>{html}</div></div>'


def _bar(f: dict[str, float]) -> str:
    """The bar of what becomes of the forces freed, with its key (kpe)."""
    parts = [
        ("abroad", f["abroad_direct"], "sent abroad"),
        ("home", f["to_home"], "returned home"),
        ("converted", f["converted"], "converted into engagement"),
        ("retained", f["retained"], "not released"),
    ]
    whole = sum(v for _, v, _ in parts)
    if whole <= 0:
        return ""
    spans = "".join(
        f'<span style="width:{100 * v / whole:.2f}%;background:{BAR_COLORS[k]}" '
        f'title="{esc(text)} {esc(fmt_value(v, "kpe"))}"></span>'
        for k, v, text in parts
        if v > 0
    )
    key = "".join(
        f'<span><span class="rd-sw" style="background:{BAR_COLORS[k]}"></span>'
        f"{esc(text)} <b>{esc(fmt_value(v, 'kpe'))}</b></span>"
        for k, v, text in parts
        if v > 0
    )
    return f'<div class="rd-bar">{spans}</div><div class="rd-bar-key">{key}</div>'


def _regions_table(result: AllocationResult) -> str:
    rows = []
    for region, mil, eng in by_region(result):
        mark = f" {FLOOR_MARK}" if floor_held(result, region) else ""
        rows.append([region + mark, fmt_number(mil), fmt_number(eng)])
    if not rows:
        return ""
    return table_html(["Abroad, by region", "Forces kpe", "Engagem. $bn/yr"], rows)


def _burden(result: AllocationResult, layers: Any) -> str:
    """The double burden: all fronts together (the result's totals, as the ledger defines
    each front's share, docs/model.md §7), then its range by front."""
    overall = finite((result.totals or {}).get("double_burden_share"))
    ledger = result.ledger
    shares = pd.Series(dtype=float)
    paying = pd.DataFrame()
    if ledger is not None and not ledger.empty and "double_burden_share" in ledger:
        paying = ledger[pd.to_numeric(ledger["ally_extra_spending_bn"], errors="coerce") > 0]
        shares = pd.to_numeric(paying["double_burden_share"], errors="coerce").dropna()
    if shares.empty and not overall:
        return ""  # no ally pays more: no double burden to tell
    text = "<b>Double burden</b>: "
    if overall is not None:
        text += (
            f"<b>{esc(fmt_value(overall, 'share'))}</b> of the allies' extra spending, all "
            "fronts together, funds U.S. expansion elsewhere; the rest buys their own defense."
        )
    if not shares.empty:
        ids = dict(zip(paying.index, paying["front_id"].astype(str), strict=True))
        top = ids[shares.idxmax()]
        name = names(layers, "fronts").get(top, top)
        lo, hi = fmt_value(shares.min(), "share"), fmt_value(shares.max(), "share")
        span = hi if lo == hi else f"{lo}–{hi}"
        text += (
            f" By front: {esc(span)} of each ally's extra spending (most: {esc(name)}, {esc(hi)})."
        )
    return text


def story_html(result: AllocationResult, layers: Any) -> str:
    """
    Return the panel's first section: follow the money, step by step, with the bar of what
    becomes of the forces freed and the allies' double burden.
    """
    f = story_figures(result)
    out = ['<div class="rd-story">', heading("Follow the money")]
    if f["announced"] > 0:
        pay = f"Allies pay <b>{esc(fmt_value(f['announced'], '$bn/yr'))}</b> more"
        if f["expected"] and f["expected"] < f["announced"] - 1e-9:
            pay += f" (expected delivery {esc(fmt_value(f['expected'], '$bn/yr'))}: backlash)"
    else:
        pay = "Allies pay no more than in the reference year"
    out.append(_step(1, pay + "."))
    if f["freed"] <= 0:
        out.append(_step(2, "Nothing is freed: no U.S. forces leave the fronts."))
        out.append("</div>")
        return "".join(out)
    freed = f"That frees <b>{esc(fmt_value(f['freed'], 'kpe'))}</b> of U.S. forces on the fronts"
    if f["freed_cost"] > 0:
        freed += f" (their U.S. cost: {esc(fmt_value(f['freed_cost'], '$bn/yr'))})"
    out.append(_step(2, freed + ". What becomes of them:" + _bar(f)))
    where = []
    if f["forces_abroad"] > 0:
        where.append(f"<b>{esc(fmt_value(f['forces_abroad'], 'kpe'))}</b> of forces")
    if f["engagement_abroad"] > 0:
        eng = f"<b>{esc(fmt_value(f['engagement_abroad'], '$bn/yr'))}</b> of engagement"
        if f["converted"] > 0:
            eng += f" (bought by converting {esc(fmt_value(f['converted'], 'kpe'))})"
        where.append(eng)
    text = "Abroad: " + (" and ".join(where) or "nothing") + "."
    if f["to_home"] > 0:
        text += (
            f" Forces abroad include what the U.S. home pool sends on; "
            f"{esc(fmt_value(f['to_home'], 'kpe'))} return home first."
        )
    out.append(_step(3, text + _regions_table(result)))
    burden = _burden(result, layers)
    if burden:
        out.append(_step(4, burden))
    if any_floor_held(result):
        out.append(note(f"{FLOOR_MARK} a region held up by a binding scenario floor."))
    out.append("</div>")
    return "".join(out)
