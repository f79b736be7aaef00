"""The digest tick and keyword alerts on an injected clock, against a real database."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, select

from delivery_support import NOW, FakeClock, add_articles, add_subscriber, channels_with
from newsbot.app import build_delivery
from newsbot.config import DeliverySettings, Settings
from newsbot.service.delivery import DeliveryService
from newsbot.storage.articles import ArticleStore
from newsbot.storage.schema import deliveries, digests, outbox


def service(engine: Engine, clock: FakeClock, **delivery: object) -> DeliveryService:
    settings = Settings(delivery=DeliverySettings(**delivery))  # type: ignore[arg-type]
    return build_delivery(settings, engine, clock, ArticleStore(engine), channels_with(settings))


def outbox_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(outbox).order_by(outbox.c.id))]


def digest_rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        query = select(digests.c.subscriber_id, digests.c.local_date, digests.c.status)
        return [tuple(r) for r in conn.execute(query.order_by(digests.c.id))]  # type: ignore[misc]


def test_due_subscribers_get_one_digest_per_local_date(engine: Engine) -> None:
    clock = FakeClock(NOW)  # 08:00 Shanghai, 00:00 UTC, 20:00 New York (previous day)
    add_articles(engine, 3)
    shanghai = add_subscriber(engine, "1")
    add_subscriber(engine, "2", timezone="America/New_York", created_at=NOW - timedelta(hours=1))
    add_subscriber(
        engine, "3", timezone="UTC", digest_time="09:00", created_at=NOW - timedelta(hours=1)
    )
    report = service(engine, clock).deliver_due_at(clock.now())
    assert (report.due, report.queued) == (1, 1)
    assert digest_rows(engine) == [(shanghai, "2026-05-04", "queued")]
    (row,) = outbox_rows(engine)
    payload = json.loads(str(row["payload"]))
    assert "每日摘要 · 2026-05-04" in payload["text"] and "&lt;重要&gt;" in payload["text"]
    assert row["dedupe_key"] == f"digest:{shanghai}:2026-05-04:0"
    with engine.connect() as conn:
        ledger = conn.execute(select(deliveries.c.article_id, deliveries.c.outbox_id)).all()
    assert sorted(a for a, _ in ledger) == [1, 2, 3] and {o for _, o in ledger} == {row["id"]}
    clock.advance(60)
    assert service(engine, clock).deliver_due_at(clock.now()).due == 0


def test_catch_up_within_grace_and_skip_beyond(engine: Engine) -> None:
    add_articles(engine, 2)
    early = add_subscriber(engine, "1", digest_time="06:00")  # 4 h before NOW's 08:00 local
    late = add_subscriber(engine, "2", digest_time="01:00")  # 7 h before: past the 6 h grace
    clock = FakeClock(NOW)
    report = service(engine, clock).deliver_due_at(clock.now())
    assert (report.queued, report.skipped) == (1, 1)
    assert sorted(digest_rows(engine)) == [
        (early, "2026-05-04", "queued"),
        (late, "2026-05-04", "skipped"),
    ]
    assert service(engine, clock, grace_hours=8).deliver_due_at(clock.now()).due == 0


def test_downtime_over_a_day_sends_today_only(engine: Engine) -> None:
    add_articles(engine, 2, now=NOW + timedelta(days=2))
    sid = add_subscriber(engine, "1")
    clock = FakeClock(NOW + timedelta(days=2, minutes=5))  # down for two days, back at 08:05
    report = service(engine, clock).deliver_due_at(clock.now())
    assert report.queued == 1
    assert digest_rows(engine) == [(sid, "2026-05-06", "queued")]


def test_empty_day_skip_and_notice(engine: Engine) -> None:
    add_subscriber(engine, "1")
    clock = FakeClock(NOW)
    report = service(engine, clock).deliver_due_at(clock.now())
    assert (report.empty, report.messages) == (1, 0)
    assert digest_rows(engine)[0][2] == "empty"
    add_subscriber(engine, "2")
    report = service(engine, clock, empty_day="notice").deliver_due_at(clock.now())
    assert report.messages == 1
    assert "今天暂无新的文章" in json.loads(str(outbox_rows(engine)[0]["payload"]))["text"]


def test_second_digest_contains_only_new_articles(engine: Engine) -> None:
    add_articles(engine, 2)
    add_subscriber(engine, "1")
    clock = FakeClock(NOW)
    service(engine, clock).deliver_due_at(clock.now())
    clock.advance(24 * 3600)
    later = _one_more_article(engine, clock)
    assert service(engine, clock).deliver_due_at(clock.now()).queued == 1
    with engine.connect() as conn:
        query = select(deliveries.c.article_id).where(deliveries.c.created_at == clock.now())
        assert list(conn.execute(query).scalars()) == later


def _one_more_article(engine: Engine, clock: FakeClock) -> list[int]:
    from sqlalchemy import insert

    from newsbot.storage.schema import articles

    with engine.begin() as conn:
        result = conn.execute(
            insert(articles).values(
                source_id=1,
                dedupe_key="later",
                url="http://x/later",
                section="要闻",
                title="次日新闻",
                text="内容。",
                published_at=clock.now() - timedelta(hours=2),
                fetched_at=clock.now() - timedelta(hours=2),
                content_hash="later",
                update_count=0,
            )
        )
        return [int(result.inserted_primary_key[0])]


def test_two_services_claim_each_digest_once(engine: Engine) -> None:
    add_articles(engine, 2)
    for chat in range(5):
        add_subscriber(engine, str(chat))
    clock = FakeClock(NOW)
    first, second = service(engine, clock), service(engine, clock)
    assert first.deliver_due_at(clock.now()).queued == 5
    again = second.deliver_due_at(clock.now())
    assert again.queued == 0
    assert len(outbox_rows(engine)) == 5


def test_alerts_pushed_capped_and_deduplicated(engine: Engine) -> None:
    ids = add_articles(engine, 4)
    push = add_subscriber(engine, "1", keywords=["党建"])
    add_subscriber(engine, "2", keywords=["党建"], alert_mode="digest")
    add_subscriber(engine, "3", keywords=["体育"])
    clock = FakeClock(NOW)
    svc = service(engine, clock, alert_cap_per_day=3)
    assert svc.queue_alerts(ids) == 3  # capped at 3 for subscriber 1; 2 folds into its digest
    assert svc.queue_alerts(ids[:1]) == 0  # the same article never alerts twice
    rows = outbox_rows(engine)
    assert {r["subscriber_id"] for r in rows} == {push} and {r["kind"] for r in rows} == {"alert"}
    assert "🔔 关键词：党建" in json.loads(str(rows[0]["payload"]))["text"]
    clock.advance(24 * 3600)  # a new local day: the cap starts again
    assert svc.queue_alerts(ids) == 1


def test_alert_held_until_quiet_hours_end(engine: Engine) -> None:
    ids = add_articles(engine, 1)
    add_subscriber(engine, "1", keywords=["党建"], quiet_start="22:00", quiet_end="07:00")
    clock = FakeClock(NOW - timedelta(hours=3))  # 05:00 Shanghai
    assert service(engine, clock).queue_alerts(ids) == 1
    (row,) = outbox_rows(engine)
    assert row["not_before"] == NOW - timedelta(hours=1)  # 07:00 Shanghai


def test_alert_mode_digest_puts_matches_first(engine: Engine) -> None:
    add_articles(engine, 3)
    add_subscriber(engine, "1", keywords=["第2次"], alert_mode="digest")
    clock = FakeClock(NOW)
    service(engine, clock).deliver_due_at(clock.now())
    text = json.loads(str(outbox_rows(engine)[0]["payload"]))["text"]
    assert text.index("关键词提醒") < text.index("第2次") < text.index("【要闻】")


def test_build_digest_on_demand_is_not_recorded(engine: Engine) -> None:
    add_articles(engine, 2)
    add_subscriber(engine, "1")
    clock = FakeClock(NOW)
    svc = service(engine, clock)
    subscriber = svc.subscribers.active()[0]
    message = svc.build_digest(subscriber, clock.now())
    assert "山西省党建工作第0次推进会召开" in message.plain_text()
    assert digest_rows(engine) == []
