"""Staff services on a real SQLite ledger file: projection, secrets, restart, the hand-computed
evaluation fixture, training kept out of reports and outbox, and no PIN or card code anywhere in
the file's bytes or the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from core import evaluation_fixture as fx
from core.staff_fakes import CARDS, FAST_SCRYPT, PINS, sale_payload, snapshot_parts

from terminal.core.auth import AccountLocked, LoginFailed, PinChangeRequired
from terminal.core.clock import ManualClock
from terminal.core.ports import LedgerError
from terminal.core.rights import Right, Verdict
from terminal.core.staff import OWNER, StaffStatus
from terminal.core.staff_wiring import StaffServices, StaffSettings, seed_staff
from terminal.ledger.db import open_ledger
from terminal.ledger.ledger import SqliteLedger
from terminal.ledger.staff_store import SqliteStaffStore, open_staff
from terminal.sample import sample_staff

EXTRA_PINS = ("60291384", "73918452", "48260719")
EXTRA_CARDS = ("SPARE-BADGE-77431", "E2801160600002084B6A1F33")


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "card.key"


def staff_on(
    ledger: SqliteLedger, clock: ManualClock, key_path: Path, **kw: object
) -> StaffServices:
    settings = StaffSettings(lock_base_seconds=60, cash_tolerance=fx.TOLERANCE, **kw)
    return open_staff(ledger, clock, key_path, settings, scrypt=FAST_SCRYPT)


@pytest.fixture
def staff(ledger: SqliteLedger, clock: ManualClock, key_path: Path) -> StaffServices:
    s = staff_on(ledger, clock, key_path)
    s.staff.apply_snapshot(1, *snapshot_parts())
    return s


def test_projection_writes_the_records(staff: StaffServices, ledger: SqliteLedger) -> None:
    store = SqliteStaffStore(ledger.db)
    assert store.snapshot_version() == 1
    assert [m.staff_id for m in store.members()][:3] == ["cash2", "cash1", "mgr1"]
    trainee = store.member("trainee1")
    assert trainee is not None and trainee.trainee and trainee.role == "cashier"
    staff.staff.set_overrides(
        "cash1", {"sale.discount": {"verdict": "allow", "limits": {"max_bp": 800}}}, by="mgr1"
    )
    staff.staff.define_role(
        {
            "name": "greeter",
            "label": "Greeter",
            "requires_training": True,
            "grants": {"member.lookup": "allow"},
        },
        by="mgr1",
    )
    staff.staff.record_training("cash1", "food safety", "passed", by="mgr1")
    cash1 = store.member("cash1")
    assert cash1 is not None
    assert cash1.overrides[Right.DISCOUNT].limits == {"max_bp": 800}
    assert cash1.training[0].content == "food safety"
    assert cash1.training[0].recorded_by == "mgr1"
    role = store.stored_role("greeter")
    assert role is not None and role.requires_training
    assert role.grants[Right.MEMBER_LOOKUP].verdict is Verdict.ALLOW
    assert staff.permissions.check("cash1", Right.DISCOUNT, amount=800).verdict is Verdict.ALLOW


def test_refused_projection_stores_nothing(staff: StaffServices, ledger: SqliteLedger) -> None:
    last = ledger.last_entry()
    with pytest.raises(LedgerError):
        ledger.post("staff.saved", {"staff": {"staff_id": "", "name": "x"}}, staff_id=None)
    with pytest.raises(LedgerError):
        ledger.post("sale.rated", {"sale_id": "s", "rating": 9}, staff_id="cash1")
    assert ledger.last_entry() == last


def test_rebuilt_tables_match_the_journal(
    staff: StaffServices, ledger: SqliteLedger, ledger_file: Path, clock: ManualClock
) -> None:
    """A terminal upgraded to a version with the staff area replays the journal into it."""
    from terminal.ledger.projections import discover_areas

    staff.staff.suspend("cash2", by="mgr1")
    staff.ratings.rate("S1", "cash1", 4)
    before = SqliteStaffStore(ledger.db).members()
    for table in (
        "staff",
        "staff_role",
        "staff_training",
        "staff_meta",
        "staff_rating",
        "staff_pin",
        "staff_card",
        "staff_lock",
    ):
        ledger.db.execute_sql(f"DROP TABLE {table}")
    ledger.db.execute_sql("DELETE FROM schema_version WHERE area = 'staff'")
    ledger.close()
    reopened = open_ledger(ledger_file, "T01", clock, areas=discover_areas())
    try:
        store = SqliteStaffStore(reopened.db)
        assert store.members() == before
        assert store.member("cash2").status is StaffStatus.SUSPENDED
        assert store.snapshot_version() == 1
        assert store.ratings("cash1") == [("S1", 4)]
    finally:
        reopened.close()


def test_secrets_and_locks_survive_a_restart(
    staff: StaffServices,
    ledger: SqliteLedger,
    ledger_file: Path,
    clock: ManualClock,
    key_path: Path,
) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            staff.auth.login(EXTRA_PINS[0], card=CARDS["cash1"])
    ledger.close()
    again = open_ledger(ledger_file, "T01", clock)
    try:
        s2 = staff_on(again, clock, key_path)
        with pytest.raises(AccountLocked):
            s2.auth.login(PINS["cash1"], card=CARDS["cash1"])
        clock.advance(60)
        assert s2.auth.login(PINS["cash1"], card=CARDS["cash1"]).staff_id == "cash1"
        kinds = [e.kind for e in again.entries(limit=10_000)]
        assert kinds.count("login.locked") == 1 and kinds.count("alert.raised") == 1
    finally:
        again.close()


def test_a_new_card_key_does_not_find_old_cards(
    staff: StaffServices, ledger: SqliteLedger, clock: ManualClock, tmp_path: Path
) -> None:
    other = staff_on(ledger, clock, tmp_path / "elsewhere" / "card.key")
    with pytest.raises(LoginFailed):
        other.auth.identify_card(CARDS["cash1"])


def test_evaluation_on_sqlite_matches_the_hand_computed_fixture(
    staff: StaffServices, ledger: SqliteLedger, clock: ManualClock
) -> None:
    fx.load(ledger, clock)
    for clerk, expected in fx.EXPECTED.items():
        [fig] = staff.evaluation.figures("mgr1", staff_id=clerk, since=fx.SINCE, until=fx.UNTIL)
        for key, value in expected.items():
            assert getattr(fig, key) == pytest.approx(value), (clerk, key)
    assert SqliteStaffStore(ledger.db).ratings("cash1") == [("S1", 5), ("S2", 4)]


def test_training_sale_counts_only_in_the_training_record(
    staff: StaffServices, ledger: SqliteLedger, clock: ManualClock
) -> None:
    ledger.post("shift.opened", {"shift_id": "sh1", "opening_float": 0}, staff_id="cash1")
    real = ledger.post(
        "sale.completed", sale_payload("real-1", "cash1"), staff_id="cash1", series="receipt"
    )
    session = staff.auth.login(PINS["trainee1"], card=CARDS["trainee1"])
    assert session.training
    practice = ledger.post(
        "sale.completed",
        sale_payload(
            "train-1",
            "trainee1",
            training=True,
            lines=[("A1", 1000, "each", 88_800, "catalog")],
            tenders=[("cash", 50_000), ("qr", 38_800)],
        ),
        staff_id="trainee1",
        series="receipt",
        training=True,
    )
    # Z report scope, clerk totals and receipt numbers hold only the real sale.
    day = ledger.totals(since_last_z=True)
    assert day.sales_count == 1 and day.net_sales == 1000
    assert ledger.totals(staff_id="trainee1").sales_count == 0
    assert real.number == 1
    # The outbox carries the real sale, not the practice one.
    pending = ledger.outbox().pending(10_000)
    seqs = {row.seq for row in pending}
    assert real.seq in seqs and practice.seq not in seqs
    # Evaluation leaves it out.
    [fig] = staff.evaluation.figures("mgr1", staff_id="trainee1")
    assert fig.sales_count == 0 and fig.sales_amount == 0
    # The checklist and, once signed off, the training record hold it.
    checklist = staff.training.checklist("trainee1")
    assert checklist.counts["sale"] == 1 and checklist.counts["split_tender"] == 1
    assert staff.training.checklist("cash1").counts["sale"] == 0


def test_sample_staff_seed_for_the_demo(
    ledger: SqliteLedger, clock: ManualClock, key_path: Path
) -> None:
    s = staff_on(ledger, clock, key_path)
    # The sample store's own records load as they are (keys the record does not know are
    # ignored), and the demo's PINs work without a forced change.
    assert seed_staff(s, sample_staff(), must_change_pin=False) == ["1001", "1002"]
    assert s.directory.member("1001").name_zh == "李娜"
    assert seed_staff(s, sample_staff(), must_change_pin=False) == []
    records = [
        {
            "staff_id": "2001",
            "name": "张伟",
            "role": "manager",
            "pin": EXTRA_PINS[1],
            "card": EXTRA_CARDS[0],
        },
        {"staff_id": "2002", "name": "刘洋", "role": "cashier", "pin": EXTRA_PINS[2]},
    ]
    assert seed_staff(s, records, must_change_pin=False) == ["2001", "2002"]
    assert s.auth.login(EXTRA_PINS[1], card=EXTRA_CARDS[0]).name == "张伟"
    # Outside the demo, seeded PINs are initial PINs like any other.
    other = open_ledger(ledger.path.parent / "other.sqlite3", "T02", clock)
    try:
        strict = staff_on(other, clock, key_path)
        seed_staff(strict, records)
        with pytest.raises(PinChangeRequired):
            strict.auth.login(EXTRA_PINS[1], card=EXTRA_CARDS[0])
    finally:
        other.close()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Every log record of the run, at every level, into a file the scan reads too."""
    path = tmp_path / "terminal.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    # A terminal started in this process earlier turns peewee's statement log down: the scan
    # must see every statement all the same.
    sql = logging.getLogger("peewee")
    old_level, old_sql_level = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        sql.setLevel(old_sql_level)
        handler.close()


