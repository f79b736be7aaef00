"""Group commit (service/group_commit.py): marks asked for during a write go in the next one."""

from __future__ import annotations

import asyncio

import pytest

from newsbot.service.group_commit import GroupCommit


async def test_marks_queued_during_a_write_share_the_next_one() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def write(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            await release.wait()  # the first write is slow: the others queue up meanwhile
        return [item * 10 for item in items]

    commit: GroupCommit[int, int] = GroupCommit(write)
    first = asyncio.create_task(commit.submit(1))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(commit.submit(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 10
    assert [await task for task in rest] == [20, 30, 40]  # each caller gets its own result
    assert batches == [[1], [2, 3, 4]]
    assert (commit.batches, commit.items) == (2, 4)


async def test_a_failed_write_fails_every_mark_of_its_batch_only() -> None:
    calls = 0

    async def write(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database away")
        return items

    commit: GroupCommit[str, str] = GroupCommit(write)
    with pytest.raises(ConnectionError):
        await commit.submit("a")
    assert await commit.submit("b") == "b"  # the next batch is written normally
