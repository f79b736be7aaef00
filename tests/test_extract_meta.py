"""Metadata: publication times (Asia/Shanghai -> UTC), titles, bylines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.extract import extract_article
from newsbot.extract.meta import byline_from, parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-07-06 10:10:33", datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)),
        ("网络编辑 阳泉 2022-07-06 10:10:33 0 高新区", datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)),
        ("2022年7月6日 10时10分", datetime(2022, 7, 6, 2, 10, tzinfo=UTC)),
        ("2012年01月12日 07:37", datetime(2012, 1, 11, 23, 37, tzinfo=UTC)),
        ("2012/01/16 10:43:00 来源：投资者报", datetime(2012, 1, 16, 2, 43, tzinfo=UTC)),
        ("2022-07-06", datetime(2022, 7, 5, 16, 0, tzinfo=UTC)),
        ("2022-07-06T10:10:33Z", datetime(2022, 7, 6, 10, 10, 33, tzinfo=UTC)),
        ("2022-07-06T10:10:33.5+08:00", datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)),
        ("2022-07-06T10:10:33+9999", datetime(2022, 7, 6, 2, 10, 33, tzinfo=UTC)),
        ("2022-02-30 10:00 and 2022-03-01", datetime(2022, 2, 28, 16, 0, tzinfo=UTC)),
        ("查摆出问题4804条", None),
        ("", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-/:年月日时分T+Z .", max_size=40))
def test_parse_datetime_never_raises(text: str) -> None:
    value = parse_datetime(text)
    assert value is None or value.tzinfo is UTC


def test_bylines() -> None:
    assert byline_from("网络编辑 阳泉 2022-07-06 10:10:33 0 高新区 党建 园区") == "网络编辑 阳泉"
    assert byline_from("2012年01月12日 16:36　来源：山东卫视") == "来源：山东卫视"
    assert byline_from("2022-07-06") is None


def test_header_date_does_not_win_over_the_meta_line() -> None:
    para = "今年以来，全区新建标准化种植基地26个，发展订单农业4.3万亩，农产品加工企业达到87家。"
    html = (
        "<html><head><title>盂县推进乡村振兴_阳泉_山西大院资讯网</title></head><body>"
        "<div class='top'>2026年11月27日 星期五</div><h1>盂县推进乡村振兴</h1>"
        "<div class='info'>来源：阳泉日报 2022-07-05 16:42:10</div>"
        f"<div>{'<p>' + para + '</p>' * 1}" * 4 + "</div></body></html>"
    )
    page = extract_article(html, "http://example.test/1.html")
    assert page.title == "盂县推进乡村振兴"
    assert page.published == datetime(2022, 7, 5, 8, 42, 10, tzinfo=UTC)
    assert page.byline == "来源：阳泉日报"


def test_title_from_page_title_when_no_heading_matches() -> None:
    html = "<html><head><title>江西：伦敦奥运会确保再夺金牌-奥运-江西新闻网</title></head><body><p>正文。</p></body></html>"
    assert extract_article(html, "http://e.test/").title == "江西：伦敦奥运会确保再夺金牌"
