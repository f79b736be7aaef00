"""The WeCom app's way out against the fake WeCom API: the shared access token, errors as data,
the per-member limits (WeCom drops what exceeds them), duplicate checks after a crash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from fakes.chat_world import SettableClock
from fakes.wecom_app_api import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI
from newsbot.app import engine_of
from newsbot.channels.wecom.api import WeComApi
from newsbot.channels.wecom.profile import LIMITS, wecom_profile
from newsbot.channels.wecom.sender import SendQuota, WeComSender
from newsbot.channels.weixin.tokens import SharedToken
from newsbot.core.channels import Kind, Outbound, Priority, SendOutcome
from newsbot.errors import SendError
from newsbot.service.pacer import Pacer
from newsbot.storage import db
from newsbot.storage.subscribers import SubscriberStore
from newsbot.storage.weixin import TokenCache
from wecom_support import MEMBER, WeComWorld, wecom_world

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def api() -> AsyncIterator[FakeWeComAPI]:
    fake = FakeWeComAPI().start()
    fake.add_member(MEMBER)
    yield fake
    fake.stop()


def a_sender(fake: FakeWeComAPI, cache: TokenCache, clock: SettableClock) -> WeComSender:
    client = WeComApi(fake.base_url, CORP_ID, SECRET, AGENT_ID)
    client.token = SharedToken(f"wecom:{CORP_ID}:{AGENT_ID}", cache, client.fetch_token, clock)
    return WeComSender(client)


def reply(text: str, to: str = MEMBER, kind: Kind = Kind.REPLY) -> Outbound:
    return Outbound.of(to, text, kind)


async def test_one_token_for_every_process_refreshed_on_expiry(
    database_url: str, api: FakeWeComAPI
) -> None:
    engine = db.create_db_engine(database_url)
    db.upgrade(engine)
    clock = SettableClock()
    first, second = (
        a_sender(api, TokenCache(engine), clock),
        a_sender(api, TokenCache(engine), clock),
    )
    try:
        assert await first.send(reply("一"))
        assert await second.send(reply("二"))  # another process: the token from the database
        assert api.token_requests == 1
        api.expire_tokens()  # WeCom ends it early: 42001, one refresh, the send goes through
        assert await second.send(reply("三"))
        api.revoke_tokens()  # 40014: the same
        assert await first.send(reply("四"))
        assert api.token_requests == 3
        clock.current += timedelta(seconds=LIMITS.token_lifetime_seconds - 60)
        assert await first.send(reply("五"))  # refreshed before its stated expiry
        assert api.token_requests == 4
        assert api.texts(MEMBER) == ["一", "二", "三", "四", "五"]
    finally:
        await first.api.close()
        await second.api.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("errcode", "outcome", "retry_after"),
    [
        (-1, SendOutcome.BACKOFF, None),
        (45009, SendOutcome.RETRY_AFTER, 60.0),
        (45033, SendOutcome.RETRY_AFTER, 60.0),
        (60111, SendOutcome.RECIPIENT_GONE, None),
        (40056, SendOutcome.FATAL, None),
        (12345, SendOutcome.BACKOFF, None),  # unknown: retried a few times, then failed
    ],
)
async def test_errors_are_classified_as_data(
    sqlite_url: str, api: FakeWeComAPI, errcode: int, outcome: SendOutcome, retry_after: float
) -> None:
    engine = db.create_db_engine(sqlite_url)
    db.upgrade(engine)
    sender = a_sender(api, TokenCache(engine), SettableClock())
    api.fail_next.append(errcode)
    try:
        with pytest.raises(SendError) as refused:
            await sender.send(reply("x"))
        assert (refused.value.outcome, refused.value.retry_after) == (outcome, retry_after)
        with pytest.raises(SendError) as unknown:
            await sender.send(reply("x", to="NoSuchMember"))  # 81013
        assert unknown.value.outcome is SendOutcome.RECIPIENT_GONE
        assert "NoSuchMember" not in api.delivered
    finally:
        await sender.api.close()
        engine.dispose()


def test_the_profile_keeps_every_member_under_30_a_minute() -> None:
    """The pacer the profile asks for, on fake time: no 60 s window holds more than 30 sends to
    one member (WeCom would drop the 31st silently)."""
    import asyncio

    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def run() -> list[float]:
        pacer = Pacer.for_pacing(wecom_profile().pacing, monotonic=lambda: now[0], sleep=sleep)
        times = []
        for _ in range(90):
            await pacer.acquire(MEMBER, priority=Priority.DIGEST)
            times.append(now[0])
        return times

    times = asyncio.run(run())
    assert max(sum(1 for t in times if start <= t < start + 60) for start in times) <= 30


def test_the_hourly_and_daily_quotas_postpone_instead_of_losing() -> None:
    clock = [0.0]
    quota = SendQuota(account_limit=1, monotonic=lambda: clock[0], today=lambda: "2026-03-02")
    for n in range(200):  # the daily allowance of a 1-account enterprise: 200 person-times
        member = f"M{n % 7}"
        assert quota.wait_for(member) == 0.0
        quota.count(member)
    assert quota.wait_for("A") > 0  # the app's day is used up: until midnight in Shanghai
    hourly = SendQuota(monotonic=lambda: clock[0])
    for _ in range(LIMITS.member_per_hour):
        assert hourly.wait_for(MEMBER) == 0.0
        hourly.count(MEMBER)
        clock[0] += 2.2
    assert 0 < hourly.wait_for(MEMBER) <= 3600
    assert hourly.wait_for("SomeoneElse") == 0.0


@pytest.fixture
async def wc(database_url: str) -> AsyncIterator[WeComWorld]:
    async with wecom_world(database_url) as world:
        yield world


async def test_a_member_who_left_is_marked_inactive_by_the_outbox(wc: WeComWorld) -> None:
    await wc.server.say(MEMBER, "订阅")
    await wc.settle()
    wc.api.remove_member(MEMBER)  # left the company, or the app's visible range
    wc.newsroom.broadcast("通知：系统维护")
    await wc.newsroom.send_outbox()
    subscriber = SubscriberStore(engine_of(wc.newsroom)).get("wecom", MEMBER)
    assert subscriber is not None and not subscriber.active
    assert (MEMBER, 81013) in wc.api.refused


async def test_a_digest_resent_after_a_crash_is_not_shown_twice(wc: WeComWorld) -> None:
    await wc.server.say(MEMBER, "订阅")
    await wc.settle()
    sender = wc.channel.sender
    digest = Outbound.of(MEMBER, "今日要闻：党建工作推进会", Kind.DIGEST)
    await sender.send(digest)
    await sender.send(digest)  # the same chunk again, as after a crash mid-send
    assert wc.api.texts(MEMBER).count("今日要闻：党建工作推进会") == 1
    assert wc.api.duplicates == 1
    await sender.send(reply("帮助"))
    await sender.send(reply("帮助"))  # replies are never deduplicated: the member asked twice
    assert wc.api.texts(MEMBER).count("帮助") == 2


def test_a_textcard_fits_wecoms_byte_limits_between_characters() -> None:
    from newsbot.channels.wecom.sender import fit_bytes
    from newsbot.core.channels import LinkCard

    title = "山西大院资讯网日报" * 10
    card = LinkCard(title, "查摆出问题4804条；" * 60, "https://news.example.cn/d/abc")
    sender = WeComSender(WeComApi("http://127.0.0.1:9", CORP_ID, SECRET, AGENT_ID))
    body = sender.body(Outbound.of(MEMBER, "日报", Kind.DIGEST, card=card))
    assert body["msgtype"] == "textcard" and body["enable_duplicate_check"] == 1
    sent = body["textcard"]
    assert len(sent["title"].encode()) <= 128 and sent["title"].endswith("…")
    assert len(sent["description"].encode()) <= 512 and sent["description"].endswith("…")
    assert sent["url"] == card.url and len(sent["btntxt"]) <= 4
    assert fit_bytes("短标题", 128) == "短标题"
    plain = sender.body(Outbound.of(MEMBER, "日报", Kind.DIGEST, card=card, plain=True))
    assert plain["msgtype"] == "text"  # a resend without markup drops the card too
