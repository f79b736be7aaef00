"""Headline figures: the few figures of an article that a digest shows, best first."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from newsbot.core.figure_labels import CLAUSE_BREAK, change_role
from newsbot.core.models import Figure

_CONTEXT = 40  # characters before a figure searched for total and part words (x4)

_UNIT_WEIGHT = {
    "元": 3.0,
    "美元": 3.0,
    "%": 2.5,
    "个百分点": 2.5,
    "倍": 2.0,
    "人": 2.5,
    "人次": 2.0,
}
_UNIT_WEIGHT.update({"名": 1.6, "户": 1.5, "亩": 1.5, "吨": 1.5, "公里": 1.3})
_TOTAL_RE = re.compile(
    r"共计|合计|总计|累计|共有|总共|全区|全市|全县|全省|全乡|全镇|全国|总数|总额|总量|共"
)
_PART_RE = re.compile(r"其中|分别|包括|占")
# Outcomes (people employed, debt resolved, income raised) beat activity counts (surveys held).
_RESULT_RE = re.compile(
    r"就业|增收|化解|完成|实现|带动|收回|增长|脱贫|新增|减少|下降|提高|投资|营收|产值"
)
_PER_SENTENCE = 2


def headline_figures(
    figures: Sequence[Figure], sentences: Sequence[str], limit: int = 4
) -> list[Figure]:
    """The few figures a digest shows, best first: money, people and rates over plain counts,
    results and totals (共计, 累计, 全区) over their parts (其中, 分别), exact over approximate,
    at most two from one statement (sentences joined by ；) and one per label."""
    scored = sorted(
        enumerate(figures), key=lambda item: (-headline_score(item[1], sentences), item[0])
    )
    groups = _statement_groups(sentences)
    chosen: list[Figure] = []
    per_group: dict[int, int] = {}
    labels: set[str] = set()
    for _, figure in scored:
        if len(chosen) >= limit:
            break
        group = groups[figure.sentence] if figure.sentence < len(groups) else -1 - figure.sentence
        if per_group.get(group, 0) >= _PER_SENTENCE or (figure.label and figure.label in labels):
            continue
        chosen.append(figure)
        per_group[group] = per_group.get(group, 0) + 1
        labels.add(figure.label)
    return chosen


def _statement_groups(sentences: Sequence[str]) -> list[int]:
    """A group id per sentence: clauses split at ；are parts of one statement."""
    groups: list[int] = []
    group = 0
    for i in range(len(sentences)):
        if i and not sentences[i - 1].rstrip("”’」』）)").endswith(("；", ";")):
            group += 1
        groups.append(group)
    return groups


def headline_score(figure: Figure, sentences: Sequence[str]) -> float:
    """How much a figure is news: about 1 for a plain count, 3-4 for money, people and rates,
    more for totals and outcomes, less for parts, approximations and durations."""
    score = _UNIT_WEIGHT.get(figure.unit, 1.0)
    sentence = sentences[figure.sentence] if figure.sentence < len(sentences) else ""
    position = max(sentence.find(figure.text), 0)
    before = sentence[max(0, position - 4 * _CONTEXT) : position]
    clause = CLAUSE_BREAK.split(before)[-1] if before else ""
    if _TOTAL_RE.search(clause) or _TOTAL_RE.search(figure.label):
        score += 1.5
    role = change_role(sentence, position, position + len(figure.text))
    if _PART_RE.search(before) or role == "from":
        score -= 1.5  # a part of a total, or the old value of a change (由35.2%提高到36.8%)
    if _RESULT_RE.search(figure.label) or (role == "to" and figure.label):
        score += 0.5
    if figure.approx:
        score -= 1.0
    if figure.unit in ("年", "天", "小时", "分钟", "岁", "周", "个月", "个工作日", "工作日"):
        score -= 1.0  # durations and ages rarely are the news
    score += 0.1 * math.log10(max(abs(figure.value), 1.0))
    score -= 0.01 * figure.sentence  # earlier is better, all else equal
    return score
