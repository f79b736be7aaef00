"""Digest selection, near-duplicate merging, ranking, grouping and the neutral message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from newsbot.core import digest as dg
from newsbot.core.models import Article, Figure, Subscriber, Summary

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
SINCE = NOW - timedelta(hours=24)


def substring(keyword: str, title: str, text: str) -> bool:
    return keyword in title or keyword in text


def art(
    aid: int, title: str, *, hours_ago: float = 1, section: str = "要闻", **kw: object
) -> Article:
    when = NOW - timedelta(hours=hours_ago)
    base: dict[str, object] = {
        "id": aid,
        "source_key": "s",
        "section": section,
        "url": f"http://example.test/{aid}.html",
        "title": title,
        "text": kw.pop("text", f"{title}。第二句。"),
        "published_at": when,
        "fetched_at": when,
    }
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def sub(**kw: object) -> Subscriber:
    base: dict[str, object] = {"id": 7, "channel": "telegram", "chat_id": "7"}
    base.update(kw)
    return Subscriber(**base)  # type: ignore[arg-type]


def build(subscriber: Subscriber, articles: list[Article], **kw: object) -> dg.Digest:
    options: dict[str, object] = {
        "since": SINCE,
        "now": NOW,
        "local_date": "2026-05-04",
        "max_items": 10,
    }
    options.update(kw)
    return dg.build_digest(subscriber, articles, matcher=substring, **options)  # type: ignore[arg-type]


def test_window_and_last_digest_bound_the_selection() -> None:
    articles = [art(1, "新"), art(2, "昨天", hours_ago=30), art(3, "未来", hours_ago=-1)]
    assert [i.article_id for i in build(sub(), articles).items] == [1]
    later = build(sub(), articles, since=NOW - timedelta(minutes=30))
    assert later.empty


def test_back_filled_old_article_is_not_today_news() -> None:
    old = art(1, "旧闻", published_at=NOW - timedelta(days=9), fetched_at=NOW - timedelta(hours=1))
    assert build(sub(), [old]).empty


def test_sections_filter() -> None:
    articles = [art(1, "甲", section="要闻"), art(2, "乙", section="经济")]
    assert [i.section for i in build(sub(sections=("经济",)), articles).items] == ["经济"]


def test_duplicates_merged_into_earliest() -> None:
    articles = [
        art(1, "全省党建工作会议召开", hours_ago=3),
        art(2, "全省党建工作会议 召开！", hours_ago=2),
        art(3, "转载", hours_ago=1, duplicate_of=1),
        art(4, "另一条", hours_ago=1),
    ]
    d = build(sub(), articles)
    first = next(i for i in d.items if i.article_id == 1)
    assert set(first.merged_ids) == {2, 3}
    assert sorted(d.article_ids) == [1, 2, 3, 4]
    assert len(d.items) == 2


def test_ranking_prefers_keywords_then_figures_then_recency() -> None:
    figures = (Figure("3029.56万元", 30295600, "元", "需化解债务"),)
    articles = [
        art(1, "最新消息", hours_ago=0.1),
        art(2, "债务化解进展", hours_ago=5, summary=Summary(("要点",), figures, figures)),
        art(3, "党建工作", hours_ago=10),
    ]
    d = build(sub(keywords=("党建",)), articles)
    assert [i.article_id for i in d.items] == [3, 1, 2]
    assert d.items[0].keyword_hits == ("党建",)
    no_keywords = build(sub(), articles)
    assert no_keywords.items[0].article_id == 1


def test_max_items() -> None:
    articles = [art(i, f"标题{i}", hours_ago=i / 10) for i in range(1, 30)]
    assert len(build(sub(), articles, max_items=5).items) == 5


def test_message_has_title_link_points_and_figures() -> None:
    figures = (Figure("4804条", 4804, "条", "查摆出问题"),)
    summary = Summary(("第一点", "第二点", "第三点", "第四点"), figures, figures)
    d = build(sub(), [art(1, "问题整改<b>", summary=summary)])
    message = dg.digest_message(d)
    assert message is not None
    text = message.plain_text()
    assert "每日摘要 · 2026-05-04" in text
    assert "【要闻】" in text and "• 第三点" in text and "第四点" not in text
    assert "📊 查摆出问题4804条" in text
    links = [s for block in message.blocks for s in block if s.url]
    assert links[0].text == "问题整改<b>"  # escaping is the renderer's job, never ours
    assert links[0].url == "http://example.test/1.html"


def test_fallback_key_point_without_summary() -> None:
    d = build(sub(), [art(1, "标题", text="很长的段落，" * 60 + "结束。")])
    (point,) = d.items[0].key_points
    # the leading whole clauses of the first sentence, never a cut glued with "…"
    assert "…" not in point and len(point) <= dg.FALLBACK_POINT_CHARS
    assert point.startswith("很长的段落，很长的段落") and point.endswith("很长的段落")


def test_empty_day_behaviours() -> None:
    d = build(sub(), [])
    assert dg.digest_message(d, "skip") is None
    notice = dg.digest_message(d, "notice")
    assert notice is not None and "今天暂无新的文章" in notice.plain_text()
    english = build(sub(language="en"), [])
    en_notice = dg.digest_message(english, "notice")
    assert en_notice is not None and "No new articles today." in en_notice.plain_text()


def test_alert_mode_digest_puts_keyword_matches_first() -> None:
    articles = [
        art(1, "经济数据", section="经济", hours_ago=0.5),
        art(2, "党建会议", section="要闻"),
    ]
    d = build(sub(keywords=("党建",), alert_mode="digest"), articles)
    groups = dg.grouped(d)
    assert groups[0][0] == "🔔 关键词提醒"
    assert [i.article_id for i in groups[0][1]] == [2]


def test_alert_message() -> None:
    message = dg.alert_message(art(5, "党建引领"), ["党建"])
    assert message.plain_text().startswith("🔔 关键词：党建")
