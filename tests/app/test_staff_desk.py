"""The staff side of the terminal facade without a window: the worker-side calls the staff
screens make, on a real ledger file with the sample store, its clerks and simulated devices."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from terminal.app.facade import Terminal
from terminal.app.wiring import build_terminal
from terminal.config import parse_config
from terminal.core.errors import InvalidInput, PosError
from terminal.core.rights import ApprovalRequired, PermissionDenied, Right
from terminal.core.staff import OWNER
from terminal.sample import sample_catalog, sample_staff

CARDS = {"1001": "STF-LINA-1001", "1002": "STF-WANG-1002"}


def _pin(role: str) -> str:
    return next(s["pin"] for s in sample_staff() if s["role"] == role)


@pytest.fixture
def desk(tmp_path: Path):
    config = parse_config(
        f'[terminal]\nid = "UT1"\ndata_dir = "{tmp_path}"\n[hardware]\nsimulated = true\n'
    )
    t = build_terminal(config, seed_sample=True)
    for sid, code in CARDS.items():
        t.staff.staff.assign_card(sid, code, by=OWNER)
    yield t
    t.close()


def _cola() -> str:
    return next(i for i in sample_catalog()[0] if i.name == "Cola 330ml can").barcodes[0]


def test_tiles_and_card_identification(desk: Terminal) -> None:
    assert [t.staff_id for t in desk.tiles()] == ["1001", "1002"]
    assert desk.identify(CARDS["1001"]).name_zh == "李娜"
    with pytest.raises(InvalidInput, match="scan a staff card"):
        desk.identify(_cola())


def test_switch_parks_each_clerks_sale_and_gives_it_back(desk: Terminal) -> None:
    t = desk
    clerk = desk.login(_pin("cashier"), staff_id="1002")
    assert clerk.staff_id == "1002" and clerk.store_scope is False
    t.open_shift(10000)
    sale_id = t.scan(_cola()).sale_id
    # A wrong PIN from the next clerk leaves the sale where it was.
    with pytest.raises(PosError):
        desk.login("0000", staff_id="1001")
    assert t.sale_snapshot().sale_id == sale_id
    manager = desk.login(_pin("manager"), staff_id="1001")
    assert manager.store_scope is True
    assert not t.sale_snapshot().lines
    desk.logout()
    desk.login(_pin("cashier"), card=CARDS["1002"])
    snap = t.sale_snapshot()
    assert snap.sale_id == sale_id and len(snap.lines) == 1


def test_idle_logout_respects_the_configured_limit(desk: Terminal) -> None:
    t = desk
    desk.login(_pin("cashier"), staff_id="1002")
    limit = desk.idle_limit()
    assert limit == 300
    assert desk.idle_logout(limit - 1) is False and desk.auth.current is not None
    # Not while a payment is part taken: the clerk is still serving.
    t.open_shift(10000)
    t.scan(_cola())
    t.start_payment()
    t.pay_cash(100)
    assert desk.idle_logout(limit) is False and desk.auth.current is not None
    t.pay_cash(5000)
    t.new_sale()
    assert desk.idle_logout(limit) is True and desk.auth.current is None


def test_approval_by_a_supervisor_card_then_the_retry_succeeds(desk: Terminal) -> None:
    t = desk
    desk.login(_pin("cashier"), staff_id="1002")
    t.open_shift(10000)
    t.scan(_cola())
    with pytest.raises(ApprovalRequired) as raised:
        t.set_price(1, 200)
    right = raised.value.decision.right.value
    assert right == Right.PRICE_OVERRIDE.value
    reason = desk.reasons()[3]
    with pytest.raises(PosError):  # the cashier cannot approve themselves
        desk.approve(right, CARDS["1002"], _pin("cashier"), reason)
    approval = desk.approve(right, CARDS["1001"], _pin("manager"), reason)
    snap = t.set_price(1, 200, approval=approval)
    assert snap.lines[0].unit_price == 200


def test_refund_found_by_number_priced_and_capped(desk: Terminal) -> None:
    t = desk
    desk.login(_pin("cashier"), staff_id="1002")
    t.open_shift(10000)
    for _n in range(3):
        t.scan(_cola())
    t.start_payment()
    done = t.pay_cash(5000)
    found = desk.find_receipt(number=done.receipt_no)
    line = found.lines[0]
    assert line.remaining_milli == 3000
    assert desk.refund_amount({line.line_no: 1000}) == done.total // 3
    with pytest.raises(PosError, match="left to refund"):
        desk.refund({line.line_no: 4000}, "customer changed mind")
    result = desk.refund({line.line_no: 1000}, "customer changed mind")
    assert result.total == done.total // 3 and result.approver_id is None
    again = desk.find_receipt(qr=f"POS1:UT1:{found.sale_id}")
    assert again.lines[0].refunded_milli == 1000


def test_figures_periods_everyone_and_csv(desk: Terminal, tmp_path: Path) -> None:
    desk.login(_pin("cashier"), staff_id="1002")
    assert [r.staff_id for r in desk.figures("today").rows] == ["1002"]
    # Asking for everyone without store scope still gives only their own row.
    assert [r.staff_id for r in desk.figures("week", everyone=True).rows] == ["1002"]
    desk.login(_pin("manager"), staff_id="1001")
    month = desk.figures("month", everyone=True)
    assert [(r.staff_id, month.name(r, "zh_CN")) for r in month.rows] == [("1001", "李娜"),
                                                                        ("1002", "王伟")]
    since, until, first, last = desk.period("custom", "20260101", "20260131")
    assert (first, last) == ("2026-01-01", "2026-01-31")
    assert since == "2026-01-01T00:00:00+08:00" and until == "2026-02-01T00:00:00+08:00"
    with pytest.raises(InvalidInput):
        desk.period("custom", "20260131", "20260101")
    with pytest.raises(InvalidInput):
        desk.period("custom", "2026013", "")
    _s, _u, first, last = desk.period("week")
    assert date.fromisoformat(first).weekday() == 0 and first <= last
    path = Path(desk.export_figures("today", everyone=True))
    assert path.parent == tmp_path / "exports"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("staff_id,") and len(lines) == 3


def test_training_keeps_its_own_sale_session(desk: Terminal) -> None:
    t = desk
    desk.login(_pin("cashier"), staff_id="1002")
    t.open_shift(10000)
    real = t.scan(_cola()).sale_id
    clerk = desk.enter_training(CARDS["1001"], _pin("manager"))
    assert clerk.training is True and clerk.checklist is not None and clerk.checklist.total == 6
    training = t.scan(_cola())
    assert training.training is True and training.sale_id != real
    clerk = desk.leave_training()
    assert clerk.training is False and t.sale_snapshot().sale_id == real


def test_staff_management_is_for_managers(desk: Terminal) -> None:
    desk.login(_pin("cashier"), staff_id="1002")
    with pytest.raises(PermissionDenied):
        desk.staff_list()
    desk.login(_pin("manager"), staff_id="1001")
    added = desk.staff_add("Zhao Min", "2001", "cashier")
    assert len(added.pin) == 6
    members = {m.staff_id: m for m in desk.staff_list()}
    assert members["2001"].status == "active"
    assert desk.staff_assign_card("2001", "STF-ZHAO-2001").tag
    with pytest.raises(InvalidInput):
        desk.staff_assign_card("2001", _cola())
    assert desk.staff_status("2001", "suspended").status == "suspended"
    recorded = desk.staff_record_training("1002", "Refunds", "passed")
    assert recorded.record is not None and recorded.record["result"] == "passed"
