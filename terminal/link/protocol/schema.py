"""Schema checking: message bodies are frozen dataclasses, and ``from_json`` walks their type
hints, so a schema is written once, as the dataclass, and the error names the exact field that
is wrong. Also the small field checks and the time format the bodies share."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from terminal.link.protocol.wire import ValidationError, check_canonical

Checker = Callable[[Any, str], Any]


@functools.cache
def _checker(tp: Any) -> Checker:
    """A function checking one value against schema type ``tp``, built once per type: a
    100,000-item catalog is 1.4 million field checks, so the type analysis must not repeat."""
    origin = get_origin(tp)
    if tp is Any:

        def check_any(value: Any, path: str) -> Any:
            check_canonical(value, path)
            return value

        return check_any
    if tp is object:
        # Already-parsed JSON checked elsewhere (the command envelope's body is checked
        # against its type's schema right after).
        return lambda value, path: value
    if tp in (str, bool, int, type(None)):
        return _scalar_checker(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        nullable = type(None) in args
        options = [_checker(a) for a in args if a is not type(None)]

        def check_union(value: Any, path: str) -> Any:
            if value is None and nullable:
                return None
            last: ValidationError | None = None
            for option in options:
                try:
                    return option(value, path)
                except ValidationError as exc:
                    last = exc
            assert last is not None
            raise last

        return check_union
    if origin is Literal:
        allowed = get_args(tp)
        choices = ", ".join(map(repr, allowed))

        def check_literal(value: Any, path: str) -> Any:
            if (
                not isinstance(value, str | int)
                or value not in allowed
                or isinstance(value, bool) != isinstance(allowed[0], bool)
            ):
                raise ValidationError(path, f"must be one of {choices}")
            return value

        return check_literal
    if origin in (list, tuple):
        item = _checker(get_args(tp)[0])
        as_tuple = origin is tuple

        def check_list(value: Any, path: str) -> Any:
            if type(value) is not list:
                raise ValidationError(path, f"must be a list, got {kind_of(value)}")
            items = [item(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return tuple(items) if as_tuple else items

        return check_list
    if origin is dict:
        kt, vt = (_checker(a) for a in get_args(tp))

        def check_dict(value: Any, path: str) -> Any:
            if type(value) is not dict:
                raise ValidationError(path, f"must be an object, got {kind_of(value)}")
            return {kt(k, path): vt(v, f"{path}.{k}") for k, v in value.items()}

        return check_dict
    if isinstance(tp, type) and hasattr(tp, "__dataclass_fields__"):
        return lambda value, path: from_json(tp, value, path)
    raise TypeError(f"schema type {tp!r} is not supported")  # a bug in a schema, not in input


def _scalar_checker(tp: type) -> Checker:
    if tp is str:
        what = "a string"
    elif tp is bool:
        what = "true or false"
    elif tp is int:
        what = "an integer"
    else:
        what = "null"
    # Exact type checks: bool is an int subclass, and JSON gives exactly these types.
    exact = type(None) if tp is type(None) else tp

    def check_scalar(value: Any, path: str) -> Any:
        if type(value) is not exact:
            raise ValidationError(path, f"must be {what}, got {kind_of(value)}")
        if isinstance(value, int) and exact is int and not -MAX_INT <= value <= MAX_INT:
            raise ValidationError(path, "is out of range (a 64-bit integer)")
        return value

    return check_scalar


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    check: Checker
    required: bool


@functools.cache
def _schema(cls: type) -> tuple[tuple[_Field, ...], frozenset[str], bool]:
    hints = get_type_hints(cls)
    specs = tuple(
        _Field(
            f.name,
            _checker(hints[f.name]),
            f.default is MISSING and f.default_factory is MISSING,
        )
        for f in fields(cls)
    )
    return specs, frozenset(f.name for f in specs), hasattr(cls, "validate")


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def from_json(cls: type, value: Any, path: str = "$") -> Any:
    """Build dataclass ``cls`` from a parsed JSON object, checking every field's type, refusing
    unknown fields, and then running the class's ``validate()`` if it has one."""
    if type(value) is not dict:
        raise ValidationError(path, f"must be an object, got {kind_of(value)}")
    specs, known, has_validate = _schema(cls)
    kwargs: dict[str, Any] = {}
    top = path == "$"
    for f in specs:
        if f.name in value:
            kwargs[f.name] = f.check(value[f.name], f.name if top else f"{path}.{f.name}")
        elif f.required:
            raise ValidationError(f.name if top else f"{path}.{f.name}", "is required")
    if len(kwargs) != len(value):
        extra = sorted(set(value) - known)
        raise ValidationError(extra[0] if top else f"{path}.{extra[0]}", "is not a known field")
    obj = cls(**kwargs)
    if has_validate:
        obj.validate(path)
    return obj


def to_json(obj: Any) -> Any:
    """A dataclass (or nested structure of them) as plain JSON values."""
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: to_json(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    return obj


def sub_path(path: str, name: str) -> str:
    return name if path == "$" else f"{path}.{name}"


def nonneg(value: int | None, path: str, name: str) -> None:
    if value is not None and value < 0:
        raise ValidationError(sub_path(path, name), "must not be negative")


def nonempty(value: str, path: str, name: str, max_len: int = 200) -> None:
    if not value.strip():
        raise ValidationError(sub_path(path, name), "must not be empty")
    if len(value) > max_len:
        raise ValidationError(sub_path(path, name), f"is longer than {max_len} characters")


MIN_YEAR = 1970
MAX_YEAR = 9000
MAX_INT = 2**63 - 1
"""Integers on the wire fit SQLite's 64-bit INTEGER; anything larger is refused by the schema
before it can reach the ledger."""


def parse_time(value: str, path: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(path, f"not an ISO 8601 time: {value!r}") from None
    if t.tzinfo is None:
        raise ValidationError(path, "needs a UTC offset (e.g. 'Z')")
    # Year 1 with a positive offset (or year 9999 with a negative one) has no UTC time, and
    # every later comparison or subtraction near those ends overflows: keep a margin.
    if not MIN_YEAR <= t.year <= MAX_YEAR:
        raise ValidationError(path, f"the year must be {MIN_YEAR}-{MAX_YEAR}")
    return t.astimezone(UTC)


def format_time(t: datetime) -> str:
    if t.tzinfo is None:
        raise ValueError("timezone-aware time needed")
    return t.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
