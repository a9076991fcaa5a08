"""`ledger verify` rebuilds every projection table from the journal and names the row that
disagrees: each table is edited with the real sqlite3 shell (a changed value, a deleted row, an
extra row) on a ledger with sales, a refund, voids, a shift with cash moves and a close, a no-sale,
a Z report, staff changes and a rating."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from core.staff_fakes import FAST_SCRYPT, snapshot_parts

from terminal.core.clock import ManualClock
from terminal.core.rights import Decision, Right, Verdict
from terminal.core.settings import StoreSettings
from terminal.core.shift import ShiftService
from terminal.core.staff_wiring import StaffSettings
from terminal.ledger.db import LEDGER_FILENAME, open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.projections import discover_areas
from terminal.ledger.rebuild import Rebuild
from terminal.ledger.staff_store import open_staff
from terminal.ledger.verify import verify_file

from .builders import line, post_sale, sale

SQLITE3 = shutil.which("sqlite3")
pytestmark = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 shell is not installed")


class _Owner:
    def check(
        self, staff_id: str, right: Right, *, amount: int | None = None, training: bool = False
    ) -> Decision:
        return Decision(Verdict.ALLOW, right)


class _Device:
    def submit(self, doc: Any) -> None:
        pass

    def open(self) -> None:
        pass


def _day(ledger: SqliteLedger, clock: ManualClock, key_path: Path) -> None:
    """A trading day as the services write it: sales at seq 4, 5, 6, the refund at 7, voids at
    8 and 9, the Z last."""
    shifts = ShiftService(
        ledger=ledger, printer=_Device(), drawer=_Device(), clock=clock, gate=_Owner(),
        settings=StoreSettings(terminal_id="T01"), clerk_id="mgr1",
    )  # fmt: skip
    shifts.open_shift(20000)  # seq 1
    shifts.cash_in(5000, "change from the bank")  # seq 2
    first = sale([line(1, "A1", 2000, 350), line(2, "B2", 1000, 1250, discount=100)],
                 tenders=[("cash", 1000), ("card", 1500)])  # fmt: skip
    post_sale(ledger, first)  # seq 3
    post_sale(ledger, sale(3))  # seq 4
    post_sale(ledger, sale(2, tenders=[("wechat", 300)]))  # seq 5
    refund = sale([line(2, "B2", 1000, 1250, discount=100)], kind="refund",
                  original_sale_id=first.sale_id)  # fmt: skip
    post_sale(ledger, refund)  # seq 6
    ledger.post(
        "line.voided",
        {"sale_id": "open-1", "line_no": 1, "sku": "A1", "qty_milli": 1000, "amount": 350,
         "reason": "wrong item"},
        staff_id="u1",
    )  # fmt: skip
    ledger.post("sale.voided", {"sale_id": "open-2", "total": 900, "reason": "walked"},
                staff_id="u1")  # fmt: skip
    shifts.no_sale("change for a note")
    shifts.cash_out(3000, "bank drop")
    staff = open_staff(
        ledger, clock, key_path, StaffSettings(lock_base_seconds=60), scrypt=FAST_SCRYPT
    )
    staff.staff.apply_snapshot(1, *snapshot_parts())
    staff.staff.suspend("cash2", by="mgr1")
    staff.staff.define_role(
        {"name": "greeter", "label": "Greeter", "requires_training": True,
         "grants": {"member.lookup": "allow"}},
        by="mgr1",
    )  # fmt: skip
    staff.staff.record_training("cash1", "food safety", "passed", by="mgr1")
    staff.ratings.rate(first.sale_id, "cash1", 4)
    shifts.close_shift(24500)
    shifts.z_report(print_it=False)
    # After the day closed: a sale held with a QR part payment taken, still pending.
    held = {"sale_id": "open-3", "started_at": "2026-01-05T09:00:00+00:00",
            "lines": [{"line_no": 1, "sku": "A1", "qty_milli": 1000}]}  # fmt: skip
    ledger.post("sale.progress", held, staff_id="u1")
    ledger.post("payment.authorised",
                {"sale_id": "open-3", "kind": "qr", "amount": 200, "reference": "QR1",
                 "provider": "wechat"}, staff_id="u1")  # fmt: skip
    ledger.post("sale.suspended", held, staff_id="u1")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("day")
    ledger = open_ledger(root / LEDGER_FILENAME, "T01", ManualClock())
    _day(ledger, ManualClock(), root / "card.key")
    ledger.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.close()
    return root / LEDGER_FILENAME


@pytest.fixture
def day(template: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(template, data / LEDGER_FILENAME)
    return data / LEDGER_FILENAME


def _shell(path: Path, sql: str) -> None:
    assert SQLITE3 is not None
    subprocess.run([SQLITE3, str(path)], input=sql, text=True, check=True, capture_output=True)


def _cli_verify(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "terminal.cli", "ledger", "verify", "--data-dir", str(data_dir),
         *extra],
        text=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _problems(path: Path) -> str:
    report = verify_file(path)
    assert not report.ok, "verify passed an edited projection"
    return "\n".join(str(p) for p in report.problems)


def test_untouched_day_verifies_through_the_cli(day: Path) -> None:
    done = _cli_verify(day.parent)
    assert done.returncode == 0, done.stderr
    assert "ledger OK" in done.stdout
    assert f"{len(TABLES)} projection tables match the journal" in done.stdout
    quiet = _cli_verify(day.parent, "--quiet")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_every_projected_table_is_compared(day: Path) -> None:
    """The list comes from the areas' own migrations; it must cover every table a projector
    writes and leave out only the ledger's own tables and the staff secrets."""
    rebuild = Rebuild(day, discover_areas())
    try:
        assert rebuild.tables == sorted(TABLES)
    finally:
        rebuild.close()


