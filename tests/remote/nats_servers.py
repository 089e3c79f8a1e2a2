"""The remote tests' servers: ``actors.remote.testing``, failing the test instead of raising.

A missing binary fails every remote test loudly; it is never a skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from actors.remote import testing
from actors.remote.testing import NatsServer, free_port

__all__ = ["NatsServer", "free_port", "start_server", "wait_healthy"]


def start_server(
    store_dir: Path,
    *,
    name: str,
    cluster_port: int | None = None,
    routes: list[int] | None = None,
    port: int | None = None,
    jetstream: bool = True,
    extra_args: Sequence[str] = (),
) -> NatsServer:
    """:func:`actors.remote.testing.start_server`; a missing binary fails the test."""
    try:
        return testing.start_server(
            store_dir,
            name=name,
            cluster_port=cluster_port,
            routes=routes,
            port=port,
            jetstream=jetstream,
            extra_args=extra_args,
        )
    except FileNotFoundError as error:
        pytest.fail(str(error), pytrace=False)


def wait_healthy(servers: list[NatsServer], query: str = "") -> None:
    """:func:`actors.remote.testing.wait_healthy`; a server that never gets ready fails the test."""
    try:
        testing.wait_healthy(servers, query)
    except (RuntimeError, TimeoutError) as error:
        pytest.fail(str(error), pytrace=False)
