"""Decoding: HTTP charset, then <meta>, then detection; GBK labels as gb18030; lying headers."""

from __future__ import annotations

import re

import pytest
from tests.conftest import shared_path

from newsbot.extract import decode_html
from newsbot.extract.decode import charset_from_markup, normalize_charset, repair_mojibake

TEXT = "阳泉高新区查摆出问题4804条，需化解债务3029.56万元，坚定捍卫“两个确立”。"


def page(meta: str = "", body: str = TEXT) -> str:
    return f"<html><head>{meta}<title>测试</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("gb_2312-80", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB18030", "gb18030"),
        ("utf8", "utf-8"),
        ("ISO-8859-1", "cp1252"),
        ("big5", "big5hkscs"),
        ("no-such-charset", None),
        ("", None),
    ],
)
def test_labels_normalize(label: str, codec: str | None) -> None:
    assert normalize_charset(label) == codec


def test_http_charset_is_used() -> None:
    body = page().encode("gb18030")
    assert TEXT in decode_html(body, "text/html; charset=GBK")


def test_meta_charset_is_used_without_header() -> None:
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode(
        "gb18030"
    )
    assert TEXT in decode_html(body, "text/html")


def test_html5_meta_charset() -> None:
    body = page('<meta charset="gbk">').encode("gb18030")
    assert charset_from_markup(body) == "gb18030"
    assert TEXT in decode_html(body, None)


def test_http_header_wins_over_meta_when_both_decode() -> None:
    # Big5 bytes of a short traditional text also decode as *something* in gb18030; the header decides.
    text = "臺灣新聞"
    body = f'<html><head><meta charset="gb2312"></head><body><p>{text}</p></body></html>'.encode(
        "big5"
    )
    assert text in decode_html(body, "text/html; charset=big5")


def test_detection_without_any_declaration() -> None:
    body = page(body=TEXT * 20).encode("gb18030")
    assert TEXT in decode_html(body, None)


def test_gbk_only_character_under_gb2312_label() -> None:
    # 喆 and 镕 are in GBK but not in GB2312: a strict gb2312 decoder would lose them.
    text = "责任编辑：陈喆 朱镕"
    body = page('<meta charset="gb2312">', text).encode("gb18030")
    assert text in decode_html(body, "text/html; charset=gb2312")


def test_header_saying_utf8_for_a_gbk_page_is_detected() -> None:
    body = page('<meta charset="gb2312">').encode("gb18030")
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert TEXT in decoded
    assert "\ufffd" not in decoded


def test_header_saying_latin1_for_a_gbk_page_is_detected() -> None:
    body = page().encode("gb18030")
    assert TEXT in decode_html(body, "text/html; charset=iso-8859-1")


def test_header_saying_gbk_for_a_utf8_page_is_detected() -> None:
    body = page('<meta charset="gbk">').encode("utf-8")
    assert TEXT in decode_html(body, "text/html; charset=gbk")


def test_bom_wins() -> None:
    assert TEXT in decode_html(b"\xef\xbb\xbf" + page().encode("utf-8"), "text/html; charset=gbk")
    assert TEXT in decode_html(page().encode("utf-16"), None)


def test_ascii_and_str_pass_through() -> None:
    assert decode_html(b"<p>hello</p>", None) == "<p>hello</p>"
    assert decode_html(page(), None) == page()  # type: ignore[arg-type]


def test_a_few_broken_bytes_leave_no_replacement_character() -> None:
    body = page(body=TEXT * 200).encode("gb18030").replace("两个".encode("gb18030"), b"\xb0 ", 1)
    decoded = decode_html(body, "text/html; charset=gbk")
    assert "\ufffd" not in decoded
    assert decoded.count(TEXT) == 199


def test_mojibake_saved_again_as_utf8_is_repaired() -> None:
    text = page(body=TEXT * 5)
    mangled = text.encode("gb18030").decode("latin-1")
    assert TEXT in repair_mojibake(mangled)
    assert TEXT in decode_html(mangled.encode("utf-8"), None)
    assert repair_mojibake("Café crème brûlée") == "Café crème brûlée"


def test_no_replacement_character_on_cwced_gbk_pages() -> None:
    folder = shared_path("corpora", "extraction", "cwced", "original")
    gbk = [
        p for p in sorted(folder.glob("*.html"))
        if re.search(rb"charset=[\"']?(gb2312|gbk|gb18030)", p.read_bytes()[:4096], re.I)
    ]  # fmt: skip
    assert len(gbk) >= 30
    for path in gbk:
        decoded = decode_html(path.read_bytes(), None)
        assert "\ufffd" not in decoded, path.name
        assert re.search(r"[\u4e00-\u9fff]{4}", decoded), path.name


def test_utf16_label_on_a_gbk_page_is_ignored() -> None:
    body = page('<meta charset="gbk">').encode("gb18030")
    assert TEXT in decode_html(body, "text/html; charset=utf-16")


def test_undeclared_big5_is_detected_not_read_as_gbk() -> None:
    text = "臺灣的新聞報導指出，這項政策獲得廣泛支持，經濟成長率達到百分之三。"
    body = f"<html><body><p>{text * 5}</p></body></html>".encode("big5")
    assert text in decode_html(body, None)


def test_cwced_gbk_pages_decode_the_same_without_their_declaration() -> None:
    folder = shared_path("corpora", "extraction", "cwced", "original")
    for path in sorted(folder.glob("*.html")):
        body = path.read_bytes()
        if not re.search(rb"charset=[\"']?(gb2312|gbk)", body[:4096], re.I):
            continue
        bare = re.sub(rb"charset\s*=\s*[\"']?[\w-]+", b"", body[:5000]) + body[5000:]
        bare = re.sub(rb'encoding="[\w-]+"', b"", bare[:300]) + bare[300:]
        assert _cjk(decode_html(bare, None)) == _cjk(decode_html(body, None)), path.name


def _cjk(text: str) -> str:
    return "".join(re.findall(r"[\u4e00-\u9fff]", text))


def test_single_byte_detection_never_beats_a_clean_gb18030_reading() -> None:
    # Detection sometimes names a single-byte codec (ptcp154, koi8-r) for an undeclared GBK page;
    # such codecs decode anything, so they must not win a tie.
    from newsbot.extract.decode import _weak

    assert _weak("ptcp154") and _weak("koi8_r") and _weak("cp1252") and _weak("cp874")
    assert not _weak("gb18030") and not _weak("big5hkscs") and not _weak("utf-16")
