"""Building the cart on fakes: scans of every label kind, taxes, discounts, price changes and
voided lines, with the rights they ask for and what they journal."""

from __future__ import annotations

import pytest

from terminal.core.barcodes import VariableMeasureLayout, make_variable_measure
from terminal.core.errors import IllegalStep, InvalidInput, JournalError, NotFound
from terminal.core.rights import Approval, ApprovalRequired, PermissionDenied, Right, Verdict

from .store import CHIPS, COLA, IMPORTED, MILK, completed, rig


def test_repeated_scans_merge_unless_configured_not_to() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    snap = r.session.add_barcode(COLA)
    assert [(x.sku, x.qty_milli) for x in snap.lines] == [("COLA", 2000)]
    r2 = rig(merge_lines=False)
    r2.session.add_barcode(COLA)
    snap = r2.session.add_barcode(COLA)
    assert [(x.sku, x.qty_milli) for x in snap.lines] == [("COLA", 1000), ("COLA", 1000)]


def test_upc_and_ean_forms_find_the_same_item() -> None:
    r = rig()
    # COLA is stored as EAN-13 with a leading 6; a UPC-A item stored as 13 digits with 0:
    assert r.session.add_barcode(COLA).lines[0].sku == "COLA"
    with pytest.raises(InvalidInput) as e:
        r.session.add_barcode(COLA[:-1] + str((int(COLA[-1]) + 1) % 10))
    assert e.value.code == "barcode.check_digit"
    with pytest.raises(NotFound):
        r.session.add_barcode("6901234999990")
    assert r.session.snapshot().last_error is not None
    assert r.session.snapshot().last_error.code == "catalog.not_found"


def test_weight_and_price_embedded_labels() -> None:
    r = rig()
    layout = r.settings.variable_measure
    apples = make_variable_measure("10001", 1250, layout, kind="weight")
    cake = make_variable_measure("10002", 2380, layout, kind="price")
    snap = r.session.add_barcode(apples)
    snap = r.session.add_barcode(cake)
    a, c = snap.lines
    assert (a.sku, a.qty_milli, a.unit_price, a.gross) == ("APPLE", 1250, 1198, 1498)  # 14.975
    assert (c.sku, c.qty_milli, c.gross, c.price_source) == ("CAKE", 1000, 2380, "embedded")
    # A second identical weight label is a second package: never merged.
    assert len(r.session.add_barcode(apples).lines) == 3
    with pytest.raises(IllegalStep):
        r.session.set_quantity(c.line_no, 2000)


def test_alternative_layout_with_price_check_digit() -> None:
    layout = VariableMeasureLayout(
        price_prefixes=("28",), weight_prefixes=("29",), item_digits=4, value_check_digit=True
    )
    r = rig(variable_measure=layout)
    r.catalog.upsert_items([r.catalog.by_sku("CAKE").__class__("PIE", "Pie", "派", 0, ("4321",))])
    code = make_variable_measure("4321", 1575, layout, kind="price")
    assert r.session.add_barcode(code).lines[0].gross == 1575
    bad = code[:6] + str((int(code[6]) + 1) % 10) + code[7:12]
    from terminal.core.barcodes import with_check_digit

    with pytest.raises(InvalidInput) as e:
        r.session.add_barcode(with_check_digit(bad))
    assert e.value.code == "barcode.value_check_digit"


def test_tax_inclusive_and_exclusive() -> None:
    r = rig()
    r.session.add_barcode(MILK)  # 12.90 incl. 9 %
    snap = r.session.add_barcode(IMPORTED)  # 10.00 + 10 % on top
    milk, tea = snap.lines
    assert milk.tax == 107  # 1290 * 900 / 10900 = 106.5 -> 107
    assert tea.tax == 100
    assert snap.total == 1290 + 1000 + 100
    r.session.pay_cash(5000)
    rec = completed(r)
    assert rec.tax_total == 207 and rec.total == 2390


def test_disk_full_on_line_void_changes_nothing() -> None:
    r = rig()
    r.session.add_barcode(COLA)
    r.ledger.full = True
    with pytest.raises(JournalError):
        r.session.void_line(1)
    assert not r.session.snapshot().lines[0].voided


