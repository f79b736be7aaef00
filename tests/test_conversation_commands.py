"""The conversation layer directly (no Telegram): commands, bad input, buttons, languages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakes.chat_world import build_world
from newsbot.app import engine_of
from newsbot.conversation import Conversation, Incoming, Response
from newsbot.core.render import render_plain
from newsbot.service import Newsroom
from newsbot.storage.subscribers import SubscriberStore


@pytest.fixture
def newsroom(database_url: str) -> Iterator[Newsroom]:
    room = build_world(database_url)
    yield room
    room.close()


@pytest.fixture
def conversation(newsroom: Newsroom) -> Conversation:
    return Conversation.for_newsroom(newsroom)


async def say(conversation: Conversation, text: str, chat: str = "1", **kwargs: object) -> str:
    response = await conversation.handle(
        Incoming("telegram", chat, text, user_name="张三", **kwargs)
    )  # type: ignore[arg-type]
    return text_of(response)


def text_of(response: Response) -> str:
    return "\n".join(chunk for m in response.messages for chunk in render_plain(m))


def store(newsroom: Newsroom) -> SubscriberStore:
    return SubscriberStore(engine_of(newsroom))


async def test_start_subscribes_and_welcomes(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    reply = await say(conversation, "/start")
    assert "张三，欢迎" in reply and "08:00" in reply and "Asia/Shanghai" in reply
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.digest_enabled and subscriber.active


async def test_start_deep_links(conversation: Conversation, newsroom: Newsroom) -> None:
    assert "党建" in await say(conversation, "/start kw_党建")
    assert "阳泉" in await say(conversation, "/start secb_6Ziz5rOJ")  # base64url of 阳泉
    assert "无法识别" in await say(conversation, "/start bogus")
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None
    assert subscriber.keywords == ("党建",) and subscriber.sections == ("阳泉",)


async def test_time_accepts_short_and_rejects_nonsense(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    assert "07:30" in await say(conversation, "/time 7:30")
    assert "无法识别时间“25:99”" in await say(conversation, "/time 25:99")
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.digest_time == time(7, 30)


async def test_timezone(conversation: Conversation, newsroom: Newsroom) -> None:
    assert "Europe/Berlin" in await say(conversation, "/tz europe/berlin")
    assert "无法识别时区“Mars/Base”" in await say(conversation, "/tz Mars/Base")
    assert "无法识别时区" in await say(conversation, "/tz ../../etc/passwd")
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.timezone == "Europe/Berlin"


async def test_keywords_add_list_remove_and_cap(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    assert "已添加关键词：党建、债务" in await say(conversation, "/keywords add 党建，债务")
    assert "（2/50）" in await say(conversation, "/keywords list")
    many = " ".join(f"词{n}" for n in range(500))
    reply = await say(conversation, f"/keywords add {many}")
    assert "每人最多 50 个关键词" in reply and "以下 452 个未添加" in reply
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and len(subscriber.keywords) == 50
    assert "已删除关键词：债务" in await say(conversation, "/keywords remove 债务")
    assert "用法" in await say(conversation, "/keywords frobnicate")


async def test_keywords_in_the_query_language(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    reply = await say(conversation, "/keywords add 债务 -招聘，债务|化债")
    assert "已添加关键词：债务 -招聘、债务|化债" in reply
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.keywords == ("债务 -招聘", "债务|化债")
    reply = await say(conversation, "/keywords add -招聘")
    assert "永远不会匹配" in reply and "-招聘" in reply and "已添加" not in reply
    reply = await say(conversation, "/keywords add 党建, -招聘 -广告")
    assert "已添加关键词：党建" in reply and "永远不会匹配" in reply
    assert "已删除关键词：债务 -招聘" in await say(conversation, "/keywords remove 债务 -招聘")
    await say(conversation, "/lang en")
    assert "could never match" in await say(conversation, "/keywords add -广告")


async def test_subscribe_sections_and_unsubscribe(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    assert "已订阅栏目：阳泉" in await say(conversation, "/subscribe 阳泉")
    assert "没有这个栏目：火星。可选栏目：要闻、阳泉" in await say(conversation, "/subscribe 火星")
    assert "所有栏目" in await say(conversation, "/unsubscribe 阳泉")
    assert "已退订每日摘要" in await say(conversation, "/unsubscribe")
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and not subscriber.digest_enabled and subscriber.sections == ()


async def test_digest_and_latest(conversation: Conversation) -> None:
    digest = await say(conversation, "/digest")
    assert "每日摘要" in digest and "阳泉市党建工作推进会" in digest and "高新区化解债务" in digest
    latest = await say(conversation, "/latest")
    assert latest.startswith("🆕 最新文章") and "高新区化解债务3029.56万元" in latest


async def test_search_pages_with_signed_buttons(conversation: Conversation) -> None:
    first = await conversation.handle(Incoming("telegram", "1", "/search 党建"))
    assert "第 1/4 页" in text_of(first)
    (button,) = first.messages[0].buttons[0]
    assert button.label == "下一页 ›" and button.data is not None
    second = await conversation.handle(Incoming("telegram", "1", callback_data=button.data))
    assert second.edit and "第 2/4 页" in text_of(second)
    assert [b.label for b in second.messages[0].buttons[0]] == ["‹ 上一页", "下一页 ›"]
    # plain text is a search too
    assert "高新区化解债务" in await say(conversation, "债务")


async def test_a_long_query_is_kept_for_its_buttons_and_a_short_one_clears_it(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    """A query too long for the button data is kept as last_query (the button carries its
    hash); a short one clears it, so the old hash button is refused; it is written only when
    it changes (not on every search)."""
    long_query = "党建 -" + "x" * 60
    first = await conversation.handle(Incoming("telegram", "1", f"/search {long_query}"))
    assert "第 1/4 页" in text_of(first)
    (button,) = first.messages[0].buttons[0]
    assert button.data is not None and button.data.startswith("S:2:")
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.last_query == long_query
    again = await conversation.handle(Incoming("telegram", "1", f"/search {long_query}"))
    assert again.messages[0].buttons[0][0].data == button.data
    unchanged = store(newsroom).get("telegram", "1")
    assert unchanged is not None and unchanged.last_query == long_query
    second = await conversation.handle(Incoming("telegram", "1", callback_data=button.data))
    assert second.edit and "第 2/4 页" in text_of(second)
    await say(conversation, "/search 党建")  # short: its buttons carry it
    assert store(newsroom).last_query(subscriber.id) is None
    stale = await conversation.handle(Incoming("telegram", "1", callback_data=button.data))
    assert stale.notice.startswith("这组搜索结果已过期") and not stale.messages


async def test_a_quoted_query_is_echoed_in_one_pair_of_quotes(conversation: Conversation) -> None:
    for query in ('"党建"', "“党建”"):
        reply = await say(conversation, f"/search {query}")
        assert "“党建”" in reply and '“"' not in reply and "““" not in reply


async def test_tampered_and_foreign_callbacks_change_nothing(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    settings = await conversation.handle(Incoming("telegram", "1", "/settings"))
    toggle = settings.messages[0].buttons[0][0].data
    assert toggle is not None
    tampered = toggle.replace("set:digest", "set:lang")
    for chat, data in (("1", tampered), ("2", toggle), ("1", "garbage")):
        response = await conversation.handle(Incoming("telegram", chat, callback_data=data))
        assert response.notice == "按钮已失效或数据无效，请重新发送命令。" and not response.messages
    subscriber = store(newsroom).get("telegram", "1")
    assert subscriber is not None and subscriber.digest_enabled and subscriber.language == "zh"
    ok = await conversation.handle(Incoming("telegram", "1", callback_data=toggle))
    assert ok.edit and "每日摘要：关" in text_of(ok)
    # the buttons say what pressing them does, not the state (回复 1：开启每日摘要)
    labels = [button.label for row in ok.messages[0].buttons for button in row]
    assert labels[:2] == ["开启每日摘要", "提醒改为并入摘要"]


async def test_bad_input_gets_clear_replies(conversation: Conversation) -> None:
    assert "未知命令 /frobnicate" in await say(conversation, "/frobnicate")
    assert "消息太长（5000 字），最多 4096 字" in await say(conversation, "字" * 5000)
    assert "编辑过的消息不会被处理" in await say(conversation, "/keywords add 党建", is_edit=True)
    assert "仅限管理员" in await say(conversation, "/stats")
    assert "订阅者" in await say(conversation, "/stats", chat="1001", is_admin=True)


async def test_groups_and_channels(conversation: Conversation) -> None:
    assert await say(conversation, "大家好", chat="-100", chat_type="supergroup") == ""
    assert (
        await say(conversation, "/keywords add x", chat="-100", chat_type="group", is_edit=True)
        == ""
    )
    assert "08:00" in await say(conversation, "/time", chat="-100", chat_type="supergroup")
    assert (
        await say(conversation, "/help", chat="-100", chat_type="group", addressed_to_other=True)
        == ""
    )
    assert await say(conversation, "/start", chat="-200", chat_type="channel") == ""


async def test_english(conversation: Conversation) -> None:
    assert "Language switched to English" in await say(conversation, "/lang en")
    assert "Cannot read the time “25:99”" in await say(conversation, "/time 25:99")
    assert "Unknown command /nope" in await say(conversation, "/nope")
    assert "Commands" in await say(conversation, "/help")
    assert "不支持的语言" not in await say(conversation, "/lang klingon")
    assert "语言已切换为中文" in await say(conversation, "/lang 中文")


async def test_group_settings_need_a_group_admin(conversation: Conversation) -> None:
    member = {"chat": "-300", "chat_type": "group", "can_manage": False}
    assert "只有群管理员" in await say(conversation, "/unsubscribe", **member)
    assert "只有群管理员" in await say(conversation, "/keywords add 党建", **member)
    assert "你还没有关键词" in await say(conversation, "/keywords", **member)
    assert "当前时区" in await say(conversation, "/tz", **member)
    settings = await conversation.handle(
        Incoming("telegram", "-300", "/settings", chat_type="group")
    )
    data = settings.messages[0].buttons[0][0].data
    pressed = await conversation.handle(
        Incoming("telegram", "-300", chat_type="group", callback_data=data, can_manage=False)
    )
    assert pressed.notice == "在群里只有群管理员可以修改设置。" and not pressed.messages


async def test_broadcast_goes_through_the_outbox(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    from sqlalchemy import select

    from newsbot.storage.schema import outbox

    for chat in ("1", "2", "3"):
        await say(conversation, "/start", chat=chat)
    assert "用法" in await say(conversation, "/broadcast", chat="1001", is_admin=True)
    assert "仅限管理员" in await say(conversation, "/broadcast 大家好", chat="1")
    reply = await say(conversation, "/broadcast 明天 <b>停电</b> 检修", chat="1001", is_admin=True)
    assert "已排队群发给 4 位订阅者" in reply  # 1, 2, 3 and the admin's own chat
    again = await say(conversation, "/broadcast 明天 <b>停电</b> 检修", chat="1001", is_admin=True)
    assert "0 位" in again  # a double tap queues nothing
    with engine_of(newsroom).connect() as conn:
        rows = conn.execute(select(outbox.c.chat_id, outbox.c.kind, outbox.c.payload)).all()
    assert sorted(r.chat_id for r in rows) == ["1", "1001", "2", "3"]
    assert all(r.kind == "broadcast" and "&lt;b&gt;停电" in r.payload for r in rows)


_COMMANDS = st.sampled_from(
    [
        "",
        "/start ",
        "/time ",
        "/tz ",
        "/keywords add ",
        "/keywords remove ",
        "/search ",
        "/subscribe ",
        "/unsubscribe ",
        "/lang ",
        "/settings",
        "/digest",
        "/latest",
        "/help",
        "/stats",
        "/nope ",
        "／time ",
    ]
)


def test_random_input_never_breaks_the_conversation(sqlite_url: str) -> None:
    """Whatever is typed or pressed, the answer is a reply, never the internal-error apology."""
    room = build_world(sqlite_url, articles=3)
    conversation = Conversation.for_newsroom(room)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        _COMMANDS,
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
        st.booleans(),
        st.sampled_from(["private", "group", "channel"]),
    )
    def check(prefix: str, text: str, button: bool, chat_type: str) -> None:
        data = prefix + text
        payload = data.replace("/", "s:", 1)
        if button and conversation.signer.fits(payload) and len(text) % 2:  # a validly signed one
            data = conversation.signer.sign("9", payload)
        incoming = (
            Incoming("telegram", "9", chat_type=chat_type, callback_data=data)
            if button
            else Incoming("telegram", "9", prefix + text, chat_type=chat_type)
        )
        response = asyncio.run(conversation.handle(incoming))
        assert "处理时出错" not in text_of(response) + response.notice

    try:
        check()
    finally:
        room.close()


async def test_quiet_day_digest_shows_the_latest(
    conversation: Conversation, newsroom: Newsroom
) -> None:
    from datetime import timedelta

    newsroom.clock.current += timedelta(days=10)  # type: ignore[attr-defined]
    reply = await say(conversation, "/digest")
    assert reply.startswith("过去 24 小时没有新文章，以下是最近的文章")
    assert "高新区化解债务3029.56万元" in reply


@pytest.mark.parametrize(
    ("payload", "notice"),
    [
        ("s:0:党建", "按钮已失效"),
        ("s:x:党建", "按钮已失效"),
        ("s:1001:党建", "按钮已失效"),
        ("s:2:", "按钮已失效"),
        ("S:2:deadbeef", "这组搜索结果已过期"),
        ("set:nope", "按钮已失效"),
        ("zzz:1", "按钮已失效"),
    ],
)
async def test_signed_but_unusable_buttons(
    conversation: Conversation, payload: str, notice: str
) -> None:
    data = conversation.signer.sign("1", payload)
    response = await conversation.handle(Incoming("telegram", "1", callback_data=data))
    assert response.notice.startswith(notice) and not response.messages


async def test_readers_who_type_words_are_told_the_words(conversation: Conversation) -> None:
    """WeChat and WeCom readers type 帮助, not /help: what we tell them to type names the words."""

    async def words(text: str) -> str:
        return await say(conversation, text, chat="w1", command_words=True)

    welcome = await words("/start")
    assert "“帮助”" in welcome and "/help" not in welcome
    help_text = await words("帮助")
    assert "订阅 — " in help_text and "时间 — 设置摘要时间，如 时间 07:30" in help_text
    assert "/time" not in help_text
    assert "/help" in await say(conversation, "/start")  # Telegram readers keep the slash forms


async def test_a_page_word_with_nothing_to_page_is_not_a_search(conversation: Conversation) -> None:
    for typed in ("下一页", "上一页", " 下一页。"):
        answer = await say(conversation, typed, command_words=True)
        assert "没有可翻的页了" in answer and "没有找到" not in answer
