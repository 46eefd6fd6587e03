"""`LayerData`: one map layer ready to draw (GeoJSON, pane, styles, legend facts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LayerData:
    """
    One map layer ready to draw: its GeoJSON, pane, base style and legend facts.

    ``est`` is the style that features marked as estimates (``properties["e"]``) add to the
    base style: estimated figures are drawn apart from sourced ones.
    """

    kind: str
    title: str
    collection: dict[str, Any]
    pane: str
    style: dict[str, Any]
    interactive: bool = True
    show: bool = True
    legend: dict[str, Any] = field(default_factory=dict)
    est: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """Number of features drawn."""
        return len(self.collection["features"])

    @property
    def estimates(self) -> int:
        """Number of features marked as estimates."""
        return sum(1 for f in self.collection["features"] if f["properties"].get("e"))
