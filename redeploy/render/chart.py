"""The frontier chart as PNG (matplotlib, Agg): net value against risk, one point per λ,
each coloured by its binding risk channel."""

from __future__ import annotations

import math
from pathlib import Path

from redeploy import palette
from redeploy.io.atomic import atomic_path
from redeploy.model.frontier import Frontier, lambda_label
from redeploy.render.frontier_chart import channel_text, risk_axis_label, swept_name, top_channel
from redeploy.schemas import RISK_CHANNELS


def plot_frontier(frontier: Frontier, path: str | Path) -> Path:
    """
    Write the frontier chart as PNG (matplotlib, Agg): net value against risk.

    Non-dominated points are joined by a line and filled in their binding channel's
    colour (the channel with the largest risk cost there); dominated points are crosses in
    that colour; every point is labelled with its weight; the scenario's own is a star.

    Returns
    -------
    pathlib.Path
        The file written (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = frontier.table
    sym = swept_name(frontier)
    dom = t["dominated"].to_numpy(dtype=bool)
    rows = t.to_dict("records")
    colors = [palette.channel_color(top_channel(r)) for r in rows]
    fig, ax = plt.subplots(figsize=(8, 5.2), dpi=150)
    keep = t[~dom].sort_values(["risk", "net_value"], kind="mergesort")
    ax.plot(keep["risk"], keep["net_value"], "-", color="#2a9d8f", lw=1.6, zorder=1)
    for i, r in enumerate(rows):
        ax.scatter(
            [r["risk"]],
            [r["net_value"]],
            marker="x" if dom[i] else "o",
            s=40 if dom[i] else 30,
            color=colors[i],
            zorder=2 if dom[i] else 3,
        )
    present = {top_channel(r) for r in rows}
    for c in [*RISK_CHANNELS, ""]:
        if c in present:
            name = channel_text({"top_channel": c})
            ax.scatter([], [], s=30, color=palette.channel_color(c), label=f"binds: {name}")
    if dom.any():
        ax.scatter([], [], marker="x", s=40, color="#8a8f96", label="dominated point")
    last = (math.inf, math.inf)
    span_r = max(float(t["risk"].max()), 1e-9)
    span_v = max(float(t["net_value"].max() - t["net_value"].min()), 1e-9)
    for lam, r, v in zip(t["lambda"], t["risk"], t["net_value"], strict=True):
        # Skip labels that would sit on the previous one (points bunch up at high λ).
        if abs(r - last[0]) / span_r < 0.07 and abs(v - last[1]) / span_v < 0.05:
            continue
        ax.annotate(
            f"{sym}={lambda_label(lam)}",
            (r, v),
            xytext=(5, -11),
            textcoords="offset points",
            fontsize=7.5,
            color="#33404d",
        )
        last = (r, v)
    own = frontier.scenario_row
    ax.scatter(
        [own["risk"]],
        [own["net_value"]],
        marker="*",
        s=170,
        color="#d4a017",
        edgecolor="#5b4300",
        zorder=4,
        label=f"scenario's {sym} = {lambda_label(frontier.scenario_lambda)}",
    )
    ax.set_xlabel(f"{risk_axis_label(frontier)}, at {sym} = 1")
    ax.set_ylabel("Net strategic value: value − transit cost ($bn-eq/yr)")
    ax.set_title(f"Value–risk frontier · {frontier.scenario}", loc="left", fontsize=12)
    ax.grid(True, color="#e3e6ea", lw=0.8)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.margins(x=0.06, y=0.08)
    fig.tight_layout()

    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return Path(path)
