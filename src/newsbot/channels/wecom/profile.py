"""The WeCom self-built app (企业微信自建应用) as data: sizes, rates, quotas and error codes.

Every number here is cited in docs/wecom.md (the WeCom developer documents: sending app
messages, path/90236; frequency limits, path/90312; global error codes, path/90313). The
per-member limits matter most: past 30 messages a minute or 1,000 an hour to one member,
WeCom *drops* the excess without an error, so nothing may ever be sent past them.
"""

from __future__ import annotations

from dataclasses import dataclass

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

NAME = "wecom"


@dataclass(frozen=True, slots=True)
class WeComLimits:
    text_bytes: int = 2048  # text.content, UTF-8 bytes
    markdown_bytes: int = 2048  # markdown.content, UTF-8 bytes (the app API, not the robot's 4096)
    card_title_bytes: int = 128  # textcard.title
    card_description_bytes: int = 512  # textcard.description
    url_bytes: int = 2048  # textcard.url
    member_per_minute: int = 30  # per app and member; the excess is dropped silently
    member_per_hour: int = 1000
    daily_per_account: int = 200  # per app and day: the account limit (账号上限) times this
    rate_block_seconds: float = 60.0  # a per-minute frequency block lasts 60 s
    token_lifetime_seconds: float = 7200.0  # gettoken's usual expires_in


LIMITS = WeComLimits()

# errcode -> what the outbox does (core.channels.SendOutcome). Token errors (40014, 42001) are
# handled in the API client first: refresh the shared token and retry once; only a second
# refusal gets here, as a transient failure.
ERROR_RULES: tuple[ErrorRule, ...] = (
    ErrorRule("81013", SendOutcome.RECIPIENT_GONE),  # user & party & tag all invalid
    ErrorRule("60111", SendOutcome.RECIPIENT_GONE),  # userid not found
    ErrorRule("40003", SendOutcome.RECIPIENT_GONE),  # invalid UserID
    ErrorRule("40031", SendOutcome.RECIPIENT_GONE),  # invalid UserID list (left the app's scope)
    ErrorRule("45009", SendOutcome.RETRY_AFTER),  # api frequency out of limit
    ErrorRule("45033", SendOutcome.RETRY_AFTER),  # api concurrency out of limit
    ErrorRule("-1", SendOutcome.BACKOFF),  # system busy
    ErrorRule("6000", SendOutcome.BACKOFF),  # data version conflict: retry later
    ErrorRule("40014", SendOutcome.BACKOFF),  # invalid access_token (after one refresh)
    ErrorRule("42001", SendOutcome.BACKOFF),  # access_token expired (after one refresh)
    ErrorRule("40056", SendOutcome.FATAL),  # invalid agentid: the configuration is wrong
    ErrorRule("301002", SendOutcome.FATAL),  # the token's app is not this agentid
    ErrorRule("40008", SendOutcome.FATAL),  # invalid msgtype
    ErrorRule("44004", SendOutcome.FATAL),  # empty text
    ErrorRule("45002", SendOutcome.FATAL),  # content over the size limit
    ErrorRule("40058", SendOutcome.FATAL),  # invalid parameter
    ErrorRule("unreachable", SendOutcome.BACKOFF),  # network, timeout, 5xx, not JSON
)


def wecom_profile(
    message_format: str = "text",
    rate_per_second: float = 20.0,
    limits: WeComLimits = LIMITS,
    *,
    digest_card: bool = False,
) -> ChannelProfile:
    """Text by default: the WeChat plug-in (微工作台) does not show markdown messages.
    `digest_card`: a digest is one textcard to its web page (needs [http] public_url)."""
    markdown = message_format == "markdown"
    return ChannelProfile(
        name=NAME,
        dialect=Dialect.WECOM_MARKDOWN if markdown else Dialect.PLAIN,
        limits=Limits(
            limits.markdown_bytes if markdown else limits.text_bytes, SizeUnit.UTF8_BYTES
        ),
        pacing=Pacing(
            global_per_second=rate_per_second,
            per_chat=RateWindow(limits.member_per_minute, 60.0),
            block_seconds=limits.rate_block_seconds,
        ),
        errors=ERROR_RULES,
        buttons=False,  # numbered choices (回复 1：下一页 ›), as on WeChat
        digest_as_card=digest_card,
    )
