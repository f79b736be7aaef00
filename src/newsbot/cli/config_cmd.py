"""`newsbot config check`: validate and print the effective configuration, secrets masked."""

from __future__ import annotations

import json

import click

from newsbot.cli import CliState, pass_state
from newsbot.config import config_path, masked_dump


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML-like text.")
@pass_state
def check(state: CliState, as_json: bool) -> None:
    """Validate the config file and environment; print the effective settings."""
    import os

    settings = state.settings
    data = masked_dump(settings)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
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


def _print_table(values: dict[str, object]) -> None:
    for key, value in values.items():
        click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}")


COMMANDS = [config_group]
