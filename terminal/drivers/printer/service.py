"""One printer: a persistent spool and the one thread that talks to the device.

Callers never touch the device. ``submit`` writes the job to the spool and returns; the owner
thread prints spooled jobs in order, checking DLE EOT status before and after each one, and marks
a job done only when the status after it says OK. On a fault the job stays spooled and is retried
with back-off while the status is polled; when the fault clears, the printer's buffers are
cleared (DLE DC4 8) and the whole job is sent again.

A job sent again after an attempt that got as far as "sending" (a fault, a dropped link, a
crash or power cut in the middle, or after the last byte but before the "done" mark reached the
disk) may already be partly or wholly on paper, so it is printed under the document's reprint
title ("REPRINT", "重印"): a customer never holds two unmarked copies. A job that never started
prints once, unmarked. The window after the last byte is kept small: the job is one write, the
status is asked right after it, and the done mark is a synchronous SQLite commit.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace

from terminal.core import crashpoint
from terminal.core.ports import Clock, DeviceHealth, PrinterStatus
from terminal.core.records import PrintDoc, Text
from terminal.drivers.printer.raster import CjkFontMissing
from terminal.drivers.printer.render import CLEAR_BUFFERS, Renderer, RenderError
from terminal.drivers.printer.spool import Spool, SpooledJob, SpoolError
from terminal.drivers.printer.status import query_status, unknown, unreachable
from terminal.drivers.printer.transports import Transport, TransportError

log = logging.getLogger(__name__)


class PrinterStopped(RuntimeError):
    """The printer's owner thread has stopped; nothing more can be sent."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    first_s: float = 0.5
    """First back-off after a fault; doubles up to ``max_s``."""
    max_s: float = 5.0
    poll_s: float = 10.0
    """Status poll period while idle, so status() shows paper out before the next sale."""
    settle_s: float = 0.3
    """Wait after a job's last byte before asking the status, so a paper end hit while the
    printer works through its buffer is seen. Zero for emulated printers."""


