"""One benchmark result in the shape `bench/results.json` holds."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Result:
    name: str
    value: float
    unit: str
    floor: float | None
    ratio: float | None
    target: str
    passed: bool
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("passed")
        return d


def against_floor(
    name: str,
    value: float,
    unit: str,
    floor: float,
    *,
    max_ratio: float,
    max_value: float | None = None,
    higher_is_better: bool = False,
    detail: str = "",
) -> Result:
    """A result judged as a ratio to a floor measured in the same run (and optionally an absolute
    cap). For throughputs the ratio is value/floor and must reach ``max_ratio`` from above."""
    ratio = value / floor if floor else float("inf")
    if higher_is_better:
        ok = ratio >= max_ratio
        target = f"ratio >= {max_ratio}"
    else:
        ok = ratio <= max_ratio
        target = f"ratio <= {max_ratio}"
    if max_value is not None:
        ok = ok and value <= max_value
        target += f", <= {max_value} {unit}"
    return Result(name, round(value, 6), unit, round(floor, 6), round(ratio, 3), target, ok, detail)


def absolute(
    name: str, value: float, unit: str, *, limit: float, higher_is_better: bool = False,
    detail: str = "",
) -> Result:
    ok = value >= limit if higher_is_better else value <= limit
    target = f">= {limit} {unit}" if higher_is_better else f"<= {limit} {unit}"
    return Result(name, round(value, 6), unit, None, None, target, ok, detail)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]
