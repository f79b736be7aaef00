"""The extractive summarizer and sentence splitting: examples, article 5849, properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import shared_path

from newsbot.config import SummarySettings
from newsbot.core import keypoints
from newsbot.core.models import Summary
from newsbot.core.summarize import ExtractiveSummarizer
from newsbot.core.text import fold_width, normalize, split_sentences

# ---- sentence splitting -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("第一句。第二句！第三句？第四句；", ["第一句。", "第二句！", "第三句？", "第四句；"]),
        ("他说：“好。”然后走了。", ["他说：“好。”然后走了。"]),
        (
            "“我们聚焦党史。不断提高能力。”负责人说。今年以来，成效明显。",
            ["“我们聚焦党史。不断提高能力。”负责人说。", "今年以来，成效明显。"],
        ),
        ("时令鲜物陆续呈现……叫人心旷神怡。", ["时令鲜物陆续呈现……", "叫人心旷神怡。"]),
        ("（完）。下一句。", ["（完）。", "下一句。"]),
        ("出台《措施。20条》。结束。", ["出台《措施。20条》。", "结束。"]),
        ("第一行\n第二行。", ["第一行", "第二行。"]),
        (
            "Mr. Smith paid $3.5 million. It rose 2.5%! Next one",
            ["Mr. Smith paid $3.5 million.", "It rose 2.5%!", "Next one"],
        ),
        ("", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_fold_width_keeps_length_and_chinese_punctuation() -> None:
    assert fold_width("３０２９．５６万元，ＡＢ％") == "3029.56万元，AB%"
    assert normalize("  第一段\u3000\u3000内容 \n\n 第二段 ") == "第一段 内容\n第二段"


# ---- summaries --------------------------------------------------------------------------


def _portal_article() -> tuple[str, list[str]]:
    """Title and body paragraphs of the captured page, boilerplate skipped."""
    lines = [
        line.strip()
        for line in shared_path("portal", "article-5849.txt").read_text("utf-8").splitlines()
    ]
    byline = next(i for i, line in enumerate(lines) if line.startswith("网络编辑"))
    end = lines.index("版权声明")
    title = lines[byline - 1] if lines[byline - 1] else lines[byline - 2]
    body = [line for line in lines[byline + 1 : end] if len(line) > 1]
    return title, body


def test_article_5849_headline_figures() -> None:
    title, body = _portal_article()
    expected = {"4804条", "3029.56万元", "503.72万元", "1003人", "175个"}
    five = ExtractiveSummarizer(SummarySettings(headline_figures=5)).summarize(title, body)
    assert {f.text for f in five.headline_figures} == expected
    default = ExtractiveSummarizer().summarize(title, body)
    assert len(default.headline_figures) == 4
    assert {f.text for f in default.headline_figures} <= expected
    by_text = {f.text: f for f in default.figures}
    assert by_text["3029.56万元"].value == 30_295_600 and by_text["3029.56万元"].unit == "元"
    assert {"533条", "1612条", "2659条"} <= set(by_text)  # the parts are figures, not headlines
    slogans = ("两个", "四个", "五大", "十五项", "11633", "1+4+N", "二十大", "101", "7号", "20条")
    assert not [f.text for f in default.figures if f.text.startswith(slogans) and f.text != "两个"]


def test_article_5849_key_points() -> None:
    title, body = _portal_article()
    summary = ExtractiveSummarizer().summarize(title, body)
    assert 3 <= len(summary.key_points) <= 5
    sentences = [s for line in body for s in split_sentences(normalize(line), semicolons=False)]
    assert all(p in sentences for p in summary.key_points)  # whole sentences, no "…"
    assert summary.key_points[0].startswith("今年以来")  # the lead, whole
    assert not any(p.endswith("；") for p in summary.key_points)
    assert any("4804条" in p for p in summary.key_points)


def test_empty_and_short_articles() -> None:
    summarizer = ExtractiveSummarizer()
    assert summarizer.summarize("", []).key_points == ()
    assert summarizer.summarize("标题", ["", "  "]).key_points == ()
    one = summarizer.summarize("", ["高新区今年带动就业1003人，全区党组织达到175个。"])
    assert one.key_points == ("高新区今年带动就业1003人，全区党组织达到175个。",)
    assert [f.text for f in one.headline_figures] == ["1003人", "175个"]


def test_point_count_grows_with_length() -> None:
    summarizer = ExtractiveSummarizer()
    counts = [summarizer.point_count(n, 50) for n in (100, 300, 1000, 3000, 6000)]
    assert counts == [1, 3, 3, 4, 5]  # 3 from 200 characters on: a short portal article
    assert summarizer.point_count(6000, 2) == 2


def test_english_text() -> None:
    text = (
        "The city council approved a budget of 3.5 million yuan on Monday. "
        "The money will repair 12 bridges. Mr. Li said the work starts in May. "
        "Residents welcomed the plan. Some asked for more parks. The council meets again soon."
    )
    summary = ExtractiveSummarizer().summarize("Council approves bridge budget", [text])
    assert 1 <= len(summary.key_points) <= 3
    assert summary.key_points[0].startswith("The city council approved")
    assert all(p in text for p in summary.key_points)


def _park_article(opener: str) -> list[str]:
    return [
        "阳泉高新区今年持续推进园区建设，营商环境明显改善，企业入驻数量稳步上升，园区面貌焕然一新。",
        "园区坚持党建引领，把组织优势转化为发展优势，推动各项工作落地见效，群众获得感不断增强。",
        "高新区组织干部深入企业走访调研，帮助企业协调解决用工、用地、融资等方面的实际困难和问题。",
        "园区还完善了道路、供水、供电等基础设施，方便企业生产经营，也方便职工上下班出行和日常生活。",
        "各部门协同配合，建立问题台账，实行清单管理，逐项明确责任人和完成时限，确保按期办结销号。",
        opener
        + "园区新建的职工公寓和停车场投资1200万元，可容纳职工300余人，预计年底前全部投入使用。",
        "下一步，高新区将继续优化服务，完善配套，努力打造一流的营商环境，推动园区高质量发展。",
        "园区有关负责人表示，将以更大力度服务企业发展，持续提升园区的承载能力和综合竞争力。",
        "高新区相关部门将定期回访企业，跟踪问题解决情况，切实把好事办好、实事办实，让企业满意。",
    ]


@pytest.mark.parametrize("opener", ["此外，", "其中，", "例如，"])
def test_an_elaboration_does_not_outrank_the_sentence_it_elaborates(opener: str) -> None:
    """A figure sentence is a point on its own, but not when it opens with 此外/其中/例如: a
    satellite is capped at the score of the sentence before it."""
    summarizer = ExtractiveSummarizer()
    plain = summarizer.summarize("", _park_article(""))
    assert any("1200万元" in p for p in plain.key_points)
    satellite = summarizer.summarize("", _park_article(opener))
    assert not any("1200万元" in p for p in satellite.key_points)
    assert "1200万元" in {f.text for f in satellite.headline_figures}  # still a headline figure


def test_long_sentences_become_their_leading_complete_clauses() -> None:
    sentence = (
        "今年以来，高新区编制了区、乡、村三级党组织“问题清单”汇编，乡、村两级干部“问题清单”汇编"
        "和大连街社会事务中心、社区两级干部“问题清单”汇编，共计查摆出问题4804条。"
    )
    point = ExtractiveSummarizer(SummarySettings(max_point_chars=60)).summarize("", [sentence])
    (text,) = point.key_points
    assert text == "高新区编制了区、乡、村三级党组织“问题清单”汇编"  # filler and later clauses gone
    assert "…" not in text


def test_a_statement_joined_by_semicolons_is_one_point_never_split_at_the_semicolon() -> None:
    statement = (
        "截至目前，需化解债务3029.56万元，已化解债务503.72万元；收回资金1.76万元，盘活集体经济。"
    )
    (point,) = ExtractiveSummarizer().summarize("", [statement]).key_points
    assert point == statement


def test_a_quotation_is_never_cut_open() -> None:
    sentence = "“有志愿者在，我们感到很安心、很放心，也很踏实，这几年社区变化很大。”高新区御康社区居民冯女士说，社区的红色物业联合党支部发出动员令。"
    (point,) = (
        ExtractiveSummarizer(SummarySettings(max_point_chars=40))
        .summarize("", [sentence])
        .key_points
    )
    assert point.count("“") == point.count("”")


# ---- properties -------------------------------------------------------------------------

_SENTENCES = [
    "今年以来，阳泉高新区带动就业1003人。",
    "“我们明晰组织架构，将全区175个党组织划归至8个党委。”高新区相关负责人说。",
    "需化解债务3029.56万元，已化解债务503.72万元；",
    "此外，高新区成立党员突击队5支、党员先锋队16支、党员志愿服务队19支，动员引导1000余名党员下沉一线。",
    "狠抓政治建设不放松",
    "7月1日，高新区组织开展主题党日活动。",
    "The council approved 3 new parks.",
    "经过梳理汇总，共计查摆出问题4804条。",
    "坚定捍卫“两个确立”、切实增强“四个意识”。",
    "图片由高新区提供",
    "杨家庄乡在乡政府大院举办“七一”主题升旗仪式，全乡党员干部、群众代表、驻村工作队员、志愿者等共计300余人参加，"
    "仪式庄严隆重，现场气氛热烈，大家纷纷表示要以实际行动迎接党的二十大胜利召开。",
]
_PARAGRAPHS = st.lists(
    st.lists(st.sampled_from(_SENTENCES), min_size=1, max_size=4).map("".join),
    max_size=12,
)


@given(st.text(max_size=40), _PARAGRAPHS, st.integers(20, 120))
@settings(max_examples=150, deadline=None)
def test_key_points_are_faithful_trims_in_source_order(
    title: str, paragraphs: list[str], limit: int
) -> None:
    summary = ExtractiveSummarizer(SummarySettings(max_point_chars=limit)).summarize(
        title, paragraphs
    )
    sentences = [s for p in paragraphs for s in split_sentences(normalize(p), semicolons=False)]
    start = 0
    for point in summary.key_points:
        assert len(point) > 0
        assert "…" not in point or any("…" in s for s in sentences)
        # the first later sentence it can come from: it holds the point, and the point is
        # within the limit or that sentence's first clause
        index = next(
            i
            for i in range(start, len(sentences))
            if point in sentences[i]
            and len(point) <= max(limit, len(keypoints.leading_clauses(sentences[i], 1)))
        )
        start = index + 1
    assert summary == ExtractiveSummarizer(SummarySettings(max_point_chars=limit)).summarize(
        title, paragraphs
    )


@given(st.text(max_size=60), st.lists(st.text(max_size=200), max_size=6))
@settings(max_examples=200, deadline=None)
def test_arbitrary_unicode_never_raises(title: str, paragraphs: list[str]) -> None:
    summarizer = ExtractiveSummarizer()
    first = summarizer.summarize(title, paragraphs)
    assert first == summarizer.summarize(title, paragraphs)
    assert len(first.key_points) <= 5


def test_hostile_long_paragraphs_are_summarized() -> None:
    blob = "党建" * 50_000 + "。" + "a1" * 50_000 + "1." * 20_000
    summary = ExtractiveSummarizer().summarize("", [blob, "“" * 20_000])
    assert len(summary.key_points) <= 5


def test_summary_survives_the_json_round_trip_used_by_storage() -> None:
    summary = ExtractiveSummarizer().summarize(
        "标题", ["每个社区配备3至5名网格员，带动就业1003人。", "需化解债务3029.56万元。"]
    )
    stored = json.loads(json.dumps(summary.as_dict(), ensure_ascii=False))
    assert Summary.from_dict(stored) == summary
    assert any(f.value_max == 5 for f in summary.figures)


@given(st.lists(st.sampled_from([*_SENTENCES, "他说……好吧。", "等等…"]), min_size=1, max_size=12))
@settings(max_examples=150, deadline=None)
def test_no_key_point_has_an_ellipsis_the_source_does_not_have(sentences: list[str]) -> None:
    summary = ExtractiveSummarizer(SummarySettings(max_point_chars=40)).summarize("", sentences)
    for point in summary.key_points:
        assert "…" not in point or any("…" in s and point in s for s in sentences)


def test_three_points_when_a_short_article_has_three_informative_sentences() -> None:
    body = [
        "记者从阳泉市城区住建局获悉，今年城区计划改造老旧小区43个，涉及居民1.2万户。",
        "已开工小区31个，开工率72.1%，预计10月底前全部完工。",
        "改造内容包括管网更新、加装电梯、增设停车位和充电桩，总投资2.6亿元，其中中央补助资金1.1亿元，"
        "地方配套和社会资本共1.5亿元。",
        "城区住建局相关负责人表示，将加强施工监管，确保工程质量和施工安全，同时畅通居民意见反馈渠道，"
        "让改造项目真正成为群众满意的民心工程。",
    ]
    assert 200 <= sum(map(len, body)) < 300
    assert len(ExtractiveSummarizer().summarize("城区老旧小区改造", body).key_points) == 3
