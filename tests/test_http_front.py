"""The HTTP front (aiohttp on loopback): routing, body caps, and a failing handler."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from newsbot.front import HttpFront, HttpRequest, HttpResponse, Route


async def echo(request: HttpRequest) -> HttpResponse:
    name = request.params.get("name", "")
    text = (
        f"{request.method} {request.path} {name} {request.query.get('q', '')} {len(request.body)}"
    )
    return HttpResponse.text(text, headers_seen=request.headers.get("X-Test", ""))


async def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a handler")


@pytest.fixture
async def front() -> AsyncIterator[HttpFront]:
    server = HttpFront("127.0.0.1", 0)
    server.add(
        [
            Route("POST", "/small", echo, max_body=64, name="test"),
            Route("GET", "/items/{name}", echo, name="test"),
            Route("GET", "/broken", broken, name="test"),
        ]
    )
    await server.start()
    yield server
    await server.stop()


async def test_routes_params_and_headers(front: HttpFront) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{front.port}") as client:
        answer = await client.get("/items/党建?q=7", headers={"X-Test": "yes"})
        assert answer.text == "GET /items/党建 党建 7 0"
        assert answer.headers["headers_seen"] == "yes"
        assert (await client.post("/small", content=b"x" * 64)).status_code == 200
        assert (await client.get("/missing")).status_code == 404


async def test_bodies_over_the_route_cap_are_refused(front: HttpFront) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{front.port}") as client:
        assert (await client.post("/small", content=b"x" * 65)).status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked encoding
            for _ in range(10):
                yield b"y" * 20

        assert (await client.post("/small", content=chunks())).status_code == 413
        assert (await client.post("/small", content=b"ok")).status_code == 200  # still serving


async def test_a_failing_handler_is_a_500_and_the_front_keeps_serving(front: HttpFront) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{front.port}") as client:
        assert (await client.get("/broken")).status_code == 500
        assert (await client.get("/items/a")).status_code == 200


def test_a_route_registered_twice_is_an_error() -> None:
    server = HttpFront()
    server.add([Route("GET", "/x", echo)])
    with pytest.raises(ValueError, match="twice"):
        server.add([Route("get", "/x", echo)])


async def test_processes_share_a_port_only_when_told() -> None:
    first = HttpFront("127.0.0.1", 0, reuse_port=True)
    first.add([Route("GET", "/items/{name}", echo, name="test")])
    await first.start()
    second = HttpFront("127.0.0.1", first.port, reuse_port=True)  # another `newsbot run`
    second.add([Route("GET", "/items/{name}", echo, name="test")])
    alone = HttpFront("127.0.0.1", first.port)
    try:
        await second.start()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{first.port}") as client:
            assert (await client.get("/items/a")).status_code == 200
        await first.stop()  # the other process keeps serving the port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{second.port}") as client:
            assert (await client.get("/items/b")).text.startswith("GET /items/b")
        with pytest.raises(OSError):
            await alone.start()  # without reuse_port the port is taken
    finally:
        await alone.stop()
        await second.stop()
        await first.stop()