def test_the_reviewers_edits_are_named_through_the_cli(day: Path) -> None:
    _shell(day, "UPDATE sale SET total = total - 500 WHERE seq = 5;")
    done = _cli_verify(day.parent, "--quiet")
    assert done.returncode == 1
    assert "first bad entry seq 5: table sale, row seq=5: column total: journal says 600, " \
        "table has 100" in done.stderr  # fmt: skip
    _shell(day, "UPDATE sale SET total = total + 500 WHERE seq = 5;")
    _shell(day, "UPDATE tender SET kind = 'card' WHERE seq = 4 AND idx = 0;")
    done = _cli_verify(day.parent)
    assert done.returncode == 1
    assert "first bad entry seq 4: table tender, row seq=4, idx=0: column kind: journal says " \
        "'cash', table has 'card'" in done.stderr  # fmt: skip


# table -> (an UPDATE's SET and WHERE, the row it names, a row key to delete, the extra row:
# columns changed on a copy of the WHERE row, and its key as verify names it)
TABLES: dict[str, tuple[str, str, str, str, str, str]] = {
    "sale": ("total = total - 500", "seq = 5", "row seq=5", "seq = 6",
             "seq = 999, sale_id = 'forged'", "row seq=999"),
    "sale_line": ("net = net + 100", "seq = 4 AND line_no = 2", "row seq=4, line_no=2",
                  "seq = 5 AND line_no = 3", "line_no = 9", "row seq=4, line_no=9"),
    "tender": ("amount = amount - 100", "seq = 4 AND idx = 1", "row seq=4, idx=1",
               "seq = 6 AND idx = 0", "idx = 7", "row seq=4, idx=7"),
    "void_event": ("amount = 0", "kind = 'sale'", "row seq=9", "kind = 'line'",
                   "seq = 998", "row seq=998"),
    "shift": ("opening_float = opening_float + 1000", "seq = 1", "row shift_id=",
              "seq = 1", "shift_id = 'forged', seq = 997", "row shift_id='forged'"),
    "cash_move": ("amount = amount * 2", "kind = 'out'", "column amount: journal says 3000",
                  "kind = 'in'", "seq = 996", "row seq=996"),
    "drawer_event": ("reason = 'sale'", "reason = 'no_sale'", "column reason",
                     "reason = 'no_sale'", "seq = 995", "row seq=995"),
    "z_report": ("totals = replace(totals, '\"sales_count\":3', '\"sales_count\":2')",
                 "number = 1", "column totals", "number = 1", "seq = 994, number = 2",
                 "row seq=994"),
    "staff": ("role = 'owner'", "staff_id = 'cash1'", "row staff_id='cash1': column role",
              "staff_id = 'cash2'", "staff_id = 'ghost'", "row staff_id='ghost'"),
    "staff_role": ("grants = '{}'", "name = 'greeter'", "row name='greeter': column grants",
                   "name = 'greeter'", "name = 'forged'", "row name='forged'"),
    "staff_training": ("result = 'failed'", "staff_id = 'cash1'", "column result",
                       "staff_id = 'cash1'", "seq = 993", "row seq=993"),
    "staff_meta": ("value = 7", "key = 'snapshot_version'", "column value: journal says 1",
                   "key = 'snapshot_version'", "key = 'forged'", "row key='forged'"),
    "staff_rating": ("rating = 5", "rating = 4", "column rating: journal says 4",
                     "rating = 4", "seq = 992", "row seq=992"),
    "pending_sale": ("status = 'open'", "sale_id = 'open-3'",
                     "row sale_id='open-3': column status", "sale_id = 'open-3'",
                     "sale_id = 'forged'", "row sale_id='forged'"),
    "pending_payment": ("amount = 20000", "sale_id = 'open-3'", "column amount: journal says 200",
                        "sale_id = 'open-3'", "seq = 991", "row seq=991"),
}  # fmt: skip


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_changed_value_is_named(day: Path, table: str) -> None:
    assignment, where, named, *_ = TABLES[table]
    _shell(day, f"UPDATE {table} SET {assignment} WHERE {where};")
    problems = _problems(day)
    assert f"table {table}, " in problems and named in problems, problems


