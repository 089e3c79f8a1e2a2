"""Every workload, by name, in report order: Savina's first, then ask, spawn and memory."""

from __future__ import annotations

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

WORKLOADS = MappingProxyType(
    {
        workload.name: workload
        for workload in (
            _pingpong.WORKLOAD,
            _counting.WORKLOAD,
            _threadring.WORKLOAD,
            _forkjoin.CREATE,
            _forkjoin.THROUGHPUT,
            _big.WORKLOAD,
            _chameneos.WORKLOAD,
            _fibonacci.WORKLOAD,
            _ask.WORKLOAD,
            _spawn.WORKLOAD,
            _idle_memory.WORKLOAD,
            _idle_memory.USED,
        )
    }
)
