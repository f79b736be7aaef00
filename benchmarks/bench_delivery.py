"""Delivery benchmark: a digest fan-out through the real PTB stack to a rate-limiting fake Bot API.

    .venv/bin/python benchmarks/bench_delivery.py [--quick] [--subscribers N] [--rate R]
                                                  [--database-url URL]
    .venv/bin/python benchmarks/bench_delivery.py --processes N --database-url postgresql://...
                                                  [--rate R] [--limit L] [--subscribers N]

Setup: N subscribers (default 10,000; --quick 2,000), all due at 08:00 Shanghai, 6 articles, so
each digest is one Telegram message. The fake Bot API (tests/fakes/bot_api.py) runs in its own
process on 127.0.0.1 and answers 429 past the configured global rate (sliding 1 s window) and past
1 message/s per chat, like Telegram's flood control. The rate may be scaled (e.g. 10x: 250 msg/s
configured AND enforced, instead of Telegram's 25 vs ~30) to keep the run short; pass --rate 25
for the real figure (10,000 messages then take ~7 minutes). The default is 5x (125 msg/s): on
2 shared cores the real PTB client plus the fake server top out near 200-300 msg/s together.

Printed, in one run:
- baseline: an unpaced PTB send loop (asyncio.gather, 64 at a time) over the first 2,000 chats,
  against a fresh fake with the same limits: its msg/s and 429 count;
- ours: the digest tick (claim + build + render + enqueue) time, then the outbox sender's
  sustained msg/s and its ratio to the configured rate (goal >= 0.9), 429s received (goal 0),
  lost (chats with no digest), duplicates (extra messages), CPU ms of this process and SQL
  statements per message sent (load-independent), peak RSS of this process (the fake is in
  another process and not counted).

--processes N (PostgreSQL; the run happens in a fresh schema of that database): N delivery
processes (tests/delivery_fanout_worker.py, as N `newsbot run`) send one fan-out to a fake that
enforces --limit msg/s globally (default: the rate; Telegram's real figures are --rate 25
--limit 30) and 1 msg/s per chat. Printed for partitioned sending (each process its share of
the chats at rate / N) and, on the same load, for the baseline of independent pacing (each
process at the whole rate, as before) and for one process alone (what this machine sustains
now): the aggregate msg/s against the limit, 429s, lost, duplicates, the busiest process's part,
and the CPU ms per message of the senders together (load-independent).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import signal
import socketserver
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))  # costs.py, also when loaded by a test

from sqlalchemy import func, select  # noqa: E402
from telegram import Bot  # noqa: E402
from telegram.error import RetryAfter  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from costs import Costs  # noqa: E402
from delivery_support import add_articles, add_subscribers, channels_with  # noqa: E402
from fakes.bot_api import FakeBotAPI, RateLimits  # noqa: E402
from newsbot.app import build_delivery  # noqa: E402
from newsbot.channels.telegram import TelegramSender  # noqa: E402
from newsbot.config import DeliverySettings, Settings  # noqa: E402
from newsbot.storage import db  # noqa: E402
from newsbot.storage.articles import ArticleStore  # noqa: E402
from newsbot.storage.outbox import SENDING  # noqa: E402
from newsbot.storage.schema import outbox  # noqa: E402
from pg_schema import fresh_schema  # noqa: E402

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
FIRST_CHAT = 10_000
BASELINE_CHATS = 2_000
WORKER = ROOT / "tests" / "delivery_fanout_worker.py"


class FixedClock:
    """Starts at NOW (08:00 in Shanghai) and runs at real speed, so retry_after delays pass."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def now(self) -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - self.started)


# --- the fake Bot API in its own process (so it does not share our GIL or our RSS) -------------


