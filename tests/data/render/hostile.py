"""Hostile inputs for the page tests: the shipped layers and scenarios with payloads in text.

`hostile_pages` copies ``geodata/*.geojson`` with HTML, script and Jinja payloads in names,
sources, notes and free-text columns, writes scenarios whose description and assumptions
are payloads, and runs ``redeploy run``, ``compare``, ``frontier`` and ``sweep`` through the
CLI. Every page must show the payloads as text and run none of them.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

#: Payloads; each sets ``window.__xss`` (or, for Jinja, would print 49 or run Python).
PAYLOADS = (
    "<img src=x onerror=window.__xss=1>",
    "</script><script>window.__xss=2</script>",
    "\"'><svg onload=window.__xss=3>",
    "javascript:window.__xss=4",
    "{{ 7*7 }} {% if true %}J{% endif %} {# c",
    "line\u2028sep\u2029para",
    "<!-- <style>body{background:url(http://127.0.0.1:9/x.png)}</style> ]]> &amp;",
    "{{ lipsum.__globals__['os'].environ.__setitem__('RD_JINJA_RAN', '1') }}",
)
#: Text from the data that looks like an element id (``_`` and 32 hex digits).
HASH_SOURCE = "doc https://example.org/file_0123456789abcdef0123456789abcdef.pdf"
#: Free-text columns filled with payloads (enum and slug columns are validated).
_TEXT_COLUMNS = (
    "theater",
    "primary_mineral",
    "competitor_stake",
    "foreign_stakes",
    "access_basis",
    "agreement",
    "site",
    "date",
)
#: The sweep's uncertain parameters: a few of the baseline's, with keys of the v2 model
#: (`model.conversion_cap`, not the removed `model.engagement_conversion`).
UNCERTAIN = """
[uncertain]
"fronts.korea.hns_change_pct" = { dist = "triangular", low = 12.8, mode = 24.6, high = 37.2 }
"fronts.taiwan.defense_pct_gdp" = { dist = "triangular", low = 2.82, mode = 3.32, high = 4.0 }
"model.risk_lambda" = { dist = "truncnormal", mean = 1.0, sd = 0.35, low = 0.25, high = 2.0 }
"model.conversion_cap" = { dist = "uniform", low = 0.3, high = 0.7 }
"model.decay_km" = { dist = "triangular", low = 300, mode = 500, high = 900 }
"""

_cache: dict[str, dict[str, Path]] = {}


def write_layers(folder: Path, every: int = 3) -> Path:
    """Copy the shipped layers into `folder` with a payload in every `every`-th feature."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "geodata").glob("*.geojson")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for i, feat in enumerate(data["features"]):
            if path.stem == "basemap" or i % every:
                continue
            k = i // every
            p = feat["properties"]
            p["name"] = f"{PAYLOADS[k % len(PAYLOADS)]} {p['name']}"
            p["source"] = f"{PAYLOADS[(k + 1) % len(PAYLOADS)]} {p['source']}"
            if k == 0:
                p["source"] = HASH_SOURCE
            p["notes"] = f"{PAYLOADS[(k + 2) % len(PAYLOADS)]}\n\n\nnotes"
            for col in _TEXT_COLUMNS:
                if isinstance(p.get(col), str):
                    p[col] = f"{PAYLOADS[(k + 3) % len(PAYLOADS)]} {p[col]}"
        (folder / path.name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def write_scenario(path: Path, name: str, extends: str, extra: str = "") -> Path:
    """Write a scenario extending `extends` whose description and assumptions are payloads
    (`extra`: more TOML, such as an ``[uncertain]`` table)."""
    text = (
        f"name = {json.dumps(name)}\nextends = {json.dumps(extends)}\n"
        f"description = {json.dumps(' '.join(PAYLOADS) + chr(10) * 3 + 'end')}\n"
        f"assumptions = {json.dumps(list(PAYLOADS))}\n{extra}"
    )
    path.write_text(text, encoding="utf-8")
    return path


def run_all(folder: Path, out: Path, *, sweep: bool = True) -> dict[str, Path]:
    """Run the four commands (`sweep`: the sweep too) on the inputs in `folder`; give the pages."""
    from typer.testing import CliRunner

    from redeploy.cli import app

    layers = folder / "layers"
    if not layers.exists():
        write_layers(layers)
        write_scenario(folder / "a.toml", "hostile-a", "baseline")
        write_scenario(folder / "b.toml", "hostile-b", "nato-3.5-now")
        write_scenario(folder / "u.toml", "hostile-u", "baseline", UNCERTAIN)
    common = ["--layers", str(layers), "--out", str(out), "-q"]
    runner = CliRunner()
    commands = [
        ["run", "--scenario", str(folder / "a.toml"), "--format", "csv"],
        ["compare", str(folder / "a.toml"), str(folder / "b.toml")],
        ["frontier", "--scenario", str(folder / "a.toml"), "--points", "3"],
    ]
    if sweep:
        commands.append(
            ["sweep", "--scenario", str(folder / "u.toml"), "--samples", "6", "--workers", "1"]
        )
    for args in commands:
        result = runner.invoke(app, [*args, *common])
        assert result.exit_code == 0, (args, result.output, result.exception)
    pages = {
        "run": out / "hostile-a.html",
        "compare": out / "hostile-a-vs-hostile-b.html",
        "frontier": out / "hostile-a-frontier.html",
        "sweep": out / "hostile-u-sweep.html",
    }
    return pages if sweep else {k: v for k, v in pages.items() if k != "sweep"}


def hostile_pages(folder: Path) -> dict[str, Path]:
    """Build the four pages once per test process (in `folder` the first time)."""
    if "pages" not in _cache:
        _cache["pages"] = run_all(folder, folder / "out")
    return _cache["pages"]
