"""Figures: every quantity in a text as a core.models.Figure, and the few that make a headline.
Labels (what a figure counts, changes from A to B) are in core.figure_labels.

What counts: a number (Arabic or Chinese) with a unit or measure word after it, optionally scaled
(万/亿), approximate (约/余/多/近/左右/以上/超过/逾 ...), or a range (3至5个, 3-5个); %, 个百分点
and 倍 included. Decisions on what does not count (see docs/summarizer.md):
- dates and times (2022-07-06, 7月1日, 2022年, 10:10:33, 10时30分), anniversaries (101周年);
- ordinals (第二批) and phases, floors, numbers of houses or lines (7号, 3期, 5楼, 1号线);
- names built from numerals: anything in a short quotation (“两个确立”, “11633”, “十五项行动”),
  formulas (1+4+N), book or document titles (《…措施20条》), known slogans (三会一课, 二十大),
  and unquoted programme names: a Chinese numeral, a measure word and a programme noun
  (十五项行动, 三个课堂, 五项惠民工程) unless the text says it counted (开展了十五项行动) or
  writes the number in Arabic digits (开展15项行动);
- a period the sentence is about (近三年来, 三年内), not a figure.
- identifiers: URLs, file names (5849.html), e-mail addresses, phone numbers, numbers glued to
  Latin letters (5G, G20);
- a lone 一 before a measure word (一条主线, 一个缩影): in news it is nearly always the article
  "a", not a count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from newsbot.core import figure_labels
from newsbot.core.figure_labels import CLAUSE_BREAK, change_role
from newsbot.core.models import Figure
from newsbot.core.numerals import ARABIC, CHINESE, SCALES, parse_number
from newsbot.core.text import fold_width, spaced, split_sentences

# Measure words and units, longest first so 个百分点 wins over 个 and 平方公里 over 公里.
_UNITS = spaced(
    "个百分点 百分点 平方公里 平方米 立方米 千瓦时 人民币 个工作日 工作日 个月 人次 场次 架次 公顷 公里 千米 公斤 千克 "
    "吨 克 亩 米 千瓦 兆瓦 万千瓦 美元 欧元 港元 日元 英镑 元 倍 % 个 名 人 户 家 所 座 栋 项 条 件 "
    "份 次 场 支 批 台 辆 套 间 张 篇 部 本 处 块 只 头 棵 株 岁 天 小时 分钟 周 年 种 类 位 "
    "例 起 宗 笔 册 门 辆 艘 架 轮 趟 届"
)
# Words after a number that make it a date, a time, an ordinal-like label or an address.
_BLOCKING = spaced(
    "周年 年代 年级 世纪 号线 单元 号 日 时 点 期 版 楼 层 级 代 月 路 秒 分 线 室 栋楼"
)
_UNIT_ALT = "|".join(
    re.escape(u) for u in sorted(set(_UNITS) | set(_BLOCKING), key=len, reverse=True)
)
# 千 scales (3千元) unless it starts a unit of its own (8.6千米, 5千克, 2千瓦).
_SCALE_ALT = "|".join(sorted(SCALES, key=len, reverse=True)).replace("千", "千(?!米|克|瓦)")
_NUM = rf"(?:{ARABIC}|{CHINESE})"

_FIGURE_RE = re.compile(
    rf"(?P<pre>大约|将近|接近|超过|不少于|不足|不到|至少|约|近|逾|超)?"
    rf"(?<![0-9A-Za-z_/#.\-+零〇一二两三四五六七八九十百千万亿第])"
    rf"(?P<n1>{_NUM})(?P<s1>{_SCALE_ALT})?"
    rf"(?:(?P<sep>至|到|-|~|—|－)(?P<n2>{_NUM})(?P<s2>{_SCALE_ALT})?)?"
    rf"(?P<mod>余|多|来)?(?P<s3>{_SCALE_ALT})?"
    rf"(?P<unit>{_UNIT_ALT})?"
    rf"(?P<post>左右|以上|以下|上下|许)?"
)
_PERCENT_WORD_RE = re.compile(rf"百分之(?P<n>{_NUM})")

# Spans whose numbers are not figures; masked before matching (same length, so offsets hold).
_DIGIT_MASKS = (
    r"https?://[A-Za-z0-9:/?#\[\]@!$&'()*+,;=._~%-]+|www\.[A-Za-z0-9/?#@&=._~%-]+",
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?",
    r"\d{4}\s*(?:[-至到~—]\s*\d{4}\s*)?年(?:度|\d{1,2}月(?:\d{1,2}[日号])?)?",
    r"\d{1,2}月(?:\d{1,2}[日号]?)?(?:\s*[-至到~—]\s*\d{1,2}(?:月\d{1,2})?[日号])?",
    r"(?<!\d)\d{1,2}[日号](?![0-9])",
    r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?",
    r"(?<!\d)\d{1,2}[时点]\d{1,2}分(?:\d{1,2}秒)?",
    r"(?<!\d)(?:0\d{2,3}-)?[2-9]\d{6,7}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)",
)
# A run of ASCII word characters with a letter in it is a name or an identifier: 5849.html,
# a@b.cn, 5G, G20, PM2.5. Starting only at a run's first character and matching possessively keeps
# this linear on hostile input (a 10k-character base64 blob).
_ASCII_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_./:@+-])[A-Za-z0-9_./:@+-]++")
_LETTER_RE = re.compile(r"[A-Za-z]")
# Spans that need no Arabic digit: Chinese dates, ordinals, titles, short quotations, formulas.
_TEXT_MASKS = (
    r"[〇零一二三四五六七八九]{4}年|[一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}[日号])?",
    r"第[0-9零〇一二两三四五六七八九十百千]+",
    r"《[^《》]{0,60}》",
    r"[“「『‘\"][^“”「」『』‘’\"]{1,12}[”」』’\"]",
    r"(?<![0-9A-Za-z零一二两三四五六七八九十])[0-9A-Za-z零一二两三四五六七八九十]++"
    r"(?:\s*+[+＋]\s*+[0-9A-Za-z零一二两三四五六七八九十]++)+",
)
_SLOGANS = spaced(
    "两个确立 两个维护 四个意识 四个自信 四个全面 三个代表 五位一体 三会一课 两学一做 三严三实 "
    "一带一路 两个一百年 三个务必 两个务必 一岗双责 三重一大 两不愁三保障 不忘初心 两新 三资 "
    "三无 三农 四风 两会 十四五 十三五 十五五 七一 八一 五一 十一 二十大 十九大 十八大 一把手 "
    "一线 三级书记 五级书记 双减 双碳 五大工程 三大板块 一盘棋 一张网 一站式 三个一"
)
_SLOGAN_ALT = "|".join(sorted(_SLOGANS, key=len, reverse=True))
# One alternation: a single pass per sentence (this is the figure extractor's hot loop).
_DIGIT_MASK_RE = re.compile("|".join(_DIGIT_MASKS))
_TEXT_MASK_RE = re.compile("|".join((*_TEXT_MASKS, _SLOGAN_ALT)))
_DIGIT_RE = re.compile(r"\d")
_HAS_NUMBER_RE = re.compile(r"[0-9０-９零〇一二两三四五六七八九十百]")
_NAME_MEASURES = frozenset(spaced("项 个 条 种 张 类 支 大"))
# Nouns that name a programme or campaign when counted in Chinese numerals (十五项行动).
_PROGRAMME_RE = re.compile(
    r"[\u4e00-\u9fff]{0,3}?(?:行动|工程|课堂|机制|体系|模式|计划|战略|理念|意识|清单|工作法|"
    r"举措|品牌|攻坚战|制度)"
)
_COUNT_CUE_RE = re.compile(r"(?:了|共|共计|累计|合计|总计|新增|先后|已)$")
_APPROX_POST = {"余", "多", "来", "左右", "以上", "以下", "上下", "许"}
_CONTEXT = 40  # characters before a figure searched for total and part words (x4)


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
    masked = _mask(fold_width(sentence))
    found: list[Figure] = []
    for match in _FIGURE_RE.finditer(masked):
        figure = _figure_from(match, sentence, index)
        if figure is not None:
            found.append(figure)
    for match in _PERCENT_WORD_RE.finditer(masked):
        value = parse_number(match["n"])
        if value is not None:
            label = figure_labels.label(sentence, match.start(), match.end())
            found.append(
                Figure(sentence[match.start() : match.end()], value, "%", label, False, index)
            )
    return found


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


def _figure_from(match: re.Match[str], sentence: str, index: int) -> Figure | None:
    unit = match["unit"]
    if unit in _BLOCKING:
        return None
    scale = SCALES.get(match["s3"] or match["s1"] or match["s2"] or "", 1.0)
    if not unit and scale == 1.0:
        return None  # a bare number: an identifier, a code, a list marker
    n1, n2 = match["n1"], match["n2"]
    if n1 == "一" and not n2:
        return None  # 一条主线, 一个缩影: the article "a", not a count
    low = parse_number(n1)
    high = parse_number(n2) if n2 else None
    if low is None or (n2 and high is None):
        return None
    if unit == "年" and not _is_duration(n1, low, sentence, match.end()):
        return None
    if (
        match["post"] in ("以上", "以下")
        and unit not in ("%", "个百分点")  # 80%以上的伤害: a share, a figure
        and _is_attributive(sentence, match.end())
    ):
        return None  # 35岁以下的党员, 56人以上大班额: a threshold that qualifies a noun
    if not n2 and _is_programme_name(n1, unit, sentence, match.start("n1"), match.end()):
        return None
    if n2 and match["sep"] in "-—－" and not unit:
        return None
    value = _scaled(low, match["s1"], scale)
    value_max = _scaled(high, match["s2"], scale) if high is not None else None
    approx = bool(match["pre"]) or bool(match["mod"]) or bool(match["post"])
    label = figure_labels.label(sentence, match.start(), match.end())
    text = sentence[match.start() : match.end()]
    return Figure(text, value, _base_unit(unit or ""), label, approx, index, value_max)


def _scaled(number: float, own_scale: str | None, shared: float) -> float:
    factor = SCALES[own_scale] if own_scale else shared
    return round(number * factor, 6)


def _is_duration(numeral: str, value: float, sentence: str, end: int) -> bool:
    """3年 is a duration; 2022年 is a year (masked already) and so is anything >= 100."""
    after = sentence[end : end + 1]
    # 十年前 / 3年后 point at a time, not a length of time; 近三年来, 三年内, 近三年累计 name a
    # period the sentence is about.
    return value < 100 and "〇" not in numeral and after not in "月度级代底初前后来内间中累"


def _is_programme_name(numeral: str, unit: str, sentence: str, start: int, end: int) -> bool:
    """十五项行动, 三个课堂, 五项惠民工程: a name, written in Chinese numerals and ending in a
    programme noun. It is a count when written in Arabic digits (开展15项行动) or when the text
    says it counted (开展了十五项行动, 共十五项行动, 新增三个课堂)."""
    if unit not in _NAME_MEASURES or numeral[0].isdigit():
        return False
    if not _PROGRAMME_RE.match(sentence, end):
        return False
    return not _COUNT_CUE_RE.search(sentence, max(0, start - 4), start)


def _is_attributive(sentence: str, end: int) -> bool:
    after = sentence[end : end + 1]
    return after == "的" or ("\u4e00" <= after <= "\u9fff")


def _base_unit(unit: str) -> str:
    return {"人民币": "元", "千米": "公里", "千克": "公斤"}.get(unit, unit)


def clear_caches() -> None:
    """Forget cached label words (see core.summarize.clear_caches)."""
    figure_labels.clear_caches()


# ---- headline figures --------------------------------------------------------------------

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
