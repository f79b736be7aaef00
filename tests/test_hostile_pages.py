"""Silent loss: text nested deeper than libxml2's limit and GBK bytes inside a UTF-8 feed are
extracted or reported, never dropped or garbled without a word."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.origin import Origin, Reply
from newsbot.adapters.feeds import parse_feed, repair_gbk_runs
from newsbot.app import build_newsroom
from newsbot.config import Settings
from newsbot.errors import ParseError
from newsbot.extract import extract_article

PARAGRAPH = "阳泉高新区编制了三级党组织问题清单，共计查摆出问题4804条，需化解债务3029.56万元。"
TAIL = "全市党建引领基层治理，取得明显成效，群众满意度持续提升。"


def nested_page(depth: int, tag: str = "div") -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>深层嵌套的报道</title></head><body>"
        f"<h1>深层嵌套的报道</h1>{f'<{tag}>' * depth}<p>{PARAGRAPH}</p>{f'</{tag}>' * depth}"
        f"<p>{TAIL}</p></body></html>"
    ).encode()


@pytest.mark.parametrize("depth", [300, 1500, 5000])
def test_text_nested_deeper_than_255_elements_is_extracted(depth: int) -> None:
    page = extract_article(nested_page(depth), "http://x/deep.html")
    text = page.text
    assert "4804条" in text and "群众满意度" in text


def test_nesting_that_cannot_be_flattened_is_reported_not_dropped() -> None:
    with pytest.raises(ParseError, match="nested deeper than 2048 elements"):
        extract_article(nested_page(3000, tag="b"), "http://x/deep.html")


def gbk_in_utf8_feed(base: str) -> bytes:
    titles = ["阳泉高新区查摆出问题4804条".encode("gbk"), "太原市党建工作推进会".encode()]
    items = b"".join(
        b"<item><title>" + title + b"</title><link>" + f"{base}/a/{i}.html".encode() + b"</link>"
        b"</item>"
        for i, title in enumerate(titles)
    )
    return (
        b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>"
        + "大院网".encode()
        + b"</title>"
        + items
        + b"</channel></rss>"
    )


def test_gbk_bytes_in_a_utf8_feed_are_repaired_and_noted() -> None:
    parsed = parse_feed(gbk_in_utf8_feed("http://x"), "http://x/f.xml", {})
    assert [item.title for item in parsed.items] == [
        "阳泉高新区查摆出问题4804条",
        "太原市党建工作推进会",
    ]
    assert parsed.recovered and "GBK bytes in the UTF-8 feed" in parsed.recovered


def test_feeds_that_are_clean_or_declare_another_encoding_are_left_alone() -> None:
    clean = b"<?xml version='1.0' encoding='utf-8'?><rss/>"
    assert repair_gbk_runs(clean) == (clean, 0)
    gbk = "<?xml version='1.0' encoding='gbk'?><rss><t>阳泉</t></rss>".encode("gbk")
    assert repair_gbk_runs(gbk) == (gbk, 0)


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as server:
        yield server


def test_through_the_pipeline_titles_are_clean_and_deep_pages_stored(
    tmp_path: Path, origin: Origin
) -> None:
    origin.route("/feed.xml", Reply(body=gbk_in_utf8_feed(origin.base_url)))
    origin.route("/a/0.html", Reply(body=nested_page(1000)))
    origin.route("/a/1.html", Reply(body=nested_page(3000, tag="b")))
    settings = Settings.model_validate(
        {
            "storage": {"database_url": f"sqlite:///{tmp_path / 'n.db'}"},
            "polling": {"jitter": 0.0},
            "sources": [{"key": "f", "name": "f", "kind": "feed", "url": origin.url("/feed.xml")}],
        }
    )
    newsroom = build_newsroom(settings)
    (report,) = asyncio.run(newsroom.poll_all())
    assert (report.new, report.failed) == (1, 1)
    assert report.error and "nested deeper than 2048" in report.error  # reported, not silent
    (article,) = newsroom.latest_articles(5)
    assert article.title == "深层嵌套的报道" and "Ȫ" not in article.title
    (state,) = newsroom.source_states()
    assert state.last_error and "nested deeper" in state.last_error
