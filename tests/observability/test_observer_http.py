"""actors.observer over real loopback HTTP, on asyncio and trio: page, JSON, events, actions."""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from attrs import frozen

from actors import Actor, ActorRef, ActorSystem, ActorSystemClosed
from actors.observer import Observer, serve_observer

pytestmark = pytest.mark.anyio


@frozen
class Deposit:
    amount: int


@frozen
class Forward:
    to: ActorRef
    amount: int


class Account(Actor):
    def __init__(self) -> None:
        self.balance = 0

    def receive(self, message: Any) -> Any:
        match message:
            case Deposit(amount):
                self.balance += amount
            case Forward(to, amount):
                to.tell(Deposit(amount))
            case "crash":
                raise RuntimeError("ledger corrupted")
            case "balance":
                return self.balance
            case _:
                return super().receive(message)  # a dead letter, "unhandled"
        return self.balance


class Bank(Actor):
    def on_start(self) -> None:
        self.context.spawn(Account, name="ada")
        self.context.spawn(Account, name="bob")

    def receive(self, message: Any) -> Any:
        return [ref.path for ref in self.context.children]


@asynccontextmanager
async def observed(
    **options: Any,
) -> AsyncIterator[tuple[ActorSystem, Observer, httpx.AsyncClient]]:
    async with ActorSystem("bank") as system:
        bank = system.spawn(Bank, name="bank")
        await bank.ask("children")
        observer = await serve_observer(system, message_types=[Deposit, Forward], **options)
        async with httpx.AsyncClient(base_url=observer.url, timeout=5) as client:
            yield system, observer, client


def node(tree: dict[str, Any], path: str) -> dict[str, Any]:
    if tree["path"] == path:
        return tree
    for child in tree["children"]:
        if path.startswith(child["path"]):
            return node(child, path)
    raise AssertionError(f"{path} is not in the tree")


async def test_the_page_and_the_snapshot_show_the_tree() -> None:
    async with observed() as (system, observer, client):
        assert observer.url == f"http://127.0.0.1:{observer.port}/"
        page = await client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "<title>anyactors observer</title>" in page.text
        script = await client.get("/static/observer.js")
        assert "EventSource" in script.text
        assert (await client.get("/static/nope.js")).status_code == 404
        ada = system.lookup("bank/ada")
        assert ada is not None
        await ada.ask(Deposit(5))
        with pytest.raises(RuntimeError):
            await ada.ask("crash")
        ada.tell(("odd",))
        await ada.ask("balance")
        snapshot = (await client.get("/api/snapshot")).json()
    tree = snapshot["tree"]
    assert tree["path"] == "/user"
    assert [child["path"] for child in tree["children"]] == ["/user/bank"]
    bank = node(tree, "/user/bank")
    assert [child["name"] for child in bank["children"]] == ["ada", "bob"]
    shown = node(tree, "/user/bank/ada")
    assert {key: shown[key] for key in ("class", "handled", "failures", "restarts", "mailbox")} == {
        "class": "Account",
        "handled": 4,
        "failures": 1,
        "restarts": 1,
        "mailbox": 0,
    }
    assert snapshot["system"]["actors_alive"] == 3
    assert snapshot["dead_letters"] == {"tuple": 1}
    [failure] = snapshot["failures"]
    assert failure["path"] == "/user/bank/ada"
    assert failure["error"] == "RuntimeError: ledger corrupted"
    assert failure["message_type"] == "str"
    assert 'raise RuntimeError("ledger corrupted")' in failure["traceback"]
    assert snapshot["recent_dead_letters"][0]["type"] == "tuple"
    assert snapshot["actions"] is False
    assert snapshot["message_types"] == [
        {"name": "Deposit", "fields": ["amount"]},
        {"name": "Forward", "fields": ["to", "amount"]},
    ]


async def read_events(observer: Observer) -> AsyncGenerator[dict[str, Any]]:
    """The snapshots of the event stream, read off a plain socket.

    (httpx's line iterators are async generators nested four deep, which trio
    reports as never finalized when a test stops reading an endless stream.)
    """
    async with await anyio.connect_tcp(observer.host, observer.port) as stream:
        request = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        await stream.send(request.encode())
        buffer = b""
        while True:
            buffer += await stream.receive()
            while (match := re.search(rb"data: (.*?)\n\n", buffer)) is not None:
                buffer = buffer[match.end() :]
                yield dict(json.loads(match[1]))


async def test_events_push_a_snapshot_at_once_and_on_every_change() -> None:
    async with observed(interval=0.02) as (system, observer, _client):
        ada = system.lookup("bank/ada")
        assert ada is not None
        handled = []
        events = read_events(observer)
        try:
            with anyio.fail_after(5):
                async for snapshot in events:
                    handled.append(node(snapshot["tree"], "/user/bank/ada")["handled"])
                    if len(handled) == 1:
                        ada.tell(Deposit(1))
                    elif handled[-1] == 1:
                        break
        finally:
            await events.aclose()
    assert handled[0] == 0


async def test_actions_are_off_by_default() -> None:
    async with observed() as (_system, observer, client):
        response = await client.post(
            "/api/actors/stop",
            json={"path": "/user/bank/ada"},
            headers={"X-Observer-Token": observer.token},
        )
    assert response.status_code == 403
    assert response.json() == {
        "error": "actions are disabled; serve the observer with actions=True to allow them"
    }


