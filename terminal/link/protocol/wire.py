"""Strict JSON on the wire: the size limits, the canonical bytes a value signs as, and the
parser every untrusted message goes through. Any problem is a :class:`ValidationError` naming
the field."""

from __future__ import annotations

import json
import re
from typing import Any

from terminal.core.canonical import canonical

MAX_COMMAND_BYTES = 8 * 1024 * 1024
"""Largest command accepted; a 100,000-item catalog travels as many chunks well under this."""
MAX_SMALL_BYTES = 64 * 1024
"""Largest ack or status message accepted."""
MAX_EVENT_BYTES = 1024 * 1024


class ValidationError(ValueError):
    """A message (or part of one) is not valid. ``field`` is a dotted path such as
    ``body.items[3].price``; ``"$"`` means the message as a whole."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.message = message


def canonical_json(obj: Any) -> bytes:
    """The one byte string a JSON value signs as: ``terminal.core.canonical``'s form, checked
    first to hold only JSON values with string keys and integers only (floats have no single
    spelling, and money is integer minor units anyway)."""
    check_canonical(obj, "$")
    return dumps_canonical(obj)


def dumps_canonical(obj: Any) -> bytes:
    """Canonical bytes of a value already known to be clean (see :func:`check_canonical`)."""
    return canonical(obj).encode()


def check_canonical(obj: Any, path: str) -> None:
    """Raises ValidationError at the first part of ``obj`` that has no canonical spelling."""
    if obj is None or isinstance(obj, bool | int):
        return
    if isinstance(obj, str):
        _check_text(obj, path)
        return
    if isinstance(obj, float):
        raise ValidationError(path, "floats are not allowed; use integers")
    if isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            check_canonical(v, f"{path}[{i}]")
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValidationError(path, f"object keys must be strings, got {k!r}")
            _check_text(k, path)
            check_canonical(v, f"{path}.{k}")
        return
    raise ValidationError(path, f"not a JSON value: {type(obj).__name__}")


def _check_text(text: str, path: str) -> None:
    # JSON's \\uXXXX escapes can spell a lone surrogate, which no UTF-8 encoder (the canonical
    # bytes, SQLite, a reply) accepts.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(path, "contains a lone surrogate (\\ud800-\\udfff)") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two readers could pick different copies of a repeated key, so a signature over one
    # reading would not cover the other. dict() in C, and a key-by-key walk only to name the
    # repeated key: this runs for every object of every message.
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValidationError(k, "appears twice")
            seen.add(k)
    return out


def _no_constants(name: str) -> Any:
    raise ValidationError("$", f"{name} is not valid JSON")


def _no_floats(text: str) -> Any:
    raise ValidationError("$", f"floats are not allowed, got {text}")


def loads(data: bytes | bytearray | str, *, max_bytes: int, allow_floats: bool = False) -> Any:
    """Strict JSON: size-limited, UTF-8, no repeated keys, no NaN/Infinity, optionally no
    floats. Any problem is a ValidationError."""
    if len(data) > max_bytes:
        raise ValidationError("$", f"message is {len(data)} bytes, the limit is {max_bytes}")
    if isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError("$", f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    else:
        text = data
    try:
        obj = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
            parse_float=None if allow_floats else _no_floats,
        )
    except json.JSONDecodeError as exc:
        raise ValidationError(
            "$", f"not JSON: {exc.msg} at line {exc.lineno} col {exc.colno}"
        ) from None
    except RecursionError:
        raise ValidationError("$", "nested too deeply") from None
    except ValidationError:
        raise
    except ValueError as exc:
        # int() refuses numbers over sys.get_int_max_str_digits() digits.
        raise ValidationError("$", f"not JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(text):
        # Only a \\u escape can put a surrogate in a string (UTF-8 bytes cannot); most such
        # escapes are valid pairs (emoji), so walk the value only then.
        _check_surrogates(obj, "$")
    return obj


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _check_surrogates(obj: Any, path: str) -> None:
    if isinstance(obj, str):
        _check_text(obj, path)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_surrogates(v, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _check_text(k, path)
            _check_surrogates(v, f"{path}.{k}")
