"""Restart safety: `newsbot poll --once` killed (SIGKILL) mid-poll, then run again: every article
of the origin is stored exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from fakes.origin import Origin, Reply, article_page, rss
from newsbot.storage import db
from newsbot.storage.schema import articles

FEEDS, ITEMS = 4, 15


@pytest.fixture
def slow_origin() -> Iterator[Origin]:
    with Origin() as origin:
        for f in range(FEEDS):
            entries = [(f"/articles/{f}/{i}.html", f"栏目{f}新闻{i}") for i in range(ITEMS)]
            origin.route(
                f"/feeds/{f}.xml", Reply(body=rss(origin.base_url, entries), etag=f'"{f}"')
            )
        # Slow pages so that the kill lands in the middle of the poll.
        origin.route_prefix(
            "/articles/", lambda path, _h: Reply(body=article_page(path), delay=0.04)
        )
        yield origin


def write_config(tmp_path: Path, origin: Origin, database_url: str) -> Path:
    lines = [f'[storage]\ndatabase_url = "{database_url}"\n[polling]\nper_host_concurrency = 2\n']
    for f in range(FEEDS):
        lines.append(
            f'[[sources]]\nkey = "feed{f}"\nname = "栏目{f}"\nkind = "feed"\n'
            f'url = "{origin.url(f"/feeds/{f}.xml")}"\nsection = "s{f}"\n'
        )
    path = tmp_path / "restart.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def poll_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "newsbot", "--config", str(config), "poll", "--once", "--all"]


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(articles.c.url)))


def test_kill_mid_poll_then_rerun_neither_duplicates_nor_loses(
    slow_origin: Origin, database_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, slow_origin, database_url)
    engine = db.create_db_engine(database_url)
    db.upgrade(engine)
    env = os.environ | {"PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    victim = subprocess.Popen(
        poll_command(config), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and victim.poll() is None:
        with engine.connect() as conn:
            if (conn.scalar(select(func.count()).select_from(articles)) or 0) >= 8:
                break
        time.sleep(0.02)
    assert victim.poll() is None, "the poll finished before it could be killed"
    victim.kill()
    victim.wait()
    partial = len(stored(engine))
    assert 8 <= partial < FEEDS * ITEMS
    before = len(slow_origin.requests)
    rerun = subprocess.run(
        poll_command(config), env=env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stderr
    urls = stored(engine)
    expected = {
        slow_origin.url(f"/articles/{f}/{i}.html") for f in range(FEEDS) for i in range(ITEMS)
    }
    assert len(urls) == len(set(urls)) == FEEDS * ITEMS
    assert set(urls) == expected
    # The re-run fetches exactly the pages that were not stored, each once.
    refetched = [p for p, _ in slow_origin.requests[before:] if p.startswith("/articles/")]
    assert len(refetched) == len(set(refetched)) == FEEDS * ITEMS - partial
    engine.dispose()
