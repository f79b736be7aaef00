"""Several processes starting together on a fresh database: migrations run under a lock and the
source sync tolerates a concurrent insert, so none crashes (real processes, real databases)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsbot.storage import db
from newsbot.storage.schema import sources

pytestmark = pytest.mark.timeout(180)

STARTER = """
import sys, time
from newsbot.app import build_newsroom
from newsbot.config import load_settings
settings = load_settings(sys.argv[1])
start_at = float(sys.argv[2])
time.sleep(max(0.0, start_at - time.time()))  # all processes start migrating at once
build_newsroom(settings).close()
print("started")
"""


def start_together(config: Path, count: int, env: dict[str, str]) -> list[tuple[int, str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")} | env
    start_at = f"{time.time() + 4.0:.3f}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, str(config), start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean,
        )
        for _ in range(count)
    ]
    return [(p.wait(timeout=120), p.communicate()[0]) for p in processes]


def config_with_sources(tmp_path: Path, database_url: str) -> Path:
    sources_toml = "".join(
        f'[[sources]]\nkey = "s{i}"\nname = "s{i}"\nkind = "feed"\nurl = "feeds/{i}.xml"\n\n'
        for i in range(20)
    )
    path = tmp_path / "newsbot.toml"
    path.write_text(f'[storage]\ndatabase_url = "{database_url}"\n\n{sources_toml}', "utf-8")
    return path


def assert_all_started(results: list[tuple[int, str]], engine_url: str) -> None:
    for code, output in results:
        assert code == 0 and "started" in output, output
    engine = db.create_db_engine(engine_url)
    try:
        assert db.current_revision(engine) == db.head_revision()
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(sources)) == 20
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", range(2))
def test_processes_racing_on_a_fresh_sqlite_file(tmp_path: Path, round_: int) -> None:
    url = f"sqlite:///{tmp_path / f'fresh{round_}.db'}"
    results = start_together(config_with_sources(tmp_path, url), 3, {})
    assert_all_started(results, url)


@pytest.mark.postgres
def test_processes_racing_on_a_fresh_postgres_schema(tmp_path: Path, postgres_url: str) -> None:
    config = config_with_sources(tmp_path, "sqlite:///unused.db")
    results = start_together(config, 3, {"NEWSBOT_DATABASE_URL": postgres_url})
    assert_all_started(results, postgres_url)
