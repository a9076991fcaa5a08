"""The composition root wires the receipt desk: a sale through the terminal prints its receipt
once, with the clerk's name, the ledger forgets the owed receipt once it is printed, and a
restart prints nothing again."""

from __future__ import annotations

import re
from pathlib import Path

from terminal.app.wiring import build_terminal
from terminal.config import parse_config
from terminal.ledger.db import connect, ledger_path
from terminal.sample import sample_catalog, sample_staff


def _config(data_dir: Path):
    return parse_config(
        f'[terminal]\nid = "UT1"\ndata_dir = "{data_dir}"\nlanguage = "en"\n'
        "[hardware]\nsimulated = true\n"
    )


def _owed(data_dir: Path) -> int:
    db = connect(ledger_path(data_dir))
    try:
        return db.execute_sql("SELECT count(*) FROM receipt_owed").fetchone()[0]
    finally:
        db.close()


def _receipt_jobs(data_dir: Path) -> list[str]:
    preview = (data_dir / "printer" / "preview.txt").read_text(encoding="utf-8")
    return re.findall(r"^=== (receipt:\d+) .*===$", preview, flags=re.M)


def test_a_sale_prints_once_and_a_restart_prints_nothing_again(tmp_path: Path) -> None:
    cashier = next(s for s in sample_staff() if s["role"] == "cashier")
    cola = next(i for i in sample_catalog()[0] if i.name == "Cola 330ml can")
    terminal = build_terminal(_config(tmp_path), seed_sample=True)
    try:
        terminal.login(cashier["pin"])
        terminal.open_shift(20000)
        for _ in range(2):
            terminal.scan(cola.barcodes[0])
            terminal.start_payment()
            assert terminal.pay_cash(1000).state == "completed"
            assert terminal.wait_printed(10)
    finally:
        terminal.close()
    assert _receipt_jobs(tmp_path) == ["receipt:1", "receipt:2"]
    preview = (tmp_path / "printer" / "preview.txt").read_text(encoding="utf-8")
    assert preview.count(cashier["name"]) == 2  # the desk's receipt names the clerk
    assert "REPRINT" not in preview

    terminal = build_terminal(_config(tmp_path))
    try:
        assert terminal.wait_printed(10)
    finally:
        terminal.close()
    assert _receipt_jobs(tmp_path) == ["receipt:1", "receipt:2"]
    assert _owed(tmp_path) == 0
