"""The `newsbot` command line. Each command group lives in its own module and registers here."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from newsbot.config import Settings, load_settings
from newsbot.errors import ConfigError, NewsbotError
from newsbot.logs import environment_secrets, install_redaction, redact, secret_values


@dataclass
class CliState:
    """What every command gets: the config path given and the settings, loaded once on demand."""

    config: Path | None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
            install_redaction(secret_values(self._settings))
        return self._settings


pass_state = click.make_pass_decorator(CliState)


class NewsbotGroup(click.Group):
    """Turns our errors into one clear line and the documented exit status."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(redact(f"newsbot: {exc}"), err=True)
            sys.exit(2)
        except NewsbotError as exc:
            click.echo(redact(f"newsbot: error: {exc}"), err=True)
            sys.exit(1)


@click.group(cls=NewsbotGroup)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: $NEWSBOT_CONFIG, else config/newsbot.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.version_option(package_name="newsbot")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """newsbot: news digests of 山西大院资讯网 for Telegram, WeChat, the WeCom app, WeCom/DingTalk/
    Feishu group robots and the console."""
    install_redaction(environment_secrets(os.environ))  # before anything can log or crash
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = CliState(config)


def _register() -> None:
    # Imported here so that each command module can import `cli` and `pass_state` from us.
    from newsbot.cli import (
        chat_cmd,
        config_cmd,
        db_cmd,
        groups_cmd,
        ingest_cmd,
        run_cmd,
        search_cmd,
        summarize_cmd,
        wechat_cmd,
        wecom_cmd,
    )

    modules = (config_cmd, db_cmd, ingest_cmd, search_cmd, chat_cmd, run_cmd, summarize_cmd)
    for module in (*modules, groups_cmd, wechat_cmd, wecom_cmd):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="newsbot")
