"""Alembic environment: runs on the connection newsbot hands it (see storage/db.py)."""

from __future__ import annotations

from alembic import context

from newsbot.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - newsbot always passes a connection
    raise RuntimeError("run migrations through `newsbot db upgrade`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
