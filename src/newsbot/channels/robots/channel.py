"""A group robot as a ports.Channel: push only, always configured (its recipients are the
groups in the database, added with `newsbot groups add`), nothing to receive."""

from __future__ import annotations

from collections.abc import Sequence

from newsbot.channels.robots.sender import RobotSender, Wire
from newsbot.core.channels import ChannelProfile
from newsbot.front.routes import Route
from newsbot.ports import ChannelContext, Clock


class RobotChannel:
    configured = True  # needs no settings: with no groups it simply never sends

    def __init__(
        self, profile: ChannelProfile, kind: str, wire: Wire, *, clock: Clock | None = None
    ) -> None:
        self.name = profile.name
        self.profile = profile
        self.kind = kind
        self._sender = RobotSender(profile, kind, wire, clock=clock)

    @property
    def sender(self) -> RobotSender:
        return self._sender

    def routes(self, context: ChannelContext) -> Sequence[Route]:
        return []  # a robot only pushes

    async def start(self, context: ChannelContext) -> None:
        self._sender.directory = context.groups

    async def stop(self) -> None:
        await self._sender.close()
