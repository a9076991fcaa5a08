"""Shared pieces of the printer tests: fast retry timings, key-stamped receipts."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from terminal.core.clock import SystemClock
from terminal.core.records import QR, Feed, PrintDoc, Row, Rule, Text
from terminal.drivers.printer.emulator import EmulatedPrinter, PrinterEmulator
from terminal.drivers.printer.profile import get_profile
from terminal.drivers.printer.render import Renderer
from terminal.drivers.printer.service import RetryPolicy, SpoolingPrinter
from terminal.drivers.printer.spool import Spool
from terminal.drivers.printer.transports import NetworkTransport

FAST = RetryPolicy(first_s=0.01, max_s=0.05, poll_s=0.05, settle_s=0.0)
JOB_RE = re.compile(r"JOB (\S+)")


def sale_receipt() -> PrintDoc:
    return PrintDoc(
        key="receipt:42",
        kind="receipt",
        blocks=(
            Text("好邻居便利店", align="center", bold=True, size=2),
            Text("Good Neighbour Store", align="center"),
            Rule(),
            Row("有机牛奶 Organic milk 1L", "12.50"),
            Row("  2 x 6.25", ""),
            Row("苹果 Apple 1.250 kg", "9.99"),
            Rule(),
            Row("TOTAL 合计", "22.49", bold=True),
            Row("Cash 现金", "50.00"),
            Row("Change 找零", "27.51"),
            Text("Receipt 42  Clerk Li"),
            QR("sale:7f3a9c"),
            Feed(1),
            Text("谢谢惠顾", align="center"),
        ),
    )


def receipt(key: str, n_lines: int = 4) -> PrintDoc:
    """A receipt-shaped document whose first printed line names its key."""
    blocks = [Text(f"JOB {key}", align="center", bold=True)]
    for i in range(n_lines):
        blocks.append(Row(f"牛奶 Milk {i}", f"{i + 1}.50"))
    blocks += [Rule(), Row("TOTAL", "99.00", bold=True), QR(f"sale:{key}"), Feed(1)]
    return PrintDoc(key=key, kind="receipt", blocks=tuple(blocks))


def printed_keys(device: EmulatedPrinter) -> list[str]:
    keys = []
    for job in device.printed():
        m = JOB_RE.search(job.text)
        assert m, f"printed job without a key line: {job.text!r}"
        keys.append(m.group(1))
    return keys


def network_printer(
    emu: PrinterEmulator, spool_path: Path, *, timeout_s: float = 0.5, **kw: object
) -> SpoolingPrinter:
    printer = SpoolingPrinter(
        transport=NetworkTransport("127.0.0.1", emu.port, timeout_s=timeout_s),
        renderer=Renderer(get_profile("58mm", text_mode="gb18030")),
        spool=Spool(spool_path),
        clock=SystemClock(),
        retry=FAST,
        **kw,  # type: ignore[arg-type]
    )
    printer.start()
    return printer


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll a condition another thread makes true (the owner thread has no event for tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()
