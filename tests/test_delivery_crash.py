"""Exactly-once under kill -9, and two processes sharing one fan-out on PostgreSQL.

The fake Bot API records every message it accepted, so duplicates and losses are counted from
what the 'users' received, not from our own tables.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from delivery_support import NOW, add_articles, add_subscribers
from fakes.bot_api import FakeBotAPI
from newsbot.storage import db
from newsbot.storage.outbox import SENDING
from newsbot.storage.schema import digests, outbox

WORKER = Path(__file__).with_name("delivery_fanout_worker.py")
FANOUT = 2000


def spawn(url: str, api: FakeBotAPI, rate: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, api.base_url, api.token, str(rate), NOW.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> dict[str, object]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return lines[-1]


def received(api: FakeBotAPI, chats: range) -> tuple[int, int]:
    """(chats that got nothing, extra messages beyond one per chat)."""
    messages = api.all_messages()
    lost = sum(1 for chat in chats if not messages.get(str(chat)))
    duplicates = sum(max(0, len(messages.get(str(chat), [])) - 1) for chat in chats)
    return lost, duplicates


def prepare(engine: Engine) -> range:
    add_articles(engine, 6)
    add_subscribers(engine, FANOUT, first_chat=10_000)
    return range(10_000, 10_000 + FANOUT)


def test_kill_9_mid_fanout_then_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    chats = prepare(engine)
    with FakeBotAPI() as api:
        first = spawn(url, api, rate=400)
        api.wait_for(lambda: api.stats.sent >= FANOUT // 3, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        with engine.connect() as conn:
            in_flight = conn.scalar(select(func.count()).where(outbox.c.state == SENDING)) or 0
        sent_before_restart = api.stats.sent
        report = finish(spawn(url, api, rate=400))
        lost, duplicates = received(api, chats)
    print(
        f"\ncrash test: killed after {sent_before_restart} of {FANOUT} messages; rows in 'sending' "
        f"at the kill: {in_flight}; recovered and resent: {report['recovered']}; "
        f"duplicates seen by users: {duplicates}; lost: {lost}"
    )
    assert lost == 0
    assert duplicates <= in_flight  # at worst the messages in flight at the moment of the kill
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(digests)) == FANOUT
    engine.dispose()


@pytest.mark.postgres
def test_two_processes_share_one_fanout(postgres_url: str) -> None:
    engine = db.create_db_engine(postgres_url)
    db.upgrade(engine)
    chats = prepare(engine)
    with FakeBotAPI() as api:
        started = time.monotonic()
        workers = [spawn(postgres_url, api, rate=250) for _ in range(2)]
        reports = [finish(w) for w in workers]
        elapsed = time.monotonic() - started
        lost, duplicates = received(api, chats)
    sent = [r["send"]["sent"] for r in reports]  # type: ignore[index]
    queued = [r["delivery"]["queued"] for r in reports]  # type: ignore[index]
    print(
        f"\ntwo processes: queued {queued}, sent {sent} in {elapsed:.1f}s; lost {lost}, duplicates {duplicates}"
    )
    assert (lost, duplicates) == (0, 0)
    assert sum(queued) == FANOUT and sum(sent) == FANOUT
    assert min(sent) > 0  # both processes really sent part of the fan-out
    engine.dispose()
