"""The console channel's sender: prints plain-text chunks (the offline demo's 'chat')."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from newsbot.core.channels import Outbound


class ConsoleSender:
    """Writes each chunk to a stream; message ids count up like Telegram's. An edit is printed
    as a new message (a terminal cannot change what it already showed)."""

    def __init__(self, stream: TextIO | None = None, lock: threading.Lock | None = None) -> None:
        self.stream = stream
        self._lock = lock or threading.Lock()  # the chat loop may print at the same time
        self._next_id = 0

    async def send(self, message: Outbound) -> str:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(message.text.rstrip() + "\n\n")
            stream.flush()
            self._next_id += 1
            return str(self._next_id)
