"""Set-up of the Dask worker processes of a local sweep cluster (a Dask preload module).

Ctrl-C in a terminal reaches every process of the foreground group. The client handles it
(`redeploy sweep` keeps the completed samples and exits 130) and closes the cluster; the
workers must not also raise KeyboardInterrupt, or each prints a traceback on the way out.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker process (Dask calls this when the worker starts)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
