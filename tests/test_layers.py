"""The rules between layers: core imports only the standard library, only screens/ and the
app's start-up touch Kivy, and screens/ never import the app package (the app starts the
screens; the screens know the terminal only through ``screens/port.py``)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "terminal"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_core_imports_only_stdlib_and_core() -> None:
    bad = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for line, name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("terminal.core") or top in sys.stdlib_module_names:
                continue
            if top == "__future__":
                continue
            bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {name}")
    assert not bad, "core must import only the standard library:\n" + "\n".join(bad)


def test_only_screens_import_kivy() -> None:
    allowed = {ROOT / "app" / "run.py"}
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        if (ROOT / "screens") in path.parents or path in allowed:
            continue
        for line, name in _imports(path):
            if name.split(".")[0] == "kivy":
                bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {name}")
    assert not bad, "only screens/ may import kivy:\n" + "\n".join(bad)


def test_screens_do_not_import_the_app() -> None:
    bad = []
    for path in sorted((ROOT / "screens").rglob("*.py")):
        for line, name in _imports(path):
            if name == "terminal.app" or name.startswith("terminal.app."):
                bad.append(f"{path.relative_to(ROOT.parent)}:{line}: {name}")
    assert not bad, "screens/ must not import terminal.app:\n" + "\n".join(bad)
