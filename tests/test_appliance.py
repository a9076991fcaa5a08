"""What the image installs, checked without a Pi: the units parse and pass `systemd-analyze
verify`, their command lines run for real against a temporary data directory (a good ledger
starts, a tampered one fails the start and the alarm says why), the app tells systemd it is
ready and feeds the watchdog from its UI loop, and an enrolled card carries its hardware
profile."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from ledger.builders import post_sale, sale

from provisioning.home import Home
from provisioning.posctl import main as posctl
from terminal.app import notify
from terminal.config import load_config
from terminal.core.clock import ManualClock
from terminal.ledger.db import ledger_path, open_ledger

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "systemd"
FILES = ROOT / "image-build" / "files"
VENV_BIN = "/opt/pos-terminal/venv/bin/"
OPT_BIN = "/opt/pos-terminal/bin/"
SQLITE3 = shutil.which("sqlite3")


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            assert line.endswith("]"), f"{path.name}: bad section line {raw!r}"
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"{path.name}: bad line {raw!r}"
        key, value = line.split("=", 1)
        current.setdefault(key, []).append(value)
    return sections


KIOSK = _unit(UNITS / "pos-terminal.service")


def test_units_parse_and_run_installed_commands() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    units = sorted(UNITS.glob("*.service"))
    assert {u.name for u in units} >= {
        "pos-terminal.service",
        "pos-firstboot.service",
        "pos-terminal-alarm.service",
    }
    for unit in units:
        sections = _unit(unit)
        assert {"Unit", "Service"} <= sections.keys(), unit.name
        for key in ("ExecStart", "ExecStartPre"):
            for cmd in sections["Service"].get(key, []):
                exe = cmd.lstrip("-@+!").split()[0]
                name = Path(exe).name
                if exe.startswith(VENV_BIN):
                    assert name in scripts, f"{unit.name}: {name} is not a console script"
                else:
                    assert exe.startswith(OPT_BIN), f"{unit.name}: {exe}"
                    assert (FILES / name).stat().st_mode & 0o111, f"{unit.name}: {name}"


def test_kiosk_notifies_is_watched_and_waits_for_the_clock() -> None:
    svc, unit = KIOSK["Service"], KIOSK["Unit"]
    assert svc["Restart"] == ["always"]
    assert svc["User"] == ["pos"]
    assert {"input", "lp", "dialout", "gpio"} <= set(svc["SupplementaryGroups"][0].split())
    assert svc["Type"] == ["notify"]
    assert 0 < int(svc["WatchdogSec"][0]) <= 60
    assert "time-sync.target" in " ".join(unit["After"]).split()
    assert "systemd-time-wait-sync.service" in " ".join(unit["Wants"]).split()
    assert "POS_EXPECT_TIME_SYNC=1" in svc["Environment"]
    assert unit["OnFailure"] == ["pos-terminal-alarm.service"]
    # A prefix such as "-" would hide a failed check: the start must fail on it.
    pre = svc["ExecStartPre"]
    assert [c for c in pre if "ledger verify" in c] and all(c.startswith("/") for c in pre)


def test_drop_ins_set_the_hardware_watchdog_and_bound_the_clock_wait() -> None:
    manager = _unit(FILES / "systemd" / "system.conf.d" / "pos-watchdog.conf")["Manager"]
    assert int(manager["RuntimeWatchdogSec"][0]) > 0
    wait = FILES / "systemd" / "systemd-time-wait-sync.service.d" / "pos-time-wait.conf"
    assert int(_unit(wait)["Service"]["TimeoutStartSec"][0]) > 0
    build = (ROOT / "image-build" / "build.sh").read_text()
    for name in ("pos-watchdog.conf", "pos-time-wait.conf", "pos-alarm"):
        assert name in build, f"build.sh does not install {name}"


def _local_units(tmp_path: Path) -> list[Path]:
    """The units with the image's paths replaced by this checkout's, so their executables
    exist here."""
    venv = Path(sys.executable).parent
    out = []
    for unit in sorted(UNITS.glob("*.service")):
        text = unit.read_text().replace(VENV_BIN, f"{venv}/").replace(OPT_BIN, f"{FILES}/")
        (tmp_path / unit.name).write_text(text)
        out.append(tmp_path / unit.name)
    return out


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "pos-terminal").exists():
        pytest.skip("pos-terminal is not installed in this virtualenv")
    units = _local_units(tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, units)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    # The check is not blind: a misspelt key is reported.
    (tmp_path / "pos-terminal.service").write_text(
        units[-1].read_text().replace("WatchdogSec=", "WatchdogSecs="))
    bad = subprocess.run(["systemd-analyze", "verify", "--man=no",
                          str(tmp_path / "pos-terminal.service")],
                         capture_output=True, text=True, timeout=60)
    assert "WatchdogSecs" in bad.stderr


# --- the kiosk's command lines, run for real ----------------------------------------------


def _argv(cmd: str) -> list[str]:
    """A unit's command line with the image's venv replaced by this one."""
    words = shlex.split(cmd)
    assert words[0].startswith(VENV_BIN), cmd
    return [sys.executable, "-m", "terminal.cli", *words[1:]]


def _unit_env(unit: dict[str, dict[str, list[str]]], config: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    for assignment in unit["Service"].get("Environment", []):
        key, value = assignment.split("=", 1)
        env[key] = value
    env["POS_CONFIG"] = str(config)
    return env


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A terminal's config on simulated hardware and its data directory, as on the card."""
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "pos-terminal.toml"
    config.write_text(
        f'[terminal]\nid = "T01"\ndata_dir = "{data}"\nlanguage = "en"\n'
        '[store]\nname = "Corner Shop"\n[hardware]\nsimulated = true\n'
        "[ui]\nwidth = 640\nheight = 480\n",
        encoding="utf-8",
    )
    return config


