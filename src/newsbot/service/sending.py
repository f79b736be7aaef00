"""The outbox sender: claims due rows, paces them, sends them, and records what happened.

Per row: `mark_sending` is committed before the API call and `mark_sent` right after it, so a
crash can leave at most the rows whose API call was in flight in 'sending' (OutboxStore.recover
resends them: a possible duplicate, never a loss). The channel classifies its failure as data
(errors.SendError.outcome, core.channels.SendOutcome); what each outcome means here:

    RETRY_AFTER        -> pause that chat (only that chat) and retry after retry_after (or the
                          profile's block time); no attempt used
    RECIPIENT_MOVED    -> update the subscriber's chat id, move its unsent rows, resend them there
    RECIPIENT_GONE     -> mark the subscriber inactive (/start reactivates), fail its rows
    HOLD_UNTIL_CONTACT -> keep the chat's rows aside until the recipient writes again
    BAD_MARKUP         -> resend once as plain text (tags stripped), then give up
    FATAL              -> fail the row (retrying the same request will not help)
    BACKOFF            -> transient (5xx, network): exponential backoff up to max_attempts

Each channel has its own pacer (ChannelRegistry.pacer, built from its profile); a row's kind
gives its priority there, so interactive replies on the same channel go before digests.
Chunks of one chat are sent in order by one task; if a chunk is postponed, the chat's later
chunks are postponed with it. A chat whose own window is full for more than LONG_WAIT (a group
robot after 20 messages in a minute) gives its rows back with `not_before` = when the window
opens, instead of holding claimed rows that other chats could send meanwhile. Database calls run on a small thread pool (one thread on SQLite,
whose single writer would serialise them anyway) so the event loop keeps pacing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import re
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, TypeVar

from newsbot.core.channels import (
    PRIORITY_OF_KIND,
    Kind,
    LinkCard,
    Outbound,
    Priority,
    SendOutcome,
)
from newsbot.core.models import OutboxRow
from newsbot.core.replies import Button
from newsbot.core.schedule import backoff_delay
from newsbot.errors import SendError
from newsbot.ports import Clock, Outbox, SubscriberStore
from newsbot.service.channels import ChannelRegistry
from newsbot.service.group_commit import GroupCommit
from newsbot.service.shares import SendingShares

log = logging.getLogger(__name__)
T = TypeVar("T")
# A chat whose own window keeps it waiting longer than this (a robot's 20-a-minute window) gives
# its claimed rows back until then, so it does not hold the batch while other chats could send.
LONG_WAIT = 2.0
_TAG = re.compile(r"<[^>]+>")


@dataclass
class SendReport:
    sent: int = 0
    rate_limited: int = 0
    retried: int = 0
    failed: int = 0
    deactivated: int = 0
    migrated: int = 0
    held: int = 0
    plain_fallbacks: int = 0
    lease_lost: int = 0
    window_waits: int = 0

    def add(self, other: SendReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def html_to_plain(chunk: str) -> str:
    """A chunk Telegram refused to parse, as plain text (the same words, no markup)."""
    return html.unescape(_TAG.sub("", chunk))


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        subscribers: SubscriberStore,
        channels: ChannelRegistry,
        clock: Clock,
        *,
        max_attempts: int = 8,
        batch_size: int = 500,
        concurrency: int = 16,
        db_threads: int = 1,
        shares: SendingShares | None = None,
    ) -> None:
        self.outbox = outbox
        self.shares = shares  # several processes: claim only this one's share (service/shares.py)
        self.subscribers = subscribers
        self.channels = channels
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.concurrency = concurrency
        # per channel: a channel waiting on its own rate (Telegram's 25/s) must not hold the
        # slots another channel (a robot with its own limits) could send with meanwhile
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._db = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="outbox-db")
        self._random = random.Random()
        self._unrecorded: dict[int, str] = {}  # row id -> remote id: sent, not yet recorded
        # one transaction per batch of marks (both kinds) that queued up meanwhile
        # (service/group_commit.py); an item is (row id, None) for `sending`, (row id, remote
        # id) for `sent`
        self._marks: GroupCommit[tuple[int, str | None], bool] = GroupCommit(self._write_marks)
        self._interrupted = False  # the last tick ended on an error with rows still claimed

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        self._db.shutdown(wait=True)

    async def _write_marks(self, marks: list[tuple[int, str | None]]) -> list[bool]:
        sending = [row_id for row_id, remote in marks if remote is None]
        sent = [(row_id, remote) for row_id, remote in marks if remote is not None]
        held = await self._call(self.outbox.mark_many, sending, sent, self.clock.now())
        return [remote is not None or row_id in held for row_id, remote in marks]

    async def _mark_sending(self, row_id: int) -> bool:
        """Committed before the API call; False if the lease was lost."""
        return await self._marks.submit((row_id, None))

    async def send_due(self) -> SendReport:
        """Send every row that is due now; rows due later wait for a later tick.

        Claimed rows go into one lane per chat (sent in id order by one task); the next batch is
        claimed while the lanes still have work, so the global rate never idles at a batch
        boundary waiting for one chat's second chunk (1 s later). Each channel is topped up on
        its own: a channel whose lanes hold a long backlog (1,000 Telegram digests drain at
        30 a second) must not keep rows from channels that could send them now (100 Feishu bots
        at 5 a second each).
        """
        await self.record_sent()
        if self._interrupted:
            await self._call(self.outbox.release_own)
            self._interrupted = False
        report = SendReport()
        lanes: dict[tuple[str, str], deque[OutboxRow]] = {}
        tasks: set[asyncio.Task[None]] = set()
        finished = asyncio.Event()
        errors: list[BaseException] = []
        exhausted: set[str] = set()  # channels with nothing more due in this tick

        def on_done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())  # type: ignore[arg-type]
            finished.set()

        try:
            while True:
                hungry = self._hungry(lanes, exhausted)
                if hungry:
                    rows = await self._claim(hungry)
                    if len(rows) < self.batch_size:
                        exhausted.update(hungry)
                    for task in self._dispatch(rows, lanes, report):
                        tasks.add(task)
                        task.add_done_callback(on_done)
                if errors:
                    raise errors[0]  # a database error ends the tick (the job logs it)
                if not tasks:
                    return report
                finished.clear()
                more = len(exhausted) < len(self.channels.sending())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), 0.05 if more else None)
        except Exception:
            self._interrupted = True  # rows still claimed are released by the next tick
            raise
        finally:
            for task in list(tasks):
                task.cancel()  # their rows' leases expire and another tick takes them

    async def _claim(self, channels: list[str]) -> list[OutboxRow]:
        if self.shares is not None:
            return await self.shares.claim(self._call, self.batch_size, channels)
        return await self._call(self.outbox.claim, self.clock.now(), self.batch_size, channels)

    def _hungry(
        self, lanes: dict[tuple[str, str], deque[OutboxRow]], exhausted: set[str]
    ) -> list[str]:
        """The channels that may have due rows and hold less than half a batch in their lanes."""
        backlog: Counter[str] = Counter()
        for (channel, _chat), lane in lanes.items():
            backlog[channel] += len(lane)
        low = self.batch_size // 2
        return [
            name
            for name in self.channels.sending()
            if name not in exhausted and backlog[name] < low
        ]

    def _dispatch(
        self,
        rows: Sequence[OutboxRow],
        lanes: dict[tuple[str, str], deque[OutboxRow]],
        report: SendReport,
    ) -> list[asyncio.Task[None]]:
        """Append rows to their chat's lane; start a task for each chat that had none."""
        started = []
        for row in rows:
            key = (row.channel, row.chat_id)
            lane = lanes.get(key)
            if lane is None:
                lanes[key] = deque([row])
                started.append(asyncio.create_task(self._run_lane(key, lanes, report)))
            else:
                lane.append(row)
        return started

    async def _run_lane(
        self,
        key: tuple[str, str],
        lanes: dict[tuple[str, str], deque[OutboxRow]],
        report: SendReport,
    ) -> None:
        """One chat's rows in order; after a postponement the rest go back unsent.

        A row's `sent` mark is queued, not waited for: the next row's `sending` mark goes into
        the same group commit behind it, so a message costs the lane one database round trip
        instead of two, and a row is still only sent once every earlier row of its chat is
        recorded as sent (a crash leaves no more in doubt than before)."""
        lane = lanes[key]
        blocked = False
        recording: list[asyncio.Future[bool]] = []
        try:
            while lane:
                if blocked:
                    ids = [r.id for r in lane]
                    lane.clear()
                    await self._call(self.outbox.release, ids)
                    continue
                row = lane.popleft()
                blocked = not await self._send_row(row, report, recording, lane)
        finally:
            lanes.pop(key, None)
        for future in recording:
            await future  # a database error ends the tick; the sends are kept (_unrecorded)

    async def drain(self, *, poll: float = 0.2, timeout: float = 3600.0) -> SendReport:
        """Send until nothing is pending or in flight (benchmarks and the crash test use this)."""
        report = SendReport()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            report.add(await self.send_due())
            counts = await self._call(self.outbox.counts)
            if not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(poll)
        return report

    async def _send_row(
        self,
        row: OutboxRow,
        report: SendReport,
        recording: list[asyncio.Future[bool]],
        lane: deque[OutboxRow] | None = None,
    ) -> bool:
        """Send one row; False when the chat's later rows must wait (or are gone). The row's
        `sent` mark is queued into `recording` (see _run_lane); `lane` holds the chat's later
        claimed rows (given back with this one when its window is full for long)."""
        sender = self.channels.sender(row.channel)
        if sender is None:  # the channel stopped while its rows were in a lane
            await self._call(self.outbox.release, [row.id])
            return False
        message = outbound_of(row)
        pacer = self.channels.pacer(row.channel)
        wait = pacer.window_full_for(row.chat_id, group=message.is_group)
        if wait > LONG_WAIT:  # a full per-minute window (robots): give the rows back until then
            not_before = self.clock.now() + timedelta(seconds=wait)
            ids = [row.id, *(r.id for r in lane or ())]
            if lane:
                lane.clear()
            await self._call(self.outbox.release_chat_until, row.chat_id, ids, not_before)
            report.window_waits += 1
            return False
        marked = False
        if wait > 0:
            # The chat's own window is full for a moment (a Feishu bot's 5 a second): mark the
            # row while it refills, so the request leaves the moment the window allows instead
            # of a group commit later (that lag alone cost a fast robot a tenth of its rate).
            if not await self._mark_sending(row.id):
                report.lease_lost += 1
                return False
            marked = True
        await pacer.chat_ready(row.chat_id, group=message.is_group)  # spacing holds no slot
        slots = self._slots.get(row.channel)
        if slots is None:
            slots = self._slots[row.channel] = asyncio.Semaphore(self.concurrency)
        async with slots:
            if not marked and not await self._mark_sending(row.id):
                report.lease_lost += 1
                return False
            # nothing awaits between the slot and the request
            grant = await pacer.acquire(
                row.chat_id, group=message.is_group, priority=message.priority
            )
            try:
                remote_id = await sender.send(message)
            except SendError as exc:
                pacer.delivered(grant)
                await self._failed(row, exc, report)
                return False
            pacer.delivered(grant)
            recording.append(self._mark_sent(row.id, remote_id))
            report.sent += 1
            return True

    def _mark_sent(self, row_id: int, remote_id: str) -> asyncio.Future[bool]:
        """Queue the record of a sent row. If the database went away after the platform
        accepted the message, the fact is kept here and written before anything is claimed
        again, so the lease cannot expire into a second send of the same message."""
        future = self._marks.enqueue((row_id, remote_id))

        def kept(done: asyncio.Future[bool]) -> None:
            if done.cancelled() or done.exception() is not None:
                self._unrecorded[row_id] = remote_id

        future.add_done_callback(kept)
        return future

    async def record_sent(self) -> None:
        """Write the sends the database missed (see _mark_sent); raises while it is still away."""
        for row_id, remote_id in list(self._unrecorded.items()):
            await self._call(self.outbox.mark_sent, row_id, remote_id, self.clock.now())
            del self._unrecorded[row_id]

    async def _failed(self, row: OutboxRow, exc: SendError, report: SendReport) -> None:
        now = self.clock.now()
        outcome = exc.outcome
        if outcome is SendOutcome.RETRY_AFTER:
            report.rate_limited += 1
            wait = self.retry_wait(row.channel, exc)
            self.channels.pacer(row.channel).pause_chat(row.chat_id, wait)
            await self._postpone(row, now + timedelta(seconds=wait), str(exc), count=False)
        elif outcome is SendOutcome.RECIPIENT_MOVED and exc.moved_to:
            report.migrated += 1
            await self._call(
                self.subscribers.update_chat_id, row.channel, row.chat_id, exc.moved_to, now
            )
            await self._call(self.outbox.move_chat, row.chat_id, exc.moved_to)
            log.info("chat %s migrated to %s; unsent messages moved", row.chat_id, exc.moved_to)
        elif outcome is SendOutcome.RECIPIENT_GONE:
            report.deactivated += 1
            await self._call(self.subscribers.mark_inactive, row.channel, row.chat_id, now)
            report.failed += await self._call(self.outbox.fail_chat, row.chat_id, str(exc))
            log.info(
                "chat %s unreachable (%s): subscriber marked inactive", row.chat_id, exc.reason
            )
        elif outcome is SendOutcome.HOLD_UNTIL_CONTACT:
            report.held += await self._call(
                self.outbox.hold_chat, row.channel, row.chat_id, str(exc)
            )
            log.info("chat %s reachable only after it writes: messages held", row.chat_id)
        elif outcome is SendOutcome.BAD_MARKUP and not row.payload.get("plain"):
            report.plain_fallbacks += 1
            payload = {**row.payload, "plain": True, "text": html_to_plain(row.text)}
            await self._call(self.outbox.replace_payload, row.id, payload)
            await self._postpone(row, now, str(exc), count=False)
            log.warning(
                "chat %s: markup refused (%s); resending as plain text", row.chat_id, exc.reason
            )
        elif outcome in (SendOutcome.BAD_MARKUP, SendOutcome.FATAL, SendOutcome.RECIPIENT_MOVED):
            report.failed += 1
            await self._call(self.outbox.fail, row.id, str(exc))
            log.warning("outbox row %s rejected: %s", row.id, exc.reason)
        else:
            await self._transient(row, exc, report, now)

    def retry_wait(self, channel: str, exc: SendError) -> float:
        """How long a flood-controlled chat waits: what the platform said, else its block time."""
        if exc.retry_after is not None:
            return exc.retry_after
        return self.channels.profile(channel).pacing.block_seconds or 1.0

    async def _transient(
        self, row: OutboxRow, exc: SendError, report: SendReport, now: Any
    ) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            report.failed += 1
            await self._call(self.outbox.fail, row.id, f"gave up after {attempts} attempts: {exc}")
            log.warning("outbox row %s failed after %d attempts: %s", row.id, attempts, exc.reason)
            return
        report.retried += 1
        delay = backoff_delay(attempts, jitter=self._random.random())
        await self._postpone(row, now + timedelta(seconds=delay), str(exc), count=True)

    async def _postpone(self, row: OutboxRow, not_before: Any, error: str, *, count: bool) -> None:
        await self._call(self.outbox.retry, row.id, not_before, error, count_attempt=count)
        await self._call(self.outbox.postpone_chat, row.chat_id, row.id, not_before)


