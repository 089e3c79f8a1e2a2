"""``python -m benchmarks._blocking``'s measurements, at a tiny size, count every reply right.

No timing here: the ratios live in docs/benchmarks.md, measured in one run.
"""

from __future__ import annotations

import pytest

# pykka comes with the dev extra that `make test` installs (through bench): a
# missing peer fails here loudly rather than skipping the comparison.
from benchmarks import _blocking


def test_pykka_sides() -> None:
    assert _blocking.pykka_rate(50) > 0
    assert _blocking.pykka_rate(20, threads=2) > 0


def test_floors() -> None:
    assert _blocking.stock_asyncio_handoff_rate(20) > 0
    assert _blocking.ping_pong_rate(20) > 0


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyactors_sides(backend: str) -> None:
    # Each raises if a reply is wrong or missing.
    assert _blocking.blocking_rate(backend, 50) > 0
    assert _blocking.blocking_rate(backend, 20, threads=2) > 0
    assert _blocking.portal_rate(backend, 20) > 0
    assert _blocking.handoff_rate(backend, 20) > 0
