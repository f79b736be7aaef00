"""Hostile input: arbitrary bytes never escape decode_html/extract_article as anything but ParseError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.config import ExtractionProfile, ExtractionSettings
from newsbot.errors import ConfigError, ParseError
from newsbot.extract import check_profile, decode_html, extract_article, profile_for

FRAGMENTS = st.sampled_from(
    [b"<html>", b"<body>", b"<p>", b"</p>", b"<div class='nav'>", b"</div>", b"<br>", b"<img src=x>",
     b"<meta charset=gbk>", b"<meta charset=utf-16>", b"<?xml version='1.0' encoding='gb2312'?>",
     b"<title>", "党建".encode("gb18030"), "党建".encode(), b"\x00", b"\xff\xfe", b"\xef\xbb\xbf",
     b"2022-07-06 10:10:33", "版权声明".encode(), b"<table><tr><td>", b"<a href=#>", b"<!--",
     b"<meta property='article:published_time' content='2022-07-06T10:10:33+9999'>",
     b"<time datetime='2022-13-45'>", b"<h1>", b"</h1>", b"<figure><figcaption>",
     "留言与评论".encode(), b"<p style='text-align:center'>"]
)  # fmt: skip
HTMLISH = st.lists(st.one_of(FRAGMENTS, st.binary(max_size=40)), max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(st.binary(max_size=2000), HTMLISH), header=st.sampled_from(
    [None, "text/html", "text/html; charset=gbk", "text/html; charset=utf-8", "text/html; charset=bogus"]
))  # fmt: skip
def test_arbitrary_bytes(body: bytes, header: str | None) -> None:
    text = decode_html(body, header)
    assert isinstance(text, str)
    try:
        page = extract_article(body, "http://example.test/a.html", content_type=header)
    except ParseError as exc:
        assert exc.url == "http://example.test/a.html"
        return
    assert all(isinstance(p, str) and p for p in page.paragraphs)
    assert page.published is None or page.published.utcoffset() is not None


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=500))
def test_arbitrary_text(text: str) -> None:
    with contextlib.suppress(ParseError):
        extract_article(text, "file:///tmp/x.html")


def test_empty_page_is_a_clear_parse_error() -> None:
    with pytest.raises(ParseError, match="empty page"):
        extract_article(b"   ", "http://example.test/empty")


def test_deep_nesting_does_not_crash() -> None:
    body = b"<div>" * 5000 + "正文内容，很长的一段话。".encode() * 20 + b"</div>" * 5000
    with contextlib.suppress(ParseError):
        extract_article(body, "http://example.test/deep")


def test_profiles_by_host() -> None:
    portal = ExtractionProfile(body="#article-content")
    local = ExtractionProfile(body="div.content")
    config = ExtractionSettings(profiles={"shanxidayuan.com": portal, "file": local})
    assert profile_for("http://www.shanxidayuan.com/gsyl/5849.html", config) is portal
    assert profile_for("https://m.shanxidayuan.com/x", config) is portal
    assert profile_for("file:///srv/portal/5849.html", config) is local
    assert profile_for("/srv/portal/5849.html", config) is local
    assert profile_for("http://example.com/", config) is None
    assert profile_for("http://example.com/", None) is None


def test_bad_profile_selector_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="body"):
        check_profile(ExtractionProfile(body="div[[["))
    with pytest.raises(ConfigError):
        extract_article("<p>x</p>", "http://e.test/", profile=ExtractionProfile(body=":::"))


def test_profile_selector_matching_nothing_falls_back_to_generic() -> None:
    body = (
        "<html><body><div class='x'><p>"
        + "这是正文的一句话，内容足够长。" * 10
        + "</p></div></body></html>"
    )
    page = extract_article(body, "http://e.test/", profile=ExtractionProfile(body="#missing"))
    assert page.paragraphs and page.paragraphs[0].startswith("这是正文")