def _fill(data: Path) -> None:
    led = open_ledger(ledger_path(data), "T01", ManualClock())
    led.post("shift.opened", {"shift_id": "s1", "opening_float": 1000}, staff_id="u1")
    for _ in range(3):
        post_sale(led, sale(2, shift_id="s1"))
    led.close()


def _pre(site: Path) -> list[subprocess.CompletedProcess[str]]:
    env = _unit_env(KIOSK, site)
    return [
        subprocess.run(_argv(cmd), env=env, capture_output=True, text=True, timeout=60)
        for cmd in KIOSK["Service"]["ExecStartPre"]
    ]


def test_start_checks_pass_on_a_new_card_and_a_good_ledger(site: Path) -> None:
    data = site.parent / "data"
    for done in _pre(site):  # a new card: no ledger until the first start makes it
        assert done.returncode == 0, done.stderr
    # Only that flag lets a missing ledger pass.
    plain = subprocess.run([sys.executable, "-m", "terminal.cli", "--config", str(site), "ledger",
                            "verify"], env=_unit_env(KIOSK, site), capture_output=True, text=True,
                           timeout=60)
    assert plain.returncode == 1 and "no ledger file" in plain.stderr
    _fill(data)
    for done in _pre(site):
        assert done.returncode == 0, done.stderr
    assert "ledger OK" in "".join(d.stdout for d in _pre(site))


@pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 shell is not installed")
def test_a_tampered_ledger_fails_the_start_and_the_alarm_says_why(site: Path) -> None:
    data = site.parent / "data"
    _fill(data)
    subprocess.run(
        [SQLITE3, str(ledger_path(data))],
        input="DROP TRIGGER journal_no_update;\n"
        "UPDATE journal SET payload = replace(payload, '\"total\":300', '\"total\":3') "
        "WHERE seq = 3;\n",
        text=True, check=True, capture_output=True,
    )
    failed = [d for d in _pre(site) if d.returncode != 0]
    assert failed and failed[0].returncode == 1
    assert "first bad entry seq 3" in failed[0].stderr
    # What pos-terminal-alarm.service writes on tty1 once the kiosk has given up.
    alarm = _unit(UNITS / "pos-terminal-alarm.service")
    assert alarm["Service"]["StandardOutput"] == ["tty"]
    assert alarm["Service"]["TTYPath"] == ["/dev/tty1"]
    shim = site.parent / "bin"
    shim.mkdir()
    (shim / "pos-terminal").write_text(f'#!/bin/sh\nexec {sys.executable} -m terminal.cli "$@"\n')
    (shim / "pos-terminal").chmod(0o755)
    env = _unit_env(alarm, site) | {"POS_BIN": str(shim)}
    script = alarm["Service"]["ExecStart"][0].replace(OPT_BIN, f"{FILES}/")
    shown = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert "POS TERMINAL STOPPED" in shown.stdout
    assert "The ledger failed its check" in shown.stdout
    assert "first bad entry seq 3: hash mismatch" in shown.stdout


