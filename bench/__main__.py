"""`make bench`: runs every benchmark, prints a table and writes bench/results.json.

Each figure is judged against a floor measured in the same run where one exists, so a slow or busy
machine moves both sides together. `python -m bench NAME...` runs only the named groups.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

GROUPS = [
    "ledger", "verify", "durable", "scan", "search", "startup", "link", "collector", "intake",
    "payments",
]
OUT = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    asked = argv if argv is not None else sys.argv[1:]
    names = asked or GROUPS
    results = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        for r in module.run():
            results.append(r)
            print(f"   {r.name}: {r.value} {r.unit} ({'pass' if r.passed else 'FAIL'})", flush=True)
    records = [r.to_json() for r in results]
    if OUT.exists() and asked:
        # A partial run updates its own records and keeps the others.
        old = {r["name"]: r for r in json.loads(OUT.read_text())}
        old.update({r["name"]: r for r in records})
        records = list(old.values())
    OUT.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    print()
    print(table(records))
    return 0 if all(r["pass"] for r in records) else 1


def table(records: list[dict]) -> str:
    rows = [
        "| name | value | unit | floor | ratio | target | pass |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        rows.append(
            f"| {r['name']} | {r['value']} | {r['unit']} | {r['floor']} | {r['ratio']} | "
            f"{r['target']} | {'yes' if r['pass'] else 'NO'} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
