"""`newsbot chat`: talk to the bot in the terminal (the console channel), piped or interactive."""

from __future__ import annotations

import asyncio
import sys

import click

from newsbot.cli import CliState, pass_state
from newsbot.service import Newsroom


@click.command("chat")
@click.option("--chat-id", default=None, help="Console subscriber id (default: console.chat_id).")
@click.option("--name", default="", help="Your name in the welcome message.")
@click.option(
    "--poll/--no-poll",
    default=None,
    help="Poll the sources first (default: only when the database has no articles yet).",
)
@pass_state
def chat(state: CliState, chat_id: str | None, name: str, poll: bool | None) -> None:
    """Chat with newsbot here: /start, /search 党建, /digest, /help; /quit or Ctrl-D to leave."""
    from newsbot.app import build_newsroom

    settings = state.settings
    newsroom = build_newsroom(settings)
    try:
        asyncio.run(run_console(newsroom, chat_id or settings.console.chat_id, name, poll))
    finally:
        newsroom.close()


async def run_console(newsroom: Newsroom, chat_id: str, name: str, poll: bool | None) -> None:
    from newsbot.channels.console import ConsoleChat
    from newsbot.conversation import Conversation

    interactive = sys.stdin.isatty()
    if poll or (poll is None and await first_poll_needed(newsroom)):
        await first_poll(newsroom, announce=interactive)
    channel = ConsoleChat(
        Conversation.for_newsroom(newsroom),
        sys.stdin,
        sys.stdout,
        chat_id=chat_id,
        user_name=name,
        prompt=interactive,
    )
    if interactive:
        click.echo("newsbot console: /start, /help, /search 党建, /digest; /quit to leave.\n")
    await channel.run()


async def first_poll_needed(newsroom: Newsroom) -> bool:
    """A fresh database with sources configured: poll once so there is something to read."""
    if not newsroom.settings.sources:
        return False
    return not await asyncio.to_thread(newsroom.latest_articles, 1)


async def first_poll(newsroom: Newsroom, *, announce: bool) -> None:
    if announce:
        click.echo(f"polling {len(newsroom.settings.sources)} sources…", err=True)
    try:
        reports = await newsroom.poll_all()
        await asyncio.to_thread(newsroom.report_sources, reports)
    except Exception as exc:  # the chat still works over what is stored
        click.echo(f"newsbot: first poll failed: {exc}", err=True)
        return
    if announce:
        click.echo(f"polled {len(reports)} sources.", err=True)


COMMANDS = [chat]
