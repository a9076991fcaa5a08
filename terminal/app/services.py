"""What the composition root opened for one terminal, and how to close it again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Services:
    """Everything ``build_services`` opened and started; ``closers`` undo it, newest last."""

    ledger: Any
    catalog: Any
    clock: Any
    staff: Any
    printer: Any
    drawer: Any
    scanner: Any
    payments: Any
    card: Any
    closers: list[Callable[[], None]] = field(default_factory=list)
    drawer_monitor: Any = None
    """Reads the drawer's sensor on its own thread and keeps the last state (None: no sensor)."""
    settings: Any = None
    """The effective store settings: the file's, with the provisioned ones over them."""