_INCIDENTAL = re.compile(
    rb"[0-9a-f]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    rb"|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?"
)


def _leaks(secret: str, blobs: dict[str, bytes]) -> list[tuple[str, str]]:
    """Where ``secret`` occurs, in any case, as UTF-8 or UTF-16. Occurrences wholly inside a
    SHA-256 hex digest, a UUID or a timestamp are chance (a 4-digit PIN turns up in random hex
    about once per 65,536 positions, a 6-digit one in a microseconds field) and are not leaks;
    a stored PIN would sit in a record or JSON text."""
    found = []
    for form in {secret, secret.upper(), secret.lower()}:
        for encoded in (form.encode("utf-8"), form.encode("utf-16-le")):
            for name, blob in blobs.items():
                covered = [m.span() for m in _INCIDENTAL.finditer(blob)]
                at = blob.find(encoded)
                while at != -1:
                    end = at + len(encoded)
                    if not any(a <= at and end <= b for a, b in covered):
                        found.append((secret, name))
                    at = blob.find(encoded, at + 1)
    return found


def test_leak_scan_finds_a_planted_secret() -> None:
    digest = b"ab" * 24 + b"4826" + b"cd" * 6
    assert _leaks("4826", {"db": b"x" + digest + b"y"}) == []
    assert _leaks("4826", {"db": b"pin4826scrypt"}) == [("4826", "db")]
    assert _leaks("STF-0042", {"log": "stf-0042".encode("utf-16-le")}) == [("STF-0042", "log")]


