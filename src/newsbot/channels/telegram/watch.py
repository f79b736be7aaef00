"""Whether Telegram answers our long polling: failures and the first success after them go to
the channel host (ports.ChannelContext.channel_trouble), which pauses sending meanwhile and lets
/healthz say so. PTB keeps retrying getUpdates itself (1 s growing to 30 s); we only listen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)
Report = Callable[[str | None], None]


class PollingWatch:
    """Turns PTB's polling errors and successful getUpdates answers into trouble reports."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self.in_trouble = False

    def failed(self, exc: TelegramError) -> None:
        """Updater.start_polling(error_callback=...): one line, no traceback; must not raise."""
        self.in_trouble = True
        try:
            self._report(f"getUpdates failed: {type(exc).__name__}: {exc}")
        except Exception:  # a report must never end PTB's polling loop
            log.exception("telegram trouble report failed")

    def answered(self) -> None:
        if not self.in_trouble:
            return
        self.in_trouble = False
        try:
            self._report(None)
        except Exception:
            log.exception("telegram recovery report failed")

    def request(self) -> HTTPXRequest:
        """The getUpdates connection, telling us each time Telegram answered."""
        return _WatchedRequest(self)


class _WatchedRequest(HTTPXRequest):
    def __init__(self, watch: PollingWatch) -> None:
        super().__init__(connection_pool_size=1)
        self._watch = watch

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code < 500:
            self._watch.answered()
        return code, payload