async def test_actions_need_the_token() -> None:
    async with observed(actions=True) as (system, observer, client):
        for headers in ({}, {"X-Observer-Token": "guess"}):
            response = await client.post(
                "/api/actors/stop", json={"path": "/user/bank/ada"}, headers=headers
            )
            assert response.status_code == 403
            assert response.json()["error"].startswith("this action needs the observer's token")
        assert system.lookup("bank/ada") is not None
        response = await client.post(
            f"/api/actors/stop?token={observer.token}", json={"path": "/user/bank/ada"}
        )
        assert response.json() == {"stopped": "/user/bank/ada"}
        assert system.lookup("bank/ada") is None


async def test_inject_a_failure_and_watch_the_restart() -> None:
    async with observed(actions=True) as (system, observer, client):
        headers = {"X-Observer-Token": observer.token}
        ada = system.lookup("bank/ada")
        assert ada is not None
        await ada.ask(Deposit(7))
        response = await client.post("/api/actors/fail", json={"path": ada.path}, headers=headers)
        assert response.json() == {"failed": "/user/bank/ada"}
        assert await ada.ask("balance") == 0  # a fresh instance
        stats = ada.statistics()
        assert (stats.failures, stats.restarts) == (1, 1)
        snapshot = (await client.get("/api/snapshot")).json()
        [failure] = snapshot["failures"]
        assert failure["error"] == (
            "InjectedFailure: failure injected into /user/bank/ada from the observer"
        )
        assert node(snapshot["tree"], "/user/bank/ada")["restarts"] == 1
        missing = await client.post("/api/actors/fail", json={"path": "bank/zoe"}, headers=headers)
        assert missing.status_code == 404
        assert missing.json() == {"error": "no live actor at 'bank/zoe'"}
        bad = await client.post("/api/actors/fail", content=b"[", headers=headers)
        assert bad.status_code == 400


async def test_send_a_message_built_from_a_registered_type() -> None:
    async with observed(actions=True) as (system, observer, client):
        headers = {"X-Observer-Token": observer.token}
        sent = await client.post(
            "/api/actors/send",
            json={
                "path": "/user/bank/ada",
                "type": "Forward",
                "fields": {"to": {"$ref": "/user/bank/bob"}, "amount": 3},
            },
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
        bob = system.lookup("bank/bob")
        assert bob is not None
        ada = system.lookup("bank/ada")
        assert ada is not None
        await ada.ask("balance")
        assert await bob.ask("balance") == 3
        unknown = await client.post(
            "/api/actors/send", json={"path": "bank/ada", "type": "Steal"}, headers=headers
        )
        assert unknown.status_code == 400
        assert unknown.json() == {
            "error": "unknown message type 'Steal'; registered types: Deposit, Forward"
        }
        wrong = await client.post(
            "/api/actors/send",
            json={"path": "bank/ada", "type": "Deposit", "fields": {"sum": 1}},
            headers=headers,
        )
        assert wrong.status_code == 400
        assert wrong.json()["error"].startswith("could not build Deposit from {'sum': 1}: ")


async def test_only_loopback_host_names_are_served() -> None:
    async with observed() as (_system, _observer, client):
        response = await client.get("/api/snapshot", headers={"Host": "evil.example"})
    assert response.status_code == 400  # a DNS-rebinding page cannot read the system


async def test_close_stops_the_server_and_the_system_carries_on() -> None:
    async with observed() as (system, observer, client):
        observer.close()
        with anyio.fail_after(5):
            await observer.wait_closed()
        with pytest.raises(httpx.ConnectError):
            await client.get("/api/snapshot")
        bank = system.lookup("bank")
        assert bank is not None
        assert await bank.ask("children") == ["/user/bank/ada", "/user/bank/bob"]


async def test_bad_arguments_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ActorSystemClosed, match=r"^actor system 'idle' has not been started$"):
        await serve_observer(ActorSystem("idle"))
    async with ActorSystem() as system:
        with pytest.raises(
            ValueError, match=r"^port must be a whole number from 0 to 65535 \(got -1\)$"
        ):
            await serve_observer(system, port=-1)
        with pytest.raises(ValueError, match=r"^interval must be > 0 seconds \(got 0\)$"):
            await serve_observer(system, interval=0)
        monkeypatch.setitem(sys.modules, "actors.observer._app", None)
        with pytest.raises(
            ImportError,
            match=r"^serve_observer needs the observer extra .*: pip install 'anyactors\[observer\]'$",
        ):
            await serve_observer(system)


async def test_the_command_line_prints_the_tree() -> None:
    async with observed() as (_system, observer, _client):
        done = await anyio.run_process(
            [sys.executable, "-m", "actors.observer", observer.url, "--once"], check=False
        )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "bank: 3 actors alive, run queue 0, dead letters 0"
    assert [line.split(" (")[0] for line in lines[1:]] == ["user", "  bank", "    ada", "    bob"]


def test_the_command_line_says_when_nothing_listens() -> None:
    from actors.observer.__main__ import main

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main([f"http://127.0.0.1:{port}/", "--once"]) == 1
