"""Logging setup: one format, and secrets never reach a log line.

httpx logs every request URL at INFO, and Telegram's URLs carry the bot token
(https://api.telegram.org/bot<TOKEN>/sendMessage), so besides quieting httpx we redact every
configured secret value from every record, whatever logger emitted it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

from newsbot.config import Settings

_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")


class RedactSecrets(logging.Filter):
    """Replaces known secret values (and anything shaped like a bot token in a URL) with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_IN_URL.sub("/bot***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def secret_values(settings: Settings) -> list[str]:
    values = [
        settings.telegram.token,
        settings.telegram.webhook_secret,
        settings.wechat.token,
        settings.wechat.app_secret,
        settings.wechat.encoding_aes_key,
        settings.wecom.webhook_key,
        settings.wecom.secret,
        settings.wecom.token,
        settings.wecom.encoding_aes_key,
    ]
    return [v.get_secret_value() for v in values if v is not None]


def setup_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Configure the root logger once for a long-running command."""
    level = logging.DEBUG if verbose else getattr(logging, settings.logging.level)
    handler = logging.StreamHandler()
    if settings.logging.json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "jieba"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
