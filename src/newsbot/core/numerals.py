"""Numbers as written in Chinese news: 3029.56, 12,000, 一千二百, 两万, 十五, 二〇二二."""

from __future__ import annotations

import re

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
ZH_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9})
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
SCALES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "亿": 1e8, "千万": 1e7, "百万": 1e6, "万": 1e4}
SCALES["千"] = 1e3

ARABIC = r"\d+(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
CHINESE = r"[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*"
_ARABIC_RE = re.compile(rf"^(?:{ARABIC})$")


def parse_number(text: str) -> float | None:
    """The value of an Arabic or Chinese numeral; None if it is neither."""
    if not text:
        return None
    if _ARABIC_RE.match(text):
        return float(text.replace(",", ""))
    if all(c in ZH_DIGITS or c in _SMALL_UNITS or c in _BIG_UNITS for c in text):
        return parse_chinese(text)
    return None


def parse_chinese(text: str) -> float | None:
    """一千二百 -> 1200, 十五 -> 15, 两万三千 -> 23000, 二〇二二 -> 2022 (digit by digit)."""
    if not any(c in _SMALL_UNITS or c in _BIG_UNITS for c in text):
        if len(text) == 1:
            return float(ZH_DIGITS[text])
        if "〇" in text or "零" in text:  # 二〇二二: written digit by digit
            return float("".join(str(ZH_DIGITS[c]) for c in text))
        return None  # 三五 (a few), 七一 (a date name): not one number
    total = 0
    section = 0  # the part below the current 万/亿
    digit: int | None = None
    for char in text:
        if char in ZH_DIGITS:
            if digit is not None and digit != 0 and ZH_DIGITS[char] != 0:
                return None  # two digits in a row without a unit: 三五 is not a number here
            digit = ZH_DIGITS[char]
        elif char in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[char]
            digit = None
        else:
            big = _BIG_UNITS[char]
            section += digit or 0
            if section == 0 and total == 0:
                return None
            total = (total + section) * big if big > 10_000 else total + section * big
            section, digit = 0, None
    return float(total + section + (digit or 0))
