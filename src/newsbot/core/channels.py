"""What the rest of the house knows about a channel, as plain values (no I/O).

A channel (Telegram, the console, WeChat, a WeCom/DingTalk/Feishu robot ...) is described by a
`ChannelProfile`: how its text is rendered and measured (dialect, size limit and its unit), how
fast it may be sent to (global, per chat, per group, and the penalty a platform imposes when a
limit is exceeded), what it can do (edit a message, show buttons), and how its errors map to
what the outbox should do (`ErrorRule` -> `SendOutcome`). The outbox, the pacer and the
renderer read these values; none of them ever tests a channel's name.

An outgoing message is an `Outbound`: the recipient, one rendered chunk, its buttons, and its
`kind` (reply, edit, digest, alert, broadcast), whose priority decides who waits when the
channel's rate is the bottleneck: an interactive reply never queues behind a digest fan-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from newsbot.core.replies import Button


class Dialect(StrEnum):
    """How a neutral Message becomes text on the wire (core.render implements each)."""

    TELEGRAM_HTML = "telegram_html"
    PLAIN = "plain"
    WECOM_MARKDOWN = "wecom_markdown"
    MARKDOWN = "markdown"  # DingTalk markdown (JSON-escaped bytes counted, fullwidth-safe)
    FEISHU_POST = "feishu_post"  # Feishu rich text: each chunk is the JSON of a post


class SizeUnit(StrEnum):
    """What a platform counts when it says 'at most N'."""

    UTF16 = "utf16"  # Telegram: UTF-16 code units of the visible text
    UTF8_BYTES = "utf8_bytes"  # WeChat, WeCom, DingTalk, Feishu
    CHARS = "chars"  # code points (the console: no real limit)


@dataclass(frozen=True, slots=True)
class Limits:
    max_size: int | None  # None: no limit (the console)
    unit: SizeUnit = SizeUnit.CHARS
    max_entities: int | None = None  # Telegram: 100 formatting entities per message


@dataclass(frozen=True, slots=True)
class RateWindow:
    """At most `count` messages in any `seconds`."""

    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds


@dataclass(frozen=True, slots=True)
class Pacing:
    """A channel's flood rules. `global_rate` is per bot/app (None: unlimited); `per_chat` applies
    to every recipient, `per_group` in addition to recipients the subscriber record marks as a
    group (never guessed from the id's shape). `block_seconds`: how long the platform blocks a
    recipient that exceeded its limit (DingTalk robots: 600 s) when it does not say itself."""

    global_per_second: float | None = None
    per_chat: RateWindow | None = None
    per_group: RateWindow | None = None
    block_seconds: float = 0.0


class SendOutcome(StrEnum):
    """What a failed send means for the outbox (the platform's error, classified as data)."""

    RETRY_AFTER = "retry_after"  # flood control: retry this recipient after N s (no attempt used)
    BACKOFF = "backoff"  # 5xx, network: retry with exponential backoff, up to max attempts
    RECIPIENT_GONE = "recipient_gone"  # blocked, deleted, kicked: deactivate, fail its rows
    RECIPIENT_MOVED = "recipient_moved"  # a new id (Telegram group -> supergroup): move rows
    BAD_MARKUP = "bad_markup"  # the markup was refused: resend once as plain text
    HOLD_UNTIL_CONTACT = "hold_until_contact"  # WeChat 45015: held until the recipient writes
    FATAL = "fatal"  # this message will never go (bad request): fail the row, keep the rest


@dataclass(frozen=True, slots=True)
class ErrorRule:
    """`code` is the platform's error identity (an error class name, an errcode); `contains`
    narrows it by a case-insensitive marker in the description when the code is too coarse."""

    code: str
    outcome: SendOutcome
    contains: str = ""


def classify(
    rules: Sequence[ErrorRule],
    codes: Sequence[str],
    description: str = "",
    default: SendOutcome = SendOutcome.FATAL,
) -> SendOutcome:
    """The outcome of the first rule matching the most specific code (e.g. an error class, then
    its bases) and the description; rules are ordered specific-first within a code."""
    lowered = description.lower()
    for code in codes:
        for rule in rules:
            if rule.code == code and (not rule.contains or rule.contains in lowered):
                return rule.outcome
    return default


class Kind(StrEnum):
    REPLY = "reply"
    EDIT = "edit"
    ALERT = "alert"
    DIGEST = "digest"
    BROADCAST = "broadcast"


class Priority(IntEnum):
    """Lower goes first when the channel's rate is the bottleneck."""

    INTERACTIVE = 0
    ALERT = 1
    DIGEST = 2
    BULK = 3


PRIORITY_OF_KIND = {
    Kind.REPLY: Priority.INTERACTIVE,
    Kind.EDIT: Priority.INTERACTIVE,
    Kind.ALERT: Priority.ALERT,
    Kind.DIGEST: Priority.DIGEST,
    Kind.BROADCAST: Priority.BULK,
}


@dataclass(frozen=True, slots=True)
class ChannelProfile:
    """Everything the house needs to know about a channel, as data."""

    name: str
    dialect: Dialect
    limits: Limits
    pacing: Pacing
    errors: tuple[ErrorRule, ...] = ()
    can_edit: bool = False
    buttons: bool = False  # inline buttons; without them, numbered choices (console, WeChat)
    reply_window_hours: float | None = None  # WeChat: customer-service messages only inside 48 h
    # the channel takes held messages itself when the recipient writes (WeChat: as the passive
    # reply, ChannelContext.take_held); otherwise they are released to the outbox then
    takes_held: bool = False
    reply_deadline_seconds: float | None = None  # WeChat: a passive reply within 5 s
    digest_as_card: bool = False  # a digest is one message: a card to its page, or one text
    terminal: bool = False  # takes over the terminal: run only when nothing else talks to people
    push_only: bool = False  # a group robot: only pushes, never takes the conversation


@dataclass(frozen=True, slots=True)
class LinkCard:
    """A message that is one link with a title and a short description (WeChat's news card,
    WeCom's textcard): a digest whose full text is its web page (/d/<token>)."""

    title: str
    description: str
    url: str
    image: str = ""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One rendered chunk for one recipient: what a channel's sender takes."""

    recipient: str
    text: str
    kind: Kind = Kind.REPLY
    buttons: tuple[tuple[Button, ...], ...] = ()
    link_preview: bool = False
    plain: bool = False  # resend without markup (after BAD_MARKUP)
    is_group: bool = False  # from the subscriber record / the incoming chat, never from the id
    edit_of: str | None = None  # Kind.EDIT: the platform's id of the message to replace
    priority: Priority = field(default=Priority.INTERACTIVE)
    card: LinkCard | None = None  # send as a link card where the channel has them; else text

    @classmethod
    def of(cls, recipient: str, text: str, kind: Kind, **options: object) -> Outbound:
        """An Outbound whose priority follows its kind."""
        return cls(recipient, text, kind, priority=PRIORITY_OF_KIND[kind], **options)  # type: ignore[arg-type]


PLAIN_PROFILE = ChannelProfile(
    name="plain",
    dialect=Dialect.PLAIN,
    limits=Limits(None, SizeUnit.CHARS),
    pacing=Pacing(),
)
