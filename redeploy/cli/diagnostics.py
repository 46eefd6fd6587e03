"""The CLI's streams: diagnostics of the `redeploy` logger on stderr (``-v``), and tables
that are not wrapped when the output is a pipe or a file.

The package's modules log to ``logging.getLogger(__name__)`` (children of ``redeploy``);
the package itself only adds a `logging.NullHandler`, so a program or notebook that uses
redeploy decides where its diagnostics go. The CLI sends them to stderr: warnings always,
stage timings and the files read with ``-v``, solver and cache details with ``-vv``.
"""

from __future__ import annotations

import logging

import click
from rich.console import Console

#: Name of the package's logger.
LOGGER = "redeploy"
#: Width given to a console that writes to a pipe or a file: wide enough that no table
#: row or message is wrapped (rich would otherwise wrap at 80 columns, or at the width of
#: a terminal on another stream).
UNWRAPPED_WIDTH = 10_000


class _StderrHandler(logging.Handler):
    """Write records to the current ``sys.stderr`` (click finds it at each call, so tests
    that swap the stream see the records)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # logging's own contract: a failing handler reports, never raises
            self.handleError(record)


_HANDLER = _StderrHandler()
_HANDLER.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))


def log_level(verbosity: int) -> int:
    """Return the logging level of ``-v`` given `verbosity` times: WARNING, INFO, DEBUG."""
    if verbosity <= 0:
        return logging.WARNING
    return logging.INFO if verbosity == 1 else logging.DEBUG


def configure_logging(verbosity: int) -> None:
    """Send the `redeploy` logger's records of `log_level` (verbosity) and above to stderr."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(log_level(verbosity))
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)


def unwrap_off_terminal(*consoles: Console) -> None:
    """Give each console that does not write to a terminal `UNWRAPPED_WIDTH` columns, so a
    table piped to a file or another program keeps one line per row."""
    for console in consoles:
        if not console.is_terminal:
            console.width = UNWRAPPED_WIDTH
