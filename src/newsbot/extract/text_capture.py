"""Plain-text captures of article pages (a page saved as text, a copy-paste): the same generic
boilerplate rules as for HTML (extract.boilerplate), applied line by line.

A capture of a CMS page reads: the site's title (大院网-山西大院资讯网), menu debris, the article
title, a meta line (网络编辑 阳泉 2022-07-06 10:10:33 …), the body, then the footer (版权声明, 留言与
评论, 关于…, the about-us blurb, copyright). What is kept: the title and the body between the meta
line (or the title) and the first line that ends an article. A plain text without such furniture
keeps the old convention: a first line followed by an empty line is the title.
"""

from __future__ import annotations

import re

from newsbot.extract.boilerplate import end_marker, is_boilerplate_line

# A site name: short, no sentence punctuation, naming a site (…网, …资讯网, X-Y网, …新闻网).
_SITE_NAME_RE = re.compile(r"^[^，。；！？,;!?]{0,30}(?:网|站|门户|频道|portal|news)$", re.I)
# The meta line under a CMS title: who, where, when (a date and a time), maybe counters and tags.
_META_RE = re.compile(
    r"^(?:(?:网络编辑|编辑|作者|来源|发布时间|发布者|记者)[:：]?\s*\S{0,12}\s+)?.{0,20}"
    r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?\s+\d{1,2}:\d{2}(?::\d{2})?.{0,60}$"
)
_DEBRIS_RE = re.compile(r"^[\W\d_]{0,6}$")  # "0", "|", "›": counters and separators
_TITLE_MAX = 60
_HEAD_LINES = 12  # the title and meta line are near the top


def split_text_capture(text: str) -> tuple[str, list[str]]:
    """(title, paragraphs) of a plain-text capture; boilerplate lines and the footer dropped."""
    raw = text.splitlines()
    lines = [line.strip() for line in raw]
    meta = next(
        (i for i, line in enumerate(lines[: _HEAD_LINES * 3]) if _META_RE.match(line)), None
    )
    if meta is not None:
        title = _title_before(lines, meta)
        body_lines = lines[meta + 1 :]
    elif len(lines) >= 2 and lines[0] and not lines[1] and not _is_site_name(lines[0]):
        title, body_lines = lines[0], lines[2:]
    else:
        title, body_lines = "", lines
    return title, _body(body_lines)


def _title_before(lines: list[str], meta: int) -> str:
    """The last title-like line before the meta line: short, not a site name, not debris."""
    for line in reversed(lines[max(0, meta - _HEAD_LINES) : meta]):
        if not line or _DEBRIS_RE.match(line) or is_boilerplate_line(line):
            continue
        if len(line) <= _TITLE_MAX and not _is_site_name(line):
            return line
    return ""


def _is_site_name(line: str) -> bool:
    return bool(_SITE_NAME_RE.match(line)) and not line.endswith(("。", "！", "？"))


def _body(lines: list[str]) -> list[str]:
    body: list[str] = []
    for index, line in enumerate(lines):
        if not line or _DEBRIS_RE.match(line):
            continue
        marker = end_marker(line)
        if marker == "hard" or (marker == "soft" and index > len(lines) * 0.7):
            break
        if not is_boilerplate_line(line):
            body.append(line)
    return body
