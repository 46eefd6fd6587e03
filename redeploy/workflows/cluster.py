"""Dask for sweeps: a local cluster on this machine, or a connection to a scheduler.

A local cluster binds its scheduler, workers and dashboard to 127.0.0.1; an existing
scheduler is reached by address within a deadline, and an address nothing listens on is
refused before anything is prepared.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from redeploy.errors import RedeployError

if TYPE_CHECKING:
    from distributed import Client

#: Seconds to wait for a connection to an existing Dask scheduler before giving up.
SCHEDULER_TIMEOUT = 20.0


def _connect(client_class: Any, address: str, timeout: float = SCHEDULER_TIMEOUT) -> Any:
    """
    Connect to the scheduler at `address` within `timeout` seconds, or raise RedeployError.

    `distributed.Client` can wait without limit when something other than a Dask scheduler
    answers on the port, so the connection is made in a daemon thread with a deadline.
    """
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = client_class(address, timeout=timeout)
        except Exception as err:  # reported to the caller below
            box["error"] = err

    thread = threading.Thread(target=connect, name="redeploy-connect", daemon=True)
    thread.start()
    thread.join(timeout * 1.5 + 1)
    if "client" in box:
        return box["client"]
    error = box.get("error")
    if error is None:
        reason = f"no answer within {timeout * 1.5 + 1:g} s"
    elif isinstance(error, MemoryError | UnicodeDecodeError | ValueError):
        # Dask read a frame length or header from a service that speaks something else.
        reason = "the service listening there does not speak Dask's protocol"
    else:
        reason = f"{type(error).__name__}: {error}"
    msg = (
        f"--scheduler {address}: cannot connect to a Dask scheduler there ({reason}); "
        "check the address (tcp://host:8786) or leave out --scheduler to use a local cluster"
    )
    raise RedeployError(msg)


@contextlib.contextmanager
def sweep_client(
    workers: int | None = None, scheduler: str | None = None, *, processes: bool = True
) -> Iterator[Client]:
    """
    Yield a Dask client: a new `LocalCluster` or a connection to `scheduler`.

    Parameters
    ----------
    workers
        Worker processes of the local cluster (one thread each); the machine's cores by
        default.
    scheduler
        Address of an existing scheduler (``tcp://host:8786``); `workers` is then ignored.
    processes
        Workers in separate processes (True) or threads of this one.
    """
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        client = _connect(Client, scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=processes,
        # this machine only: the scheduler, the workers and the dashboard listen on the
        # loopback interface (a free port: never clash with a running cluster); threads
        # talk in process (inproc://), with no socket at all
        **({"host": "127.0.0.1"} if processes else {}),
        dashboard_address="127.0.0.1:0",
        # Failures reach the user through the sweep (retries, a clear message); workers'
        # own log lines (a heartbeat racing the shutdown) would only add tracebacks.
        silence_logs=logging.CRITICAL,
        # worker processes leave Ctrl-C to the client (redeploy/_worker.py)
        **({"preload": ["redeploy._worker"]} if processes else {}),
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        # Closing while tasks are still queued (Ctrl-C) makes the scheduler log, at
        # CRITICAL, every message it can no longer send to the closed client: noise.
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL + 1)
        try:
            client.close()
            cluster.close()
        finally:
            quiet.setLevel(level)


def worker_threads(client: Client) -> int:
    info = client.scheduler_info()
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))


#: Seconds `check_scheduler` waits for a TCP connection to a Dask scheduler.
SCHEDULER_CONNECT_TIMEOUT = 5.0


def check_scheduler(address: str, timeout: float = SCHEDULER_CONNECT_TIMEOUT) -> None:
    """
    Refuse a ``--scheduler`` address nothing listens on, within `timeout` seconds.

    Only ``tcp://`` and ``tls://`` addresses (or a bare ``host:port``) are probed; Dask
    reports on other transports itself.

    Raises
    ------
    RedeployError
        Naming the address, why it failed and what to do.
    """
    import socket
    from urllib.parse import urlsplit

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in ("tcp", "tls"):
        return
    example = "e.g. tcp://127.0.0.1:8786"
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host, port = parts.hostname, parts.port
    except ValueError as err:
        msg = f"--scheduler {address!r}: not a scheduler address ({err}); {example}"
        raise RedeployError(msg) from None
    if not host or port is None:
        msg = f"--scheduler {address!r}: give the scheduler's host and port, {example}"
        raise RedeployError(msg)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        reason = "timed out" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        msg = (
            f"--scheduler {address}: cannot reach a Dask scheduler there ({reason}, waited "
            f"up to {timeout:g} s); start one (`dask scheduler`) or leave out --scheduler "
            "to use a local cluster (--workers N)"
        )
        raise RedeployError(msg) from None
