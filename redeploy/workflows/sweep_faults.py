"""What can go wrong while a sweep runs, said clearly: lost workers, a parts folder in the way.

A sweep keeps each completed batch as a part file; when every worker is lost (killed,
out of memory) or the user presses Ctrl-C, the completed samples are combined into
``NAME-sweep-partial.parquet``, beside (never over) the files of an earlier complete sweep,
so that ``NAME-sweep.parquet``, ``NAME-sweep-summary.csv`` and ``NAME-sweep.html`` always
describe one sweep.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from redeploy.errors import OutputError, RedeployError

if TYPE_CHECKING:
    import pandas as pd


class WorkersLost(RedeployError):
    """The Dask workers died (or the cluster went away) before every batch was solved;
    `reason` is Dask's error and `table` the samples completed before (when known)."""

    def __init__(self, message: str, *, reason: str = "", table: pd.DataFrame | None = None):
        import pandas as pd

        super().__init__(message)
        self.reason = reason or message
        self.table = table if table is not None else pd.DataFrame()


def lost_worker_errors() -> tuple[type[BaseException], ...]:
    """The errors Dask raises for a batch when the workers running it are lost."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    return (KilledWorker, CancelledError, CommClosedError)


def workers_lost(err: BaseException) -> WorkersLost:
    """Return the `WorkersLost` error for Dask's `err` (the caller adds the samples)."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    reason = f"{type(err).__name__}{f': {first}' if first else ''}"
    return WorkersLost(reason, reason=reason)


def lost(
    err: WorkersLost, samples: int, path: Path | None, table: pd.DataFrame | None = None
) -> WorkersLost:
    """Return `err` again with the whole message: the samples completed (`table`, by
    default the error's), and where they are kept."""
    table = table if table is not None else err.table
    kept = f"; the {len(table):,} completed samples are kept in {path}" if path else ""
    message = (
        f"the sweep lost its Dask workers after {len(table):,} of {samples:,} samples "
        f"({err.reason}): workers killed, out of memory, or the cluster shut down{kept} "
        "(no summary or map written; earlier sweep outputs unchanged); run again, with "
        "fewer --workers or a smaller --batch-size if memory ran out"
    )
    return WorkersLost(message, reason=err.reason, table=table)


def check_parts_dir(parts: Path) -> None:
    """
    Refuse a parts folder that is a symbolic link or not a folder: the sweep empties it
    before it starts, and must never follow a link to delete what lies elsewhere.

    Raises
    ------
    OutputError
        Naming the path, what it is and what to do.
    """
    if parts.is_symlink():
        msg = (
            f"{parts}: is a symbolic link (to {Path(parts).readlink()}); a sweep empties its "
            "parts folder and never follows a link to do so: remove the link, or use "
            "another --out"
        )
        raise OutputError(msg)
    if parts.exists() and not parts.is_dir():
        msg = f"{parts}: is a file in the way of the sweep's parts folder; move it away"
        raise OutputError(msg)
