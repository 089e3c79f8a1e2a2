"""A web service whose endpoints ask actors: Starlette, with the actor system in its lifespan.

The application's lifespan enters an ``ActorSystem`` on the server's own
event loop (asyncio or trio, whichever the server runs), so requests reach
actors with a plain ``await ref.ask(...)``: no thread, no bridge. One
``Inventory`` actor owns the stock; it handles one message at a time, so
concurrent orders never oversell, with no lock. When the server shuts
down, leaving the lifespan stops the actors gracefully (the inventory's
``on_stop`` reports the stock it ends with).

Endpoints:

* ``GET /stock/{item}``: ``{"item": ..., "left": n}``, or 404.
* ``GET /items``: every item and how many are left (a plain ``def``
  endpoint, run in a worker thread, asking through ``anyio.from_thread``).
* ``POST /orders`` with ``{"item": ..., "quantity": n}``: 201 and what is
  left, 409 when there is not enough, 400 on a malformed order.

Run it under Hypercorn (which serves asyncio and trio)::

    python examples/web_service.py --port 8000 [--backend trio]

or with any ASGI server: ``hypercorn web_service:app``. It prints the
address it serves on, and stops on Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
from collections.abc import AsyncIterator
from functools import partial

import anyio
import anyio.from_thread
from attrs import frozen
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from actors import Actor, ActorRef, ActorSystem

STOCK = {"apple": 10, "pear": 4}
#: Seconds an endpoint waits for the inventory before it answers 503.
ASK_TIMEOUT = 5.0


@frozen
class Count:
    """How many of ``item`` are left; the reply is an int, or None for an unknown item."""

    item: str


@frozen
class Items:
    """What is in stock; the reply is a dict of item to count."""


@frozen
class Reserve:
    """Take ``quantity`` of ``item``; the reply is a ``Reserved`` or a ``Refused``."""

    item: str
    quantity: int


@frozen
class Reserved:
    left: int


@frozen
class Refused:
    reason: str


class Inventory(Actor):
    def __init__(self, stock: dict[str, int]) -> None:
        self.stock = dict(stock)

    def on_stop(self) -> None:
        print(f"inventory stopped with {self.stock}", flush=True)

    def receive(self, message: object) -> int | dict[str, int] | Reserved | Refused | None:
        match message:
            case Count(item):
                return self.stock.get(item)
            case Items():
                return dict(self.stock)
            case Reserve(item, quantity):
                left = self.stock.get(item, 0)
                if quantity > left:
                    return Refused(f"only {left} {item} left, {quantity} ordered")
                self.stock[item] = left - quantity
                return Reserved(self.stock[item])
        return None


def inventory(request: Request) -> ActorRef:
    ref: ActorRef = request.app.state.inventory
    return ref


async def stock(request: Request) -> JSONResponse:
    item = request.path_params["item"]
    left = await inventory(request).ask(Count(item), timeout=ASK_TIMEOUT)
    if left is None:
        return JSONResponse({"error": f"no such item: {item}"}, status_code=404)
    return JSONResponse({"item": item, "left": left})


def items(request: Request) -> JSONResponse:
    """A plain ``def`` endpoint: Starlette runs it in a worker thread, which asks on the loop."""
    ask = partial(inventory(request).ask, Items(), timeout=ASK_TIMEOUT)
    return JSONResponse(anyio.from_thread.run(ask))


async def order(request: Request) -> JSONResponse:
    try:
        body = await request.json()
        item, quantity = body["item"], body["quantity"]
    except (json.JSONDecodeError, TypeError, KeyError):
        return JSONResponse({"error": 'send {"item": str, "quantity": int}'}, status_code=400)
    if not isinstance(item, str) or isinstance(quantity, bool) or not isinstance(quantity, int):
        return JSONResponse({"error": "item must be a string, quantity an int"}, status_code=400)
    if quantity < 1:
        return JSONResponse({"error": f"quantity must be >= 1 (got {quantity})"}, status_code=400)
    outcome = await inventory(request).ask(Reserve(item, quantity), timeout=ASK_TIMEOUT)
    if isinstance(outcome, Refused):
        return JSONResponse({"error": outcome.reason}, status_code=409)
    return JSONResponse({"item": item, "left": outcome.left}, status_code=201)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """The actors live as long as the application: started before the first request."""
    async with ActorSystem("shop") as system:
        app.state.inventory = system.spawn(Inventory, STOCK, name="inventory")
        print("shop open", flush=True)
        yield
        # Leaving the block stops every actor gracefully, after the server
        # has finished the requests in flight.
    print("shop closed", flush=True)


def create_app() -> Starlette:
    """A fresh application (tests make one each)."""
    routes = [
        Route("/stock/{item}", stock),
        Route("/items", items),
        Route("/orders", order, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


app = create_app()


async def serve(port: int, backend: str) -> None:
    """Serve ``app`` with Hypercorn on loopback, on ``backend``, until SIGINT or SIGTERM."""
    from hypercorn.config import Config  # noqa: PLC0415 - the server only when run as a script

    listener = socket.create_server(("127.0.0.1", port))
    print(f"serving on http://127.0.0.1:{listener.getsockname()[1]}/", flush=True)
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]  # Hypercorn owns the socket from here

    async def stop_on_signal() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                return

    if backend == "trio":
        from hypercorn.trio import serve as serve_trio  # noqa: PLC0415

        await serve_trio(app, config, shutdown_trigger=stop_on_signal)  # type: ignore[arg-type]
    else:
        from hypercorn.asyncio import serve as serve_asyncio  # noqa: PLC0415

        await serve_asyncio(app, config, shutdown_trigger=stop_on_signal)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    options = parser.parse_args()
    anyio.run(serve, options.port, options.backend, backend=options.backend)
