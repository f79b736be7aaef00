"""The WeChat extras: the subscription-notice template outside the window, `newsbot wechat menu`
through the API, and the offline-demo simulator against the callback."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes.wechat_api import APP_ID, APP_SECRET, FakeWeChatAPI
from fakes.wechat_server import AES_KEY, TOKEN
from newsbot.channels.wechat.simulator import Simulator
from newsbot.core.channels import Kind, LinkCard, Outbound
from wechat_support import wechat_world

pytestmark = pytest.mark.timeout(90)
READER = "oReader0000000000000000000003"


async def test_outside_the_window_a_digest_goes_as_a_subscription_notice(sqlite_url: str) -> None:
    async with wechat_world(sqlite_url, notice_template_id="TPL-digest-1") as wx:
        await wx.server.send(READER, "你好")
        wx.api.advance(49 * 3600)  # the platform's window closed: 45015
        card = LinkCard("📰 每日摘要 · 2026-03-02", "共 8 篇", "https://news.example.invalid/d/x")
        sent = await wx.channel.sender.send(Outbound.of(READER, "日报", Kind.DIGEST, card=card))
        assert sent == "notice"
        (notice,) = wx.api.notices
        assert notice["touser"] == READER and notice["template_id"] == "TPL-digest-1"
        assert notice["page"] == card.url and notice["data"]["thing1"]["value"].startswith("📰")


async def test_the_simulator_plays_wechat(sqlite_url: str) -> None:
    async with wechat_world(sqlite_url) as wx:
        wx.clock.current = datetime.now(UTC)  # the simulator signs with the real time
        simulator = Simulator(wx.server.url, TOKEN, APP_ID, AES_KEY, READER)
        try:
            welcome = await simulator.event("subscribe")
            results = await simulator.say("党建")
        finally:
            await simulator.client.aclose()
        assert "欢迎" in welcome and "党建" in results and "回复 1：下一页 ›" in results


def test_wechat_menu_installs_the_menu(tmp_path: Path, sqlite_url: str) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[storage]\ndatabase_url = "{sqlite_url}"\n', encoding="utf-8")
    with FakeWeChatAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
        env.update(
            NEWSBOT_WECHAT_APP_ID=APP_ID,
            NEWSBOT_WECHAT_APP_SECRET=APP_SECRET,
            NEWSBOT_WECHAT_API_BASE_URL=api.base_url,
        )
        command = [sys.executable, "-m", "newsbot", "--config", str(config), "wechat", "menu"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        (menu,) = api.menus
        assert [b["name"] for b in menu["button"]] == ["日报", "搜索", "设置"]
        api.revoke_tokens()  # the cached token is refused, and a new one needs the secret
        env["NEWSBOT_WECHAT_APP_SECRET"] = "wrong"
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1 and "menu was not installed" in refused.stderr
        assert "wrong" not in refused.stderr and "Traceback" not in refused.stderr
