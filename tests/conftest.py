"""Shared fixtures: a migrated database on SQLite and (when configured) PostgreSQL, ../shared paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsbot.storage import db
from pg_schema import fresh_schema

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL")


def shared_path(*parts: str) -> Path:
    """A path inside ../shared; the test is skipped when it is absent (outside this workplace)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not available")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'newsbot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("NEWSBOT_TEST_POSTGRES_URL is not set")
    with fresh_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    """A migrated engine on PostgreSQL only (what needs several processes' database)."""
    engine = db.create_db_engine(postgres_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on each backend."""
    engine = db.create_db_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()
