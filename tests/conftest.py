"""Shared fixtures: a virtual X display when there is none, and a launcher that starts the real
terminal app (``python -m terminal.cli demo``) on its own data directory and hands back an
automation client connected to it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from terminal.automation.client import AutomationClient

ROOT = Path(__file__).resolve().parents[1]
READY = "login screen ready"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        default=False,
        help="write UI screenshots to docs/screenshots/ instead of a temporary directory",
    )


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> Path:
    if request.config.getoption("--screenshots"):
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def x_display() -> Iterator[str]:
    """The X display the app opens its window on: $DISPLAY (scripts/run-tests.sh starts Xvfb
    and sets it), else an Xvfb started here for the session."""
    existing = os.environ.get("DISPLAY")
    if existing:
        yield existing
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("no DISPLAY and Xvfb is not installed (make setup installs it)")
    n = _free_display()
    proc = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", "1280x1280x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Xvfb :{n} did not start")
            time.sleep(0.05)
        yield f":{n}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)


@dataclass
class RunningApp:
    """One terminal process under test."""

    proc: subprocess.Popen[str]
    data_dir: Path
    config_path: Path
    socket_path: Path
    output: list[str] = field(default_factory=list)
    client: AutomationClient | None = None

    @property
    def c(self) -> AutomationClient:
        assert self.client is not None
        return self.client

    @property
    def log(self) -> str:
        return "".join(self.output)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``pos-terminal`` against this terminal's configuration and data."""
        return subprocess.run(
            [sys.executable, "-m", "terminal.cli", "--config", str(self.config_path), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )

    def stop(self) -> int | None:
        if self.client is not None:
            with contextlib.suppress(OSError):
                self.client.close()
            self.client = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def _write_config(path: Path, data_dir: Path, socket_path: Path, *, language: str,
                  size: tuple[int, int], extra: str, store: str = "") -> None:
    path.write_text(
        f"""\
[terminal]
id = "TEST1"
data_dir = "{data_dir}"
language = "{language}"

[store]
name = "Sample Store"
name_zh = "示例便利店"
address = ["1 Sample Road, Shanghai"]
{store}

[hardware]
simulated = true

[ui]
width = {size[0]}
height = {size[1]}

[automation]
enabled = true
socket = "{socket_path}"
{extra}""",
        encoding="utf-8",
    )


@pytest.fixture
def launch_app(x_display: str, tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """``launch_app(language="en", size=(800, 480))`` starts the terminal in demo mode on a
    fresh data directory (seeded with the sample store) and waits until the login screen is
    ready and the control channel answers."""
    started: list[RunningApp] = []
    kivy_home = tmp_path / "kivy"
    # A short directory for the socket: sun_path holds 108 bytes, pytest's tmp paths can be
    # longer.
    sock_dir = Path(tempfile.mkdtemp(prefix="pos-"))

    def launch(*, language: str = "zh_CN", size: tuple[int, int] = (1024, 600),
               data_dir: Path | None = None, extra_config: str = "",
               store_config: str = "", timeout: float = 60.0,
               config_dir: Path | None = None) -> RunningApp:
        data = data_dir or tmp_path / f"data{len(started)}"
        data.mkdir(parents=True, exist_ok=True)
        # A data directory that is read-only (or full) needs its configuration elsewhere.
        cfg = (config_dir or data) / "pos-terminal.toml"
        sock = sock_dir / f"a{len(started)}.sock"
        _write_config(cfg, data, sock, language=language, size=size, extra=extra_config,
                      store=store_config)
        env = dict(os.environ)
        env.update(DISPLAY=x_display, KIVY_HOME=str(kivy_home), KIVY_NO_ARGS="1",
                   KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1", PYTHONUNBUFFERED="1")
        env.pop("POS_CONFIG", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "terminal.cli", "--config", str(cfg), "demo",
             "--data-dir", str(data)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        app = RunningApp(proc, data, cfg, sock)
        started.append(app)
        ready = threading.Event()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                app.output.append(line)
                if READY in line:
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.1):
            if proc.poll() is not None or time.monotonic() > deadline:
                app.stop()
                raise RuntimeError(f"terminal did not get ready:\n{app.log[-4000:]}")
        app.client = AutomationClient.connect(sock, wait=max(1.0, deadline - time.monotonic()))
        return app

    yield launch
    for app in started:
        code = app.stop()
        # Captured by pytest and shown only when the test failed.
        print(f"--- terminal {app.data_dir.name} exited {code}; last output:\n{app.log[-3000:]}")
    shutil.rmtree(sock_dir, ignore_errors=True)
