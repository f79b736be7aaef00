"""Group subscriptions for the robots, as operators manage them (`newsbot groups ...`).

A group is stored as a subscriber plus its robot (see core/groups.py), so the daily digest,
keyword alerts, the outbox, the pacer and the exactly-once (subscriber, local date) record need
nothing group-specific. This module validates what operators type, fills in the configured
defaults, and sends the one-off test message straight to the platform (not through the outbox:
the operator is waiting for the platform's answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import time

from newsbot.core.groups import (
    GroupError,
    GroupKind,
    GroupSpec,
    GroupState,
    GroupView,
    chat_id_of,
    validate_spec,
)
from newsbot.core.models import hhmm
from newsbot.ports import Clock, GroupDirectory

TEST_MESSAGE = "newsbot 测试消息：本群已订阅山西大院资讯每日摘要（{name}）。"


# (chat id, text) -> (accepted, the platform's answer); sends at once, never raises for an answer
TestSend = Callable[[str, str], Awaitable[tuple[bool, str]]]


class GroupService:
    def __init__(
        self,
        directory: GroupDirectory,
        clock: Clock,
        *,
        default_time: time,
        default_timezone: str,
        testers: Mapping[str, TestSend] | None = None,
    ) -> None:
        self.directory = directory
        self.clock = clock
        self.default_time = default_time
        self.default_timezone = default_timezone
        self.testers = dict(testers or {})

    def add(self, spec: GroupSpec) -> GroupView:
        """Validate, fill the defaults, store; the new group as listed. GroupError if refused."""
        filled = replace(
            spec,
            digest_time=spec.digest_time or hhmm(self.default_time),
            timezone=spec.timezone or self.default_timezone,
        )
        self.directory.add(validate_spec(filled), self.clock.now())
        return self.get(spec.name)

    def get(self, name: str) -> GroupView:
        found = self.directory.views(name)
        if not found:
            raise GroupError(f"no group named {name!r} (see `newsbot groups list`)")
        return found[0]

    def list(self) -> list[GroupView]:
        return self.directory.views()

    def pause(self, name: str) -> GroupView:
        return self._set(name, GroupState.PAUSED, "paused by an operator")

    def resume(self, name: str) -> GroupView:
        return self._set(name, GroupState.ACTIVE, None)

    def remove(self, name: str) -> None:
        if not self.directory.remove(name):
            raise GroupError(f"no group named {name!r} (see `newsbot groups list`)")

    async def test(self, name: str) -> tuple[bool, str]:
        """Send one short message to the group now; (accepted, the platform's answer)."""
        group = self.get(name)
        tester = self.testers.get(group.kind)
        if tester is None:
            raise GroupError(f"no sender for kind {group.kind!r}")
        return await tester(chat_id_of(name), TEST_MESSAGE.format(name=name))

    def _set(self, name: str, state: GroupState, reason: str | None) -> GroupView:
        if not self.directory.set_state(name, state, reason, self.clock.now()):
            raise GroupError(f"no group named {name!r} (see `newsbot groups list`)")
        return self.get(name)


def kinds() -> list[str]:
    return [kind.value for kind in GroupKind]
