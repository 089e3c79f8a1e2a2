"""Each workload's peer driver, by the function name the peer modules export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from . import (
    _ask,
    _big,
    _chameneos,
    _counting,
    _fibonacci,
    _forkjoin,
    _idle_memory,
    _pingpong,
    _spawn,
    _threadring,
)
from ._sides import SyncHost
from ._workload import Sample

DRIVERS: Mapping[str, Callable[[SyncHost, int], Sample]] = MappingProxyType(
    {
        "pingpong": _pingpong.drive_sync,
        "counting": _counting.drive_sync,
        "threadring": _threadring.drive_sync,
        "fj_create": _forkjoin.drive_create_sync,
        "fj_throughput": _forkjoin.drive_throughput_sync,
        "big": _big.drive_sync,
        "chameneos": _chameneos.drive_sync,
        "fibonacci": _fibonacci.drive_sync,
        "ask": _ask.drive_sync,
        "spawn": _spawn.drive_sync,
        "idle_memory": _idle_memory.drive_sync,
        "idle_memory_used": _idle_memory.drive_used_sync,
    }
)
