"""WeChat and Telegram-webhook readers at once against `newsbot run`'s HTTP front on loopback.

    .venv/bin/python benchmarks/bench_wechat.py [--quick]

`newsbot run` runs as its own process (SQLite with sample articles, WeChat safe mode, Telegram
in webhook mode) with a fake api.weixin.qq.com and a fake Bot API on loopback. This process
plays WeChat with wechatpy: N readers each send an encrypted "党建" at the same moment, and each
passive reply is verified, decrypted and checked for results. Then N Telegram updates are posted
to /telegram at once, each timed until its reply reaches the Bot API. Printed: answered, p50 and
p99 against WeChat's 5 s limit, and the ratio to a baseline measured in the same run (one
reader alone, median of several).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

import httpx  # noqa: E402

from fakes.bot_api import FakeBotAPI  # noqa: E402
from fakes.chat_world import build_world  # noqa: E402
from fakes.wechat_api import APP_ID, APP_SECRET, FakeWeChatAPI  # noqa: E402
from fakes.wechat_server import AES_KEY, TOKEN, WeChatServer  # noqa: E402

LIMIT_MS = 5000.0
HOOK_SECRET = "bench-hook-secret"
TELEGRAM_RATE = 30.0  # the fake Bot API's (and Telegram's) global rate


def start_service(config: Path, wechat: FakeWeChatAPI, bot: FakeBotAPI) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        NEWSBOT_HTTP_PORT="0",
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


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU the service process has used (Linux /proc; None elsewhere): the cost
    per answer, which the machine's load does not inflate as it does the latencies."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


LATE: list[str] = []  # readers answered "success" in time, then by customer-service message


async def wechat_reader(server: WeChatServer, openid: str) -> tuple[float, bool]:
    start = time.perf_counter()
    reply = await server.send(openid, "党建")
    elapsed = (time.perf_counter() - start) * 1000
    if reply.kind == "success":
        LATE.append(openid)
    return elapsed, reply.kind == "text" and "党建" in reply.content


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


ACKS: list[float] = []  # the front's answer to each webhook POST (before the reply is sent)


async def telegram_reader(
    client: httpx.AsyncClient, url: str, bot: FakeBotAPI, chat: int
) -> tuple[float, bool]:
    start = time.perf_counter()
    posted = await client.post(
        url, json=update(chat, chat), headers={"X-Telegram-Bot-Api-Secret-Token": HOOK_SECRET}
    )
    ACKS.append((time.perf_counter() - start) * 1000)
    while posted.status_code == 200 and not bot.messages(chat):
        if time.perf_counter() - start > 60:
            break
        await asyncio.sleep(0.005)
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, bool(bot.messages(chat)) and "党建" in bot.messages(chat)[0]["plain"]


def report(name: str, results: list[tuple[float, bool]], baseline: float) -> None:
    times = sorted(t for t, _ in results)
    answered = sum(ok for _, ok in results)
    p50 = statistics.median(times)
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    print(
        f"{name}: {answered}/{len(results)} answered; p50 {p50:.0f} ms ({p50 / baseline:.1f}x), "
        f"p99 {p99:.0f} ms ({p99 / baseline:.1f}x the baseline, {p99 / LIMIT_MS:.2f} of the 5 s limit), "
        f"max {times[-1]:.0f} ms"
    )


async def measure(
    base: str, wechat: FakeWeChatAPI, bot: FakeBotAPI, readers: int, rounds: int, pid: int
) -> None:
    server = WeChatServer(
        f"{base}/wechat",
        APP_ID,
        api=wechat,
        client=httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=1000)),
    )
    alone = [await wechat_reader(server, f"o_alone_{n}") for n in range(rounds)]
    baseline = statistics.median(t for t, _ in alone)
    print(f"baseline: one WeChat reader alone, median of {rounds}: {baseline:.0f} ms")
    before = cpu_seconds(pid)
    burst = await asyncio.gather(*(wechat_reader(server, f"o_reader_{n}") for n in range(readers)))
    after = cpu_seconds(pid)
    report(f"WeChat, {readers} encrypted readers at once", list(burst), baseline)
    if before is not None and after is not None:
        print(
            f"  service CPU per WeChat answer in the burst: {(after - before) / readers * 1000:.1f} ms"
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(wechat.messages(o) for o in LATE):
        await asyncio.sleep(0.05)
    later = sum(bool(wechat.messages(o)) for o in LATE)
    print(
        f'  answered passively {sum(ok for _, ok in burst)}; "success" within the limit then '
        f"the answer by customer-service message: {later}/{len(LATE)}"
    )
    hook = f"{base}/telegram"
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=1000)) as client:
        alone_tg = [await telegram_reader(client, hook, bot, 500_000 + n) for n in range(rounds)]
        tg_base = statistics.median(t for t, _ in alone_tg)
        print(f"baseline: one Telegram webhook update alone, median of {rounds}: {tg_base:.0f} ms")
        tg = await asyncio.gather(
            *(telegram_reader(client, hook, bot, 600_000 + n) for n in range(readers))
        )
    report(
        f"Telegram webhook, {readers} updates at once (until the reply reaches the Bot API)",
        list(tg),
        tg_base,
    )
    acks = sorted(ACKS[-readers:])
    floor = readers / TELEGRAM_RATE * 1000
    print(
        f"  the front's 200 OK to those POSTs: p50 {statistics.median(acks):.0f} ms, "
        f"p99 {acks[max(0, int(len(acks) * 0.99) - 1)]:.0f} ms; replies are paced at the Bot "
        f"API's {TELEGRAM_RATE:.0f} msg/s, so the last cannot arrive before {floor:.0f} ms"
    )
    await server.client.aclose()


def postgres_schema(url: str) -> tuple[str, str]:
    """(URL whose search_path is a fresh schema, schema name)."""
    import uuid

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", schema


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main(quick: bool, postgres: str | None) -> None:
    readers, rounds, articles = (50, 5, 50) if quick else (200, 20, 500)
    with tempfile.TemporaryDirectory() as tmp, FakeWeChatAPI() as wechat, FakeBotAPI() as bot:
        url, schema = postgres_schema(postgres) if postgres else (f"sqlite:///{tmp}/bench.db", "")
        print(f"database: {'PostgreSQL' if postgres else 'SQLite'}")
        build_world(url, articles=articles).close()
        config = Path(tmp) / "bench.toml"
        config.write_text(f'[storage]\ndatabase_url = "{url}"\n[search]\npage_size = 5\n')
        process = start_service(config, wechat, bot)
        try:
            base = front_address(process)
            asyncio.run(measure(base, wechat, bot, readers, rounds, process.pid))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            if postgres:
                drop_schema(postgres, schema)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 readers instead of 200")
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL (a fresh schema)")
    args = parser.parse_args()
    main(args.quick, args.postgres)
