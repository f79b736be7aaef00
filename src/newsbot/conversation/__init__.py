"""The channel-neutral conversation layer: Incoming in, Response (neutral Messages) out.

Telegram, the console, and later WeChat and WeCom translate their own updates into an Incoming,
call `Conversation.handle`, and render the Response's messages with core.render. See
docs/conversation.md for the commands and the decisions.
"""

from newsbot.conversation.commands import COMMANDS, CommandSpec, visible_commands
from newsbot.conversation.incoming import Incoming, Response
from newsbot.conversation.router import MAX_INPUT_CHARS, Conversation

__all__ = [
    "COMMANDS",
    "MAX_INPUT_CHARS",
    "CommandSpec",
    "Conversation",
    "Incoming",
    "Response",
    "visible_commands",
]
