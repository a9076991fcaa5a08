"""Words for the codes the collector stores: tender kinds, feed event kinds, terminal states.
Each goes through Django's translations; an unknown code is shown as itself."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

TENDERS = {"cash": _("Cash"), "card": _("Card"), "qr": _("Mobile pay")}
FEED = {
    "sale.completed": _("Sale"),
    "refund.completed": _("Refund"),
    "sale.voided": _("Sale voided"),
    "line.voided": _("Line voided"),
    "drawer.opened": _("No sale"),
    "approval.granted": _("Approval granted"),
    "approval.verified": _("Approval verified"),
    "approval.refused": _("Approval refused"),
}
STATES = {
    "online": _("online"),
    "offline": _("offline"),
    "stale": _("not reporting"),
    "unknown": _("unknown"),
}
DEVICES = {"printer": _("printer"), "drawer": _("drawer"), "scanner": _("scanner")}
HEALTH = {"ok": _("ok"), "fault": _("fault"), "unknown": _("unknown")}
STAFF_STATUS = {"active": _("active"), "suspended": _("suspended"), "left": _("left")}
OUTCOMES = {"done": _("done"), "refused": _("refused"), "waiting": _("waiting (offline)")}


def label(table: Mapping[str, object], code: str) -> str:
    return str(table.get(code, code))


def money(amount: int | None) -> str:
    """Minor units as a decimal amount ("-12.05"); integers only, no float rounding."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(int(amount)), 100)
    return f"{sign}{major}.{minor:02d}"
