"""Delivery decisions with `now` passed in: who is due for a digest, quiet hours, alert caps.

Pure: no clock reads, no I/O. Every datetime in and out is aware; local times are computed with
zoneinfo so DST is handled by the tz database, not by us:

- a digest time that does not exist on a spring-forward day (02:30 in New York) resolves with the
  pre-transition offset, i.e. it fires just after the gap (03:30 local);
- a digest time that exists twice on a fall-back day (01:30) fires at the first occurrence.

"Due" is decided per subscriber from the most recent scheduled occurrence at or before `now`
(today's if it has passed, else yesterday's): if that local date has no digest recorded and the
occurrence is at most `grace` old, it is due; if it is older, it is missed (recorded and logged
once by the caller, never sent late).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newsbot.core.models import DEFAULT_TIMEZONE, Subscriber

FALLBACK_ZONE = DEFAULT_TIMEZONE


class Verdict(Enum):
    DUE = "due"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class DigestSlot:
    """One scheduled digest occurrence for a subscriber and what to do about it."""

    subscriber_id: int
    local_date: date
    due_at: datetime  # aware UTC
    verdict: Verdict

    @property
    def local_date_key(self) -> str:
        return self.local_date.isoformat()


def zone(name: str) -> ZoneInfo:
    """The subscriber's zone; an unknown name (stored before validation existed) falls back."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def parse_hhmm(text: str) -> time:
    """'07:30' -> time(7, 30); raises ValueError on anything else."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a HH:MM time: {text!r}")
    return time(int(hours), int(minutes))


def local_now(now: datetime, tz_name: str) -> datetime:
    return now.astimezone(zone(tz_name))


def local_date(now: datetime, tz_name: str) -> date:
    return local_now(now, tz_name).date()


def occurrence(day: date, at: time, tz_name: str) -> datetime:
    """The UTC instant of local wall time `at` on `day` (fold=0: see the module docstring)."""
    return datetime.combine(day, at, tzinfo=zone(tz_name)).astimezone(UTC)


def digest_slot(
    subscriber: Subscriber,
    now: datetime,
    recorded_dates: Collection[str],
    grace: timedelta,
) -> DigestSlot | None:
    """The digest occurrence to act on now, or None when nothing is due or it is already recorded."""
    if not (subscriber.active and subscriber.digest_enabled):
        return None
    at = subscriber.digest_time
    today = local_date(now, subscriber.timezone)
    day = today
    due_at = occurrence(today, at, subscriber.timezone)
    if due_at > now:
        day = today - timedelta(days=1)
        due_at = occurrence(day, at, subscriber.timezone)
    if day.isoformat() in recorded_dates:
        return None
    if subscriber.created_at is not None and subscriber.created_at > due_at:
        return None  # subscribed after this occurrence: the first digest is the next one
    verdict = Verdict.DUE if now - due_at <= grace else Verdict.MISSED
    return DigestSlot(subscriber.id, day, due_at, verdict)


def dates_to_check(now: datetime, tz_name: str) -> tuple[str, str]:
    """The local dates (today, yesterday) whose digest records decide `digest_slot`."""
    today = local_date(now, tz_name)
    return today.isoformat(), (today - timedelta(days=1)).isoformat()


def _quiet_window(subscriber: Subscriber) -> tuple[time, time] | None:
    if not subscriber.quiet_start or not subscriber.quiet_end:
        return None
    start, end = parse_hhmm(subscriber.quiet_start), parse_hhmm(subscriber.quiet_end)
    return None if start == end else (start, end)


def in_quiet_hours(subscriber: Subscriber, now: datetime) -> bool:
    """Whether `now` falls in the subscriber's quiet hours (start inclusive, end exclusive)."""
    window = _quiet_window(subscriber)
    if window is None:
        return False
    start, end = window
    wall = local_now(now, subscriber.timezone).time().replace(tzinfo=None)
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end  # the window crosses midnight, e.g. 22:00-07:00


def quiet_hours_end(subscriber: Subscriber, now: datetime) -> datetime:
    """When an alert held back at `now` may go out: the end of the current quiet window, or now."""
    window = _quiet_window(subscriber)
    if window is None or not in_quiet_hours(subscriber, now):
        return now
    _start, end = window
    local = local_now(now, subscriber.timezone)
    day = local.date()
    if local.time().replace(tzinfo=None) >= end:
        day += timedelta(days=1)
    return occurrence(day, end, subscriber.timezone)


def local_day_bounds(now: datetime, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of the subscriber's local day containing `now`, in UTC (23 or 25 h on DST days)."""
    day = local_date(now, tz_name)
    start = occurrence(day, time(0, 0), tz_name)
    end = occurrence(day + timedelta(days=1), time(0, 0), tz_name)
    return start, end


def alerts_allowed(cap_per_day: int, sent_today: int, wanted: int) -> int:
    """How many of `wanted` alerts may still be pushed today under the per-subscriber cap."""
    return max(0, min(wanted, cap_per_day - sent_today))


def backoff_delay(
    attempts: int, *, base: float = 2.0, cap: float = 600.0, jitter: float = 0.0
) -> float:
    """Seconds to wait before attempt `attempts + 1` after a transient failure (exponential).

    `jitter` is a number in [0, 1) drawn by the caller, so this stays deterministic in tests.
    """
    delay: float = min(cap, base * 2.0 ** max(0, attempts - 1))
    return delay * (1.0 + 0.25 * jitter)


def digest_since(last_digest_at: datetime | None, now: datetime, window: timedelta) -> datetime:
    """Start of a digest's article window: the last digest, but never more than `window` back."""
    floor = now - window
    if last_digest_at is None or last_digest_at < floor:
        return floor
    return last_digest_at
