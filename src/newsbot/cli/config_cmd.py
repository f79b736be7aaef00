"""`newsbot config check`: validate and print the effective configuration, secrets masked."""

from __future__ import annotations

import json

import click

from newsbot.cli import CliState, pass_state
from newsbot.config import check_channels, config_path, masked_dump
from newsbot.logs import redact


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML-like text.")
@click.option("--connect", is_flag=True, help="Also connect to the database (and report it).")
@pass_state
def check(state: CliState, as_json: bool, connect: bool) -> None:
    """Validate the config file and environment as `run` would; print the effective settings."""
    import os

    from newsbot.app import build_channels

    settings = state.settings
    check_channels(settings, build_channels(settings).names())
    reachable = _connect(settings.storage.database_url) if connect else None
    data = masked_dump(settings)
    if reachable is not None:
        data["database"] = reachable
    if as_json:
        click.echo(redact(json.dumps(data, ensure_ascii=False, indent=2)))
        return
    click.echo(f"# config: {config_path(state.config, os.environ)} (valid)")
    for section, values in data.items():
        if isinstance(values, list):
            for item in values:
                click.echo(f"\n[[{section}]]")
                _print_table(item)
        else:
            click.echo(f"\n[{section}]")
            _print_table(values)


def _connect(url: str) -> dict[str, object]:
    """Reach the database without migrating it; ConfigError (exit 2) when it cannot be used."""
    from newsbot.storage import db

    engine = db.create_db_engine(url)
    try:
        db.check_connection(engine)
        revision = db.current_revision(engine)
    finally:
        engine.dispose()
    head = db.head_revision()
    return {"reachable": True, "schema_revision": revision, "schema_head": head}


def _print_table(values: dict[str, object]) -> None:
    for key, value in values.items():
        click.echo(redact(f"{key} = {json.dumps(value, ensure_ascii=False)}"))


COMMANDS = [config_group]
