"""Channels: one outside messaging system each, as the rest of the house sees it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from newsbot.core.channels import ChannelProfile, Outbound
from newsbot.core.groups import RobotTarget
from newsbot.core.incoming import Incoming, Response
from newsbot.core.models import OutboxRow
from newsbot.front.routes import Route
from newsbot.ports.channel_stores import ChannelStores


class ChannelSender(Protocol):
    """Puts one rendered chunk on the wire. Returns the platform's message id; raises
    errors.SendError whose `outcome` (core.channels.SendOutcome) classifies the failure."""

    async def send(self, message: Outbound) -> str: ...


class ChannelContext(Protocol):
    """What a running channel may call: the conversation, and the paced way out."""

    async def handle(self, incoming: Incoming) -> Response:
        """The conversation's answer to one inbound message or button press."""
        ...

    async def chat_gone(self, channel: str, chat_id: str) -> None:
        """The platform says the recipient left or blocked us: stop sending to it."""
        ...

    async def deliver(self, channel: str, message: Outbound) -> str:
        """Send through the channel's pacer (replies and edits before digests); the remote id."""
        ...

    def request_stop(self) -> None:
        """The channel's user asked to end the service (the console's /quit)."""
        ...

    def secret(self, name: str) -> bytes:
        """A random key kept in the database under `name`, the same in every process."""
        ...

    def channel_trouble(self, channel: str, problem: str | None) -> None:
        """A running channel cannot reach its platform (`problem`, one line), or can again
        (None): the supervisor pauses its sending meanwhile and /healthz reports it."""
        ...

    def stores(self) -> ChannelStores:
        """Small state callback channels keep in the database (shared by every process)."""
        ...

    def take_held(self, channel: str, chat_id: str) -> list[Outbound]:
        """The messages held for this recipient (SendOutcome.HOLD_UNTIL_CONTACT), taken for
        the channel to deliver now (WeChat: as the passive reply); they count as sent."""
        ...

    def held_messages(self, rows: Sequence[OutboxRow]) -> list[Outbound]:
        """Held outbox rows taken with an inbound record (InboundLedger.begin(take_held=True)),
        as the messages the channel delivers now."""
        ...

    def language(self, channel: str, chat_id: str) -> str:
        """The recipient's language ("zh" when unknown), for text the channel adds itself."""
        ...

    @property
    def groups(self) -> RobotDirectory:
        """The robot groups (webhooks, secrets, state) the robot channels post to."""
        ...


class Channel(Protocol):
    """One outside messaging system, as the rest of the house sees it.

    `profile` says everything else needs to know (rendering, limits, pacing, error rules) as
    data; `configured` is False when the settings lack what it needs to run (e.g. a token), in
    which case it is never started but its profile still renders for its subscribers.
    """

    @property
    def name(self) -> str: ...

    @property
    def profile(self) -> ChannelProfile: ...

    @property
    def configured(self) -> bool: ...

    @property
    def sender(self) -> ChannelSender: ...

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        """Inbound HTTP routes for the one HTTP front (webhooks, callbacks); asked before the
        front starts, so before `start`. Most channels that only push return []."""
        ...

    async def start(self, context: ChannelContext) -> None:
        """Begin receiving (polling, stdin; webhooks arrive on the routes); return once running."""
        ...

    async def stop(self) -> None: ...


class RobotDirectory(Protocol):
    """Where the group robots' recipients live (storage.groups.GroupStore): the webhook and
    signing secret of a group, and what the platform said about it."""

    def target(self, channel: str, chat_id: str) -> RobotTarget | None: ...

    def reject(self, channel: str, chat_id: str, reason: str, now: datetime) -> None:
        """The platform refused the key, token or signature: pause the group with the reason."""
        ...

    def note_error(self, channel: str, chat_id: str, reason: str, now: datetime) -> None: ...
