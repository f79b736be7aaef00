"""Figures: numerals, units, negatives, ranking, and properties (Hypothesis)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.core.figures import extract_figures, figures_in_sentences, headline_figures
from newsbot.core.numerals import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一千二百", 1200),
        ("十五", 15),
        ("两万三千", 23000),
        ("一百零五", 105),
        ("三亿五千万", 350_000_000),
        ("二〇二二", 2022),
        ("12,000", 12000),
        ("3029.56", 3029.56),
        ("三五", None),
        ("", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_a_figure_carries_text_value_unit_label_and_sentence() -> None:
    figures = extract_figures("高新区编制问题清单。需化解债务3029.56万元，已化解债务503.72万元。")
    first = figures[0]
    assert (first.text, first.value, first.unit, first.label) == (
        "3029.56万元",
        30_295_600.0,
        "元",
        "需化解债务",
    )
    assert first.sentence == 1 and not first.approx


def test_approximate_markers_and_ranges() -> None:
    figures = {f.text: f for f in extract_figures("约500条意见，3至5个小组，40人左右，逾3000户。")}
    assert figures["约500条"].approx and figures["40人左右"].approx and figures["逾3000户"].approx
    assert (figures["3至5个"].value, figures["3至5个"].value_max) == (3, 5)
    assert not figures["3至5个"].approx


def test_headlines_put_totals_and_results_before_parts() -> None:
    sentences = [
        "共计查摆出问题4804条；",
        "其中，党组织问题533条，干部问题1612条，社区干部2659条。",
        "园区产业带动就业1003人。",
    ]
    top = [f.text for f in headline_figures(figures_in_sentences(sentences), sentences, 2)]
    assert top == ["1003人", "4804条"] or top == ["4804条", "1003人"]


@pytest.mark.parametrize(
    ("sentence", "new", "old", "subject"),
    [
        ("全县森林覆盖率由去年的35.2%提高到36.8%。", "36.8%", "35.2%", "森林覆盖率"),
        ("农民人均可支配收入从1.2万元增加到1.5万元。", "1.5万元", "1.2万元", "人均可支配收入"),
        ("失业率由5.1%降至4.6%。", "4.6%", "5.1%", "失业率"),
    ],
)
def test_a_change_from_a_to_b_headlines_b_labelled_with_its_subject(
    sentence: str, new: str, old: str, subject: str
) -> None:
    sentences = [sentence]
    figures = {f.text: f for f in figures_in_sentences(sentences)}
    assert subject in figures[new].label and subject in figures[old].label
    assert [f.text for f in headline_figures(list(figures.values()), sentences)] == [new]


def test_from_without_a_change_is_a_plain_label() -> None:
    figures = {f.text: f.label for f in extract_figures("从5个方面入手，由3名党员组成。")}
    assert figures == {"5个": "方面", "3名": "党员"}


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("以开展十五项行动为载体。", []),  # a programme's name
        ("开办三个课堂。", []),
        ("推出五项惠民工程。", []),
        ("开展15项行动。", ["15项"]),  # Arabic digits: a count
        ("开展了十五项行动。", ["十五项"]),  # the text says it counted
        ("全区共十五项行动。", ["十五项"]),
        ("新增三个课堂。", ["三个"]),
        ("成立两个临时党支部。", ["两个"]),  # not a programme noun
    ],
)
def test_unquoted_programme_names_are_not_figures(text: str, counted: list[str]) -> None:
    assert [f.text for f in extract_figures(text)] == counted


def test_headline_limit_zero_gives_none() -> None:
    sentences = ["带动就业1003人。"]
    assert headline_figures(figures_in_sentences(sentences), sentences, 0) == []


_FRAGMENTS = [
    "高新区",
    "累计摸底合同367份，",
    "带动就业1003人。",
    "需化解债务3029.56万元，",
    "全区",
    "组织开展主题党日活动。",
    "，",
    "两个临时党支部",
]
_DATES = st.one_of(
    st.builds(
        "{}-{:02d}-{:02d}".format,
        st.integers(1990, 2035),
        st.integers(1, 12),
        st.integers(1, 28),
    ),
    st.builds(
        "{}年{}月{}日".format, st.integers(1990, 2035), st.integers(1, 12), st.integers(1, 28)
    ),
    st.builds("{}月{}日".format, st.integers(1, 12), st.integers(1, 31)),
    st.builds("{}年".format, st.integers(1990, 2035)),
    st.builds(
        "{:02d}:{:02d}:{:02d}".format,
        st.integers(0, 23),
        st.integers(0, 59),
        st.integers(0, 59),
    ),
)


@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=4),
    _DATES,
    st.lists(st.sampled_from(_FRAGMENTS), max_size=4),
)
@settings(max_examples=150, deadline=None)
def test_no_figure_lies_inside_a_date(before: list[str], date: str, after: list[str]) -> None:
    # Chinese text around the date: the date itself must add no figure.
    head, tail = "".join(before) + "，", "，" + "".join(after)
    with_date = Counter(f.text for f in extract_figures(head + date + tail))
    without = Counter(f.text for f in extract_figures(head + "今天" + tail))
    assert with_date == without


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_arbitrary_unicode_never_raises_and_is_deterministic(text: str) -> None:
    first = extract_figures(text)
    assert first == extract_figures(text)
    for figure in first:
        assert figure.text in text


@pytest.mark.parametrize(
    "blob",
    [
        "a1" * 50_000,
        "1." * 50_000,
        "1+" * 50_000,
        "“" * 50_000 + "1个",
        "需化解债务3029.56万元，" * 5_000,
    ],
)
def test_hostile_long_inputs_are_handled_linearly(blob: str) -> None:
    # Quadratic regex backtracking made a 16k-character base64-like run take minutes; these
    # finish in well under a second each. (No timing assertion: pytest's timeout is the guard.)
    figures = extract_figures(blob)
    assert all(f.text in blob for f in figures)
