"""The evdev reader against fake devices at the python-evdev API boundary: recordings replayed
as InputEvent objects through a real select loop on a real file descriptor."""

from __future__ import annotations

import os
import queue
import types

import pytest

from terminal.core.ports import ScanRead
from terminal.drivers.scanner.decoder import DecoderSettings
from terminal.drivers.scanner.evdev_source import Backoff, EvdevScannerSource
from terminal.drivers.scanner.identify import ScannerMatch

from .fakes import FakeInputDevice, FakeInventory, fixture_events, read_header

WAIT = 10  # seconds; only a guard against a hang, never a speed claim

HONEYWELL = "/dev/input/by-id/usb-Honeywell_Imaging___Mobility_1900-event-kbd"
SYMBOL = "/dev/input/by-id/usb-Symbol_Technologies__Inc__2008_Symbol_Bar_Code_Scanner-event-kbd"
KEYBOARD = "/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd"


def device_for(fixture: str, link: str, **kw) -> FakeInputDevice:
    name, vendor, product = read_header(fixture)
    return FakeInputDevice(link, name, vendor, product, **kw)


class Harness:
    def __init__(self, match: ScannerMatch | None = None, layout: str = "us") -> None:
        self.inventory = FakeInventory()
        self.reads: queue.Queue[ScanRead] = queue.Queue()
        self.status: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self.source = EvdevScannerSource(
            match or ScannerMatch(),
            DecoderSettings(layout=layout, char_timeout=0.1),
            inventory=self.inventory,
            opener=self.inventory.open,
            on_status=lambda *a: self.status.put(a),
            backoff=Backoff(first=0.01, most=0.05),
            udev=None,
        )

    def start(self) -> None:
        self.source.start(self.reads.put)

    def read(self) -> ScanRead:
        return self.reads.get(timeout=WAIT)

    def wait_status(self, state: str) -> tuple[str, str, str]:
        while True:
            st = self.status.get(timeout=WAIT)
            if st[1] == state:
                return st

    def no_more_reads(self) -> None:
        # Stopping joins the reader thread, so anything it would deliver has been delivered.
        self.source.stop()
        assert self.reads.empty(), list(self.reads.queue)


@pytest.fixture
def harness():
    h = Harness()
    yield h
    h.source.stop()


def test_scanner_read_delivered_with_stable_source(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("us_shifted.txt", HONEYWELL))
    harness.start()
    harness.wait_status("connected")
    dev.push(*fixture_events("us_shifted.txt"))
    assert harness.read() == ScanRead("Ab-12_C!x", HONEYWELL)
    assert dev.grabbed
    harness.no_more_reads()
    assert ("ungrab",) in dev.calls and dev.closed


def test_non_us_layout_through_the_reader():
    h = Harness(layout="de")
    link = "/dev/input/by-id/usb-Datalogic_ADC__Inc._Handheld_Barcode_Scanner-event-kbd"
    dev = h.inventory.plug(link, device_for("de_qwertz.txt", link))
    h.start()
    try:
        h.wait_status("connected")
        dev.push(*fixture_events("de_qwertz.txt"))
        assert h.read() == ScanRead("XYZ-123/45", link)
    finally:
        h.source.stop()


def test_grab_waits_until_no_key_is_held(harness):
    held = [[30], [30], [30, 42], [], []]  # KEY_A held, then KEY_A+Shift, then nothing
    dev = harness.inventory.plug(HONEYWELL, device_for("us_shifted.txt", HONEYWELL, held=held))
    harness.start()
    harness.wait_status("connected")
    dev.push(*fixture_events("us_shifted.txt"))
    assert harness.read().code == "Ab-12_C!x"
    grab_at = dev.calls.index(("grab",))
    before = [c for c in dev.calls[:grab_at] if c[0] == "active_keys"]
    assert [c[1] for c in before] == [(30,), (30,), (30, 42), ()]
    # Nothing was read while keys were held: reading started after the grab.
    assert dev.calls.count(("grab",)) == 1


def test_keyboard_is_left_alone(harness):
    kbd = harness.inventory.plug(KEYBOARD, device_for("keyboard.txt", KEYBOARD))
    scanner = harness.inventory.plug(HONEYWELL, device_for("scanner_a.txt", HONEYWELL))
    kbd.push(*fixture_events("keyboard.txt"))
    harness.start()
    harness.wait_status("connected")
    scanner.push(*fixture_events("scanner_a.txt"))
    assert harness.read() == ScanRead("4006381333931", HONEYWELL)
    harness.no_more_reads()
    assert ("grab",) not in kbd.calls
    assert kbd.closed and kbd.delivered == []  # opened once to look at it, never read
    assert harness.source.connected() == []


def test_two_scanners_interleaved_decode_per_device(harness):
    a = harness.inventory.plug(HONEYWELL, device_for("scanner_a.txt", HONEYWELL))
    b = harness.inventory.plug(SYMBOL, device_for("scanner_b.txt", SYMBOL))
    harness.start()
    harness.wait_status("connected")
    harness.wait_status("connected")
    ea, eb = fixture_events("scanner_a.txt"), fixture_events("scanner_b.txt")
    # Push in global time order, one event at a time, so the loop sees them interleaved.
    merged = sorted(
        [(ev.timestamp(), 0, i, ev) for i, ev in enumerate(ea)]
        + [(ev.timestamp(), 1, i, ev) for i, ev in enumerate(eb)]
    )
    for _, which, _, ev in merged:
        (a if which == 0 else b).push(ev)
    got = {harness.read(), harness.read()}
    assert got == {ScanRead("4006381333931", HONEYWELL), ScanRead("9780201379624", SYMBOL)}
    assert sorted(harness.source.connected()) == sorted([HONEYWELL, SYMBOL])


