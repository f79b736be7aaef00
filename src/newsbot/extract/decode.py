"""Bytes -> text for HTML pages: HTTP charset, then the page's own declaration, then detection.

Decoding is the largest single extraction failure on Chinese CMS pages, so a declared charset is
never trusted blindly: every candidate is decoded and the one with the fewest U+FFFD wins, with
the declared order (BOM, HTTP header, <meta>) breaking ties. Two facts make this reliable:
- a page that is valid UTF-8 and has non-ASCII bytes is UTF-8 (a GBK text that happens to be
  valid UTF-8 is vanishingly rare), whatever the header says;
- single-byte Western labels (iso-8859-1, windows-1252, ascii) decode any byte string without an
  error, so they are "weak": a multi-byte Chinese candidate that decodes cleanly beats them.
"""

from __future__ import annotations

import codecs
import functools
import re

from charset_normalizer import from_bytes

# gb2312 and gbk are subsets of gb18030; servers label gb18030 text as gb2312 all the time.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    "csgb2312": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "chinese": "gb18030",
    "iso-ir-58": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
    # WHATWG: these labels mean windows-1252 in browsers.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}
_WEAK = {"cp1252", "latin_1", "iso8859-1", "ascii"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"<\?xml[^>]+encoding\s*=\s*[\"']([\w.:-]+)", re.I)
_ASCII = bytes(range(0x80))
_DETECT_BYTES = 200_000  # detection on a prefix: enough evidence, bounded time on huge pages


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for an HTTP/HTML charset label, or None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return "gb18030" if codec in {"gb2312", "gbk"} else codec


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return normalize_charset(match.group(1)) if match else None


def charset_from_markup(body: bytes) -> str | None:
    """The <meta charset> / http-equiv / <?xml encoding?> declaration in the first 4 KiB."""
    head = body[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if not match:
        return None
    return normalize_charset(match.group(1).decode("ascii", "ignore"))


def detect_charset(body: bytes) -> str | None:
    best = from_bytes(body[:_DETECT_BYTES]).best()
    return normalize_charset(best.encoding) if best is not None else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page; never raises on any byte string."""
    if isinstance(body, str):
        return body
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    if body.isascii():
        return body.decode("ascii")
    if _is_utf8(body):
        return repair_mojibake(body.decode("utf-8", errors="replace"))
    declared = [charset_from_content_type(content_type), charset_from_markup(body)]
    if not any(declared):
        # Nothing declared: ask detection first (Big5 bytes also decode as gb18030 without an
        # error, into nonsense); gb18030 stays the fallback and wins on fewer errors.
        detected = detect_charset(body)
        declared = [None if _weak(detected) else detected]
    candidates = _ordered([*declared, "gb18030"])
    text, errors = _best_of(body, candidates)
    if _stray(errors, text) or (not errors and not _weak(candidates[0])):
        return _drop_stray_bytes(text, errors)
    if errors or _weak(candidates[0]):
        detected = detect_charset(body)
        if detected and detected not in candidates:
            other, other_errors = _best_of(body, [detected])
            if other_errors < errors and not _weak(detected):
                text, errors = other, other_errors
    return _drop_stray_bytes(text, errors)


def _drop_stray_bytes(text: str, errors: int) -> str:
    """Remove U+FFFD left by a few broken bytes in an otherwise clean page.

    Legacy-encoded pages often hold a truncated double-byte character (a lead byte cut off by
    the CMS); it carries no text, and a U+FFFD in a digest is worse than a missing glyph. Many
    of them mean a wrong decoding, and are kept as evidence.
    """
    return text.replace("\ufffd", "") if _stray(errors, text) else text


def _stray(errors: int, text: str) -> bool:
    return 0 < errors <= max(3, len(text) // 2000)


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        # A page cut in the middle of a multi-byte character is still UTF-8.
        try:
            body[: max(0, len(body) - 3)].decode("utf-8")
        except UnicodeDecodeError:
            return False
        return len(body) > 3
    return True


def _ordered(labels: list[str | None]) -> list[str]:
    seen: list[str] = []
    for label in labels:
        if label and label not in seen and label != "utf-8":
            seen.append(label)
    return seen


@functools.cache
def _weak(codec: str | None) -> bool:
    """Single-byte codecs (cp1252, koi8-r, ptcp154 ...) decode any bytes almost without an error,
    so "no U+FFFD" proves nothing for them."""
    if codec is None or codec in _WEAK:
        return codec is not None
    if codec.startswith("utf"):
        return False
    try:
        decoded = bytes(range(256)).decode(codec, errors="replace")
    except LookupError:
        return False
    return len(decoded) == 256 and decoded.count("\ufffd") <= 40


def _best_of(body: bytes, candidates: list[str]) -> tuple[str, int]:
    """The decoding with the fewest U+FFFD; strong codecs before weak ones, then declared order."""
    best: tuple[int, int, int] | None = None
    best_text = ""
    for rank, codec in enumerate(candidates):
        if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:1024]:
            continue  # HTML markup in UTF-16/32 is full of NUL bytes; a label alone is a lie
        try:
            text = body.decode(codec, errors="replace")
        except (LookupError, ValueError):
            continue
        errors = text.count("\ufffd")
        key = (int(_weak(codec) and _looks_cjk_multibyte(body)), errors, rank)
        if best is None or key < best:
            best, best_text = key, text
    if best is None:
        return body.decode("cp1252", errors="replace"), 0
    return best_text, best[1]


def _looks_cjk_multibyte(body: bytes) -> bool:
    """True when the bytes decode cleanly as gb18030 and are mostly non-ASCII pairs."""
    sample = body[:_DETECT_BYTES]
    high = len(sample.translate(None, _ASCII))
    if high < 8:
        return False
    return sample.decode("gb18030", errors="replace").count("\ufffd") <= high // 200


_LATIN = re.compile(r"[\u00a0-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def repair_mojibake(text: str) -> str:
    """Undo GBK bytes that were once decoded as Latin-1/cp1252 and saved again as UTF-8.

    Re-saved CMS pages show this ("Â±Â±Å¸Â©" for 北京): the page is valid UTF-8 but holds
    almost no CJK and a lot of Latin-1. Re-encoding to the original bytes and decoding them as
    gb18030 restores the text; the repair is kept only when it yields clean CJK text.
    """
    original = text
    latin = len(_LATIN.findall(text))
    if latin < 50 or len(_CJK.findall(text)) * 10 > latin:
        return text
    for _ in range(3):  # pages re-saved twice carry two layers
        raw = _latin_bytes(text)
        if raw is None:
            return text
        try:
            text = raw.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        for codec in ("gb18030", "big5hkscs"):
            fixed = raw.decode(codec, errors="replace")
            if fixed.count("\ufffd") * 100 <= latin and len(_CJK.findall(fixed)) * 3 >= latin // 2:
                return fixed
        break
    return original


def _latin_bytes(text: str) -> bytes | None:
    out = bytearray()
    for char in text:
        code = ord(char)
        if code < 256:
            out.append(code)
            continue
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            return None
    return bytes(out)
