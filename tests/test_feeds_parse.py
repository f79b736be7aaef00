"""Feed and section-page parsing: RSS, Atom, JSON Feed, bozo recovery, CSS-selector pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from newsbot.adapters.feeds import parse_feed
from newsbot.adapters.pages import parse_date, parse_list_page
from newsbot.config import SelectorSettings
from newsbot.errors import ParseError

BASE = "http://127.0.0.1/gsyl/"

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>tag:dy,2022:5849</id><title type="html">&lt;b&gt;\xe5\x85\x9a\xe5\xbb\xba&lt;/b&gt; &amp;amp; \xe5\x8f\x91\xe5\xb1\x95</title>
<link href="yangquan/5849.html"/><updated>2022-07-06T02:10:33Z</updated></entry>
<entry><id>no-link</id><title>x</title></entry>
</feed>"""


def test_atom_entry_becomes_a_feed_item() -> None:
    parsed = parse_feed(ATOM, BASE + "atom.xml", {"content-type": "application/atom+xml"})
    (item,) = parsed.items  # the entry without a link is not an article
    assert item.url == "http://127.0.0.1/gsyl/yangquan/5849.html"
    assert item.title == "党建 & 发展"
    assert item.guid == "tag:dy,2022:5849"
    assert item.published == datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)
    assert parsed.recovered is None


def test_gb2312_rss_is_decoded() -> None:
    body = (
        "<?xml version='1.0' encoding='gb2312'?><rss version='2.0'><channel><title>大院</title>"
        "<item><title>需化解债务3029.56万元</title><link>http://127.0.0.1/a/1.html</link></item>"
        "</channel></rss>"
    ).encode("gb18030")
    (item,) = parse_feed(body, BASE).items
    assert item.title == "需化解债务3029.56万元"


def test_truncated_feed_is_recovered_when_entries_exist() -> None:
    body = b"<rss version='2.0'><channel><item><title>a</title><link>http://127.0.0.1/1</link></item><item><title>b"
    parsed = parse_feed(body, BASE)
    assert [i.url for i in parsed.items][:1] == ["http://127.0.0.1/1"]
    assert parsed.recovered


@pytest.mark.parametrize(
    "body", [b"", b"<html><p>hello</p></html>", b"\x00\xff\xfe garbage", b"{]"]
)
def test_unusable_documents_are_a_clear_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as error:
        parse_feed(body, BASE + "feed")
    assert error.value.url == BASE + "feed" and error.value.reason


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "大院",
        "items": [
            {
                "id": "1",
                "url": "/gsyl/yangquan/1.html",
                "title": "标题",
                "date_published": "2022-07-06T10:10:33+08:00",
                "content_text": "正文",
            },
            {"id": "2"},
            "junk",
        ],
    }
    parsed = parse_feed(
        json.dumps(doc).encode(), BASE + "feed.json", {"content-type": "application/feed+json"}
    )
    (item,) = parsed.items
    assert item.url == "http://127.0.0.1/gsyl/yangquan/1.html"
    assert item.published == datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)
    assert item.summary == "正文"
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": 1}', BASE)


LIST_PAGE = """<html><body><ul class="news-list">
<li><a class="t" href="yangquan/5849.html">党建赋能 激活高质量发展</a><span class="date">2022-07-06</span></li>
<li><a class="t" href="/gsyl/yangquan/5850.html" title="全标题">短标题</a><span class="date">2022年7月7日 08:30</span></li>
<li><a class="t" href="yangquan/5849.html">重复</a></li>
<li><a class="t" href="javascript:void(0)">广告</a></li>
</ul></body></html>"""


def test_list_page_with_selectors() -> None:
    selectors = SelectorSettings(
        item="ul.news-list > li", link="a.t", date="span.date", date_format="%Y-%m-%d"
    )
    items = parse_list_page(LIST_PAGE, BASE + "index.html", selectors)
    assert [i.url for i in items] == [BASE + "yangquan/5849.html", BASE + "yangquan/5850.html"]
    assert items[0].title == "党建赋能 激活高质量发展"
    assert items[0].published == datetime(2022, 7, 5, 16, 0, tzinfo=UTC)  # Asia/Shanghai midnight
    assert items[1].published == datetime(2022, 7, 7, 0, 30, tzinfo=UTC)


def test_list_page_errors_are_clear() -> None:
    with pytest.raises(ParseError, match="no items matched"):
        parse_list_page(LIST_PAGE, BASE, SelectorSettings(item="div.missing"))
    with pytest.raises(ParseError, match="bad item selector"):
        parse_list_page(LIST_PAGE, BASE, SelectorSettings(item="li[[["))
    with pytest.raises(ParseError, match="empty page"):
        parse_list_page("  ", BASE, SelectorSettings(item="li"))


def test_parse_date_shapes() -> None:
    assert parse_date("[2022-07-06 10:10:33]") == datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)
    assert parse_date("2022/7/6") == datetime(2022, 7, 5, 16, tzinfo=UTC)
    assert parse_date("昨天") is None
    assert parse_date("2022-13-45") is None
