"""HTML text of the pages' reading aids: escaping and tables (every value escaped here)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

_MORE_ESCAPES = str.maketrans({"{": "&#123;", "}": "&#125;", "\n": "&#10;"})


def esc(text: Any) -> str:
    """
    HTML-escape any value (quotes included).

    Braces become character references too, so no text from data can ever read as a Jinja
    tag if it reaches a template, and line breaks do, so the page's whitespace clean-up
    (`redeploy.render.maps.render_html`) leaves a description's blank lines alone.
    """
    return html.escape("" if text is None else str(text), quote=True).translate(_MORE_ESCAPES)


def table_html(
    head: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "rd-tab", total: bool = False
) -> str:
    """Return an escaped table; with `total`, its last row is styled as a total."""
    out = [f'<table class="{cls}"><thead><tr>']
    out += [f"<th>{esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    rows = list(rows)
    for i, row in enumerate(rows):
        # The first cell may be cut short on screen: its title shows it whole.
        first = f'<td title="{esc(row[0])}">{esc(row[0])}</td>'
        tr = '<tr class="rd-tot">' if total and i == len(rows) - 1 else "<tr>"
        out.append(tr + first + "".join(f"<td>{esc(c)}</td>" for c in row[1:]) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def heading(text: str) -> str:
    """Return a panel or legend heading."""
    return f'<div class="rd-h3">{esc(text)}</div>'


def note(text: str) -> str:
    """Return a small explanatory line."""
    return f'<div class="rd-note">{esc(text)}</div>'
