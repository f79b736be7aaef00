"""The channel registry: every channel the composition root built, by name, with its pacer.

The delivery service, the outbox sender, `newsbot run` and the scheduler see channels only
through this object: `profile(name)` to render, `pacer(name)` to pace, `sender(name)` to send
(only channels that are running have one), `start`/`stop` for the service's life. Nothing here
tests a channel's name; a subscriber on a channel that is not built here renders as plain text
and waits in the outbox until a process that runs that channel sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from newsbot.core.channels import PLAIN_PROFILE, ChannelProfile, Outbound, SendOutcome
from newsbot.core.render import render_for
from newsbot.core.replies import Message
from newsbot.core.schedule import backoff_delay
from newsbot.errors import SendError
from newsbot.front.routes import Route
from newsbot.ports import Channel, ChannelContext, ChannelSender
from newsbot.service.pacer import Pacer

log = logging.getLogger(__name__)
REPLY_ATTEMPTS = 4  # network failures of an interactive reply: retried with backoff, then logged


class ChannelRegistry:
    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._channels: dict[str, Channel] = {}
        self._pacers: dict[str, Pacer] = {}
        self._senders: dict[str, ChannelSender] = {}
        self._started: list[Channel] = []
        for channel in channels:
            self.add(channel)

    def add(self, channel: Channel) -> None:
        if channel.name in self._channels:
            raise ValueError(f"channel {channel.name!r} registered twice")
        self._channels[channel.name] = channel

    def names(self) -> list[str]:
        return list(self._channels)

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def profile(self, name: str) -> ChannelProfile:
        channel = self._channels.get(name)
        return channel.profile if channel is not None else PLAIN_PROFILE

    def render(self, name: str, message: Message) -> list[str]:
        """`message` as chunks in the channel's dialect, each within its limit."""
        return render_for(self.profile(name), message)

    def pacer(self, name: str) -> Pacer:
        """The channel's one pacer in this process (built from its profile on first use)."""
        pacer = self._pacers.get(name)
        if pacer is None:
            pacer = self._pacers[name] = Pacer.for_pacing(self.profile(name).pacing)
        return pacer

    def use_pacer(self, name: str, pacer: Pacer) -> None:
        """Replace a channel's pacer (benchmarks and tests pace on fake time or another rate)."""
        self._pacers[name] = pacer

    # --- who can send now ---------------------------------------------------------------------

    def sender(self, name: str) -> ChannelSender | None:
        return self._senders.get(name)

    def sending(self) -> list[str]:
        """The channels whose outbox rows this process sends."""
        return list(self._senders)

    def attach(self, name: str, sender: ChannelSender) -> None:
        """Let the outbox send on `name` through `sender` (start() does this for each channel)."""
        self._senders[name] = sender

    async def deliver(self, name: str, message: Outbound) -> str:
        """Send now through the channel's pacer: the paced path for replies and edits.

        The message takes the next slot its priority allows (replies before digests). A 429 is
        waited out, however long, and the message goes out: it is never dropped. Network errors
        are retried a few times with backoff; any other failure is raised (SendError, with its
        outcome) for the caller to decide (e.g. resend as plain text).
        """
        sender = self._senders.get(name)
        if sender is None:
            raise SendError(message.recipient, f"channel {name} is not running", SendOutcome.FATAL)
        pacer = self.pacer(name)
        failures = 0
        while True:
            grant = await pacer.acquire(
                message.recipient, group=message.is_group, priority=message.priority
            )
            try:
                remote_id = await sender.send(message)
                pacer.delivered(grant)
                return remote_id
            except SendError as exc:
                pacer.delivered(grant)
                if exc.outcome is SendOutcome.RETRY_AFTER:
                    wait = exc.retry_after
                    if wait is None:
                        wait = self.profile(name).pacing.block_seconds or 1.0
                    pacer.pause_chat(message.recipient, wait)  # acquire() waits it out
                    continue
                failures += 1
                if exc.outcome is not SendOutcome.BACKOFF or failures >= REPLY_ATTEMPTS:
                    raise
                await asyncio.sleep(backoff_delay(failures, jitter=0.0, base=0.5))

    def pause(self, name: str) -> None:
        """Stop sending on a started channel that reports trouble (its rows wait, unspent)."""
        self._senders.pop(name, None)

    def resume(self, name: str) -> None:
        """Send on a paused channel again (only if it is still started)."""
        for channel in self._started:
            if channel.name == name:
                self.attach(name, channel.sender)

    def configured(self) -> list[Channel]:
        return [c for c in self._channels.values() if c.configured]

    def routes(self, context: ChannelContext, names: Iterable[str]) -> list[Route]:
        """The inbound HTTP routes of the channels about to start (for the HTTP front)."""
        wanted = set(names)
        return [
            route
            for channel in self._channels.values()
            if channel.name in wanted
            for route in channel.routes(context)
        ]

    async def start(self, context: ChannelContext, names: Iterable[str] | None = None) -> None:
        """Start the configured channels (or just `names`); each then sends its outbox rows."""
        wanted = set(names) if names is not None else {c.name for c in self.configured()}
        for channel in self._channels.values():
            if channel.name not in wanted:
                continue
            try:
                await channel.start(context)
            except BaseException:  # half started (a client opened, then the network failed)
                with contextlib.suppress(Exception):
                    await channel.stop()
                raise
            self._started.append(channel)
            self.attach(channel.name, channel.sender)
            log.info("channel %s started", channel.name)

    async def stop(self) -> None:
        """Stop in reverse start order; one failing channel does not keep the others running."""
        while self._started:
            channel = self._started.pop()
            self._senders.pop(channel.name, None)
            try:
                await channel.stop()
            except Exception:  # the top of a shutdown step: log it, stop the rest
                log.exception("channel %s did not stop cleanly", channel.name)
