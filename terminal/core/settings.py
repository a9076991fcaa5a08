"""The store's settings as core services read them. The composition root builds one from the
configuration file (and provisioning may replace it); core never reads files itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from terminal.core.barcodes import VariableMeasureLayout
from terminal.core.money import Rounding, exponent

LANGUAGES = ("zh_CN", "en")
"""The languages the screens and receipts have; the configuration file's ``language`` offers
the same."""


@dataclass(frozen=True, slots=True)
class ScanRules:
    """How a read is classified when it is not a product barcode. Prefixes are matched as-is."""

    staff_prefix: str = "STF"
    member_prefix: str = "MBR"
    receipt_prefix: str = "POS1:"
    wechat_lengths: tuple[int, ...] = (18,)
    wechat_starts: tuple[str, ...] = ("10", "11", "12", "13", "14", "15")
    alipay_lengths: tuple[int, ...] = tuple(range(16, 25))
    alipay_starts: tuple[str, ...] = ("25", "26", "27", "28", "29", "30")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    store_name: str = "Sample Store"
    store_name_zh: str = ""
    address_lines: tuple[str, ...] = ()
    terminal_id: str = "T1"
    currency: str = "CNY"
    language: str = "zh_CN"
    """Receipt and display language for item names: "zh_CN" uses ``name_zh``."""
    timezone: str = "Asia/Shanghai"
    business_day_start_hour: int = 0
    """Sales before this local hour count for the previous business day."""
    cash_rounding_step: int = 0
    """0 or 1: none; 10 rounds cash payments to 10 fen."""
    cash_rounding_mode: Rounding = Rounding.HALF_UP
    variable_measure: VariableMeasureLayout = field(default_factory=VariableMeasureLayout)
    quick_cash_denominations: tuple[int, ...] = (1000, 2000, 5000, 10000)
    """Notes a customer may hand over, in minor units; quick-cash buttons round up to them."""
    merge_lines: bool = True
    """A repeated scan of the same piece item adds to its line instead of a new line."""
    refund_max_age_days: int = 30
    receipt_footer: tuple[str, ...] = ("Thank you / 谢谢惠顾",)
    scan_rules: ScanRules = field(default_factory=ScanRules)
    require_open_shift: bool = True
    """Sales (outside training) need an open shift, so every sale belongs to a cash count."""
    max_line_qty_milli: int = 999_000
    """A quantity above this is refused as a probable typing error."""
    reverse_interrupted_payments: bool = False
    """After a restart, reverse the mobile and card payments of a sale the restart interrupted
    (journaled ``payment.reversed``) instead of giving the sale back to its clerk with them."""

    def __post_init__(self) -> None:
        exponent(self.currency)  # refuse an unknown currency when the settings are built
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language!r} (one of {', '.join(LANGUAGES)})")
        self.tz()  # an unknown time zone fails here, not at the first cash payment
        Rounding(self.cash_rounding_mode)
        if self.cash_rounding_step < 0:
            raise ValueError("cash_rounding_step must not be negative")
        if not 0 <= self.business_day_start_hour <= 23:
            raise ValueError("business_day_start_hour must be 0-23")

    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown timezone {self.timezone!r}") from e

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz())

    def business_day_start(self, when: datetime) -> datetime:
        """The UTC instant the local business day containing ``when`` began."""
        local = self.local(when)
        start = datetime.combine(local.date(), time(self.business_day_start_hour), local.tzinfo)
        if local < start:
            start -= timedelta(days=1)
        return start.astimezone(ZoneInfo("UTC"))


def with_values(settings: StoreSettings, values: Mapping[str, Any]) -> StoreSettings:
    """``settings`` with JSON-shaped ``values`` laid over (the owner's ``settings.set``): each
    value must have its setting's type (lists for tuples, objects for the nested rules, a mode
    name for the rounding), and the result must pass every check the settings make when built.
    Raises ValueError naming the first setting that does not fit."""
    known = {f.name for f in fields(StoreSettings)} - {"terminal_id"}
    changes: dict[str, Any] = {}
    for name, raw in values.items():
        if name not in known:
            raise ValueError(f"{name}: is not a store setting")
        changes[name] = _typed(name, getattr(settings, name), raw)
    try:
        return replace(settings, **changes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"settings refused: {exc}") from None


def _typed(name: str, current: Any, raw: Any) -> Any:
    if isinstance(current, Rounding):
        try:
            return Rounding(raw)
        except ValueError:
            modes = ", ".join(m.value for m in Rounding)
            raise ValueError(f"{name}: must be one of {modes}") from None
    if isinstance(current, bool | int | str):
        kind = type(current)
        if type(raw) is not kind:
            raise ValueError(f"{name}: must be {kind.__name__}, got {type(raw).__name__}")
        return raw
    if isinstance(current, tuple):
        if not isinstance(raw, list | tuple):
            raise ValueError(f"{name}: must be a list")
        kind = type(current[0]) if current else str
        for v in raw:
            if type(v) is not kind:
                raise ValueError(f"{name}: every entry must be {kind.__name__}")
        return tuple(raw)
    if hasattr(current, "__dataclass_fields__"):
        if not isinstance(raw, Mapping):
            raise ValueError(f"{name}: must be an object")
        inner = {f.name for f in fields(current)}
        for k in raw:
            if k not in inner:
                raise ValueError(f"{name}.{k}: is not a setting")
        try:
            return replace(
                current,
                **{k: _typed(f"{name}.{k}", getattr(current, k), v) for k, v in raw.items()},
            )
        except TypeError as exc:
            raise ValueError(f"{name}: {exc}") from None
    raise ValueError(f"{name}: cannot be set remotely")
