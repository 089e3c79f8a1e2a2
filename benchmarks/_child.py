"""One sample in a fresh interpreter: ``python -m benchmarks._child NAME SYSTEM BACKEND SIZE``.

Prints the sample as one line of JSON. The runner uses this for isolated
workloads (memory), so that no system inherits another's heap.
"""

from __future__ import annotations

import json
import sys

from ._registry import WORKLOADS


def main(argv: list[str]) -> None:
    name, system, backend, size = argv
    sample = WORKLOADS[name].implementations[system](int(size), backend)
    print(json.dumps({"count": sample.count, "value": sample.value}))


if __name__ == "__main__":
    main(sys.argv[1:])
