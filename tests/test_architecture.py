"""The package's shape: one-way imports (import-linter), a typed public API, sizes."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import redeploy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "redeploy"

#: Longest module (lines) and function (lines of code, its docstring left out) outside the
#: allow-list.
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Paths left out of the size limits (none: every module, the model's included, meets them).
SIZE_EXEMPT: tuple[str, ...] = ()


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    # The checkout's package, not an installed copy, whatever the working folder.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def test_stages_below_rendering_load_no_folium():
    code = (
        "import sys\n"
        "import redeploy.model, redeploy.export, redeploy.layers, redeploy.scenario\n"
        "import redeploy.model.sweep, redeploy.io, redeploy.palette, redeploy.schemas\n"
        "bad = [m for m in ('folium', 'branca') if m in sys.modules]\n"
        "assert not bad, f'stages below rendering imported {bad}'\n"
    )
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr


def test_a_run_loads_no_sampling_or_workbook_library(tmp_path):
    # scipy.stats took 30 % of `redeploy run`'s imports and openpyxl 8 %; a run that
    # neither samples nor writes a workbook loads neither.
    code = (
        "import sys\n"
        "from redeploy.cli import app\n"
        f"app(['run', '--out', {str(tmp_path)!r}, '-q'], standalone_mode=False)\n"
        "bad = [m for m in ('scipy.stats', 'openpyxl') if m in sys.modules]\n"
        "assert not bad, f'redeploy run imported {bad}'\n"
    )
    proc = _run([sys.executable, "-c", code])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "baseline.html").exists()


def test_import_contracts_hold():
    """The arrows of DESIGN.md section 8 (`[tool.importlinter]` in pyproject.toml)."""
    lint = shutil.which("lint-imports")
    assert lint, "lint-imports is missing: pip install -e '.[test]'"
    proc = _run([lint, "--no-cache", "--no-logo"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.unparse(stmt)
                for alias in stmt.names:
                    names[alias.asname or alias.name] = str(stmt.module)
    return names


def test_public_api_is_visible_to_type_checkers():
    """Each lazy export is also imported under TYPE_CHECKING, from the same module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert _type_checking_imports(tree) == redeploy._EXPORTS
    assert sorted(redeploy.__all__) == sorted(["__version__", *redeploy._EXPORTS])


def test_python_m_redeploy_runs_the_cli():
    proc = _run([sys.executable, "-m", "redeploy", "--version"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"redeploy {redeploy.__version__}"


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the end, less the docstring: a numpydoc docstring of a public
    function with many options is documentation, not length to split."""
    assert node.end_lineno is not None
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        assert first.end_lineno is not None
        if isinstance(first.value.value, str):
            lines -= first.end_lineno - first.lineno + 1
    return lines


def _sizes() -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    modules, functions = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(SIZE_EXEMPT):
            continue
        text = path.read_text(encoding="utf-8")
        modules.append((rel, len(text.splitlines())))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                functions.append((f"{rel}:{node.name}", _code_lines(node)))
    return modules, functions


@pytest.mark.parametrize("what", ["modules", "functions"])
def test_modules_and_functions_stay_short(what):
    modules, functions = _sizes()
    limit = MAX_MODULE_LINES if what == "modules" else MAX_FUNCTION_LINES
    sizes = modules if what == "modules" else functions
    too_long = [f"{name} ({n} lines)" for name, n in sizes if n > limit]
    assert not too_long, f"{what} over {limit} lines; split them by job: {too_long}"