def test_no_pin_or_card_code_in_the_database_file_or_logs(
    tmp_path: Path, clock: ManualClock, key_path: Path, log_file: Path
) -> None:
    path = tmp_path / "data" / "ledger.sqlite3"
    ledger = open_ledger(path, "T01", clock)
    s = staff_on(ledger, clock, key_path, pin_only_login=True)
    # Everything that handles a PIN or card code, successful or not.
    s.staff.apply_snapshot(1, *snapshot_parts())
    sample = sample_staff()
    s.staff.apply_snapshot(2, [*snapshot_parts()[0], *sample], [], snapshot_parts()[2])
    s.staff.assign_card("cash1", EXTRA_CARDS[0], by="mgr1")
    s.staff.assign_card("cash2", EXTRA_CARDS[1], by=OWNER)
    s.staff.reset_pin("cash2", by="mgr1", pin=EXTRA_PINS[0])
    s.auth.change_pin(EXTRA_PINS[0], EXTRA_PINS[1], card=EXTRA_CARDS[1])
    for sid in PINS:
        try:
            s.auth.login(PINS[sid], card=CARDS[sid])
        except LoginFailed:
            pass
    for record in sample:
        with pytest.raises(PinChangeRequired):
            s.auth.login(record["pin"])
    s.auth.change_pin(sample[0]["pin"], EXTRA_PINS[2], staff_id=sample[0]["staff_id"])
    for _ in range(6):
        with pytest.raises(LoginFailed):
            s.auth.login(EXTRA_PINS[2][::-1], card=CARDS["cash1"])
    for _ in range(5):
        with pytest.raises(LoginFailed):
            s.auth.login(sample[1]["pin"][::-1])
    with pytest.raises(LoginFailed):
        s.auth.login(PINS["sup1"], card=EXTRA_CARDS[0][::-1])
    s.approvals.approve(
        clerk_id="cash2",
        right=Right.VOID_SALE,
        card=CARDS["sup1"],
        pin=PINS["sup1"],
        reason="other",
    )
    session = s.auth.login(EXTRA_PINS[1], card=CARDS["cash2"])
    s.training.enter(session, card=CARDS["sup2"], pin=PINS["sup2"])
    s.staff.revoke_card("cash1", code=EXTRA_CARDS[0], by="mgr1")
    s.staff.execute({"op": "pin.reset", "staff_id": "senior1", "pin": EXTRA_PINS[2]}, by=OWNER)
    generated = s.staff.execute({"op": "pin.reset", "staff_id": "cash1"}, by=OWNER)["pin"]
    ledger.close()

    secrets = {*PINS.values(), *CARDS.values(), *EXTRA_PINS, *EXTRA_CARDS, generated}
    secrets |= {r["pin"] for r in sample} | {p[::-1] for p in (*EXTRA_PINS, sample[1]["pin"])}
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)] + [log_file]
    blobs = {p.name: p.read_bytes() for p in files}
    assert any(len(b) > 10_000 for b in blobs.values())
    # The scan would find them if they were there: names and kinds are stored as plain text.
    everything = b"".join(blobs.values())
    assert b"Chen Jing" in everything and b"login.locked" in everything
    assert b"INSERT INTO staff_pin" in blobs[log_file.name]  # the log saw every statement
    assert [leak for secret in sorted(secrets) for leak in _leaks(secret, blobs)] == []
