"""Running tasks on an executor with a progress bar (public): used by sweeps and replays.

:func:`execute` submits tasks to a ``concurrent.futures`` executor (or runs them in this process),
hands each result to a callback in the parent process and, on Ctrl-C, cancels pending tasks and
ends the worker processes it started.  :class:`Progress` is the rich progress bar (cost-weighted,
with ETA) shown on stderr.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any

__all__ = ["Progress", "execute", "worker_init"]


#: ``prctl`` option: signal delivered to this process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
#: Seconds between two checks of the parent's pid by the watchdog thread.
WATCHDOG_PERIOD = 0.5


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc / no prctl
        return False


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as its parent is gone (re-parented to another pid)."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_PERIOD)
    os._exit(1)


def worker_init(parent: int | None = None) -> None:
    """Pool initializer: leave Ctrl-C to the parent, and die with the parent.

    A worker must not outlive the process that started it (a SIGKILLed sweep would otherwise
    leave workers holding its pipes): on Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, and on
    every platform a daemon thread that exits the worker when its parent pid changes (the
    fallback, and the guard against the race of a parent dying before ``prctl`` ran).

    Parameters
    ----------
    parent : int, optional
        The pid of the process that created the pool (default: this process's parent).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid() if parent is None else parent
    _set_parent_death_signal()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="gmmsym-watchdog").start()


class Progress:
    """A rich progress bar on stderr (cost-weighted, so the ETA accounts for k and steps)."""

    def __init__(self, enabled: bool, total_cost: float, total_rows: int, description: str) -> None:
        self._bar = None
        self._started = False
        if not enabled or total_rows == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]}/{task.fields[total_rows]} runs"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._rows = 0
        self._task = self._bar.add_task(description, total=total_cost, rows=0, total_rows=total_rows)

    def __enter__(self) -> Progress:
        return self

    def start(self) -> None:
        """Show the bar (idempotent); also done by the first :meth:`advance`."""
        if self._bar is not None and not self._started:
            self._started = True
            self._bar.start()

    def advance(self, cost: float, rows: int) -> None:
        if self._bar is not None:
            self.start()
            self._rows += rows
            self._bar.update(self._task, advance=cost, rows=self._rows)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None and self._started:
            self._bar.stop()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel pending chunks and end the pool's worker processes (after Ctrl-C or an error)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # the processes this pool started
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=5)


def execute(
    fn: Callable[[Any], Any],
    items: Sequence[tuple[Any, Any]],
    executor: Executor | None,
    workers: int,
    on_done: Callable[[Any, Any], None],
    bar: Progress | None = None,
) -> None:
    """Compute ``fn(payload)`` for every ``(payload, meta)`` and call ``on_done(meta, result)`` here.

    Without ``executor``: serially in this process when ``workers == 1``, else in a
    ``ProcessPoolExecutor`` created (and stopped) here.  ``on_done`` always runs in the calling
    process, in completion order.  On Ctrl-C or an error, pending work is cancelled and the
    worker processes started here are ended before the exception propagates.
    """
    if not items:
        return
    if executor is None and workers == 1:
        if bar is not None:
            bar.start()
        for payload, meta in items:
            on_done(meta, fn(payload))
        return
    pool = None
    ex = executor
    if ex is None:
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(items)), initializer=worker_init, initargs=(os.getpid(),)
        )
        ex = pool
    futures: dict[Future[Any], Any] = {}
    try:
        # Submit everything before the progress bar starts its refresh thread (fork safety).
        for payload, meta in items:
            futures[ex.submit(fn, payload)] = meta
        if bar is not None:
            bar.start()
        for fut in as_completed(futures):
            on_done(futures[fut], fut.result())
    except BaseException:
        for fut in futures:
            fut.cancel()
        if pool is not None:
            _stop_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
