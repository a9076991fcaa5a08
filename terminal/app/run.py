"""Starting the touchscreen app: Kivy's environment and logging, the worker, the control
channel, and the ``run`` and ``demo`` commands.

Kivy is imported only inside the functions that start it, because it reads its environment
(arguments, logging, window provider) the moment it is imported.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from terminal.app.facade import Terminal
from terminal.app.wiring import build_terminal
from terminal.app.worker import Worker

log = logging.getLogger("terminal")


def _prepare_kivy_env(config: Any) -> None:
    """Kivy reads these when it is first imported, so they are set before any Kivy import."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    if not os.environ.get("POS_DEBUG"):
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", str(config.ui.width))
    KivyConfig.set("graphics", "height", str(config.ui.height))
    KivyConfig.set("graphics", "fullscreen", "auto" if config.ui.fullscreen else "0")
    # A kiosk is driven by touch: no mouse pointer sitting on the screen.
    KivyConfig.set("graphics", "show_cursor", "0" if config.ui.fullscreen else "1")
    KivyConfig.set("graphics", "multisamples", "0")
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")


def _setup_logging() -> None:
    # Kivy opens the root logger to every level, and peewee logs each SQL statement at DEBUG:
    # formatting those on every scan costs time for nothing.
    logging.getLogger("peewee").setLevel(logging.INFO)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def automation_socket(config: Any) -> Path:
    from terminal.automation.server import default_socket_path

    if config.automation.socket:
        return Path(config.automation.socket).expanduser()
    return default_socket_path(config.data_dir, str(config.terminal.id))


def automation_allowed(config: Any) -> bool:
    """The control channel opens only on simulated hardware, and only when enabled: it can
    drive the till, so it must never sit next to a real cash drawer."""
    if not config.automation.enabled:
        return False
    if not config.hardware.simulated:
        log.warning("automation is enabled but hardware is real: control channel stays closed "
                    "([hardware] simulated = false)")
        return False
    return True


def start_app(terminal: Terminal) -> None:
    """Run the touchscreen app on ``terminal`` until the window closes."""
    config = terminal.config
    _setup_logging()
    _prepare_kivy_env(config)
    from kivy.clock import Clock

    from terminal.screens.shell import PosApp

    def dispatch(fn: Callable[[], object]) -> None:
        Clock.schedule_once(lambda _dt: fn(), 0)

    app: PosApp | None = None

    def on_unhandled(exc: BaseException) -> None:
        if app is not None:
            app.show_error(exc)

    worker = Worker(dispatch, on_unhandled=on_unhandled)
    terminal.background = worker.submit
    terminal.defer = worker.after
    app = PosApp(terminal, worker)
    server = None

    def start_devices() -> None:
        terminal.load()
        if terminal.scanner is not None:
            terminal.scanner.start(lambda read: dispatch(lambda: app.on_scan(read.code)))

    # First in the queue, so every clerk action runs after the services are ready; the worker
    # thread itself starts once the login screen is drawn, so opening the ledger and importing
    # the drivers never competes with the first frame.
    worker.submit(start_devices)
    app.ready_hooks.append(worker.start)
    app.ready_hooks.append(lambda: _tell_systemd(app, Clock))
    try:
        if automation_allowed(config):
            from terminal.automation.server import CommandError, ControlServer
            from terminal.screens.automation import AutomationBridge

            bridge = AutomationBridge(app, scan=terminal.inject_scan)
            server = ControlServer(automation_socket(config), bridge.handle)
            try:
                server.start()
            except (CommandError, OSError) as e:
                # The terminal itself works without its control channel.
                log.error("automation channel not opened: %s", e)
                server = None
        # systemd stops the kiosk with SIGTERM: close the window properly so the worker
        # finishes its queue and the ledger is closed.
        signal.signal(signal.SIGTERM, lambda *_a: dispatch(app.stop))
        app.run()
    finally:
        if server is not None:
            server.stop()
        worker.stop()
        if terminal.scanner is not None:
            terminal.scanner.stop()
        terminal.close()
        log.info("terminal stopped")


