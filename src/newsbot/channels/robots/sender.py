"""Posting one chunk to a group's robot webhook, and what the platform's answer means.

The sender looks the group's webhook and secret up per message (the CLI may add, remove or
resume a group while `newsbot run` is running), builds the platform's request (`Wire`), and
classifies the answer with the profile's error rules (core.channels.SendOutcome):

    success         -> a message id (robots return none: a counter)
    RETRY_AFTER     -> this group waits (the profile's block_seconds: 60 s, DingTalk 600 s)
    BACKOFF         -> retried with exponential backoff (5xx, -1 busy, network, unknown codes)
    RECIPIENT_GONE  -> the group is marked `rejected` with the platform's reason first; the
                       outbox then pauses its subscriber and fails its rows
    FATAL           -> this row fails (size, format); the group keeps going

Reasons never contain the webhook: only the platform's code and message (cut before WeCom's
"hint", which carries our IP).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import aiohttp
import yarl

from newsbot.core.channels import ChannelProfile, Outbound, SendOutcome, classify
from newsbot.core.groups import RobotTarget
from newsbot.errors import SendError
from newsbot.ports import Clock, RobotDirectory, SystemClock

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=10.0, connect=5.0)
# Connections kept to each platform's host (every robot of a platform is one host): as many as
# the outbox sends at once per channel. aiohttp, not httpx: httpx (httpcore) scans every pooled
# connection with a poll() per request, 1.8 ms of CPU per request here against aiohttp's 0.15 ms,
# and 100 Feishu bots at 5 a second are 500 requests a second (docs/robots.md).
CONNECTIONS = 16
JSON_HEADERS = {"Content-Type": "application/json"}
# A group's webhook is read from the database at most this often while it is being sent to (a
# digest and its alerts are dozens of messages in a minute); long enough to save the reads,
# short enough that a group removed and re-added with another robot is seen almost at once.
TARGET_TTL = 5.0


def json_body(body: dict[str, Any]) -> bytes:
    """A request body as the platforms take it: compact JSON, UTF-8, Chinese unescaped (the
    byte limits are counted on this form, core/robot_render.py)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@functools.lru_cache(maxsize=1024)
def _parsed(url: str) -> yarl.URL:
    """A webhook parsed once, not on each of its dozens of messages a minute (parsing and
    quoting a URL was a tenth of aiohttp's CPU per request)."""
    return yarl.URL(url)


class Wire(Protocol):
    """One platform's request and answer shapes."""

    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, bytes]:
        """(url, JSON body as UTF-8) of one message, signed when the target has a secret."""
        ...

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        """(code, message) of an answer; code 0 is success."""
        ...


@dataclass(frozen=True, slots=True)
class RobotAnswer:
    """What the platform said: `outcome` None means accepted."""

    outcome: SendOutcome | None
    code: int | None
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome is None

    @property
    def reason(self) -> str:
        code = "" if self.code is None else f"{self.code} "
        return f"{code}{self.message}"


class RobotSender:
    """One robot platform's ports.ChannelSender."""

    def __init__(
        self,
        profile: ChannelProfile,
        kind: str,
        wire: Wire,
        directory: RobotDirectory | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.profile = profile
        self.kind = kind
        self.wire = wire
        self.directory = directory  # set when the channel starts (ChannelContext.groups)
        self.clock = clock or SystemClock()
        self._client: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self._targets: dict[str, tuple[float, RobotTarget | None]] = {}

    @property
    def client(self) -> aiohttp.ClientSession:
        """The HTTP session (made on first use, inside the running event loop)."""
        if self._client is None or self._client.closed:
            connector = aiohttp.TCPConnector(limit_per_host=CONNECTIONS)
            self._client = aiohttp.ClientSession(connector=connector, timeout=TIMEOUT)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def send(self, message: Outbound) -> str:
        answer = await self.post(message.recipient, message.text, plain=message.plain)
        if answer.ok:
            return str(next(self._ids))
        raise await self._failure(message.recipient, answer)

    async def post(self, chat_id: str, chunk: str, *, plain: bool = False) -> RobotAnswer:
        """Send one message and say what the platform answered (never raises for its answer)."""
        target = await self._target(chat_id)
        if target is None:
            return RobotAnswer(SendOutcome.RECIPIENT_GONE, None, "no such group (removed)")
        url, data = self.wire.request(target, chunk, plain=plain, now=self.clock.now())
        try:
            async with self.client.post(_parsed(url), data=data, headers=JSON_HEADERS) as response:
                status, content = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return RobotAnswer(SendOutcome.BACKOFF, None, f"network: {type(exc).__name__}")
        return self._answer(status, content)

    async def _target(self, chat_id: str) -> RobotTarget | None:
        assert self.directory is not None, "start the channel first (it needs the groups)"
        now = time.monotonic()
        cached = self._targets.get(chat_id)
        if cached is not None and now - cached[0] < TARGET_TTL:
            return cached[1]
        target = await asyncio.to_thread(self.directory.target, self.profile.name, chat_id)
        if len(self._targets) > 10_000:
            self._targets.clear()
        self._targets[chat_id] = (now, target)
        return target

    def _answer(self, status: int, content: bytes) -> RobotAnswer:
        if status == 429:
            return RobotAnswer(SendOutcome.RETRY_AFTER, 429, "HTTP 429 Too Many Requests")
        try:
            payload = json.loads(content)
        except ValueError:  # not JSON, not UTF-8
            payload = None
        if not isinstance(payload, dict) or status >= 500:
            return RobotAnswer(SendOutcome.BACKOFF, status, f"HTTP {status}")
        code, message = self.wire.code_of(payload)
        if code == 0:
            return RobotAnswer(None, 0, "ok")
        message = message.split(", hint:")[0][:300]
        outcome = classify(self.profile.errors, [str(code)], message, SendOutcome.BACKOFF)
        return RobotAnswer(outcome, code, message)

    async def _failure(self, chat_id: str, answer: RobotAnswer) -> SendError:
        assert answer.outcome is not None and self.directory is not None
        now = self.clock.now()
        reason = f"{self.kind} {answer.reason}"
        if answer.outcome is SendOutcome.RECIPIENT_GONE:
            self._targets.pop(chat_id, None)
            await asyncio.to_thread(self.directory.reject, self.profile.name, chat_id, reason, now)
            log.warning("group %s paused: the platform refused it (%s)", chat_id, reason)
        else:
            await asyncio.to_thread(
                self.directory.note_error, self.profile.name, chat_id, reason, now
            )
        return SendError(chat_id, reason, answer.outcome)
