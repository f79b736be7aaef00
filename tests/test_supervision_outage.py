"""The outage test: `newsbot run` (a real subprocess) on PostgreSQL and the fake Bot API, through
a Telegram outage of 60 s and a database outage, stays up, says on /healthz what is down and
why, and afterwards delivers everything that was queued meanwhile, once.

The database outage is a TCP proxy on loopback (tests/fakes/tcp_proxy.py) that the test stops
and starts; the machine's PostgreSQL server is never touched. The Bot API outage is the fake
stopped (its kept-alive connections cut) and started again on the same port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fakes.bot_api import FakeBotAPI
from fakes.tcp_proxy import TcpProxy
from newsbot.app import build_newsroom, engine_of
from newsbot.config import Settings
from newsbot.service import Newsroom
from run_support import Running, start_newsbot, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(400)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
TELEGRAM_OUTAGE_SECONDS = 60


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def direct(postgres_url: str) -> Iterator[Newsroom]:
    """The test's own view of the same schema, straight to PostgreSQL (not through the proxy)."""
    newsroom = build_newsroom(Settings.model_validate({"storage": {"database_url": postgres_url}}))
    yield newsroom
    newsroom.close()


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(
        f"""
[storage]
database_url = "{url}"
[scheduler]
delivery_tick_seconds = 1
poll_tick_seconds = 3600
[delivery]
empty_day = "notice"
[supervision]
backoff_cap_seconds = 4
health_timeout_seconds = 3
""",
        encoding="utf-8",
    )
    return path


def print_tables(direct: Newsroom) -> None:
    from sqlalchemy import select

    from newsbot.storage.schema import digests, outbox

    with engine_of(direct).connect() as conn:
        for table in (outbox, digests):
            for row in conn.execute(select(table)):
                print(table.name, dict(row._mapping))


def plain_texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m["plain"] for m in api.messages(chat)]


def count(api: FakeBotAPI, chat: int, text: str) -> int:
    return sum(text in plain for plain in plain_texts(api, chat))


def digest_at_next_minute(direct: Newsroom, chat: str) -> None:
    """The chat's digest time becomes the coming minute (Shanghai time), so it falls due soon."""
    subscriber = direct.subscriber("telegram", chat)
    assert subscriber is not None
    coming = datetime.now(SHANGHAI) + timedelta(minutes=1)
    direct.change_subscriber(subscriber, digest_time=coming.strftime("%H:%M"))


def digest_now(direct: Newsroom, chat: str) -> None:
    """The chat's digest time becomes this minute: due at once."""
    subscriber = direct.subscriber("telegram", chat)
    assert subscriber is not None
    direct.change_subscriber(subscriber, digest_time=datetime.now(SHANGHAI).strftime("%H:%M"))


def test_telegram_and_database_outages(
    tmp_path: Path, postgres_url: str, proxy: TcpProxy, direct: Newsroom
) -> None:
    through_proxy = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert through_proxy != postgres_url
    config = write_config(tmp_path, through_proxy)
    api = FakeBotAPI().start()
    env = {"NEWSBOT_TELEGRAM_TOKEN": api.token, "NEWSBOT_TELEGRAM_BASE_URL": api.base_url}
    running = start_newsbot(config, env, "--no-poll")
    try:
        running.wait_for_line("channel telegram started")
        for chat in (42, 43):
            api.inject_message(chat, "/start")
        wait_until(lambda: count(api, 42, "欢迎") and count(api, 43, "欢迎"), what="welcomes")
        assert running.health()[1]["state"] == "ok"

        telegram_outage(api, running, direct)
        database_outage(api, running, direct, proxy)

        assert running.alive()
    finally:
        print(running.log)  # shown when the test fails
        print_tables(direct)
        if running.alive():
            code, _ = running.stop()
            assert code == 0, running.log
        api.stop()
    log = running.log
    assert api.token.split(":")[1] not in log  # the token never reaches the log
    assert "Traceback" not in log, log  # outages are the world's faults: lines, not tracebacks


def telegram_outage(api: FakeBotAPI, running: Running, direct: Newsroom) -> None:
    """60 s without the Bot API: a question, a digest and a broadcast wait, then go out once."""
    mark = len(running.lines)
    api.stop()
    started = time.monotonic()
    running.wait_for_line("channel telegram: getUpdates failed", after=mark)
    digest_at_next_minute(direct, "42")
    assert direct.broadcast("停机期间的通知") == 2
    api.inject_message(42, "党建")  # waits in Telegram's queue, as it would for real
    status, health = running.health()
    assert status == 200 and health["state"] == "degraded", health
    assert any(r.startswith("channel:telegram: getUpdates failed") for r in health["reasons"])
    time.sleep(max(0.0, TELEGRAM_OUTAGE_SECONDS - (time.monotonic() - started)))
    assert running.alive()
    assert sum(len(m) for m in api.all_messages().values()) == 2  # nothing got out meanwhile

    api.start(api.port_was)
    running.wait_for_line("channel:telegram is back", after=mark, timeout=60)
    wait_until(lambda: count(api, 42, "停机期间的通知") and count(api, 43, "停机期间的通知"))
    wait_until(lambda: count(api, 42, "没有") or count(api, 42, "结果"), what="search reply")
    wait_until(lambda: count(api, 42, "今天暂无新的文章"), timeout=90, what="digest")
    time.sleep(3)  # anything sent twice would have arrived by now
    assert count(api, 42, "停机期间的通知") == 1
    assert count(api, 43, "停机期间的通知") == 1
    assert count(api, 42, "今天暂无新的文章") == 1
    wait_until(lambda: running.health()[1]["state"] == "ok", what="healthy again")


def database_outage(api: FakeBotAPI, running: Running, direct: Newsroom, proxy: TcpProxy) -> None:
    """The database unreachable: /healthz says so (fast), chats get a clear answer, and what
    was queued or fell due meanwhile goes out once when it returns."""
    mark = len(running.lines)
    proxy.stop()
    wait_until(lambda: running.health()[0] == 503, what="unhealthy")
    began = time.monotonic()
    status, health = running.health()
    assert time.monotonic() - began < 10  # bounded, even with the database away
    assert status == 503 and health["state"] == "down", health
    assert any(r.startswith("database unreachable") for r in health["reasons"])
    api.inject_message(43, "/settings")
    wait_until(lambda: count(api, 43, "服务暂时不可用"), what="the unavailable reply")
    digest_now(direct, "43")  # falls due while newsbot cannot see it
    assert direct.broadcast("数据库恢复后的通知") == 2
    time.sleep(15)
    assert running.alive()
    running.wait_for_line("database unavailable", after=mark)
    assert count(api, 43, "今天暂无新的文章") == 0

    proxy.start()
    running.wait_for_line("database is back", after=mark, timeout=60)
    wait_until(
        lambda: count(api, 42, "数据库恢复后的通知") and count(api, 43, "数据库恢复后的通知")
    )
    wait_until(lambda: count(api, 43, "今天暂无新的文章"), timeout=60, what="digest")
    time.sleep(3)
    assert count(api, 42, "数据库恢复后的通知") == 1
    assert count(api, 43, "数据库恢复后的通知") == 1
    assert count(api, 43, "今天暂无新的文章") == 1
    wait_until(lambda: running.health()[1]["state"] == "ok", what="healthy again")
