"""Group subscriptions for the robots (WeCom, DingTalk, Feishu): values and validation, pure.

A group is a subscriber whose address is a robot webhook: the digest tick, the outbox, the pacer,
the (subscriber, local date) record and the delivery ledger treat it like any other subscriber.
What is special lives here: its kind, its webhook and signing secret (both secrets: shown only
masked), and its state (`active`, `paused` by an operator, `rejected` when the platform refused
the key, token or signature, with the platform's reason).

One robot per group: a robot's rate limit is per webhook, and the pacer paces per recipient, so
two groups on one webhook could together exceed it. Adding a second group with the same webhook
is refused.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from newsbot.core.models import DEFAULT_DIGEST_TIME, DEFAULT_TIMEZONE, hhmm
from newsbot.core.schedule import parse_hhmm, zone

NAME = re.compile(r"^[\w\u3400-\u9fff][\w\u3400-\u9fff .·()（）-]{0,63}$")


class GroupKind(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"

    @property
    def channel(self) -> str:
        """The channel (and subscribers.channel) its messages go through."""
        return CHANNEL_OF_KIND[self]


CHANNEL_OF_KIND = {
    GroupKind.WECOM: "wecom_robot",
    GroupKind.DINGTALK: "dingtalk",
    GroupKind.FEISHU: "feishu",
}
KIND_OF_CHANNEL = {channel: kind for kind, channel in CHANNEL_OF_KIND.items()}


class GroupState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by an operator (`newsbot groups pause`)
    REJECTED = "rejected"  # the platform refused the key/token/signature: fix, then resume


ALERT_MODES = ("push", "digest", "off")


class GroupError(ValueError):
    """A group setting that cannot be accepted; str() is the operator-facing reason."""


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """What `newsbot groups add` asks for, validated by `validate_spec`."""

    name: str
    kind: GroupKind
    webhook: str
    secret: str | None = None
    digest_time: str = hhmm(DEFAULT_DIGEST_TIME)  # as typed (validated by validate_spec)
    timezone: str = DEFAULT_TIMEZONE
    sections: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    alert_mode: str = "push"
    quiet_start: str | None = None
    quiet_end: str | None = None


@dataclass(frozen=True, slots=True)
class RobotTarget:
    """Where a robot channel posts for one group (both fields are secrets)."""

    webhook: str
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class GroupView:
    """A group as `newsbot groups list` and /healthz show it (secrets masked)."""

    name: str
    kind: str
    webhook_masked: str
    has_secret: bool
    digest_time: str
    timezone: str
    sections: tuple[str, ...]
    keywords: tuple[str, ...]
    alert_mode: str
    quiet: str | None
    state: str
    state_reason: str | None
    last_delivery_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    subscriber_id: int


def chat_id_of(name: str) -> str:
    """The subscriber chat id of a group (prefixed: never equal to a Telegram or console id)."""
    return f"group:{name}"


def validate_spec(spec: GroupSpec) -> GroupSpec:
    """The spec with its webhook trimmed; GroupError naming the first bad setting."""
    if not NAME.match(spec.name):
        raise GroupError(
            f"name {spec.name!r}: 1-64 letters, digits, CJK, spaces or ._-() (not starting with one)"
        )
    webhook = spec.webhook.strip()
    check_webhook(spec.kind, webhook)
    _check_time("--time", spec.digest_time)
    if zone(spec.timezone).key != spec.timezone:  # zone() falls back on unknown names
        raise GroupError(f"--timezone {spec.timezone!r} is not an IANA time zone")
    if spec.alert_mode not in ALERT_MODES:
        raise GroupError(f"--alerts must be one of {', '.join(ALERT_MODES)}")
    if (spec.quiet_start is None) != (spec.quiet_end is None):
        raise GroupError("--quiet needs both ends, HH:MM-HH:MM")
    for value in (spec.quiet_start, spec.quiet_end):
        if value is not None:
            _check_time("--quiet", value)
    if spec.secret is not None and not spec.secret.strip():
        raise GroupError("--secret is empty")
    return dataclasses.replace(spec, webhook=webhook)


def parse_quiet(text: str) -> tuple[str, str]:
    """'22:00-07:00' -> ('22:00', '07:00')."""
    start, sep, end = text.partition("-")
    if not sep:
        raise GroupError(f"--quiet {text!r}: expected HH:MM-HH:MM")
    _check_time("--quiet", start.strip())
    _check_time("--quiet", end.strip())
    return start.strip(), end.strip()


def check_webhook(kind: GroupKind, url: str) -> None:
    """The webhook must be http(s) and carry what the platform needs (key, token, hook id)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GroupError("--webhook must be an http(s) URL as the platform shows it")
    query = dict(parse_qsl(parts.query))
    if kind is GroupKind.WECOM and not query.get("key"):
        raise GroupError("--webhook: a WeCom robot URL ends in ...webhook/send?key=KEY")
    if kind is GroupKind.DINGTALK and not query.get("access_token"):
        raise GroupError("--webhook: a DingTalk robot URL ends in ...robot/send?access_token=TOKEN")
    if kind is GroupKind.FEISHU and "/hook/" not in parts.path:
        raise GroupError("--webhook: a Feishu bot URL ends in .../bot/v2/hook/ID")


def mask_webhook(url: str) -> str:
    """The webhook with its key/token/hook id masked: safe to print and log."""
    parts = urlsplit(url)
    path = parts.path
    if "/hook/" in path:
        head, _sep, hook = path.rpartition("/hook/")
        path = f"{head}/hook/{mask_secret(hook)}"
    query = "&".join(
        f"{k}={mask_secret(v) if k in ('key', 'access_token') else v}"
        for k, v in parse_qsl(parts.query)
    )
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")


def mask_secret(value: str) -> str:
    """First and last 2 characters at most, never more than a quarter of the value."""
    if len(value) < 12:
        return "****"
    return f"{value[:2]}****{value[-2:]}"


def _check_time(option: str, value: str) -> None:
    try:
        at = parse_hhmm(value)
    except ValueError:
        raise GroupError(f"{option} {value!r}: expected HH:MM (00:00-23:59)") from None
    if len(value) != 5 or at.hour > 23:
        raise GroupError(f"{option} {value!r}: expected HH:MM (00:00-23:59)")
