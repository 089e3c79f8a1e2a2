"""The examples of embedding actors in other code: a synchronous script and a web service."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import anyio
import httpx
import pytest

from tests.example_scripts import EXAMPLES, run_example

sys.path.insert(0, str(EXAMPLES))

import payroll_sync
import web_service

PAYROLL = """\
booked 120 for ada
booked 80 for bob
rejected 'ada,not a number': invalid literal for int() with base 10: 'not a number'
booked 45 for cy
booked 20 for bob
rejected 'dee': no amount in 'dee'
booked 15 for cy
booked 30 for ada
totals: {'ada': 150, 'bob': 100, 'cy': 60}
parser restarts: 2 (the pool kept 3 workers)
ledger closed after 6 entries
payroll stopped
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_payroll_sync(backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    payroll_sync.main(backend)
    assert capsys.readouterr().out == PAYROLL


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.timeout(30)
def test_payroll_sync_runs_as_a_script(backend: str) -> None:
    assert run_example("payroll_sync.py", "--backend", backend) == PAYROLL


async def _order(client: httpx.AsyncClient, item: str, quantity: object) -> httpx.Response:
    return await client.post("/orders", json={"item": item, "quantity": quantity})


@pytest.mark.anyio
async def test_web_service_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    app = web_service.create_app()
    transport = httpx.ASGITransport(app=app)
    async with (
        web_service.lifespan(app),
        httpx.AsyncClient(transport=transport, base_url="http://shop") as client,
    ):
        assert capsys.readouterr().out == "shop open\n"
        response = await client.get("/stock/apple")
        assert (response.status_code, response.json()) == (200, {"item": "apple", "left": 10})
        response = await client.get("/items")  # a def endpoint, in a worker thread
        assert (response.status_code, response.json()) == (200, {"apple": 10, "pear": 4})
        response = await client.get("/stock/plum")
        assert (response.status_code, response.json()) == (404, {"error": "no such item: plum"})
        # Ten concurrent orders for four pears: the actor serialises them, none oversells.
        responses: list[httpx.Response] = []

        async def one() -> None:
            responses.append(await _order(client, "pear", 1))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(one)
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [201] * 4 + [409] * 6
        assert sorted(r.json()["left"] for r in responses if r.status_code == 201) == [0, 1, 2, 3]
        assert {r.json()["error"] for r in responses if r.status_code == 409} == {
            "only 0 pear left, 1 ordered"
        }
        response = await _order(client, "apple", 3)
        assert (response.status_code, response.json()) == (201, {"item": "apple", "left": 7})
        for bad in (0, "3", True):
            assert (await _order(client, "apple", bad)).status_code == 400
        response = await client.post("/orders", content=b"not json")
        assert response.status_code == 400
    # Leaving the lifespan stopped the actors gracefully: on_stop ran.
    assert capsys.readouterr().out == (
        "inventory stopped with {'apple': 7, 'pear': 0}\nshop closed\n"
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.timeout(30)
def test_web_service_under_hypercorn_over_loopback(backend: str) -> None:
    script = str(EXAMPLES / "web_service.py")
    server = subprocess.Popen(
        [sys.executable, script, "--port", "0", "--backend", backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.fullmatch(r"serving on (http://127\.0\.0\.1:\d+/)\n", first)
        assert match is not None, first
        with httpx.Client(base_url=match[1], timeout=10) as client:
            # The socket listens before the server accepts: connections wait in its backlog.
            response = client.get("/stock/pear")
            assert (response.status_code, response.json()) == (200, {"item": "pear", "left": 4})
            response = client.post("/orders", json={"item": "pear", "quantity": 3})
            assert (response.status_code, response.json()) == (201, {"item": "pear", "left": 1})
            response = client.get("/items")
            assert (response.status_code, response.json()) == (200, {"apple": 10, "pear": 1})
            response = client.post("/orders", json={"item": "pear", "quantity": 3})
            assert (response.status_code, response.json()) == (
                409,
                {"error": "only 1 pear left, 3 ordered"},
            )
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=20)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode == 0, err
    assert out == "shop open\ninventory stopped with {'apple': 10, 'pear': 1}\nshop closed\n"
    assert "Traceback" not in err, err
