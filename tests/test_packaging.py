"""A wheel carries the shipped layers and scenarios: installed outside a checkout,
`redeploy run` works with no folder or environment variable given."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What a build needs from the checkout (copied, so the build leaves the checkout clean).
BUILD_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
BUILD_DIRS = ("redeploy", "geodata", "scenarios")


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, src / name)
    for name in BUILD_DIRS:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("redeploy-*.whl")
    return wheel


def test_wheel_ships_layers_and_scenarios(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [
        f"redeploy/geodata/{p.name}"
        for p in sorted((ROOT / "geodata").iterdir())
        if p.suffix in {".geojson", ".md"}
    ]
    shipped += [
        f"redeploy/geodata/calibration/{p.name}"
        for p in sorted((ROOT / "geodata" / "calibration").iterdir())
        if p.suffix in {".csv", ".md"}
    ]
    shipped += [f"redeploy/scenarios/{p.name}" for p in sorted((ROOT / "scenarios").glob("*.toml"))]
    assert "redeploy/geodata/calibration/posture_targets.csv" in shipped
    assert "redeploy/geodata/fronts.geojson" in shipped
    assert "redeploy/scenarios/baseline.toml" in shipped
    assert not set(shipped) - names
    assert "redeploy/data/coefficients.toml" in names
    assert "redeploy/data/basemap_encoded.json" in names

    # Installed (a wheel's pure files unpacked on the path) and run from elsewhere.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDEPLOY_")}
    env["PYTHONPATH"] = str(site)
    work = tmp_path / "work"
    work.mkdir()
    code = (
        "import redeploy, redeploy.layers as l, redeploy.scenario as s\n"
        "print(redeploy.__file__); print(l.default_layers_dir()); "
        "print(s.shipped_scenarios_dir())"
    )
    paths = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert [Path(p).resolve().is_relative_to(site.resolve()) for p in paths] == [True] * 3
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from redeploy.cli import main; main()",
            "run",
            "--quiet",
            "--format",
            "csv",
            "--out",
            "out",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (work / "out" / "baseline-flows.csv").stat().st_size > 0
