"""The simulated receipt printer: the real spool and owner thread over an in-process emulated
device, writing what it prints to files.

``<data_dir>/printer/out.bin`` gets the python-escpos bytes of every completed job, appended;
``<data_dir>/printer/preview.txt`` gets each job decoded to text, including rasterised Chinese
(through the renderer's side channel) and jobs cut short by a fault. Faults injected here go
through the same retry logic as a real printer's.
"""

from __future__ import annotations

import threading
from pathlib import Path

from terminal.core.ports import Clock
from terminal.drivers.printer.decode import decode
from terminal.drivers.printer.emulator import FAULTS, EmulatedPrinter, ReceivedJob
from terminal.drivers.printer.render import Renderer
from terminal.drivers.printer.service import RetryPolicy, SpoolingPrinter
from terminal.drivers.printer.spool import Spool
from terminal.drivers.printer.transports import Transport, TransportError


class SimulatedTransport(Transport):
    """Writes go straight into an ``EmulatedPrinter``; its answers are read back."""

    name = "simulated"

    def __init__(
        self,
        device: EmulatedPrinter,
        out_path: Path,
        preview_path: Path,
        clock: Clock,
        columns: int | None = None,
    ) -> None:
        self.device = device
        self.out_path = out_path
        self.preview_path = preview_path
        self.clock = clock
        self.columns = columns
        self._open = False
        self._inbox = bytearray()
        self._job_key = ""
        self._raster_texts: list[str] = []
        self._files_lock = threading.Lock()
        device.on_job = self._job_finished

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if self.device.offline:
            raise TransportError("simulated printer: no answer (printer offline)")
        self._open = True

    def close(self) -> None:
        if self._open:
            self._open = False
            self.device.disconnected()

    def write(self, data: bytes) -> None:
        if not self._open:
            raise TransportError("simulated printer: not open")
        self._inbox += self.device.feed(data)
        if self.device.offline:
            self.close()
            raise TransportError("simulated printer: connection lost (printer offline)")

    def read(self, n: int) -> bytes:
        if not self._open:
            raise TransportError("simulated printer: not open")
        got = bytes(self._inbox[:n])
        del self._inbox[:n]
        return got

    def drain_input(self) -> None:
        self._inbox.clear()

    def begin_job(self, key: str, raster_texts: list[str]) -> None:
        self._job_key = key
        self._raster_texts = list(raster_texts)

    def _job_finished(self, job: ReceivedJob) -> None:
        stamp = self.clock.now().isoformat(timespec="seconds")
        text = decode(job.data, self._raster_texts, self.columns)
        head = f"=== {self._job_key or 'job'} {stamp}"
        if not job.complete:
            head += f" INTERRUPTED ({job.fault.replace('_', ' ')})"
        with self._files_lock:
            self.out_path.parent.mkdir(parents=True, exist_ok=True)
            if job.complete:
                with self.out_path.open("ab") as f:
                    f.write(job.data)
            with self.preview_path.open("a", encoding="utf-8") as f:
                f.write(f"{head} ===\n{text.rstrip()}\n\n")


class SimulatedPrinter(SpoolingPrinter):
    """A ``ReceiptPrinter`` with fault injection for the automation channel and tests."""

    def __init__(
        self,
        *,
        renderer: Renderer,
        spool: Spool,
        clock: Clock,
        directory: Path,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.device = EmulatedPrinter()
        self.out_path = directory / "out.bin"
        self.preview_path = directory / "preview.txt"
        transport = SimulatedTransport(
            self.device, self.out_path, self.preview_path, clock, renderer.profile.columns
        )
        super().__init__(
            transport=transport,
            renderer=renderer,
            spool=spool,
            clock=clock,
            retry=retry or RetryPolicy(first_s=0.2, max_s=2.0, poll_s=1.0, settle_s=0.0),
            name="simulated",
        )

    def set_fault(self, fault: str, on: bool = True) -> None:
        """Turn "paper_out", "cover_open" or "offline" (printer gone) on or off now."""
        self.device.set_fault(fault, on)
        self._retry_now.set()
        self._wake.set()

    def fault_mid_job(self, fault: str = "paper_out", after_bytes: int = 120) -> None:
        """Arm a fault that strikes ``after_bytes`` into the next job (paper runs out
        mid-receipt, the printer loses power mid-receipt)."""
        self.device.fail_after(after_bytes, fault)

    def clear_faults(self) -> None:
        """Paper loaded, cover closed, power back: spooled jobs print on the next retry."""
        self.device.clear_faults()
        self._retry_now.set()
        self._wake.set()

    def inject(self, name: str) -> None:
        """String form for the automation channel: a fault name to switch it on,
        "<fault>_mid_job" to arm it, "clear" to clear everything."""
        if name == "clear":
            self.clear_faults()
        elif name.endswith("_mid_job") and name.removesuffix("_mid_job") in FAULTS:
            self.fault_mid_job(name.removesuffix("_mid_job"))
        elif name in FAULTS:
            self.set_fault(name)
        else:
            raise ValueError(
                f"unknown printer fault {name!r}: one of {', '.join(FAULTS)}, "
                f"<fault>_mid_job, clear"
            )
