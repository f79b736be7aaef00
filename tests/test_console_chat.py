"""`newsbot chat` as a subprocess: lines on stdin, plain-text replies on stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from fakes.chat_world import build_world
from newsbot.storage.subscribers import SubscriberStore

pytestmark = pytest.mark.timeout(120)

CONFIG = """
[storage]
database_url = "{url}"

[search]
page_size = 2

[[sources]]
key = "yaowen"
name = "要闻"
kind = "feed"
url = "http://127.0.0.1:9/yaowen.xml"
section = "要闻"

[[sources]]
key = "yangquan"
name = "阳泉"
kind = "feed"
url = "http://127.0.0.1:9/yq.xml"
section = "阳泉"
"""


@pytest.fixture
def config(tmp_path: Path, sqlite_url: str) -> Path:
    build_world(sqlite_url).close()  # migrated, with sample articles
    path = tmp_path / "newsbot.toml"
    path.write_text(CONFIG.format(url=sqlite_url), encoding="utf-8")
    return path


def chat(config: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsbot",
            "--config",
            str(config),
            "chat",
            "--name",
            "王五",
            "--no-poll",
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=100,
        check=False,
    )


def test_a_whole_conversation(config: Path, sqlite_url: str) -> None:
    result = chat(
        config,
        "/start",
        "/time 7:30",
        "/keywords add 党建 债务",
        "/search 党建",
        "1",  # press the first button: next page
        "/digest",
        "/tz Mars/Base",
        "/unsubscribe",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "王五，欢迎使用" in out
    assert "摘要时间已设为每天 07:30" in out
    assert "已添加关键词：党建、债务" in out
    assert "第 1/4 页" in out and "[1] 下一页 ›" in out
    assert "第 2/4 页" in out and "[1] ‹ 上一页  [2] 下一页 ›" in out
    assert "每日摘要" in out and "高新区化解债务3029.56万元" in out
    assert "无法识别时区“Mars/Base”" in out
    assert "已退订每日摘要" in out
    from newsbot.storage import db

    engine = db.create_db_engine(sqlite_url)
    subscriber = SubscriberStore(engine).get("console", "console")
    engine.dispose()
    assert subscriber is not None
    assert subscriber.digest_time == time(7, 30) and subscriber.keywords == ("党建", "债务")
    assert not subscriber.digest_enabled


def test_bad_input_and_quit(config: Path) -> None:
    result = chat(
        config, "/frobnicate", "", "长" * 5000, "/lang en", "/time 25:99", "/quit", "/help"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "未知命令 /frobnicate" in out
    assert "消息太长（5000 字）" in out
    assert "Cannot read the time “25:99”" in out
    assert "Commands" not in out  # nothing after /quit is read


def test_plain_text_is_a_search(config: Path) -> None:
    result = chat(config, "债务")
    assert "高新区化解债务3029.56万元" in result.stdout
