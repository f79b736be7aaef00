"""Burst benchmark: N new chats send /start at once, through the real PTB stack, to a Bot API fake
on loopback that enforces Telegram's flood limits (30 msg/s global, 1 msg/s per chat).

    .venv/bin/python benchmarks/bench_burst.py [--quick] [--chats N] [--digests M] [--rate R]

Printed, in one run (each against a fresh fake and a fresh SQLite database):
- baseline: the reply path before issue #9 (replies sent straight out, unpaced; a 429 up to
  10 s waited out once, a longer one dropped), measured here, not quoted;
- ours: replies through the channel's pacer (the paced path of ports.ChannelContext.deliver);
- ours with M digest messages queued in the outbox and being sent (the fan-out of 10,000
  subscribers at 08:00) while the burst arrives: replies take the pacer's slots first.
For each: replies delivered (goal N of N), 429s the fake answered (goal 0), time from the burst
to the last reply, and its ratio to the physical minimum N / R seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import socketserver
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from delivery_support import add_articles, add_subscribers  # noqa: E402
from fakes.bot_api import FakeBotAPI, RateLimits  # noqa: E402
from fakes.chat_world import SettableClock  # noqa: E402
from newsbot.app import (  # noqa: E402
    ChannelHost,
    build_newsroom,
    channel_host,
    engine_of,
)
from newsbot.config import Settings  # noqa: E402
from newsbot.core.channels import Outbound, SendOutcome  # noqa: E402
from newsbot.errors import SendError  # noqa: E402
from newsbot.service import Newsroom  # noqa: E402

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai: the digests are due
FIRST_NEW_CHAT = 5_000_000
FIRST_SUBSCRIBER_CHAT = 10_000
OLD_MAX_RETRY_WAIT = 10.0  # the pre-#9 reply path waited out a 429 this long, once


# --- the fake Bot API in its own process (it must not share our GIL) ----------------------------


def _serve(pipe: Connection, rate: float) -> None:
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    api = FakeBotAPI(rate_limits=RateLimits(global_per_second=rate, per_chat_per_second=1.0))
    api.start()
    pipe.send((api.base_url, api.token))
    while True:
        command, *args = pipe.recv()
        if command == "inject":
            first, count = args
            for chat in range(first, first + count):
                api.inject_message(chat, "/start", user_id=chat)
            pipe.send("ok")
        elif command == "replied":
            first, count = args
            pipe.send(sum(1 for chat in range(first, first + count) if api.messages(chat)))
        elif command == "stats":
            counts = api.all_messages()
            digests = sum(len(m) for c, m in counts.items() if int(c) < FIRST_NEW_CHAT)
            pipe.send({"too_many": api.stats.too_many, "sent": api.stats.sent, "digests": digests})
        else:
            api.stop()
            pipe.send("stopped")
            return


class FakeServer:
    def __init__(self, rate: float) -> None:
        self.pipe, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=_serve, args=(child, rate), daemon=True
        )
        self.process.start()
        self.base_url, self.token = self.pipe.recv()

    def ask(self, *command: Any) -> Any:
        self.pipe.send(command)
        return self.pipe.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(5)


# --- the reply path before #9, for the baseline -------------------------------------------------


class UnpacedHost(ChannelHost):
    """Replies straight out as before issue #9: no pacer; a short 429 waited once, else lost."""

    async def deliver(self, channel: str, message: Outbound) -> str:
        running = self.newsroom.channel(channel)  # its own sender, around the pacer
        assert running is not None
        sender = running.sender
        try:
            return await sender.send(message)
        except SendError as exc:
            wait = exc.retry_after or 0.0
            if exc.outcome is not SendOutcome.RETRY_AFTER or wait > OLD_MAX_RETRY_WAIT:
                raise
            await asyncio.sleep(wait)
            return await sender.send(message)


# --- one run ----------------------------------------------------------------------------------


def world(tmp: str, server: FakeServer, rate: float) -> Newsroom:
    settings = Settings.model_validate(
        {
            "storage": {"database_url": f"sqlite:///{tmp}/burst.db"},
            "telegram": {"base_url": server.base_url, "token": server.token},
            "delivery": {"rate_per_second": rate},
            "scheduler": {"enabled": False},
        }
    )
    return build_newsroom(settings, clock=SettableClock(NOW))


