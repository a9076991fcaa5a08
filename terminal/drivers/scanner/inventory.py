"""Lists the input device nodes present now, each with its stable udev links.

Devices are opened through their ``/dev/input/by-id`` (or ``by-path``) link when they have one;
the kernel's ``eventN`` number is only an implementation detail that changes on every replug.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Candidate:
    open_path: str
    """The path to open: a stable link when there is one."""
    links: tuple[str, ...]
    key: tuple[object, ...]
    """Identity of this node *instance*: changes when a device is replugged, even on the same
    event number, so a keyboard seen once is not reopened on every scan."""


class InputInventory:
    """The real one, reading ``/dev/input``; tests pass their own ``list_candidates``."""

    def __init__(self, root: str | os.PathLike[str] = "/dev/input") -> None:
        self.root = Path(root)

    def list_candidates(self) -> list[Candidate]:
        links: dict[str, list[str]] = defaultdict(list)
        for sub in ("by-id", "by-path"):
            d = self.root / sub
            try:
                entries = sorted(d.iterdir())
            except OSError:
                continue
            for link in entries:
                # Only event nodes: by-id also lists the legacy mouse/js nodes.
                if "-event" not in link.name:
                    continue
                try:
                    target = os.path.realpath(link, strict=True)
                except OSError:
                    continue
                links[target].append(str(link))
        nodes: list[str] = []
        try:
            nodes = sorted(str(p) for p in self.root.iterdir() if p.name.startswith("event"))
        except OSError:
            pass
        out = []
        for node in nodes:
            try:
                st = os.stat(node)
            except OSError:
                continue
            node_links = tuple(sorted(links.get(node, ()), key=lambda p: ("/by-id/" not in p, p)))
            open_path = node_links[0] if node_links else node
            out.append(Candidate(open_path, node_links, (node, node_links, st.st_ctime_ns)))
        return out