def test_discount_within_limit_over_limit_and_approval() -> None:
    r = rig()
    s = r.session
    s.add_barcode(CHIPS)  # 7.90
    snap = s.discount_line(1, percent_bp=1000)
    assert snap.lines[0].discount == 79 and snap.total == 711
    with pytest.raises(ApprovalRequired) as e:
        s.discount_line(1, percent_bp=2000)
    assert e.value.decision.right is Right.DISCOUNT
    assert s.snapshot().last_error.needs_approval
    with pytest.raises(PermissionDenied):
        s.discount_line(1, percent_bp=2000, approval=Approval("alice", "self"))
    denied = r.ledger.of_kind("permission.denied")[-1].payload
    assert denied["actor"] == "alice" and denied["right"] == "sale.discount"
    with pytest.raises(PermissionDenied):
        s.discount_line(1, percent_bp=2000, approval=Approval("carol", "no right"))
    assert r.ledger.of_kind("permission.denied")[-1].payload["approver"] == "carol"
    snap = s.discount_line(1, percent_bp=2000, approval=Approval("bob", "damaged box"))
    assert snap.lines[0].discount == 158
    granted = r.ledger.of_kind("approval.granted")[-1]
    assert granted.payload == {
        "actor": "alice",
        "approver": "bob",
        "right": "sale.discount",
        "reason": "damaged box",
        "amount": 2000,
        "sale_id": snap.sale_id,
        "line_no": 1,
        "discount": 158,
    }
    s.pay_cash(1000)
    assert completed(r).lines[0].approver_id == "bob"


def test_amount_discount_is_checked_as_percent_rounded_up() -> None:
    r = rig()
    r.session.add_barcode(CHIPS)  # 790; 10 % = 79; 80 is 10.13 %
    with pytest.raises(ApprovalRequired):
        r.session.discount_line(1, amount=80)
    assert r.session.discount_line(1, amount=79).total == 711


def test_sale_discount_is_allocated_exactly() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    s.add_barcode(MILK)
    snap = s.discount_sale(amount=100)
    assert snap.discount_total == 100
    assert [x.discount for x in snap.lines] == [14, 33, 53]
    s.pay_cash(snap.total)
    rec = completed(r)
    assert rec.total == 2430 - 100


def test_price_override_and_open_price() -> None:
    r = rig()
    s = r.session
    s.add_barcode(CHIPS)
    snap = s.override_price(1, 500, reason="price match")
    assert snap.lines[0].unit_price == 500 and snap.lines[0].price_source == "override"
    with pytest.raises(ApprovalRequired):
        s.override_price(1, 1200)
    with pytest.raises(IllegalStep):
        s.add_sku("MISC")
    snap = s.add_sku("MISC", price=1234)
    assert snap.lines[-1].price_source == "open" and snap.lines[-1].gross == 1234
    with pytest.raises(IllegalStep):
        s.add_sku("COLA", price=1)


def test_void_line_is_journaled_and_excluded() -> None:
    r = rig()
    s = r.session
    s.add_barcode(COLA)
    s.add_barcode(CHIPS)
    snap = s.void_line(1, reason="customer changed mind")
    assert snap.lines[0].voided and snap.total == 790
    e = r.ledger.of_kind("line.voided")[-1]
    assert e.payload == {
        "sale_id": snap.sale_id,
        "line_no": 1,
        "sku": "COLA",
        "qty_milli": 1000,
        "amount": 350,
        "reason": "customer changed mind",
        "approver_id": None,
    }
    with pytest.raises(IllegalStep):
        s.void_line(1)
    s.pay_cash(1000)
    assert [x.line_no for x in completed(r).lines] == [2]


def test_reducing_quantity_is_a_partial_void() -> None:
    r = rig()
    r.session.add_sku("COLA", qty_milli=3000)
    r.session.set_quantity(1, 1000, reason="two returned to shelf")
    e = r.ledger.of_kind("line.voided")[-1]
    assert (e.payload["qty_milli"], e.payload["amount"]) == (2000, 700)
    assert r.session.set_quantity(1, 5000).lines[0].qty_milli == 5000
    with pytest.raises(InvalidInput):
        r.session.set_quantity(1, 0)
    with pytest.raises(InvalidInput):
        r.session.set_quantity(1, 1500)


def test_void_line_approval_is_journaled_with_the_void() -> None:
    r = rig()
    r.gate.grants["alice"][Right.VOID_LINE] = (Verdict.APPROVAL, None)
    r.session.add_barcode(COLA)
    with pytest.raises(ApprovalRequired):
        r.session.void_line(1, reason="scanned twice")
    assert not r.session.snapshot().lines[0].voided
    snap = r.session.void_line(1, reason="scanned twice", approval=Approval("bob", "checked"))
    assert snap.lines[0].voided and snap.lines[0].approver_id == "bob"
    kinds = r.ledger.kinds()
    # The void, then the sale as it now is (the progress entry that survives a crash).
    assert kinds[-3:] == ["approval.granted", "line.voided", "sale.progress"]
    assert r.ledger.of_kind("line.voided")[-1].payload["approver_id"] == "bob"