def _serve(pipe: Connection, rate: float) -> None:
    # The fake writes a response's headers and body separately; without TCP_NODELAY, Nagle's
    # algorithm meets the client's delayed ACK and every answer waits ~40 ms (Telegram's servers
    # do not behave like that). Set it for the fake's handlers in this (the fake's own) process.
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    # The crash runs kill a client mid-request on purpose; its connection resets are expected.
    socketserver.BaseServer.handle_error = lambda self, request, address: None  # type: ignore[method-assign]
    api = FakeBotAPI(rate_limits=RateLimits(global_per_second=rate, per_chat_per_second=1.0))
    api.start()
    pipe.send((api.base_url, api.token))
    while True:
        command = pipe.recv()
        if command == "stats":
            counts = {chat: len(msgs) for chat, msgs in api.all_messages().items()}
            pipe.send({"too_many": api.stats.too_many, "sent": api.stats.sent, "counts": counts})
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

    def stats(self) -> dict[str, Any]:
        self.pipe.send("stats")
        return dict(self.pipe.recv())

    def stop(self) -> None:
        self.pipe.send("stop")
        self.pipe.recv()
        self.process.join(5)


def bot(server: FakeServer) -> Bot:
    request = HTTPXRequest(connection_pool_size=8, read_timeout=30, pool_timeout=30)
    return Bot(server.token, base_url=server.base_url, request=request)


# --- baseline: what a plain PTB loop does under the same limits --------------------------------


async def baseline(rate: float, chats: int) -> dict[str, float]:
    server = FakeServer(rate)
    limit = asyncio.Semaphore(64)
    errors = 0

    async def one(chat: int) -> None:
        nonlocal errors
        async with limit:
            try:
                await plain_bot.send_message(chat, "每日摘要 · 基线")
            except RetryAfter:
                errors += 1

    plain_bot = bot(server)
    async with plain_bot:
        started = time.perf_counter()
        await asyncio.gather(*(one(FIRST_CHAT + i) for i in range(chats)))
        elapsed = time.perf_counter() - started
    stats = server.stats()
    server.stop()
    return {
        "elapsed": elapsed,
        "too_many": stats["too_many"],
        "accepted": stats["sent"],
        "client_429": errors,
    }


# --- ours ----------------------------------------------------------------------------------------


def prepare(url: str, subscribers: int) -> None:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    add_articles(engine, 6, now=NOW)
    for start in range(0, subscribers, 5_000):
        add_subscribers(engine, min(5_000, subscribers - start), first_chat=FIRST_CHAT + start)
    engine.dispose()


async def ours(url: str, rate: float, subscribers: int) -> dict[str, float]:
    server = FakeServer(rate)
    engine = db.create_db_engine(url)
    settings = Settings(delivery=DeliverySettings(rate_per_second=rate))
    sender = TelegramSender.create(server.token, server.base_url)  # what `newsbot run` uses
    async with sender.bot:
        service = build_delivery(
            settings,
            engine,
            FixedClock(),
            ArticleStore(engine),
            channels_with(settings, sender),
        )
        started = time.perf_counter()
        report = await asyncio.to_thread(service.deliver_due_at, NOW)
        enqueue = time.perf_counter() - started
        costs = Costs(engine)
        costs.start()
        started = time.perf_counter()
        sent = await service.sender.drain(poll=0.05)
        elapsed = time.perf_counter() - started
        costs.stop()
        service.close()
    stats = server.stats()
    server.stop()
    engine.dispose()
    counts = stats["counts"]
    chats = [str(FIRST_CHAT + i) for i in range(subscribers)]
    return {
        "queued": report.queued,
        "enqueue_s": enqueue,
        "elapsed": elapsed,
        "sent": sent.sent,
        "too_many": stats["too_many"],
        "lost": sum(1 for c in chats if counts.get(c, 0) == 0),
        "duplicates": sum(max(0, counts.get(c, 0) - 1) for c in chats),
        **costs.per(sent.sent),
    }


# --- crash runs: kill -9 mid-fan-out, restart, count what users received -------------------------


