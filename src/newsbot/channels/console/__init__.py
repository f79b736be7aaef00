"""The console channel: stdin in, plain text out (chat loop, sender, ports.Channel)."""

from newsbot.channels.console.channel import NAME, PROFILE, ConsoleChannel
from newsbot.channels.console.chat import ConsoleChat
from newsbot.channels.console.sender import ConsoleSender
from newsbot.config import Settings

__all__ = ["NAME", "PROFILE", "ConsoleChannel", "ConsoleChat", "ConsoleSender", "build"]


def build(settings: Settings) -> ConsoleChannel:
    """The registry's entry point (newsbot.app.CHANNELS)."""
    return ConsoleChannel(settings)
