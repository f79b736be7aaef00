"""Groups end to end against the loopback robot fakes: added from the CLI, one digest at its time,
a 30-item digest complete in several messages within each limit, a revoked key pauses only its
group. Real SQLite, the real outbox and sender; the pacer runs on fake time (the fakes' windows
are real, and the few messages per robot here stay inside them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from delivery_support import FakeClock, FakeMonotonic, add_articles
from fakes.dingtalk_api import FakeDingTalk
from fakes.feishu_api import FakeFeishu
from fakes.wecom_robot_api import FakeWeComRobots
from newsbot.app import build_channels, build_delivery
from newsbot.cli import cli
from newsbot.config import load_settings
from newsbot.service.delivery import DeliveryService
from newsbot.service.pacer import Pacer
from newsbot.storage import db
from newsbot.storage.articles import ArticleStore
from newsbot.storage.groups import GroupStore
from newsbot.storage.schema import digests, outbox

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "NEWSBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'groups.db'}",
        "NEWSBOT_DELIVERY_MAX_ITEMS": "30",
    }


@pytest.fixture
def engine(env: dict[str, str]) -> Iterator[Engine]:
    engine = db.create_db_engine(env["NEWSBOT_DATABASE_URL"])
    db.upgrade(engine)
    yield engine
    engine.dispose()


def groups_cli(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--config", str(ROOT / "config" / "demo.toml"), "groups", *args], env=env
    )
    assert result.exit_code == 0, result.output
    return result.output


def next_local(at: str) -> datetime:
    """The next occurrence of local time `at` in Shanghai, at least a minute from now."""
    hour, minute = map(int, at.split(":"))
    now = datetime.now(SHANGHAI) + timedelta(minutes=1)
    due = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return (due if due > now else due + timedelta(days=1)).astimezone(UTC)


def delivery(env: dict[str, str], engine: Engine, clock: FakeClock) -> DeliveryService:
    """The app's registry with the three robot channels sending (their pacers on fake time)."""
    settings = load_settings(ROOT / "config" / "demo.toml", environ=env)
    registry = build_channels(settings)
    store = GroupStore(engine)
    for name in ("wecom_robot", "dingtalk", "feishu"):
        channel = registry.get(name)
        assert channel is not None and channel.profile.push_only
        channel.sender.directory = store  # what start(context) does
        channel.sender.clock = clock  # signatures carry the test's time
        registry.attach(name, channel.sender)
        timer = FakeMonotonic()
        registry.use_pacer(
            name, Pacer.for_pacing(channel.profile.pacing, monotonic=timer, sleep=timer.sleep)
        )
    return build_delivery(settings, engine, clock, ArticleStore(engine), registry)


async def test_group_added_from_the_cli_gets_one_digest_at_its_time(
    env: dict[str, str], engine: Engine
) -> None:
    with FakeWeComRobots() as wecom:
        key = wecom.add_robot()
        out = groups_cli(env, "add", "党建办", "--kind", "wecom", "--webhook", wecom.webhook(key),
                         "--time", "07:30")  # fmt: skip
        assert "added 党建办" in out
        due = next_local("07:30")
        clock = FakeClock(due - timedelta(minutes=1))
        add_articles(engine, 5, now=due)
        service = delivery(env, engine, clock)
        assert service.deliver_due_at(clock.now()).queued == 0  # not yet
        clock.current = due
        report = service.deliver_due_at(clock.now())
        assert report.queued == 1
        await service.sender.drain(poll=0.01, timeout=20)
        clock.advance(3600)
        assert service.deliver_due_at(clock.now()).queued == 0  # exactly once per local date
        await service.sender.drain(poll=0.01, timeout=5)
        (message,) = wecom.messages(key)
        assert message["msgtype"] == "markdown" and "每日摘要" in message["content"]
        listed = groups_cli(env, "list")
        assert "last delivery 20" in listed and key not in listed
        service.close()


async def test_thirty_item_digest_arrives_complete_in_several_messages(
    env: dict[str, str], engine: Engine
) -> None:
    due = next_local("08:00")
    clock = FakeClock(due)
    same_time = {"clock": lambda: clock.now().timestamp()}  # signatures carry our clock's time
    with (
        FakeWeComRobots(**same_time) as wecom,
        FakeDingTalk(**same_time) as ding,
        FakeFeishu(**same_time) as feishu,
    ):
        keys = {"wecom": wecom.add_robot(), "dingtalk": ding.add_robot(secret="SECx"),
                "feishu": feishu.add_robot(secret="fs")}  # fmt: skip
        fakes = {"wecom": wecom, "dingtalk": ding, "feishu": feishu}
        secrets = {"wecom": [], "dingtalk": ["--secret", "SECx"], "feishu": ["--secret", "fs"]}
        for kind, fake in fakes.items():
            groups_cli(env, "add", f"{kind}组", "--kind", kind, "--webhook",
                       fake.webhook(keys[kind]), "--time", "08:00", *secrets[kind])  # fmt: skip
        ids = add_articles(engine, 30, now=due)
        _lengthen_summaries(engine)
        service = delivery(env, engine, clock)
        assert service.deliver_due_at(clock.now()).queued == 3
        await service.sender.drain(poll=0.01, timeout=30)
        for kind, fake in fakes.items():
            received = fake.messages(keys[kind])
            text = "".join(m["content"] for m in received)
            assert len(received) >= 2, kind  # several messages
            for i in range(len(ids)):  # every item arrived, exactly once
                assert text.count(f"/{1000 + i}.shtml") == (0 if kind == "feishu" else 1), kind
                assert text.count(f"第{i}条要点") == 1, (kind, i)
            limit = 4096 if kind == "wecom" else 20_000
            assert all(m["bytes"] <= limit for m in received), kind
        assert fakes["wecom"].stats.rejected == 0 and ding.stats.rejected == 0
        service.close()