@pytest.mark.parametrize("table", sorted(TABLES))
def test_a_deleted_row_is_named(day: Path, table: str) -> None:
    delete_where = TABLES[table][3]
    _shell(day, f"DELETE FROM {table} WHERE {delete_where};")
    problems = _problems(day)
    assert f"table {table}, " in problems and "row missing" in problems, problems


@pytest.mark.parametrize("table", sorted(TABLES))
def test_an_extra_row_is_named(day: Path, table: str) -> None:
    _, where, _, _, changes, named = TABLES[table]
    _shell(
        day,
        f"CREATE TEMP TABLE copy AS SELECT * FROM {table} WHERE {where} LIMIT 1;\n"
        f"UPDATE copy SET {changes};\n"
        f"INSERT INTO {table} SELECT * FROM copy;\n",
    )
    problems = _problems(day)
    assert f"table {table}, {named}: extra row" in problems, problems


def test_secrets_are_not_projections(day: Path) -> None:
    """PIN hashes and lockouts are written outside the journal; a lockout is not tampering."""
    _shell(day, "INSERT OR REPLACE INTO staff_lock VALUES ('cash1', 3, 1, '2026-01-05T03:00Z');")
    assert verify_file(day).ok


def test_a_z_printed_from_an_edited_table_is_named(tmp_path: Path) -> None:
    """The reviewer's case: the sale table edited before the day is closed, so the Z entry
    itself carries the edited figures. Putting the table back afterwards does not hide it."""
    path = tmp_path / LEDGER_FILENAME
    clock = ManualClock()
    ledger = open_ledger(path, "T01", clock)
    shifts = ShiftService(
        ledger=ledger, printer=_Device(), drawer=_Device(), clock=clock, gate=_Owner(),
        settings=StoreSettings(terminal_id="T01"), clerk_id="mgr1",
    )  # fmt: skip
    shifts.open_shift(10000)
    post_sale(ledger, sale(3))  # seq 2, total 600
    post_sale(ledger, sale(2))  # seq 3
    _shell(path, "UPDATE sale SET total = total - 500 WHERE seq = 2;")
    shifts.close_shift(10900)
    z = shifts.z_report(print_it=False)
    assert z.totals.net_sales == 400  # what the edited table said
    ledger.close()
    problems = _problems(path)
    assert "Z report 1: net_sales is 400 on the report, the journal's entries before it make " \
        "it 900" in problems, problems  # fmt: skip
    _shell(path, "UPDATE sale SET total = total + 500 WHERE seq = 2;")
    report = verify_file(path)
    assert report.first_problem is not None
    # The shift close slip came first (seq 4), printed from the same edited table.
    assert report.first_problem.seq == 4
    assert "the close of shift" in report.first_problem.message
    assert "net_sales is 400 on the report" in report.first_problem.message
    assert any(
        p.seq == 5 and "Z report 1: net_sales is 400" in p.message for p in report.problems
    )


def test_hashes_checked_in_a_second_process_on_a_long_journal(
    day: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from terminal.ledger import verify

    def not_here(path: str) -> list[verify.Problem]:
        raise AssertionError("hashed in the first process")

    monkeypatch.setattr(verify, "_SECOND_PROCESS_FROM", 1)
    monkeypatch.setattr(verify, "hash_problems", not_here)
    assert verify_file(day).ok
    _shell(
        day,
        "DROP TRIGGER journal_no_update;\n"
        "UPDATE journal SET hash = (SELECT hash FROM journal WHERE seq = 9) WHERE seq = 8;\n",
    )
    report = verify_file(day)
    assert report.first_problem is not None and report.first_problem.seq == 8
    assert "hash mismatch: the line.voided entry" in report.first_problem.message


def test_a_file_not_yet_migrated_is_compared_through_a_migrated_copy(day: Path) -> None:
    """The first start after an upgrade verifies before the terminal migrates: the staff area
    one version behind (its v2 adds name_zh) is compared as the terminal will see it."""
    _shell(
        day,
        "ALTER TABLE staff DROP COLUMN name_zh;\n"
        "UPDATE schema_version SET version = 1 WHERE area = 'staff';\n",
    )
    report = verify_file(day)
    assert report.ok, report.summary()
    assert report.projection_tables == len(TABLES)
    conn = sqlite3.connect(day)
    version = conn.execute("SELECT version FROM schema_version WHERE area = 'staff'").fetchone()
    conn.close()
    assert version == (1,)  # verify migrated its copy, never the file
    _shell(day, "UPDATE tender SET amount = amount + 1 WHERE seq = 6;")
    problems = _problems(day)
    assert "table tender, row seq=6, idx=0: column amount: journal says 300, table has 301" \
        in problems  # fmt: skip


def test_an_edited_schema_version_is_a_problem(day: Path) -> None:
    """Setting an area's version back to skip the comparison makes the migration fail."""
    _shell(day, "UPDATE schema_version SET version = 1 WHERE area = 'staff';")
    report = verify_file(day)
    assert not report.ok
    assert "cannot be brought to this software's schema" in report.first_problem.message
