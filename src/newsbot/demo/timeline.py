"""The live demo's timeline: which sample articles the portal shows at a moment, and their dates.

The bundled sample articles are dated 2022, so a digest (articles dated within the last
`delivery.window_hours`) would never show them, and nothing new would ever appear. Rather than
relax that rule for the demo, the demo portal moves the articles into the present: at the start
the oldest `initial` articles are visible, re-dated so the newest is a few minutes old and the
others `spacing` apart before it; then every `every` one more article "is published", dated at
the moment it appears, until all of them are out. The order is the articles' own order, so the
portal reads like the real one. Pure: `now` is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

PORTAL_ZONE = timezone(timedelta(hours=8))  # the portal writes Beijing time without a zone
_TIME = re.compile(rb'<span class="time">(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})</span>')


@dataclass(frozen=True, slots=True)
class SampleArticle:
    path: str  # relative to the portal root, e.g. "gsyl/yangquan/5849.html"
    published: datetime  # as the snapshot dates it (aware, +08:00)


@dataclass(frozen=True, slots=True)
class Timeline:
    articles: tuple[SampleArticle, ...]  # oldest first
    start: datetime
    initial: int = 8
    every: timedelta = timedelta(minutes=3)
    spacing: timedelta = timedelta(minutes=40)
    newest_age: timedelta = timedelta(minutes=5)

    def visible(self, now: datetime) -> dict[str, datetime]:
        """path -> the date the portal shows for it now; articles not yet published are absent."""
        released = self.initial + max(0, int((now - self.start) / self.every))
        shown: dict[str, datetime] = {}
        for index, article in enumerate(self.articles[: min(released, len(self.articles))]):
            if index < self.initial:
                back = self.newest_age + (self.initial - 1 - index) * self.spacing
                shown[article.path] = self.start - back
            else:
                shown[article.path] = self.start + (index - self.initial + 1) * self.every
        return shown

    def next_release(self, now: datetime) -> datetime | None:
        """When the next article appears (None once all are out)."""
        released = self.initial + max(0, int((now - self.start) / self.every))
        if released >= len(self.articles):
            return None
        return self.start + (released - self.initial + 1) * self.every


def sample_articles(root: Path) -> tuple[SampleArticle, ...]:
    """Every article page of the snapshot with the date its page shows, oldest first."""
    found = []
    for page in root.rglob("*.html"):
        if not page.stem.isdigit():
            continue
        match = _TIME.search(page.read_bytes())
        if match is None:
            continue
        when = datetime.strptime(match.group(1).decode(), "%Y-%m-%d %H:%M:%S")
        found.append(
            SampleArticle(page.relative_to(root).as_posix(), when.replace(tzinfo=PORTAL_ZONE))
        )
    return tuple(sorted(found, key=lambda a: (a.published, a.path)))
