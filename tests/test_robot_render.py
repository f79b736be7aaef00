"""core/robot_render: robot chunks fit each platform's byte limit, lose nothing, split between
items, and neutralise markup found in article text."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.core.digest import Digest, DigestItem, digest_message
from newsbot.core.replies import Message, Span
from newsbot.core.robot_render import (
    DINGTALK_TEXT_BUDGET,
    FEISHU_CONTENT_BUDGET,
    json_bytes,
    keep_items_together,
    render_dingtalk_markdown,
    render_feishu_post,
    render_wecom_robot,
)

_chars = st.characters(blacklist_categories=("Cs",))
_texts = st.one_of(
    st.text(_chars, max_size=80),
    st.text(st.sampled_from('党建<>&"\\。！？；. 😀\n#*[]`-_1'), max_size=400),
    st.builds(lambda n, c: c * n, st.integers(0, 9000), st.sampled_from(["字", "😀", "a", '"'])),
)
_spans = st.builds(
    Span,
    text=_texts,
    url=st.one_of(st.none(), st.just("https://www.shanxidayuan.com/a?x=1&y=(2)")),
    bold=st.booleans(),
)
_messages = st.builds(
    Message,
    blocks=st.lists(st.lists(_spans, min_size=1, max_size=4).map(tuple), max_size=12).map(tuple),
)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _letters(text: str) -> str:
    """What survives every dialect unchanged: CJK and ASCII letters/digits."""
    return re.sub(r"[^\w\u4e00-\u9fff]|_", "", text)


def _all(message: Message) -> str:
    return _letters("".join(s.text for b in message.blocks for s in b))


def _markdown_text(chunks: list[str]) -> str:
    """The letters a reader sees: link targets removed."""
    return _letters(re.sub(r"\]\([^)]*\)", "", "".join(chunks)))


def _feishu_text(chunk: str) -> str:
    post = json.loads(chunk)["zh_cn"]["content"]
    return "".join(e["text"] for line in post for e in line)


def digest(n: int, points: int = 3) -> Digest:
    items = tuple(
        DigestItem(
            article_id=i,
            title=f"第{i}条：阳泉市查摆出问题{4800 + i}条 *重点* [通报]",
            url=f"https://www.shanxidayuan.com/gsyl/{i}.html",
            section="阳泉" if i % 2 else "经济",
            key_points=tuple(
                f"要点{j}：需化解债务3029.56万元，涉及_{i}_项 # 工作。" * 3 for j in range(points)
            ),
            figures=("查摆出问题4804条", "需化解债务3029.56万元"),
            score=1.0,
        )
        for i in range(1, n + 1)
    )
    return Digest(subscriber_id=1, local_date="2026-11-29", items=items)


@settings(max_examples=80, deadline=None)
@given(_messages)
def test_wecom_chunks_within_4096_bytes_and_complete(message: Message) -> None:
    chunks = render_wecom_robot(message)
    assert all(0 < len(c.encode("utf-8")) <= 4096 for c in chunks)
    assert _markdown_text(chunks) == _all(message)


@settings(max_examples=80, deadline=None)
@given(_messages)
def test_dingtalk_chunks_within_budget_and_complete(message: Message) -> None:
    chunks = render_dingtalk_markdown(message, limit=3000)
    assert all(0 < json_bytes(c) <= 3000 for c in chunks)
    assert _markdown_text(chunks) == _all(message)


@settings(max_examples=80, deadline=None)
@given(_messages)
def test_feishu_posts_within_budget_and_complete(message: Message) -> None:
    chunks = render_feishu_post(message, limit=3000)
    assert all(len(c.encode("utf-8")) <= 3000 for c in chunks)
    texts = [_feishu_text(c) for c in chunks]
    assert _squash("".join(texts)) == _squash("".join(s.text for b in message.blocks for s in b))


def test_thirty_item_digest_splits_between_items_in_every_dialect() -> None:
    message = digest_message(digest(30))
    assert message is not None
    wecom = render_wecom_robot(message)
    dingtalk = render_dingtalk_markdown(message, limit=6000)
    feishu = render_feishu_post(message, limit=6000)
    for chunks in (wecom, dingtalk):
        assert len(chunks) > 1
        for chunk in chunks[1:]:  # every later message starts with an item or a section header
            first = chunk.lstrip()
            assert first.startswith(("[第", "**【")), first[:40]
    for i in range(1, 31):
        assert sum(f"/{i}.html" in c for c in wecom) == 1
        assert sum(f"/{i}.html" in c for c in feishu) == 1
    assert all(len(c.encode()) <= 4096 for c in wecom)


def test_markup_in_article_text_is_neutralised() -> None:
    hostile = Message(((Span("- **粗体** [链接](http://evil) `code` # 标题 > 引用 _x_"),),))
    (wecom,) = render_wecom_robot(hostile)
    (ding,) = render_dingtalk_markdown(hostile)
    for chunk in (wecom, ding):
        assert "**" not in chunk and "[" not in chunk and "`" not in chunk and "_" not in chunk
        assert "＊＊粗体＊＊" in chunk
    assert ding.startswith("－ ")
    (feishu,) = render_feishu_post(hostile)
    assert _feishu_text(feishu) == hostile.blocks[0][0].text  # structured: shown as written


def test_keep_items_together_joins_header_with_first_item() -> None:
    message = digest_message(digest(3, points=1))
    assert message is not None
    units = keep_items_together(message)
    assert len(units.blocks) == 1 + 2 + 1  # title+count, two sections each opening with an item
    # the budgets leave room for the envelope
    assert DINGTALK_TEXT_BUDGET < 20_000 and FEISHU_CONTENT_BUDGET < 20_000
