"""The `redeploy` command line, as ``python -m redeploy`` and as the console script.

Loading the CLI takes a moment (typer, rich and the model's libraries); Ctrl-C pressed then
ends the command quietly with exit 130, as it does once a command runs, not with a
traceback from the middle of an import.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _interrupted_while_loading(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("interrupted: nothing was done.\n")
    raise SystemExit(130)


def main() -> None:
    """Load the CLI with Ctrl-C made quiet, then run it (`redeploy.cli.main`)."""
    previous = signal.signal(signal.SIGINT, _interrupted_while_loading)
    try:
        from redeploy.cli import main as run_cli
    finally:
        signal.signal(signal.SIGINT, previous)
    run_cli()


if __name__ == "__main__":
    main()
