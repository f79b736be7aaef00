"""The command table: name -> handler, menu description (an i18n key), admin-only or not.

Channels use it for their menus (Telegram set_my_commands in zh and en) and /help lists it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from newsbot.conversation import account, admin, keywords, reading, search
from newsbot.conversation.incoming import Response
from newsbot.conversation.turn import Turn
from newsbot.conversation.words import WORD_OF
from newsbot.core.replies import Message, text_block

Handler = Callable[[Turn, str], Awaitable[Response]]


async def help_(turn: Turn, args: str) -> Response:
    """/help lists the table below (here, so account.py need not import this module)."""
    if turn.incoming.command_words and turn.lang == "zh":
        lines = [
            _in_words(spec.name, turn.t(spec.description)) for spec in visible_commands(admin=False)
        ]
    else:
        lines = [
            f"/{spec.name} — {turn.t(spec.description)}" for spec in visible_commands(admin=False)
        ]
    blocks = [text_block(turn.t("help.title"), bold=True), text_block("\n".join(lines))]
    if turn.incoming.is_admin:
        admin = [
            f"/{spec.name} — {turn.t(spec.description)}"
            for spec in visible_commands(admin=True)
            if spec.admin
        ]
        blocks += [text_block(turn.t("help.admin"), bold=True), text_block("\n".join(admin))]
    blocks.append(text_block(turn.t("help.search_hint")))
    return Response((Message(tuple(blocks)),))


def _in_words(name: str, description: str) -> str:
    """A help line in the command word a WeChat reader types: 时间 — 设置摘要时间，如 时间 07:30."""
    word = WORD_OF.get(name)
    if word is None:
        return f"/{name} — {description}"
    return f"{word} — {description.replace(f'/{name}', word)}"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    handler: Handler
    description: str  # i18n key
    admin: bool = False
    manage: bool = False  # changes the chat's settings: in a group, only its administrators


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", account.start, "cmd.start", manage=True),
    CommandSpec("help", help_, "cmd.help"),
    CommandSpec("search", search.search, "cmd.search"),
    CommandSpec("digest", reading.digest, "cmd.digest"),
    CommandSpec("latest", reading.latest, "cmd.latest"),
    CommandSpec("subscribe", account.subscribe, "cmd.subscribe", manage=True),
    CommandSpec("unsubscribe", account.unsubscribe, "cmd.unsubscribe", manage=True),
    CommandSpec("time", account.time, "cmd.time", manage=True),
    CommandSpec("tz", account.tz, "cmd.tz", manage=True),
    CommandSpec("keywords", keywords.keywords, "cmd.keywords", manage=True),
    CommandSpec("settings", account.settings, "cmd.settings"),
    CommandSpec("lang", account.lang, "cmd.lang", manage=True),
    CommandSpec("stats", admin.stats, "cmd.stats", admin=True),
    CommandSpec("broadcast", admin.broadcast, "cmd.broadcast", admin=True),
)
BY_NAME = {spec.name: spec for spec in COMMANDS}
# Callback payload prefixes -> handlers (payload in, response out).
BUTTONS: dict[str, Callable[[Turn, str], Awaitable[Response]]] = {
    "s": search.page_button,
    "S": search.page_button,
    "set": account.settings_button,
}


def visible_commands(*, admin: bool) -> list[CommandSpec]:
    """The commands to show: admin ones only to admins."""
    return [spec for spec in COMMANDS if admin or not spec.admin]
