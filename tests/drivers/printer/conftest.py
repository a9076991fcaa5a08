from __future__ import annotations

from collections.abc import Iterator

import pytest

from terminal.drivers.printer.emulator import PrinterEmulator


@pytest.fixture
def emulator() -> Iterator[PrinterEmulator]:
    with PrinterEmulator() as emu:
        yield emu
