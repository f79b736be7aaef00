"""Robot groups in the database (both backends), and the pure validation and masking."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from newsbot.core.groups import (
    GroupError,
    GroupKind,
    GroupSpec,
    GroupState,
    check_webhook,
    mask_webhook,
    parse_quiet,
    validate_spec,
)
from newsbot.storage.groups import GroupExists, GroupStore
from newsbot.storage.schema import keywords, subscribers

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"


def spec(name: str = "党建办", webhook: str = WECOM, **extra: object) -> GroupSpec:
    return validate_spec(GroupSpec(name=name, kind=GroupKind.WECOM, webhook=webhook, **extra))  # type: ignore[arg-type]


def test_add_list_reject_resume_remove(engine: Engine) -> None:
    store = GroupStore(engine)
    subscriber_id = store.add(
        spec(sections=("阳泉",), keywords=("债务", "党建"), quiet_start="22:00", quiet_end="07:00"),
        NOW,
    )
    (view,) = store.views()
    assert view.subscriber_id == subscriber_id and view.kind == "wecom"
    assert view.keywords == ("债务", "党建") and view.sections == ("阳泉",)
    assert view.quiet == "22:00-07:00" and view.state == "active"
    assert "693a91f6" not in view.webhook_masked and view.webhook_masked.endswith("key=69****aa")
    target = store.target("wecom_robot", "group:党建办")
    assert target is not None and target.webhook == WECOM

    with pytest.raises(GroupExists, match="already exists"):
        store.add(spec(webhook=WECOM + "x"), NOW)
    with pytest.raises(GroupExists, match="one robot per group"):
        store.add(spec(name="经济组"), NOW)

    store.reject("wecom_robot", "group:党建办", "93000 invalid webhook url", NOW)
    (view,) = store.views()
    assert view.state == "rejected" and view.state_reason == "93000 invalid webhook url"
    assert view.last_error == "93000 invalid webhook url"
    with engine.connect() as conn:
        assert conn.execute(select(subscribers.c.active)).scalar() is False
    assert store.set_state("党建办", GroupState.ACTIVE, None, NOW)
    with engine.connect() as conn:
        assert conn.execute(select(subscribers.c.active)).scalar() is True

    assert store.remove("党建办") and not store.remove("党建办")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subscribers)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(keywords)).scalar() == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " bad"}, "name"),
        ({"webhook": "ftp://x"}, "http"),
        ({"webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "key=KEY"),
        ({"digest_time": "25:00"}, "--time"),
        ({"timezone": "Mars/Olympus"}, "--timezone"),
        ({"alert_mode": "loud"}, "--alerts"),
        ({"quiet_start": "22:00"}, "--quiet"),
        ({"secret": " "}, "--secret"),
    ],
)
def test_bad_settings_name_the_option(changes: dict[str, str], message: str) -> None:
    fields = {"name": "ok", "kind": GroupKind.WECOM, "webhook": WECOM, **changes}
    with pytest.raises(GroupError, match=message):
        validate_spec(GroupSpec(**fields))  # type: ignore[arg-type]


def test_webhook_shapes_and_masks() -> None:
    check_webhook(GroupKind.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=abc")
    check_webhook(GroupKind.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/hook/abc")
    with pytest.raises(GroupError):
        check_webhook(GroupKind.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/")
    masked = mask_webhook("https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e-4a07-bd07")
    assert masked == "https://open.feishu.cn/open-apis/bot/v2/hook/5e****07"
    token = "https://oapi.dingtalk.com/robot/send?access_token=7xxx478bffffffff"
    assert mask_webhook(token).endswith("access_token=7x****ff")
    assert parse_quiet("22:00-07:00") == ("22:00", "07:00")
    with pytest.raises(GroupError):
        parse_quiet("22:00")


def test_healthz_shows_a_rejected_group_with_its_reason(engine: Engine) -> None:
    from newsbot.health import collect_status

    class Clock:
        def now(self) -> datetime:
            return NOW

    store = GroupStore(engine)
    store.add(spec(), NOW)
    store.add(spec(name="经济组", webhook=WECOM + "2"), NOW)
    store.reject(
        "wecom_robot", "group:党建办", "wecom recipient_gone 93000: invalid webhook url", NOW
    )
    status = collect_status(engine, Clock())
    assert status.ok and status.groups == {"active": 1, "rejected": 1}
    (stopped,) = status.groups_not_active
    assert stopped["name"] == "党建办" and "93000" in stopped["reason"]
    assert "693a91f6" not in str(status)


def test_the_old_wecom_webhook_key_setting_names_its_successor(tmp_path: Path) -> None:
    from newsbot.config import load_settings
    from newsbot.errors import ConfigError

    path = tmp_path / "newsbot.toml"
    path.write_text("[wecom]\nenabled = false\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="newsbot groups add") as error:
        load_settings(path, environ={"NEWSBOT_WECOM_WEBHOOK_KEY": "abc"})
    assert error.value.key == "wecom.webhook_key"
