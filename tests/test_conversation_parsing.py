"""Pure pieces of the conversation layer: parsing, signing, the string tables."""

from __future__ import annotations

from datetime import time

import pytest

from newsbot.conversation.callbacks import MAX_CALLBACK_BYTES, CallbackSigner
from newsbot.conversation.parsing import (
    deep_link_payload,
    parse_command,
    parse_deep_link,
    parse_time,
    parse_timezone,
    split_words,
)
from newsbot.core.i18n import EN, ZH, normalize_language, t


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7：30", time(7, 30)),
        ("23:59", time(23, 59)),
        ("0:00", time(0, 0)),
    ],
)
def test_times_accepted(value: str, expected: time) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["25:99", "24:00", "7", "7:3", "07:60", "seven", "", "7:30pm"])
def test_times_refused(value: str) -> None:
    assert parse_time(value) is None


def test_timezones() -> None:
    assert parse_timezone("Asia/Shanghai") == "Asia/Shanghai"
    assert parse_timezone("europe/berlin") == "Europe/Berlin"
    assert parse_timezone("utc") == "UTC"
    for bad in ("Mars/Base", "../../etc/passwd", "/etc/localtime", "", "Asia/Shanghai; rm"):
        assert parse_timezone(bad) is None


def test_commands() -> None:
    command = parse_command("/Time@newsbot_test_bot  7:30 ")
    assert command is not None and (command.name, command.args, command.bot) == (
        "time",
        "7:30",
        "newsbot_test_bot",
    )
    assert parse_command("党建") is None
    assert parse_command("／search 党建") is not None  # a fullwidth slash from a Chinese keyboard


def test_keyword_lists() -> None:
    assert split_words("党建，债务、 就业;高新区  x") == ["党建", "债务", "就业", "高新区", "x"]


def test_deep_links_round_trip() -> None:
    for kind, value in (
        ("keyword", "党建"),
        ("section", "阳泉"),
        ("keyword", "economy"),
        ("lang", "en"),
    ):
        payload = deep_link_payload(kind, value)
        assert len(payload) <= 64 and all(c.isalnum() or c in "_-" for c in payload)
        link = parse_deep_link(payload)
        assert (link.kind, link.value) == (kind, value)
    assert parse_deep_link("kw_党建").value == "党建"
    assert parse_deep_link("nonsense").kind == ""
    assert parse_deep_link("kwb_!!!").kind == ""


def test_callback_signatures() -> None:
    signer = CallbackSigner(b"secret")
    data = signer.sign("42", "s:2:党建")
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert signer.verify("42", data) == "s:2:党建"
    assert signer.verify("43", data) is None  # another chat
    assert signer.verify("42", data.replace("s:2", "s:9")) is None
    assert CallbackSigner(b"other").verify("42", data) is None
    assert not signer.fits("s:1:" + "党" * 20)
    assert signer.verify("42", "0|\x80") is None and signer.verify("42", "set:lang|签名") is None


def test_string_tables_match() -> None:
    assert set(ZH) == set(EN)
    assert normalize_language("en-US") == "en" and normalize_language("fr") == "zh"
    assert t("en", "time.bad", value="x").startswith("Cannot read")
    assert t(None, "time.bad", value="x").startswith("无法识别")
