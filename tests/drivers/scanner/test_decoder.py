"""The decoder on evtest recordings, replayed as evdev's own InputEvent objects."""

from __future__ import annotations

import pytest
from evdev import InputEvent
from evdev import ecodes as e

from terminal.drivers.scanner.decoder import DecoderSettings, KeyDecoder
from terminal.drivers.scanner.evtest import UNPLUG, format_evtest, key_events, parse_evtest
from terminal.drivers.scanner.layouts import get_layout

from .fakes import fixture_events


def decode(events, layout: str = "us", **kw) -> list[str]:
    d = KeyDecoder(DecoderSettings(layout=layout), **kw)
    out: list[str] = []
    for ev in events:
        assert ev is not UNPLUG
        assert isinstance(ev, InputEvent)
        out += d.feed(ev)
    tail = d.flush()
    return out + ([tail] if tail else [])


def test_shifted_characters_us():
    assert decode(fixture_events("us_shifted.txt")) == ["Ab-12_C!x"]


def test_german_layout_decodes_what_the_scanner_meant():
    events = fixture_events("de_qwertz.txt")
    assert decode(events, "de") == ["XYZ-123/45"]
    # The same key positions read as US: Y/Z swapped, "-" and "/" wrong.
    assert decode(events, "us") == ["XZY/123&45"]


def test_french_azerty_digits_need_shift():
    # A scanner set to AZERTY types digits with Shift on the top row.
    events = key_events("3017620422003", "fr")
    codes = [ev.code for ev in events if ev.type == e.EV_KEY and ev.value == 1]
    assert e.KEY_LEFTSHIFT in codes and e.KEY_3 in codes
    assert decode(events, "fr") == ["3017620422003"]
    assert decode(events, "us") == ["#)!&^@)$@@))#"]


def test_syn_dropped_discards_the_code_in_progress_and_only_it():
    d = KeyDecoder()
    out = []
    for ev in fixture_events("syn_dropped.txt"):
        out += d.feed(ev)
    assert out == ["4006381333931"]
    assert d.dropped == 1


def test_keypad_digits_and_keypad_enter():
    assert decode(fixture_events("keypad.txt")) == ["96385074"]


def test_keypad_digits_need_numlock_unless_shifted():
    events = fixture_events("keypad.txt")
    # NumLock off: keypad keys are arrows and Home/End, which type nothing.
    assert decode(events, num_lock=False) == []


def test_gs1_group_separators_from_ctrl_bracket_and_alt_code():
    assert decode(fixture_events("gs1.txt")) == ["0109501101530003\x1d10ABC123\x1d2177"]


def test_gs1_ctrl_bracket_in_german_layout_uses_the_us_key_position():
    events = key_events("01095011015300031\x1d10AB", "de")
    assert decode(events, "de") == ["01095011015300031\x1d10AB"]


def test_capslock_inverts_shift_on_letters_only():
    assert decode(fixture_events("capslock.txt")) == ["ABc1d"]


def test_capslock_from_the_led_state():
    events = key_events("ab1", "us")
    assert decode(events, caps_lock=True) == ["AB1"]


def test_inter_character_timeout_ends_a_code_without_terminator():
    assert decode(fixture_events("no_terminator.txt")) == ["12345670", "96385074"]


def test_tab_terminates_and_stray_terminators_give_nothing():
    events = key_events("", "us", terminator=e.KEY_ENTER) + key_events(
        "ABC", "us", start=1_700_000_001.0, terminator=e.KEY_TAB
    )
    assert decode(events) == ["ABC"]


def test_autorepeat_is_not_a_second_digit():
    evs = key_events("7", terminator=None)
    press = next(ev for ev in evs if ev.type == e.EV_KEY and ev.code == e.KEY_7 and ev.value == 1)
    repeat = InputEvent(press.sec, press.usec + 500, e.EV_KEY, e.KEY_7, 2)
    evs.insert(evs.index(press) + 1, repeat)
    assert decode(evs) == ["7"]


def test_german_dead_key_then_space_types_the_character():
    # On QWERTZ "^" is a dead key: the scanner sends it followed by a space.
    assert decode(key_events("A^B", "de"), "de") == ["A^B"]


def test_altgr_characters_in_german_layout():
    assert decode(key_events("a@b{1}", "de"), "de") == ["a@b{1}"]


def test_min_length_drops_bounces():
    d = KeyDecoder(DecoderSettings(min_length=3))
    out = []
    for ev in key_events("12") + key_events("123", start=1_700_000_002.0):
        out += d.feed(ev)
    assert out == ["123"]


def test_unknown_layout_is_a_clear_error():
    with pytest.raises(ValueError, match="known layouts: us, de, fr"):
        get_layout("dvorak")


def test_evtest_round_trip_and_bad_lines():
    evs = fixture_events("us_shifted.txt")
    again = parse_evtest(format_evtest(evs))
    assert [(x.sec, x.usec, x.type, x.code, x.value) for x in again] == [
        (x.sec, x.usec, x.type, x.code, x.value) for x in evs
    ]
    with pytest.raises(ValueError, match="line 1"):
        parse_evtest("Event: time 1.000001, type 1 (EV_KEY), code 30 (KEY_A), value x\n")
    assert parse_evtest("evtest: error reading: No such device\n") == [UNPLUG]
