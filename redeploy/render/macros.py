"""The page's building blocks that carry data: raw text and macros placed as text, never
compiled as Jinja templates (`RawHTML`, `SafeMacro`), a layer's features (`GeoJsonLayer`)
and the page's shared texts (`PageData`)."""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from redeploy.render.geojson import script_data, script_json
from redeploy.render.layerdata import LayerData


class RawHTML(Element):
    """Text placed into the page exactly as given, never read as a Jinja template.

    branca's `Element(text)` compiles `text` as a template, so ``{{ ... }}`` or ``{% ... %}``
    in data (a layer's name, a scenario's description) would run while the page renders:
    every block built from data goes into the page through this class instead.
    """

    def __init__(self, text: str, name: str = "RawHTML") -> None:
        super().__init__()
        self._name = name
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class SafeMacro(MacroElement):
    """A `MacroElement` whose rendered macros are placed as text, not compiled again.

    branca wraps the output of a macro in `Element(...)`, which compiles it as a second
    template: the data embedded in it (as `script_json`, `script_data`) must not be read as
    Jinja.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's constructors are untyped

    # branca's MacroElement.render returns None too, though Element.render is typed `str`.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = self.get_root()
        assert isinstance(figure, Figure)
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(
                    RawHTML(str(macro(self, kwargs))), name=self.get_name()
                )
        for child in self._children.values():
            child.render(**kwargs)


class GeoJsonLayer(SafeMacro):
    """One layer's features, drawn by the page's runtime (popups built with textContent)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
var {{ this.get_name() }} = RD.layer({{ this.data }}, {{ this.options }});
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}"""
    )

    def __init__(self, data: LayerData, collection: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        self.kind = data.kind
        self.count = data.count
        self.data = script_data(data.collection if collection is None else collection)
        options = {
            "pane": data.pane,
            "interactive": data.interactive,
            "style": data.style,
            "kind": data.kind,
        }
        if data.est:
            options["est"] = data.est
        self.options = script_json(options)


class PageData(SafeMacro):
    """The page's shared texts and whether it draws on a canvas (`redeploy.render.packing`)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
RD.page({{ this.texts }}, {{ this.canvas }});
{% endmacro %}"""
    )

    def __init__(self, texts: list[str], canvas: bool) -> None:
        super().__init__()
        self._name = "RedeployPageData"
        self.texts = script_data(texts)
        self.canvas = script_json(canvas)
