"""The facade: one object (Newsroom) whose few methods every channel and scheduled job calls.

Each concern lives in its own module here (ingest, search, subscriptions, delivery); Newsroom
holds them and exposes the operations. Construct it in newsbot.app (the composition root).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from newsbot.config import Settings
from newsbot.ports import Clock


@dataclass
class Newsroom:
    """Everything the outside (CLI, chat channels, scheduler) may ask of newsbot."""

    settings: Settings
    engine: Engine
    clock: Clock
