"""Telling operators about failing sources: in the log, and in their chats (`[admin] chats`).

Each failed poll is one INFO line. When a source has failed `admin.report_after_failures`
times in a row (one timeout is not news) it is one WARNING line and one message to each admin
chat; when such a source works again, one INFO line and one message. Not a message per
failure: a source that fails for a week says so twice. Messages go through the outbox like any
other (paced, retried, kept across restarts), deduplicated per source, event and poll time.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsbot.config import Settings
from newsbot.core.i18n import t
from newsbot.core.models import NewMessage
from newsbot.core.replies import Message
from newsbot.errors import AlreadyStored
from newsbot.ports import Database, Outbox
from newsbot.service.channels import ChannelRegistry
from newsbot.service.ingest import SourceReport

log = logging.getLogger("newsbot.sources")


@dataclass(frozen=True, slots=True)
class SourceEvent:
    key: str
    name: str
    kind: str  # "failing" or "recovered"
    failures: int
    error: str


def source_events(
    reports: Sequence[SourceReport], names: dict[str, str], threshold: int
) -> list[SourceEvent]:
    """The reports that start or end a reported failure (pure: reports in, events out)."""
    events = []
    for report in reports:
        name = names.get(report.key, report.key)
        if report.failures == threshold:
            events.append(
                SourceEvent(report.key, name, "failing", report.failures, report.error or "")
            )
        elif report.failures == 0 and report.failures_before >= threshold:
            events.append(SourceEvent(report.key, name, "recovered", report.failures_before, ""))
    return events


class AdminReports:
    def __init__(
        self, settings: Settings, database: Database, outbox: Outbox, channels: ChannelRegistry
    ) -> None:
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.channels = channels
        self.names = {s.key: s.name for s in settings.sources}

    def after_poll(self, reports: Sequence[SourceReport], now: datetime) -> list[SourceEvent]:
        """Log every failure; report the starts and ends of failures to the admin chats."""
        for report in reports:
            if report.failures:
                log.info(
                    "source %s failed (%d in a row): %s", report.key, report.failures, report.error
                )
        threshold = self.settings.admin.report_after_failures
        events = source_events(reports, self.names, threshold)
        for event in events:
            self._log(event)
        if events and self.settings.admin.chats:
            self._queue(events, now)
        return events

    def _log(self, event: SourceEvent) -> None:
        if event.kind == "failing":
            log.warning(
                "source %s is failing (%d polls in a row): %s",
                event.key,
                event.failures,
                event.error,
            )
        else:
            log.info("source %s works again after %d failed polls", event.key, event.failures)

    def _queue(self, events: Sequence[SourceEvent], now: datetime) -> None:
        language = self.settings.delivery.default_language
        rows = []
        for event in events:
            text = t(
                language,
                f"admin.source_{event.kind}",
                name=event.name,
                key=event.key,
                failures=event.failures,
                error=event.error[:300],
            )
            stamp = hashlib.sha256(f"{event.key}|{event.kind}|{now.isoformat()}".encode())
            for chat in self.settings.admin.chats:
                channel, _, chat_id = chat.partition(":")
                for index, chunk in enumerate(self.channels.render(channel, Message.plain(text))):
                    rows.append(
                        NewMessage(
                            dedupe_key=f"admin:{stamp.hexdigest()[:16]}:{chat}:{index}",
                            subscriber_id=None,
                            channel=channel,
                            chat_id=chat_id,
                            kind="alert",
                            payload={"text": chunk, "link_preview": False},
                        )
                    )
        try:
            with self.database.transaction() as tx:
                self.outbox.enqueue(tx, rows, now)
        except AlreadyStored:  # this very report was queued already
            pass