class SpoolingPrinter:
    """A ``ReceiptPrinter``: submit() and status() never block on the device."""

    def __init__(
        self,
        *,
        transport: Transport,
        renderer: Renderer,
        spool: Spool,
        clock: Clock,
        retry: RetryPolicy | None = None,
        status_query: bool = True,
        on_status: Callable[[PrinterStatus], None] | None = None,
        on_settled: Callable[[str], None] | None = None,
        name: str = "printer",
    ) -> None:
        self.transport = transport
        self.renderer = renderer
        self.spool = spool
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.status_query = status_query
        self.on_status = on_status
        self.on_settled = on_settled
        """Called on the owner thread with a job's key once it is printed (or can never be),
        so whoever keeps the job elsewhere (the ledger's receipts owed) can let it go."""
        self.name = name
        self._lock = threading.Lock()
        # Serialises "add a job and count it" against "recount": without it a recount between
        # a submit's insert and its increment counts that job twice, forever.
        self._count_lock = threading.Lock()
        self._status = unknown("not checked yet")
        self._pending = spool.pending_count()
        self._wake = threading.Event()
        # A new job retries a faulted printer at once: paper reloaded, the next sale prints
        # without waiting out the back-off.
        self._retry_now = threading.Event()
        self._stopping = threading.Event()
        self._commands: queue.SimpleQueue[tuple[bytes, bytes, Future[None]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition(self._lock)
        self._expected: set[str] = set()
        """Keys of jobs kept durably elsewhere, not yet submitted (see ``expect``)."""

    # -- caller side --------------------------------------------------------------------------

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name=f"printer-{self.name}", daemon=True
            )
            self._thread.start()

    def submit(self, doc: PrintDoc, *, durable: bool = True) -> None:
        """Spool the job (on disk before this returns) and wake the owner. A key that was
        already spooled, printed or not, is ignored: a reprint is a new key. ``durable=False``
        when the job is kept durably elsewhere (see ``Spool.add``)."""
        if self._stopping.is_set():
            raise PrinterStopped(f"printer {self.name} is stopped")
        with self._lock:
            if doc.key in self._expected:
                self._expected.discard(doc.key)
                durable = False
        with self._count_lock:
            added = self.spool.add(doc, self.clock.now(), durable=durable)
            if added:
                with self._lock:
                    self._pending += 1
        if added:
            self._retry_now.set()
            self._wake.set()

    def expect(self, key: str) -> None:
        """The job ``key`` is kept durably elsewhere (a receipt the ledger owes): when it is
        submitted it is spooled without a sync of its own."""
        with self._lock:
            self._expected.add(key)

    def job_state(self, key: str) -> str | None:
        """The spool's state for ``key`` ("pending", "sending", "done", "failed"), None when
        it was never spooled (or printed so long ago it was pruned)."""
        return self.spool.state_of(key)

    def status(self) -> PrinterStatus:
        with self._lock:
            return replace(self._status, pending_jobs=self._pending)

    def kick_drawer(self, pin: int = 2, on_ms: int = 100, off_ms: int = 200) -> Future[None]:
        """Queue a pulse on the drawer kick port, ahead of waiting receipts: ESC p, or the
        real-time DLE DC4 1 when the last status said offline (paper out, cover open).

        Returns a Future that completes once the bytes reached the printer, or fails with
        ``TransportError``/``PrinterStopped``. Kicks are not spooled: a drawer must never open
        by itself after a restart.
        """
        data = self.renderer.kick(pin, on_ms, off_ms)
        offline_data = self.renderer.realtime_kick(pin, on_ms)
        fut: Future[None] = Future()
        if self._stopping.is_set():
            fut.set_exception(PrinterStopped(f"printer {self.name} is stopped"))
            return fut
        self._commands.put((data, offline_data, fut))
        self._wake.set()
        return fut

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is pending (tests, doctor, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
            return True

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current write, then stop the owner thread and close the device."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"printer {self.name} owner thread did not stop in {timeout}s")
        self._fail_commands()
        with contextlib.suppress(OSError):
            self.transport.close()
        self.spool.close()

    # -- owner thread -------------------------------------------------------------------------

    def _run(self) -> None:
        # Scheduling uses time.monotonic, not the injected clock: a frozen test clock must not
        # freeze the retry loop. The injected clock stamps spool rows.
        backoff = 0.0
        next_try = 0.0
        next_poll = 0.0
        try:
            self.spool.prune(self.clock.now())
            self._refresh_pending()
            while not self._stopping.is_set():
                self._run_commands()
                try:
                    job = self.spool.next_job()
                except SpoolError as e:
                    self._set_status(unknown(str(e)))
                    self._sleep(self.retry.poll_s)
                    continue
                if self._retry_now.is_set():
                    self._retry_now.clear()
                    next_try = 0.0
                now = time.monotonic()
                if job is None:
                    if now >= next_poll:
                        self._poll_status()
                        next_poll = time.monotonic() + self.retry.poll_s
                    self._sleep(max(0.0, next_poll - time.monotonic()))
                    continue
                if now < next_try:
                    self._sleep(next_try - now)
                    continue
                try:
                    printed = self._print(job)
                except SpoolError as e:
                    # Disk trouble: the job is still spooled (or will be reprinted); wait.
                    self._set_status(unknown(str(e)))
                    printed = False
                if printed:
                    backoff = 0.0
                    next_try = 0.0
                    next_poll = time.monotonic() + self.retry.poll_s
                else:
                    backoff = (
                        self.retry.first_s if backoff == 0 else min(self.retry.max_s, backoff * 2)
                    )
                    next_try = time.monotonic() + backoff
                self._refresh_pending()
        except Exception as e:  # the owner must report why it died, not vanish silently
            log.exception("printer %s owner thread failed", self.name)
            self._set_status(unknown(f"printer driver stopped: {e}"))
            raise
        finally:
            self._fail_commands()
            with contextlib.suppress(OSError):
                self.transport.close()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _refresh_pending(self) -> None:
        with self._count_lock:
            count = self.spool.pending_count()
            with self._idle:
                self._pending = count
                if count == 0:
                    self._idle.notify_all()

    def _set_status(self, status: PrinterStatus) -> None:
        with self._lock:
            changed = (status.health, status.detail) != (self._status.health, self._status.detail)
            self._status = status
        if changed:
            log.info("printer %s: %s %s", self.name, status.health.value, status.detail)
            if self.on_status is not None:
                self.on_status(replace(status, pending_jobs=self._pending))

    def _fail_commands(self) -> None:
        while True:
            try:
                _data, _offline, fut = self._commands.get_nowait()
            except queue.Empty:
                return
            if not fut.done():
                fut.set_exception(PrinterStopped(f"printer {self.name} stopped"))

    def _run_commands(self) -> None:
        while True:
            try:
                data, offline_data, fut = self._commands.get_nowait()
            except queue.Empty:
                return
            if not fut.set_running_or_notify_cancel():
                continue
            with self._lock:
                offline = self._status.online is False
            try:
                self.transport.open()
                # Out of paper is exactly when a cash sale still needs its drawer: an offline
                # printer ignores ESC p but carries out the real-time pulse.
                self.transport.write(offline_data if offline else data)
            except TransportError as e:
                self._set_status(unreachable(str(e)))
                fut.set_exception(e)
            else:
                fut.set_result(None)

    def _connect(self) -> bool:
        """Open the transport if needed; True when this call opened it."""
        fresh = not self.transport.is_open
        self.transport.open()
        return fresh

    def _check(self, fresh: bool) -> PrinterStatus:
        """Status over the open transport. A link that was already open may have gone stale
        since the last job (printers drop idle TCP connections): it is reopened once."""
        try:
            return query_status(self.transport)
        except TransportError:
            if fresh:
                raise
        self.transport.close()
        self.transport.open()
        return query_status(self.transport)

    def _reads_status(self) -> bool:
        # Known only once the transport is open (a device file may open write-only).
        return self.status_query and self.transport.can_read_status

    def _poll_status(self) -> None:
        try:
            fresh = self._connect()
            if not self._reads_status():
                return
            status = self._check(fresh)
        except TransportError as e:
            status = unreachable(str(e))
        self._set_status(status)

    def _settled(self, key: str) -> None:
        if self.on_settled is None:
            return
        try:
            self.on_settled(key)
        except Exception:  # the job is printed; bookkeeping trouble must not reprint it
            log.exception("printer %s: settling job %s failed", self.name, key)

    def _fail(self, key: str, error: str) -> None:
        self.spool.mark_failed(key, error)
        self._settled(key)

    def _print(self, job: SpooledJob) -> bool:
        # attempts > 0: an earlier attempt got as far as "sending", so some or all of this
        # job may be on paper already (a fault or a crash in the middle). The copy printed now
        # says so at its top; a job that never started prints unmarked, once.
        doc = marked_reprint(job.doc) if job.attempts > 0 else job.doc
        try:
            rendered = self.renderer.render(doc)
        except RenderError as e:
            log.error("printer %s: job %s cannot be printed: %s", self.name, job.key, e)
            self._fail(job.key, str(e))
            return True
        except CjkFontMissing as e:
            # Fixable on site (install fonts): keep the job and say why nothing prints.
            self._set_status(PrinterStatus(health=DeviceHealth.FAULT, detail=str(e)))
            return False
        except Exception as e:
            # A document the renderer chokes on must not stop every receipt behind it, nor the
            # owner thread; it is kept in the spool as failed, with the error, for inspection.
            log.exception("printer %s: rendering job %s failed", self.name, job.key)
            self._fail(job.key, f"render failed: {e!r}")
            return True
        try:
            fresh = self._connect()
            reads_status = self._reads_status()
            if reads_status:
                before = self._check(fresh)
                self._set_status(before)
                if before.health is not DeviceHealth.OK:
                    self.spool.note_error(job.key, f"before job: {before.detail}")
                    return False
            if job.attempts > 0:
                # An earlier attempt may have left part of this job in the printer's buffer.
                self.transport.write(CLEAR_BUFFERS)
            self.spool.mark_sending(job.key, self.clock.now())
            self.transport.begin_job(job.key, rendered.raster_texts)
            self._send(rendered.data)
            crashpoint.reached("printer.sent")
            if reads_status:
                if self.retry.settle_s > 0:
                    self._stopping.wait(self.retry.settle_s)
                after = self._check(fresh=False)
                self._set_status(after)
                if after.health is not DeviceHealth.OK:
                    self.spool.note_error(job.key, f"after job: {after.detail}")
                    return False
            else:
                self._set_status(
                    PrinterStatus(
                        health=DeviceHealth.UNKNOWN,
                        detail="printed without status (one-way link)",
                    )
                )
            self.spool.mark_done(job.key, self.clock.now())
            self._settled(job.key)
            return True
        except TransportError as e:
            self.transport.close()
            self._set_status(unreachable(str(e)))
            self.spool.note_error(job.key, str(e))
            return False

    def _send(self, data: bytes) -> None:
        if crashpoint.due("printer.mid_job"):
            # The crash test's "in the middle of a receipt": half the job reaches the printer.
            self.transport.write(data[: len(data) // 2])
            time.sleep(0.05)
            crashpoint.kill()
        self.transport.write(data)


def marked_reprint(doc: PrintDoc) -> PrintDoc:
    """``doc`` with its reprint title as the first line, large, so the customer can tell the
    copy from one an interrupted attempt may have printed."""
    title = Text(doc.reprint_title or "REPRINT", align="center", bold=True, size=2)
    return replace(doc, blocks=(title, *doc.blocks))
