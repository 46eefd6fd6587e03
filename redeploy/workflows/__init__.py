"""Workflows: the commands as Python functions, wiring the stages and publishing outputs.

`run_scenario` / `write_run` (`redeploy run`), `run_compare`, `run_frontier` and
`run_sweep`. Each writes its set of files through `redeploy.io.atomic` so that a failed
command leaves earlier outputs intact. The CLI (`redeploy.cli`) is a thin layer over these.
"""

from redeploy.workflows.run import (
    DEFAULT_OUT_DIR,
    MODEL_LAYERS,
    RunOutput,
    compute_run_id,
    run_scenario,
    with_basemap,
    write_run,
)

__all__ = [
    "DEFAULT_OUT_DIR",
    "MODEL_LAYERS",
    "RunOutput",
    "compute_run_id",
    "run_scenario",
    "with_basemap",
    "write_run",
]
