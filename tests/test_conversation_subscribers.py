"""SubscriberStore on SQLite and PostgreSQL: settings and keywords live in the database."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import Engine

from newsbot.storage.subscribers import SubscriberStore, load_or_create_secret


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: Engine) -> SubscriberStore:
    return SubscriberStore(engine, clock=FixedClock(), max_keywords=5)


def test_get_or_create_is_idempotent(store: SubscriberStore) -> None:
    first, created = store.get_or_create("telegram", "42", "private", "张三", language="en")
    again, created_again = store.get_or_create("telegram", "42", "private", "张三")
    assert created and not created_again
    assert first == again
    assert first.language == "en" and first.timezone == "Asia/Shanghai"
    assert first.digest_time == time(8, 0) and first.active and first.digest_enabled
    assert first.extra == {"display_name": "张三"}
    assert first.created_at == FixedClock().now()


def test_settings_survive_a_new_store(store: SubscriberStore, engine: Engine) -> None:
    subscriber, _ = store.get_or_create("console", "me")
    store.update(
        subscriber.id, digest_time="07:30", timezone="Europe/Berlin", sections=["阳泉", "要闻"]
    )
    fresh = SubscriberStore(engine).get("console", "me")
    assert fresh is not None
    assert (fresh.digest_time, fresh.timezone, fresh.sections) == (
        time(7, 30),
        "Europe/Berlin",
        ("阳泉", "要闻"),
    )
    with pytest.raises(ValueError):
        store.update(subscriber.id, id=99)


def test_keywords_capped_and_reported(store: SubscriberStore) -> None:
    subscriber, _ = store.get_or_create("telegram", "7")
    change = store.add_keywords(subscriber.id, ["党建", "债务", "党建", " Economy "])
    assert change.added == ("党建", "债务", "economy") and change.total == 3
    change = store.add_keywords(subscriber.id, ["债务", "就业", "高新区", "招商", "x" * 31])
    assert change.existing == ("债务",)
    assert change.added == ("就业", "高新区") and change.over_limit == ("招商",)
    assert change.too_long == ("x" * 31,)
    assert store.keywords(subscriber.id) == ("党建", "债务", "economy", "就业", "高新区")
    removed, missing = store.remove_keywords(subscriber.id, ["债务", "不存在"])
    assert removed == ("债务",) and missing == ("不存在",)
    got = store.get_by_id(subscriber.id)
    assert got is not None and len(got.keywords) == 4


def test_activate_list_and_counts(store: SubscriberStore) -> None:
    a, _ = store.get_or_create("telegram", "1")
    b, _ = store.get_or_create("telegram", "2")
    store.get_or_create("console", "c")
    store.deactivate(a.id)
    store.update(b.id, digest_enabled=False)
    store.add_keywords(b.id, ["党建"])
    assert [s.chat_id for s in store.list(channel="telegram")] == ["2"]
    assert [s.chat_id for s in store.list(active_only=False, limit=2)] == ["1", "2"]
    counts = store.counts()
    assert (counts.total, counts.active, counts.digest_enabled, counts.keywords) == (3, 2, 1, 1)
    assert counts.by_channel == {"telegram": 2, "console": 1}
    assert store.activate(a.id).active


def test_secret_is_created_once(engine: Engine) -> None:
    first = load_or_create_secret(engine, "callbacks")
    assert len(first) == 32 and load_or_create_secret(engine, "callbacks") == first
