"""Where the shipped data folders (`geodata/`, `scenarios/`) are found."""

from __future__ import annotations

import os
from pathlib import Path


def shipped_folder(name: str, env_var: str) -> Path:
    """
    Return the shipped folder `name`: the environment variable `env_var` if set, else the
    copy inside an installed wheel (``redeploy/<name>/``, see ``setup.py``), else, in a
    checkout, the repository's ``<name>/`` beside the package.
    """
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    package = Path(__file__).resolve().parent
    installed = package / name
    return installed if installed.is_dir() else package.parent / name
