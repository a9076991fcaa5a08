"""The appliance files, checked for what can be checked without a Pi: the units parse and name
commands the project installs, and the image scripts are valid shell."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def test_units_parse_and_run_installed_commands() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    units = sorted((ROOT / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {"pos-terminal.service", "pos-firstboot.service"}
    for unit in units:
        sections = _unit(unit)
        assert {"Unit", "Service", "Install"} <= sections.keys(), unit.name
        for key in ("ExecStart", "ExecStartPre"):
            for cmd in sections["Service"].get(key, []):
                exe = cmd.lstrip("-@+!").split()[0]
                name = Path(exe).name
                if exe.startswith("/opt/pos-terminal/venv/bin/"):
                    assert name in scripts, f"{unit.name}: {name} is not a console script"
                elif exe.startswith("/opt/pos-terminal/bin/"):
                    assert (ROOT / "image-build" / "files" / name).exists(), f"{unit.name}: {name}"


def test_kiosk_restarts_and_runs_as_service_user() -> None:
    svc = _unit(ROOT / "systemd" / "pos-terminal.service")["Service"]
    assert svc["Restart"] == ["always"]
    assert svc["User"] == ["pos"]
    groups = svc["SupplementaryGroups"][0].split()
    assert {"input", "lp", "dialout", "gpio"} <= set(groups)


def test_image_scripts_are_valid_shell() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "image-build" / "build.sh")], check=True)
    subprocess.run(["sh", "-n", str(ROOT / "image-build" / "files" / "pos-firstboot")], check=True)
