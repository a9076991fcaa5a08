"""Template filters: amounts in minor units, and the translated words for stored codes."""

from __future__ import annotations

from django import template

from provisioning.web import labels

register = template.Library()


@register.filter
def money(amount: int | None) -> str:
    return labels.money(amount)


@register.filter
def tender(code: str) -> str:
    return labels.label(labels.TENDERS, code)


@register.filter
def feedkind(code: str) -> str:
    return labels.label(labels.FEED, code)


@register.filter
def termstate(code: str) -> str:
    return labels.label(labels.STATES, code)


@register.filter
def staffstatus(code: str) -> str:
    return labels.label(labels.STAFF_STATUS, code)


@register.filter
def outcome(code: str) -> str:
    return labels.label(labels.OUTCOMES, code)


@register.filter
def device(code: str) -> str:
    return labels.label(labels.DEVICES, code)


@register.filter
def health(code: str) -> str:
    return labels.label(labels.HEALTH, code)
