"""Figures: every quantity in a text as a core.models.Figure. What is a figure, what its unit and
label are and what is not a figure: docs/figures.md (the labelling guideline the extractor is
measured against). The vocabulary is in core.figure_rules, labels in core.figure_labels and the
choice of headline figures in core.figure_headlines.

A figure is a number (Arabic, full-width or Chinese, 一千二百, 两万, 百名, 半) with a unit or
measure word after it (元, 人, %, 个百分点, 元/吨, 个交易日 ...), optionally scaled (万/亿, 20个亿),
approximate (约/近/超过 ... before, 余/多/几/左右/以上 ... after), a range (3至5个, 4、5名), a
share (四成, 三分之一, 百分之百, 一半) or a compound duration (两年零六个月, 一年半, 两个半小时).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from newsbot.core import figure_labels, segment
from newsbot.core import figure_rules as rules
from newsbot.core.figure_headlines import headline_figures, headline_score
from newsbot.core.models import Figure
from newsbot.core.numerals import ARABIC, CHINESE, SCALES, parse_number
from newsbot.core.text import fold_width, split_sentences

__all__ = ["extract_figures", "figures_in_sentence", "figures_in_sentences"]
__all__ += ["clear_caches", "headline_figures", "headline_score"]

_UNIT_ALT = "|".join(
    re.escape(u)
    for u in sorted(set(rules.UNITS) | set(rules.BLOCKING) | {"成"}, key=len, reverse=True)
)
# 千 scales (3千元) unless it starts a unit of its own (8.6千米, 5千克, 2千瓦, 千卡).
_SCALE_ALT = "|".join(sorted(SCALES, key=len, reverse=True)).replace("千", "千(?!米|克|瓦|卡)")
# A bare scale as the number: 百名, 千元, 近千万, 上万人 (checked in _figure_from).
_BARE = r"[百千万亿][千万亿]?"
_NUM = rf"(?:{ARABIC}|{CHINESE}|{_BARE}|半)"
_PRE_ALT = "|".join(rules.APPROX_PREFIXES)
_FIGURE_RE = re.compile(
    rf"(?P<pre>{_PRE_ALT})?"
    rf"(?<![0-9A-Za-z_/#.\-+零〇一二两三四五六七八九十百千万亿第半几数])"
    rf"(?P<sign>-(?=\d))?"
    rf"(?P<n1>{_NUM})(?:个(?=[万亿]))?(?P<s1>{_SCALE_ALT})?"
    rf"(?:(?P<sep>至|到|-|~|—|、)(?P<n2>{ARABIC}|{CHINESE})(?P<s2>{_SCALE_ALT})?)?"
    rf"(?P<mod>余|多|来|几)?(?P<s3>{_SCALE_ALT})?"
    rf"(?P<half>个半|个多)?"
    rf"(?P<unit>{_UNIT_ALT})?"
    rf"(?P<rate>[/／](?:{_UNIT_ALT}))?"
    rf"(?P<post>左右|以上|以下|上下|许|多(?=[的，,。；;时了])|半)?"
)
_FRACTION_RE = re.compile(
    rf"(?P<pre>{_PRE_ALT})?(?:百分之(?P<pct>{CHINESE}|百)|(?P<den>{CHINESE})分之(?P<num>{CHINESE})"
    rf"|(?<![一二两三四五六七八九十])一半)"
)
_MONTHS_AFTER_RE = re.compile(r"零?(?P<n>\d+|[一二两三四五六七八九十]+)个(?:多)?月")
_DIGIT_MASK_RE = re.compile("|".join(rules.DIGIT_MASKS))
_TEXT_MASK_RE = re.compile(
    "|".join((*rules.TEXT_MASKS, "|".join(sorted(rules.SLOGANS, key=len, reverse=True))))
)
# A run of ASCII word characters with a letter in it is a name or an identifier: 5849.html,
# a@b.cn, 5G, G20, PM2.5, 155cm. Starting only at a run's first character and matching
# possessively keeps this linear on hostile input (a 10k-character base64 blob).
_ASCII_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_./:@+-])[A-Za-z0-9_./:@+-]++")
_LETTER_RE = re.compile(r"[A-Za-z]")
_DIGIT_RE = re.compile(r"\d")
_HAS_NUMBER_RE = re.compile(r"[0-9０-９零〇一二两兩三四五六七八九十百千万萬半]")
_NAME_MEASURES = frozenset("项个条种张类支")
_HALF_UNITS = frozenset(
    ("年", "岁", "小时", "分钟", "个月", "天", "米", "公里", "公斤", "吨", "成")
)
_BARE_UNITS = frozenset(("名", "人", "元", "户", "家", "个", "万", "亿", ""))


def extract_figures(text: str) -> list[Figure]:
    """Every figure in `text`; `sentence` indexes text.core.split_sentences(text)."""
    return figures_in_sentences(split_sentences(text))


def figures_in_sentences(sentences: Sequence[str]) -> list[Figure]:
    """Every figure in each sentence, in order; `sentence` is the index into `sentences`."""
    figures: list[Figure] = []
    for index, sentence in enumerate(sentences):
        figures.extend(figures_in_sentence(sentence, index))
    return figures


def figures_in_sentence(sentence: str, index: int = 0) -> list[Figure]:
    """The figures of one sentence, left to right."""
    if not _HAS_NUMBER_RE.search(sentence):
        return []
    folded = rules.fold_traditional(fold_width(sentence))
    masked = _mask(folded)
    found: list[tuple[int, Figure]] = []
    covered = 0  # end of the last figure: 两年零六个月 is one figure, not 两年 and 零六个月
    for match in _FIGURE_RE.finditer(masked):
        if match.start() < covered:
            continue
        figure = _figure_from(match, sentence, folded, index)
        if figure is not None:
            found.append((match.start(), figure))
            covered = match.start() + len(figure.text)
    for match in _FRACTION_RE.finditer(masked):
        figure = _fraction_from(match, sentence, index)
        if figure is not None:
            found.append((match.start(), figure))
    return [figure for _, figure in sorted(found, key=lambda item: item[0])]


def _mask(text: str) -> str:
    def blank(match: re.Match[str]) -> str:
        return "□" * len(match.group(0))

    def blank_names(match: re.Match[str]) -> str:
        token = match.group(0)
        return "□" * len(token) if _LETTER_RE.search(token) else token

    # Dates, identifiers and phone numbers need an Arabic digit: skip these passes when there is none.
    if _DIGIT_RE.search(text):
        text = _DIGIT_MASK_RE.sub(blank, _ASCII_TOKEN_RE.sub(blank_names, text))
    return _TEXT_MASK_RE.sub(blank, text)


def _figure_from(match: re.Match[str], sentence: str, folded: str, index: int) -> Figure | None:
    unit = match["unit"] or ""
    half = match["half"] or ""
    if half and unit == "月":
        unit = "个月"  # 一个半月, 两个多月
    elif half and not unit:
        unit = "个"  # 七个半人
    if unit in rules.BLOCKING or (match["post"] == "半" and unit not in _HALF_UNITS):
        return None
    start, end = match.start("n1") - (1 if match["sign"] else 0), match.end()
    pre = match["pre"] or ""
    n1, n2 = match["n1"], match["n2"]
    if not _number_is_word(n1, n2, pre, unit, match):
        return None
    scale_word = match["s3"] or match["s1"] or match["s2"] or ""
    if unit and _unit_is_glued(folded, match.start("n1"), match.start("unit"), match.end("unit")):
        if not (scale_word or _is_large(n1)):
            return None
        unit, end = "", match.start("unit")  # 20亿家产: the figure is 20亿
    if not unit and not scale_word and not _is_large(n1):
        late = _unit_after_noun(folded, end) if n1[0].isdigit() and not n2 else None
        if late is None:
            return None  # a bare number: an identifier, a code, a list marker
        unit, end = late  # 超过5500发电利用小时: the unit after a noun phrase
    if _not_a_figure(match, sentence, folded, unit, pre):
        return None
    low = 0.5 if n1 == "半" else parse_number(n1)
    high = parse_number(n2) if n2 else None
    if low is None or (n2 and high is None):
        return None
    if match["sep"] == "、" and (high is None or high != low + 1 or low >= 10):
        return None  # 4、5名 is a range; 1、2、3 is a list
    scale = SCALES.get(scale_word, 1.0)
    value = _scaled(low, match["s1"], scale)
    value_max = _scaled(high, match["s2"], scale) if high is not None else None
    if half == "个半" or match["post"] == "半":
        value += 0.5
    if match["sign"]:
        value = -value
    text_end = end
    if unit in ("年", "岁") and not match["post"]:
        months = _MONTHS_AFTER_RE.match(folded, end)
        months_value = parse_number(months["n"]) if months else None
        if months and months_value is not None:
            value += months_value / 12  # 两年零六个月, 3岁5个月
            text_end = months.end()
    value, unit = _in_base_unit(value, unit, match["rate"])
    approx = bool(pre) or bool(match["mod"]) or bool(match["post"]) or half == "个多"
    label = figure_labels.label(sentence, match.start(), text_end)
    text = sentence[match.start() if pre else start : text_end]
    return Figure(text, round(value, 6), unit, label, approx, index, value_max)


def _number_is_word(n1: str, n2: str | None, pre: str, unit: str, match: re.Match[str]) -> bool:
    """Whether the numeral is a number here, not the article 一 or a word like 千万 (by all means)."""
    if n1 == "一" and not n2:
        # 一条主线, 一个缩影: the article "a"; 一倍, 一年半, 一亿 are amounts.
        return unit == "倍" or match["post"] == "半" or bool(match["s1"] or match["s3"])
    if n1 == "半":
        # 上半年, 下半年, 前半场: a part of a period, not half a year.
        before = match.string[match.start() - 1 : match.start()] if match.start() else ""
        return (
            unit in _HALF_UNITS
            and unit != "成"
            and pre != "上"
            and (not before or before not in "下前后大多")
        )
    if n1[0] in "百千万亿":
        # 百名, 千元, 近千万, 上万人: a bare scale counts with a count unit or an approximation.
        return unit in _BARE_UNITS and (bool(unit) or bool(pre))
    return pre != "上"


def _not_a_figure(match: re.Match[str], sentence: str, folded: str, unit: str, pre: str) -> bool:
    n1, start, end = match["n1"], match.start("n1"), match.end()
    before = folded[max(0, match.start() - 4) : match.start()]
    if unit in rules.TIME_UNITS and (pre == "近" or rules.FRAME_BEFORE_RE.search(before)):
        return True  # 过去30个交易日, 未来24小时, 近25年, 这两天: a period, not a figure
    if unit == "年" and not _is_duration(n1, folded, end):
        return True
    if unit in ("次", "轮") and (n1 == "二" or rules.SESSION_AFTER_RE.match(folded, end)):
        return True  # 二次征求意见, 人大五次会议: ordinals
    if unit in rules.EVENT_UNITS and rules.EVENT_AFTER_RE.match(folded, end):
        return True  # 500米冠军, 48公斤级
    if not n1[0].isdigit() and folded[end : end + 1] in rules.PLACE_AFTER:
        return True  # 三元桥, 五家子村
    if (
        match["post"] in ("以上", "以下")
        and unit not in ("%", "个百分点")  # 80%以上的伤害: a share, a figure
        and _is_attributive(folded, end)
    ):
        return True  # 35岁以下的党员, 56人以上大班额: a threshold that qualifies a noun
    if not match["n2"] and _is_programme_name(n1, unit, folded, start, end):
        return True
    return bool(match["n2"] and match["sep"] in "-—" and not unit)


def _fraction_from(match: re.Match[str], sentence: str, index: int) -> Figure | None:
    """百分之四十, 三分之一, 一半: a share, in %."""
    if match["pct"]:
        value = 100.0 if match["pct"] == "百" else parse_number(match["pct"])
    elif match["den"]:
        den, num = parse_number(match["den"]), parse_number(match["num"])
        value = 100 * num / den if den and num is not None else None
    else:
        value = 50.0
    if value is None:
        return None
    text = sentence[match.start() : match.end()]
    label = figure_labels.label(sentence, match.start(), match.end())
    return Figure(text, round(value, 6), "%", label, bool(match["pre"]), index)


_LATE_UNIT_RE = re.compile(r"[\u4e00-\u9fff]{2,6}?(小时|千瓦时|人次|台次|吨|公里)(?![数位量程])")


def _unit_after_noun(folded: str, end: int) -> tuple[str, int] | None:
    """5500发电利用小时: a unit that follows a short noun phrase right after a bare number;
    the phrase must be nouns (jieba's tags), so 12306售票网站 and 11633工作体系 stay names."""
    found = _LATE_UNIT_RE.match(folded, end)
    if found is None:
        return None
    phrase = folded[end : found.start(1)]
    tags = figure_labels.word_tags()
    words = _words(phrase)
    if not all(tags.get(w, "x").startswith(("n", "vn")) or tags.get(w) == "v" for w in words):
        return None
    if not any(tags.get(w, "x").startswith("n") for w in words):
        return None
    # 货车吨位, 公里数: the unit must end a word, not start one.
    bounds, position = set(), 0
    for word in _words(folded[end : found.end() + 2]):
        position += len(word)
        bounds.add(position)
    return (found.group(1), found.end()) if found.end() - end in bounds else None


def _unit_is_glued(folded: str, number_start: int, unit_start: int, unit_end: int) -> bool:
    """20亿家产, 50万金额, 3成本: the unit character starts a longer word, so it is no unit."""
    if unit_end - unit_start != 1 or folded[unit_start] not in rules.GLUE_UNITS:
        return False
    window = folded[number_start : unit_end + 3]
    offset = unit_start - number_start
    position = 0
    for word in _words(window):
        if position <= offset < position + len(word):
            return position + len(word) > offset + 1 and position == offset
        position += len(word)
    return False


@lru_cache(maxsize=8192)
def _words(window: str) -> tuple[str, ...]:
    return tuple(segment.tokenizer().cut(window, HMM=False))


def _is_large(numeral: str) -> bool:
    """两千万, 一亿: a Chinese numeral with its own scale is an amount without a unit."""
    return not numeral[0].isdigit() and ("万" in numeral or "亿" in numeral)


def _in_base_unit(value: float, unit: str, rate: str | None) -> tuple[float, str]:
    if unit == "成":
        return value * 10, "%"  # 四成 = 40%, 两成半 = 25%
    value *= rules.UNIT_FACTOR.get(unit, 1.0)
    unit = rules.BASE_UNIT.get(unit, unit)
    if rate:
        unit = f"{unit}/{rules.BASE_UNIT.get(rate[1:], rate[1:])}"  # 元/吨, 元/千瓦时
    return value, unit


def _scaled(number: float, own_scale: str | None, shared: float) -> float:
    factor = SCALES[own_scale] if own_scale else shared
    return round(number * factor, 6)


def _is_duration(numeral: str, folded: str, end: int) -> bool:
    """3年 is a duration; 2022年 is a year (masked already), and so is anything >= 100 or a
    two-digit year of a past era (57年的整风运动 reads as 1957)."""
    value = 0.5 if numeral == "半" else parse_number(numeral)
    if value is None or value >= 100 or "〇" in numeral:
        return False
    if numeral.isdigit() and len(numeral) == 2 and folded[end : end + 1] == "的" and value > 40:
        return False
    # 十年前 / 3年后 point at a time; 近三年来, 三年内, 近三年累计 name a period.
    after = folded[end : end + 1]
    return not after or after not in rules.YEAR_FRAME_AFTER


def _is_programme_name(numeral: str, unit: str, folded: str, start: int, end: int) -> bool:
    """十五项行动, 三个课堂, 五项惠民工程: a name, written in Chinese numerals and ending in a
    programme noun. It is a count when written in Arabic digits (开展15项行动) or when the text
    says it counted (开展了十五项行动, 共十五项行动, 新增三个课堂)."""
    if unit not in _NAME_MEASURES or numeral[0].isdigit():
        return False
    if not rules.PROGRAMME_RE.match(folded, end):
        return False
    return not rules.COUNT_CUE_RE.search(folded, max(0, start - 4), start)


def _is_attributive(folded: str, end: int) -> bool:
    after = folded[end : end + 1]
    return after == "的" or ("\u4e00" <= after <= "\u9fff" and after not in "即就可")


def clear_caches() -> None:
    """Forget cached label words (see core.summarize.clear_caches)."""
    figure_labels.clear_caches()
    _words.cache_clear()
