"""Golden-style checks on a few pages of the shared Chinese extraction corpora."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from tests.conftest import shared_path

from newsbot.extract import extract_article

_TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+")


def f1(predicted: str, gold: str) -> float:
    """char-4gram F1, the benchmark's measure (CJK characters and ASCII runs as tokens)."""

    def grams(text: str) -> Counter[tuple[str, ...]]:
        toks = _TOKEN.findall(text)
        return Counter(tuple(toks[i : i + 4]) for i in range(len(toks) - 3))

    p, g = grams(predicted), grams(gold)
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


DANIEL = [
    (
        "20111209_china.huanqiu.com_1a3c",
        "韩国女主播是非不断 裸体新闻遭禁播视频画面曝光",
        "美女主播们泪洒现场",
        0.85,
    ),
    (
        "20120117_finance.ynet.com_660a",
        "质量问题连续被曝 格兰仕梦碎千亿元大跃进",
        "冰洗不给力",
        0.85,
    ),
    # The reference of this page keeps a list of video links; our text rightly leaves it out.
    (
        "20120112_www.chinanews.com_565a",
        "崔永元缺席中国慈善年会 给农民工主持晚会",
        "缺席了1月8日举行的中国慈善年会",
        0.7,
    ),
]


@pytest.mark.parametrize(
    ("prefix", "title", "phrase", "least"), DANIEL, ids=[d[0][:30] for d in DANIEL]
)
def test_daniel_pages(prefix: str, title: str, phrase: str, least: float) -> None:
    folder = shared_path("corpora", "extraction", "daniel-zh-dev")
    html_path = next((folder / "html").glob(prefix + "*"))
    gold_raw = (folder / "reference" / html_path.name).read_text("utf-8")
    gold = "\n".join(re.findall(r"<p>(.*?)</p>", gold_raw, re.S))
    page = extract_article(html_path.read_bytes(), "http://" + html_path.name.split("_")[1] + "/")
    assert title in page.title
    assert phrase in page.text
    assert f1(page.text, gold) >= least
    assert not any(
        line.startswith(("相关新闻", "网友评论", "发表评论")) for line in page.paragraphs
    )


def test_cwced_gbk_pages_extract_cleanly() -> None:
    folder = shared_path("corpora", "extraction", "cwced")
    scores = []
    for path in sorted((folder / "original").glob("*.html"))[:12]:
        body = path.read_bytes()
        if not re.search(rb"charset=[\"']?(gb2312|gbk)", body[:4096], re.I):
            continue
        page = extract_article(body, "http://example.test/" + path.name)
        assert "\ufffd" not in page.text
        gold = (folder / "cleaned" / (path.stem + ".txt")).read_text("utf-8", "replace")
        scores.append(f1(page.text, gold))
    assert len(scores) >= 4
    assert sum(scores) / len(scores) >= 0.85
