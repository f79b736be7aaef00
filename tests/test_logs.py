"""Secrets never reach a log line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsbot.config import load_settings
from newsbot.logs import RedactSecrets, setup_logging


def test_configured_secret_is_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, environ={"NEWSBOT_TELEGRAM_TOKEN": "123456:SECRET-token_x"})
    setup_logging(settings)
    logging.getLogger("httpx").warning(
        "POST https://api.telegram.org/bot%s/sendMessage", "123456:SECRET-token_x"
    )
    logging.getLogger("newsbot").error("token is %s", "123456:SECRET-token_x")
    err = capsys.readouterr().err
    assert "SECRET" not in err
    assert err.count("***") == 2


def test_token_shaped_url_is_redacted_without_config() -> None:
    redactor = RedactSecrets([])
    assert redactor.redact("GET http://x/bot99:abcDEF-_/getMe") == "GET http://x/bot***/getMe"


def test_robot_webhook_secrets_are_redacted() -> None:
    """Robot webhooks come from the database, not the settings: their shapes are redacted."""
    redact = RedactSecrets([]).redact
    line = redact("POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a-91f6 ok")
    assert "693a" not in line and line.endswith("key=*** ok")
    line = redact("/robot/send?access_token=abc123&timestamp=1&sign=x%2By /bot/v2/hook/5e3d-58")
    assert "abc123" not in line and "x%2By" not in line and "5e3d" not in line
