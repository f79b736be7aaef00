"""Partitioned sending, its parts: shares (pure), a pacer's share of the rate, the senders table
and the share claim on PostgreSQL (the end-to-end runs are in test_shared_pacing_run.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from delivery_support import NOW, FakeMonotonic
from newsbot.core.channels import RateWindow
from newsbot.core.models import NewMessage
from newsbot.core.shares import (
    BUCKETS,
    Member,
    bucket_range,
    chat_bucket,
    claim_range,
    may_pace,
)
from newsbot.service.pacer import Pacer
from newsbot.storage import db
from newsbot.storage.outbox import OutboxStore
from newsbot.storage.senders import SenderTable

# --- the pure part -------------------------------------------------------------------------------


def test_a_chat_bucket_is_stable_and_in_range() -> None:
    assert chat_bucket("telegram", "10001") == chat_bucket("telegram", "10001")
    assert chat_bucket("telegram", "1") != chat_bucket("wecom", "1")  # the channel is part of it
    buckets = {chat_bucket("telegram", str(10_000 + i)) for i in range(3000)}
    assert min(buckets) >= 0 and max(buckets) < BUCKETS and len(buckets) > BUCKETS * 0.9


@given(st.integers(min_value=1, max_value=40))
def test_the_members_ranges_cover_every_bucket_once(count: int) -> None:
    ranges = [bucket_range(i, count) for i in range(count)]
    assert ranges[0][0] == 0 and ranges[-1][1] == BUCKETS
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))


def test_a_new_member_claims_nothing_until_the_others_slowed_down() -> None:
    old = [Member("a", 2), Member("b", 2)]
    joined = [*old, Member("c", 3)]
    assert claim_range(joined, "c") is None  # 1/2 + 1/2 + 1/3 > 1
    assert claim_range(joined, "a") is None  # a paces faster than its share of three
    settled = [Member("a", 3), Member("b", 3), Member("c", 3)]
    assert [claim_range(settled, t) for t in "abc"] == [(0, 341), (341, 682), (682, 1024)]
    assert claim_range(settled, "gone") is None


def test_a_member_speeds_up_only_into_room_the_others_left() -> None:
    after_a_leave = [Member("b", 3), Member("c", 3)]  # a left; both still pace at 1/3
    assert may_pace(after_a_leave, "b", 2)  # 1/3 + 1/2 <= 1
    assert may_pace([Member("b", 2), Member("c", 3)], "c", 2)
    assert not may_pace([Member("b", 1), Member("c", 3)], "c", 2)


# --- a pacer's share of the rate -----------------------------------------------------------------


async def test_a_pacer_share_paces_at_its_part_of_the_rate() -> None:
    timer = FakeMonotonic()
    pacer = Pacer(30, None, None, monotonic=timer, sleep=timer.sleep)
    pacer.share(3)
    start = timer()
    sent = []
    for i in range(100):
        grant = await pacer.acquire(f"chat{i}")
        pacer.delivered(grant)
        sent.append(timer())
    rate = 99 / (sent[-1] - start)
    assert 10 * 0.9 <= rate <= 10  # 1/3 of 30 (less the 5% headroom)
    for i, t in enumerate(sent):
        assert sum(1 for u in sent[i:] if u - t < 1.0) <= 10  # never more than its third
    pacer.share(1)  # back to the whole rate
    assert pacer.interval == pytest.approx(1 / (30 * 0.95))
    assert pacer.per_window == 28 and pacer.global_window is not None
    assert pacer.global_window.limit == 30


async def test_a_send_from_another_process_counts_in_the_chats_windows() -> None:
    timer = FakeMonotonic()
    chat, group = RateWindow(1, 1.0), RateWindow(20, 60.0)
    pacer = Pacer(1000, chat, group, monotonic=timer, sleep=timer.sleep)
    pacer.sent_elsewhere("a", 0.4)
    assert pacer.window_full_for("a") == pytest.approx(0.62, abs=0.01)  # 1.02 s from its send
    for i in range(20):
        pacer.sent_elsewhere("-g", 59.0 - i, group=True)
    assert pacer.window_full_for("-g", group=True) == pytest.approx(2.0, abs=0.01)


# --- the senders table and the share claim (PostgreSQL: on SQLite one process sends alone) -----


def test_senders_register_expire_and_repace(pg: Engine) -> None:
    table = SenderTable(pg)
    expiry = timedelta(seconds=10)
    assert table.beat("a", "host:1", 1, NOW, expiry) == [Member("a", 1)]
    assert table.beat("b", "host:2", 1, NOW + timedelta(seconds=1), expiry) == [
        Member("a", 1),
        Member("b", 2),  # registered no faster than its share
    ]
    assert table.repace("b", 1) == [Member("a", 1), Member("b", 2)]  # no room: a is at 1/1
    assert table.repace("a", 2)[0] == Member("a", 2)  # slowing down is always recorded
    # a stops beating; b's beat after the expiry drops it, and b may then take the whole rate
    later = NOW + timedelta(seconds=12)
    assert table.beat("b", "host:2", 2, later, expiry) == [Member("b", 2)]
    assert table.repace("b", 1) == [Member("b", 1)]
    table.leave("b")
    assert table.listed() == []


def message(chat: str, index: int) -> NewMessage:
    return NewMessage(f"d:{chat}:{index}", None, "telegram", chat, "digest", {"text": f"{index}"})


def test_a_share_claim_takes_only_its_chats_and_none_another_holds(pg: Engine) -> None:
    table = SenderTable(pg)
    first, second = OutboxStore(pg), OutboxStore(pg)
    chats = [str(10_000 + i) for i in range(200)]
    for chat in chats:
        for index in range(2):
            first.enqueue_one(message(chat, index), NOW)
    expiry = timedelta(seconds=60)
    for offset, store in enumerate((first, second)):
        table.beat(store.token, "t", 2, NOW + timedelta(seconds=offset), expiry)
    mine = first.claim(NOW, 1000, shared=True)
    theirs = second.claim(NOW, 1000, shared=True)
    assert len(mine) + len(theirs) == 400 and mine and theirs
    half = BUCKETS // 2
    assert all(chat_bucket("telegram", r.chat_id) < half for r in mine)
    assert all(chat_bucket("telegram", r.chat_id) >= half for r in theirs)
    first.release([r.id for r in mine])  # the second still holds (is sending) its rows
    # a third process joins: until the others have slowed down for it nobody claims
    third = OutboxStore(pg)
    table.beat(third.token, "t", 1, NOW + timedelta(seconds=2), expiry)
    assert third.claim(NOW, 1000, shared=True) == []
    assert first.claim(NOW, 1000, shared=True) == []  # it paces faster than a third
    for store in (first, second):
        table.repace(store.token, 3)
    taken = third.claim(NOW, 1000, shared=True)
    low, high = bucket_range(2, 3)
    in_share = {r.chat_id for r in theirs if low <= chat_bucket("telegram", r.chat_id) < high}
    assert in_share  # chats of its share that the second still holds ...
    assert taken == []  # ... are not taken; and every other chat of its share was the second's
    second.release([r.id for r in theirs])
    taken = third.claim(NOW, 1000, shared=True)
    assert {r.chat_id for r in taken} == in_share
    assert all(low <= chat_bucket("telegram", r.chat_id) < high for r in taken)


def test_what_another_process_sent_to_a_chat_is_found(pg: Engine) -> None:
    first, second = OutboxStore(pg), OutboxStore(pg)
    for index in range(3):
        first.enqueue_one(message("42", index), NOW)
    rows = first.claim(NOW, 10)
    first.mark_sending_many([rows[0].id, rows[1].id], NOW)
    first.mark_sent_many([(rows[0].id, "m1"), (rows[1].id, "m2")], NOW + timedelta(seconds=1))
    found = second.sent_by_others([("telegram", "42"), ("telegram", "43")], NOW)
    assert sorted(at for _, _, at in found) == [NOW + timedelta(seconds=1)] * 2
    assert first.sent_by_others([("telegram", "42")], NOW) == []  # its own sends: its pacer knew
    assert second.sent_by_others([("telegram", "42")], NOW + timedelta(seconds=2)) == []


# --- migration 0012: unsent rows get their bucket ----------------------------------------------


def test_migration_backfills_the_buckets_of_unsent_rows(engine: Engine) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(db.MIGRATIONS))

    def migrate(direction: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)

    migrate("downgrade", "0011")
    assert "chat_bucket" not in {c["name"] for c in inspect(engine).get_columns("outbox")}
    columns = ("dedupe_key", "channel", "chat_id", "kind", "payload", "state", "attempts")
    with engine.begin() as conn:
        for i, state in enumerate(("pending", "held", "sent")):
            values = (f"k{i}", "telegram", f"{900 + i}", "digest", "{}", state, 0)
            conn.execute(
                text(
                    f"INSERT INTO outbox ({', '.join(columns)}, not_before, created_at) "
                    f"VALUES ({', '.join(':' + c for c in columns)}, :now, :now)"
                ),
                {**dict(zip(columns, values, strict=True)), "now": NOW.replace(tzinfo=None)},
            )
    migrate("upgrade", "head")
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT chat_id, chat_bucket FROM outbox")).all())
    assert found == {
        "900": chat_bucket("telegram", "900"),
        "901": chat_bucket("telegram", "901"),
        "902": 0,
    }  # a sent row's bucket is never read
