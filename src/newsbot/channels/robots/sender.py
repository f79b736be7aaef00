"""Posting one chunk to a group's robot webhook, and what the platform's answer means.

The sender looks the group's webhook and secret up per message (the CLI may add, remove or
resume a group while `newsbot run` is running), builds the platform's request (`Wire`), and
classifies the answer with the profile's rules:

    SENT            -> the message id (robots return none: a counter)
    RETRY_AFTER     -> SendError(retry_after=profile.retry_after): this group waits
    BACKOFF         -> SendError(): retried with exponential backoff (5xx, -1 busy, network)
    RECIPIENT_GONE  -> the group is marked `rejected` with the platform's reason, then
                       SendError(permanent=True): its subscriber is paused and its rows failed
    FATAL           -> SendError("bad request: ..."): this row fails, the group keeps going

Reasons never contain the webhook: only the platform's code and message (cut before WeCom's
"hint", which carries our IP).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from newsbot.channels.robots.profile import Outcome, RobotProfile
from newsbot.core.groups import RobotTarget
from newsbot.errors import SendError
from newsbot.ports import Clock, SystemClock

log = logging.getLogger(__name__)
BAD_REQUEST = "bad request: "  # service/sending.py fails such rows without retrying
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class RobotDirectory(Protocol):
    """Where the groups live (storage.groups.GroupStore)."""

    def target(self, channel: str, chat_id: str) -> RobotTarget | None: ...

    def reject(self, channel: str, chat_id: str, reason: str, now: datetime) -> None: ...

    def note_error(self, channel: str, chat_id: str, reason: str, now: datetime) -> None: ...


class Wire(Protocol):
    """One platform's request and answer shapes."""

    def request(
        self, target: RobotTarget, chunk: str, *, plain: bool, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        """(url, JSON body) of one message, signed when the target has a secret."""
        ...

    def code_of(self, payload: dict[str, Any]) -> tuple[int, str]:
        """(code, message) of an answer; code 0 is success."""
        ...


@dataclass(frozen=True, slots=True)
class RobotAnswer:
    outcome: Outcome
    code: int | None
    message: str

    @property
    def reason(self) -> str:
        code = "" if self.code is None else f" {self.code}"
        return f"{self.outcome.value}{code}: {self.message}"


class RobotSender:
    """One robot platform's sender; `send` has the outbox's ChannelSender shape."""

    def __init__(
        self,
        profile: RobotProfile,
        wire: Wire,
        directory: RobotDirectory,
        *,
        clock: Clock | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.profile = profile
        self.channel = profile.name
        self.wire = wire
        self.directory = directory
        self.clock = clock or SystemClock()
        self.client = client or httpx.AsyncClient(
            timeout=TIMEOUT, limits=httpx.Limits(max_connections=16)
        )
        self._ids = itertools.count(1)

    async def close(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        chat_id: str,
        html_chunk: str,
        *,
        buttons: Sequence[Sequence[dict[str, Any]]] = (),
        link_preview: bool = False,
        plain: bool = False,
    ) -> str:
        answer = await self.post(chat_id, html_chunk, plain=plain)
        if answer.outcome is Outcome.SENT:
            return str(next(self._ids))
        raise await self._failure(chat_id, answer)

    async def post(self, chat_id: str, chunk: str, *, plain: bool = False) -> RobotAnswer:
        """Send one message and say what the platform answered (never raises for its answer)."""
        target = await asyncio.to_thread(self.directory.target, self.channel, chat_id)
        if target is None:
            return RobotAnswer(Outcome.RECIPIENT_GONE, None, "no such group (removed)")
        url, body = self.wire.request(target, chunk, plain=plain, now=self.clock.now())
        try:
            response = await self.client.post(url, json=body)
        except httpx.HTTPError as exc:
            return RobotAnswer(Outcome.BACKOFF, None, f"network: {type(exc).__name__}")
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> RobotAnswer:
        if response.status_code == 429:
            return RobotAnswer(Outcome.RETRY_AFTER, 429, "HTTP 429 Too Many Requests")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or (response.status_code >= 500):
            return RobotAnswer(
                Outcome.BACKOFF, response.status_code, f"HTTP {response.status_code}"
            )
        code, message = self.wire.code_of(payload)
        message = message.split(", hint:")[0][:300]
        return RobotAnswer(self.profile.classify(code, message), code, message)

    async def _failure(self, chat_id: str, answer: RobotAnswer) -> SendError:
        now = self.clock.now()
        reason = f"{self.profile.kind} {answer.reason}"
        if answer.outcome is Outcome.RECIPIENT_GONE:
            await asyncio.to_thread(self.directory.reject, self.channel, chat_id, reason, now)
            log.warning("group %s paused: the platform refused it (%s)", chat_id, reason)
            return SendError(chat_id, reason, permanent=True)
        await asyncio.to_thread(self.directory.note_error, self.channel, chat_id, reason, now)
        if answer.outcome is Outcome.RETRY_AFTER:
            return SendError(chat_id, reason, retry_after=self.profile.retry_after)
        if answer.outcome is Outcome.FATAL:
            return SendError(chat_id, BAD_REQUEST + reason)
        return SendError(chat_id, reason)
