"""The fake Bot API itself behaves like Telegram where our tests rely on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakes.bot_api import FakeBotAPI, RateLimits
from fakes.telegram_html import HtmlParseError, parse_telegram_html


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def call(api: FakeBotAPI, method: str, **params: Any) -> httpx.Response:
    return httpx.post(f"{api.base_url}{api.token}/{method}", json=params, timeout=5)


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("<b>粗</b> &lt;x&gt; &amp; &quot;", '粗 <x> & "'),
        ('<a href="https://e.cn/?a=1&amp;b=2">链接</a>', "链接"),
        ("<pre><code>x</code></pre>", "x"),
        ("&#20013;&#x6587;", "中文"),
    ],
)
def test_valid_html_is_parsed(html: str, plain: str) -> None:
    assert parse_telegram_html(html) == plain


@pytest.mark.parametrize(
    "html", ["<div>x</div>", "<b>x", "<b><i>x</b></i>", "a < b", "AT&T", "<a>x</a>", "x</b>"]
)
def test_invalid_html_is_rejected(html: str) -> None:
    with pytest.raises(HtmlParseError):
        parse_telegram_html(html)


def test_send_message_validates_like_telegram(api: FakeBotAPI) -> None:
    bad = call(api, "sendMessage", chat_id=1, text="<div>x</div>", parse_mode="HTML")
    assert bad.status_code == 400
    assert bad.json()["description"].startswith("Bad Request: can't parse entities:")
    too_long = call(api, "sendMessage", chat_id=1, text="字" * 4097)
    assert too_long.json()["description"] == "Bad Request: message is too long"
    ok = call(api, "sendMessage", chat_id=1, text="字" * 4096)
    assert ok.json()["ok"] is True
    assert isinstance(ok.json()["result"]["date"], int)
    assert [m["plain"] for m in api.messages(1)] == ["字" * 4096]


def test_failures_on_demand(api: FakeBotAPI) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    api.fail_chat(7, 403, "Forbidden: bot was blocked by the user")
    first = call(api, "sendMessage", chat_id=1, text="a").json()
    assert first["error_code"] == 429 and first["parameters"] == {"retry_after": 3}
    assert call(api, "sendMessage", chat_id=1, text="a").json()["ok"] is True
    assert call(api, "sendMessage", chat_id=7, text="a").json()["error_code"] == 403


def test_get_updates_offsets_confirm(api: FakeBotAPI) -> None:
    api.inject_message(5, "/start")
    api.inject_message(5, "hello")
    updates = call(api, "getUpdates", timeout=0).json()["result"]
    assert [u["message"]["text"] for u in updates] == ["/start", "hello"]
    assert updates[0]["message"]["entities"][0]["type"] == "bot_command"
    again = call(api, "getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0).json()
    assert again["result"] == []


def test_rate_limits_answer_429() -> None:
    with FakeBotAPI(rate_limits=RateLimits(global_per_second=100, per_chat_per_second=1)) as api:
        assert call(api, "sendMessage", chat_id=3, text="a").json()["ok"] is True
        second = call(api, "sendMessage", chat_id=3, text="b").json()
        assert second["error_code"] == 429 and second["parameters"]["retry_after"] >= 1
        assert api.stats.too_many == 1


def test_edit_needs_a_change(api: FakeBotAPI) -> None:
    sent = call(api, "sendMessage", chat_id=2, text="a").json()["result"]
    same = call(api, "editMessageText", chat_id=2, message_id=sent["message_id"], text="a").json()
    assert "message is not modified" in same["description"]
    edited = call(api, "editMessageText", chat_id=2, message_id=sent["message_id"], text="b").json()
    assert edited["ok"] is True and api.messages(2)[0]["plain"] == "b"
