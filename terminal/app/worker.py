"""The one background thread the screens hand core work to, and how its results come back."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from terminal.core.ports import Dispatch

log = logging.getLogger("terminal")

_Job = tuple[Callable[[], Any], Callable[[Any], None] | None,
             Callable[[BaseException], object] | None]
"""The call, then what to do with its result or its error."""


class Worker:
    """One background thread running core calls one at a time, in submission order.

    Serial on purpose: ledger writes must not interleave, and a clerk's actions happen in the
    order they were made. Results and errors go back through ``dispatch`` so callbacks run on
    the UI thread.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        on_unhandled: Callable[[BaseException], None] | None = None,
        name: str = "core-worker",
    ) -> None:
        self._dispatch = dispatch
        self._on_unhandled = on_unhandled
        self._after: list[Callable[[], BaseException | None]] = []
        self._queue: queue.Queue[_Job | None]
        self._queue = queue.Queue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._cond = threading.Condition()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
        **kwargs: Any,
    ) -> None:
        """Queue ``fn(*args, **kwargs)``; ``on_done(result)`` or ``on_error(exc)`` is dispatched
        afterwards. An error with no ``on_error`` goes to ``on_unhandled``."""
        with self._cond:
            self._pending += 1
        self._queue.put((lambda: fn(*args, **kwargs), on_done, on_error))

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def after(self, fn: Callable[[], BaseException | None]) -> None:
        """Run ``fn`` on this thread once the job running now has handed back its result, and
        before the next job: work the screen need not wait for (the basket's journal write
        after a scan). An error ``fn`` returns or raises goes to ``on_unhandled``."""
        self._after.append(fn)

    def _run_after(self) -> None:
        todo, self._after = self._after, []
        for fn in todo:
            try:
                problem = fn()
            except Exception as e:
                problem = e
            if problem is None:
                continue
            if self._on_unhandled is None:
                log.error("after a job: %s", problem)
            else:
                self._dispatch(partial(self._on_unhandled, problem))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            call, on_done, on_error = job
            self._after = []
            try:
                result = call()
            except Exception as e:
                handler = on_error or self._on_unhandled
                if handler is None:
                    log.exception("unhandled error on the worker")
                else:
                    self._dispatch(partial(handler, e))
            else:
                if on_done is not None:
                    self._dispatch(partial(on_done, result))
            finally:
                self._run_after()
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

