"""/healthz and /metrics answer from the database state, on both backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine

from newsbot.health import HealthServer, collect_status
from newsbot.storage import db


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)


def test_status_of_empty_database(engine: Engine) -> None:
    status = collect_status(engine, FixedClock())
    assert status.ok
    assert status.articles == 0
    assert status.schema_revision == db.head_revision()


def test_endpoints(engine: Engine) -> None:
    server = HealthServer(engine, FixedClock(), "127.0.0.1", 0)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        assert json.loads(health.text)["ok"] is True
        metrics = httpx.get(f"{base}/metrics").text
        assert "newsbot_up 1.0" in metrics
        assert "newsbot_articles 0.0" in metrics
        assert httpx.get(f"{base}/nope").status_code == 404
    finally:
        server.stop()


def test_unreachable_database_reports_not_ok() -> None:
    broken = db.create_db_engine("postgresql://nobody@127.0.0.1:1/none")
    status = collect_status(broken, FixedClock())
    assert not status.ok
    assert status.database.startswith("error")