def crash_run(
    tmp: Path, rate: float, subscribers: int, kill_at: float, index: int
) -> dict[str, int]:
    """One kill -9 of a delivery process after `kill_at` of the fan-out, then a restart."""
    url = f"sqlite:///{tmp / f'crash{index}.db'}"
    prepare(url, subscribers)
    server = FakeServer(rate)
    command = [
        sys.executable,
        str(WORKER),
        url,
        server.base_url,
        server.token,
        str(rate),
        NOW.isoformat(),
    ]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while server.stats()["sent"] < subscribers * kill_at:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    engine = db.create_db_engine(url)
    with engine.connect() as conn:
        in_flight = int(conn.scalar(select(func.count()).where(outbox.c.state == SENDING)) or 0)
    engine.dispose()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    counts = server.stats()["counts"]
    server.stop()
    chats = [str(FIRST_CHAT + i) for i in range(subscribers)]
    return {
        "in_flight": in_flight,
        "duplicates": sum(max(0, counts.get(c, 0) - 1) for c in chats),
        "lost": sum(1 for c in chats if counts.get(c, 0) == 0),
    }


# --- several processes on PostgreSQL: partitioned sending vs independent pacing -----------------


def processes_run(
    url: str, rate: float, limit: float, subscribers: int, processes: int, independent: bool
) -> dict[str, float]:
    """One fan-out, enqueued first, then sent by `processes` worker processes at once."""
    with fresh_schema(url, "bench") as schema_url:
        prepare(schema_url, subscribers)
        engine = db.create_db_engine(schema_url)
        settings = Settings(delivery=DeliverySettings(rate_per_second=rate))
        channels = channels_with(settings)  # rendered for Telegram, as `newsbot run` does
        service = build_delivery(settings, engine, FixedClock(), ArticleStore(engine), channels)
        service.deliver_due_at(NOW)
        service.close()
        engine.dispose()
        server = FakeServer(limit)
        command = [sys.executable, str(WORKER), schema_url, server.base_url, server.token]
        start_at = time.time() + 10 + 2 * processes  # after every worker's start-up
        extra = ["--no-enqueue", "--senders", str(processes), "--start-at", str(start_at)]
        extra += ["--independent"] if independent else []
        reports = run_workers([[*command, str(rate), NOW.isoformat(), *extra]] * processes)
        stats = server.stats()
        server.stop()
    counts = stats["counts"]
    chats = [str(FIRST_CHAT + i) for i in range(subscribers)]
    sent = [int(r["send"]["sent"]) for r in reports]
    elapsed = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    return {
        "elapsed": elapsed,
        "sent": sum(sent),
        "busiest": max(sent),
        "too_many": stats["too_many"],
        "lost": sum(1 for c in chats if counts.get(c, 0) == 0),
        "duplicates": sum(max(0, counts.get(c, 0) - 1) for c in chats),
        "cpu_ms": 1000.0 * sum(r["cpu_s"] for r in reports) / max(1, sum(sent)),
    }