def _tell_systemd(app: Any, clock: Any) -> None:
    """Once the login screen is drawn: readiness for ``Type=notify``, the watchdog fed from
    the UI loop itself (a hung loop stops feeding it and systemd restarts the kiosk), and the
    warning when the unit expected a synchronised clock and did not get one in time."""
    from terminal.app import notify

    notify.notify("READY=1\nSTATUS=login screen drawn")
    interval = notify.watchdog_interval()
    if interval is not None:
        notify.notify("WATCHDOG=1")
        clock.schedule_interval(lambda _dt: notify.notify("WATCHDOG=1"), interval)
    if os.environ.get("POS_EXPECT_TIME_SYNC") == "1" and not notify.clock_synchronised():
        from terminal.screens.notices import CLOCK_NOT_SYNCED

        log.warning("clock not synchronised at start")
        app.show_error(app.tr.gettext(CLOCK_NOT_SYNCED), code="clock")


def run_command(args: argparse.Namespace) -> int:
    """``pos-terminal run``: the terminal as configured."""
    from terminal.config import load_config

    _setup_logging()
    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    config = _with_data_dir(config, getattr(args, "data_dir", None))
    _check_payments(config)
    start_app(build_terminal(config, deferred=True))
    return 0


def _check_payments(config: Any) -> None:
    """Before any window: a terminal on real hardware with a simulated card or QR back end, or
    live payments whose credentials do not load, does not start at all (the devices are built
    later, on the worker, where such an error would only reach the screen)."""
    from terminal.config import ConfigError
    from terminal.drivers.factory import (
        HardwareConfigError,
        build_card_terminal,
        build_payment_provider,
    )

    try:
        build_payment_provider(config)
        build_card_terminal(config)
    except HardwareConfigError as exc:
        raise ConfigError(str(exc), getattr(config, "path", None)) from None


DEMO_CONFIG = """\
# The demo terminal: simulated hardware, the sample store, and the automation channel.
[terminal]
id = "DEMO1"
data_dir = "."
language = "zh_CN"

[store]
name = "Sample Store"
name_zh = "示例便利店"
address = ["1 Sample Road, Shanghai", "上海市示例路1号"]

[hardware]
simulated = true

[automation]
enabled = true
"""


def demo_data_dir() -> Path:
    from terminal.config import default_data_dir

    return default_data_dir() / "demo"


def demo_command(args: argparse.Namespace) -> int:
    """``pos-terminal demo``: a per-user demo store on simulated hardware, seeded on first
    run. ``--config`` may replace the demo's configuration file, but the hardware stays
    simulated."""
    from terminal.config import ConfigError, load_config

    _setup_logging()
    data_dir = Path(args.data_dir).expanduser() if getattr(args, "data_dir", None) else (
        demo_data_dir())
    data_dir.mkdir(parents=True, exist_ok=True)
    if getattr(args, "config", None):
        path = Path(args.config)
    else:
        path = data_dir / "pos-terminal.toml"
        if not path.exists():
            path.write_text(DEMO_CONFIG, encoding="utf-8")
    config = _with_data_dir(load_config(path), str(data_dir))
    if not config.hardware.simulated:
        raise ConfigError("the demo runs on simulated hardware only: set [hardware] simulated "
                          "= true", path)
    start_app(build_terminal(config, seed_sample=True, deferred=True))
    return 0


def _with_data_dir(config: Any, data_dir: str | None) -> Any:
    """The configuration with ``[terminal] data_dir`` replaced (command-line override)."""
    if not data_dir:
        return config
    from terminal.config import Config

    sections = config.as_dict()
    sections["terminal"]["data_dir"] = str(Path(data_dir).expanduser().resolve())
    return Config(sections, config.path)
