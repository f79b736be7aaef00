"""The composition root: the only place that knows every concrete part and wires them together."""

from __future__ import annotations

from newsbot.config import Settings
from newsbot.ports import Clock, SystemClock
from newsbot.service import Newsroom
from newsbot.storage import db


def build_newsroom(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Newsroom:
    """Create the engine (migrating it unless told not to) and the Newsroom over it."""
    engine = db.create_db_engine(settings.storage.database_url, echo=settings.storage.echo_sql)
    if migrate:
        db.upgrade(engine)
    return Newsroom(settings=settings, engine=engine, clock=clock or SystemClock())
