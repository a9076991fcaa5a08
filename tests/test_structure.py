"""What keeps the house livable: no module over 600 lines, no function over 80, and no import
circle between packages or between the modules of one package."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("terminal", "provisioning")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Declarative tables: data only, allowed to be long.
DATA_MODULES = {"terminal/config/schema.py", "terminal/sample/data.py"}


def _modules() -> Iterator[tuple[str, Path]]:
    for top in PACKAGES:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of this project that ``name`` imports, at module level or inside functions (a
    deferred import is still a circle), except under ``if TYPE_CHECKING:``, which never runs.
    ``from package import submodule`` counts as the submodule alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if _is_package(path) else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            subs = {f"{mod}.{a.name}" for a in node.names} & known
            found |= subs
            if len(subs) < len(node.names):
                found.add(mod)
    return found & known


def _graph() -> dict[str, set[str]]:
    mods = dict(_modules())
    known = set(mods)
    return {name: _imported(name, path, known) - {name} for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _collapse(graph: dict[str, set[str]], depth: int) -> dict[str, set[str]]:
    def cut(m: str) -> str:
        return ".".join(m.split(".")[:depth])

    out: dict[str, set[str]] = {}
    for v, ws in graph.items():
        out.setdefault(cut(v), set()).update(cut(w) for w in ws if cut(w) != cut(v))
    return out


def test_no_module_over_600_lines() -> None:
    long = []
    for _, path in _modules():
        rel = str(path.relative_to(REPO))
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES and rel not in DATA_MODULES:
            long.append(f"{rel}: {n} lines")
    assert not long, "split these modules along their seams:\n" + "\n".join(long)


def test_no_function_over_80_lines() -> None:
    long = []
    for _, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "split these functions:\n" + "\n".join(long)


def test_no_import_circle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_no_import_circle_between_packages() -> None:
    graph = _graph()
    for depth in (2, 3):
        assert _cycles(_collapse(graph, depth)) == [], f"circle at package depth {depth}"


def test_the_checker_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
