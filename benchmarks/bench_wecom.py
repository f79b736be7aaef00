"""WeCom app benchmark: a 30-item digest fan-out through the outbox to the fake WeCom API.

    .venv/bin/python benchmarks/bench_wecom.py [--quick] [--members N] [--rate R]

Setup: N members of the app (default 300; --quick 60), subscribed, due at 08:00 Shanghai, 30
articles, so each digest is several text messages of at most 2,048 bytes. The fake WeCom API
(tests/fakes/wecom_app_api.py) runs on loopback: access tokens, agentid and member checks,
the per-member limits (30 a minute, 1,000 an hour; the excess dropped without an error, as
WeCom does) and WeCom's duplicate check.

Printed, in one run:
- baseline: the same chunks sent unpaced straight through the API client (asyncio.gather, 64
  at a time) to a fresh fake: its msg/s (what the client and fake can do on this machine);
- ours: the digest tick (claim + build + render + enqueue), then the outbox's sustained msg/s
  and its ratio to the configured app rate `[wecom] rate_per_second` (goal >= 0.9) and to the
  baseline; messages WeCom dropped (goal 0), members without a complete digest (goal 0),
  duplicates shown (goal 0), gettoken calls, peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import func, select  # noqa: E402

from delivery_support import add_articles, add_subscribers  # noqa: E402
from fakes.wecom_app_api import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI  # noqa: E402
from fakes.wecom_server import AES_KEY, TOKEN  # noqa: E402
from newsbot.app import (  # noqa: E402
    build_newsroom,
    channel_host,
    engine_of,
)
from newsbot.channels.wecom.api import WeComApi  # noqa: E402
from newsbot.channels.weixin.tokens import SharedToken  # noqa: E402
from newsbot.config import Settings  # noqa: E402
from newsbot.storage.schema import outbox  # noqa: E402
from newsbot.storage.weixin import TokenCache  # noqa: E402

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
FIRST_MEMBER = 10_000


class FixedClock:
    def now(self) -> datetime:
        return NOW


def settings_for(database_url: str, api: FakeWeComAPI, rate: float) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"database_url": database_url},
            "delivery": {"max_items": 30},
            "wecom": {
                "enabled": True,
                "corp_id": CORP_ID,
                "agent_id": AGENT_ID,
                "secret": SECRET,
                "token": TOKEN,
                "encoding_aes_key": AES_KEY,
                "api_base_url": api.base_url,
                "rate_per_second": rate,
            },
        }
    )


def new_fake(members: int) -> FakeWeComAPI:
    api = FakeWeComAPI().start()
    for n in range(members):
        api.add_member(str(FIRST_MEMBER + n))
    return api


async def baseline(chunks: list[tuple[str, str]], members: int, database_url: str) -> float:
    """Unpaced: every chunk at once through the API client, 64 in flight."""
    from newsbot.storage import db

    api = new_fake(members)
    engine = db.create_db_engine(database_url)
    client = WeComApi(api.base_url, CORP_ID, SECRET, AGENT_ID)
    client.token = SharedToken("bench", TokenCache(engine), client.fetch_token, FixedClock())
    gate = asyncio.Semaphore(64)

    async def one(member: str, text: str) -> None:
        async with gate:
            await client.send({"touser": member, "msgtype": "text", "text": {"content": text}})

    started = time.perf_counter()
    await asyncio.gather(*(one(member, text) for member, text in chunks))
    elapsed = time.perf_counter() - started
    await client.close()
    api.stop()
    engine.dispose()
    return len(chunks) / elapsed


async def ours(args: argparse.Namespace, database_url: str) -> tuple[dict[str, float], list]:
    api = new_fake(args.members)
    newsroom = build_newsroom(settings_for(database_url, api, args.rate), clock=FixedClock())
    add_articles(engine_of(newsroom), 30, now=NOW)
    add_subscribers(engine_of(newsroom), args.members, FIRST_MEMBER, channel="wecom")
    host = channel_host(newsroom)
    await newsroom.start_channels(host, ["wecom"])
    delivery = newsroom
    started = time.perf_counter()
    report = delivery.deliver_due_at(NOW)
    tick = time.perf_counter() - started
    started = time.perf_counter()
    sent = 0
    while sent < report.messages:
        result = await delivery.send_outbox()
        sent += result.sent
        if not result.sent:
            await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    members = [str(FIRST_MEMBER + n) for n in range(args.members)]
    chunks = [(m, api_text(body)) for m in members for body in api.messages(m)]
    per_member = {m: len(api.messages(m)) for m in members}
    query = select(outbox.c.chat_id, func.count()).group_by(outbox.c.chat_id)
    with engine_of(newsroom).connect() as conn:
        queued = {str(chat): int(n) for chat, n in conn.execute(query)}
    figures = {
        "members": args.members,
        "messages": report.messages,
        "tick_s": tick,
        "send_s": elapsed,
        "rate": sent / elapsed,
        "dropped": len(api.dropped),
        "incomplete": sum(1 for m in members if per_member[m] < queued.get(m, 1)),
        "duplicates": sum(max(0, per_member[m] - queued.get(m, 0)) for m in members),
        "tokens": api.token_requests,
    }
    await newsroom.stop_channels()
    delivery.close()
    newsroom.close()
    api.stop()
    return figures, chunks


def api_text(body: dict) -> str:
    return str(body["text"]["content"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 members")
    parser.add_argument("--members", type=int, default=None)
    parser.add_argument("--rate", type=float, default=20.0, help="[wecom] rate_per_second")
    args = parser.parse_args()
    args.members = args.members or (60 if args.quick else 300)
    with tempfile.TemporaryDirectory() as tmp:
        figures, chunks = asyncio.run(ours(args, f"sqlite:///{tmp}/ours.db"))
        from newsbot.storage import db

        db.upgrade(db.create_db_engine(f"sqlite:///{tmp}/base.db"))
        unpaced = asyncio.run(baseline(chunks, args.members, f"sqlite:///{tmp}/base.db"))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"WeCom app fan-out: {figures['members']} members, {figures['messages']} messages")
    print(f"  baseline (unpaced client, 64 in flight): {unpaced:.1f} msg/s")
    print(f"  digest tick: {figures['tick_s']:.2f} s")
    print(
        f"  outbox: {figures['rate']:.1f} msg/s = {figures['rate'] / args.rate:.2f} x the "
        f"configured {args.rate:g}/s (goal >= 0.9), {figures['rate'] / unpaced:.2f} x baseline"
    )
    print(
        f"  dropped by WeCom: {figures['dropped']}, members without their whole digest: "
        f"{figures['incomplete']}, duplicates: {figures['duplicates']}, gettoken calls: "
        f"{figures['tokens']}, peak RSS {rss_mb:.0f} MiB"
    )


if __name__ == "__main__":
    main()
