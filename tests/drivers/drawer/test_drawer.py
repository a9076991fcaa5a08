"""Drawers on the mock RPi.GPIO layer, which records every pin change with its time."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta

import pytest

from terminal.drivers.drawer import DrawerError
from terminal.drivers.drawer.gpio import Debouncer, GpioDrawer
from terminal.drivers.drawer.gpiochip import (
    GpioChip,
    header_chip,
    list_gpio_chips,
    point_rpi_lgpio_at_header,
)
from terminal.drivers.drawer.kick import PrinterKickDrawer
from terminal.drivers.drawer.mock_gpio import MockGPIO, PinChange
from terminal.drivers.drawer.monitor import DrawerMonitor
from terminal.drivers.drawer.simulated import SimulatedDrawer

TOLERANCE = 0.020  # the pulse width bar: within 20 ms of the configured width


class StepClock:
    """Monotonic time that only moves when the code under test sleeps or the test advances it."""

    def __init__(self) -> None:
        self.t = 500.0
        self.start = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t - 500.0)

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    advance = sleep


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def gpio(clock) -> MockGPIO:
    return MockGPIO(monotonic=clock.monotonic)


@pytest.mark.parametrize(("active_high", "on", "off"), [(True, 1, 0), (False, 0, 1)])
def test_safe_level_at_setup_then_one_pulse_of_the_configured_width(
    gpio, clock, active_high, on, off
):
    drawer = GpioDrawer(17, active_high=active_high, pulse_ms=120, gpio=gpio, sleep=clock.sleep)
    drawer.setup()
    assert gpio.level_changes(17) == [PinChange(500.0, 17, off)]  # claimed at the safe level
    clock.advance(3)
    drawer.open()
    changes = gpio.level_changes(17)
    assert [c.level for c in changes] == [off, on, off]
    width = changes[2].time - changes[1].time
    assert abs(width - 0.120) <= TOLERANCE
    assert gpio.levels[17] == off


def test_pulse_width_follows_the_configuration(gpio, clock):
    drawer = GpioDrawer(22, pulse_ms=250, gpio=gpio, sleep=clock.sleep)
    drawer.open()  # sets up on first use
    drawer.open()
    assert [round(w, 3) for _, w in gpio.pulses(22)] == [0.25, 0.25]


def test_output_returns_to_safe_level_when_the_pulse_is_interrupted(gpio, clock):
    def broken_sleep(_: float) -> None:
        raise KeyboardInterrupt

    drawer = GpioDrawer(17, gpio=gpio, sleep=broken_sleep)
    with pytest.raises(KeyboardInterrupt):
        drawer.open()
    assert gpio.levels[17] == 0


@pytest.mark.slow
def test_pulse_width_on_the_real_clock():
    # Real scheduler timing: opt-in, because a loaded machine can overshoot a sleep.
    gpio = MockGPIO()
    drawer = GpioDrawer(17, pulse_ms=100, gpio=gpio)
    for _ in range(5):
        drawer.open()
    for _, width in gpio.pulses(17):
        assert 0.100 <= width <= 0.100 + TOLERANCE


def test_sensor_debounce_ignores_contact_bounce(gpio, clock):
    drawer = GpioDrawer(
        17, sensor_pin=27, debounce_ms=30, gpio=gpio, sleep=clock.sleep, monotonic=clock.monotonic
    )
    drawer.setup()
    assert gpio.pulls[27] == gpio.PUD_UP
    gpio.drive(27, 0)  # switch closed: drawer shut
    assert drawer.is_open() is False
    # The drawer springs open: the contact bounces for 8 ms before it settles high.
    last = gpio.bounce(27, [1, 0, 1, 0, 1], start=clock.t + 0.001, step=0.002)
    seen: list[tuple[bool | None, float]] = []
    while clock.t < last + 0.1:
        clock.advance(0.002)
        seen.append((drawer.is_open(), clock.t))
    # One clean transition, and only after the level held for 30 ms.
    first = [o for o, _ in seen].index(True)
    assert all(o for o, _ in seen[first:])
    assert seen[first][1] - last >= 0.030 - 1e-9
    assert all(not o for o, _ in seen[:first])


def test_debouncer_needs_a_stable_level():
    d = Debouncer(0.030)
    assert d.update(0, 0.0) == 0
    assert d.update(1, 0.010) == 0
    assert d.update(0, 0.020) == 0
    assert d.update(1, 0.025) == 0
    assert d.update(1, 0.050) == 0  # 25 ms stable: not yet
    assert d.update(1, 0.056) == 1


def test_sensor_active_low_wiring(gpio, clock):
    drawer = GpioDrawer(
        17,
        sensor_pin=27,
        sensor_open_high=False,
        debounce_ms=0,
        gpio=gpio,
        monotonic=clock.monotonic,
    )
    drawer.setup()
    assert gpio.pulls[27] == gpio.PUD_DOWN
    # Switch open (drawer out): the pull-down gives low, which this wiring calls open.
    assert drawer.is_open() is True
    gpio.drive(27, 1)  # drawer pushed in: the switch ties the input high
    clock.advance(0.001)
    assert drawer.is_open() is False


def test_no_sensor_means_unknown_state(gpio):
    assert GpioDrawer(17, gpio=gpio).is_open() is None


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="pulse_ms"):
        GpioDrawer(17, pulse_ms=5000)
    with pytest.raises(ValueError, match="differ"):
        GpioDrawer(17, sensor_pin=17)


def test_gpio_errors_become_drawer_errors(clock):
    class NoPermission(MockGPIO):
        def setup(self, *a, **kw):
            raise RuntimeError("No access to /dev/mem.  Try running as root!")

    with pytest.raises(DrawerError, match="GPIO 17"):
        GpioDrawer(17, gpio=NoPermission(clock.monotonic)).open()


def test_monitor_reports_transitions_and_left_open_once(clock):
    drawer = SimulatedDrawer()
    changes: list[bool] = []
    alerts: list[float] = []
    mon = DrawerMonitor(
        drawer, clock, left_open_after=30, on_change=changes.append, on_left_open=alerts.append
    )
    mon.poll()
    assert changes == []  # shut at start: nothing to report
    drawer.open()
    mon.poll()
    assert changes == [True]
    clock.advance(29)
    mon.poll()
    assert alerts == []
    clock.advance(2)
    mon.poll()
    clock.advance(60)
    mon.poll()
    assert alerts == [31]  # once per opening
    drawer.close()
    mon.poll()
    assert changes == [True, False]
    drawer.open()
    mon.poll()
    clock.advance(30)
    mon.poll()
    assert alerts == [31, 30]


def test_monitor_repeats_alert_when_asked_and_reports_open_at_start(clock):
    drawer = SimulatedDrawer()
    drawer.open()
    changes: list[bool] = []
    alerts: list[float] = []
    mon = DrawerMonitor(
        drawer,
        clock,
        left_open_after=10,
        repeat_alert_after=60,
        on_change=changes.append,
        on_left_open=alerts.append,
    )
    mon.poll()
    assert changes == [True]
    for _ in range(8):
        clock.advance(10)
        mon.poll()
    assert alerts == [10, 70]


def test_monitor_on_gpio_sensor(gpio, clock):
    drawer = GpioDrawer(
        17, sensor_pin=27, debounce_ms=20, gpio=gpio, sleep=clock.sleep, monotonic=clock.monotonic
    )
    gpio.drive(27, 0)
    changes: list[bool] = []
    alerts: list[float] = []
    mon = DrawerMonitor(
        drawer, clock, left_open_after=5, on_change=changes.append, on_left_open=alerts.append
    )
    mon.poll()
    drawer.open()
    gpio.drive(27, 1)  # the drawer springs open as the solenoid releases it
    for _ in range(40):
        clock.advance(0.25)
        mon.poll()
    assert changes == [True]
    assert len(alerts) == 1 and 5 <= alerts[0] <= 5.25
    gpio.drive(27, 0)
    for _ in range(3):
        clock.advance(0.05)
        mon.poll()
    assert changes == [True, False]


def test_monitor_ignores_drawers_without_sensor(clock):
    mon = DrawerMonitor(
        SimulatedDrawer(has_sensor=False),
        clock,
        left_open_after=1,
        on_change=lambda _: pytest.fail("no sensor, no transitions"),
        on_left_open=lambda _: pytest.fail("no sensor, no alert"),
    )
    mon.poll()
    assert mon.state is None


def test_simulated_drawer_jam():
    d = SimulatedDrawer()
    d.jam()
    with pytest.raises(DrawerError):
        d.open()
    d.jam(False)
    d.open()
    assert d.is_open() and d.pulses == 1


def test_kick_port_drawer_calls_the_printer():
    class Printer:
        def __init__(self) -> None:
            self.kicks: list[int] = []

        def kick_drawer(self, pin: int) -> None:
            self.kicks.append(pin)

    p = Printer()
    PrinterKickDrawer(p, pin=5).open()
    assert p.kicks == [5]
    assert PrinterKickDrawer(p).is_open() is None
    with pytest.raises(ValueError, match="2 or 5"):
        PrinterKickDrawer(p, pin=3)
    with pytest.raises(DrawerError, match="kick connector"):
        PrinterKickDrawer(object())


def test_kick_port_drawer_waits_for_the_printer_future():
    class QueuedPrinter:
        def __init__(self, fail: BaseException | None) -> None:
            self.fail = fail

        def kick_drawer(self, pin: int) -> Future[None]:
            fut: Future[None] = Future()
            if self.fail is None:
                fut.set_result(None)
            else:
                fut.set_exception(self.fail)
            return fut

    PrinterKickDrawer(QueuedPrinter(None)).open()
    with pytest.raises(DrawerError, match="paper path"):
        PrinterKickDrawer(QueuedPrinter(OSError("paper path jammed"))).open()
    with pytest.raises(DrawerError, match="within"):
        PrinterKickDrawer(_NeverDone(), timeout=0.01).open()


def test_kick_port_drawer_on_the_simulated_printer(tmp_path):
    # The printer's own ESC p bytes reach its emulated device: m = 0 for pin 2, 1 for pin 5.
    from terminal.core.clock import SystemClock
    from terminal.drivers.printer import build_printer

    printer = build_printer({"kind": "simulated"}, tmp_path, SystemClock(), True)
    try:
        PrinterKickDrawer(printer, pin=5).open()
        PrinterKickDrawer(printer, pin=2).open()
        assert [k[:3] for k in printer.device.kicks] == [b"\x1bp\x01", b"\x1bp\x00"]
    finally:
        printer.stop()


class _NeverDone:
    def kick_drawer(self, pin: int) -> Future[None]:
        return Future()


def test_gpio_chip_found_by_label_not_number(tmp_path):
    for n in (0, 10, 11, 12, 13):
        (tmp_path / f"gpiochip{n}").write_text("")
    os.symlink("gpiochip0", tmp_path / "gpiochip4")  # Pi 5 compatibility link
    labels = {
        "gpiochip0": ("pinctrl-rp1", 54),
        "gpiochip10": ("gpio-brcmstb@107d508500", 32),
        "gpiochip11": ("gpio-brcmstb@107d508520", 4),
        "gpiochip12": ("", 0),
        "gpiochip13": ("rp1-firmware-gpio", 2),
    }

    def info(path: str):
        name = os.path.basename(path)
        if name == "gpiochip12":
            raise PermissionError(13, "Permission denied")
        return labels[name]

    chips = list_gpio_chips(str(tmp_path), info)
    assert [c.number for c in chips] == [0, 10, 11, 12, 13]  # gpiochip4 is the same chip as 0
    assert chips[3].error == "Permission denied"
    chip = header_chip(chips)
    assert chip is not None and (chip.number, chip.label) == (0, "pinctrl-rp1")
    env: dict[str, str] = {}
    point_rpi_lgpio_at_header(chips, env)
    assert env == {"RPI_LGPIO_CHIP": "0"}
    env = {"RPI_LGPIO_CHIP": "4"}  # the technician's choice wins
    point_rpi_lgpio_at_header(chips, env)
    assert env == {"RPI_LGPIO_CHIP": "4"}
    assert header_chip([GpioChip("/dev/gpiochip0", 0, "gpio-mockup")]) is None


def test_real_chip_info_ioctl_if_a_chip_is_readable():
    chips = [c for c in list_gpio_chips() if not c.error]
    if not chips:
        pytest.skip("no readable /dev/gpiochip* on this machine")
    assert all(c.label and c.lines > 0 for c in chips)


def test_mock_gpio_keeps_rpi_gpio_rules(clock):
    g = MockGPIO(clock.monotonic)
    with pytest.raises(RuntimeError, match="setmode"):
        g.setup(17, g.OUT)
    g.setmode(g.BCM)
    g.setup(27, g.IN)
    with pytest.raises(RuntimeError, match="OUTPUT"):
        g.output(27, 1)
    assert time.monotonic() > 0
