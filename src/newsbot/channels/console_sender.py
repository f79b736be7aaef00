"""The console channel's outbox sender: prints plain-text chunks (the offline demo's 'chat')."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO


class ConsoleSender:
    """Writes each chunk to a stream; message ids count up like Telegram's."""

    channel = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._next_id = 0

    async def send(
        self,
        chat_id: str,
        html_chunk: str,
        *,
        buttons: Sequence[Sequence[dict[str, Any]]] = (),
        link_preview: bool = False,
        plain: bool = False,
    ) -> str:
        stream = self.stream or sys.stdout
        stream.write(html_chunk.rstrip() + "\n\n")
        stream.flush()
        self._next_id += 1
        return str(self._next_id)