def outbound_of(row: OutboxRow) -> Outbound:
    """The neutral payload a channel's sender takes, from an outbox row."""
    payload = row.payload
    try:
        kind = Kind(row.kind)
    except ValueError:
        kind = Kind.BROADCAST
    return Outbound(
        recipient=row.chat_id,
        text=row.text,
        kind=kind,
        buttons=buttons_from_payload(payload.get("buttons") or ()),
        link_preview=bool(payload.get("link_preview")),
        plain=bool(payload.get("plain")),
        is_group=bool(payload.get("group")),
        priority=PRIORITY_OF_KIND.get(kind, Priority.BULK),
        card=card_from_payload(payload.get("card")),
    )


def card_from_payload(data: Any) -> LinkCard | None:
    if not isinstance(data, dict) or not data.get("url"):
        return None
    fields = ("title", "description", "url", "image")
    return LinkCard(*(str(data.get(name, "")) for name in fields))


def card_to_payload(card: LinkCard) -> dict[str, str]:
    return {
        "title": card.title,
        "description": card.description,
        "url": card.url,
        "image": card.image,
    }


def buttons_from_payload(
    rows: Sequence[Sequence[dict[str, Any]]],
) -> tuple[tuple[Button, ...], ...]:
    return tuple(
        tuple(Button(str(b.get("label", "")), b.get("data"), b.get("url")) for b in row)
        for row in rows
        if row
    )


def buttons_to_payload(rows: Sequence[Sequence[Button]]) -> list[list[dict[str, Any]]]:
    return [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in rows if row]
