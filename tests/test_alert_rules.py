"""Keyword alerts with the search query language (OR, exclusions, phrases, pieces of words):
an article alerts exactly the subscribers whose rule matches it, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Engine, insert, select

from delivery_support import NOW, FakeClock, add_subscriber, channels_with
from newsbot.app import build_delivery
from newsbot.config import DeliverySettings, Settings
from newsbot.core.query import matches
from newsbot.storage.articles import ArticleStore
from newsbot.storage.schema import articles, outbox, sources

ARTICLES = {
    "debt": ("高新区化解政府债务", "需化解债务3029.56万元，财政局牵头。"),
    "hiring": ("高新区招聘公告", "管委会招聘工作人员，负责债务管理。"),
    "jobs": ("稳就业促增收", "全市城镇新增就业1.2万人。"),
    "quality": ("推动高质量发展", "规上工业增加值增长6.1%。"),
}
RULES = {
    "debt_or_jobs": "债务|就业",
    "debt_or_jobs_spelled": "债务 OR 化债",
    "debt_not_hiring": "债务 -招聘",
    "piece": "质量发展",
    "number": "1.2万",
    "phrase_or": '"规上工业" 或 招聘',
    "nothing": "体育",
}
# Which articles each rule must alert about (read off the texts above by hand).
EXPECTED = {
    "debt_or_jobs": {"debt", "hiring", "jobs"},
    "debt_or_jobs_spelled": {"debt", "hiring"},
    "debt_not_hiring": {"debt"},
    "piece": {"quality"},
    "number": {"jobs"},
    "phrase_or": {"quality", "hiring"},
    "nothing": set(),
}


def add_stories(engine: Engine) -> dict[str, int]:
    found = {}
    with engine.begin() as conn:
        source = conn.execute(
            insert(sources).values(
                key="portal", name="portal", kind="feed", url="u", section="要闻", failures=0
            )
        ).inserted_primary_key[0]
        for i, (name, (title, text)) in enumerate(ARTICLES.items()):
            when = NOW - timedelta(hours=1 + i)
            found[name] = int(
                conn.execute(
                    insert(articles).values(
                        source_id=source,
                        dedupe_key=name,
                        url=f"http://www.shanxidayuan.com/c/{name}.shtml",
                        section="要闻",
                        title=title,
                        text=text,
                        published_at=when,
                        fetched_at=when,
                        content_hash=name,
                        update_count=0,
                    )
                ).inserted_primary_key[0]
            )
    return found


def test_each_article_alerts_exactly_the_matching_rules(engine: Engine) -> None:
    stories = add_stories(engine)
    subscriber = {
        name: add_subscriber(engine, str(100 + i), keywords=[rule])
        for i, (name, rule) in enumerate(RULES.items())
    }
    settings = Settings(delivery=DeliverySettings(alert_cap_per_day=50))
    service = build_delivery(
        settings, engine, FakeClock(NOW), ArticleStore(engine), channels_with(settings)
    )
    service.queue_alerts(list(stories.values()))
    with engine.connect() as conn:
        rows = conn.execute(select(outbox.c.subscriber_id, outbox.c.payload)).all()
    article_of_url = {f"/c/{name}.shtml": name for name in stories}
    alerted: dict[str, set[str]] = {name: set() for name in RULES}
    by_id = {sid: name for name, sid in subscriber.items()}
    for subscriber_id, payload in rows:
        text = json.loads(payload)["text"]
        (story,) = [name for url, name in article_of_url.items() if url in text]
        alerted[by_id[subscriber_id]].add(story)
    assert alerted == EXPECTED


def test_the_pure_matcher_agrees() -> None:
    for rule_name, rule in RULES.items():
        found = {name for name, (title, text) in ARTICLES.items() if matches(rule, title, text)}
        assert found == EXPECTED[rule_name], rule
