"""Labels of figures (what a figure counts) and the role of a figure in a change "from A to B".

A label is the noun phrase right after the measure word (175个|党组织|划归 -> 党组织; 4个|党建孵化站),
else the clause right before the number (需化解债务3029.56万元 -> 需化解债务), at most _MAX_LABEL
characters. In a change (森林覆盖率由去年的35.2%提高到36.8%) both values are labelled with the
subject of the change (森林覆盖率): the new value is the result, the old one its baseline.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from newsbot.core import segment
from newsbot.core.figure_rules import BLOCKING, UNITS
from newsbot.core.text import spaced

_MAX_LABEL = 12
_CONTEXT = 40  # characters before a figure searched for its label
CLAUSE_BREAK = re.compile(r"[，,。；;：:、！？!?（）()“”「」《》\s]")
# Words a label neither starts nor ends with (whole jieba words, never characters of one).
_LEAD_STOPS = frozenset(
    spaced(
        "其中 共计 合计 总计 累计 共有 共 计 达到 达 为 是 有 和 与 及 等 的 了 将 把 约 已有 "
        "全国 全省 全市 全县 全区 全镇 全乡 全村"  # the scope, not what is counted
    )
)
_TAIL_STOPS = frozenset(
    spaced(
        "的 了 着 过 达到 达 为 是 有 约 共 计 共计 总计 合计 累计 已 已经 已有 将 还 都 也 又 "
        "再 才 只 只有 超过 超 近 逾 变为 变成 成为 到 至 在 于 及 和 与 或"
    )
)
# Longest first: 大约 before 约, 将近 before 近.
_APPROX_PREFIXES = tuple(spaced("大约 将近 接近 超过 不少于 不足 不到 至少 约 近 逾 超"))

# Words that end a noun phrase after a figure: verbs, prepositions, conjunctions.
_LABEL_STOPS = frozenset(
    spaced(
        "与 和 及 以及 或 由 在 于 对 为 被 把 将 向 从 到 至 参与 下沉 开展 签订 实现 完成 达到 "
        "是 有 等 的 了 也 都 并 而 其中 共 同比 增长 下降 比 较 占 分别 已 正在 累计 合计"
    )
)
_NOUN_TAGS = ("n", "vn", "an", "j", "l", "ng", "s")
# Heads of place and organisation nouns that jieba tags as verbs or numerals (站 "stand", 点
# "point"): 党建|孵化|站, 新时代文明|实践|站, 便民服务|点 are one noun each.
_HEAD_NOUNS = frozenset(spaced("站 点 室 队 所 馆 岗 组 班 社 屋 坊 厅 台 园 中心 基地 驿站"))
_CHANGE_VERB = (
    r"(?:提高|增加|增长|上升|提升|扩大|攀升|跃升|发展|下降|减少|降低|缩小|压缩|缩短|延长|"
    r"增|降|升|减)?(?:到|至)(?:现在|目前|如今|今年|去年|年底)?的?"
)
# Head of the new value: 森林覆盖率由去年的35.2%提高到 | 从3个人发展到现在的 (B follows).
_TO_TAIL_RE = re.compile(_CHANGE_VERB + r"$")
# Head and tail of the old value: 森林覆盖率由去年的 | 35.2% | 提高到36.8%; 从 | 3个 | 人发展到.
_FROM_HEAD_RE = re.compile(r"(?:由|从)[^0-9０-９由从]{0,6}$")
_FROM_TAIL_RE = re.compile(
    r"^[\u4e00-\u9fff]{0,2}?" + _CHANGE_VERB + r"[0-9０-９零〇一二两三四五六七八九十百]"
)
# The end of a number and its measure word inside a clause: a label starts after it
# (312户|农户户均增收, 1.2万户|企业返还资金, 四级|河长).
_MEASURE_ALT = "|".join(sorted((*UNITS, *BLOCKING), key=len, reverse=True))
_NUMBER_RE = re.compile(
    rf"[0-9０-９][0-9０-９.,]*[万亿]?(?:{_MEASURE_ALT})?"
    rf"|[零〇一二两三四五六七八九十百千]+[万亿]?(?:{_MEASURE_ALT})"
)
# A change verb or copula at the end of a label before a figure (占比提高到|52.3%).
_CHANGE_TAIL_RE = re.compile(r"[\u4e00-\u9fff]?[到至]")  # 延至, 降到, 增至
_CHANGE_HEAD_RE = re.compile(
    r"提高|增加|增长|上升|提升|扩大|攀升|跃升|发展|下降|减少|降低|缩小|压缩|缩短|延长"
)
_CONJUNCTIONS = frozenset(spaced("和 与 及 以及 同 跟 、"))
_PRONOUNS = frozenset(spaced("我们 他们 她们 咱们 大家 我 他 她 它 其 该 这 那 其他"))
_CJK_RE = re.compile(r"[\u3400-\u9fff]+")
_HAS_NUMBER_RE = re.compile(r"[0-9０-９零〇一二两三四五六七八九十百]")
_DIGIT_RE = re.compile(r"[0-9０-９]")
_NUMERAL_START_RE = re.compile(r"[零〇一二两三四五六七八九十百千万亿半几数]")
_MEASURES = frozenset((*UNITS, *BLOCKING))
# Words of comparison and threshold that follow a number (45人|以下|标准班额比例).
_THRESHOLDS = frozenset(spaced("以下 以上 以内 以外 左右 上下 之间 之内 以来 余 多 许 来 几"))
# A label is what follows the last of these inside it (投入按|增量部分 -> 增量部分).
_PREPOSITIONS = frozenset(
    spaced("对 对于 按 按照 依照 根据 在 向 从 由 给 把 被 于 跟 同 以 关于 通过 经过")
)


def label(sentence: str, start: int, end: int) -> str:
    """What the figure sentence[start:end] counts: the subject of a change it is part of, else
    the noun right after its unit, else the clause right before it. Always a run of whole words
    of the sentence as segmented as a whole (never of a fragment that starts inside a word)."""
    # Bounded windows: a label is near its figure, and a 1 MB sentence stays linear.
    lo = _clause_start(sentence, start)
    head = sentence[lo:start]
    subject_end = _change_subject_end(head, sentence[end : end + 12])
    if subject_end is not None:
        named = _label_before(sentence, lo, lo + subject_end)
        # 我们从3个人发展到现在的46人: no subject worth a label, and no label beats a wrong one.
        return "" if named in _PRONOUNS else named
    return _label_after(sentence, end) or _label_before(sentence, lo, start)


def change_role(sentence: str, start: int, end: int) -> str:
    """ "to" for the new value of a change from A to B, "from" for the old one, else ""."""
    head = sentence[_clause_start(sentence, start) : start]
    if _FROM_HEAD_RE.search(head) and _FROM_TAIL_RE.match(sentence[end : end + 12]):
        return "from"
    if _to_subject_end(head) is not None:
        return "to"
    return ""


def _change_subject_end(head: str, tail: str) -> int | None:
    """Where the subject before 由/从 ends when the figure is either end of a change, else None."""
    found = _FROM_HEAD_RE.search(head)
    if found and _FROM_TAIL_RE.match(tail):
        return found.start()
    return _to_subject_end(head)


def _to_subject_end(head: str) -> int | None:
    if not _TO_TAIL_RE.search(head):
        return None
    at = max(head.rfind("由"), head.rfind("从"))
    if at < 0 or not _HAS_NUMBER_RE.search(head, at + 1):
        return None
    return at


def _clause_start(sentence: str, start: int) -> int:
    """Start of the clause holding sentence[start], looking back at most _CONTEXT characters."""
    lo = max(0, start - _CONTEXT)
    breaks = list(CLAUSE_BREAK.finditer(sentence, lo, start))
    return breaks[-1].end() if breaks else lo


def _words_between(sentence: str, lo: int, hi: int) -> list[str]:
    """The sentence's whole words lying inside sentence[lo:hi]; a word cut by either end is out."""
    words: list[str] = []
    for at, word in _spans_from(sentence, lo):
        if at + len(word) > hi:
            break
        words.append(word)
    return words


