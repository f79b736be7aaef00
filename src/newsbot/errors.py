"""The exception tree of newsbot.

    NewsbotError                 root: everything we raise on purpose
    ├── ConfigError              bad configuration (key + problem); the CLI exits with status 2
    ├── FetchError               a source or article could not be fetched (url, status, reason)
    │   ├── BodyTooLarge         the streamed body passed the size cap
    │   ├── UrlRefused           the URL policy refused the link (private address ...); reason
    │   ├── OverBudget           the source's time budget for this poll is spent
    │   └── RetryLater           the origin asked us to wait (retry_after seconds)
    ├── ParseError               a feed or page could not be understood (url, reason)
    ├── StorageError             the database refused or failed (translated at the storage boundary)
    │   └── AlreadyStored        a unique key is taken (the same outbox message queued twice)
    ├── QueryError               a search query that cannot be run (message meant for the user)
    └── SendError                a channel could not deliver (chat, outcome: core.channels.SendOutcome)

Errors carry data as attributes so callers can decide without parsing messages.
"""

from __future__ import annotations

from newsbot.core.channels import SendOutcome


class NewsbotError(Exception):
    """Root of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """A configuration value is missing or invalid."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config error: {key}: {problem}")
        self.key = key
        self.problem = problem


class FetchError(NewsbotError):
    """A URL could not be fetched."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class BodyTooLarge(FetchError):
    """The response body passed the configured size cap; the download was aborted."""


class UrlRefused(FetchError):
    """The URL policy refused a link or redirect (an internal address, credentials ...)."""


class OverBudget(FetchError):
    """The source used up its time budget for this poll; the link waits for the next one."""


class RetryLater(FetchError):
    """The origin asked us to come back later (429/503 with Retry-After)."""

    def __init__(
        self, url: str, reason: str, retry_after: float, status: int | None = None
    ) -> None:
        super().__init__(url, reason, status)
        self.retry_after = retry_after


class ParseError(NewsbotError):
    """A feed or page could not be parsed."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class StorageError(NewsbotError):
    """The database failed; the original error is chained."""


class AlreadyStored(StorageError):
    """A row with this unique key exists already (e.g. an outbox message queued a moment ago)."""


class QueryError(NewsbotError):
    """A search query that cannot be run; str(error) is safe to show to a user."""


class SendError(NewsbotError):
    """A channel could not deliver a message; `outcome` says what to do about it (as data).

    `retry_after` goes with SendOutcome.RETRY_AFTER (None: the channel profile's block time),
    `moved_to` with RECIPIENT_MOVED.
    """

    def __init__(
        self,
        chat_id: str,
        reason: str,
        outcome: SendOutcome = SendOutcome.BACKOFF,
        *,
        retry_after: float | None = None,
        moved_to: str | None = None,
    ) -> None:
        super().__init__(f"chat {chat_id}: {reason}")
        self.chat_id = chat_id
        self.reason = reason
        self.outcome = outcome
        self.retry_after = retry_after
        self.moved_to = moved_to
