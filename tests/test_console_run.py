"""`newsbot run` as a subprocess: serves Telegram (the fake Bot API) and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fakes.bot_api import FakeBotAPI
from fakes.chat_world import build_world

pytestmark = pytest.mark.timeout(120)


def start_run(config: Path, extra_env: dict[str, str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(PYTHONIOENCODING="utf-8", NEWSBOT_HTTP_PORT="0")  # any free port
    env.update(extra_env)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsbot",
            "--config",
            str(config),
            "run",
            "--no-console",
            "--no-poll",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
    )


class Running:
    """The process and its stderr, read line by line in a thread (so we can wait for a line)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        self.reader = threading.Thread(
            target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True
        )
        self.reader.start()

    def wait_for_line(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.process.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def http_base(self) -> str:
        """The HTTP front's address, from its start line (the port is chosen by the OS)."""
        self.wait_for_line("HTTP front on ")
        line = next(line for line in self.lines if "HTTP front on " in line)
        return line.split("HTTP front on ", 1)[1].split()[0]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        self.reader.join(5)
        return code, "".join(self.lines)


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    build_world(sqlite_url).close()
    path = tmp_path / "newsbot.toml"
    path.write_text(f'[storage]\ndatabase_url = "{sqlite_url}"\n', encoding="utf-8")
    return path


def test_run_serves_telegram_and_stops_on_sigterm(config: Path) -> None:
    with FakeBotAPI() as api:
        env = {"NEWSBOT_TELEGRAM_TOKEN": api.token, "NEWSBOT_TELEGRAM_BASE_URL": api.base_url}
        running = Running(start_run(config, env))
        try:
            running.wait_for_line("newsbot running")
            api.inject_message(42, "/start")
            api.wait_for(lambda: len(api.messages(42)) == 1, timeout=30)
        finally:
            code, err = running.stop()
    assert "欢迎" in api.messages(42)[0]["plain"]
    assert code == 0, err
    assert "newsbot stopping" in err
    assert api.token.split(":")[1] not in err  # the token never reaches the log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_headless_run_stops_on_a_signal(config: Path, sig: int) -> None:
    running = Running(start_run(config, {}))
    running.wait_for_line("newsbot running")
    code, err = running.stop(sig)
    assert code == 0, err
    assert "newsbot stopping" in err


def test_headless_run_serves_health_and_metrics_on_the_http_front(config: Path) -> None:
    import json

    import httpx

    running = Running(start_run(config, {}))
    try:
        running.wait_for_line("newsbot running")
        base = running.http_base()
        health = httpx.get(f"{base}/healthz", timeout=10)
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
    finally:
        code, err = running.stop()
    assert health.status_code == 200  # up; degraded: no source was ever fetched (--no-poll)
    status = json.loads(health.text)
    assert status["state"] == "degraded" and status["ok"] is False
    assert any("has ever been fetched" in reason for reason in status["reasons"])
    assert "newsbot_articles " in metrics
    assert "newsbot_subscribers_active " in metrics
    assert code == 0, err


def test_a_taken_port_is_one_clear_line(config: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_run(config, {"NEWSBOT_HTTP_PORT": str(port)})
        _, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert "config error: http.port: cannot listen on 127.0.0.1:" in err
    assert "Traceback" not in err


def test_run_in_webhook_mode_takes_updates_on_the_front(config: Path) -> None:
    import httpx

    update = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": 77, "type": "private", "first_name": "读者"},
            "from": {"id": 77, "is_bot": False, "first_name": "读者"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    with FakeBotAPI() as api:
        env = {
            "NEWSBOT_TELEGRAM_TOKEN": api.token,
            "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
            "NEWSBOT_TELEGRAM_MODE": "webhook",
            "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "hook-secret-1",
            "NEWSBOT_HTTP_PUBLIC_URL": "https://news.example.invalid",
        }
        running = Running(start_run(config, env))
        try:
            running.wait_for_line("channel telegram started")  # channels start in the background
            assert api.webhook_url == "https://news.example.invalid/telegram"
            headers = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-1"}
            posted = httpx.post(
                f"{running.http_base()}/telegram", json=update, headers=headers, timeout=10
            )
            assert posted.status_code == 200
            api.wait_for(lambda: len(api.messages(77)) == 1, timeout=30)
        finally:
            code, err = running.stop()
    assert "欢迎" in api.messages(77)[0]["plain"]
    assert code == 0, err
    assert "hook-secret-1" not in err
