"""The seams between the service and the outside world, as Protocols, all in this package.

Adapters implement these; tests put small fakes here (and only here). One module per area:
clock, sources (fetching and summarizing), articles, search, delivery (subscribers, groups,
the outbox, digest pages), storage (the database itself), channels and channel_stores. Import
from `newsbot.ports`: every name is re-exported here, so a Protocol may move between the
modules without touching its users.
"""

from newsbot.core.channels import (
    ChannelProfile,
    Dialect,
    ErrorRule,
    Kind,
    Limits,
    Outbound,
    Pacing,
    Priority,
    RateWindow,
    SendOutcome,
    SizeUnit,
)
from newsbot.ports.articles import ArticleGetter, ArticleReader, ArticleStore, SourceStore
from newsbot.ports.channel_stores import (
    ChannelStores,
    ChoiceStore,
    InboundLedger,
    InboundRecord,
    Offered,
    ReplyWindows,
    TokenCache,
    WindowGrant,
)
from newsbot.ports.channels import Channel, ChannelContext, ChannelSender, RobotDirectory
from newsbot.ports.clock import Clock, SystemClock
from newsbot.ports.delivery import (
    AlertMarks,
    DigestRecords,
    GroupDirectory,
    Outbox,
    PageStore,
    Senders,
    SubscriberStore,
)
from newsbot.ports.search import IndexState, SearchIndexPort
from newsbot.ports.sources import Fetched, Listing, PageFetcher, Summarizer
from newsbot.ports.storage import Database, Expiring, LeaderLock, Transaction

__all__ = [
    "AlertMarks",
    "ArticleGetter",
    "ArticleReader",
    "ArticleStore",
    "Channel",
    "ChannelContext",
    "ChannelProfile",
    "ChannelSender",
    "ChannelStores",
    "ChoiceStore",
    "Clock",
    "Database",
    "Dialect",
    "DigestRecords",
    "ErrorRule",
    "Expiring",
    "Fetched",
    "GroupDirectory",
    "InboundLedger",
    "InboundRecord",
    "IndexState",
    "Kind",
    "LeaderLock",
    "Limits",
    "Listing",
    "Offered",
    "Outbound",
    "Outbox",
    "Pacing",
    "PageFetcher",
    "PageStore",
    "Priority",
    "RateWindow",
    "ReplyWindows",
    "RobotDirectory",
    "SearchIndexPort",
    "SendOutcome",
    "Senders",
    "SizeUnit",
    "SourceStore",
    "SubscriberStore",
    "Summarizer",
    "SystemClock",
    "TokenCache",
    "Transaction",
    "WindowGrant",
]
