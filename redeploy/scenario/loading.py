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
from redeploy.io.sources import read_limited, special_file_problem
from redeploy.scenario.messages import format_validation_error, type_name
from redeploy.scenario.models import Scenario
from redeploy.scenario.parameters import deep_merge
from redeploy.scenario.toml_limits import (
    MAX_EXTENDS_DEPTH,
    MAX_EXTENDS_FILES,
    MAX_SCENARIO_BYTES,
    NESTING_HINT,
    SIZE_HINT,
    check_toml_nesting,
    check_toml_values,
)
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
    if not text.strip():
        names = ", ".join(list_scenarios()) or "(none shipped)"
        msg = (
            f"the scenario name is empty ({text!r}); give a shipped scenario name "
            f"({names}) or the path of a .toml file."
        )
        raise ScenarioError(msg)
    path = Path(text)
    special = special_file_problem(path)
    if special is not None:
        msg = f"{text}: {special}"
        raise ScenarioError(msg)
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
    data = _with_bases(read_toml(path), path, (path.resolve(),))
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
    special = special_file_problem(path)
    if special is not None:
        msg = f"{path}: {special}"
        raise ScenarioError(msg)
    try:
        text = read_limited(path, MAX_SCENARIO_BYTES).decode("utf-8").removeprefix(_BOM)
        check_toml_nesting(text, path)
        data = tomllib.loads(text)
    except ScenarioError:
        raise
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not valid TOML: {err}"
        raise ScenarioError(msg) from err
    except UnicodeDecodeError as err:
        msg = f"{path}: not a TOML text file (TOML files are UTF-8 text): {err}"
        raise ScenarioError(msg) from err
    except OSError as err:
        msg = f"{path}: cannot read scenario: {err}"
        raise ScenarioError(msg) from err
    except RecursionError:  # nesting check_toml_nesting did not see (it is a backstop)
        msg = f"{path}: arrays or tables nested too deeply to read; {NESTING_HINT}"
        raise ScenarioError(msg) from None
    except ValueError as err:  # the file's size, or an integer of thousands of digits
        too_long = "integer string conversion" in str(err)
        reason = "an integer has thousands of digits" if too_long else str(err)
        msg = f"{path}: cannot read scenario: {reason}; {SIZE_HINT}"
        raise ScenarioError(msg) from None
    check_toml_values(data, path)
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


def _with_bases(data: dict[str, Any], path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """
    Merge the scenarios named by ``extends`` under `data`.

    The ancestors are applied once each, bases before the scenarios built on them, in
    the order listed (depth first): ``extends = ["a", "b"]`` with both built on
    ``baseline`` applies baseline, a, b, then `data`.
    """
    order, _ = _ancestors(data, path, seen, {})
    merged: dict[str, Any] = {}
    for _, base in order:
        own = {k: v for k, v in base.items() if k not in ("name", "extends")}
        merged = merge_scenario_data(merged, own)
    return merge_scenario_data(merged, data)


#: A file an ``extends`` names: its data, the files it builds on (bases first, each once)
#: and the length of its longest chain of ``extends``.
_Base = tuple[dict[str, Any], list[tuple[Path, dict[str, Any]]], int]


def _ancestors(
    data: Mapping[str, Any],
    path: Path,
    seen: tuple[Path, ...],
    cache: dict[Path, _Base],
) -> tuple[list[tuple[Path, dict[str, Any]]], int]:
    """
    The scenarios `data` (read from `path`) builds on, bases first, each once, and the
    length of its longest chain of ``extends``.

    `seen` is the chain of files from the one loaded down to `path` (for cycles and the
    depth bound); `cache` holds each file read, once, with its own ancestors.
    """
    ext = data.get("extends")
    if ext is None:
        return [], 0
    names = [ext] if isinstance(ext, str) else ext
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        msg = f"{path}: key 'extends' = {_short(ext)}: give a scenario name or a list of names."
        raise ScenarioError(msg)
    _check_depth(path, seen, 0)
    out: list[tuple[Path, dict[str, Any]]] = []
    height = 0
    for name in names:
        base_path = _base_path(name, path)
        key = base_path.resolve()
        if key in seen:
            msg = f"{path}: key 'extends': {name!r} leads back to this file (a cycle)."
            raise ScenarioError(msg)
        entry = cache.get(key)
        if entry is None:
            if len(cache) >= MAX_EXTENDS_FILES:
                msg = (
                    f"{path}: key 'extends': the scenario builds on more than "
                    f"{MAX_EXTENDS_FILES} files in all; merge some of them."
                )
                raise ScenarioError(msg)
            base = read_toml(base_path)
            entry = (base, *_ancestors(base, base_path, (*seen, key), cache))
            cache[key] = entry
        else:
            _check_depth(path, seen, entry[2] + 1)
        height = max(height, entry[2] + 1)
        for item in [*entry[1], (key, entry[0])]:
            if all(item[0] != p for p, _ in out):
                out.append(item)
    return out, height


def _base_path(name: str, path: Path) -> Path:
    """The file of ``extends = name`` in `path`: a .toml beside it, or a shipped name."""
    candidate = path.parent / name
    try:
        if candidate.suffix == ".toml" and candidate.is_file():
            return candidate
        return resolve_scenario_path(name)
    except ScenarioError as err:
        msg = f"{path}: key 'extends': {err}"
        raise ScenarioError(msg) from None


def _check_depth(path: Path, seen: tuple[Path, ...], below: int) -> None:
    """Refuse a chain of ``extends`` longer than `MAX_EXTENDS_DEPTH` through `path`."""
    if len(seen) + below <= MAX_EXTENDS_DEPTH:
        return
    chain = " -> ".join(p.name for p in seen[:3]) + " -> ... -> " + path.name
    msg = (
        f"{path}: key 'extends': scenarios build on each other more than "
        f"{MAX_EXTENDS_DEPTH} deep ({chain}); at most {MAX_EXTENDS_DEPTH} levels of "
        "'extends' are allowed, so merge some of the files."
    )
    raise ScenarioError(msg)


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
