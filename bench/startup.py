"""cold_start and idle_rss: the terminal against a bare Kivy window started the same way."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.record import Result, against_floor, median

ROOT = Path(__file__).resolve().parents[1]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def _start_and_measure(cmd: list[str], ready_marker: str, env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawn to the ready line, and RSS (kB) after the app settles at idle."""
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        deadline = t0 + 60
        seen: list[str] = []
        while True:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{cmd} exited before ready:\n" + "".join(seen[-30:]))
            seen.append(line)
            if ready_marker in line:
                elapsed = time.monotonic() - t0
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} not ready in 60 s")
        time.sleep(2.0)  # let the first frames and lazy allocations settle before reading RSS
        rss = _rss_kb(proc.pid)
        return elapsed, rss
    finally:
        proc.kill()
        proc.wait()


def run(runs: int = 3) -> list[Result]:
    env = dict(os.environ)
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1")
    floor_cmd = [sys.executable, "-m", "bench.floor_kivy"]
    with tempfile.TemporaryDirectory() as tmp:
        term_cmd = [sys.executable, "-m", "terminal.cli", "demo", "--data-dir", tmp]
        # Warm the file cache and the demo's first-run seeding, which is not a cold start.
        _start_and_measure(term_cmd, "login screen ready", env)
        _start_and_measure(floor_cmd, "ready", env)
        floor_t, floor_m, term_t, term_m = [], [], [], []
        for _ in range(runs):
            t, m = _start_and_measure(floor_cmd, "ready", env)
            floor_t.append(t)
            floor_m.append(m)
            t, m = _start_and_measure(term_cmd, "login screen ready", env)
            term_t.append(t)
            term_m.append(m)
    return [
        against_floor("cold_start", median(term_t), "s", median(floor_t), max_ratio=2.0,
                      max_value=3.0, detail=f"{runs} runs, medians"),
        against_floor("idle_rss", median(term_m) / 1024, "MB", median(floor_m) / 1024,
                      max_ratio=1.5, detail=f"{runs} runs, medians"),
    ]
