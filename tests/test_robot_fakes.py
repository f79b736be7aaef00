"""The robot fakes enforce what the platforms enforce (so the adapter tests mean something)."""

from __future__ import annotations

import time
import urllib.parse

import httpx

from fakes.dingtalk_api import FakeDingTalk, dingtalk_sign
from fakes.feishu_api import FakeFeishu, feishu_sign
from fakes.wecom_robot_api import FakeWeComRobots


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _markdown(text: str) -> dict[str, object]:
    return {"msgtype": "markdown", "markdown": {"content": text}}


def test_wecom_sizes_rate_and_revoked_key() -> None:
    with FakeWeComRobots() as fake:
        key = fake.add_robot()
        url = fake.webhook(key)
        assert httpx.post(url, json=_markdown("字" * 1365)).json()["errcode"] == 0  # 4095 bytes
        assert httpx.post(url, json=_markdown("字" * 1366)).json()["errcode"] == 40058
        text = {"msgtype": "text", "text": {"content": "a" * 2049}}
        assert httpx.post(url, json=text).json()["errcode"] == 40058
        codes = [httpx.post(url, json=_markdown(f"{i}")).json()["errcode"] for i in range(20)]
        assert codes.count(0) == 19 and codes[-1] == 45009  # 20 per minute, one already sent
        fake.revoke(key)
        assert httpx.post(url, json=_markdown("x")).json()["errcode"] == 93000
        assert httpx.post(fake.webhook("nope"), json=_markdown("x")).json()["errcode"] == 93000


def test_dingtalk_signature_and_ten_minute_block() -> None:
    clock = Clock()
    with FakeDingTalk(clock=clock) as fake:
        key = fake.add_robot(secret="SECabc")
        body = {"msgtype": "markdown", "markdown": {"title": "t", "text": "党建"}}
        stamp = str(int(clock.now * 1000))

        def signed(sign: str, at: str = stamp) -> str:
            return f"{fake.webhook(key)}&timestamp={at}&sign={urllib.parse.quote_plus(sign)}"

        assert httpx.post(fake.webhook(key), json=body).json()["errmsg"] == "invalid timestamp"
        assert httpx.post(signed("d3Jvbmc="), json=body).json() == {
            "errcode": 310000,
            "errmsg": "sign not match",
        }
        good = signed(dingtalk_sign(stamp, "SECabc"))
        codes = [httpx.post(good, json=body).json()["errcode"] for _ in range(21)]
        assert codes[:20] == [0] * 20 and codes[20] == 410100
        clock.now += 120  # the window has passed, but the 10-minute block has not
        assert httpx.post(good, json=body).json()["errcode"] == 410100
        clock.now += 481
        assert httpx.post(good, json=body).json()["errcode"] == 0
        assert httpx.post(fake.webhook("gone"), json=body).json()["errcode"] == 300001


def test_feishu_signature_body_limit_and_rates() -> None:
    clock = Clock()
    with FakeFeishu(clock=clock) as fake:
        key = fake.add_robot(secret="s3cret")
        stamp = str(int(clock.now))
        base = {"msg_type": "text", "content": {"text": "党建"}, "timestamp": stamp}
        wrong = httpx.post(fake.webhook(key), json={**base, "sign": "eA=="}).json()
        assert wrong["code"] == 19021
        good = {**base, "sign": feishu_sign(stamp, "s3cret")}
        big = {**good, "content": {"text": "字" * 7000}}
        answer = httpx.post(fake.webhook(key), content=httpx.Request("POST", "/", json=big).content)
        assert answer.status_code == 400 and answer.json()["code"] == 9499
        codes = [httpx.post(fake.webhook(key), json=good).json()["code"] for _ in range(6)]
        assert codes == [0] * 5 + [11232]  # 5 per second
        clock.now += 1.0
        assert httpx.post(fake.webhook(key), json=good).json()["code"] == 0
        missing = httpx.post(fake.webhook("nope"), json=good).json()
        assert missing["code"] == 19001
