"""The receipt's print job rides in the sale's commit: selling through the checkout with the
receipt desk wired, the selling thread syncs the ledger once per journal entry and never syncs
the printer spool (the owner thread syncs it, off the sale's path, when it prints).

Counted with strace on a real child process: fdatasync/fsync calls per thread and file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SALES = 10

CHILD = """
import os, sys, threading
sys.path.insert(0, {here!r})
from pathlib import Path
import receipt_crash_worker as w
from terminal.app.receipts import wire_receipts
from terminal.core.checkout import SaleSession
from terminal.core.clock import SystemClock
from terminal.core.permissions import Permissions
from terminal.core.settings import StoreSettings
from terminal.core.staff import OWNER
from terminal.drivers.drawer.simulated import SimulatedDrawer
from terminal.drivers.printer import build_printer
from terminal.ledger.db import ledger_path, open_ledger

d = Path(sys.argv[1])
clock = SystemClock()
ledger = open_ledger(ledger_path(d), "T01", clock)
w._setup(ledger)
settings = StoreSettings(terminal_id="T01", language="en")
printer = build_printer({{"kind": "simulated"}}, d, clock, True)
wire_receipts(ledger, printer, settings, None)
session = SaleSession(
    catalog=ledger.catalog(), ledger=ledger, printer=printer, drawer=SimulatedDrawer(),
    payments=None, card=None, clock=clock, gate=Permissions(w._NoStaff(), ledger=ledger),
    settings=settings, clerk_id=OWNER,
)
printer.wait_idle(10)
before = ledger.last_entry().seq
os.write(1, f"START {{threading.get_native_id()}}\\n".encode())
for i in range({sales}):
    session.add_barcode(w.ITEMS[i % len(w.ITEMS)].barcodes[0])
    session.pay_cash(100_000)
os.write(1, f"END {{ledger.last_entry().seq - before}}\\n".encode())
assert printer.wait_idle(10)
printer.stop()
"""

SYNC_RE = re.compile(r"^(\d+) +(?:fsync|fdatasync)\(\d+<([^>]+)>")


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_a_sale_syncs_the_ledger_once_per_entry_and_never_the_spool(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    script = CHILD.format(here=str(Path(__file__).parent), sales=SALES)
    done = subprocess.run(
        ["strace", "-f", "-y", "-qq", "-o", str(trace), "-e", "trace=fsync,fdatasync,write",
         sys.executable, "-c", script, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if done.returncode != 0 and "ptrace" in done.stderr:
        pytest.skip(f"strace cannot trace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    out = done.stdout.split()
    seller = out[out.index("START") + 1]
    entries = int(out[out.index("END") + 1])
    syncs: Counter[tuple[bool, str]] = Counter()
    on = False
    for line in trace.read_text().splitlines():
        # The child's own writes of START/END to stdout bracket the sales in the trace.
        if 'write(1<' in line and '"START ' in line:
            on = True
        elif 'write(1<' in line and '"END ' in line:
            on = False
        elif on and (m := SYNC_RE.match(line)):
            syncs[(m.group(1) == seller, Path(m.group(2)).name)] += 1
    assert entries >= SALES  # each cash sale journals the sale and its drawer opening
    assert syncs[(True, "spool.sqlite3-wal")] == 0, syncs
    assert syncs[(True, "ledger.sqlite3-wal")] == entries, syncs
    # The printer's owner thread does sync the spool: "sending" and "printed" per receipt.
    assert syncs[(False, "spool.sqlite3-wal")] >= SALES, syncs
