"""search_p99: one keystroke's item search in a 100,000-item catalog.

Each query is typed a character at a time, as on the sale screen's keyboard, and every prefix
is one ``SqliteCatalog.search``: pinyin ("niunai"), initials ("nn"), Chinese ("牛奶") and
English ("milk") queries, all of which match items, so the answer comes from the index stages.
"""

from __future__ import annotations

import random
import time

from bench.ledger import WORK, _fresh_ledger
from bench.record import Result, absolute, percentile
from terminal.core.records import Item

N_ITEMS = 100_000
WORDS = [
    ("牛奶", "milk"), ("面包", "bread"), ("苹果", "apple"), ("香蕉", "banana"),
    ("可乐", "cola"), ("酸奶", "yogurt"), ("饼干", "biscuit"), ("果汁", "juice"),
    ("大米", "rice"), ("鸡蛋", "eggs"), ("巧克力", "chocolate"), ("矿泉水", "water"),
    ("茶叶", "tea"), ("咖啡", "coffee"), ("薯片", "crisps"), ("面条", "noodles"),
]
PREFIXES = [
    ("", ""), ("纯", "pure "), ("低脂", "low-fat "), ("有机", "organic "), ("进口", "imported "),
]
QUERIES = [
    "niunai", "nn", "pingguo", "pg", "kele", "qkl", "chunniu", "cnn", "mianbao", "suannai",
    "牛奶", "苹果", "纯牛奶", "巧克力",
    "milk", "apple", "pure", "chocolate",
]


def _catalog_items() -> list[Item]:
    rng = random.Random(11)
    items = []
    for i in range(N_ITEMS):
        zh, en = rng.choice(WORDS)
        pzh, pen = rng.choice(PREFIXES)
        size = rng.choice(["250毫升", "1升", "500克", "6个装", "大包"])
        items.append(
            Item(sku=f"S{i:06d}", name=f"{pen}{en} {i}".capitalize(),
                 name_zh=f"{pzh}{zh} {size}{i}", price=100 + i % 9000)
        )
    return items


def search_p99(rounds: int = 20) -> Result:
    WORK.mkdir(exist_ok=True)
    path = WORK / "search-100k.sqlite3"
    for p in WORK.glob(path.name + "*"):
        p.unlink()
    ledger = _fresh_ledger(path, 0)
    catalog = ledger.catalog()
    t0 = time.perf_counter()
    catalog.upsert_items(_catalog_items())
    indexed = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            for n in range(1, len(query) + 1):
                t = time.perf_counter()
                found = catalog.search(query[:n])
                times.append(time.perf_counter() - t)
                assert found, query[:n]
    # Spot check that the stages answer what the screen needs, not just anything.
    assert any(i.name_zh.startswith("纯牛奶") for i in catalog.search("cnn"))
    assert all("牛奶" in i.name_zh for i in catalog.search("niunai"))
    ledger.close()
    p99 = percentile(times, 99) * 1000
    return absolute(
        "search_p99", p99, "ms", limit=10.0,
        detail=(
            f"{len(times)} searches (every prefix of {len(QUERIES)} queries), {N_ITEMS} items; "
            f"median {percentile(times, 50) * 1000:.3f} ms; catalog write with keys "
            f"{indexed:.1f} s"
        ),
    )


def run() -> list[Result]:
    return [search_p99()]
