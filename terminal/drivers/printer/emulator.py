"""An ESC/POS printer in software: answers DLE EOT like a real one, records what it prints, and
fails on request (paper out, cover open, power gone), including in the middle of a job.

``EmulatedPrinter`` is the device: bytes in, status answers out. ``PrinterEmulator`` puts it on a
loopback TCP port like a network printer on 9100 (tests, ``pos-terminal doctor``, demos); the
simulated printer drives the same device in-process.

What counts as printed: the bytes from one job's start to its cut, received while the printer
had paper, a closed cover and power throughout. A job hit by a fault is recorded as spoiled
(what a clerk would tear off and throw away).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from terminal.drivers.printer.decode import decode, next_token
from terminal.drivers.printer.status import encode_status

FAULTS = ("paper_out", "cover_open", "offline")


@dataclass(frozen=True, slots=True)
class ReceivedJob:
    data: bytes
    complete: bool
    """True when the job reached the cutter with nothing going wrong on the way."""
    fault: str = ""
    """What spoiled it: "paper_out", "cover_open", "offline", "cleared" (DLE DC4 8)."""

    @property
    def text(self) -> str:
        return decode(self.data)


@dataclass(slots=True)
class _Trip:
    after_bytes: int
    fault: str


@dataclass
class EmulatedPrinter:
    """Thread-safe printer state machine; ``feed`` is the wire."""

    answer_status: bool = True
    """False: status queries go unanswered (a printer without a back channel)."""
    on_job: Callable[[ReceivedJob], None] | None = None
    paper_out: bool = False
    paper_low: bool = False
    cover_open: bool = False
    offline: bool = False
    """Power gone / cable pulled: nothing is received and connections drop."""
    jobs: list[ReceivedJob] = field(default_factory=list)
    kicks: list[bytes] = field(default_factory=list)
    clears: int = 0
    """DLE DC4 8 (clear buffers) commands received."""
    _buf: bytearray = field(default_factory=bytearray)
    _job: bytearray = field(default_factory=bytearray)
    _spoiled: str = ""
    _trip: _Trip | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    # -- fault injection ----------------------------------------------------------------------

    def set_fault(self, fault: str, on: bool = True) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown printer fault {fault!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            setattr(self, fault, on)
            if on:
                self._spoil(fault)
            self._changed.notify_all()

    def fail_after(self, after_bytes: int, fault: str = "paper_out") -> None:
        """Arm a fault that strikes once ``after_bytes`` more print bytes have arrived."""
        if fault not in FAULTS:
            raise ValueError(f"unknown printer fault {fault!r}; one of {', '.join(FAULTS)}")
        with self._lock:
            self._trip = _Trip(max(0, after_bytes), fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.paper_out = self.cover_open = self.offline = False
            self._trip = None
            self._changed.notify_all()

    @property
    def can_print(self) -> bool:
        return not (self.paper_out or self.cover_open or self.offline)

    # -- what was printed ---------------------------------------------------------------------

    def printed(self) -> list[ReceivedJob]:
        with self._lock:
            return [j for j in self.jobs if j.complete]

    def spoiled(self) -> list[ReceivedJob]:
        with self._lock:
            return [j for j in self.jobs if not j.complete]

    def wait_until(self, predicate: Callable[[EmulatedPrinter], bool], timeout: float) -> bool:
        """Block until ``predicate(self)`` holds after some input (tests, demos)."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def wait_printed(self, count: int, timeout: float) -> bool:
        """Block until ``count`` complete jobs have been printed (tests)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.printed()) >= count, timeout)

    # -- the wire -----------------------------------------------------------------------------

    def status_byte(self, n: int) -> int:
        with self._lock:
            answers = encode_status(
                online=not self.offline,
                paper_low=self.paper_low,
                paper_out=self.paper_out,
                cover_open=self.cover_open,
            )
            return answers.get(n, 0x12)

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; return what the printer sends back (status answers)."""
        replies = bytearray()
        with self._lock:
            if self.offline:
                return b""
            self._buf += data
            pos = 0
            while not self.offline:
                step = next_token(self._buf, pos)
                if step is None:
                    break
                tok, pos = step
                if tok.kind == "DLE EOT":
                    if self.answer_status:
                        replies.append(self.status_byte(tok.raw[2]))
                elif tok.kind == "DLE DC4":
                    if tok.raw[2] == 1 and not self.offline:
                        self.kicks.append(tok.raw)  # real-time pulse: works while offline
                    elif tok.raw[2] == 8:
                        self.clears += 1
                        self._spoil("cleared")
                        self._end_job(complete=False)
                elif tok.kind == "DLE ENQ":
                    pass
                elif tok.kind == "ESC p":
                    if self.can_print:  # like a real printer, ignored while offline
                        self.kicks.append(tok.raw)
                else:
                    self._print_token(tok.kind, tok.raw)
            del self._buf[:pos]
            if self.offline:
                self._buf.clear()
            self._changed.notify_all()
        return bytes(replies)

    def disconnected(self) -> None:
        """The host's connection ended: a job without its cut is never finished."""
        with self._lock:
            self._buf.clear()
            if self._job:
                self._spoil(self._spoiled or "offline")
                self._end_job(complete=False)
            self._changed.notify_all()

    def _print_token(self, kind: str, raw: bytes) -> None:
        if self._trip is not None:
            self._trip.after_bytes -= len(raw)
            if self._trip.after_bytes < 0:
                fault, self._trip = self._trip.fault, None
                setattr(self, fault, True)
                self._spoil(fault)
        if kind == "ESC @" and self._job:
            # A new job starts while the last never reached its cut: that one is lost.
            self._spoil(self._spoiled or "unfinished")
            self._end_job(complete=False)
        if self.offline:
            return
        self._job += raw
        if not self.can_print:
            self._spoil("paper_out" if self.paper_out else "cover_open")
        if kind == "GS V":
            self._end_job(complete=not self._spoiled)

    def _spoil(self, why: str) -> None:
        if self._job and not self._spoiled:
            self._spoiled = why

    def _end_job(self, complete: bool) -> None:
        if not self._job:
            self._spoiled = ""
            return
        job = ReceivedJob(bytes(self._job), complete, "" if complete else self._spoiled)
        self.jobs.append(job)
        self._job.clear()
        self._spoiled = ""
        if self.on_job is not None:
            self.on_job(job)


