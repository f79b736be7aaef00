"""A delivery process for the crash, two-process and benchmark runs (run as a subprocess).

    python tests/delivery_fanout_worker.py DB_URL BOT_BASE_URL TOKEN RATE NOW_ISO [--no-enqueue]
        [--senders N] [--independent] [--start-at EPOCH]

It does what `newsbot run`'s delivery and outbox ticks do: the digest tick (claim, build, enqueue),
then sends the outbox through real python-telegram-bot until nothing is pending or in flight.
Prints one JSON line with its report at the end (with its drain's start and end, wall clock, and
the CPU seconds the process spent in it).

--senders N (PostgreSQL): before sending, wait until N processes are registered as senders and
have slowed down for each other (processes that were running before the fan-out).
--independent: pace alone, at the whole rate, as before partitioned sending (a baseline).
--start-at EPOCH: then wait until this wall-clock time before sending (workers start together).
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
from newsbot.service.delivery import DeliveryService  # noqa: E402
from newsbot.storage import db  # noqa: E402
from newsbot.storage.articles import ArticleStore  # noqa: E402


class FixedClock:
    """Starts at the given instant (08:00 in Shanghai) and runs at real speed."""

    def __init__(self, now: datetime) -> None:
        self.value = now
        self.started = time.monotonic()

    def now(self) -> datetime:
        return self.value + timedelta(seconds=time.monotonic() - self.started)


async def main(
    url: str, base_url: str, token: str, rate: float, now: str, options: list[str]
) -> None:
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
            share_sending="--independent" not in options,
        )
        recovered = service.recover(everything=not db.is_postgres(engine))
        enqueue = "--no-enqueue" not in options
        report = service.deliver_due_at(service.clock.now()) if enqueue else None
        if "--senders" in options:
            await settle(service, int(options[options.index("--senders") + 1]))
        if "--start-at" in options:  # all workers begin sending together (a benchmark)
            await asyncio.sleep(
                max(0.0, float(options[options.index("--start-at") + 1]) - time.time())
            )
        print(json.dumps({"event": "enqueued", "recovered": recovered}), flush=True)
        started, cpu = time.time(), time.process_time()
        sent = await service.sender.drain(poll=0.05)
        finished, cpu = time.time(), time.process_time() - cpu
        service.close()
    engine.dispose()
    print(
        json.dumps(
            {
                "event": "done",
                "recovered": recovered,
                "delivery": asdict(report) if report else None,
                "send": asdict(sent),
                "started": started,
                "finished": finished,
                "cpu_s": cpu,  # of the drain (every thread of this process)
            }
        ),
        flush=True,
    )


async def settle(service: DeliveryService, count: int, timeout: float = 60.0) -> None:
    """Wait until `count` senders are registered and each paces at its share."""
    shares = service.shares
    if shares is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await shares.beat()
        members = shares.members
        if len(members) == count and all(m.pace == count for m in members):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{count} senders did not settle: {shares.members}")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], args[1], args[2], float(args[3]), args[4], args[5:]))
