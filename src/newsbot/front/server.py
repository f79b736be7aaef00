"""The HTTP front: one aiohttp server for every inbound request (docs/http.md says why aiohttp).

Routes come from their owners (health, each channel, the digest pages); the front only
translates between aiohttp and the neutral HttpRequest/HttpResponse, caps bodies, and turns a
handler's unexpected error into a 500 while the server keeps running.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from newsbot.front.routes import HttpRequest, HttpResponse, Route

log = logging.getLogger(__name__)
_HARD_BODY_CAP = 4 * 1024 * 1024  # aiohttp's own cap, above every route's


class HttpFront:
    """Collects routes, then serves them on one host and port until stopped."""

    def __init__(
        self, listen: str = "127.0.0.1", port: int = 8080, *, reuse_port: bool = False
    ) -> None:
        self.listen = listen
        self._wanted_port = port
        self.reuse_port = reuse_port  # share the port with other processes (SO_REUSEPORT)
        self._routes: dict[tuple[str, str], Route] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def add(self, routes: Iterable[Route]) -> None:
        for route in routes:
            key = (route.method.upper(), route.path)
            if key in self._routes:
                raise ValueError(f"route {key[0]} {key[1]} is registered twice")
            self._routes[key] = route

    @property
    def paths(self) -> list[str]:
        return sorted({path for _, path in self._routes})

    @property
    def port(self) -> int:
        """The bound port (useful when started with port 0)."""
        if self._site is None or self._runner is None:
            return self._wanted_port
        for address in self._runner.addresses:
            return int(address[1])
        return self._wanted_port

    async def start(self) -> None:
        app = web.Application(client_max_size=_HARD_BODY_CAP)
        for (method, path), route in self._routes.items():
            app.router.add_route(method, path, _adapt(route))
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(
            self._runner,
            self.listen,
            self._wanted_port,
            backlog=1024,
            reuse_port=self.reuse_port or None,
        )
        await self._site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = self._site = None


def _adapt(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        length = request.content_length
        if length is not None and length > route.max_body:
            return web.Response(status=413, text="request body too large\n")
        body = await _read_capped(request, route.max_body)
        if body is None:  # chunked bodies have no Content-Length to refuse up front
            return web.Response(status=413, text="request body too large\n")
        neutral = HttpRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=request.headers,
            body=body,
            params=dict(request.match_info),
        )
        try:
            answer = await route.handler(neutral)
        except Exception:  # the top of a handler: log, answer 500, keep serving
            log.exception("%s %s failed (%s)", request.method, request.path, route.name)
            answer = HttpResponse.text("internal error\n", 500)
        return _to_aiohttp(answer)

    return handle


async def _read_capped(request: web.Request, cap: int) -> bytes | None:
    """The body, or None as soon as it passes `cap` (the rest is never read)."""
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(cap + 1 - size)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            return None


def _to_aiohttp(answer: HttpResponse) -> web.Response:
    response = web.Response(status=answer.status, body=answer.body, headers=dict(answer.headers))
    response.headers["Content-Type"] = answer.content_type
    return response
