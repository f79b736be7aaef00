"""What may enter from outside: text without NUL, control characters or lone surrogates, and
dates within what the database and Python's datetime can hold.

Pure functions applied once at each edge (the conversation layer for chat input, the subscriber
store for names, the query parser for date filters), so no inner layer meets such input:
PostgreSQL refuses NUL in text, a lone surrogate cannot be encoded as UTF-8 (a reply that echoes
it fails to send), and `datetime(1, 1, 1)` minus a time-zone offset overflows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# C0 controls except tab, line feed and carriage return; DEL; C1 controls; lone surrogates
# (a paired surrogate never reaches a Python str, so every one left is lone).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# The earliest and latest moments a date filter may name: before 1970 there is no news to find,
# and year 9999 plus a time-zone offset is past datetime.max.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9998, 12, 31, tzinfo=UTC)
LONGEST_SPAN = timedelta(days=365 * 100)


def clean_text(text: str) -> str:
    """`text` without NUL, other control characters and lone surrogates (the rest unchanged)."""
    return _UNWANTED.sub("", text) if _UNWANTED.search(text) else text


def has_unwanted(text: str) -> bool:
    return _UNWANTED.search(text) is not None


def date_in_range(moment: datetime) -> bool:
    """Whether a date filter's moment lies where stored articles can (1970 to 9998)."""
    return EARLIEST <= moment <= LATEST


def span_in_range(span: timedelta) -> bool:
    """Whether a relative filter (since:7d) stays within a century."""
    return timedelta(0) <= span <= LONGEST_SPAN
