"""Bounds on what a scenario file may hold before and after it is parsed.

Python's TOML parser recurses once per nested array or inline table and converts integers
of any length, so a hostile file (5,000 nested arrays, a 5,000-digit integer, a chain of
1,000 files that extend each other) would end in a RecursionError or a ValueError. These
bounds refuse such files with a message naming the file, the line or key and the limit;
a real scenario is far inside every one of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from redeploy.errors import ScenarioError

#: Largest scenario file read (bytes); the shipped ones are a few kilobytes.
MAX_SCENARIO_BYTES = 1_000_000
#: Deepest nesting of arrays and inline tables in a scenario file (the shipped ones: 2).
MAX_NESTING = 32
#: Largest integer (in absolute value) a scenario file may hold.
MAX_INTEGER = 10**15
#: Longest chain of ``extends`` (a file that builds on one that builds on one ...).
MAX_EXTENDS_DEPTH = 16
#: Most distinct files one scenario may build on, over every branch of its ``extends``.
MAX_EXTENDS_FILES = 64

NESTING_HINT = (
    f"scenario files nest arrays and tables at most {MAX_NESTING} deep (see `redeploy "
    "scenarios schema` for what they hold)"
)
SIZE_HINT = (
    f"scenario files are at most {MAX_SCENARIO_BYTES:,} bytes and their integers at most "
    f"{MAX_INTEGER:.0e} in absolute value"
)

# Strings (whose brackets do not nest anything), comments and brackets, in file order.
_TOKENS = re.compile(
    r'"""(?:\\.|[^\\])*?"""'
    r"|'''[\s\S]*?'''"
    r'|"(?:\\.|[^"\\\n])*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
    r"|[\[\]{}]"
)


def check_toml_nesting(text: str, path: Path) -> None:
    """
    Refuse TOML text whose arrays or inline tables nest deeper than `MAX_NESTING`.

    Raises
    ------
    ScenarioError
        Naming the file and the line where the nesting passes the limit.
    """
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_NESTING:
                line = text.count("\n", 0, match.start()) + 1
                msg = (
                    f"{path}: line {line}: arrays or inline tables nested more than "
                    f"{MAX_NESTING} deep; {NESTING_HINT}"
                )
                raise ScenarioError(msg)
        elif token in ("]", "}"):
            depth = max(0, depth - 1)


def _key_text(keys: tuple[str, ...]) -> str:
    return "".join(k if k.startswith("[") else f".{k}" for k in keys).lstrip(".")


def check_toml_values(data: Mapping[str, Any], path: Path) -> None:
    """
    Refuse parsed TOML nested deeper than `MAX_NESTING` or holding an integer beyond
    `MAX_INTEGER`, naming the dotted key (the walk uses no recursion).

    Raises
    ------
    ScenarioError
        Naming the file, the key, the value (shortened) and the limit.
    """
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        keys, value = stack.pop()
        if len(keys) > MAX_NESTING:
            msg = f"{path}: key {_key_text(keys[:MAX_NESTING])!r}...: {NESTING_HINT}"
            raise ScenarioError(msg)
        if isinstance(value, Mapping):
            stack.extend(((*keys, str(k)), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*keys, f"[{i}]"), v) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            digits = len(str(abs(value)))
            msg = (
                f"{path}: key {_key_text(keys)!r} = {str(value)[:12]}... ({digits:,} digits): "
                f"integers in scenario files are at most {MAX_INTEGER:.0e} in absolute "
                "value; no figure of the schema comes near (see `redeploy scenarios schema`)"
            )
            raise ScenarioError(msg)
