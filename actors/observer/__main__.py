"""``python -m actors.observer URL``: a served system's tree in a terminal.

For a system started with the observer (``serve_observer(system, port=8089)``,
or ``examples/bank.py --observer``), this prints its supervision tree with the
figures, refreshed every second until Ctrl+C (``--once``: print it once), or
opens the page in a browser (``--open``). It only reads; standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Sequence
from typing import Any


def render(snapshot: dict[str, Any]) -> str:
    """The snapshot as text: figures, then one actor a line, children indented."""
    system = snapshot["system"]
    lines = [
        f"{system['name']}: {system['actors_alive']} actors alive, run queue "
        f"{system['run_queue_length']}, dead letters {snapshot['dead_letters'] or 0}",
    ]

    def walk(node: dict[str, Any], indent: str) -> None:
        lines.append(
            f"{indent}{node['name']} ({node['class']}) {node['state']} mailbox={node['mailbox']}"
            f" rate={node['rate']}/s handled={node['handled']} failures={node['failures']}"
            f" restarts={node['restarts']}"
        )
        for child in node["children"]:
            walk(child, indent + "  ")

    walk(snapshot["tree"], "")
    for failure in snapshot["failures"][:5]:
        lines.append(f"failed: {failure['path']}: {failure['error']}")
    return "\n".join(lines)


def fetch(url: str) -> dict[str, Any]:
    """The observer's current snapshot."""
    with urllib.request.urlopen(url.rstrip("/") + "/api/snapshot", timeout=5) as response:
        return dict(json.load(response))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and print (or open) the observer at the given URL."""
    parser = argparse.ArgumentParser(prog="python -m actors.observer", description=__doc__)
    parser.add_argument("url", help="the observer's address, e.g. http://127.0.0.1:8089/")
    parser.add_argument("--once", action="store_true", help="print the tree once and exit")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    options = parser.parse_args(argv)
    if options.open:
        webbrowser.open(options.url)
        return 0
    try:
        while True:
            text = render(fetch(options.url))
            if options.once:
                print(text)
                return 0
            print("\033[H\033[J" + text, flush=True)
            time.sleep(1.0)
    except urllib.error.URLError as error:
        print(
            f"no observer at {options.url} ({error.reason}); start one with "
            "`await serve_observer(system, port=...)` and pass its URL",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
