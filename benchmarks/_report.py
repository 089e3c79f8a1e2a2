"""The report: one Markdown table row per workload, backend and system under test.

Each cell shows the median over the repetitions and, in brackets, the spread
(min-max). The ratio is taken per repetition (system / baseline of the same
repetition) and then summarized the same way, so it is a paired comparison.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from attrs import frozen

from ._runner import Result
from ._workload import BASELINE, Target

_HEADER = (
    "workload",
    "backend",
    "n",
    "system",
    "system: median [min-max]",
    "baseline: median [min-max]",
    "ratio: median [min-max]",
    "target",
)


@frozen
class Spread:
    """The median of some values, and their minimum and maximum."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


def ratios(result: Result, system: str) -> list[float]:
    """``system`` over the baseline, one value per repetition."""
    return [
        sample.value / base.value
        for sample, base in zip(result.samples[system], result.samples[BASELINE], strict=True)
    ]


def _quantity(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _spread(spread: Spread) -> str:
    return f"{_quantity(spread.median)} [{_quantity(spread.low)}-{_quantity(spread.high)}]"


def _ratio(spread: Spread) -> str:
    return f"{spread.median:.3f}x [{spread.low:.3f}-{spread.high:.3f}]"


def _target(
    target: Target, *, higher_is_better: bool, unit: str, ratio: float, value: float
) -> str:
    parts: list[str] = []
    bound, better = (">=", float.__ge__) if higher_is_better else ("<=", float.__le__)
    if target.ratio is not None:
        verdict = "met" if better(ratio, target.ratio) else "MISSED"
        parts.append(f"{bound} {target.ratio:.2f}x: {verdict}")
    if target.value is not None:
        verdict = "met" if better(value, target.value) else "MISSED"
        parts.append(f"{bound} {_quantity(target.value)} {unit}: {verdict}")
    return "; ".join(parts) or "-"


def rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    """The table's rows: one per result and system other than the baseline."""
    table: list[tuple[str, ...]] = []
    for result in results:
        workload = result.workload
        base = Spread.of([sample.value for sample in result.samples[BASELINE]])
        for system, samples in result.samples.items():
            if system == BASELINE:
                continue
            value = Spread.of([sample.value for sample in samples])
            ratio = Spread.of(ratios(result, system))
            table.append(
                (
                    workload.name,
                    result.backend,
                    f"{result.size:,}",
                    system,
                    f"{_spread(value)} {workload.unit}",
                    f"{_spread(base)} {workload.unit}",
                    _ratio(ratio),
                    _target(
                        workload.target,
                        higher_is_better=workload.higher_is_better,
                        unit=workload.unit,
                        ratio=ratio.median,
                        value=value.median,
                    ),
                )
            )
    return table


def markdown(results: Sequence[Result]) -> str:
    """The results as an aligned Markdown table."""
    body = rows(results)
    widths = [max(len(row[column]) for row in (_HEADER, *body)) for column in range(len(_HEADER))]

    def line(cells: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(_HEADER), rule, *(line(row) for row in body)])
