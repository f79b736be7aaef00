"""Who is due for a digest, quiet hours and caps: pure decisions on an injected `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from newsbot.core import schedule
from newsbot.core.models import Subscriber
from newsbot.core.schedule import Verdict, digest_slot

GRACE = timedelta(hours=6)


def sub(**kw: object) -> Subscriber:
    base: dict[str, object] = {"id": 1, "channel": "telegram", "chat_id": "1"}
    base.update(kw)
    return Subscriber(**base)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_shanghai_due_after_local_time() -> None:
    s = sub(timezone="Asia/Shanghai", digest_time=time(8, 0))
    assert digest_slot(s, utc(2026, 5, 3, 23, 59), set(), GRACE) is not None  # yesterday's slot
    slot = digest_slot(s, utc(2026, 5, 4, 0, 0), set(), GRACE)  # 08:00 Beijing
    assert slot is not None
    assert slot.verdict is Verdict.DUE
    assert slot.local_date == date(2026, 5, 4)
    assert slot.due_at == utc(2026, 5, 4, 0, 0)


def test_not_due_before_time_when_yesterday_recorded() -> None:
    s = sub(timezone="Asia/Shanghai", digest_time=time(8, 0))
    now = utc(2026, 5, 3, 23, 59)  # 07:59 on 05-04 in Beijing
    assert digest_slot(s, now, {"2026-05-03"}, GRACE) is None


def test_recorded_date_is_not_due_again() -> None:
    s = sub(timezone="UTC", digest_time=time(8, 0))
    assert digest_slot(s, utc(2026, 5, 4, 9), {"2026-05-04"}, GRACE) is None


def test_local_date_differs_from_utc_date() -> None:
    # 07:30 in Shanghai on 05-05 is 23:30 UTC on 05-04: the record is keyed by the LOCAL date.
    s = sub(timezone="Asia/Shanghai", digest_time=time(7, 30))
    slot = digest_slot(s, utc(2026, 5, 4, 23, 31), {"2026-05-04"}, GRACE)
    assert slot is not None and slot.local_date_key == "2026-05-05"


def test_new_york_standard_and_daylight_time() -> None:
    s = sub(timezone="America/New_York", digest_time=time(8, 0))
    winter = digest_slot(s, utc(2026, 1, 15, 13, 0), set(), GRACE)
    summer = digest_slot(s, utc(2026, 7, 15, 12, 0), set(), GRACE)
    assert winter is not None and winter.due_at == utc(2026, 1, 15, 13, 0)
    assert summer is not None and summer.due_at == utc(2026, 7, 15, 12, 0)
    assert digest_slot(s, utc(2026, 7, 15, 11, 59), {"2026-07-14"}, GRACE) is None


def test_new_york_spring_forward_gap_fires_after_the_gap() -> None:
    # 2026-03-08 02:30 does not exist in New York; it fires at 07:30 UTC = 03:30 EDT.
    s = sub(timezone="America/New_York", digest_time=time(2, 30))
    assert digest_slot(s, utc(2026, 3, 8, 7, 29), {"2026-03-07"}, GRACE) is None
    slot = digest_slot(s, utc(2026, 3, 8, 7, 30), {"2026-03-07"}, GRACE)
    assert slot is not None and slot.local_date == date(2026, 3, 8)


def test_new_york_fall_back_fires_once_at_first_occurrence() -> None:
    # 2026-11-01 01:30 happens twice; the first is 05:30 UTC (EDT).
    s = sub(timezone="America/New_York", digest_time=time(1, 30))
    slot = digest_slot(s, utc(2026, 11, 1, 5, 30), {"2026-10-31"}, GRACE)
    assert slot is not None and slot.due_at == utc(2026, 11, 1, 5, 30)
    # An hour later (second 01:30) the date is recorded: nothing more.
    assert digest_slot(s, utc(2026, 11, 1, 6, 30), {"2026-10-31", "2026-11-01"}, GRACE) is None


def test_grace_window_edges() -> None:
    s = sub(timezone="UTC", digest_time=time(8, 0))
    inside = digest_slot(s, utc(2026, 5, 4, 14, 0), set(), GRACE)
    outside = digest_slot(s, utc(2026, 5, 4, 14, 0, 1), set(), GRACE)
    assert inside is not None and inside.verdict is Verdict.DUE
    assert outside is not None and outside.verdict is Verdict.MISSED


def test_catch_up_after_downtime_across_midnight() -> None:
    # Digest at 23:00 local; the service was down 22:00-01:00; at 01:00 yesterday's is due once.
    s = sub(timezone="Asia/Shanghai", digest_time=time(23, 0))
    now = utc(2026, 5, 4, 17, 0)  # 01:00 on 05-05 in Beijing
    slot = digest_slot(s, now, {"2026-05-03"}, GRACE)
    assert slot is not None and slot.verdict is Verdict.DUE
    assert slot.local_date == date(2026, 5, 4)
    assert digest_slot(s, now, {"2026-05-03", "2026-05-04"}, GRACE) is None


def test_long_downtime_skips_instead_of_sending_late() -> None:
    s = sub(timezone="UTC", digest_time=time(8, 0))
    slot = digest_slot(s, utc(2026, 5, 5, 7, 0), set(), GRACE)  # 23 h late
    assert (
        slot is not None and slot.verdict is Verdict.MISSED and slot.local_date == date(2026, 5, 4)
    )


def test_inactive_disabled_and_new_subscribers_are_not_due() -> None:
    now = utc(2026, 5, 4, 9)
    assert digest_slot(sub(timezone="UTC", active=False), now, set(), GRACE) is None
    assert digest_slot(sub(timezone="UTC", digest_enabled=False), now, set(), GRACE) is None
    fresh = sub(timezone="UTC", created_at=utc(2026, 5, 4, 8, 30))
    assert digest_slot(fresh, now, set(), GRACE) is None


def test_unknown_zone_falls_back_to_shanghai() -> None:
    slot = digest_slot(sub(timezone="Mars/Base"), utc(2026, 5, 4, 0, 0), set(), GRACE)
    assert slot is not None and slot.due_at == utc(2026, 5, 4, 0, 0)


@pytest.mark.parametrize(
    ("start", "end", "local_hm", "quiet"),
    [
        ("22:00", "07:00", (23, 0), True),
        ("22:00", "07:00", (3, 0), True),
        ("22:00", "07:00", (7, 0), False),
        ("22:00", "07:00", (21, 59), False),
        ("12:00", "14:00", (13, 0), True),
        ("12:00", "14:00", (14, 0), False),
        ("12:00", "12:00", (12, 0), False),
    ],
)
def test_quiet_hours(start: str, end: str, local_hm: tuple[int, int], quiet: bool) -> None:
    s = sub(timezone="Asia/Shanghai", quiet_start=start, quiet_end=end)
    now = datetime(2026, 5, 4, *local_hm, tzinfo=schedule.zone("Asia/Shanghai")).astimezone(UTC)
    assert schedule.in_quiet_hours(s, now) is quiet


def test_quiet_hours_end_crossing_midnight() -> None:
    s = sub(timezone="Asia/Shanghai", quiet_start="22:00", quiet_end="07:00")
    late = utc(2026, 5, 4, 15, 0)  # 23:00 Beijing
    early = utc(2026, 5, 4, 19, 0)  # 03:00 Beijing on 05-05
    assert schedule.quiet_hours_end(s, late) == utc(2026, 5, 4, 23, 0)
    assert schedule.quiet_hours_end(s, early) == utc(2026, 5, 4, 23, 0)
    noon = utc(2026, 5, 5, 4, 0)
    assert schedule.quiet_hours_end(s, noon) == noon


def test_local_day_bounds_on_dst_day_is_23_hours() -> None:
    start, end = schedule.local_day_bounds(utc(2026, 3, 8, 12), "America/New_York")
    assert end - start == timedelta(hours=23)
    assert start == utc(2026, 3, 8, 5)


def test_alert_cap() -> None:
    assert schedule.alerts_allowed(10, 0, 3) == 3
    assert schedule.alerts_allowed(10, 9, 3) == 1
    assert schedule.alerts_allowed(10, 12, 3) == 0
    assert schedule.alerts_allowed(0, 0, 3) == 0


def test_backoff_grows_and_caps() -> None:
    delays = [schedule.backoff_delay(n, base=2, cap=60) for n in range(1, 8)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]


def test_digest_since_is_bounded_by_window() -> None:
    now = utc(2026, 5, 4, 8)
    window = timedelta(hours=24)
    assert schedule.digest_since(None, now, window) == now - window
    assert schedule.digest_since(utc(2026, 5, 1), now, window) == now - window
    assert schedule.digest_since(utc(2026, 5, 4, 1), now, window) == utc(2026, 5, 4, 1)
