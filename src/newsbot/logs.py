"""Logging setup, and the one redaction point for secrets.

Secrets reach text in many ways: httpx logs every request URL and Telegram's carry the bot token
(https://api.telegram.org/bot<TOKEN>/sendMessage); python-telegram-bot puts the token into the
message of InvalidToken; a database driver puts the URL, password included, into its errors; an
uncaught exception prints all of that again in the final traceback. So one `Redactor` holds every
secret value this process knows (configured secrets, the database URL's password, and what the
environment holds even before the config validates) plus the shapes of secrets (a bot token, the
password in `scheme://user:password@host`), and everything that turns into text goes through it:

- every log record, from any logger to any handler, at creation (the log record factory):
  the message, and the formatted traceback with its chained causes and exception arguments;
- uncaught exceptions (sys.excepthook, threading.excepthook): the final crash output;
- the CLI's one-line errors and `newsbot config check` output (`redact()`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from newsbot.config import Settings, env_name, secret_paths

_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# Robot webhooks (WeCom ?key=, DingTalk ?access_token= and &sign=, Feishu /hook/ID) live in the
# database, not in the settings, so their shapes are redacted wherever they appear.
_ROBOT_SECRET_IN_URL = re.compile(r"([?&](?:key|access_token|sign)=|/hook/)[^&\s\"']+")
_BARE_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*:)(?!\*+@)[^\s/@]+@")
# Webhook credentials of the group robots (kept in the database, so not known as values):
# WeCom ?key=, DingTalk ?access_token= (and its &sign=), Feishu /open-apis/bot/v2/hook/<token>.
_QUERY_SECRET = re.compile(r"([?&](?:key|access_token|token|secret|sign)=)[^&\s\"'<>]+")
_HOOK_PATH = re.compile(r"(/bot/v2/hook/)[A-Za-z0-9_-]+")
_MASK = "***"
_DATABASE_URL_NAMES = ("NEWSBOT_DATABASE_URL", "NEWSBOT_STORAGE_DATABASE_URL")


class Redactor:
    """Replaces known secret values and secret-shaped text with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            known = set(self._secrets) | {s for s in secrets if s and len(s) >= 4}
            self._secrets = sorted(known, key=len, reverse=True)  # longest first: no partial hit

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _MASK)
        text = _TOKEN_IN_URL.sub("/bot" + _MASK, text)
        text = _BARE_BOT_TOKEN.sub(_MASK, text)
        text = _ROBOT_SECRET_IN_URL.sub(r"\1" + _MASK, text)
        return _URL_PASSWORD.sub(r"\1" + _MASK + "@", text)

    def scrub(self, record: logging.LogRecord) -> None:
        """Redact a log record in place: message, traceback (chained causes included), stack."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logging's to report; show it redacted
            message = f"{record.msg!r} % {record.args!r}"
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.redact(formatted)  # formatters use this cached text
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


REDACTOR = Redactor()  # the process's one redaction point


def redact(text: str) -> str:
    """`text` with every secret this process knows masked."""
    return REDACTOR.redact(text)


def url_password(url: str) -> str | None:
    match = _URL_PASSWORD.search(url)
    if match is None:
        return None
    return match.group(0)[len(match.group(1)) : -1] or None


def secret_values(settings: Settings) -> list[str]:
    """Every secret of the settings, the database password included."""
    values: list[str] = []
    for path in secret_paths():
        node: Any = settings
        for part in path:
            node = getattr(node, part, None)
        if node is not None and node.get_secret_value():
            values.append(node.get_secret_value())
    password = url_password(settings.storage.database_url)
    return values + ([password] if password else [])


def environment_secrets(environ: Mapping[str, str]) -> list[str]:
    """Secrets the environment holds, known before (or without) a valid config."""
    names = [env_name(path) for path in secret_paths()] + ["NEWSBOT_TELEGRAM_TOKEN"]
    values = [environ[name] for name in names if environ.get(name)]
    for name in _DATABASE_URL_NAMES:
        password = url_password(environ.get(name, ""))
        if password:
            values.append(password)
    return values


_installed = False


def install_redaction(secrets: Iterable[str] = ()) -> Redactor:
    """Add `secrets` to the redactor and route every log record and crash through it (once)."""
    global _installed
    REDACTOR.add(secrets)
    if not _installed:
        _installed = True
        base_factory = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = base_factory(*args, **kwargs)
            REDACTOR.scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        sys.excepthook = _redacted_excepthook
        threading.excepthook = _redacted_thread_excepthook
    return REDACTOR


def _redacted_excepthook(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def _redacted_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    name = args.thread.name if args.thread else "?"
    sys.stderr.write(redact(f"Exception in thread {name}:\n{text}"))


class RedactSecrets(logging.Filter):
    """A handler filter over a Redactor (the record factory already did the work for records
    made after install_redaction; this covers records made before it)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._redactor = Redactor(secrets)

    def redact(self, text: str) -> str:
        return self._redactor.redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        self._redactor.scrub(record)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text or record.exc_info:
            data["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(data, ensure_ascii=False)


def setup_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Configure the root logger once for a long-running command."""
    level = logging.DEBUG if verbose else getattr(logging, settings.logging.level)
    install_redaction(secret_values(settings))
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