async def burst(server: FakeServer, chats: int) -> dict[str, float]:
    """Inject the burst, wait for every chat to get its reply (or 30 s without progress)."""
    before = server.ask("stats")
    started = time.perf_counter()
    server.ask("inject", FIRST_NEW_CHAT, chats)
    replied, last_change, last_count = 0, started, 0
    while replied < chats and time.perf_counter() - last_change < 30:
        await asyncio.sleep(0.1)
        replied = server.ask("replied", FIRST_NEW_CHAT, chats)
        if replied != last_count:
            last_change, last_count = time.perf_counter(), replied
    elapsed = last_change - started
    after = server.ask("stats")
    return {
        "replied": replied,
        "too_many": after["too_many"] - before["too_many"],
        "elapsed": elapsed,
        "digests": after["digests"] - before["digests"],
    }


async def run_case(
    rate: float,
    chats: int,
    make_host: Callable[[Newsroom], ChannelHost],
    digests: int = 0,
) -> dict[str, float]:
    server = FakeServer(rate)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            newsroom = world(tmp, server, rate)
            await newsroom.start_channels(make_host(newsroom), ["telegram"])
            try:
                sending = None
                if digests:
                    queue_digests(newsroom, digests)
                    sending = asyncio.create_task(send_forever(newsroom))
                    await asyncio.sleep(5)  # the fan-out is in full swing when the burst comes
                    warmup = server.ask("stats")["digests"]
                result = await burst(server, chats)
                if sending is not None:
                    sending.cancel()
                    result["queued"] = digests
                    result["warmup"] = warmup
            finally:
                await newsroom.stop_channels()
                newsroom.close()
    finally:
        server.stop()
    return result


def queue_digests(newsroom: Newsroom, count: int) -> None:
    add_articles(engine_of(newsroom), 6, now=NOW)
    for start in range(0, count, 5_000):
        add_subscribers(
            engine_of(newsroom), min(5_000, count - start), first_chat=FIRST_SUBSCRIBER_CHAT + start
        )
    report = newsroom.deliver_due_at(NOW)
    assert report.messages == count, report


async def send_forever(newsroom: Newsroom) -> None:
    """The scheduler's outbox tick, without the scheduler."""
    while True:
        await newsroom.send_outbox()
        await asyncio.sleep(0.2)


def unpaced(newsroom: Newsroom) -> ChannelHost:
    host = channel_host(newsroom)
    return UnpacedHost(host.conversation, newsroom)


def show(name: str, result: dict[str, float], chats: int, rate: float) -> None:
    minimum = chats / rate
    line = (
        f"{name:<34} replies {int(result['replied']):>4}/{chats}  429s {int(result['too_many']):>5}"
        f"  last reply {result['elapsed']:6.1f} s ({result['elapsed'] / minimum:4.2f}x the "
        f"{minimum:.0f} s minimum)"
    )
    if "queued" in result:
        line += (
            f"\n{'':<34} digests: {int(result['warmup'])} sent in the 5 s before the burst, "
            f"{int(result['digests'])} during it (of {int(result['queued'])} queued)"
        )
    print(line, flush=True)


async def main(chats: int, digests: int, rate: float) -> None:
    print(f"{chats} chats send /start at once; fake Bot API: {rate:g} msg/s global, 1/s per chat")
    print(f"goals: replies {chats}/{chats}, 429s 0, last reply near the {chats / rate:.0f} s minimum; "
          f"with {digests} digests queued, the replies still first (few digests during the burst)")  # fmt: skip
    show("baseline (pre-#9 unpaced replies)", await run_case(rate, chats, unpaced), chats, rate)
    show("ours (paced replies)", await run_case(rate, chats, channel_host), chats, rate)
    with_digests = await run_case(rate, chats, channel_host, digests)
    show(f"ours + {digests} digests in flight", with_digests, chats, rate)


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)  # the baseline's lost replies are counted, not logged
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="120 chats, 2,000 digests")
    parser.add_argument("--chats", type=int, default=None)
    parser.add_argument("--digests", type=int, default=None)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    chats = args.chats or (120 if args.quick else 600)
    digests = args.digests or (2_000 if args.quick else 10_000)
    asyncio.run(main(chats, digests, args.rate))
