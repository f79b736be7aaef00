"""`newsbot run` as a subprocess serving the WeCom app on its HTTP front, with wechatpy's WeCom
crypto as WeCom and the fake WeCom API: the URL check, a member's search, a refused forgery
(the service keeps serving), and the digest as an app message at the time the member chose."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fakes.chat_world import seed_articles, world_settings
from fakes.wecom_app_api import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI
from fakes.wecom_server import AES_KEY, TOKEN, WeComServer
from newsbot.app import build_newsroom
from test_console_run import Running, start_run
from wecom_support import MEMBER

pytestmark = pytest.mark.timeout(240)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    newsroom = build_newsroom(world_settings(sqlite_url))
    seed_articles(newsroom, 7, now=datetime.now(UTC))
    newsroom.close()
    path = tmp_path / "newsbot.toml"
    path.write_text(
        f'[storage]\ndatabase_url = "{sqlite_url}"\n\n[wecom]\nenabled = true\n', encoding="utf-8"
    )
    return path


def wecom_env(api: FakeWeComAPI) -> dict[str, str]:
    return {
        "NEWSBOT_WECOM_CORP_ID": CORP_ID,
        "NEWSBOT_WECOM_AGENT_ID": str(AGENT_ID),
        "NEWSBOT_WECOM_SECRET": SECRET,
        "NEWSBOT_WECOM_TOKEN": TOKEN,
        "NEWSBOT_WECOM_ENCODING_AES_KEY": AES_KEY,
        "NEWSBOT_WECOM_API_BASE_URL": api.base_url,
        "NEWSBOT_SCHEDULER_DELIVERY_TICK_SECONDS": "1",
    }


def next_minute() -> datetime:
    """The start of a local minute far enough ahead that 时间 reaches newsbot before it."""
    now = datetime.now(SHANGHAI)
    ahead = 2 if now.second >= 45 else 1
    return (now + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


async def scenario(server: WeComServer, api: FakeWeComAPI) -> tuple[datetime, float]:
    verified = await server.verify_url("echo-run-1")
    assert (verified.status_code, verified.text) == (200, "echo-run-1")
    assert (await server.say(MEMBER, "党建")).status_code == 200
    await api.async_wait_for(
        lambda: any("回复 1：下一页" in t for t in api.texts(MEMBER)), timeout=30
    )
    assert "党建" in api.texts(MEMBER)[0]
    forged = await server.say(MEMBER, "订阅", signature="0" * 40)
    assert forged.status_code == 403
    await server.say(MEMBER, "订阅")
    await api.async_wait_for(lambda: any("已订阅" in t for t in api.texts(MEMBER)), timeout=30)
    due = next_minute()
    await server.say(MEMBER, f"时间 {due:%H:%M}")
    await api.async_wait_for(
        lambda: any(f"{due:%H:%M}" in t for t in api.texts(MEMBER)), timeout=30
    )
    await api.async_wait_for(
        lambda: any(m.get("enable_duplicate_check") for m in api.messages(MEMBER)), timeout=150
    )
    return due, time.time()


def test_a_member_searches_sets_a_time_and_gets_the_digest_then(config: Path) -> None:
    api = FakeWeComAPI().start()
    api.add_member(MEMBER)
    running = Running(start_run(config, wecom_env(api)))
    try:
        running.wait_for_line("newsbot running")
        server = WeComServer(f"{running.http_base()}/wecom")
        due, arrived = asyncio.run(scenario(server, api))
    finally:
        code, err = running.stop()
        api.stop()
    assert code == 0, err
    assert arrived >= due.timestamp()  # not before the chosen minute
    assert arrived < due.timestamp() + 30  # and soon after it (ticks every second)
    digest = [m for m in api.messages(MEMBER) if m.get("enable_duplicate_check")]
    text = "\n".join(m["text"]["content"] for m in digest)
    assert "党建工作推进会" in text and "债务" in text
    assert api.dropped == []  # never past a member's limits
    assert "channels: wecom" in err
    for secret in (SECRET, TOKEN, AES_KEY):
        assert secret not in err


def test_missing_wecom_settings_are_one_clear_line(config: Path) -> None:
    process = start_run(config, {"NEWSBOT_WECOM_CORP_ID": CORP_ID})
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2, err
    assert "NEWSBOT_WECOM_SECRET" in err and "NEWSBOT_WECOM_ENCODING_AES_KEY" in err
    assert "Traceback" not in err


def test_wecom_menu_installs_the_shared_menu(config: Path) -> None:
    import os
    import subprocess
    import sys

    api = FakeWeComAPI().start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(wecom_env(api), PYTHONIOENCODING="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "newsbot", "--config", str(config), "wecom", "menu"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        api.stop()
    assert done.returncode == 0, done.stderr
    assert "menu installed" in done.stdout
    assert [b["key"] for b in api.menus[0]["button"]] == ["DIGEST", "SEARCH", "SETTINGS"]
