"""The Telegram channel (python-telegram-bot 22).

Modules, each importing only those above it: profile (the channel as data: HTML, limits,
pacing, error rules), sender (one chunk on the wire, errors classified), replies (the
conversation's answers, through the paced path), bot (the PTB Application and its handlers),
channel (ports.Channel: start/stop).
"""

from newsbot.channels.telegram.bot import build_application, start_telegram, stop_telegram
from newsbot.channels.telegram.channel import TelegramChannel
from newsbot.channels.telegram.profile import NAME, telegram_profile
from newsbot.channels.telegram.replies import send_messages
from newsbot.channels.telegram.sender import TelegramSender
from newsbot.config import Settings

__all__ = [
    "NAME",
    "TelegramChannel",
    "TelegramSender",
    "build",
    "build_application",
    "send_messages",
    "start_telegram",
    "stop_telegram",
    "telegram_profile",
]


def build(settings: Settings) -> TelegramChannel:
    """The registry's entry point (newsbot.app.CHANNELS)."""
    return TelegramChannel(settings)
