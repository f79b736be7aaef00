"""Partitioned sending: this process's place among the processes that send outbox rows.

Several `newsbot run` processes on one PostgreSQL database share each platform's limits. This
object keeps this process's row in the senders table (ports.Senders) alive with a heartbeat,
paces every channel at rate / members, and claims only the chats of its share (core/shares.py):

- heartbeat every `beat` seconds, in a background task of its own (a long send tick claims
  rarely); a sender whose heartbeat is older than `expiry` is dropped by the next beat of any
  other, which then takes up its share of the rate and, once its leases ran out, its chats;
- pace: when the members grow, this process slows its pacers first and records it afterwards;
  when they shrink, it records a faster pace only while the others' recorded shares leave room,
  then speeds up. A new member claims nothing until every other has slowed down for it. So the
  members' shares never add up to more than the whole rate;
- chats: a claim takes rows of this process's buckets only, and of no chat that another process
  still holds rows of (a live lease), so one chat is sent by one process at a time. When a chat
  has changed hands, what its previous sender sent to it within the longest per-recipient window
  (`handoff`) is counted in this process's pacer before the rows go out, so the chat's own
  windows (1 a second, 20 a minute per group) hold across the change as well.

Only on a database that several processes can share (`Senders.shared`); on SQLite nothing of this
runs and the one process paces alone, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from newsbot.core.models import OutboxRow
from newsbot.core.shares import Member
from newsbot.ports import Clock, Outbox, Senders
from newsbot.service.channels import ChannelRegistry
from newsbot.service.pacer import WINDOW_SLACK, WINDOW_SLACK_MAX

log = logging.getLogger(__name__)
Call = Callable[..., Awaitable[Any]]
BEAT_SECONDS = 2.0
EXPIRY_SECONDS = 15.0  # a few missed beats: a busy event loop is not taken for a dead process


class SendingShares:
    def __init__(
        self,
        senders: Senders,
        outbox: Outbox,
        channels: ChannelRegistry,
        clock: Clock,
        *,
        beat: float = BEAT_SECONDS,
        expiry: float = EXPIRY_SECONDS,
    ) -> None:
        self.senders = senders
        self.outbox = outbox
        self.channels = channels
        self.clock = clock
        self.token = outbox.token
        self.label = f"{socket.gethostname()}:{os.getpid()}"
        self.beat_seconds = beat
        self.expiry = timedelta(seconds=expiry)
        self.pace = 1  # this process's pacers run at rate / pace
        self.members: list[Member] = []
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def handoff(self) -> timedelta:
        """The longest per-recipient window of the channels (with the pacer's slack)."""
        longest = 0.0
        for name in self.channels.names():
            pacing = self.channels.profile(name).pacing
            for window in (pacing.per_chat, pacing.per_group):
                if window is not None:
                    slack = min(window.seconds * WINDOW_SLACK, WINDOW_SLACK_MAX)
                    longest = max(longest, window.seconds + slack)
        return timedelta(seconds=longest)

    async def claim(self, call: Call, limit: int, channels: Sequence[str]) -> list[OutboxRow]:
        """Claim due rows of this process's share (`call` runs a database call off the loop)."""
        if self._task is None or self._task.done():
            if not self.members:
                await self.beat()  # the pacers slow down before anything is claimed
            self._task = asyncio.create_task(self._beat_forever(), name="outbox-sender-heartbeat")
        now = self.clock.now()
        rows: list[OutboxRow] = await call(self.outbox.claim, now, limit, channels, shared=True)
        if rows:
            await self._count_sent_elsewhere(call, rows, now)
        return rows

    async def _count_sent_elsewhere(
        self, call: Call, rows: Sequence[OutboxRow], now: datetime
    ) -> None:
        """Put what other processes sent to these chats lately into this process's pacers."""
        groups = {(r.channel, r.chat_id): bool(r.payload.get("group")) for r in rows}
        sent = await call(self.outbox.sent_by_others, list(groups), now - self.handoff)
        for channel, chat_id, sent_at in sent:
            ago = (now - sent_at).total_seconds()
            group = groups.get((channel, chat_id), False)
            self.channels.pacer(channel).sent_elsewhere(chat_id, ago, group=group)

    async def beat(self) -> None:
        """Refresh the heartbeat, drop expired senders, and follow the members' number."""
        members = await asyncio.to_thread(
            self.senders.beat, self.token, self.label, self.pace, self.clock.now(), self.expiry
        )
        await self._follow(members)

    async def _follow(self, members: list[Member]) -> None:
        recorded = _pace_of(members, self.token)
        if recorded is not None and recorded > self.pace:
            self._set_pace(recorded)  # registered (again) at a slower pace than ours
        wanted = max(1, len(members))
        if wanted > self.pace:  # slower: slow down first, then say so
            self._set_pace(wanted)
            members = await asyncio.to_thread(self.senders.repace, self.token, wanted)
        elif wanted < self.pace:  # faster: say so first, if the others leave room
            members = await asyncio.to_thread(self.senders.repace, self.token, wanted)
            recorded = _pace_of(members, self.token)
            if recorded is not None and recorded < self.pace:
                self._set_pace(recorded)
        if len(members) != len(self.members):
            log.info("outbox senders: %d (this process paces at 1/%d)", len(members), self.pace)
        self.members = members

    def _set_pace(self, pace: int) -> None:
        for name in self.channels.names():
            self.channels.pacer(name).share(pace)
        self.pace = pace

    async def _beat_forever(self) -> None:
        while not self._stopped:
            await asyncio.sleep(self.beat_seconds)
            try:
                await self.beat()
            except Exception as exc:  # the top of a background job: the next beat tries again
                log.warning("outbox sender heartbeat failed: %s", exc)

    def stop(self) -> None:
        """Stop the heartbeat and leave the senders (after the last send): the others take this
        process's share at their next beat."""
        self._stopped = True
        if self._task is not None:
            with contextlib.suppress(RuntimeError):  # its loop may be closed already
                self._task.cancel()
        if self.members:
            try:
                self.senders.leave(self.token)
            except Exception as exc:  # stopping: the others drop us after `expiry` instead
                log.warning("could not leave the outbox senders: %s", exc)
            self.members = []


def _pace_of(members: Sequence[Member], token: str) -> int | None:
    return next((m.pace for m in members if m.token == token), None)
