"""The outbox state machine and digest claims, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from newsbot.core.models import CLAIMED
from newsbot.storage.digests import DigestRecords
from newsbot.storage.outbox import FAILED, PENDING, SENDING, SENT, NewMessage, OutboxStore
from newsbot.storage.schema import subscribers
from newsbot.storage.subscribers import SubscriberStore

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)


def add_subscriber(engine: Engine, chat_id: str = "42", **kw: object) -> int:
    values: dict[str, object] = {
        "channel": "telegram",
        "chat_id": chat_id,
        "chat_type": "private",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "digest_time": "08:00",
        "digest_enabled": True,
        "sections": "",
        "alert_mode": "push",
        "active": True,
        "created_at": NOW - timedelta(days=3),
    }
    values.update(kw)
    with engine.begin() as conn:
        return int(conn.execute(insert(subscribers).values(**values)).inserted_primary_key[0])


def message(key: str, chat_id: str = "42", sid: int | None = None) -> NewMessage:
    return NewMessage(key, sid, "telegram", chat_id, "digest", {"text": f"<b>{key}</b>"})


def test_happy_path(engine: Engine) -> None:
    store = OutboxStore(engine)
    sid = add_subscriber(engine)
    assert store.enqueue_one(message("a", sid=sid), NOW) is not None
    assert store.enqueue_one(message("a", sid=sid), NOW) is None  # dedupe_key is unique
    (row,) = store.claim(NOW, 10)
    assert row.text == "<b>a</b>" and row.claim_token == store.token
    assert store.claim(NOW, 10) == []  # leased
    assert store.mark_sending(row.id, NOW)
    assert store.get(row.id)["state"] == SENDING  # type: ignore[index]
    store.mark_sent(row.id, "1001", NOW)
    stored = store.get(row.id)
    assert stored is not None and stored["state"] == SENT and stored["remote_id"] == "1001"
    assert stored["attempts"] == 1
    assert store.counts() == {SENT: 1}


def test_not_before_and_retry(engine: Engine) -> None:
    store = OutboxStore(engine)
    row_id = store.enqueue_one(message("b"), NOW)
    assert row_id is not None
    (row,) = store.claim(NOW, 10)
    store.mark_sending(row.id, NOW)
    store.retry(row.id, NOW + timedelta(seconds=30), "503 Service Unavailable")
    assert store.claim(NOW + timedelta(seconds=29), 10) == []
    (again,) = store.claim(NOW + timedelta(seconds=30), 10)
    assert again.attempts == 1
    stored = store.get(row_id)
    assert stored is not None and stored["last_error"] == "503 Service Unavailable"


def test_other_process_cannot_take_a_leased_row_until_the_lease_ends(engine: Engine) -> None:
    first, second = OutboxStore(engine), OutboxStore(engine)
    first.enqueue_one(message("c"), NOW)
    (row,) = first.claim(NOW, 10)
    assert second.claim(NOW, 10) == []
    assert not second.mark_sending(row.id, NOW)
    later = NOW + first.lease + timedelta(seconds=1)
    (taken,) = second.claim(later, 10)
    assert not first.mark_sending(taken.id, later)  # the first process lost its lease
    assert second.mark_sending(taken.id, later)


def test_marks_in_one_transaction_keep_each_rows_lease(engine: Engine) -> None:
    """The sender's group commit: several rows marked `sending` at once, only those this process
    still holds; then marked `sent` at once, each with its own remote id."""
    first, second = OutboxStore(engine), OutboxStore(engine)
    for key in "abc":
        first.enqueue_one(message(key, chat_id=key), NOW)
    rows = first.claim(NOW, 2)
    (other,) = second.claim(NOW, 10)
    ids = [r.id for r in rows]
    assert first.mark_sending_many([*ids, other.id], NOW) == set(ids)  # not the other's row
    first.mark_sent_many([(ids[0], "m1"), (ids[1], "m2")], NOW)
    for row_id, remote in zip(ids, ("m1", "m2"), strict=True):
        stored = first.get(row_id)
        assert stored is not None and (stored["state"], stored["remote_id"]) == (SENT, remote)
        assert stored["attempts"] == 1 and stored["claim_token"] == first.token  # who sent it
    assert first.counts() == {SENT: 2, PENDING: 1}


def test_sent_and_sending_marks_in_one_transaction(engine: Engine) -> None:
    """The sender records one message sent and marks the chat's next one `sending` together."""
    store = OutboxStore(engine)
    for key in "ab":
        store.enqueue_one(message(key), NOW)
    first, second = store.claim(NOW, 10)
    assert store.mark_many([first.id], (), NOW) == {first.id}
    assert store.mark_many([second.id], [(first.id, "m1")], NOW) == {second.id}
    assert (store.get(first.id) or {})["state"] == SENT
    assert (store.get(second.id) or {})["state"] == SENDING