def _lengthen_summaries(engine: Engine) -> None:
    """Long key points, so a 30-item digest needs several messages on every platform."""
    import json

    from sqlalchemy import update

    from newsbot.storage.schema import articles

    with engine.begin() as conn:
        for row in conn.execute(select(articles.c.id, articles.c.summary_json)).all():
            summary = json.loads(row.summary_json)
            summary["key_points"] = [p + "会议强调，" * 40 + "。" for p in summary["key_points"]]
            conn.execute(
                update(articles)
                .where(articles.c.id == row.id)
                .values(summary_json=json.dumps(summary, ensure_ascii=False))
            )


async def test_revoked_key_pauses_only_that_group(env: dict[str, str], engine: Engine) -> None:
    with FakeWeComRobots() as wecom, FakeDingTalk() as ding:
        gone, kept = wecom.add_robot(), wecom.add_robot()
        token = ding.add_robot()
        groups_cli(env, "add", "撤销组", "--kind", "wecom", "--webhook", wecom.webhook(gone))
        groups_cli(env, "add", "正常组", "--kind", "wecom", "--webhook", wecom.webhook(kept))
        groups_cli(env, "add", "钉钉组", "--kind", "dingtalk", "--webhook", ding.webhook(token))
        wecom.revoke(gone)
        due = next_local("08:00")
        clock = FakeClock(due)
        add_articles(engine, 30, now=due)
        _lengthen_summaries(engine)
        service = delivery(env, engine, clock)
        assert service.deliver_due_at(clock.now()).queued == 3
        report = await service.sender.drain(poll=0.01, timeout=30)
        assert report.deactivated == 1
        assert wecom.messages(kept) and ding.messages(token) and not wecom.messages(gone)
        views = {v.name: v for v in GroupStore(engine).views()}
        assert views["撤销组"].state == "rejected" and "93000" in str(views["撤销组"].state_reason)
        assert views["正常组"].state == "active" and views["钉钉组"].state == "active"
        with engine.connect() as conn:
            states = dict(
                conn.execute(
                    select(outbox.c.chat_id, outbox.c.state).where(outbox.c.state != "sent")
                ).all()
            )
            assert set(states) == {"group:撤销组"} and set(states.values()) == {"failed"}
            assert conn.execute(select(digests.c.id)).all()  # three records, one per group
        listed = groups_cli(env, "list")
        assert "rejected (wecom 93000 invalid webhook url)" in listed
        clock.advance(24 * 3600)  # the next day: the paused group gets nothing
        assert service.deliver_due_at(clock.now()).due == 2  # not the rejected one
        groups_cli(env, "resume", "撤销组")
        service.close()


async def test_a_full_robot_window_gives_rows_back_and_never_earns_a_rate_answer(
    env: dict[str, str], engine: Engine
) -> None:
    """25 messages to one robot: 20 go, the other 5 wait out its minute in the outbox (not in a
    lane, so the other group's messages go at once), then go; the platform never says 45009."""
    from newsbot.storage.outbox import NewMessage, OutboxStore

    clock = FakeClock(next_local("08:00"))
    with FakeWeComRobots(clock=lambda: clock.now().timestamp()) as wecom:
        busy, quiet = wecom.add_robot(), wecom.add_robot()
        groups_cli(env, "add", "忙组", "--kind", "wecom", "--webhook", wecom.webhook(busy))
        groups_cli(env, "add", "闲组", "--kind", "wecom", "--webhook", wecom.webhook(quiet))
        service = delivery(env, engine, clock)
        timer = FakeMonotonic()
        pacing = service.channels.profile("wecom_robot").pacing
        service.channels.use_pacer(
            "wecom_robot", Pacer.for_pacing(pacing, monotonic=timer, sleep=timer.sleep)
        )
        rows = [
            NewMessage(
                f"t:{chat}:{i}",
                None,
                "wecom_robot",
                f"group:{chat}",
                "alert",
                {"text": f"第{i}条", "group": True},
            )
            for chat, count in (("忙组", 25), ("闲组", 3))
            for i in range(count)
        ]
        with engine.begin() as conn:
            OutboxStore(engine).enqueue(conn, rows, clock.now())
        report = await service.sender.send_due()
        assert len(wecom.messages(busy)) == 20 and len(wecom.messages(quiet)) == 3
        assert report.window_waits == 1
        clock.advance(62)
        timer.value += 62
        await service.sender.drain(poll=0.01, timeout=10)
        texts = [m["content"] for m in wecom.messages(busy)]
        assert texts == [f"第{i}条" for i in range(25)]  # all, in order
        assert wecom.stats.rate_limited == 0
        service.close()
