"""`newsbot groups`: group subscriptions for WeCom, DingTalk and Feishu robots.

Webhooks and secrets are secrets: they are stored in the database and only ever printed masked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime

import click

from newsbot.cli import CliState, pass_state
from newsbot.core.groups import GroupError, GroupKind, GroupSpec, GroupView, parse_quiet
from newsbot.service.groups import GroupService


@contextmanager
def _groups(state: CliState) -> Iterator[GroupService]:
    from newsbot.app import open_groups

    service, engine = open_groups(state.settings)
    try:
        yield service
    except GroupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


@click.group("groups")
def groups_group() -> None:
    """Group subscriptions: digests and alerts pushed by WeCom, DingTalk and Feishu robots."""


@groups_group.command("add")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in GroupKind]), required=True)
@click.option("--webhook", required=True, help="The robot's webhook URL (stored, shown masked).")
@click.option("--secret", default=None, help="The signing secret (DingTalk SEC..., Feishu).")
@click.option("--time", "digest_time", default=None, help="Daily digest time HH:MM.")
@click.option("--timezone", default=None, help="IANA zone (default: the configured one).")
@click.option("--section", "sections", multiple=True, help="Only these sections (repeatable).")
@click.option("--keyword", "keywords", multiple=True, help="Alert keywords (repeatable).")
@click.option("--alerts", type=click.Choice(["push", "digest", "off"]), default="push")
@click.option("--quiet", default=None, help="Quiet hours HH:MM-HH:MM (alerts wait).")
@pass_state
def add(
    state: CliState,
    name: str,
    kind: str,
    webhook: str,
    secret: str | None,
    digest_time: str | None,
    timezone: str | None,
    sections: tuple[str, ...],
    keywords: tuple[str, ...],
    alerts: str,
    quiet: str | None,
) -> None:
    """Add group NAME (unique) with its robot webhook."""
    with _groups(state) as groups:
        quiet_start, quiet_end = parse_quiet(quiet) if quiet else (None, None)
        spec = GroupSpec(
            name=name,
            kind=GroupKind(kind),
            webhook=webhook,
            secret=secret,
            digest_time=digest_time or "",
            timezone=timezone or "",
            sections=sections,
            keywords=keywords,
            alert_mode=alerts,
            quiet_start=quiet_start,
            quiet_end=quiet_end,
        )
        view = groups.add(spec)
        click.echo(f"added {view.name} ({view.kind}), digest at {view.digest_time} {view.timezone}")


@groups_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def list_groups(state: CliState, as_json: bool) -> None:
    """Every group: kind, schedule, sections, keywords, state, last delivery, last error."""
    with _groups(state) as groups:
        views = groups.list()
    if as_json:
        click.echo(json.dumps([_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo("no groups (add one with `newsbot groups add NAME --kind ... --webhook ...`)")
    for view in views:
        click.echo(_text(view))


@groups_group.command("test")
@click.argument("name")
@pass_state
def test(state: CliState, name: str) -> None:
    """Send one short message to group NAME now and print the platform's answer."""
    with _groups(state) as groups:
        accepted, answer = asyncio.run(groups.test(name))
    click.echo(f"{name}: {'accepted' if accepted else 'refused'} - {answer}")
    if not accepted:
        raise SystemExit(1)


@groups_group.command("pause")
@click.argument("name")
@pass_state
def pause(state: CliState, name: str) -> None:
    """Stop digests and alerts for group NAME until resumed."""
    with _groups(state) as groups:
        click.echo(f"{groups.pause(name).name}: paused")


@groups_group.command("resume")
@click.argument("name")
@pass_state
def resume(state: CliState, name: str) -> None:
    """Resume group NAME (also after the platform refused its key, once fixed)."""
    with _groups(state) as groups:
        click.echo(f"{groups.resume(name).name}: active")


@groups_group.command("remove")
@click.argument("name")
@pass_state
def remove(state: CliState, name: str) -> None:
    """Remove group NAME, its settings and its unsent messages."""
    with _groups(state) as groups:
        groups.remove(name)
    click.echo(f"{name}: removed")


def _json(view: GroupView) -> dict[str, object]:
    data = asdict(view)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
        elif isinstance(value, tuple):
            data[key] = list(value)
    return data


def _text(view: GroupView) -> str:
    state = view.state + (f" ({view.state_reason})" if view.state_reason else "")
    last = view.last_delivery_at.isoformat(timespec="seconds") if view.last_delivery_at else "-"
    lines = [
        f"{view.name}  [{view.kind}]  {state}",
        f"  digest {view.digest_time} {view.timezone}; alerts {view.alert_mode}"
        + (f"; quiet {view.quiet}" if view.quiet else ""),
        f"  sections: {'、'.join(view.sections) or '全部'}; keywords: "
        f"{'、'.join(view.keywords) or '-'}",
        f"  webhook {view.webhook_masked}" + ("; signed" if view.has_secret else ""),
        f"  last delivery {last}; last error {view.last_error or '-'}",
    ]
    return "\n".join(lines)


COMMANDS = [groups_group]
