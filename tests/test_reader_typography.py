"""What a reader reads (issue #13): Chinese typography applied at ingest, text captures without
site furniture, RSS categories as sections, the alert header, and the seed article's digest entry
as a golden file on Telegram (HTML) and in plain text."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import shared_path

from fakes.origin import Origin, Reply, article_page
from newsbot.adapters.feeds import parse_feed
from newsbot.app import build_newsroom
from newsbot.cli.summarize_cmd import read_article, split_plain_text
from newsbot.config import Settings
from newsbot.core import digest as dg
from newsbot.core.figures import extract_figures
from newsbot.core.models import Article
from newsbot.core.render import render_plain, render_telegram
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.core.text import display_text, unquoted
from newsbot.extract import extract_article

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "src" / "newsbot" / "sample_portal" / "gsyl" / "yangquan" / "5849.html"
GOLDEN = Path(__file__).parent / "data" / "golden"


def test_half_width_marks_between_chinese_become_full_width() -> None:
    raw = "今年以来,阳泉高新区立足“全方位推动高质量发展”总目标,聚焦发展;成效如何?很好! 全区"
    assert display_text(raw) == (
        "今年以来，阳泉高新区立足“全方位推动高质量发展”总目标，聚焦发展；成效如何？很好！全区"
    )
    assert display_text("关键词: 党建") == "关键词：党建"


def test_no_space_after_a_chinese_end_mark() -> None:
    assert display_text("全面完工。 高新区带动就业1003人。") == "全面完工。高新区带动就业1003人。"
    assert display_text("He said. Then left.") == "He said. Then left."


@pytest.mark.parametrize(
    "text", ["共计1,200元", "时间10:30开始", "比分3:1,领先", "G20,峰会", "5.2%, 好"]
)
def test_figures_and_latin_keep_their_marks(text: str) -> None:
    assert (
        display_text(text)[: text.index(",") if "," in text else None]
        == text[: text.index(",") if "," in text else None]
    )


@given(st.text(alphabet="0123456789,.:;?! 党建万元人。，", max_size=60))
@settings(max_examples=300, deadline=None)
def test_display_text_never_changes_a_figure(text: str) -> None:
    before = [(f.text.replace(",", "，"), f.value, f.unit) for f in extract_figures(text)]
    after = [
        (f.text.replace(",", "，"), f.value, f.unit) for f in extract_figures(display_text(text))
    ]
    assert [(v, u) for _, v, u in after] == [(v, u) for _, v, u in before]
    assert re.sub(r"\D", "", display_text(text)) == re.sub(r"\D", "", text)


def test_a_text_capture_loses_the_site_title_meta_line_and_about_us() -> None:
    title, paragraphs = read_article(shared_path("portal", "article-5849.txt"), None)
    assert title == "党建赋能 激活高质量发展“红色引擎”"
    body = "\n".join(paragraphs)
    assert paragraphs[0].startswith("今年以来，阳泉高新区立足")
    for furniture in (
        "大院网-山西大院资讯网",
        "网络编辑",
        "10:10:33",
        "山西大院是公共的资讯平台",
        "版权声明",
    ):
        assert furniture not in body
    assert body.count(",") < 5  # the portal's 171 half-width commas are now ，


def test_a_plain_text_with_a_title_line_keeps_it() -> None:
    title, paragraphs = split_plain_text("标题一行\n\n正文第一段。\n正文第二段。\n")
    assert (title, paragraphs) == ("标题一行", ["正文第一段。", "正文第二段。"])


def test_rss_category_is_parsed() -> None:
    body = (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        "<item><title>阳泉高新区新闻</title><link>http://example.test/1.html</link>"
        "<category>阳泉</category></item></channel></rss>"
    ).encode()
    (item,) = parse_feed(body, "http://example.test/rss.xml").items
    assert item.category == "阳泉"


async def test_an_rss_category_that_names_a_configured_section_is_the_section(
    sqlite_url: str,
) -> None:
    with Origin() as origin:
        page = article_page("/a.html", title="阳泉高新区新闻")
        origin.route("/a.html", Reply(body=page))
        origin.route("/b.html", Reply(body=article_page("/b.html", title="别的新闻")))
        feed = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            f"<item><title>阳泉高新区新闻</title><link>{origin.url('/a.html')}</link>"
            "<category>阳泉</category></item>"
            f"<item><title>别的新闻</title><link>{origin.url('/b.html')}</link>"
            "<category>体育</category></item></channel></rss>"
        ).encode()
        url = origin.route("/rss.xml", Reply(body=feed, content_type="application/rss+xml"))
        sources = [
            {"key": "rss", "name": "rss", "kind": "feed", "url": url},
            {
                "key": "yq",
                "name": "yq",
                "kind": "feed",
                "url": origin.url("/none"),
                "section": "阳泉",
            },
        ]
        settings_ = Settings.model_validate(
            {
                "storage": {"database_url": sqlite_url},
                "sources": sources,
                "polling": {"jitter": 0.0},
            }
        )
        newsroom = build_newsroom(settings_)
        await newsroom.poll_source("rss")
        sections = {a.title: a.section for a in newsroom.latest_articles(10)}
    assert sections == {"阳泉高新区新闻": "阳泉", "别的新闻": ""}


def _article(summary_of: Path) -> Article:
    page = extract_article(
        summary_of.read_bytes(), "http://www.shanxidayuan.com/gsyl/yangquan/5849.html"
    )
    title = display_text(page.title)
    paragraphs = [display_text(p) for p in page.paragraphs]
    summary = ExtractiveSummarizer().summarize(title, paragraphs)
    when = datetime(2022, 7, 6, 2, 10, tzinfo=UTC)
    return Article(
        id=1,
        source_key="sample-yangquan",
        section="阳泉",
        url=page.url,
        title=title,
        text="\n".join(paragraphs),
        published_at=when,
        fetched_at=when,
        summary=summary,
    )


def test_alert_header_uses_a_full_width_colon() -> None:
    message = dg.alert_message(_article(SEED), ["党建"])
    assert render_plain(message)[0].startswith("🔔 关键词：党建\n")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NEWSBOT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def test_seed_article_digest_entry_golden_files() -> None:
    """The digest entry of article 5849 (title, key points, 📊 line) as a reader sees it.
    Regenerate deliberately with NEWSBOT_UPDATE_GOLDEN=1 and read the diff."""
    article = _article(SEED)
    item = dg.DigestItem(
        article_id=article.id,
        title=article.title,
        url=article.url,
        section=article.section,
        key_points=dg.key_points(article),
        figures=tuple(dg.figure_text(f) for f in article.summary.headline_figures[: dg.MAX_FIGURES])
        if article.summary
        else (),
        score=1.0,
    )
    digest = dg.Digest(subscriber_id=1, local_date="2022-07-06", items=(item,))
    message = dg.digest_message(digest)
    assert message is not None
    (telegram,) = render_telegram(message)
    (plain,) = render_plain(message)
    _golden("digest_5849.telegram.html", telegram + "\n")
    _golden("digest_5849.txt", plain + "\n")
    for point in item.key_points:
        assert "…" not in point and not point.endswith("；")
        assert point in article.text


@pytest.mark.parametrize(
    ("query", "shown"),
    [('"疫情防控"', "疫情防控"), ("“疫情防控”", "疫情防控"), ("疫情防控", "疫情防控"), ('"', '"')],
)
def test_unquoted_strips_one_pair_of_outer_quotes(query: str, shown: str) -> None:
    assert unquoted(query) == shown