def _label_after(sentence: str, end: int) -> str:
    """The noun phrase right after a measure word: 175个|党组织|划归 -> 党组织. A verb inside it
    counts only when a noun follows (党建|孵化|站), so 36个|项目|开工 stays 项目."""
    words: list[str] = []
    for at, word in _spans_from(sentence, end - 1):
        if at + len(word) <= end:
            continue
        if at < end or at >= end + 16 or CLAUSE_BREAK.match(word):
            # 9毛|钱信息费: a word the unit ends inside (毛钱, 元钱) belongs to the unit.
            if at < end:
                continue
            break
        words.append(word)
    if words and words[0] in ("的", "钱"):
        words = words[1:]  # 80%以上的|跌落相关伤害: the share of what
    if sum(map(len, words)) < 2:
        return ""
    tags = _word_tags()
    label: list[str] = []
    pending = ""
    for word in _merge_suffixes(words):
        # Words jieba cannot tag (user dictionary, names) are nouns; digits and Latin are not.
        tag = "v" if word.endswith("化") and len(word) > 1 else tags.get(word, _guess_tag(word))
        size = sum(map(len, label)) + len(pending) + len(word)
        if word in _LABEL_STOPS or size > _MAX_LABEL:
            break
        if word in _HEAD_NOUNS and label:
            label += [pending, word] if pending else [word]
            pending = ""
        elif pending:
            if not tag.startswith("n"):
                break
            label += [pending, word]
            pending = ""
        elif tag.startswith(_NOUN_TAGS) or (not label and tag in ("a", "b")):  # 临时|党支部
            label.append(word)
        elif label and tag.startswith("v") and not pending:
            pending = word
        else:
            break
    return _clean(label)