class PrinterEmulator:
    """An ``EmulatedPrinter`` listening on 127.0.0.1 (a free port unless one is given).

    Usage::

        with PrinterEmulator() as emu:
            printer = build_printer({"kind": "network", "host": "127.0.0.1", "port": emu.port},
                                    data_dir, clock, simulated=False)
            emu.device.fail_after(300, "paper_out")   # paper runs out mid-receipt
            ...
            emu.device.clear_faults()
            emu.device.printed()                      # complete jobs, in order
    """

    def __init__(self, port: int = 0, *, answer_status: bool = True) -> None:
        self.device = EmulatedPrinter(answer_status=answer_status)
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._clients: set[socket.socket] = set()
        self._stop = threading.Event()
        self._clients_lock = threading.Lock()
        self.connections = 0

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("emulator not started")
        return int(self._listener.getsockname()[1])

    def start(self) -> PrinterEmulator:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._requested_port))
        listener.listen(4)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept_loop, name="printer-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._clients_lock:
            for c in list(self._clients):
                with contextlib.suppress(OSError):
                    c.close()
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_offline(self, on: bool = True) -> None:
        """Printer gone: open connections drop, new ones are closed at once."""
        self.device.set_fault("offline", on)
        if on:
            self._drop_all()

    def _drop_all(self) -> None:
        with self._clients_lock:
            clients = list(self._clients)
        for c in clients:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.device.offline:
                conn.close()
                continue
            self.connections += 1
            conn.settimeout(0.1)
            with self._clients_lock:
                self._clients.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="printer-emulator-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    if self.device.offline:
                        return
                    continue
                except OSError:
                    return
                if not data:
                    return
                reply = self.device.feed(data)
                if self.device.offline:
                    return
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return
        finally:
            self.device.disconnected()
            with self._clients_lock:
                self._clients.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


def show_jobs(emu: PrinterEmulator, out: TextIO, stop: threading.Event) -> None:
    """Print every job the emulator receives, decoded, until ``stop`` is set."""
    lock = threading.Lock()

    def on_job(job: ReceivedJob) -> None:
        state = "printed" if job.complete else f"SPOILED ({job.fault})"
        with lock:
            out.write(f"--- job {state}, {len(job.data)} bytes ---\n{job.text}")
            out.flush()

    emu.device.on_job = on_job
    out.write(f"ESC/POS printer emulator listening on 127.0.0.1:{emu.port}\n")
    out.flush()
    stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m terminal.drivers.printer [--port N]``: a printer for demos."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9100, help="TCP port on 127.0.0.1 (0: any)")
    args = parser.parse_args(argv)
    with PrinterEmulator(args.port) as emu:
        try:
            show_jobs(emu, sys.stdout, threading.Event())
        except KeyboardInterrupt:
            pass
    return 0
