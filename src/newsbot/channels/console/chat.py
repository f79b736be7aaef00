"""The console channel: lines from stdin in, plain text out, through the same conversation.

Works in a terminal and piped (tests drive `newsbot chat` as a subprocess). Buttons are shown
as numbered choices, `[1] 下一页 ›`; typing the number alone presses the button (the mapping is
screen state only; everything about the subscriber lives in the database). /quit or end of
input ends the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from typing import Protocol, TextIO

from newsbot.core.incoming import Incoming, Response
from newsbot.core.render import render_plain
from newsbot.core.replies import Button

CHANNEL = "console"
QUIT = frozenset({"/quit", "/exit", "/q"})


class Handler(Protocol):
    async def handle(self, incoming: Incoming) -> Response: ...


class ConsoleChat:
    """The terminal conversation loop (used by `newsbot chat` and the console channel)."""

    def __init__(
        self,
        conversation: Handler,
        stdin: TextIO,
        stdout: TextIO,
        *,
        chat_id: str = "console",
        user_name: str = "",
        prompt: bool = False,
    ) -> None:
        self.conversation = conversation
        self.stdin = stdin
        self.stdout = stdout
        self.chat_id = chat_id
        self.user_name = user_name
        self.prompt = prompt
        self._buttons: list[Button] = []
        self.lock = threading.Lock()  # the console sender may print at the same time

    async def run(self) -> None:
        """Read lines until /quit or end of input, answering each one."""
        lines = _line_queue(self.stdin)
        while True:
            self._show_prompt()
            line = await lines.get()
            if line is None:
                return
            text = line.rstrip("\r\n")
            if text.strip().lower() in QUIT:
                return
            if text.strip():
                self.show(await self.conversation.handle(self._incoming(text)))

    def _incoming(self, text: str) -> Incoming:
        choice = text.strip()
        if choice.isdigit() and 1 <= int(choice) <= len(self._buttons):
            data = self._buttons[int(choice) - 1].data
            if data is not None:
                return Incoming(
                    CHANNEL, self.chat_id, chat_type="private", callback_data=data, is_admin=True
                )
        return Incoming(CHANNEL, self.chat_id, text, user_name=self.user_name, is_admin=True)

    def show(self, response: Response) -> None:
        out: list[str] = []
        if response.notice:
            out.append(f"（{response.notice}）")
        buttons: list[Button] = []
        for message in response.messages:
            out.extend(render_plain(message))
            for row in message.buttons:
                buttons.extend(b for b in row if b.data or b.url)
        if response.messages:
            self._buttons = buttons
        if buttons:
            out.append("  ".join(_label(n, b) for n, b in enumerate(buttons, start=1)))
        self.write("\n\n".join(out))

    def write(self, text: str) -> None:
        if not text:
            return
        with self.lock:
            self.stdout.write(text.rstrip() + "\n\n")
            self.stdout.flush()

    def _show_prompt(self) -> None:
        if self.prompt:
            with self.lock:
                self.stdout.write("> ")
                self.stdout.flush()


def _label(number: int, button: Button) -> str:
    return f"[{number}] {button.label}" + (f" {button.url}" if button.url else "")


def _line_queue(stream: TextIO) -> asyncio.Queue[str | None]:
    """Lines from a blocking stream, read by a daemon thread (so a pending read never keeps the
    process alive at shutdown); None marks the end of input."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    if isinstance(stream, io.TextIOWrapper):
        # bytes that are not UTF-8 arrive as lone surrogates (which the conversation layer
        # drops) instead of ending the chat with a UnicodeDecodeError
        stream.reconfigure(errors="surrogateescape")

    def pump() -> None:
        with contextlib.suppress(OSError, ValueError, RuntimeError):  # closed stream or loop
            for line in iter(stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop may be closed already
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
