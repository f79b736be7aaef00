"""The pure core of ingest: canonical URLs, keys, hashes, SimHash, the polling schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from newsbot.core import dedupe
from newsbot.core.polling import PollPolicy, backoff_seconds, next_poll_at, poll_delay

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
POLICY = PollPolicy(
    interval_seconds=900, backoff_base_seconds=60, backoff_max_seconds=3600, jitter=0.1
)


def test_canonical_url_drops_tracking_and_fragments() -> None:
    url = "HTTP://WWW.ShanxiDayuan.com:80/gsyl//yangquan/5849.html?utm_source=wx&b=2&a=1&spm=x#top"
    assert (
        dedupe.canonical_url(url) == "http://www.shanxidayuan.com/gsyl/yangquan/5849.html?a=1&b=2"
    )
    assert dedupe.canonical_url("https://a.cn:8443/%E5%85%9A") == dedupe.canonical_url(
        "https://a.cn:8443/党"
    )
    assert dedupe.canonical_url("https://a.cn") == "https://a.cn/"


def test_dedupe_key_prefers_guid_and_treats_url_guids_as_urls() -> None:
    page = "http://www.shanxidayuan.com/gsyl/yangquan/5849.html"
    assert dedupe.dedupe_key(page + "?utm_medium=rss") == dedupe.dedupe_key(page, guid=page + "#x")
    assert dedupe.dedupe_key(page, guid="5849") == "guid:5849"
    assert len(dedupe.dedupe_key(page, guid="g" * 2000)) <= dedupe.MAX_KEY_CHARS


def test_content_hash_ignores_layout_noise_only() -> None:
    assert dedupe.content_hash("标题", "第一段\n第二段") == dedupe.content_hash(
        " 标题", "第一段  第二段 "
    )
    assert dedupe.content_hash("标题", "4804条") != dedupe.content_hash("标题", "4805条")


LEAD = "今年以来,阳泉高新区立足全方位推动高质量发展总目标,聚焦创建国家级高新区总航向,着力增强各领域基层党组织的政治领导力、思想引领力。"


def test_simhash_finds_the_same_story_and_tells_different_ones_apart() -> None:
    one = dedupe.simhash("党建赋能 激活高质量发展红色引擎", LEAD)
    same = dedupe.simhash("党建赋能  激活高质量发展“红色引擎”", LEAD + "(来源:阳泉日报)")
    other = dedupe.simhash(
        "太原市召开优化营商环境推进会",
        "会议要求,各部门要持续深化放管服改革,全年新增市场主体3.2万户。",
    )
    assert one is not None and same is not None and other is not None
    assert dedupe.is_near_duplicate(one, same)
    assert not dedupe.is_near_duplicate(one, other)
    assert dedupe.simhash("", "  ") is None


@given(st.integers(-(2**63), 2**63 - 1), st.sets(st.integers(0, 63), max_size=3))
def test_near_hashes_share_a_band(value: int, flips: set[int]) -> None:
    other = value
    for bit in flips:
        other ^= 1 << bit
    other = (other + 2**63) % 2**64 - 2**63  # back into the signed BIGINT range
    assert dedupe.hamming(value, other) == len(flips)
    assert set(dedupe.bands(value)) & set(dedupe.bands(other))


@given(st.text(max_size=300), st.text(max_size=300))
def test_simhash_fits_a_signed_bigint(title: str, lead: str) -> None:
    value = dedupe.simhash(title, lead)
    assert value is None or -(2**63) <= value < 2**63


def test_schedule_after_success_uses_interval_max_age_and_retry_after() -> None:
    assert poll_delay(POLICY, rand=lambda: 0.0) == 900
    assert poll_delay(POLICY, max_age=1800, rand=lambda: 0.0) == 1800
    assert poll_delay(POLICY, max_age=10**6, rand=lambda: 0.0) == 3600  # max-age capped
    assert poll_delay(POLICY, interval=300, rand=lambda: 0.0) == 300
    assert next_poll_at(NOW, POLICY, rand=lambda: 1.0) == NOW + timedelta(seconds=990)


def test_backoff_doubles_caps_and_honours_retry_after() -> None:
    assert [backoff_seconds(n, POLICY) for n in (1, 2, 3, 7, 100)] == [60, 120, 240, 3600, 3600]
    assert poll_delay(POLICY, failures=1, retry_after=7200, rand=lambda: 0.0) == 7200


@given(st.integers(0, 200), st.floats(0, 10**6) | st.none(), st.floats(0, 1))
def test_jitter_never_undercuts_retry_after(
    failures: int, retry_after: float | None, r: float
) -> None:
    delay = poll_delay(POLICY, failures=failures, retry_after=retry_after, rand=lambda: r)
    assert delay >= (retry_after or 0)
    assert delay <= max(retry_after or 0, 3600) * 1.1 + 1e-6
