"""A delivery process for the crash, two-process and benchmark runs (run as a subprocess).

    python tests/delivery_fanout_worker.py DB_URL BOT_BASE_URL TOKEN RATE NOW_ISO [--no-enqueue]

It does what `newsbot run`'s delivery and outbox ticks do: the digest tick (claim, build, enqueue),
then sends the outbox through real python-telegram-bot until nothing is pending or in flight.
Prints one JSON line with its report at the end.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))


from delivery_support import channels_with  # noqa: E402
from newsbot.app import build_delivery  # noqa: E402
from newsbot.channels.telegram import TelegramSender  # noqa: E402
from newsbot.config import DeliverySettings, Settings  # noqa: E402
from newsbot.storage import db  # noqa: E402
from newsbot.storage.articles import ArticleStore  # noqa: E402


class FixedClock:
    """Starts at the given instant (08:00 in Shanghai) and runs at real speed."""

    def __init__(self, now: datetime) -> None:
        self.value = now
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.value + timedelta(seconds=time.monotonic() - self.started)


async def main(url: str, base_url: str, token: str, rate: float, now: str, enqueue: bool) -> None:
    engine = db.create_db_engine(url)
    settings = Settings(delivery=DeliverySettings(rate_per_second=rate))
    sender = TelegramSender.create(token, base_url)  # what `newsbot run` uses
    async with sender.bot:
        service = build_delivery(
            settings,
            engine,
            FixedClock(datetime.fromisoformat(now)),
            ArticleStore(engine),
            channels_with(settings, sender),
        )
        recovered = service.recover(everything=not db.is_postgres(engine))
        report = service.deliver_due_at(service.clock.now()) if enqueue else None
        print(json.dumps({"event": "enqueued", "recovered": recovered}), flush=True)
        sent = await service.sender.drain(poll=0.05)
        service.close()
    engine.dispose()
    print(
        json.dumps(
            {
                "event": "done",
                "recovered": recovered,
                "delivery": asdict(report) if report else None,
                "send": asdict(sent),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(
        main(args[0], args[1], args[2], float(args[3]), args[4], "--no-enqueue" not in args)
    )
