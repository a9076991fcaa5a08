"""The devices' last known state, as the screens and the control channel read it.

The app fills these from caches the drivers keep (the printer's last status, the scanners'
connection states, the drawer monitor's last sensor reading), so reading one never waits on a
device.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PrinterView:
    health: str = "unknown"
    online: bool | None = None
    paper_out: bool | None = None
    problem: str = ""
    """"" when printing works, else "offline", "paper_out", "cover_open" or "fault"."""
    pending_jobs: int = 0
    detail: str = ""
    """The driver's own words (an OS error, a status byte): for the technician."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ScannerView:
    down: dict[str, str] = field(default_factory=dict)
    """Source → the driver's detail, for every scanner that is not reading."""
    states: dict[str, str] = field(default_factory=dict)
    """Source → its state ("unplugged", "disconnected", ...), for the same scanners."""

    @property
    def problem(self) -> str:
        return "disconnected" if self.down else ""

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.problem, "down": dict(self.down), "states": dict(self.states)}


@dataclass(frozen=True, slots=True)
class DrawerView:
    open: bool | None = None
    """The sensor's last reading; None without a sensor."""
    opened: int = 0
    """Kicks since start."""
    left_open: int | None = None
    """How long (s) the drawer had been open when the monitor raised its alert; None while
    nothing is wrong."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DrawerDone:
    """A drawer action outside a sale that was journaled."""

    done: str
    """"no_sale", "cash_in" or "cash_out"."""
    reason: str
    amount: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class PaymentModes:
    """What takes the money, for the header: each back end "live", "simulated" or "none"."""

    qr: str = "simulated"
    card: str = "simulated"
    live: tuple[str, ...] = ()
    """The wallets that take real money ("wechat", "alipay"); () unless ``qr`` is live."""

    def to_dict(self) -> dict[str, Any]:
        return {"qr": self.qr, "card": self.card, "live": list(self.live)}
