"""kill -9 during the group fan-out: after a restart every group has exactly one complete digest;
duplicates (if any) are at most the messages that were in flight at the kill."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select

from fakes.bot_api import FakeBotAPI
from fakes.dingtalk_api import FakeDingTalk
from fakes.feishu_api import FakeFeishu
from fakes.wecom_robot_api import FakeWeComRobots
from newsbot.storage import db
from newsbot.storage.outbox import SENDING
from newsbot.storage.schema import outbox

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_groups.py"
PER_KIND = 8


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_groups", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class InThreadFakes:
    """The benchmark's Fakes shape, served from threads of this process."""

    def __init__(self) -> None:
        self.fakes: dict[str, Any] = {
            "wecom": FakeWeComRobots().start(),
            "dingtalk": FakeDingTalk().start(),
            "feishu": FakeFeishu().start(),
        }
        self.keys = {
            kind: [
                (f"{kind}{i}key0123456789", None if kind == "wecom" else f"SEC{kind}{i}")
                for i in range(PER_KIND)
            ]
            for kind in self.fakes
        }
        for kind, fake in self.fakes.items():
            for key, secret in self.keys[kind]:
                fake.add_robot(key, secret=secret)
        self.webhooks = {
            k: [f.webhook(key) for key, _ in self.keys[k]] for k, f in self.fakes.items()
        }

    def accepted(self) -> int:
        return sum(f.stats.accepted for f in self.fakes.values())

    def digests(self) -> dict[str, tuple[set[str], int]]:
        """Per robot: the digest items (and header) that arrived, and how many messages arrived
        more than once."""
        found: dict[str, tuple[set[str], int]] = {}
        point = bench()._POINT
        for kind, fake in self.fakes.items():
            for key, _secret in self.keys[kind]:
                contents = Counter(record["content"] for record in fake.messages(key))
                marks = {a + n for text in contents for a, n in point.findall(text)}
                if any("每日摘要" in text for text in contents):
                    marks.add("header")
                found[key] = (marks, sum(n - 1 for n in contents.values()))
        return found

    def stop(self) -> None:
        for fake in self.fakes.values():
            fake.stop()


@pytest.mark.slow
def test_kill_9_mid_fanout_then_every_group_has_one_complete_digest(tmp_path: Path) -> None:
    module = bench()
    fakes = InThreadFakes()
    telegram = FakeBotAPI().start()
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    try:
        module.prepare(url, fakes, 0)
        command = [sys.executable, str(BENCH), "--worker", url, telegram.base_url, telegram.token]
        first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while first.poll() is None and fakes.accepted() < PER_KIND * 3 * 2:
            assert time.monotonic() < deadline, "the fan-out did not start"
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        engine = db.create_db_engine(url)
        with engine.connect() as conn:
            in_flight = conn.scalar(select(func.count()).where(outbox.c.state == SENDING)) or 0
        engine.dispose()
        subprocess.run(command, check=True, timeout=300, capture_output=True)
        want = {f"A{i}" for i in range(module.ITEMS)} | {"header"}
        duplicates = 0
        for key, (marks, repeated) in fakes.digests().items():
            assert marks == want, key  # complete: every item and the header arrived
            duplicates += repeated
        assert duplicates <= in_flight  # a duplicate is a message that was in flight
    finally:
        telegram.stop()
        fakes.stop()
