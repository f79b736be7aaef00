"""Chat latency and throughput through the real PTB stack against the fake Bot API on loopback.

    .venv/bin/python benchmarks/bench_chat.py [--quick]

A temporary SQLite database with sample articles; the real Application (polling, per-chat
ordered updates) answers /time, /search and /digest. Each figure is printed with its ratio to a
baseline measured in the same run: one bare sendMessage round trip through PTB's Bot (what any
reply costs at least); the burst of new chats is compared with the one-at-a-time rate.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from fakes.bot_api import FakeBotAPI  # noqa: E402
from fakes.chat_world import build_world, running_telegram  # noqa: E402


async def baseline_ms(app: object, api: FakeBotAPI, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await app.bot.send_message(1, "ping")  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def reply_ms(api: FakeBotAPI, text: str, rounds: int, first_chat: int) -> list[float]:
    times = []
    for n in range(rounds):
        chat = first_chat + n
        start = time.perf_counter()
        api.inject_message(chat, text)
        await api.async_wait_for(lambda chat=chat: bool(api.messages(chat)), timeout=30)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def burst_per_second(api: FakeBotAPI, chats: int) -> float:
    start = time.perf_counter()
    for n in range(chats):
        api.inject_message(900_000 + n, "/time 7:30")
    await api.async_wait_for(
        lambda: all(api.messages(900_000 + n) for n in range(chats)), timeout=300
    )
    return chats / (time.perf_counter() - start)


async def main(quick: bool) -> None:
    rounds, chats, articles = (10, 50, 50) if quick else (60, 300, 500)
    with tempfile.TemporaryDirectory() as tmp, FakeBotAPI() as api:
        url = f"sqlite:///{tmp}/bench.db"
        room = build_world(
            url, articles=articles, telegram={"base_url": api.base_url, "token": api.token}
        )
        async with running_telegram(room) as telegram:
            app = telegram.app
            base = await baseline_ms(app, api, rounds)
            print(f"baseline: bare sendMessage round trip  median {base:.1f} ms")
            medians = []
            for n, text in enumerate(("/time 7:30", "/search 党建", "/digest")):
                times = sorted(await reply_ms(api, text, rounds, 10_000 * (n + 1)))
                median, p90 = statistics.median(times), times[int(len(times) * 0.9) - 1]
                medians.append(median)
                print(
                    f"{text:<12} reply  median {median:6.1f} ms ({median / base:4.1f}x)"
                    f"  p90 {p90:6.1f} ms"
                )
            sequential = 1000 / medians[0]
            rate = await burst_per_second(api, chats)
            print(
                f"{chats} new chats at once (/time): {rate:.0f} replies/s "
                f"({rate / sequential:.2f}x the one-at-a-time rate of {sequential:.0f}/s)"
            )
        room.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and chats")
    asyncio.run(main(parser.parse_args().quick))
