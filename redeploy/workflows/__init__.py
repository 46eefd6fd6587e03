"""Workflows: the commands as Python functions, wiring the stages and publishing outputs.

`run_scenario` / `write_run` (`redeploy run`), `run_compare`, `run_frontier` and
`run_sweep`. Each publishes its set of files through `redeploy.io.publish` (staged, then
moved into place under the folder's lock with a manifest), so that a failed command leaves
earlier outputs intact and a killed one leaves a set the next command finishes. The CLI
(`redeploy.cli`) is a thin layer over these.
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