# --- readiness and the watchdog, from the real app ----------------------------------------


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    # sun_path holds 108 bytes: pytest's tmp paths can be longer.
    d = tempfile.mkdtemp(prefix="pos-n-")
    path = os.path.join(d, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    yield sock, path
    sock.close()
    shutil.rmtree(d, ignore_errors=True)


def _messages(sock: socket.socket, until: float, want: int) -> list[str]:
    got: list[str] = []
    while time.monotonic() < until and sum(m == "WATCHDOG=1" for m in got) < want:
        try:
            got += sock.recv(4096).decode().split("\n")
        except TimeoutError:
            continue
    return got


def test_the_app_says_ready_and_feeds_the_watchdog_from_its_loop(
    site: Path, x_display: str, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    env = _unit_env(KIOSK, site)
    # The Pi's KMS/DRM window becomes an X window here.
    env.update(DISPLAY=x_display, SDL_VIDEODRIVER="x11", KIVY_HOME=str(site.parent / "kivy"),
               NOTIFY_SOCKET=path, WATCHDOG_USEC="400000", KIVY_NO_CONSOLELOG="1")
    env.pop("KIVY_WINDOW")
    proc = subprocess.Popen(_argv(KIOSK["Service"]["ExecStart"][0]), env=env, cwd=site.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        got = _messages(sock, time.monotonic() + 60, want=3)
        assert "READY=1" in got, got
        assert got.count("WATCHDOG=1") >= 3, got
        # Stopped, the loop feeds nothing: systemd would kill it after WatchdogSec.
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        while True:
            try:
                sock.recv(4096)
            except TimeoutError:
                break
        assert _messages(sock, time.monotonic() + 1.2, want=1) == []
        proc.send_signal(signal.SIGCONT)
        assert "WATCHDOG=1" in _messages(sock, time.monotonic() + 10, want=1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    if not notify.clock_synchronised():
        assert "clock not synchronised at start" in out


def test_notify_helper_is_silent_outside_systemd(
    notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    assert notify.notify("READY=1", env={}) is False
    assert notify.notify("READY=1", env={"NOTIFY_SOCKET": path}) is True
    assert sock.recv(100) == b"READY=1"
    assert notify.notify("READY=1", env={"NOTIFY_SOCKET": path + ".gone"}) is False
    assert notify.watchdog_interval({}) is None
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    # The watchdog was meant for another process (a parent that exec'd us).
    assert notify.watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert notify.watchdog_interval({"WATCHDOG_USEC": "soon"}) is None


# --- enrolment: the hardware profile ------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "owner"
    assert posctl(["--home", str(h), "init", "--store", "Corner Shop", "--store-id", "s1"]) == 0
    return h


def _bundle_config(home: Path, terminal_id: str) -> Path:
    return Path(Home(home).terminals()[terminal_id]["bundle"]) / "pos-terminal.toml"


def test_an_enrolled_card_is_a_real_terminal(home: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert posctl(["--home", str(home), "terminal", "enroll", "till-1",
                   "--printer", "usb:04b8:0202", "--paper", "58mm", "--drawer", "printer:5",
                   "--scanner", "/dev/input/by-id/usb-Honeywell-event-kbd"]) == 0
    shown = capsys.readouterr().out
    assert "Hardware: real devices, full screen." in shown
    assert 'printer: kind="usb", usb_vendor=0x04b8, usb_product=0x0202, profile="58mm"' in shown
    assert 'drawer: kind="printer", kick_pin=5' in shown
    assert "scanners: /dev/input/by-id/usb-Honeywell-event-kbd" in shown
    config = load_config(_bundle_config(home, "till-1"))
    assert config.hardware.simulated is False and config.ui.fullscreen is True
    assert (config.printer.kind, config.printer.usb_vendor, config.printer.usb_product) == (
        "usb", 0x04B8, 0x0202)
    assert (config.drawer.kind, config.drawer.kick_pin) == ("printer", 5)
    assert config.scanner.devices == ["/dev/input/by-id/usb-Honeywell-event-kbd"]
    # A real terminal refuses simulated payments at start: the profile names none.
    assert (config.payments.qr, config.payments.card) == ("none", "none")
    from terminal.app.run import _check_payments

    _check_payments(config)


def test_a_profile_file_and_the_simulated_bench(home: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "till.toml"
    profile.write_text('[printer]\nkind = "network"\nhost = "10.0.0.9"\n'
                       '[drawer]\nkind = "gpio"\ngpio_pin = 22\n[ui]\nwidth = 800\n')
    assert posctl(["--home", str(home), "terminal", "enroll", "till-2",
                   "--profile", str(profile), "--printer", "network:10.0.0.7:9101"]) == 0
    config = load_config(_bundle_config(home, "till-2"))
    assert (config.printer.kind, config.printer.host, config.printer.port) == (
        "network", "10.0.0.7", 9101)
    assert (config.drawer.kind, config.drawer.gpio_pin, config.ui.width) == ("gpio", 22, 800)
    assert config.hardware.simulated is False and config.ui.fullscreen is True
    assert posctl(["--home", str(home), "terminal", "enroll", "bench", "--simulated"]) == 0
    assert "simulated devices in a window" in capsys.readouterr().out
    assert load_config(_bundle_config(home, "bench")).hardware.simulated is True


def test_a_wrong_profile_is_refused_before_a_certificate_is_issued(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[printer]\nkind = "laser"\n')
    assert posctl(["--home", str(home), "terminal", "enroll", "t9", "--profile", str(bad)]) == 1
    assert "printer.kind" in capsys.readouterr().err
    bad.write_text('[link]\nhost = "evil"\n')
    assert posctl(["--home", str(home), "terminal", "enroll", "t9", "--profile", str(bad)]) == 1
    assert "not link" in capsys.readouterr().err
    assert posctl(["--home", str(home), "terminal", "enroll", "t9", "--drawer", "usb"]) == 1
    assert "t9" not in Home(home).terminals()
    assert not (home / "terminals" / "t9").exists()


def test_image_scripts_are_valid_shell() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "image-build" / "build.sh")], check=True)
    for script in ("pos-firstboot", "pos-alarm"):
        subprocess.run(["sh", "-n", str(FILES / script)], check=True)
