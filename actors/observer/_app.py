"""The observer's web application (Starlette): the page, its JSON, its events, its actions."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ._core_hooks import inject_failure
from ._snapshot import dumps

if TYPE_CHECKING:
    from actors import ActorRef

    from ._server import Observer

#: The header (or ``?token=`` query parameter) that carries the actions token.
TOKEN_HEADER = "X-Observer-Token"

_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "observer.css": "text/css; charset=utf-8",
    "observer.js": "text/javascript; charset=utf-8",
}
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "Referrer-Policy": "no-referrer",
}


def _static(name: str) -> bytes:
    return resources.files("actors.observer").joinpath("static", name).read_bytes()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_SECURITY_HEADERS)


def build_app(observer: Observer) -> Starlette:
    """The ASGI application of ``observer``."""
    pages = {name: _static(name) for name in _STATIC}

    async def page(request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in pages:
            return _error(404, f"no such file {name!r}")
        return Response(pages[name], media_type=_STATIC[name], headers=_SECURITY_HEADERS)

    async def snapshot(_request: Request) -> Response:
        return Response(
            dumps(observer.sample()), media_type="application/json", headers=_SECURITY_HEADERS
        )

    async def events(_request: Request) -> Response:
        return StreamingResponse(
            observer.event_lines(),
            media_type="text/event-stream",
            headers={**_SECURITY_HEADERS, "X-Accel-Buffering": "no"},
        )

    async def action(request: Request) -> Response:
        if not observer.actions:
            return _error(
                403, "actions are disabled; serve the observer with actions=True to allow them"
            )
        given = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
        if not hmac.compare_digest(given.encode(), observer.token.encode()):
            return _error(
                403,
                f"this action needs the observer's token (header {TOKEN_HEADER} or ?token=); "
                "it is logged when the observer starts",
            )
        try:
            body: Any = await request.json()
        except ValueError:
            return _error(400, 'the body must be a JSON object such as {"path": "/user/bank/ada"}')
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            return _error(400, 'the body must be a JSON object such as {"path": "/user/bank/ada"}')
        ref = observer.system.lookup(body["path"])
        if ref is None:
            return _error(404, f"no live actor at {body['path']!r}")
        kind = request.path_params["action"]
        if kind == "stop":
            await observer.system.stop(ref)
            return JSONResponse({"stopped": ref.path}, headers=_SECURITY_HEADERS)
        if kind == "fail":
            if not await inject_failure(observer.system, ref):
                return _error(409, f"{ref.path} has stopped")
            return JSONResponse({"failed": ref.path}, headers=_SECURITY_HEADERS)
        return _send(observer, ref, body)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        observer._ready.set()
        yield

    return Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", page),
            Route("/api/snapshot", snapshot),
            Route("/api/events", events),
            Route("/api/actors/{action:str}", action, methods=["POST"]),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=observer.allowed_hosts)],
        lifespan=lifespan,
    )


def _send(observer: Observer, ref: ActorRef, body: dict[str, Any]) -> Response:
    name = body.get("type")
    message_type = observer.message_types.get(name) if isinstance(name, str) else None
    if message_type is None:
        known = ", ".join(observer.message_types) or "none; pass message_types=[...]"
        return _error(400, f"unknown message type {name!r}; registered types: {known}")
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        return _error(400, f"fields must be a JSON object (got {fields!r})")
    arguments = {}
    for key, value in fields.items():
        if isinstance(value, dict) and set(value) == {"$ref"}:
            target = observer.system.lookup(str(value["$ref"]))
            if target is None:
                return _error(404, f"field {key}: no live actor at {value['$ref']!r}")
            value = target  # noqa: PLW2901 - the resolved ref replaces its path
        arguments[key] = value
    try:
        message = message_type(**arguments)
    except (TypeError, ValueError) as error:
        return _error(400, f"could not build {name} from {fields!r}: {error}")
    ref.tell(message)
    return JSONResponse({"sent": repr(message), "to": ref.path}, headers=_SECURITY_HEADERS)
