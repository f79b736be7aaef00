"""Scheduler wiring, leader election, the pacer on fake time, and the alert watermark."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest
from sqlalchemy import Engine

from delivery_support import NOW, FakeClock, FakeMonotonic, add_articles, fake_pacer
from newsbot.app import newsroom_over
from newsbot.config import Settings
from newsbot.core.channels import RateWindow
from newsbot.scheduler import build_scheduler
from newsbot.service.pacer import Pacer
from newsbot.storage import db
from newsbot.storage.digests import AlertWatermark
from newsbot.storage.leader import LeaderLock


async def test_scheduler_has_three_interval_jobs_and_no_job_per_subscriber(engine: Engine) -> None:
    clock = FakeClock()
    newsroom = newsroom_over(Settings(), engine, clock=clock)
    scheduler = build_scheduler(newsroom)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"poll", "delivery", "outbox"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time is None
    assert jobs["delivery"].trigger.interval.total_seconds() == 60
    newsroom.close()


async def test_scheduled_job_failure_is_logged_not_raised(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    newsroom = newsroom_over(Settings(), engine, clock=BrokenClock())
    scheduler = build_scheduler(newsroom)
    job = scheduler.get_job("delivery")
    await job.func()
    assert "scheduled delivery tick failed" in caplog.text
    newsroom.close()


class BrokenClock:
    """A clock (ports.Clock) that fails: the tick fails with a bug, not an outage."""

    def now(self) -> datetime:
        raise RuntimeError("the clock broke")


def test_leader_lock_is_exclusive_on_postgres(engine: Engine) -> None:
    first, second = LeaderLock(engine), LeaderLock(engine)
    assert first.try_acquire()
    if not db.is_postgres(engine):
        assert second.try_acquire()  # SQLite: one process, always the leader
        return
    assert not second.try_acquire()
    assert first.try_acquire()  # still the leader on the next tick
    first.release()
    assert second.try_acquire()
    second.release()


def test_alert_watermark_starts_at_newest_and_moves(engine: Engine) -> None:
    add_articles(engine, 2)
    mark = AlertWatermark(engine)
    assert mark.take_new() == []  # history never alerts
    with engine.begin() as conn:
        from sqlalchemy import insert

        from newsbot.storage.schema import articles

        conn.execute(
            insert(articles).values(
                source_id=1,
                dedupe_key="n",
                url="u",
                section="",
                title="t",
                text="x",
                fetched_at=NOW,
                content_hash="h",
                update_count=0,
            )
        )
    assert mark.take_new() == [3]
    assert mark.take_new() == []


async def test_pacer_spacing_global_and_per_chat() -> None:
    pacer, timer = fake_pacer(rate=10, per_chat=1.0)
    start = timer()
    times = []
    for chat in ["a", "b", "a", "c"]:
        await pacer.acquire(chat)
        times.append(round(timer() - start, 3))
    interval = 1 / (10 * 0.95)
    assert times[1] == pytest.approx(interval, abs=1e-3)
    assert times[2] >= 1.02  # the same chat again: its own 1 s window (with 2% slack)
    assert times[3] == pytest.approx(times[2] + interval, abs=1e-3)


async def test_pacer_pause_affects_only_that_chat() -> None:
    pacer, timer = fake_pacer(rate=1000)
    await pacer.acquire("x")
    pacer.pause_chat("x", 30)
    start = timer()
    await pacer.acquire("y")
    assert timer() - start < 0.01
    await pacer.acquire("x")
    assert timer() - start >= 30


async def test_pacer_never_exceeds_rate_in_any_second_even_when_late() -> None:
    pacer, timer = fake_pacer(rate=50)
    sent = []
    for i in range(300):
        if i % 37 == 0:
            timer.value += 0.4  # the event loop stalled: slots were missed
        await pacer.acquire(f"chat{i}")
        sent.append(timer())
    for i, t in enumerate(sent):
        in_window = sum(1 for u in sent[i:] if u - t < 1.0)
        assert in_window <= 50 * 0.95


def test_newsroom_runs_the_sync_ticks(engine: Engine) -> None:
    newsroom = newsroom_over(Settings(), engine, clock=FakeClock())
    report = asyncio.run(newsroom.delivery_tick())
    assert report is not None and report.due == 0
    newsroom.close()


async def test_pacer_global_429_slows_everyone_for_a_while() -> None:
    pacer, timer = fake_pacer(rate=100)
    await pacer.acquire("a")
    pacer.pause_chat("never-sent", 1)  # a 429 for a chat we had not sent to: the global limit
    assert pacer.slowdowns == 1
    await pacer.acquire("b")
    after_b = timer()
    await pacer.acquire("c")
    assert timer() - after_b == pytest.approx(1 / (100 * 0.95) / 0.8, rel=0.05)
    pacer.pause_chat("c", 1)  # just sent to c: a per-chat 429, no slowdown
    assert pacer.slowdowns == 1


async def test_pacer_group_limit_20_per_minute() -> None:
    pacer, timer = fake_pacer(rate=1000, per_chat=100)
    start = timer()
    for _ in range(21):
        await pacer.acquire("-100123", group=True)
    assert timer() - start >= 61  # the 21st waits for the first to leave the window (+1 s slack)
    private_start = timer()
    for i in range(21):
        await pacer.acquire(str(i))  # private chats have no per-minute window
    assert timer() - private_start < 1


async def test_a_group_window_counts_a_send_from_its_answer() -> None:
    """A request that took 5 s to be answered may have arrived late: the window counts from the
    answer, so the 21st message waits 61 s after that answer, not after the first acquire."""
    pacer, timer = fake_pacer(rate=1000, per_chat=100)
    start = timer()
    first = await pacer.acquire("g", group=True)
    timer.value += 5.0  # the first request's answer came 5 s later
    pacer.delivered(first)
    for _ in range(20):
        await pacer.acquire("g", group=True)
    assert timer() - start >= 5.0 + 61


async def test_a_late_slot_keeps_the_grid_but_an_idle_spell_restarts_it() -> None:
    """A sender that takes its slot a little late (a busy event loop) does not push every later
    slot back; after an idle spell the pace restarts from now (no burst of missed slots)."""
    pacer, timer = fake_pacer(rate=100)
    interval = 1 / (100 * 0.95)
    await pacer.acquire("a")
    start = timer()
    timer.value += interval * 1.5  # the next sender woke half an interval late
    await pacer.acquire("b")
    await pacer.acquire("c")  # the grid: slot 2 is only half an interval after b
    assert timer() - start == pytest.approx(interval * 2, abs=1e-6)
    timer.value += 10.0  # idle
    idle_end = timer()
    await pacer.acquire("d")
    await pacer.acquire("e")
    assert timer() - idle_end == pytest.approx(interval, abs=1e-6)


async def test_a_window_lets_a_recipient_reach_its_cap_and_never_more() -> None:
    """Feishu's 5 a second per bot: five back to back, the sixth once the first answer is 1 s
    old (+2%); any 1 s of answers holds at most 5, and the sustained pace is ~5 a second."""
    timer = FakeMonotonic()
    pacer = Pacer(1e6, RateWindow(5, 1.0), None, monotonic=timer, sleep=timer.sleep)
    answered = []
    for _ in range(50):
        grant = await pacer.acquire("bot")
        timer.value += 0.003  # the platform answers 3 ms later
        pacer.delivered(grant)
        answered.append(timer())
    for i, t in enumerate(answered):
        assert sum(1 for u in answered[i:] if u - t < 1.0) <= 5
    rate = (len(answered) - 5) / (answered[-1] - answered[4])
    assert rate > 5 * 0.95


@pytest.mark.postgres
def test_leader_lock_is_per_schema(postgres_url: str) -> None:
    """Two deployments in two schemas of one database each elect their own leader."""
    import psycopg

    server = postgres_url.split("?")[0].replace("postgresql+psycopg://", "postgresql://")
    schema = postgres_url.rsplit("%3D", 1)[1]
    other = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{other}"')
    engines = [
        db.create_db_engine(postgres_url),
        db.create_db_engine(postgres_url.replace(schema, other)),
    ]
    locks = [LeaderLock(e) for e in engines]
    try:
        assert all(lock.try_acquire() for lock in locks)
        assert not LeaderLock(engines[0]).try_acquire()  # still exclusive within a schema
    finally:
        for lock in locks:
            lock.release()
        for e in engines:
            e.dispose()
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{other}" CASCADE')


async def test_the_global_limit_counts_each_send_from_its_answer() -> None:
    """Ten sends in flight whose answers all come late (a slow network) may all have arrived just
    before their answers: the eleventh waits a second after those answers, not after the
    requests, so no second of arrivals can hold more than the rate."""
    timer = FakeMonotonic()
    pacer = Pacer(10, None, None, monotonic=timer, sleep=timer.sleep)
    grants = [await pacer.acquire(f"chat{i}") for i in range(10)]
    timer.value += 0.5
    for grant in grants:
        pacer.delivered(grant)
    answered = timer()
    await pacer.acquire("chat10")
    assert timer() >= answered + 1.0
