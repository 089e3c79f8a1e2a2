"""Every workload, by name, in the order the report lists them."""

from __future__ import annotations

from types import MappingProxyType

from . import _ask, _idle_memory, _pingpong, _spawn

WORKLOADS = MappingProxyType(
    {
        workload.name: workload
        for workload in (_pingpong.WORKLOAD, _ask.WORKLOAD, _spawn.WORKLOAD, _idle_memory.WORKLOAD)
    }
)