def test_unplug_and_replug_recover_without_restart(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("unplug.txt", HONEYWELL))
    harness.start()
    harness.wait_status("connected")
    harness.inventory.unplug(HONEYWELL, fail_reads=False)
    dev.push(*fixture_events("unplug.txt"))  # a code, then "No such device"
    assert harness.read() == ScanRead("5901234123457", HONEYWELL)
    assert harness.wait_status("disconnected") == (HONEYWELL, "disconnected", "unplugged")
    assert harness.source.connected() == []

    again = harness.inventory.plug(HONEYWELL, device_for("unplug.txt", HONEYWELL))
    harness.wait_status("connected")
    again.push(*fixture_events("scanner_a.txt"))
    assert harness.read() == ScanRead("4006381333931", HONEYWELL)
    assert again.grabbed and dev.closed


def test_syn_dropped_through_the_reader_resyncs_modifiers(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("syn_dropped.txt", HONEYWELL))
    harness.start()
    harness.wait_status("connected")
    dev.push(*fixture_events("syn_dropped.txt"))
    assert harness.read() == ScanRead("4006381333931", HONEYWELL)
    harness.no_more_reads()
    assert [c for c in dev.calls if c[0] == "active_keys"][-1] == ("active_keys", ())


def test_timeout_ends_a_code_when_no_more_events_come(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("no_terminator.txt", HONEYWELL))
    harness.start()
    harness.wait_status("connected")
    dev.push(*fixture_events("no_terminator.txt"))
    assert harness.read().code == "12345670"  # ended by the gap in the recording
    assert harness.read().code == "96385074"  # ended by the reader's idle flush


def test_configured_device_and_exclusions():
    generic = "/dev/input/by-id/usb-SM_SM-2D_PRODUCT_HID_KBW_APP-000000000-event-kbd"
    h = Harness(ScannerMatch.from_config(devices=[generic], exclude=["05e0:1200"]))
    g = h.inventory.plug(generic, FakeInputDevice(generic, "SM SM-2D PRODUCT HID KBW", 0x1A86, 1))
    sym = h.inventory.plug(SYMBOL, device_for("scanner_b.txt", SYMBOL))
    h.start()
    try:
        assert h.wait_status("connected")[0] == generic
        g.push(*fixture_events("scanner_a.txt"))
        assert h.read() == ScanRead("4006381333931", generic)
        h.no_more_reads()
        assert ("grab",) not in sym.calls
    finally:
        h.source.stop()


def test_handler_error_does_not_kill_the_reader(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("scanner_a.txt", HONEYWELL))
    calls: list[ScanRead] = []

    def flaky(read: ScanRead) -> None:
        calls.append(read)
        if len(calls) == 1:
            raise RuntimeError("handler bug")
        harness.reads.put(read)

    harness.source.start(flaky)
    harness.wait_status("connected")
    dev.push(*fixture_events("scanner_a.txt"))
    dev.push(*fixture_events("scanner_b.txt"))
    assert harness.read().code == "9780201379624"


def test_unreadable_device_is_retried_once_permissions_are_fixed(harness):
    dev = harness.inventory.plug(HONEYWELL, device_for("scanner_a.txt", HONEYWELL))
    real_open = harness.inventory.open
    denials: list[str] = []

    def opener(path: str):
        # The first two rescans find the node root-only, as before udev/install.sh ran.
        if len(denials) < 2:
            denials.append(path)
            raise PermissionError(13, "Permission denied", path)
        return real_open(path)

    harness.source.opener = opener
    harness.start()
    harness.wait_status("connected")
    assert denials == [HONEYWELL, HONEYWELL]
    dev.push(*fixture_events("scanner_a.txt"))
    assert harness.read() == ScanRead("4006381333931", HONEYWELL)


class FakeUdevMonitor:
    """pyudev.Monitor's surface: readable while events are queued."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        self._events: queue.Queue = queue.Queue()

    def fileno(self) -> int:
        return self._r

    def post(self, action: str) -> None:
        self._events.put(types.SimpleNamespace(action=action, subsystem="input"))
        os.write(self._w, b".")

    def close(self) -> None:
        os.close(self._r)
        os.close(self._w)

    def poll(self, timeout: float | None = None):
        try:
            ev = self._events.get_nowait()
        except queue.Empty:
            return None
        os.read(self._r, 1)
        return ev


def test_udev_add_event_finds_a_new_scanner_without_waiting_for_the_rescan():
    h = Harness()
    monitor = FakeUdevMonitor()
    h.source.udev = lambda: monitor
    h.source.backoff = Backoff(first=3600, most=3600)  # polling alone would never see it
    h.start()
    try:
        assert h.inventory.scans.acquire(timeout=WAIT)  # the first scan found nothing
        dev = h.inventory.plug(HONEYWELL, device_for("scanner_a.txt", HONEYWELL))
        monitor.post("add")
        h.wait_status("connected")
        dev.push(*fixture_events("scanner_a.txt"))
        assert h.read() == ScanRead("4006381333931", HONEYWELL)
        assert h.inventory.scans.acquire(timeout=0)  # found by the rescan udev asked for
    finally:
        h.source.stop()
        monitor.close()
