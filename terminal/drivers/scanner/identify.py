"""Deciding which input devices are barcode scanners, so they are grabbed and decoded, and which
are keyboards, left alone for the clerk.

A USB scanner in keyboard mode describes itself exactly like a keyboard (same capabilities, often
LEDs too), so capabilities alone only rule devices *out* (mice, touch screens, power buttons).
What rules one *in*: the configuration (stable path, vendor:product or name pattern), then, when
automatic detection is on, a scanner maker's USB vendor id or a name hint such as "Barcode".
Anything else with letter keys is a keyboard.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from evdev import ecodes as e

SCANNER_VENDORS: dict[int, str] = {
    0x0C2E: "Honeywell (Metrologic)",
    0x0536: "Hand Held Products (Honeywell)",
    0x05E0: "Symbol / Zebra",
    0x05F9: "Datalogic",
    0x1EAB: "Newland",
    0x065A: "Opticon",
}
"""USB vendor ids that only make scanners (or whose keyboard-mode devices are scanners)."""

NAME_HINTS: tuple[str, ...] = (
    "barcode", "bar code", "scanner", "honeywell", "metrologic", "datalogic", "zebra",
    "symbol", "newland", "opticon", "zebex", "netum", "inateck",
)  # fmt: skip


class DeviceInfo(Protocol):
    @property
    def bustype(self) -> int: ...

    @property
    def vendor(self) -> int: ...

    @property
    def product(self) -> int: ...

    @property
    def version(self) -> int: ...


class InputDeviceLike(Protocol):
    """The part of ``evdev.InputDevice`` the scanner drivers use."""

    @property
    def name(self) -> str: ...

    @property
    def info(self) -> DeviceInfo: ...

    def capabilities(
        self, verbose: Literal[False] = False, absinfo: bool = True
    ) -> dict[int, list[int]]: ...

    def active_keys(self, verbose: bool = False) -> list[int]: ...

    def leds(self, verbose: bool = False) -> list[int]: ...

    def fileno(self) -> int: ...

    def read_one(self) -> Any: ...

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Selector:
    """One entry of ``[scanner] devices`` or ``exclude``."""

    kind: str
    """"path", "usb" or "name"."""
    value: str
    vendor: int = 0
    product: int = 0

    @classmethod
    def parse(cls, text: str) -> Selector:
        s = text.strip()
        if re.fullmatch(r"/dev/input/event\d+", s):
            raise ValueError(
                f"scanner device {text!r}: eventN numbers change between boots and replugs; use "
                "its /dev/input/by-id/ or /dev/input/by-path/ link, vendor:product, or name:PATTERN"
            )
        if s.startswith("/dev/"):
            return cls("path", s)
        if m := re.fullmatch(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", s):
            return cls("usb", s.lower(), int(m[1], 16), int(m[2], 16))
        if s.startswith("name:") and len(s) > 5:
            return cls("name", s[5:])
        raise ValueError(
            f"scanner device {text!r}: expected a /dev/input/by-id/ or by-path/ path, "
            "vendor:product in hex (0c2e:0b61) or name:PATTERN (name:*Barcode*)"
        )

    def matches(self, facts: DeviceFacts) -> bool:
        if self.kind == "path":
            return self.value in facts.links
        if self.kind == "usb":
            return (facts.vendor, facts.product) == (self.vendor, self.product)
        return fnmatch.fnmatchcase(facts.name.lower(), self.value.lower())

    def __str__(self) -> str:
        return f"name:{self.value}" if self.kind == "name" else self.value


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    links: tuple[str, ...]
    """Stable /dev/input/by-id and by-path links to the node, by-id first."""
    name: str
    vendor: int
    product: int
    has_keys: bool
    """Types letters or digits (a keyboard or a keyboard-mode scanner)."""
    has_pointer: bool
    has_leds: bool

    @property
    def stable_id(self) -> str:
        if self.links:
            return self.links[0]
        return f"input:{self.vendor:04x}:{self.product:04x}:{self.name}"

    @classmethod
    def of(cls, dev: InputDeviceLike, links: Sequence[str]) -> DeviceFacts:
        caps = dev.capabilities(absinfo=False)
        keys = set(caps.get(e.EV_KEY, ()))
        typing = {e.KEY_1, e.KEY_0, e.KEY_A, e.KEY_KP0, e.KEY_KP1}
        return cls(
            links=tuple(sorted(links, key=lambda p: (("/by-id/" not in p), p))),
            name=dev.name or "",
            vendor=dev.info.vendor,
            product=dev.info.product,
            has_keys=bool(keys & typing),
            has_pointer=e.EV_REL in caps or e.EV_ABS in caps,
            has_leds=e.EV_LED in caps,
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str
    """"scanner", "keyboard" or "other"."""
    reason: str

    @property
    def is_scanner(self) -> bool:
        return self.kind == "scanner"


@dataclass(frozen=True, slots=True)
class ScannerMatch:
    devices: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()
    auto_detect: bool = True

    @classmethod
    def from_config(
        cls, devices: Iterable[str] = (), exclude: Iterable[str] = (), auto_detect: bool = True
    ) -> ScannerMatch:
        return cls(
            tuple(Selector.parse(s) for s in devices),
            tuple(Selector.parse(s) for s in exclude),
            auto_detect,
        )

    def classify(self, facts: DeviceFacts) -> Verdict:
        for sel in self.exclude:
            if sel.matches(facts):
                return Verdict("keyboard" if facts.has_keys else "other", f"excluded by '{sel}'")
        for sel in self.devices:
            if sel.matches(facts):
                return Verdict("scanner", f"configured as '{sel}'")
        if not facts.has_keys:
            return Verdict("other", "types no letters or digits")
        if facts.has_pointer:
            return Verdict("other", "also a pointer or touch device")
        if self.auto_detect:
            if facts.vendor in SCANNER_VENDORS:
                return Verdict("scanner", f"USB vendor {SCANNER_VENDORS[facts.vendor]}")
            lowered = facts.name.lower()
            for hint in NAME_HINTS:
                if hint in lowered:
                    return Verdict("scanner", f"name contains '{hint}'")
        return Verdict("keyboard", "no configured path, scanner vendor or scanner name")
