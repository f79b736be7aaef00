"""Secrets never reach a log line, a traceback or command output: the captured output of each
case is grepped for the token and the password."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.bot_api import FakeBotAPI
from newsbot.logs import JsonFormatter, install_redaction

TOKEN = "987654:WRONG-secret-token_abcdefghijklmnop"
PASSWORD = "pa55-W0rd-x9"
PG_URL = f"postgresql://newsbot:{PASSWORD}@127.0.0.1:9/newsbot"  # port 9: refused


def newsbot(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    clean.update(PYTHONIOENCODING="utf-8", NEWSBOT_HTTP_PORT="0", **env)
    return subprocess.run(
        [sys.executable, "-m", "newsbot", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=clean,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_no_secret(text: str) -> None:
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert PASSWORD not in text


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text("", encoding="utf-8")
    return path


@pytest.mark.timeout(120)
def test_a_rejected_telegram_token_is_one_line_without_the_token(
    config: Path, tmp_path: Path
) -> None:
    with FakeBotAPI() as api:  # knows another token: ours gets 401 Unauthorized
        result = newsbot(
            "--config",
            str(config),
            "run",
            "--no-console",
            "--no-poll",
            env={
                "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
                "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
                "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}",
            },
        )
    output = result.stdout + result.stderr
    assert_no_secret(output)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("newsbot: config error: NEWSBOT_TELEGRAM_TOKEN:") and "401" in last


def test_config_check_masks_the_database_password(config: Path) -> None:
    for extra in ([], ["--json"]):
        result = newsbot(
            "--config",
            str(config),
            "config",
            "check",
            *extra,
            env={
                "NEWSBOT_DATABASE_URL": PG_URL,
                "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
            },
        )
        assert result.returncode == 0, result.stderr
        assert_no_secret(result.stdout + result.stderr)
        assert "postgresql://newsbot:********@127.0.0.1:9/newsbot" in result.stdout


def test_an_unreachable_database_is_one_line_with_the_password_masked(config: Path) -> None:
    result = newsbot("--config", str(config), "sources", env={"NEWSBOT_DATABASE_URL": PG_URL})
    assert_no_secret(result.stdout + result.stderr)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "storage.database_url" in line and "127.0.0.1:9" in line


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Two handlers on the root logger, plain text and JSON, as operators run them."""
    install_redaction([TOKEN, PASSWORD])
    plain, as_json = io.StringIO(), io.StringIO()
    handlers = [logging.StreamHandler(plain), logging.StreamHandler(as_json)]
    handlers[1].setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers.extend(handlers)
    yield plain, as_json
    for handler in handlers:
        root.removeHandler(handler)


def test_log_messages_tracebacks_args_and_chained_causes_are_redacted(
    captured: tuple[io.StringIO, io.StringIO], caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("newsbot.test")
    log.error("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    log.warning("connect to %s failed", PG_URL)
    try:
        try:
            raise KeyError(PASSWORD, {"url": PG_URL})
        except KeyError as cause:
            raise RuntimeError("token", TOKEN) from cause
    except RuntimeError:
        log.exception("job failed with %r", TOKEN)
    log.error("stack", stack_info=True, extra={"token": "not rendered"})
    plain, as_json = captured
    for text in (plain.getvalue(), as_json.getvalue(), caplog.text):
        assert_no_secret(text)
    assert "KeyError" in plain.getvalue() and "direct cause" in plain.getvalue()
    for line in as_json.getvalue().splitlines():
        assert_no_secret(json.loads(line).get("exc", ""))


def test_an_uncaught_exception_prints_a_redacted_traceback(tmp_path: Path) -> None:
    script = (
        "import threading\n"
        "from newsbot.logs import install_redaction\n"
        f"install_redaction([{TOKEN!r}, {PASSWORD!r}])\n"
        "def worker():\n"
        f"    raise OSError({PASSWORD!r})\n"
        "t = threading.Thread(target=worker)\n"
        "t.start(); t.join()\n"
        f"raise RuntimeError('The token `{TOKEN}` was rejected', {PG_URL!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "RuntimeError" in result.stderr and "OSError" in result.stderr
    assert_no_secret(result.stderr)


def test_robot_webhook_credentials_are_redacted_by_shape() -> None:
    from newsbot.logs import redact

    assert redact("POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a-91f6") == (
        "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    )
    assert "SEC123" not in redact(
        "https://oapi.dingtalk.com/robot/send?access_token=ab&sign=SEC123"
    )
    assert "t0k3n" not in redact("https://open.feishu.cn/open-apis/bot/v2/hook/t0k3n-abc")
