"""WeChat and Telegram-webhook readers at once against `newsbot run`'s HTTP front on loopback.

    .venv/bin/python benchmarks/bench_wechat.py [--quick] [--postgres URL] [--processes N]

`newsbot run` runs as its own process (SQLite with 500 sample articles, WeChat safe mode,
Telegram in webhook mode) with a fake api.weixin.qq.com and a fake Bot API on loopback. This
process plays WeChat with wechatpy: N readers' encrypted "党建" are signed and encrypted first,
then sent at the same moment; each is timed from that moment until its whole answer is back, and
afterwards each passive reply is verified, decrypted and checked for results (so the bench's own
crypto is not in the figures). Then N other readers at once, each with a different query of the
same results (党建 -停电7), so that no search is shared (the service remembers a query's results
for 10 s). Then N Telegram updates are posted to /telegram at once.

Printed per burst: answered, p50 and p99 against WeChat's 5 s limit, the service's CPU per
request (from /proc: the figure the machine's load does not distort) and its SQL statements per
request (its /metrics counter). The baseline, measured in the same run on the same front: N
URL verifications at once (GET /wechat: signature check and echo, no database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import aiohttp  # noqa: E402

from fakes.bot_api import FakeBotAPI  # noqa: E402
from fakes.chat_world import build_world  # noqa: E402
from fakes.wechat_api import APP_ID, APP_SECRET, FakeWeChatAPI  # noqa: E402
from fakes.wechat_server import AES_KEY, TOKEN, Reply, WeChatServer  # noqa: E402
from pg_schema import fresh_schema  # noqa: E402

LIMIT_MS = 5000.0
HOOK_SECRET = "bench-hook-secret"
TELEGRAM_RATE = 30.0  # the fake Bot API's (and Telegram's) global rate
XML = {"Content-Type": "text/xml"}
HOOK = {"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET, "Content-Type": "application/json"}


def start_service(
    config: Path, wechat: FakeWeChatAPI, bot: FakeBotAPI, port: int = 0
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        NEWSBOT_HTTP_PORT=str(port),
        NEWSBOT_HTTP_REUSE_PORT="true" if port else "false",
        NEWSBOT_LOG_LEVEL="INFO",
        NEWSBOT_WECHAT_ENABLED="true",
        NEWSBOT_WECHAT_TOKEN=TOKEN,
        NEWSBOT_WECHAT_APP_ID=APP_ID,
        NEWSBOT_WECHAT_APP_SECRET=APP_SECRET,
        NEWSBOT_WECHAT_ENCODING_AES_KEY=AES_KEY,
        NEWSBOT_WECHAT_API_BASE_URL=wechat.base_url,
        NEWSBOT_TELEGRAM_TOKEN=bot.token,
        NEWSBOT_TELEGRAM_BASE_URL=bot.base_url,
        NEWSBOT_TELEGRAM_MODE="webhook",
        NEWSBOT_TELEGRAM_WEBHOOK_SECRET=HOOK_SECRET,
        NEWSBOT_HTTP_PUBLIC_URL="https://news.example.invalid",
        NEWSBOT_SCHEDULER_ENABLED="false",
    )
    command = [sys.executable, "-m", "newsbot", "--config", str(config), "run", "--no-console"]
    return subprocess.Popen(
        [*command, "--no-poll"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def front_address(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if "HTTP front on " in line:  # keep reading its log so the pipe never fills
            threading.Thread(
                target=lambda: list(iter(process.stderr.readline, "")), daemon=True
            ).start()  # type: ignore[union-attr]
            return line.split("HTTP front on ", 1)[1].split()[0]
        if not line and process.poll() is not None:
            raise SystemExit("newsbot run exited")
    raise SystemExit("newsbot run did not start its HTTP front")


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU the service processes have used (Linux /proc; None elsewhere): the
    cost per answer, which the machine's load does not inflate as it does the latencies."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Burst:
    """One burst's figures: each request's time from the common start to its full answer."""

    times: list[float]
    answered: int
    cpu_ms: float | None  # the service's CPU per request (from /proc; load does not inflate it)
    statements: float | None  # SQL statements per request (the service's /metrics counter)

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p99(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, int(len(ordered) * 0.99) - 1)]


class Service:
    """The running `newsbot run` processes: their address, CPU and SQL statement counter (read
    only with one process: several share the port and /metrics answers for one of them)."""

    def __init__(self, base: str, pids: list[int]) -> None:
        self.base, self.pids = base, pids
        self.scrape_cost = 0.0

    async def statements(self, session: aiohttp.ClientSession) -> float:
        if len(self.pids) > 1:
            return float("nan")
        async with session.get(f"{self.base}/metrics") as response:
            text = await response.text()
        for line in text.splitlines():
            if line.startswith("newsbot_sql_statements_total "):
                return float(line.split()[1])
        raise SystemExit("/metrics has no newsbot_sql_statements_total")

    async def calibrate(self, session: aiohttp.ClientSession) -> None:
        """The statements a /metrics scrape runs itself (subtracted from each burst)."""
        first = await self.statements(session)
        self.scrape_cost = await self.statements(session) - first

    async def burst(
        self, session: aiohttp.ClientSession, send: Callable[[], Awaitable[bool]], n: int
    ) -> Burst:
        """`n` requests at once (prepared beforehand); their answers checked afterwards."""
        before_sql, before_cpu = await self.statements(session), cpu_seconds(self.pids)
        start = time.perf_counter()

        async def one() -> tuple[float, bool]:
            ok = await send()
            return (time.perf_counter() - start) * 1000, ok

        results = await asyncio.gather(*(one() for _ in range(n)))
        after_cpu = cpu_seconds(self.pids)
        after_sql = await self.statements(session)
        cpu = None
        if before_cpu is not None and after_cpu is not None:
            cpu = (after_cpu - before_cpu) / n * 1000
        sql = (after_sql - before_sql - self.scrape_cost) / n
        return Burst([t for t, _ in results], sum(ok for _, ok in results), cpu, sql)


def report(name: str, burst: Burst, baseline: Burst | None = None) -> None:
    n = len(burst.times)
    line = (
        f"{name}: {burst.answered}/{n} answered; p50 {burst.p50:.0f} ms, p99 {burst.p99:.0f} ms "
        f"({burst.p99 / LIMIT_MS:.2f} of the 5 s limit)"
    )
    if baseline is not None:
        line += f"; p99 {burst.p99 / baseline.p99:.1f}x the echo baseline"
    print(line)
    cpu = f"{burst.cpu_ms:.2f} ms" if burst.cpu_ms is not None else "n/a (no /proc)"
    extra = ""
    if baseline is not None and burst.cpu_ms and baseline.cpu_ms:
        extra = f" ({burst.cpu_ms / baseline.cpu_ms:.1f}x the echo's)"
    sql = "n/a (several processes)" if math.isnan(burst.statements) else f"{burst.statements:.1f}"
    print(f"  service CPU per request: {cpu}{extra}; SQL statements per request: {sql}")


def prepared_readers(
    server: WeChatServer, prefix: str, n: int, *, distinct: bool = False
) -> list[tuple[str, bytes]]:
    """Each reader's signed, encrypted "党建" as WeChat would send it (made before the clock);
    `distinct`: each a different query with the same results ("党建 -停电7": nothing excluded),
    so no search is shared."""
    requests = []
    for i in range(n):
        text = f"党建 -停电{i}" if distinct else "党建"
        xml, _ = server.message_xml(f"{prefix}{i}", content=text)
        query, body = server.request(xml)
        requests.append((f"{server.url}?{urlencode(query)}", body))
    return requests


async def wechat_bursts(
    service: Service, session: aiohttp.ClientSession, wechat: FakeWeChatAPI, readers: int
) -> tuple[Burst, Burst, Burst]:
    server = WeChatServer(f"{service.base}/wechat", APP_ID, api=wechat)
    replies: list[Reply] = []

    echoes = iter(
        [
            f"{server.url}?{urlencode({**server.signed_query(), 'echostr': f'e{i}'})}"
            for i in range(readers)
        ]
    )

    async def echo() -> bool:  # the front's floor: signature check and echo, no database
        async with session.get(next(echoes)) as response:
            return response.status == 200 and (await response.text()).startswith("e")

    posts = iter(
        prepared_readers(server, "o_reader_", readers)
        + prepared_readers(server, "o_other_", readers, distinct=True)
    )

    async def reader() -> bool:
        url, body = next(posts)
        async with session.post(url, data=body, headers=XML) as response:
            replies.append(server.read_text(response.status, await response.text(), encrypted=True))
        return True  # checked below, after the clock

    echo_burst = await service.burst(session, echo, readers)
    bursts = []
    for _ in range(2):
        replies.clear()
        burst = await service.burst(session, reader, readers)
        good = [r.kind == "text" and "党建" in r.content for r in replies]
        burst.answered = sum(good)  # decrypted, signature verified, results in the reply
        late = sum(r.kind == "success" for r in replies)
        if late:
            print(f'  {late} answered "success" in time, then by customer-service message')
        bursts.append(burst)
    await server.client.aclose()
    return echo_burst, bursts[0], bursts[1]


def update(chat: int, n: int) -> dict[str, Any]:
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "text": "党建",
            "chat": {"id": chat, "type": "private", "first_name": "读者"},
            "from": {"id": chat, "is_bot": False, "first_name": "读者"},
        },
    }


async def telegram_burst(
    service: Service, session: aiohttp.ClientSession, bot: FakeBotAPI, readers: int
) -> None:
    """Webhook updates at once: the front's 200 OK to each POST (what Telegram waits for), then
    each reply's arrival at the fake Bot API (paced at Telegram's 30 msg/s)."""
    chats = iter(range(600_000, 600_000 + readers))
    start = time.perf_counter()

    async def post() -> bool:
        body = json.dumps(update(next(chats), 1)).encode()
        async with session.post(f"{service.base}/telegram", data=body, headers=HOOK) as response:
            return response.status == 200

    acks = await service.burst(session, post, readers)
    report(f"Telegram webhook, {readers} updates at once (the front's 200 OK)", acks)
    deadline = time.monotonic() + 60
    arrived: dict[int, float] = {}
    while len(arrived) < readers and time.monotonic() < deadline:
        for chat in range(600_000, 600_000 + readers):
            if chat not in arrived and bot.messages(chat):
                arrived[chat] = (time.perf_counter() - start) * 1000
        await asyncio.sleep(0.01)
    answered = sum("党建" in bot.messages(chat)[0]["plain"] for chat in arrived)
    times = sorted(arrived.values()) or [0.0]
    floor = readers / TELEGRAM_RATE * 1000
    print(
        f"  replies at the Bot API: {answered}/{readers}; p50 {statistics.median(times):.0f} ms, "
        f"p99 {times[max(0, int(len(times) * 0.99) - 1)]:.0f} ms (paced at {TELEGRAM_RATE:.0f} "
        f"msg/s, the last cannot arrive before {floor:.0f} ms)"
    )


async def measure(
    base: str, wechat: FakeWeChatAPI, bot: FakeBotAPI, readers: int, pids: list[int]
) -> None:
    service = Service(base, pids)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # one connection per reader
    async with aiohttp.ClientSession(connector=connector) as session:
        await service.calibrate(session)
        server = WeChatServer(f"{base}/wechat", APP_ID, api=wechat)
        # warm up every process (each connection may reach another): caches, jieba, the pool
        for url, body in prepared_readers(server, "o_warm_", 20 * len(pids), distinct=True):
            async with session.post(url, data=body, headers=XML) as response:
                await response.read()
        await server.client.aclose()
        echo, same, distinct = await wechat_bursts(service, session, wechat, readers)
        report(f"baseline: {readers} URL verifications at once (GET /wechat, no database)", echo)
        report(f"WeChat, {readers} encrypted readers at once, all 党建 (passive reply)", same, echo)
        report(f"WeChat, {readers} readers at once, each a different query", distinct, echo)
        await telegram_burst(service, session, bot, readers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(quick: bool, postgres: str | None, processes: int) -> None:
    readers, articles = (50, 50) if quick else (200, 500)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        wechat = stack.enter_context(FakeWeChatAPI())
        bot = stack.enter_context(FakeBotAPI())
        sqlite = f"sqlite:///{tmp}/bench.db"
        url = stack.enter_context(fresh_schema(postgres, "bench")) if postgres else sqlite
        print(f"database: {'PostgreSQL' if postgres else 'SQLite'}")
        build_world(url, articles=articles).close()
        config = Path(tmp) / "bench.toml"
        config.write_text(f'[storage]\ndatabase_url = "{url}"\n[search]\npage_size = 5\n')
        port = free_port() if processes > 1 else 0  # several: one port, SO_REUSEPORT
        started: list[subprocess.Popen[str]] = []
        try:
            for _ in range(processes):
                started.append(start_service(config, wechat, bot, port))
                base = front_address(started[-1])
            print(f"newsbot run processes on the front's port: {processes}")
            asyncio.run(measure(base, wechat, bot, readers, [p.pid for p in started]))
        finally:
            for process in started:
                process.send_signal(signal.SIGTERM)
                process.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 readers instead of 200")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a fresh schema)")
    parser.add_argument(
        "--processes", type=int, default=1, help="newsbot run processes sharing the port"
    )
    args = parser.parse_args()
    main(args.quick, args.postgres, max(1, args.processes))