def test_a_claim_goes_round_robin_over_the_chats(engine: Engine) -> None:
    """Rows queued chat by chat (a group's 30 alerts, then the next group's): a batch takes
    every chat's oldest row first, so no chat waits a batch while others send."""
    store = OutboxStore(engine)
    for chat in ("a", "b", "c"):
        for i in range(10):
            store.enqueue_one(message(f"{chat}{i}", chat_id=chat), NOW - timedelta(minutes=30 - i))
    rows = store.claim(NOW, 6)
    assert sorted(r.dedupe_key for r in rows) == ["a0", "a1", "b0", "b1", "c0", "c1"]
    again = store.claim(NOW, 4)  # the next round: every chat's next oldest, then the oldest
    assert sorted(r.dedupe_key for r in again) == ["a2", "a3", "b2", "c2"]


def test_a_full_window_gives_the_chats_rows_back_until_it_opens(engine: Engine) -> None:
    store = OutboxStore(engine)
    for i in range(4):
        store.enqueue_one(message(f"k{i}"), NOW)
    rows = store.claim(NOW, 2)  # k0, k1 claimed; k2, k3 not
    later = NOW + timedelta(seconds=60)
    store.release_chat_until("42", [r.id for r in rows], later)
    assert store.claim(NOW + timedelta(seconds=59), 10) == []  # all four wait, in order
    assert [r.dedupe_key for r in store.claim(later, 10)] == ["k0", "k1", "k2", "k3"]


def test_recover_after_crash(engine: Engine) -> None:
    store = OutboxStore(engine)
    for key in ("d1", "d2", "d3"):
        store.enqueue_one(message(key), NOW)
    rows = store.claim(NOW, 10)
    store.mark_sending(rows[0].id, NOW)
    # "crash": a new process starts; rows[0] may have reached the user, the others were only leased.
    restarted = OutboxStore(engine)
    assert restarted.recover(NOW, everything=True) == 1
    assert len(restarted.claim(NOW, 10)) == 3
    assert restarted.counts() == {PENDING: 3}


def test_recover_by_lease_keeps_live_senders_rows(engine: Engine) -> None:
    store = OutboxStore(engine)
    store.enqueue_one(message("e"), NOW)
    (row,) = store.claim(NOW, 10)
    store.mark_sending(row.id, NOW)
    assert OutboxStore(engine).recover(NOW + timedelta(seconds=5)) == 0
    assert OutboxStore(engine).recover(NOW + store.lease + timedelta(seconds=1)) == 1


def test_fail_move_and_postpone_chat(engine: Engine) -> None:
    store = OutboxStore(engine)
    ids = [store.enqueue_one(message(f"f{i}", chat_id="-100"), NOW) for i in range(3)]
    store.postpone_chat("-100", after_id=ids[0] or 0, not_before=NOW + timedelta(seconds=9))
    assert [r.id for r in store.claim(NOW, 10)] == [ids[0]]
    assert store.move_chat("-100", "-100200") == 3
    assert store.fail_chat("-100200", "403 Forbidden") == 3
    assert store.counts() == {FAILED: 3}


def test_ledger_written_with_rows_and_alert_counts(engine: Engine) -> None:
    from newsbot.storage.schema import articles, sources

    store = OutboxStore(engine)
    sid = add_subscriber(engine)
    with engine.begin() as conn:
        source = conn.execute(
            insert(sources).values(key="s", name="s", kind="feed", url="u", section="", failures=0)
        )
        source_id = source.inserted_primary_key[0]
        for i in (1, 2):
            conn.execute(
                insert(articles).values(
                    id=i,
                    source_id=source_id,
                    dedupe_key=f"k{i}",
                    url=f"u{i}",
                    section="",
                    title="t",
                    text="x",
                    fetched_at=NOW,
                    content_hash="h",
                    update_count=0,
                )
            )
    alert = NewMessage("alert:1", sid, "telegram", "42", "alert", {"text": "x"}, (1,))
    assert store.enqueue_one(alert, NOW) is not None
    again = NewMessage("alert:1b", sid, "telegram", "42", "alert", {"text": "x"}, (1,))
    assert (
        store.enqueue_one(again, NOW) is None
    )  # the ledger is unique per (subscriber, article, kind)
    assert store.alerts_sent_between(sid, NOW - timedelta(hours=1), NOW + timedelta(hours=1)) == 1


def test_digest_claim_is_unique(engine: Engine) -> None:
    records = DigestRecords(engine)
    sid = add_subscriber(engine)
    with engine.begin() as conn:
        assert records.claim(conn, sid, "2026-05-04", CLAIMED, NOW) is not None
    with engine.begin() as conn:
        assert records.claim(conn, sid, "2026-05-04", CLAIMED, NOW) is None
        assert records.claim(conn, sid, "2026-05-05", CLAIMED, NOW) is not None
    assert records.recorded_dates(["2026-05-04", "2026-05-03"]) == {sid: {"2026-05-04"}}


def test_subscriber_updates(engine: Engine) -> None:
    view = SubscriberStore(engine)
    add_subscriber(engine, "-1", chat_type="group")
    add_subscriber(engine, "7")
    assert view.update_chat_id("telegram", "-1", "-1001", NOW) == 1
    assert view.mark_inactive("telegram", "7", NOW) == 1
    assert [s.chat_id for s in view.active()] == ["-1001"]
