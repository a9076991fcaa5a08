"""The command handlers the composition root registers with the intake, built from the services
they drive: the catalog writer, the staff service, the ledger (settings, alert rules, reports).

Each factory returns ``{command type: handler(body) -> result}``; merge the dicts you can build
and pass them to ``Intake``. The relay adds ``resend.from`` itself.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from terminal.core.errors import InvalidInput, NotFound
from terminal.core.ports import Ledger
from terminal.core.records import QR, Barcode, Feed, PrintDoc, Rule, Text
from terminal.core.settings import StoreSettings, with_values
from terminal.core.staff import OWNER
from terminal.link import protocol as p
from terminal.link.intake import Handler


def catalog_handlers(catalog: Any, ledger: Ledger) -> dict[str, Handler]:
    """``catalog`` reads and writes items (``SqliteCatalog``). Every applied chunk or delta is
    journaled as ``catalog.applied``, so the collector sees catalog changes in the event
    stream."""

    def snapshot(body: p.CatalogSnapshot) -> dict[str, Any]:
        # Everything is checked before the first write (the intake's transaction would undo a
        # half-applied chunk anyway, but a refusal should name the problem, not a rollback).
        _check_tax_classes(catalog, body.items, {t.code for t in body.tax_classes})
        if body.quick_keys is not None:
            listed = {b.sku for b in body.items}
            missing = [s for s in body.quick_keys if s not in listed and catalog.by_sku(s) is None]
            if missing:
                raise NotFound(f"quick keys name unknown SKUs: {', '.join(missing[:5])}")
        if body.tax_classes:
            catalog.set_tax_classes([t.to_tax_class() for t in body.tax_classes])
        written = catalog.upsert_items(b.to_item() for b in body.items)
        if body.quick_keys is not None:
            catalog.set_quick_keys(body.quick_keys)
        result = {
            "version": body.version,
            "chunk": body.chunk,
            "chunks": body.chunks,
            "items": written,
        }
        ledger.post("catalog.applied", {"mode": "snapshot", **result}, staff_id=None)
        return result

    def delta(body: p.CatalogDelta) -> dict[str, Any]:
        _check_tax_classes(catalog, body.items)
        changed: dict[str, Any] = {}
        for b in body.items:
            changed[b.sku] = b.to_item()
        # Prices and stock are absolute values, so applying a delta twice changes nothing.
        for pc in body.prices:
            item = changed.get(pc.sku) or catalog.by_sku(pc.sku)
            if item is None:
                raise NotFound(f"price change for unknown SKU {pc.sku}")
            changed[pc.sku] = dataclasses.replace(item, price=pc.price)
        for st in body.stock:
            item = changed.get(st.sku) or catalog.by_sku(st.sku)
            if item is None:
                raise NotFound(f"stock level for unknown SKU {st.sku}")
            changed[st.sku] = dataclasses.replace(item, stock_milli=st.stock_milli)
        for sku in body.deactivate:
            item = changed.get(sku) or catalog.by_sku(sku)
            if item is None:
                raise NotFound(f"cannot deactivate unknown SKU {sku}")
            changed[sku] = dataclasses.replace(item, active=False)
        written = catalog.upsert_items(changed.values())
        result = {
            "version": body.version,
            "items": written,
            "prices": len(body.prices),
            "stock": len(body.stock),
            "deactivated": len(body.deactivate),
        }
        ledger.post("catalog.applied", {"mode": "delta", **result}, staff_id=None)
        return result

    return {"catalog.snapshot": snapshot, "catalog.delta": delta}


def _check_tax_classes(
    catalog: Any, items: list[p.ItemBody], incoming: set[str] | frozenset[str] = frozenset()
) -> None:
    if not hasattr(catalog, "tax_classes"):
        return
    known = {t.code for t in catalog.tax_classes()} | incoming
    for i, b in enumerate(items):
        if b.tax_class not in known:
            raise p.ValidationError(
                f"body.items[{i}].tax_class", f"unknown tax class {b.tax_class!r}"
            )


def staff_handlers(staff: Any) -> dict[str, Handler]:
    """``staff`` is ``terminal.core.staff_service.StaffService``; commands run as the owner."""

    def run(command: dict[str, Any]) -> Any:
        return staff.execute(command, by=OWNER)

    def add(b: p.StaffAdd) -> Any:
        member = {
            "staff_id": b.staff_id,
            "name": b.name,
            "role": b.role,
            "gender": b.gender,
            "contact": b.contact,
            "overrides": b.overrides,
            "trainee": b.trainee,
        }
        return run(
            {"op": "staff.add", "staff": member, "pin": b.pin, "must_change_pin": b.must_change_pin}
        )

    def update(b: p.StaffUpdate) -> Any:
        changes = dict(b.changes)
        results = []
        role = changes.pop("role", None)
        overrides = changes.pop("overrides", None)
        if changes:
            results.append(run({"op": "staff.update", "staff_id": b.staff_id, "changes": changes}))
        if role is not None:
            results.append(run({"op": "staff.set_role", "staff_id": b.staff_id, "role": role}))
        if overrides is not None:
            results.append(
                run({"op": "staff.set_overrides", "staff_id": b.staff_id, "overrides": overrides})
            )
        return {"ok": True, "staff_id": b.staff_id, "steps": results}

    def suspend(b: p.StaffSuspend) -> Any:
        op = {"suspended": "staff.suspend", "active": "staff.reactivate", "left": "staff.leave"}
        return run({"op": op[b.status], "staff_id": b.staff_id, "reason": b.reason})

    def snapshot(b: p.StaffSnapshot) -> Any:
        return staff.apply_snapshot(b.version, b.staff, b.roles, b.cards, by=OWNER)

    def card_assign(b: p.CardAssign) -> Any:
        return run({"op": "card.assign", "staff_id": b.staff_id, "code": b.code})

    def card_revoke(b: p.CardRevoke) -> Any:
        return run({"op": "card.revoke", "staff_id": b.staff_id, "code": b.code, "tag": b.tag})

    def pin_reset(b: p.PinReset) -> Any:
        if not b.pin:
            # The owner chooses the PIN (sealed): one generated here would have to travel back
            # in the reply.
            raise InvalidInput("pin.reset needs the new PIN, sealed to this terminal")
        result = run(
            {"op": "pin.reset", "staff_id": b.staff_id, "pin": b.pin, "must_change": b.must_change}
        )
        return {k: v for k, v in result.items() if k != "pin"}

    def role_set(b: p.RoleSet) -> Any:
        role = {
            "name": b.name,
            "label": b.label or b.name,
            "grants": b.grants,
            "requires_training": b.requires_training,
        }
        return run({"op": "role.define", "role": role})

    return {
        "staff.add": add,
        "staff.update": update,
        "staff.suspend": suspend,
        "staff.snapshot": snapshot,
        "card.assign": card_assign,
        "card.revoke": card_revoke,
        "pin.reset": pin_reset,
        "role.set": role_set,
    }


SETTABLE = frozenset(
    f.name for f in dataclasses.fields(StoreSettings) if f.name not in ("terminal_id",)
)
"""Store settings the owner may set remotely (the terminal id comes from enrolment)."""


def settings_handlers(
    ledger: Ledger,
    on_settings: Callable[[Mapping[str, Any]], None] | None = None,
    on_alerts: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Handler]:
    """Settings and alert rules are journaled (``settings.applied``, ``alerts.applied``) so the
    composition root can rebuild them at start-up; ``on_settings``/``on_alerts`` let a running
    app take them at once. Unknown setting names are refused before anything is written."""

    def settings(b: p.SettingsSet) -> Any:
        unknown = sorted(set(b.values) - SETTABLE)
        if unknown:
            raise p.ValidationError(f"body.values.{unknown[0]}", "is not a store setting")
        # The same checks the settings make when the terminal builds them at start-up (time
        # zone, language, currency, types), so a value that would stop the till after a
        # restart is refused now.
        try:
            with_values(StoreSettings(), b.values)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        ledger.post("settings.applied", {"values": dict(b.values)}, staff_id=None)
        if on_settings is not None:
            on_settings(dict(b.values))
        return {"settings": sorted(b.values)}

    def alerts(b: p.AlertsSet) -> Any:
        ids = [r.rule_id for r in b.rules]
        if len(set(ids)) != len(ids):
            raise p.ValidationError("body.rules", "rule ids repeat")
        rules = [p.to_json(r) for r in b.rules]
        ledger.post("alerts.applied", {"rules": rules}, staff_id=None)
        if on_alerts is not None:
            on_alerts(rules)
        return {"rules": len(rules)}

    return {"settings.set": settings, "alerts.set": alerts}


def badge_handlers(printer: Any | None) -> dict[str, Handler]:
    """``badge.print``: a staff badge on the terminal's receipt printer (a ``ReceiptPrinter``;
    None when the terminal has none, which the reply says). The job is queued and survives a
    restart like a receipt; the reply says whether the printer is ready now."""

    def badge(b: p.BadgePrint) -> Any:
        if printer is None:
            raise NotFound(
                "this terminal has no receipt printer to print the badge on; print the PNG "
                "instead (`posctl card issue` without --print-on)"
            )
        blocks: list[Any] = []
        if b.store_name:
            blocks.append(Text(b.store_name, align="center"))
            blocks.append(Rule())
        blocks.append(Text(b.name, align="center", bold=True, size=2))
        if b.name_zh:
            blocks.append(Text(b.name_zh, align="center", bold=True, size=2))
        if b.role_label:
            blocks.append(Text(b.role_label, align="center"))
        blocks.append(Text(b.staff_id, align="center"))
        blocks.append(Feed(1))
        blocks.append(QR(b.code, size=8) if b.symbology == "qr" else Barcode(b.code, "CODE128"))
        blocks.append(Feed(2))
        # A fresh key each time: a second badge.print command is a reprint, not a duplicate.
        key = f"badge:{b.staff_id}:{uuid.uuid4().hex}"
        printer.submit(PrintDoc(key=key, kind="badge", blocks=tuple(blocks)))
        status = printer.status()
        return {"job": key, "printer": status.health.value, "pending_jobs": status.pending_jobs}

    return {"badge.print": badge}


def report_handlers(ledger: Ledger) -> dict[str, Handler]:
    """``report.request``: the figures are computed on the terminal and returned in the reply."""

    def report(b: p.ReportRequest) -> Any:
        if b.report == "z":
            assert b.number is not None
            z = ledger.z_report(b.number)
            if z is None:
                raise NotFound(f"no Z report number {b.number}")
            return {"report": "z", "number": b.number, "z": dict(z)}
        if b.report == "x":
            totals = ledger.totals(since_last_z=True)
        elif b.report == "shift":
            shift_id = b.shift_id
            if shift_id is None:
                current = ledger.current_shift()
                if current is None:
                    raise NotFound("no shift is open")
                shift_id = str(current["shift_id"])
            totals = ledger.totals(shift_id=shift_id)
        elif b.report == "staff":
            totals = ledger.totals(staff_id=b.staff_id, since_last_z=True)
        else:
            totals = ledger.totals(since=b.since, until=b.until)
        return {"report": b.report, "totals": totals.to_payload()}

    return {"report.request": report}
