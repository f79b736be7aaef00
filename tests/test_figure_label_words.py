"""Figure labels are runs of whole words of their sentence (issue 13): the label is cut from the
sentence as the shared segmenter cuts it as a whole, never starts with a number, measure,
threshold (以下, 左右) or preposition word, and is empty rather than garbled.

Checked on every figure of the labelled real-text set (tests/data/figures_corpus.jsonl) and of the
sample portal's articles, plus the labels the live digest showed garbled before this rule.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from newsbot.cli.summarize_cmd import read_article
from newsbot.core import segment
from newsbot.core.figure_labels import word_tags
from newsbot.core.figures import extract_figures, figures_in_sentence
from newsbot.core.text import split_sentences

_CORPUS = Path(__file__).parent / "data" / "figures_corpus.jsonl"
_NUMERALS = set("0123456789０１２３４５６７８９零〇一二两三四五六七八九十百千万亿半几")
_NEVER_FIRST = {"以下", "以上", "以内", "左右", "上下", "之间", "余", "多", "对", "按", "在", "从"}


def _corpus_sentences() -> list[str]:
    rows = [json.loads(line) for line in _CORPUS.read_text(encoding="utf-8").splitlines()]
    return [row["sentence"] for row in rows if row["sentence"].strip()]


def _portal_sentences() -> list[str]:
    portal = resources.files("newsbot.sample_portal")
    sentences: list[str] = []
    with resources.as_file(portal) as root:
        for page in sorted(Path(root).glob("*/*.html")):
            title, paragraphs = read_article(page, None)
            for paragraph in (title, *paragraphs):
                sentences.extend(split_sentences(paragraph))
    return sentences


def _label_problem(sentence: str, label: str) -> str | None:
    """Why `label` is not a clean run of whole words of `sentence`, or None."""
    words = [word for word in segment.tokenizer().cut(sentence, HMM=False)]
    starts = {sum(map(len, words[:i])): i for i in range(len(words))}
    at = sentence.find(label)
    while at >= 0:
        first = starts.get(at)
        if first is not None:
            run, i = "", first
            while len(run) < len(label) and i < len(words):
                run, i = run + words[i], i + 1
            if run == label:
                lead = words[first]
                tag = word_tags().get(lead, "n")
                if lead[0] in _NUMERALS and not tag.startswith("n"):
                    return f"starts with the number word {lead}"
                if lead in _NEVER_FIRST or tag.startswith(("p", "c", "u", "q")):
                    return f"starts with {lead} ({tag})"
                return None
        at = sentence.find(label, at + 1)
    return "not a run of whole words of the sentence"


def _problems(sentences: list[str]) -> list[tuple[str, str, str]]:
    problems = []
    for sentence in sentences:
        for figure in figures_in_sentence(sentence):
            why = _label_problem(sentence, figure.label) if figure.label else None
            if why:
                problems.append((figure.label, why, sentence[:60]))
    return problems


def test_corpus_labels_are_whole_words_with_a_clean_start() -> None:
    sentences = _corpus_sentences()
    assert len(sentences) > 300
    assert _problems(sentences) == []


def test_sample_portal_labels_are_whole_words_with_a_clean_start() -> None:
    sentences = _portal_sentences()
    labelled = [f for s in sentences for f in figures_in_sentence(s) if f.label]
    assert len(labelled) > 50
    assert _problems(sentences) == []


@pytest.mark.parametrize(
    ("sentence", "figure", "labels"),
    [
        ("对首次认定的国家高新技术企业一次性奖励30万元", "30万元", {"一次性奖励", "奖励"}),
        ("全省普惠小微贷款余额3869亿元", "3869亿元", {"普惠小微贷款余额"}),
        (
            "全市公办幼儿园在园幼儿占比提高到52.3%",
            "52.3%",
            {"在园幼儿占比", "公办幼儿园在园幼儿占比"},
        ),
        ("普惠性幼儿园覆盖率达到89.6%", "89.6%", {"普惠性幼儿园覆盖率"}),
        ("45人以下标准班额比例达到93.7%", "93.7%", {"标准班额比例"}),
        ("对企业研发投入按增量部分的10%给予补助", "10%", {"增量部分", "研发投入", ""}),
        # too long for a label: cut at the conjunction, not inside the first noun
        ("累计发放支农支小再贷款和再贴现资金286.5亿元", "286.5亿元", {"再贴现资金", ""}),
    ],
)
def test_labels_the_digest_showed_garbled(sentence: str, figure: str, labels: set[str]) -> None:
    found = {f.text: f.label for f in extract_figures(sentence)}
    assert found[figure] in labels
