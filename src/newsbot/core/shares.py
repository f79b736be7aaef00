"""Partitioned sending, the pure part: which chats a sending process owns, and how fast it may go.

Several `newsbot run` processes on one PostgreSQL database share the platforms' limits (a bot
token's 30 messages a second, a chat's 1 a second, a group robot's 20 a minute). Each sending
process is a *member* (a row in the senders table, storage/senders.py) and sends only the chats of
its *share*: every outbox row carries a stable bucket of its (channel, chat id), `chat_bucket`,
in [0, BUCKETS); the members, in the table's order, split the buckets into contiguous ranges.
One chat is therefore sent by one process at a time, so its own windows hold across processes.

Each member paces every channel at rate / `pace` and writes its pace in its row. The sum of the
shares the members pace at, sum(1 / pace), never goes above 1, so the global limits hold for the
deployment: a member slows down first and says so afterwards; it speeds up only when the others'
shares leave room (`may_pace`); a new member claims nothing until everybody has slowed down for
it (`claim_range` is None until then).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

BUCKETS = 1024  # fine enough for an even split among a few processes, small enough to store
_EPSILON = 1e-9  # sums of 1/n that are exactly 1 on paper


def chat_bucket(channel: str, chat_id: str) -> int:
    """The chat's stable bucket (the same in every process and every release)."""
    return zlib.crc32(f"{channel}\x00{chat_id}".encode()) % BUCKETS


@dataclass(frozen=True, slots=True)
class Member:
    """A sending process as the senders table lists it: its claim token and its pace (it sends
    at most 1/pace of each channel's rate)."""

    token: str
    pace: int


def bucket_range(index: int, count: int) -> tuple[int, int]:
    """Member `index` of `count` owns the buckets in [low, high)."""
    return index * BUCKETS // count, (index + 1) * BUCKETS // count


def paced_share(members: Sequence[Member]) -> float:
    """The part of each channel's rate the members pace at together."""
    return sum(1.0 / max(1, m.pace) for m in members)


def may_pace(members: Sequence[Member], token: str, pace: int) -> bool:
    """May `token` pace at 1/pace now? Only if the members' shares still add up to at most 1."""
    others = [m for m in members if m.token != token]
    return paced_share(others) + 1.0 / max(1, pace) <= 1.0 + _EPSILON


def claim_range(members: Sequence[Member], token: str) -> tuple[int, int] | None:
    """The buckets `token` may claim rows of now; None while it may claim nothing.

    Nothing when it is not a member (expired: it must register again), when it paces faster
    than its share of the members, or while the others have not yet slowed down for it.
    """
    tokens = [m.token for m in members]
    if token not in tokens:
        return None
    mine = members[tokens.index(token)]
    if mine.pace < len(members) or paced_share(members) > 1.0 + _EPSILON:
        return None
    return bucket_range(tokens.index(token), len(members))
