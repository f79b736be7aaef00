"""`newsbot run` as a real subprocess for the supervision tests: start it, read its log lines as
they come, ask its /healthz, stop it with a signal and time how long it takes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx


def start_newsbot(config: Path, env: dict[str, str], *args: str) -> Running:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    environ.update(PYTHONIOENCODING="utf-8", NEWSBOT_HTTP_PORT="0")  # any free port
    environ.update(env)
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot", "--config", str(config), "run", "--no-console", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=environ,
    )
    return Running(process)


class Running:
    """The process and its stderr, read line by line in a thread (so a test can wait for one)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True
        )
        self.reader.start()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for_line(self, text: str, timeout: float = 60, after: int = 0) -> int:
        """Wait for a log line holding `text` (from line `after` on); its index."""
        deadline = time.monotonic() + timeout
        while True:
            for index in range(after, len(self.lines)):
                if text in self.lines[index]:
                    return index
            assert self.alive(), self.log
            assert time.monotonic() < deadline, f"no line with {text!r}:\n{self.log}"
            time.sleep(0.05)

    def http_base(self) -> str:
        """The HTTP front's address, from its start line (the port is chosen by the OS)."""
        index = self.wait_for_line("HTTP front on ")
        return self.lines[index].split("HTTP front on ", 1)[1].split()[0]

    def health(self) -> tuple[int, dict[str, Any]]:
        answer = httpx.get(f"{self.http_base()}/healthz", timeout=30)
        return answer.status_code, json.loads(answer.text)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, float]:
        """Send `sig`; (exit status, seconds until the process ended)."""
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        elapsed = time.monotonic() - started
        self.reader.join(5)
        return code, elapsed

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()


def wait_until(predicate: Any, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
