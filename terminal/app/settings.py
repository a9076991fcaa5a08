"""The store settings the core runs on: the configuration file's, with the ones the owner
provisioned over the link laid over them."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("terminal")


def store_settings(config: Any) -> Any:
    """The core's view of the store, from the configuration file."""
    from terminal.core.barcodes import VariableMeasureLayout
    from terminal.core.money import Rounding
    from terminal.core.settings import ScanRules, StoreSettings

    codes = config.payment_codes
    return StoreSettings(
        store_name=config.store.name,
        store_name_zh=config.store.name_zh,
        address_lines=tuple(config.store.address),
        terminal_id=config.terminal.id,
        currency=config.store.currency,
        language=config.terminal.language,
        timezone=config.terminal.timezone,
        cash_rounding_step=config.store.cash_rounding_step,
        cash_rounding_mode=Rounding(config.store.cash_rounding_mode),
        variable_measure=VariableMeasureLayout(
            price_prefixes=tuple(config.store.price_prefixes),
            weight_prefixes=tuple(config.store.weight_prefixes),
        ),
        quick_cash_denominations=tuple(config.store.quick_cash),
        scan_rules=ScanRules(
            wechat_lengths=tuple(codes.wechat_lengths),
            wechat_starts=tuple(codes.wechat_prefixes),
            alipay_lengths=tuple(codes.alipay_lengths),
            alipay_starts=tuple(codes.alipay_prefixes),
        ),
        merge_lines=config.store.merge_repeat_scans,
        refund_max_age_days=config.store.refund_max_age_days,
    )


def provisioned_values(ledger: Any) -> dict[str, Any]:
    """The store settings the owner set over the link, replayed from the journal in order: each
    ``settings.applied`` entry sets only the settings it names, so a later one wins for those
    and leaves the others as an earlier one set them."""
    values: dict[str, Any] = {}
    for entry in ledger.entries_of_kind("settings.applied"):
        values.update(entry.payload.get("values") or {})
    return values


def with_provisioned(settings: Any, values: dict[str, Any]) -> Any:
    """``settings`` (from the configuration file) with the provisioned ``values`` over them.
    A value that no longer fits (a setting renamed, a bad nested value) is logged and the
    file's value kept, so the terminal still starts and sells."""
    from dataclasses import fields, replace

    from terminal.core.barcodes import VariableMeasureLayout
    from terminal.core.money import Rounding
    from terminal.core.settings import ScanRules

    def tupled(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    nested = {"variable_measure": VariableMeasureLayout, "scan_rules": ScanRules}
    names = {f.name for f in fields(settings)} - {"terminal_id"}
    for name, raw in values.items():
        try:
            if name not in names:
                raise ValueError("not a store setting")
            if name in nested:
                value: Any = nested[name](**{k: tupled(v) for k, v in dict(raw).items()})
            elif name == "cash_rounding_mode":
                value = Rounding(raw)
            else:
                value = tupled(raw)
            settings = replace(settings, **{name: value})
        except (TypeError, ValueError) as e:
            log.error("provisioned setting %s = %r not applied: %s", name, raw, e)
    return settings

