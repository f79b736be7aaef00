"""What the rest of the house knows about WeChat, as data (core.channels.ChannelProfile).

Text messages are 2,048 UTF-8 bytes; there are no inline buttons (numbered choices instead);
customer-service messages reach a reader only inside the window their last action opened
(48 h after a message; docs/wechat.md has the table and sources), and a passive reply must come
within 5 s. A digest is one message: a news card to its page, or one text.
"""

from __future__ import annotations

from newsbot.core.channels import (
    ChannelProfile,
    Dialect,
    ErrorRule,
    Limits,
    Pacing,
    RateWindow,
    SendOutcome,
    SizeUnit,
)

NAME = "wechat"
TEXT_LIMIT_BYTES = 2048
RATE_LIMIT_RETRY_SECONDS = 60.0
# errcode -> what the outbox does (token errors never get here: the API client refreshes).
ERRORS = (
    ErrorRule("45015", SendOutcome.HOLD_UNTIL_CONTACT),  # out of the 48 h window
    ErrorRule("45047", SendOutcome.HOLD_UNTIL_CONTACT),  # the window's quota is used up
    ErrorRule("43004", SendOutcome.RECIPIENT_GONE),  # require subscribe: unfollowed
    ErrorRule("40003", SendOutcome.RECIPIENT_GONE),  # invalid openid
    ErrorRule("45009", SendOutcome.RETRY_AFTER),  # daily API quota
    ErrorRule("45011", SendOutcome.RETRY_AFTER),  # API minute quota
    ErrorRule("45002", SendOutcome.FATAL),  # content too long
    ErrorRule("44002", SendOutcome.FATAL),  # empty post data
    ErrorRule("47001", SendOutcome.FATAL),  # data format error
    ErrorRule("40008", SendOutcome.FATAL),  # invalid message type
    ErrorRule("45008", SendOutcome.FATAL),  # article size out of limit
    ErrorRule("-1", SendOutcome.BACKOFF),  # system busy
)

PROFILE = ChannelProfile(
    name=NAME,
    dialect=Dialect.PLAIN,
    limits=Limits(TEXT_LIMIT_BYTES, SizeUnit.UTF8_BYTES),
    # No published per-second limit for customer-service messages; the window quota (5) is
    # the binding rule. One message a second per reader keeps a reply's parts in order.
    pacing=Pacing(global_per_second=100.0, per_chat=RateWindow(1, 1.0)),
    errors=ERRORS,
    can_edit=False,
    buttons=False,
    reply_window_hours=48.0,
    takes_held=True,
    reply_deadline_seconds=5.0,
    digest_as_card=True,
)