def _merge_suffixes(words: list[str]) -> list[str]:
    """常态|化 -> 常态化: a -化 formation is one (verbal) word, not a noun and a suffix."""
    merged: list[str] = []
    for word in words:
        if word == "化" and merged:
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def _guess_tag(word: str) -> str:
    """Words jieba cannot tag (user dictionary, names) are nouns, except -化/-性 formations
    (常态化巡河: an adverb) and anything not Chinese."""
    if not _CJK_RE.fullmatch(word):
        return "x"
    return "v" if word.endswith("化") else "n"


def _label_before(sentence: str, lo: int, hi: int) -> str:
    """The words right before the number, after any other number in the clause, without the
    verb that leads to the figure; whole words only, and no run of one-character words cut
    off from the words before it (普|惠|小|微|贷款余额 never becomes 惠小微贷款余额)."""
    words = _words_between(sentence, lo, hi)
    while words and (words[-1].strip("□") == "" or words[-1] in _APPROX_PREFIXES):
        words.pop()
    numbers = [i for i, word in enumerate(words) if is_number_word(word)]
    if numbers:
        words = words[numbers[-1] + 1 :]
        while words and words[0] in _MEASURES:
            words = words[1:]  # 45|人|以下标准班额比例, 312|户|农户: the measure of that number
    while words and (words[-1] in _TAIL_STOPS or _CHANGE_TAIL_RE.fullmatch(words[-1])):
        if words.pop() in ("到", "至") and words and _CHANGE_HEAD_RE.fullmatch(words[-1]):
            words.pop()  # 占比|提高|到 52.3%: the verb of the change is no part of the label
    picked: list[str] = []
    for word in reversed(words):
        if sum(map(len, picked)) + len(word) > _MAX_LABEL:
            while picked and len(picked[0]) == 1:
                picked.pop(0)
            # Cut short inside "A和B": what is left of A is no noun of its own
            # (支农支小再|贷款和再贴现资金 -> 再贴现资金), B is.
            joints = [i for i, w in enumerate(picked) if w in _CONJUNCTIONS]
            if joints and sum(map(len, picked[joints[-1] + 1 :])) >= 2:
                picked = picked[joints[-1] + 1 :]
            break
        picked.insert(0, word)
    return _clean(picked)


def is_number_word(word: str) -> bool:
    """A word that is or bears a number: 30, 万元, 四级, 首次, 一次性."""
    if _DIGIT_RE.search(word):
        return True
    if word in _HEAD_NOUNS:
        return False  # 便民服务|点: jieba tags the noun 点 as a numeral
    tag = _word_tags().get(word, "")
    if tag in ("m", "mq"):
        return True
    return bool(_NUMERAL_START_RE.match(word)) and not tag.startswith("n")


def bad_label_start(word: str) -> bool:
    """Words a label never starts with: numbers, measure words (tagged q), thresholds (以下, 左右),
    prepositions, conjunctions, particles and filler (其中, 共计)."""
    if is_number_word(word) or word in _THRESHOLDS or word in _PREPOSITIONS:
        return True
    if word in _LEAD_STOPS or word in _PRONOUNS:
        return True
    return _word_tags().get(word, "n").startswith(("p", "c", "u", "f", "q"))


def _clean(words: list[str]) -> str:
    """The label after its last preposition and without leading filler or threshold words; no
    label when a number is still inside it."""
    inner = [i for i, word in enumerate(words) if word in _PREPOSITIONS]
    if inner:
        words = words[inner[-1] + 1 :]  # 投入按|增量部分: what the share is of
    while words and bad_label_start(words[0]):
        words = words[1:]
    label = "".join(words)
    if any(is_number_word(word) for word in words) or _HAS_NUMBER_RE.search(label):
        return ""
    return label if len(label) >= 2 else ""


def clear_caches() -> None:
    """Forget cached label words (see core.summarize.clear_caches)."""
    _spans.cache_clear()


def _spans_from(sentence: str, lo: int) -> Iterator[tuple[int, str]]:
    """The sentence's words starting at or after `lo`, with their offsets; found by bisection,
    so labelling every figure of a 1 MB sentence stays linear."""
    starts, words = _spans(sentence)
    first = bisect.bisect_left(starts, max(0, lo))
    for i in range(first, len(starts)):
        yield starts[i], words[i]


@lru_cache(maxsize=256)
def _spans(sentence: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """The whole sentence's words with their offsets, segmented once by the shared segmenter
    (no HMM: labels are dictionary words, and HMM guessing costs more than the figure)."""
    spans = segment.spans(sentence)
    return tuple(at for _, at in spans), tuple(word for word, _ in spans)


def word_tags() -> dict[str, str]:
    """jieba's part-of-speech table (word -> tag)."""
    return _word_tags()


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech table (word -> tag), loaded once (about 0.7 s)."""
    import jieba.posseg

    table: dict[str, str] = jieba.posseg.dt.word_tag_tab
    return table
