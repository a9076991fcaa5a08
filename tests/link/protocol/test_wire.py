"""Strict JSON: the canonical bytes a value signs as, and the parser that refuses what could be
read two ways."""

from __future__ import annotations

import pytest

from terminal.link import protocol as p


def test_canonical_json() -> None:
    assert (
        p.canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    with pytest.raises(p.ValidationError) as err:
        p.canonical_json({"a": [1, 2.5]})
    assert err.value.field == "$.a[1]"
    with pytest.raises(p.ValidationError):
        p.canonical_json({1: "x"})


def test_strict_loads() -> None:
    assert p.loads(b'{"a":1}', max_bytes=100) == {"a": 1}
    for bad in (b'{"a":1,"a":2}', b'{"a":NaN}', b'{"a":Infinity}', b'{"a":1.5}', b"\xc3", b"{"):
        with pytest.raises(p.ValidationError):
            p.loads(bad, max_bytes=100)
    with pytest.raises(p.ValidationError, match="limit"):
        p.loads(b"[" + b"1," * 100 + b"1]", max_bytes=100)
    assert p.loads(b'{"a":1.5}', max_bytes=100, allow_floats=True) == {"a": 1.5}
