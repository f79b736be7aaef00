"""The console as a channel (ports.Channel): the smallest worked example (docs/channels.md).

Profile: plain text, no size limit, no flood limits, numbered choices instead of buttons, and
`terminal`: it takes over the terminal, so `newsbot run` starts it only when nothing else talks
to subscribers and a person is at the keyboard. Inbound: lines from stdin through the chat loop;
end of input or /quit asks the service to stop. Outbound: digests and alerts printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from typing import TextIO

from newsbot.channels.console.chat import ConsoleChat
from newsbot.channels.console.sender import ConsoleSender
from newsbot.config import Settings
from newsbot.core.channels import ChannelProfile, Dialect, Limits, Pacing, SizeUnit
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext

NAME = "console"
PROFILE = ChannelProfile(
    name=NAME,
    dialect=Dialect.PLAIN,
    limits=Limits(None, SizeUnit.CHARS),
    pacing=Pacing(),
    terminal=True,
)


class ConsoleChannel:
    name = NAME
    profile = PROFILE

    def __init__(
        self, settings: Settings, stdin: TextIO | None = None, stdout: TextIO | None = None
    ) -> None:
        self.settings = settings
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._task: asyncio.Task[None] | None = None
        self._chat: ConsoleChat | None = None
        self._sender = ConsoleSender(self.stdout)

    @property
    def configured(self) -> bool:
        return self.settings.console.enabled

    @property
    def sender(self) -> ConsoleSender:
        return self._sender

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        return []  # nothing arrives over HTTP

    async def start(self, context: ChannelContext) -> None:
        self._chat = ConsoleChat(
            context,
            self.stdin,
            self.stdout,
            chat_id=self.settings.console.chat_id,
            prompt=self.stdin.isatty(),
        )
        self._sender = ConsoleSender(self.stdout, self._chat.lock)
        self._chat.write("newsbot console: /start, /help, /search 党建, /digest; /quit to leave.")

        async def run() -> None:
            assert self._chat is not None
            try:
                await self._chat.run()
            finally:
                context.request_stop()  # /quit or end of input ends `newsbot run`

        self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
