"""One call for the composition root: the relay with its command intake and every handler the
terminal can offer, wired to the ledger so each committed entry wakes the relay."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.core.ports import Clock
from terminal.link import protocol as p
from terminal.link.handlers import (
    badge_handlers,
    catalog_handlers,
    report_handlers,
    settings_handlers,
    staff_handlers,
)
from terminal.link.intake import Handler, Intake
from terminal.link.relay import LinkConfig, LinkConfigError, Relay
from terminal.link.sealing import SealError, load_private_key


def build_link(
    section: Mapping[str, Any],
    *,
    terminal_id: str,
    ledger: Any,
    clock: Clock,
    catalog: Any | None = None,
    staff: Any | None = None,
    handlers: Mapping[str, Handler] | None = None,
    health: Callable[[], Mapping[str, str]] | None = None,
    on_settings: Callable[[Mapping[str, Any]], None] | None = None,
    on_alerts: Callable[[list[dict[str, Any]]], None] | None = None,
    version: str = "",
    printer: Any | None = None,
) -> Relay:
    """``section`` is the ``[link]`` config section as a mapping; ``ledger`` a ``SqliteLedger``
    (it provides the outbox and, unless ``catalog`` is given, the catalog); ``staff`` the
    ``StaffService`` (without it staff commands are answered "unsupported"); ``handlers`` add
    to or replace the built-in ones. Returns the relay, not started: call ``start()`` once the
    app runs and ``stop()`` at shutdown. Raises ``LinkConfigError`` naming a bad key.

    ``printer`` (a ``ReceiptPrinter``) prints badges for ``badge.print``; without it that
    command is refused with a clear reason. ``seal_key`` in the section names the terminal's
    X25519 key file that opens sealed secrets; when it is set but unreadable the link is not
    built (``LinkConfigError``)."""
    cfg = LinkConfig.from_section(section, terminal_id=terminal_id, version=version)
    catalog = catalog if catalog is not None else ledger.catalog()
    table: dict[str, Handler] = {
        **catalog_handlers(catalog, ledger),
        **settings_handlers(ledger, on_settings=on_settings, on_alerts=on_alerts),
        **report_handlers(ledger),
        **badge_handlers(printer),
    }
    if staff is not None:
        table.update(staff_handlers(staff))
    table.update(handlers or {})
    intake = Intake(
        store_id=cfg.store_id,
        terminal_id=cfg.terminal_id,
        ledger=ledger,
        trusted=p.TrustedKeys(cfg.owner_keys),
        clock=clock,
        handlers=table,
        seal_key=_seal_key(section),
    )
    intake.load()
    relay = Relay(
        cfg, ledger=ledger, outbox=ledger.outbox(), clock=clock, intake=intake, health=health
    )
    ledger.subscribe(lambda _entry: relay.wake())
    return relay


def _seal_key(section: Mapping[str, Any]) -> X25519PrivateKey | None:
    path = section.get("seal_key") or ""
    if not path:
        # Enrolled before sealing: it takes no command carrying a secret (they come only sealed).
        return None
    if not isinstance(path, str):
        raise LinkConfigError("seal_key", f"must be a file path, got {path!r}")
    try:
        return load_private_key(path)
    except SealError as exc:
        raise LinkConfigError("seal_key", str(exc)) from None
