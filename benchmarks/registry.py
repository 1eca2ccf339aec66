"""The benchmark registry: rows, registration and sampling shared by every `bench_*` module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Row:
    """One line of the table: medians of baseline and candidate in one unit."""

    name: str
    measures: str
    baseline: float
    candidate: float
    unit: str

    @property
    def ratio(self) -> float | None:
        """Candidate / baseline (None when the baseline is zero)."""
        return self.candidate / self.baseline if self.baseline else None

    def as_dict(self) -> dict[str, object]:
        """The row as JSON-ready values, ratio included."""
        return {**asdict(self), "ratio": self.ratio}


Benchmark = Callable[[int], list[Row]]
REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark under `name`; it takes the repeat count and returns its rows."""

    def register(function: Benchmark) -> Benchmark:
        REGISTRY[name] = function
        return function

    return register


def sample(run: Callable[[], tuple[float, ...]], repeat: int) -> list[float]:
    """Call `run` once to warm up, then `repeat` times; the median of each value it returns."""
    run()
    runs = [run() for _ in range(repeat)]
    return [statistics.median(values) for values in zip(*runs, strict=True)]


def elapsed_ms(start: float) -> float:
    """Milliseconds since `start` (a perf_counter() value)."""
    return (time.perf_counter() - start) * 1000.0
