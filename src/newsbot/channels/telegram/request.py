"""python-telegram-bot's network layer on aiohttp's client, for the outbox sender's Bot.

PTB's own HTTPXRequest spends most of a send's CPU in httpx/httpcore, which polls every pooled
connection on each request: ~3 ms of CPU per Telegram message here, against ~1 ms through this
class (docs/delivery.md). The sender is the one part that sends at the channel's full rate, so it
uses this; polling for updates keeps PTB's default request (channels/telegram/watch.py).

It implements PTB's `BaseRequest.do_request` and nothing else: PTB still builds the request
(parameters as JSON-encoded form fields, files as multipart), parses the answer and raises its
own errors (RetryAfter, BadRequest ...) from the status and body returned here; only transport
failures are translated: timeouts to `TimedOut`, other client errors to `NetworkError`.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0


class AiohttpRequest(BaseRequest):
    """A BaseRequest with an aiohttp session of at most `connections` connections."""

    def __init__(self, connections: int = 8, *, read_timeout: float = DEFAULT_READ_TIMEOUT) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=_seconds(connect_timeout, DEFAULT_CONNECT_TIMEOUT),
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data),
                headers={"User-Agent": self.USER_AGENT},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _seconds(value: object, default: float) -> float | None:
    """PTB passes DEFAULT_NONE for 'use the default', None for 'no timeout', or seconds."""
    if isinstance(value, int | float):
        return float(value)
    return None if value is None else default


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """What HTTPXRequest sends: JSON-encoded fields as a form, multipart when there are files."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
