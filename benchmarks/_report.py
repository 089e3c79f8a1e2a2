"""The report: one Markdown table row per workload and backend.

Each system's cell shows the median over the repetitions and, in brackets,
the spread (min-max). ``x limit`` is anyactors over the baseline (the minimal
multiplexer), taken per repetition and then summarized the same way, so it is
a paired comparison. ``x pykka`` and ``x thespian`` are anyactors' median over
the peer's median (the peers run outside any event loop, once a repetition).
``x asyncio`` is anyactors on this backend over anyactors on asyncio, paired
per repetition like ``x limit``. For a cost such as bytes per
actor, a ratio below 1 means anyactors is cheaper.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from attrs import frozen

from ._runner import Result
from ._workload import ANYACTORS, BASELINE, PYKKA, THESPIAN, Target

_HEADER = (
    "workload",
    "backend",
    "n",
    "anyactors: median [min-max]",
    "limit: median [min-max]",
    "x limit [min-max]",
    "pykka",
    "x pykka",
    "thespian",
    "x thespian",
    "x asyncio [min-max]",
    "targets",
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


def median(result: Result, system: str) -> float | None:
    """The median value of ``system`` in ``result``, or ``None`` if it did not run."""
    samples = result.samples.get(system)
    return statistics.median(sample.value for sample in samples) if samples else None


def _quantity(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _spread(spread: Spread, unit: str) -> str:
    return f"{_quantity(spread.median)} [{_quantity(spread.low)}-{_quantity(spread.high)}] {unit}"


def _ratio(spread: Spread) -> str:
    return f"{spread.median:.2f}x [{spread.low:.2f}-{spread.high:.2f}]"


def _verdict(value: float, bound: float, *, higher_is_better: bool) -> str:
    met = value >= bound if higher_is_better else value <= bound
    return "met" if met else "MISSED"


def _targets(
    target: Target, result: Result, *, limit: float, peers: dict[str, float], backend: float | None
) -> str:
    workload = result.workload
    higher = workload.higher_is_better
    bound = ">=" if higher else "<="
    parts: list[str] = []
    # The ratio targets of the issue are for asyncio; other backends get the backend target.
    on_asyncio = result.backend == "asyncio"
    if target.ratio is not None and on_asyncio:
        verdict = _verdict(limit, target.ratio, higher_is_better=higher)
        parts.append(f"limit {bound} {target.ratio:g}x: {verdict}")
    if target.value is not None:
        value = median(result, ANYACTORS)
        assert value is not None
        verdict = _verdict(value, target.value, higher_is_better=higher)
        parts.append(f"{bound} {_quantity(target.value)} {workload.unit}: {verdict}")
    if on_asyncio:
        for peer, bound_ratio in target.peers.items():
            if peer in peers:
                verdict = _verdict(peers[peer], bound_ratio, higher_is_better=higher)
                parts.append(f"{peer} {bound} {bound_ratio:g}x: {verdict}")
    if target.backend_ratio is not None and backend is not None and not on_asyncio:
        verdict = _verdict(backend, target.backend_ratio, higher_is_better=higher)
        parts.append(f"asyncio {bound} {target.backend_ratio:g}x: {verdict}")
    return "; ".join(parts) or "-"


def rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    """The table's rows: one per workload and backend, in the order given."""
    on_asyncio = {result.workload.name: result for result in results if result.backend == "asyncio"}
    table: list[tuple[str, ...]] = []
    for result in results:
        workload = result.workload
        unit = workload.unit
        ours = median(result, ANYACTORS)
        assert ours is not None
        limit = Spread.of(ratios(result, ANYACTORS))
        cells: list[str] = []
        by_peer: dict[str, float] = {}
        for peer in (PYKKA, THESPIAN):
            theirs = median(result, peer)
            if theirs is None:
                cells += ["-", "-"]
                continue
            by_peer[peer] = ours / theirs
            size = result.sizes.get(peer, result.size)
            shown = Spread.of([sample.value for sample in result.samples[peer]])
            at = f" (n={size:,})" if size != result.size else ""
            cells += [_spread(shown, unit) + at, f"{ours / theirs:,.2f}x"]
        reference = on_asyncio.get(workload.name)
        backend: Spread | None = None
        if reference is not None and reference is not result:
            backend = Spread.of(
                [
                    sample.value / base.value
                    for sample, base in zip(
                        result.samples[ANYACTORS], reference.samples[ANYACTORS], strict=True
                    )
                ]
            )
        table.append(
            (
                workload.name,
                result.backend,
                f"{result.size:,}",
                _spread(Spread.of([s.value for s in result.samples[ANYACTORS]]), unit),
                _spread(Spread.of([s.value for s in result.samples[BASELINE]]), unit),
                _ratio(limit),
                *cells,
                "-" if backend is None else _ratio(backend),
                _targets(
                    workload.target,
                    result,
                    limit=limit.median,
                    peers=by_peer,
                    backend=None if backend is None else backend.median,
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
