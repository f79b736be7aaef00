"""What a channel hands the HTTP front: routes whose handlers see neutral requests.

Handlers take an `HttpRequest` and return an `HttpResponse`; they never import the server
library, so a channel's callback (WeChat, WeCom, the Telegram webhook) is tested and reused
without it, and the server could be swapped behind `front.server` alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

DEFAULT_MAX_BODY = 1024 * 1024  # Telegram updates stay far below; a route may ask for less


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # case-insensitive in the server; look up with canonical names
    body: bytes = b""
    params: Mapping[str, str] = field(default_factory=dict)  # from the route pattern: /d/{token}


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, text: str, status: int = 200, **headers: str) -> HttpResponse:
        return cls(status, text.encode("utf-8"), headers=headers)

    @classmethod
    def html(cls, html: str, status: int = 200, **headers: str) -> HttpResponse:
        return cls(status, html.encode("utf-8"), "text/html; charset=utf-8", headers)


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    """One method and path (aiohttp-style pattern, e.g. /d/{token}) and its handler.

    `max_body` is enforced before the handler runs: a larger body gets 413 and is never read
    whole into memory."""

    method: str
    path: str
    handler: Handler
    max_body: int = DEFAULT_MAX_BODY
    name: str = ""  # for logs: which channel owns the route
