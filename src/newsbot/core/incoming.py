"""What a channel hands the conversation layer (Incoming) and what it gets back (Response).

Pure values: the channel port (ports.Channel) and the conversation layer both name them.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsbot.core.replies import Message


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a chat sent: a text message or a button press, translated by the channel.

    `chat_type` is "private", "group", "supergroup" or "channel". `addressed_to_other` is set by
    channels that know the command named another bot (/help@otherbot). `is_admin` is the channel's
    verdict from the config (telegram.admins); the console user is the local operator.
    `can_manage` says whether this user may change the chat's settings: always in a private
    chat; in a group only its administrators (the channel asks the platform).
    `command_words` is set by channels whose readers type 帮助 rather than /help.
    """

    channel: str
    chat_id: str
    text: str = ""
    chat_type: str = "private"
    user_name: str = ""
    callback_data: str | None = None
    is_edit: bool = False
    is_admin: bool = False
    addressed_to_other: bool = False
    can_manage: bool = True
    # The reader types Chinese command words (时间 7:30, 帮助), not slash commands (WeChat,
    # WeCom): what we tell them to type names the words.
    command_words: bool = False

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup")  # channels get no answers at all


@dataclass(frozen=True, slots=True)
class Response:
    """The replies, in order. For a button press, `edit` says the first message replaces the
    message whose button was pressed, and `notice` is a short toast (Telegram answerCallbackQuery).
    `language` is the subscriber's language the answer was written in ("" when no subscriber was
    read), so a channel adding its own words (numbered choices) need not read it again."""

    messages: tuple[Message, ...] = ()
    edit: bool = False
    notice: str = ""
    language: str = ""

    @classmethod
    def say(cls, *paragraphs: str) -> Response:
        return cls((Message.plain(*paragraphs),))

    @classmethod
    def nothing(cls) -> Response:
        return cls()
