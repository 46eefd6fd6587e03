"""Scenario files: the shipped ones, reading TOML, ``extends`` and validation into `Scenario`."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from redeploy._shipped import shipped_folder
from redeploy.errors import ScenarioError
from redeploy.scenario.messages import format_validation_error, type_name
from redeploy.scenario.models import Scenario
from redeploy.scenario.parameters import deep_merge
from redeploy.scenario.uncertain import merge_uncertain


def shipped_scenarios_dir() -> Path:
    """
    Return the folder of the shipped scenarios.

    The environment variable ``REDEPLOY_SCENARIOS`` overrides it; otherwise it is the copy
    inside an installed wheel (``redeploy/scenarios/``, see ``setup.py``) or, in a checkout,
    the repository's ``scenarios/`` beside the package.
    """
    return shipped_folder("scenarios", "REDEPLOY_SCENARIOS")


def list_scenarios() -> dict[str, Path]:
    """Return ``{name: path}`` of the shipped scenarios, sorted by name."""
    folder = shipped_scenarios_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.toml"), key=lambda p: (p.stem, p.name))}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """
    Return the file of a shipped scenario name or a path.

    Raises
    ------
    ScenarioError
        When the name is not shipped and no such file exists; lists the shipped names.
    """
    text = str(name_or_path)
    path = Path(text)
    looks_like_path = path.suffix == ".toml" or os.sep in text or "/" in text
    if path.is_dir() and (looks_like_path or text not in list_scenarios()):
        msg = (
            f"{text}: is a directory, not a scenario file; give the path of a .toml file "
            "(or a shipped scenario name)."
        )
        raise ScenarioError(msg)
    if looks_like_path:
        if not path.is_file():
            msg = f"{text}: scenario file not found"
            raise ScenarioError(msg)
        return path
    shipped = list_scenarios()
    if text in shipped:
        return shipped[text]
    if path.is_file():
        return path
    names = ", ".join(shipped) or "(none found in " + str(shipped_scenarios_dir()) + ")"
    close = difflib.get_close_matches(text, list(shipped), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    msg = (
        f"unknown scenario {text!r}.{hint} Shipped scenarios: {names}. "
        "Or pass the path of a .toml file."
    )
    raise ScenarioError(msg)


def load_scenario(name_or_path: str | Path = "baseline") -> Scenario:
    """
    Load and validate a scenario by shipped name or file path.

    Parameters
    ----------
    name_or_path
        A shipped scenario name (``redeploy scenarios list``) or a TOML file.

    Returns
    -------
    Scenario
        The validated, frozen scenario; ``scenario.source`` names its file.

    Raises
    ------
    ScenarioError
        For an unknown name, unreadable TOML, an unknown key or an out-of-range value;
        the message names the file, the dotted key, the value and what is allowed.
    """
    path = resolve_scenario_path(name_or_path)
    data = _with_bases(read_toml(path), path, frozenset({path.resolve()}))
    return scenario_from_dict(data, source=str(path), default_name=path.stem)


#: The UTF-8 byte order mark some editors write at the start of a text file.
_BOM = "\ufeff"


def read_toml(path: Path) -> dict[str, Any]:
    """
    Read one scenario file as TOML (a UTF-8 byte order mark is allowed).

    Raises
    ------
    ScenarioError
        When the file cannot be read, is not UTF-8 TOML, or a table or the assumptions
        have the wrong TOML type.
    """
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text.removeprefix(_BOM))
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not valid TOML: {err}"
        raise ScenarioError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"{path}: not a TOML text file (TOML files are UTF-8 text): {err}"
        raise ScenarioError(msg) from err
    except OSError as err:
        msg = f"{path}: cannot read scenario: {err}"
        raise ScenarioError(msg) from err
    _check_shape(data, path)
    return data


#: Top-level keys of a scenario file that hold tables.
_TABLE_KEYS = ("model", "assets", "fronts", "zones", "regions", "uncertain")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_shape(data: Mapping[str, Any], path: Path) -> None:
    """Refuse a file whose tables or assumptions have the wrong TOML type, before merging.

    The merge with ``extends`` bases walks these keys, so a list where a table belongs
    must be reported here (naming the file's own key) rather than crash or vanish there.
    """
    for key in _TABLE_KEYS:
        value = data.get(key)
        if value is not None and not isinstance(value, Mapping):
            msg = (
                f"{path}: key {key!r} = {_short(value)}: must be a table "
                f"([{key}] or {key} = {{ ... }}), not {type_name(value)}."
            )
            raise ScenarioError(msg)
    assumptions = data.get("assumptions")
    if assumptions is None:
        return
    if not isinstance(assumptions, list):
        msg = (
            f"{path}: key 'assumptions' = {_short(assumptions)}: must be a list of strings "
            f'(assumptions = ["...", "..."]), not {type_name(assumptions)}.'
        )
        raise ScenarioError(msg)
    for i, item in enumerate(assumptions):
        if not isinstance(item, str):
            msg = (
                f"{path}: key 'assumptions[{i}]' = {_short(item)}: must be a string, "
                f"not {type_name(item)}."
            )
            raise ScenarioError(msg)


def _with_bases(data: dict[str, Any], path: Path, seen: frozenset[Path]) -> dict[str, Any]:
    """
    Merge the scenarios named by ``extends`` under `data`.

    The ancestors are applied once each, bases before the scenarios built on them, in
    the order listed (depth first): ``extends = ["a", "b"]`` with both built on
    ``baseline`` applies baseline, a, b, then `data`.
    """
    order: list[tuple[Path, dict[str, Any]]] = []
    for base_path, base in _ancestors(data, path, seen):
        if all(base_path != p for p, _ in order):
            order.append((base_path, base))
    merged: dict[str, Any] = {}
    for _, base in order:
        own = {k: v for k, v in base.items() if k not in ("name", "extends")}
        merged = merge_scenario_data(merged, own)
    return merge_scenario_data(merged, data)


def _ancestors(
    data: Mapping[str, Any], path: Path, seen: frozenset[Path]
) -> list[tuple[Path, dict[str, Any]]]:
    ext = data.get("extends")
    if ext is None:
        return []
    names = [ext] if isinstance(ext, str) else ext
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        msg = f"{path}: key 'extends' = {ext!r}: give a scenario name or a list of names."
        raise ScenarioError(msg)
    out: list[tuple[Path, dict[str, Any]]] = []
    for name in names:
        candidate = path.parent / name
        try:
            if candidate.suffix == ".toml" and candidate.is_file():
                base_path = candidate
            else:
                base_path = resolve_scenario_path(name)
        except ScenarioError as err:
            msg = f"{path}: key 'extends': {err}"
            raise ScenarioError(msg) from None
        key = base_path.resolve()
        if key in seen:
            msg = f"{path}: key 'extends': {name!r} leads back to this file (a cycle)."
            raise ScenarioError(msg)
        base = read_toml(base_path)
        out += _ancestors(base, base_path, seen | {key})
        out.append((key, base))
    return out


_SPENDING_KEYS = ("defense_pct_gdp", "target_pct_gdp", "target_year")
_HNS_KEYS = ("hns_usd_bn", "hns_change_pct")


def merge_scenario_data(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """
    Merge scenario `top` over `base` (as parsed from TOML).

    Tables merge key by key; ``assumptions`` are concatenated (base first); a front of
    `top` that states its spending or host-nation support replaces the way `base` stated it;
    ``uncertain`` entries replace whole entries, and a key `top` fixes drops the inherited
    distribution (`redeploy.scenario.merge_uncertain`).
    """
    out = deep_merge(
        dict(base), {k: v for k, v in top.items() if k not in ("assumptions", "fronts")}
    )
    out["assumptions"] = list(
        dict.fromkeys([*base.get("assumptions", []), *top.get("assumptions", [])])
    )
    fronts = {k: dict(v) for k, v in base.get("fronts", {}).items()}
    for fid, over in top.get("fronts", {}).items():
        current = fronts.get(fid, {})
        if isinstance(over, Mapping):
            if any(k in over for k in _SPENDING_KEYS):
                current = {k: v for k, v in current.items() if k not in _SPENDING_KEYS}
            if any(k in over for k in _HNS_KEYS):
                current = {k: v for k, v in current.items() if k not in _HNS_KEYS}
            fronts[fid] = deep_merge(current, over)
        else:
            fronts[fid] = over
    if fronts or "fronts" in top or "fronts" in base:
        out["fronts"] = fronts
    return merge_uncertain(base, top, out)


def scenario_from_dict(
    data: Mapping[str, Any], *, source: str = "<scenario>", default_name: str | None = None
) -> Scenario:
    """
    Validate a scenario given as a (TOML-like) mapping.

    Parameters
    ----------
    data
        The parsed scenario.
    source
        Name of the file or origin, used in error messages.
    default_name
        Name used when `data` has no ``name`` key.
    """
    payload = dict(data)
    named_after_file = "name" not in payload and default_name is not None
    if named_after_file:
        payload["name"] = default_name
    try:
        scenario = Scenario.model_validate(payload)
    except ValidationError as err:
        text = format_validation_error(err, source, Scenario, name_from_file=named_after_file)
        raise ScenarioError(text) from None
    scenario._source = source
    return scenario


#: Keys a scenario file may leave out although the model needs them: the loader takes
#: ``name`` from the file name and ``description`` from the scenarios it ``extends``.
_FILE_DEFAULTED_KEYS = ("name", "description")


def scenario_json_schema() -> dict[str, Any]:
    """
    Return the JSON Schema of scenario files (for editors).

    It describes files as `load_scenario` accepts them: ``name`` is optional (the file name
    is the default) and ``description`` may come from a base named by ``extends``, so a
    file needs one of ``description`` and ``extends``.
    """
    schema = Scenario.model_json_schema(by_alias=True)
    required = [k for k in schema.get("required", []) if k not in _FILE_DEFAULTED_KEYS]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    schema["anyOf"] = [{"required": ["description"]}, {"required": ["extends"]}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "redeploy scenario"
    return schema
