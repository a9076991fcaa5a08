"""``doctor --test``: exercise the real devices (print a test page, pulse the drawer, show
decoded scans live) and say what happened."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, TextIO

from terminal.drivers.doctor.probe import SERVICE


def try_print(config: Any, out: TextIO, data_dir: Path) -> bool:
    from terminal.core.clock import SystemClock
    from terminal.core.records import QR, Barcode, PrintDoc, Rule, Text
    from terminal.drivers.factory import build_printer

    try:
        printer = build_printer(config, data_dir, SystemClock(), simulated=False)
    except (OSError, RuntimeError, ValueError) as exc:
        # SpoolError (the service owns the spool), PrinterConfigError, a transport that
        # cannot open: all say what to do in their message.
        out.write(f"printer: FAILED: {exc}\n")
        return False
    try:
        printer.submit(
            PrintDoc(
                key=f"test:{time.time_ns()}",
                kind="test",
                blocks=(
                    Text("pos-terminal test page", align="center", bold=True, size=2),
                    Rule(),
                    Text(time.strftime("%Y-%m-%d %H:%M:%S")),
                    Text("测试页 打印正常 / test page printed correctly"),
                    Barcode("4006381333931", "EAN13"),
                    QR("pos-terminal doctor"),
                ),
            )
        )
        done = printer.wait_idle(30)
        st = printer.status()
        detail = f", {st.detail}" if st.detail else ""
        out.write(f"printer: {'printed' if done else 'NOT printed'} ({st.health.value}{detail})\n")
        return done
    finally:
        printer.stop()


def try_drawer(config: Any, out: TextIO, data_dir: Path | None = None) -> bool:
    from terminal.core.clock import SystemClock
    from terminal.drivers.drawer import DrawerError
    from terminal.drivers.factory import build_drawer, build_printer

    printer = None
    if section_value(config, "drawer", "kind", "simulated") == "printer":
        where = data_dir or Path(section_value(config, "terminal", "data_dir", "."))
        try:
            printer = build_printer(config, where, SystemClock(), simulated=False)
        except (OSError, RuntimeError, ValueError) as exc:
            out.write(f"drawer: FAILED: the printer it hangs on: {exc}\n")
            return False
    try:
        drawer = build_drawer(config, printer=printer, simulated=False)
        drawer.open()
    except DrawerError as exc:
        out.write(f"drawer: FAILED: {exc}\n")
        return False
    finally:
        if printer is not None:
            printer.stop()
    state = drawer.is_open()
    said = {True: "open", False: "closed (check the sensor wiring)", None: "nothing (no sensor)"}
    out.write(f"drawer: pulse sent; the sensor says {said[state]}\n")
    return state is not False


def try_scans(config: Any, seconds: float, out: TextIO) -> bool:
    from terminal.drivers.factory import build_scan_source

    lock = threading.Lock()
    count = 0

    def show(read: Any) -> None:
        nonlocal count
        with lock:
            count += 1
            out.write(f"scan: {read.code!r}  from {read.source}\n")
            out.flush()

    def status(source: str, state: str, detail: str) -> None:
        with lock:
            out.write(f"scanner {state}: {source} ({detail})\n")
            out.flush()

    source = build_scan_source(config, simulated=False, on_status=status)
    out.write(
        f"scan now; decoded reads for {seconds:g} s (a GS1 separator shows as \\x1d). "
        f"Stop the {SERVICE} service first: it holds the scanners grabbed.\n"
    )
    out.flush()
    source.start(show)
    try:
        time.sleep(seconds)
    finally:
        source.stop()
    out.write(f"{count} read(s)\n")
    return count > 0


def section_value(config: Any, name: str, key: str, default: Any) -> Any:
    from terminal.drivers.factory import section

    return section(config, name).get(key, default)
