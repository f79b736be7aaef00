"""The three robot senders against their loopback fakes: signing, answers classified as data, a
refused key or signature pauses the group with the platform's reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from fakes.dingtalk_api import FakeDingTalk
from fakes.feishu_api import FakeFeishu
from fakes.wecom_robot_api import FakeWeComRobots
from newsbot.channels import dingtalk, feishu, wecom_robot
from newsbot.channels.robots.sender import RobotSender
from newsbot.config import Settings
from newsbot.core.channels import Kind, Outbound, SendOutcome
from newsbot.core.groups import GroupKind, GroupSpec, chat_id_of, validate_spec
from newsbot.core.render import render_for
from newsbot.core.replies import Message
from newsbot.errors import SendError
from newsbot.storage import db
from newsbot.storage.groups import GroupStore

NOW = datetime(2026, 11, 29, tzinfo=UTC)
MESSAGE = Message.plain("📰 每日摘要", "阳泉市查摆出问题4804条，需化解债务3029.56万元。")


@pytest.fixture
def store(sqlite_url: str) -> Iterator[GroupStore]:
    engine: Engine = db.create_db_engine(sqlite_url)
    db.upgrade(engine)
    yield GroupStore(engine)
    engine.dispose()


def build(package: object, store: GroupStore) -> RobotSender:
    sender: RobotSender = package.build(Settings()).sender  # type: ignore[attr-defined]
    sender.directory = store  # what the channel's start(context) does
    return sender


def out(chat: str, text: str) -> Outbound:
    return Outbound.of(chat, text, Kind.DIGEST, is_group=True)


def add(store: GroupStore, name: str, kind: GroupKind, webhook: str, secret: str | None = None):
    store.add(validate_spec(GroupSpec(name, kind, webhook, secret)), NOW)
    return chat_id_of(name)


async def test_wecom_markdown_then_revoked_key_pauses_only_that_group(store: GroupStore) -> None:
    with FakeWeComRobots() as fake:
        keys = [fake.add_robot(), fake.add_robot()]
        chats = [add(store, f"组{i}", GroupKind.WECOM, fake.webhook(k)) for i, k in enumerate(keys)]
        sender = build(wecom_robot, store)
        for chunk in render_for(wecom_robot.PROFILE, MESSAGE):
            await sender.send(out(chats[0], chunk))
        assert "4804条" in fake.messages(keys[0])[0]["content"]
        fake.revoke(keys[0])
        with pytest.raises(SendError) as failure:
            await sender.send(out(chats[0], "x"))
        assert (
            failure.value.outcome is SendOutcome.RECIPIENT_GONE and "93000" in failure.value.reason
        )
        assert keys[0] not in failure.value.reason  # the key never appears in a reason
        await sender.send(out(chats[1], "still fine"))
        states = {v.name: (v.state, v.state_reason) for v in store.views()}
        assert states["组0"][0] == "rejected" and "invalid webhook url" in str(states["组0"][1])
        assert states["组1"] == ("active", None)
        await sender.close()


async def test_wecom_rate_limit_and_5xx_are_waits_not_pauses(store: GroupStore) -> None:
    with FakeWeComRobots() as fake:
        key = fake.add_robot()
        chat = add(store, "限流组", GroupKind.WECOM, fake.webhook(key))
        sender = build(wecom_robot, store)
        for i in range(20):
            await sender.send(out(chat, f"消息{i}"))
        with pytest.raises(SendError) as limited:
            await sender.send(out(chat, "第21条"))
        assert limited.value.outcome is SendOutcome.RETRY_AFTER
        fake.fail_next(502)
        answer = await sender.post(chat, "x")
        assert answer.outcome is SendOutcome.BACKOFF
        (view,) = store.views()
        assert view.state == "active" and "45009" in str(view.last_error)
        await sender.close()


async def test_dingtalk_signed_markdown_and_wrong_secret(store: GroupStore) -> None:
    with FakeDingTalk() as fake:
        good = fake.add_robot(secret="SECgood")
        bad = fake.add_robot(secret="SECother")
        chat_ok = add(store, "钉钉组", GroupKind.DINGTALK, fake.webhook(good), "SECgood")
        chat_bad = add(store, "错签组", GroupKind.DINGTALK, fake.webhook(bad), "SECwrong")
        sender = build(dingtalk, store)
        for chunk in render_for(dingtalk.PROFILE, MESSAGE):
            await sender.send(out(chat_ok, chunk))
        record = fake.messages(good)[0]
        assert record["msgtype"] == "markdown" and "3029.56万元" in record["content"]
        answer = await sender.post(chat_bad, "x")
        assert answer.outcome is SendOutcome.RECIPIENT_GONE and answer.code == 310000
        await sender.close()


async def test_feishu_signed_post_and_frequency_limit(store: GroupStore) -> None:
    with FakeFeishu() as fake:
        key = fake.add_robot(secret="s3cret")
        chat = add(store, "飞书组", GroupKind.FEISHU, fake.webhook(key), "s3cret")
        sender: RobotSender = build(feishu, store)
        chunks = render_for(feishu.PROFILE, MESSAGE)
        for _ in range(5):
            await sender.send(out(chat, chunks[0]))
        assert "查摆出问题4804条" in fake.messages(key)[0]["content"]
        with pytest.raises(SendError) as limited:
            await sender.send(out(chat, chunks[0]))  # the 6th within one second
        assert limited.value.outcome is SendOutcome.RETRY_AFTER
        fake.revoke(key)
        answer = await sender.post(chat, chunks[0])
        assert answer.outcome is SendOutcome.RECIPIENT_GONE and answer.code == 19001
        await sender.close()