def run_workers(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run the worker processes at once; their last JSON lines (output to files: a full pipe
    would block a worker while we wait for another)."""
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in commands]
        workers = [
            subprocess.Popen(command, stdout=log, stderr=log, text=True)
            for command, log in zip(commands, logs, strict=True)
        ]
        reports = []
        for worker, log in zip(workers, logs, strict=True):
            worker.wait(timeout=3600)
            log.seek(0)
            out = log.read()
            if worker.returncode != 0:
                raise RuntimeError(f"worker failed: {out[-2000:]}")
            lines = [line for line in out.splitlines() if line.startswith('{"event": "done"')]
            reports.append(json.loads(lines[-1]))
        return reports


def main_processes(args: argparse.Namespace) -> None:
    url = args.database_url or ""
    if not url.startswith("postgresql"):
        raise SystemExit("--processes needs --database-url postgresql://... (SQLite: one process)")
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    rate, n = args.rate, args.processes
    limit = args.limit or rate
    subscribers = args.subscribers or (1_000 if args.quick else 3_000)  # >= 500 a process: busy
    print(
        f"{n} processes on PostgreSQL, one fan-out of {subscribers} digests; configured rate "
        f"{rate:g} msg/s, the fake enforces {limit:g} msg/s global (sliding 1 s) and 1 msg/s per chat"
    )
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    runs = [
        ("one process alone (reference: this machine now)", 1, False),
        ("independent pacing (baseline)", n, True),
        ("partitioned sending", n, False),
    ]
    for name, processes, independent in runs:
        r = processes_run(url, rate, limit, subscribers, processes, independent)
        aggregate = r["sent"] / r["elapsed"]
        print(
            f"{name}: {r['sent']:.0f} sent in {r['elapsed']:.1f} s = {aggregate:.1f} msg/s "
            f"aggregate = {aggregate / limit:.3f} of the {limit:g}/s limit "
            f"({aggregate / rate:.3f} of the configured {rate:g}); 429s {r['too_many']:.0f}; "
            f"lost {r['lost']:.0f}, duplicates {r['duplicates']:.0f}; busiest process sent "
            f"{r['busiest']:.0f} ({r['busiest'] * processes / max(1, r['sent']):.2f} of an even "
            f"share); "
            f"{r['cpu_ms']:.2f} ms CPU per message (senders together)"
        )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 subscribers instead of 10,000")
    parser.add_argument("--subscribers", type=int, default=None)
    parser.add_argument(
        "--rate",
        type=float,
        default=125.0,
        help="configured AND enforced msg/s (default 125 = 5x)",
    )
    parser.add_argument(
        "--crash-runs", type=int, default=None, help="kill -9 runs (default 3; quick 1)"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="N sending processes on PostgreSQL: partitioned sending vs independent pacing",
    )
    parser.add_argument(
        "--limit", type=float, default=None, help="with --processes: the enforced msg/s"
    )
    args = parser.parse_args()
    if args.processes:
        main_processes(args)
        return
    subscribers = args.subscribers or (2_000 if args.quick else 10_000)
    rate = args.rate
    print(
        f"delivery benchmark: {subscribers} subscribers due at once; configured rate {rate:g} msg/s, "
        f"fake enforces {rate:g} msg/s global (sliding 1 s) and 1 msg/s per chat"
    )

    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    chats = min(BASELINE_CHATS, subscribers)
    base = asyncio.run(baseline(rate, chats))
    print(
        f"baseline (unpaced PTB send loop, 64 concurrent, {chats} chats): "
        f"{base['accepted']:.0f} accepted in {base['elapsed']:.1f} s, 429s: {base['too_many']:.0f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        prepare(url, subscribers)
        result = asyncio.run(ours(url, rate, subscribers))
    sustained = result["sent"] / result["elapsed"]
    print(
        f"digest tick: {result['queued']:.0f} digests claimed, built and enqueued in {result['enqueue_s']:.1f} s "
        f"({result['queued'] / result['enqueue_s']:.0f}/s)"
    )
    print(
        f"sender: {result['sent']:.0f} messages in {result['elapsed']:.1f} s = {sustained:.1f} msg/s sustained"
    )
    print(f"  ratio to configured rate: {sustained / rate:.3f} (goal >= 0.9)")
    print(f"  429s received: {result['too_many']:.0f} (goal 0; baseline {base['too_many']:.0f})")
    print(f"  lost: {result['lost']:.0f}   duplicates: {result['duplicates']:.0f}")
    print(
        f"  costs (load-independent): {result['cpu_ms']:.2f} ms CPU of this process per message "
        f"(sender, PTB client, database threads), {result['sql']:.2f} SQL statements per message"
    )
    print(f"  peak RSS (this process, fake excluded): {peak_rss_mib():.0f} MiB")
    runs = args.crash_runs if args.crash_runs is not None else (1 if args.quick else 3)
    crash_fanout = 2_000
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(runs):
            kill_at = (0.2, 0.5, 0.8)[index % 3]
            r = crash_run(Path(tmp), rate, crash_fanout, kill_at, index)
            print(
                f"crash run {index + 1}: kill -9 after {kill_at:.0%} of {crash_fanout} digests, restart: "
                f"rows in 'sending' at the kill {r['in_flight']}, duplicates received {r['duplicates']}, "
                f"lost {r['lost']}"
            )


if __name__ == "__main__":
    main()
