"""Ship the layers and scenarios inside the wheel (metadata lives in pyproject.toml).

`geodata/` and `scenarios/` stay at the repository's root, where the tools, docs and tests
name them; a wheel copies them to `redeploy/geodata/` and `redeploy/scenarios/`, where
`redeploy.layers.default_layers_dir` and `redeploy.scenario.shipped_scenarios_dir` look
when the package is not run from a checkout.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: (folder at the root, file patterns) copied into the package of a wheel.
SHIPPED = {
    "geodata": ("*.geojson", "*.md", "calibration/*.csv", "calibration/*.md"),
    "scenarios": ("*.toml",),
}


class BuildPyWithData(build_py):
    """build_py that also copies the shipped layers and scenarios into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout
            return
        for folder, patterns in SHIPPED.items():
            target = Path(self.build_lib) / "redeploy" / folder
            target.mkdir(parents=True, exist_ok=True)
            for pattern in patterns:
                for src in sorted((ROOT / folder).glob(pattern)):
                    dest = target / src.relative_to(ROOT / folder)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    self.copy_file(str(src), str(dest))


setup(cmdclass={"build_py": BuildPyWithData})
