"""Scanner-or-keyboard decisions and the stable-path inventory."""

from __future__ import annotations

import os

import pytest

from terminal.drivers.scanner.identify import DeviceFacts, ScannerMatch, Selector
from terminal.drivers.scanner.inventory import InputInventory

from .fakes import FakeInputDevice


def facts(name="USB Keyboard", vendor=0x046D, product=0xC31C, links=(), **kw) -> DeviceFacts:
    dev = FakeInputDevice("/dev/input/by-id/x", name, vendor, product, **kw)
    try:
        return DeviceFacts.of(dev, links)
    finally:
        dev.close()


def test_keyboard_stays_a_keyboard():
    v = ScannerMatch().classify(facts())
    assert (v.kind, v.is_scanner) == ("keyboard", False)


@pytest.mark.parametrize(
    ("name", "vendor", "reason"),
    [
        ("Honeywell Imaging & Mobility 1900", 0x0C2E, "Honeywell"),
        ("Datalogic ADC Handheld", 0x05F9, "Datalogic"),
        ("WCM HID Barcode Scanner", 0x1A86, "barcode"),
    ],
)
def test_scanners_by_vendor_or_name(name, vendor, reason):
    v = ScannerMatch().classify(facts(name, vendor))
    assert v.is_scanner and reason.lower() in v.reason.lower()


def test_auto_detect_off_needs_configuration():
    m = ScannerMatch.from_config(auto_detect=False)
    assert not m.classify(facts("Honeywell 1900", 0x0C2E)).is_scanner
    m = ScannerMatch.from_config(devices=["0c2e:0b61"], auto_detect=False)
    assert m.classify(facts("Honeywell 1900", 0x0C2E, 0x0B61)).is_scanner


def test_name_pattern_and_path_selectors():
    link = "/dev/input/by-path/platform-xhci-hcd.0-usb-0:1:1.0-event-kbd"
    m = ScannerMatch.from_config(devices=["name:*KBW*", link])
    assert m.classify(facts("SM SM-2D PRODUCT HID KBW", 0x1A86)).is_scanner
    assert m.classify(facts("Generic", 1, links=(link,))).is_scanner
    assert not m.classify(facts("Generic", 1)).is_scanner


def test_exclusion_wins_and_pointers_are_not_scanners():
    m = ScannerMatch.from_config(exclude=["0c2e:0b61"])
    assert not m.classify(facts("Honeywell", 0x0C2E, 0x0B61)).is_scanner
    v = ScannerMatch().classify(facts("Barcode combo", 0x1234, pointer=True))
    assert v.kind == "other"
    v = ScannerMatch().classify(facts("Power Button", 0, keys=[116]))
    assert v.kind == "other"


def test_event_numbers_are_refused_with_the_alternatives():
    with pytest.raises(ValueError, match="by-id"):
        Selector.parse("/dev/input/event3")
    with pytest.raises(ValueError, match="vendor:product"):
        Selector.parse("honeywell")


def test_stable_id_prefers_by_id_then_by_path_then_usb_ids():
    by_id = "/dev/input/by-id/usb-X-event-kbd"
    by_path = "/dev/input/by-path/pci-0-usb-0:1-event-kbd"
    assert facts(links=(by_path, by_id)).stable_id == by_id
    assert facts(links=(by_path,)).stable_id == by_path
    assert facts("Scanner", 0x0C2E, 0x0B61).stable_id == "input:0c2e:0b61:Scanner"


def test_inventory_lists_nodes_with_their_stable_links(tmp_path):
    for n in ("event0", "event5", "mouse0"):
        (tmp_path / n).write_text("")
    (tmp_path / "by-id").mkdir()
    (tmp_path / "by-path").mkdir()
    os.symlink("../event5", tmp_path / "by-id" / "usb-Honeywell_1900-event-kbd")
    os.symlink("../mouse0", tmp_path / "by-id" / "usb-Logitech-mouse")
    os.symlink("../event5", tmp_path / "by-path" / "platform-usb-0:1.2:1.0-event-kbd")
    os.symlink("../event9", tmp_path / "by-id" / "usb-Gone-event-kbd")  # dangling
    cands = {c.open_path: c for c in InputInventory(tmp_path).list_candidates()}
    by_id = str(tmp_path / "by-id" / "usb-Honeywell_1900-event-kbd")
    assert set(cands) == {by_id, str(tmp_path / "event0")}
    assert cands[by_id].links == (
        by_id,
        str(tmp_path / "by-path" / "platform-usb-0:1.2:1.0-event-kbd"),
    )
    assert cands[str(tmp_path / "event0")].links == ()
