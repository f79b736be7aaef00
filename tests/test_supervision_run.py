"""`newsbot run` (a real subprocess) when Telegram cannot be reached at start, and when a signal
arrives during a slow poll."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from fakes.bot_api import FakeBotAPI
from fakes.chat_world import build_world
from fakes.origin import Origin, Reply, rss
from run_support import start_newsbot, wait_until

pytestmark = pytest.mark.timeout(180)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    build_world(sqlite_url).close()
    path = tmp_path / "newsbot.toml"
    path.write_text(
        f'[storage]\ndatabase_url = "{sqlite_url}"\n[supervision]\nbackoff_cap_seconds = 2\n',
        encoding="utf-8",
    )
    return path


def test_telegram_down_at_start_is_retried_until_it_answers(config: Path) -> None:
    port = free_port()  # nothing listens here yet: the network is "down"
    api = FakeBotAPI()
    env = {
        "NEWSBOT_TELEGRAM_TOKEN": api.token,
        "NEWSBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
    }
    running = start_newsbot(config, env, "--no-poll")
    try:
        running.wait_for_line("newsbot running")  # the rest of the service does not wait
        first = running.wait_for_line("channel telegram cannot start")
        running.wait_for_line("channel telegram cannot start", after=first + 1)
        status, health = running.health()
        assert status == 200 and health["state"] == "degraded", health
        (reason,) = [r for r in health["reasons"] if r.startswith("channel:telegram")]
        assert "NetworkError" in reason
        assert health["components"]["channel:telegram"]["up"] is False
        time.sleep(5)  # a few more attempts, capped at 2 s apart
        assert running.alive()

        api.start(port)
        running.wait_for_line("channel telegram started", timeout=30)
        api.inject_message(42, "/start")
        api.wait_for(lambda: len(api.messages(42)) == 1, timeout=30)
        assert "欢迎" in api.messages(42)[0]["plain"]
        wait_until(
            lambda: not any(r.startswith("channel:") for r in running.health()[1]["reasons"]),
            what="the channel's reason to go",  # (the world's sources were never fetched)
        )
        assert running.health()[1]["components"]["channel:telegram"]["up"] is True
    finally:
        code, _ = running.stop()
        api.stop()
    log = running.log
    assert code == 0, log
    failures = [line for line in running.lines if "channel telegram cannot start" in line]
    assert len(failures) >= 3
    assert all("NetworkError" in line and "retrying in" in line for line in failures)
    assert "Traceback" not in log  # one line per failure, no traceback spam
    assert api.token.split(":")[1] not in log


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_slow_poll_is_honoured_within_5_seconds(
    tmp_path: Path, sqlite_url: str, sig: int
) -> None:
    """A feed that drips one byte a second: the first poll runs in the background (the HTTP front
    answers meanwhile) and a signal ends the process within 5 s, not after the poll."""
    with Origin() as origin:
        body = rss(origin.base_url, [("/a/1.html", "标题")])
        feed = origin.route("/slow.xml", Reply(body=body, drip=1.0, content_type="text/xml"))
        path = tmp_path / "newsbot.toml"
        path.write_text(
            f"""
[storage]
database_url = "{sqlite_url}"
[[sources]]
key = "slow"
name = "慢"
kind = "feed"
url = "{feed}"
""",
            encoding="utf-8",
        )
        running = start_newsbot(path, {}, "--poll")
        try:
            running.wait_for_line("newsbot running")
            wait_until(lambda: origin.requested("/slow.xml"), what="the poll to begin")
            answer = httpx.get(f"{running.http_base()}/healthz", timeout=10)
            assert answer.status_code == 200  # served while the poll drips
            time.sleep(1)
            code, elapsed = running.stop(sig)
        finally:
            running.kill()
    assert code == 0, running.log
    assert elapsed < 5, f"stopped after {elapsed:.1f} s"
    assert "newsbot stopping" in running.log
