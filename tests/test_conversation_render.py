"""core/render: every Message renders into chunks within each channel's limit, losing no text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from fakes.telegram_html import parse_telegram_html, utf16_len
from newsbot.core.render import (
    render_plain,
    render_telegram,
    render_wecom_markdown,
    split_sentences,
)
from newsbot.core.replies import Button, Message, Span, link_block, text_block

# Real text never holds lone surrogates (Telegram sends UTF-8); everything else is fair game,
# including markup characters, emoji (2 UTF-16 units) and long unbroken runs.
_chars = st.characters(blacklist_categories=("Cs",))
_texts = st.one_of(
    st.text(_chars, max_size=80),
    st.text(st.sampled_from("党建<>&\"'。！？；. 😀\n#*[]`"), max_size=400),
    st.builds(lambda n, c: c * n, st.integers(0, 9000), st.sampled_from(["字", "😀", "a", "a b "])),
)
_spans = st.builds(
    Span,
    text=_texts,
    url=st.one_of(st.none(), st.just("https://www.shanxidayuan.com/a?x=1&y=<2>")),
    bold=st.booleans(),
)
_messages = st.builds(
    Message,
    blocks=st.lists(st.lists(_spans, min_size=1, max_size=4).map(tuple), max_size=12).map(tuple),
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _all_text(message: Message) -> str:
    return _squash("".join(span.text for block in message.blocks for span in block))


@settings(max_examples=150, deadline=None)
@given(_messages)
def test_telegram_chunks_are_valid_within_limit_and_complete(message: Message) -> None:
    chunks = render_telegram(message)
    visible = [parse_telegram_html(chunk) for chunk in chunks]  # raises on invalid HTML
    assert all(0 < utf16_len(text) <= 4096 and text.strip() for text in visible)
    assert _squash("".join(visible)) == _all_text(message)


@settings(max_examples=100, deadline=None)
@given(_messages, st.sampled_from([2048, 600]))
def test_plain_bytes_chunks_within_limit(message: Message, limit: int) -> None:
    chunks = render_plain(message, limit=limit, measure="bytes")
    assert all(len(chunk.encode("utf-8")) <= limit for chunk in chunks)
    joined = _squash("".join(chunks))
    pos = 0
    for char in _all_text(message):  # every character, in order (links add their URL)
        pos = joined.index(char, pos) + 1


@settings(max_examples=100, deadline=None)
@given(_messages)
def test_wecom_markdown_within_4096_bytes(message: Message) -> None:
    chunks = render_wecom_markdown(message)
    assert all(len(chunk.encode("utf-8")) <= 4096 for chunk in chunks)
    assert sum(len(_squash(c)) for c in chunks) >= len(_all_text(message))


def test_feed_text_is_escaped_not_markup() -> None:
    message = Message((link_block("<b>标题</b> & 更多", "https://e.cn/?a=1&b=2"),))
    (chunk,) = render_telegram(message)
    assert chunk == '<a href="https://e.cn/?a=1&amp;b=2">&lt;b&gt;标题&lt;/b&gt; &amp; 更多</a>'


def test_long_message_splits_at_paragraphs_then_sentences() -> None:
    paragraph = "查摆出问题4804条。" * 300  # 3300 characters
    message = Message(
        (text_block(paragraph), text_block(paragraph)), buttons=((Button("下一页", "n"),),)
    )
    chunks = render_telegram(message)
    assert len(chunks) == 2 and all(len(c) == 3300 for c in chunks)
    huge = Message((text_block(paragraph * 2),))
    parts = render_telegram(huge)
    assert [len(p) for p in parts] == [4092, 6600 - 4092]  # 372 whole sentences, then the rest
    assert all(p.endswith("。") for p in parts)


def test_sentences_keep_their_punctuation() -> None:
    assert split_sentences("一。二！“三？”四") == ["一。", "二！", "“三？”", "四"]
    assert "".join(split_sentences("a. b\nc")) == "a. b\nc"


def test_plain_text_shows_links() -> None:
    message = Message((link_block("标题", "https://e.cn/1", " · 要闻"),))
    assert render_plain(message) == ["标题 (https://e.cn/1) · 要闻"]


def test_wecom_markdown_neutralises_markup_in_feed_text() -> None:
    message = Message(((Span("# [x](y) **z**"), Span("链接", url="https://e.cn/(1)", bold=True)),))
    (chunk,) = render_wecom_markdown(message)
    assert chunk == "＃ ［x］(y) ＊＊z＊＊**[链接](https://e.cn/%281%29)**"
