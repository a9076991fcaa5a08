"""Finding the GPIO chip that drives the 40-pin header, instead of hard-coding ``gpiochip0`` or
``gpiochip4``.

The chip number moved between models and kernels: on a Pi 4 it is 0, on a Pi 5 it was 4 (RP1) and
is 0 again since kernel 6.6.45, with ``gpiochip4`` left as a compatibility link. The label does not
move: the header's chip is the pin controller, labelled ``pinctrl-bcm2835`` (Pi 1-3),
``pinctrl-bcm2711`` (Pi 4) or ``pinctrl-rp1`` (Pi 5).

rpi-lgpio picks its chip from the board revision (4 on a Pi 5, 0 elsewhere) unless the
``RPI_LGPIO_CHIP`` environment variable names one. So before the drawer first imports RPi.GPIO,
``point_rpi_lgpio_at_header`` sets that variable to the chip found here by label, unless the
technician has already set it. The classic RPi.GPIO (Pi 4 and older) ignores the variable.
"""

from __future__ import annotations

import array
import fcntl
import os
import re
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

# struct gpiochip_info { char name[32]; char label[32]; __u32 lines; } from <linux/gpio.h>;
# GPIO_GET_CHIPINFO_IOCTL = _IOR(0xB4, 0x01, struct gpiochip_info)
_CHIPINFO_SIZE = 32 + 32 + 4
_GPIO_GET_CHIPINFO_IOCTL = (2 << 30) | (_CHIPINFO_SIZE << 16) | (0xB4 << 8) | 0x01


@dataclass(frozen=True, slots=True)
class GpioChip:
    path: str
    """/dev/gpiochipN as found (a compatibility link keeps its own name)."""
    number: int
    label: str
    """"" when the chip could not be queried (no permission)."""
    lines: int = 0
    error: str = ""

    @property
    def is_header(self) -> bool:
        return self.label.startswith("pinctrl-")


def read_chip_info(path: str) -> tuple[str, int]:
    """(label, number of lines) from the kernel, through the GPIO character device."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        buf = array.array("B", bytes(_CHIPINFO_SIZE))
        fcntl.ioctl(fd, _GPIO_GET_CHIPINFO_IOCTL, buf, True)
    finally:
        os.close(fd)
    raw = buf.tobytes()
    label = raw[32:64].split(b"\0", 1)[0].decode("ascii", "replace")
    lines = int.from_bytes(raw[64:68], "little")
    return label, lines


def list_gpio_chips(
    dev_dir: str = "/dev", info: Callable[[str], tuple[str, int]] = read_chip_info
) -> list[GpioChip]:
    chips = []
    seen: set[str] = set()
    entries = sorted(
        Path(dev_dir).glob("gpiochip*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)
    )
    for p in entries:
        m = re.fullmatch(r"gpiochip(\d+)", p.name)
        if not m:
            continue
        real = os.path.realpath(p)
        if real in seen:
            continue  # gpiochip4 -> gpiochip0 on newer Pi 5 kernels: one chip, listed once
        seen.add(real)
        try:
            label, lines = info(str(p))
        except OSError as exc:
            chips.append(GpioChip(str(p), int(m[1]), "", 0, exc.strerror or str(exc)))
            continue
        chips.append(GpioChip(str(p), int(m[1]), label, lines))
    return chips


def header_chip(chips: Iterable[GpioChip]) -> GpioChip | None:
    for chip in chips:
        if chip.is_header:
            return chip
    return None


def point_rpi_lgpio_at_header(
    chips: Iterable[GpioChip], environ: MutableMapping[str, str] | None = None
) -> GpioChip | None:
    env = os.environ if environ is None else environ
    chip = header_chip(chips)
    if chip is not None and "RPI_LGPIO_CHIP" not in env:
        env["RPI_LGPIO_CHIP"] = str(chip.number)
    return chip
