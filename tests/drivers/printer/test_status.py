"""DLE EOT answers to ok / fault / unknown; a read that fails is unknown, never "no paper"."""

from __future__ import annotations

import pytest

from terminal.core.ports import DeviceHealth
from terminal.drivers.printer.status import encode_status, parse_status, query_status


def test_healthy_printer_is_ok() -> None:
    s = parse_status(0x12, 0x12, 0x12)
    assert s.health is DeviceHealth.OK
    assert (s.online, s.paper_low, s.paper_out, s.cover_open) == (True, False, False, False)


@pytest.mark.parametrize(
    ("s1", "s2", "s4", "field"),
    [
        (0x1A, 0x32, 0x7E, "paper_out"),  # offline, paper-end stop, roll sensor at end
        (0x1A, 0x16, 0x12, "cover_open"),
        (0x1A, 0x12, 0x12, "online"),  # offline for a reason the printer does not give
    ],
)
def test_faults(s1: int, s2: int, s4: int, field: str) -> None:
    s = parse_status(s1, s2, s4)
    assert s.health is DeviceHealth.FAULT
    if field == "online":
        assert s.online is False
        assert s.paper_out is False
    else:
        assert getattr(s, field) is True


def test_paper_low_alone_is_still_ok() -> None:
    s = parse_status(0x12, 0x12, 0x1E)
    assert s.health is DeviceHealth.OK
    assert s.paper_low is True and s.paper_out is False
    assert "paper low" in s.detail


def test_failed_read_is_unknown_not_paper_out() -> None:
    for answers in [(None, None, None), (0x12, None, None), (0x12, 0x12, None)]:
        s = parse_status(*answers)
        assert s.health is DeviceHealth.UNKNOWN
        assert s.paper_out is None or s.paper_out is False
    s = parse_status(None, None, None)
    assert (s.online, s.paper_out, s.paper_low, s.cover_open) == (None, None, None, None)
    assert "no answer" in s.detail


def test_malformed_byte_is_not_taken_as_a_status() -> None:
    # 0x72 would match python-escpos's "no paper" mask; it lacks the fixed bits of an answer.
    s = parse_status(0x12, 0x12, 0x72 | 0x80)
    assert s.health is DeviceHealth.UNKNOWN
    assert s.paper_out is None


def test_encode_and_parse_agree() -> None:
    for state in [
        {},
        {"paper_out": True},
        {"paper_low": True},
        {"cover_open": True},
        {"online": False},
    ]:
        a = encode_status(**state)
        s = parse_status(a[1], a[2], a[4])
        assert s.paper_out is state.get("paper_out", False)
        assert s.cover_open is state.get("cover_open", False)
        assert s.online is (
            not any(state.get(k) for k in ("paper_out", "cover_open")) and state.get("online", True)
        )


class Link:
    """The transport side of a status query: records writes, answers from a script."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.written: list[bytes] = []
        self.drained = 0

    def drain_input(self) -> None:
        self.drained += 1

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def read(self, n: int) -> bytes:
        return self.answers.pop(0) if self.answers else b""


def test_query_asks_1_2_4_and_parses() -> None:
    link = Link([b"\x12", b"\x12", b"\x7e"])
    s = query_status(link)
    assert link.written == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]
    assert link.drained == 1
    assert s.health is DeviceHealth.FAULT and s.paper_out is True


def test_query_timeout_is_unknown_and_stops_asking() -> None:
    link = Link([])
    s = query_status(link)
    assert s.health is DeviceHealth.UNKNOWN
    assert s.paper_out is None
    assert link.written == [b"\x10\x04\x01"]
