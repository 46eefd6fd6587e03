"""The public API and the one-way data flow between stages."""

from __future__ import annotations

import subprocess
import sys

import redeploy


def test_public_names_resolve():
    for name in redeploy.__all__:
        assert getattr(redeploy, name) is not None, name


def test_model_never_imports_folium():
    code = (
        "import sys\n"
        "import redeploy.model, redeploy.scenario, redeploy.export.tables, redeploy.model.sweep\n"
        "assert 'folium' not in sys.modules, 'model stages imported folium'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_rendering_does_not_import_the_solver():
    code = (
        "import sys\n"
        "import redeploy.render, redeploy.export\n"
        "bad = [m for m in ('highspy', 'redeploy.model.allocation') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
