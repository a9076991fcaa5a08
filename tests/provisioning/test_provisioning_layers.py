"""The owner's side speaks to the terminal only through the wire format: provisioning/ imports
terminal.link.protocol (with terminal.link.sealing, the wire format's sealed fields),
terminal.config (the schema of the config file an enrolment bundle carries, checked before it is
written) and terminal.core, never the ledger, drivers, screens or the relay."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "provisioning"
ALLOWED = ("terminal.link.protocol", "terminal.link.sealing", "terminal.config", "terminal.core")


def test_provisioning_imports_only_protocol_and_core() -> None:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "terminal.link":
                    names = [f"terminal.link.{a.name}" for a in node.names]
                else:
                    names = [node.module]
            for name in names:
                if name.split(".")[0] == "terminal" and not name.startswith(ALLOWED):
                    bad.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {name}")
    assert not bad, "provisioning may import only the protocol and core:\n" + "\n".join(bad)
