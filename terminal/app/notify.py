"""The systemd service protocol, spoken directly: readiness and the watchdog over the datagram
socket systemd names in ``NOTIFY_SOCKET`` (see sd_notify(3)). Outside systemd, or with no
watchdog asked for, every call here does nothing.

The watchdog is fed from the Kivy clock, on the UI thread: a hung UI loop stops feeding it and
systemd kills and restarts the kiosk after ``WatchdogSec``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("terminal")


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    # An abstract socket is written with a leading "@".
    return "\0" + path[1:] if path.startswith("@") else path


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send one notification (``READY=1``, ``WATCHDOG=1``, ``STATUS=...``); False when there
    is no systemd to tell or the send failed (the terminal runs on regardless)."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        log.warning("systemd notification %r not sent: %s", message.split("=", 1)[0], exc)
        return False
    return True


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between watchdog pings (half of ``WatchdogSec``, as sd_watchdog_enabled(3)
    advises), or None when systemd asked for no watchdog for this process."""
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if usec <= 0 or (pid and pid != str(os.getpid())):
        return None
    return usec / 2_000_000


def clock_synchronised(flag: str = "/run/systemd/timesync/synchronized") -> bool:
    """systemd-timesyncd touches this file once the clock has been set from the network."""
    return os.path.exists(flag)
