"""The `redeploy` command line: a thin layer over `redeploy.workflows`.

Exit codes: 0 success, 2 bad input (message on stderr), 3 infeasible scenario, 130 Ctrl-C.
Commands live by group: `redeploy.cli.layers`, `.scenarios`, `.run` (run, compare),
`.analysis` (frontier, sweep), `.calibrate` (calibrate, validate), `.uncertainty`
(sensitivity, discover) and `.outputs` (verify); `redeploy.cli.common` holds the app,
options and messages.
"""

# importing the modules registers their commands
from redeploy.cli import (  # noqa: F401
    analysis,
    calibrate,
    layers,
    outputs,
    run,
    scenarios,
    uncertainty,
)
from redeploy.cli.common import app


def main() -> None:
    """Run the CLI (the `redeploy` console script and ``python -m redeploy``)."""
    app()


__all__ = ["app", "main"]
