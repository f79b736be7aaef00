"""`newsbot db upgrade|current`: schema migrations."""

from __future__ import annotations

import click

from newsbot.cli import CliState, pass_state
from newsbot.storage import db


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_state
def upgrade(state: CliState, revision: str) -> None:
    """Apply migrations up to REVISION (default: head). Also runs on every start."""
    engine = db.create_db_engine(state.settings.storage.database_url)
    db.upgrade(engine, revision)
    click.echo(f"database at revision {db.current_revision(engine)}")


@db_group.command("current")
@pass_state
def current(state: CliState) -> None:
    """Print the schema revision of the configured database."""
    engine = db.create_db_engine(state.settings.storage.database_url)
    click.echo(f"current: {db.current_revision(engine)}  head: {db.head_revision()}")


COMMANDS = [db_group]
