"""Group robots benchmark: 300 robot groups (100 WeCom, 100 DingTalk, 100 Feishu) and 1,000
Telegram subscribers all due at once, against loopback fakes that enforce each platform's rules.

    .venv/bin/python benchmarks/bench_groups.py [--quick] [--groups-per-kind N]
                                                [--subscribers N] [--alerts N] [--crash-runs N]

Real time, nothing scaled: the fakes enforce WeCom's and DingTalk's 20 messages per minute per
robot (DingTalk blocks a robot 10 minutes past it), Feishu's 5 per second and 100 per minute, the
byte limits and signatures; the Telegram fake enforces 30 msg/s and 1 msg/s per chat. The fakes
run in their own process (not in our GIL or our RSS).

Load: each group's digest holds 30 items with long key points (several messages per group), then
30 matching articles arrive and each group (keyword 党建, alerts push) gets 30 keyword alerts: so
every robot has more queued than its per-minute cap and its sustained rate can be measured.
Telegram subscribers get a one-message digest of another section.

Printed:
- baseline, measured in the same run: an unpaced loop posting the same per-robot load to 10
  fresh robots of each kind at once: how many each platform accepted, how many rate-limit answers;
- ours: messages per kind, rate-limit answers (goal 0), each robot's sustained rate against its
  cap (goal >= 0.9): for a window of C messages per W seconds, W / mean(t[k+C] - t[k]) over the
  robot's accepted messages (1.0 = the window refilled as soon as the platform allows). Every
  robot's messages are all queued before sending starts, so each robot has a backlog from the
  first gap to the last: a gap is never long for want of messages. A robot with C or fewer
  messages has no gap and is not counted (nothing in it says how close to its cap it came);
  min and median over robots, and all robots' gaps pooled;
- costs that load does not change: CPU ms of this process and SQL statements per message sent;
- completeness: every group exactly one complete digest (every item once) and every alert once;
  every Telegram subscriber exactly one digest; duplicates; peak RSS of this process;
- crash runs (kill -9 of the delivering process mid fan-out, restart): digest messages in
  'sending' at the kill, duplicates received, groups or subscribers missing anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import resource
import signal
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))  # costs.py, also when loaded by a test

import httpx  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from costs import Costs  # noqa: E402
from delivery_support import add_subscribers  # noqa: E402
from fakes.bot_api import FakeBotAPI, RateLimits  # noqa: E402
from fakes.dingtalk_api import FakeDingTalk  # noqa: E402
from fakes.feishu_api import FakeFeishu  # noqa: E402
from fakes.wecom_robot_api import FakeWeComRobots  # noqa: E402
from newsbot.app import build_channels, build_delivery  # noqa: E402
from newsbot.channels.telegram import TelegramSender  # noqa: E402
from newsbot.config import DeliverySettings, Settings  # noqa: E402
from newsbot.core.groups import GroupKind, GroupSpec, validate_spec  # noqa: E402
from newsbot.core.models import Summary  # noqa: E402
from newsbot.storage import db  # noqa: E402
from newsbot.storage.articles import ArticleStore  # noqa: E402
from newsbot.storage.groups import GroupStore  # noqa: E402
from newsbot.storage.outbox import SENDING  # noqa: E402
from newsbot.storage.schema import articles, outbox, sources  # noqa: E402

NOW = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
KINDS = ("wecom", "dingtalk", "feishu")
CHANNEL = {"wecom": "wecom_robot", "dingtalk": "dingtalk", "feishu": "feishu"}
WINDOWS = {"wecom": [(20, 60.0)], "dingtalk": [(20, 60.0)], "feishu": [(5, 1.0), (100, 60.0)]}
ITEMS = 30
FIRST_CHAT = 10_000
JSON = {"Content-Type": "application/json"}
_POINT = re.compile(r"(\w)(\d+)号要点")


class RunningClock:
    """Starts at NOW (08:00 in Shanghai) and runs at real speed (retry waits pass)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def now(self) -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - self.started)


# --- the fakes, in their own process -------------------------------------------------------------


def _summary(fake: Any, key: str) -> list[tuple[float, str, list[str], int]]:
    """(arrival, 'alert'|'digest'|'header', item markers, content hash) per accepted message."""
    out = []
    for record in fake.messages(key):
        content = record["content"]
        kind = "alert" if "🔔" in content else ("header" if "每日摘要" in content else "digest")
        marks = [a + n for a, n in _POINT.findall(content)]
        out.append((record["at"], kind, marks, hash(content)))
    return out


def _serve(pipe: Connection, robots: dict[str, list[tuple[str, str | None]]]) -> None:
    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    socketserver.BaseServer.handle_error = lambda self, request, address: None  # type: ignore[method-assign]
    fakes: dict[str, Any] = {
        "wecom": FakeWeComRobots(),
        "dingtalk": FakeDingTalk(),
        "feishu": FakeFeishu(),
    }
    telegram = FakeBotAPI(rate_limits=RateLimits(global_per_second=30, per_chat_per_second=1.0))
    telegram.start()
    for kind, fake in fakes.items():
        fake.start()
        for key, secret in robots.get(kind, []):
            fake.add_robot(key, secret=secret)
    pipe.send(
        {
            "webhooks": {k: [f.webhook(key) for key, _s in robots[k]] for k, f in fakes.items()},
            "telegram": (telegram.base_url, telegram.token),
        }
    )
    while (command := pipe.recv()) != "stop":
        if command == "accepted":
            pipe.send({k: f.stats.accepted for k, f in fakes.items()})
            continue
        pipe.send(
            {
                "robots": {
                    k: {key: _summary(f, key) for key, _s in robots[k]} for k, f in fakes.items()
                },
                "stats": {k: vars(f.stats) for k, f in fakes.items()},
                "telegram": {c: len(m) for c, m in telegram.all_messages().items()},
                "telegram_429": telegram.stats.too_many,
            }
        )
    for fake in fakes.values():
        fake.stop()
    telegram.stop()
    pipe.send("stopped")


class Fakes:
    def __init__(self, per_kind: int) -> None:
        self.keys = {
            kind: [
                (uuid.uuid4().hex, None if kind == "wecom" else f"SEC{uuid.uuid4().hex}")
                for _ in range(per_kind)
            ]
            for kind in KINDS
        }
        self.pipe, child = mp.Pipe()
        self.process = mp.get_context("spawn").Process(
            target=_serve, args=(child, self.keys), daemon=True
        )
        self.process.start()
        hello = self.pipe.recv()
        self.webhooks: dict[str, list[str]] = hello["webhooks"]
        self.telegram: tuple[str, str] = hello["telegram"]

    def accepted(self) -> dict[str, int]:
        self.pipe.send("accepted")
        return dict(self.pipe.recv())

    def report(self) -> dict[str, Any]:
        self.pipe.send("report")
        return dict(self.pipe.recv())

    def stop(self) -> None:
        self.pipe.send("stop")
        self.pipe.recv()
        self.process.join(5)


# --- the database ----------------------------------------------------------------------------------


def add_articles(engine: Any, prefix: str, count: int, section: str, at: datetime) -> list[int]:
    """Articles with long key points (a digest item is ~1 KB), marked `{prefix}{i}号要点`."""
    with engine.begin() as conn:
        source_id = conn.execute(
            insert(sources).values(
                key=f"s{prefix}", name=prefix, kind="feed", url="u", section=section, failures=0
            )
        ).inserted_primary_key[0]
        ids = []
        for i in range(count):
            points = (f"{prefix}{i}号要点：查摆出问题4804条，" + "会议强调，" * 60 + "。",
                      "需化解债务3029.56万元，" + "推进落实，" * 40 + "。")  # fmt: skip
            row = conn.execute(
                insert(articles).values(
                    source_id=source_id,
                    dedupe_key=f"{prefix}{i}",
                    url=f"http://www.shanxidayuan.com/{prefix}/{i}.shtml",
                    section=section,
                    title=f"山西省党建工作第{i}次推进会召开（{prefix}）",
                    text="会议指出，查摆出问题4804条。",
                    published_at=at - timedelta(minutes=i),
                    fetched_at=at - timedelta(minutes=i),
                    content_hash=f"h{prefix}{i}",
                    update_count=0,
                    summary_json=json.dumps(Summary(points).as_dict(), ensure_ascii=False),
                )
            )
            ids.append(int(row.inserted_primary_key[0]))
    return ids


def prepare(url: str, fakes: Fakes, subscribers: int) -> None:
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    add_articles(engine, "A", ITEMS, "要闻", NOW - timedelta(hours=1))
    add_articles(engine, "T", 2, "经济", NOW - timedelta(hours=1))
    store = GroupStore(engine)
    for kind in KINDS:
        for index, webhook in enumerate(fakes.webhooks[kind]):
            secret = fakes.keys[kind][index][1]
            spec = GroupSpec(f"{kind}-{index}", GroupKind(kind), webhook, secret,
                             sections=("要闻",), keywords=("党建",))  # fmt: skip
            store.add(validate_spec(spec), NOW - timedelta(days=1))
    if subscribers:
        add_subscribers(engine, subscribers, first_chat=FIRST_CHAT, sections="经济")
    engine.dispose()


def settings(alerts: int) -> Settings:
    return Settings(delivery=DeliverySettings(max_items=ITEMS, alert_cap_per_day=alerts + 10))


async def delivering(url: str, telegram: tuple[str, str], alerts: int) -> dict[str, Any]:
    """What `newsbot run` does: the digest tick, then (after new articles) the alert tick, the
    outbox sent through every channel's own pacer until nothing is left."""
    engine = db.create_db_engine(url)
    config = settings(alerts)
    telegram_sender = TelegramSender.create(telegram[1], telegram[0])  # as `newsbot run` does
    async with telegram_sender.bot:
        registry = build_channels(config)
        registry.attach("telegram", telegram_sender)
        store = GroupStore(engine)
        for kind in KINDS:
            channel = registry.get(CHANNEL[kind])
            assert channel is not None
            channel.sender.directory = store  # type: ignore[attr-defined]
            registry.attach(channel.name, channel.sender)
        clock = RunningClock()
        service = build_delivery(config, engine, clock, ArticleStore(engine), registry)
        recovered = service.recover(everything=True)
        started = time.perf_counter()
        report = await asyncio.to_thread(service.deliver_due_at, clock.now())
        tick = time.perf_counter() - started
        if alerts:
            new = add_articles(engine, "B", alerts, "要闻", clock.now())
            await asyncio.to_thread(service.queue_alerts, new)
        costs = Costs(engine)
        costs.start()
        started = time.perf_counter()
        sent = await service.sender.drain(poll=0.05)
        elapsed = time.perf_counter() - started
        costs.stop()
        service.close()
        for kind in KINDS:
            await registry.get(CHANNEL[kind]).sender.close()  # type: ignore[union-attr]
    engine.dispose()
    return {"queued": report.queued, "tick": tick, "elapsed": elapsed, "sent": sent.sent,
            "recovered": recovered, **costs.per(sent.sent)}  # fmt: skip


# --- measuring -----------------------------------------------------------------------------------


def window_gaps(times: list[float], count: int) -> list[float]:
    """t[k+C] - t[k] over a robot's accepted messages: how long its window took to refill."""
    times = sorted(times)
    return [times[k + count] - times[k] for k in range(len(times) - count)]


def sustained(times: list[float], count: int, seconds: float) -> float | None:
    """W / mean(t[k+C] - t[k]): how fast the robot's window refilled (None: never full)."""
    gaps = window_gaps(times, count)
    return seconds / statistics.fmean(gaps) if gaps else None


def completeness(report: dict[str, Any], alerts: int, subscribers: int) -> dict[str, int]:
    want = {f"A{i}" for i in range(ITEMS)}
    incomplete = duplicates = alert_missing = 0
    for robots in report["robots"].values():
        for messages in robots.values():
            digest = {m for _t, kind, marks, _h in messages if kind != "alert" for m in marks}
            headers = {h for _t, kind, _m, h in messages if kind == "header"}
            alerted = {m for _t, kind, marks, _h in messages if kind == "alert" for m in marks}
            incomplete += int(digest != want or len(headers) != 1)
            # a duplicate is a message (a digest chunk or an alert) that arrived more than once
            contents = Counter(h for _t, _k, _m, h in messages)
            duplicates += sum(n - 1 for n in contents.values())
            alert_missing += alerts - len(alerted)
    counts = report["telegram"]
    chats = [str(FIRST_CHAT + i) for i in range(subscribers)]
    return {
        "groups_incomplete": incomplete,
        "alerts_missing": alert_missing,
        "duplicates": duplicates + sum(max(0, counts.get(c, 0) - 1) for c in chats),
        "subscribers_without": sum(1 for c in chats if not counts.get(c)),
    }


def rates(
    report: dict[str, Any],
) -> dict[str, list[tuple[int, float, list[float], float | None]]]:
    """Per kind and window: each robot's sustained ratio, and the pooled ratio over all of them
    (W / the mean of every robot's t[k+C] - t[k] together)."""
    out: dict[str, list[tuple[int, float, list[float], float | None]]] = {}
    for kind, robots in report["robots"].items():
        out[kind] = []
        for count, seconds in WINDOWS[kind]:
            times = [[m[0] for m in messages] for messages in robots.values()]
            ratios = [r for t in times if (r := sustained(t, count, seconds)) is not None]
            gaps = [g for t in times for g in window_gaps(t, count)]
            pooled = seconds / statistics.fmean(gaps) if gaps else None
            out[kind].append((count, seconds, ratios, pooled))
    return out


# --- baseline: the same per-robot load, unpaced ----------------------------------------------------


async def baseline(per_robot: int, robots: int = 10) -> dict[str, dict[str, int]]:
    fakes = Fakes(robots)
    result: dict[str, dict[str, int]] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for kind in KINDS:
            codes: Counter[int] = Counter()

            async def post(
                url: str, index: int, codes: Counter[int] = codes, kind: str = kind
            ) -> None:
                body = _plain_body(kind, url, index, fakes)
                answer = (await client.post(body[0], content=body[1], headers=JSON)).json()
                codes[int(answer.get("errcode", answer.get("code", -1)))] += 1

            jobs = [post(url, i) for url in fakes.webhooks[kind] for i in range(per_robot)]
            await asyncio.gather(*jobs)
            result[kind] = dict(codes)
    fakes.stop()
    return result


def _plain_body(kind: str, url: str, index: int, fakes: Fakes) -> tuple[str, bytes]:
    from newsbot.channels import dingtalk, feishu, wecom_robot
    from newsbot.core.groups import RobotTarget

    secret = dict(zip(fakes.webhooks[kind], [s for _k, s in fakes.keys[kind]], strict=True))[url]
    wire = {"wecom": wecom_robot.WeComWire(), "dingtalk": dingtalk.DingTalkWire(),
            "feishu": feishu.FeishuWire()}[kind]  # fmt: skip
    return wire.request(
        RobotTarget(url, secret), f"基线消息 {index}", plain=True, now=datetime.now(UTC)
    )


# --- crash runs --------------------------------------------------------------------------------


def crash_run(
    tmp: Path, per_kind: int, subscribers: int, kill_at: float, index: int
) -> dict[str, Any]:
    url = f"sqlite:///{tmp / f'crash{index}.db'}"
    fakes = Fakes(per_kind)
    prepare(url, fakes, subscribers)
    command = [sys.executable, __file__, "--worker", url, *fakes.telegram]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # digest messages the robots will get in total (each group: its digest's chunks)
    while first.poll() is None and sum(fakes.accepted().values()) < kill_at * per_kind * 3 * 4:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    engine = db.create_db_engine(url)
    with engine.connect() as conn:
        in_flight = int(conn.scalar(select(func.count()).where(outbox.c.state == SENDING)) or 0)
    engine.dispose()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = fakes.report()
    fakes.stop()
    return {"in_flight": in_flight, **completeness(report, 0, subscribers)}


def worker(url: str, base_url: str, token: str) -> None:
    """A delivering process for the crash runs (digests only)."""
    asyncio.run(delivering(url, (base_url, token), 0))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10 groups per kind, 100 subscribers")
    parser.add_argument("--groups-per-kind", type=int, default=None)
    parser.add_argument("--subscribers", type=int, default=None)
    parser.add_argument("--alerts", type=int, default=ITEMS, help="keyword alerts per group")
    parser.add_argument("--crash-runs", type=int, default=None, help="default 2; quick 1")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    per_kind = args.groups_per_kind or (10 if args.quick else 100)
    subscribers = args.subscribers or (100 if args.quick else 1_000)
    print(
        f"groups benchmark: {per_kind} groups each of WeCom, DingTalk, Feishu + {subscribers} "
        f"Telegram subscribers due at once; {ITEMS}-item digests, then {args.alerts} alerts per "
        f"group; real time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    per_robot = 8 + args.alerts
    base = asyncio.run(baseline(per_robot))
    for kind, codes in base.items():
        print(f"baseline (unpaced, {per_robot} messages to each of 10 {kind} robots at once): "
              f"answers {dict(sorted(codes.items()))}")  # fmt: skip
    fakes = Fakes(per_kind)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'groups.db'}"
        prepare(url, fakes, subscribers)
        result = asyncio.run(delivering(url, fakes.telegram, args.alerts))
    report = fakes.report()
    fakes.stop()
    print(f"digest tick: {result['queued']} digests claimed, built and enqueued in "
          f"{result['tick']:.1f} s; sender: {result['sent']} messages in {result['elapsed']:.1f} s")  # fmt: skip
    print(f"costs (load-independent): {result['cpu_ms']:.2f} ms CPU of this process per message "
          f"sent (all channels), {result['sql']:.2f} SQL statements per message")  # fmt: skip
    for kind, windows in rates(report).items():
        stats = report["stats"][kind]
        print(f"{kind}: accepted {stats['accepted']}, rate-limit answers {stats['rate_limited']} "
              f"(goal 0), other refusals {stats['rejected']}")  # fmt: skip
        for count, seconds, ratios, pooled in windows:
            if ratios:
                print(f"  sustained vs {count} per {seconds:g} s over {len(ratios)} robots: "
                      f"min {min(ratios):.3f}, median {statistics.median(ratios):.3f}, "
                      f"all robots pooled {pooled:.3f} (goal >= 0.9)")  # fmt: skip
            else:
                print(f"  {count} per {seconds:g} s: no robot had that many queued (not measured)")
    print(f"telegram: 429s {report['telegram_429']} (goal 0)")
    done = completeness(report, args.alerts, subscribers)
    print(f"complete: groups with an incomplete or repeated digest {done['groups_incomplete']}, "
          f"alerts missing {done['alerts_missing']}, Telegram subscribers without a digest "
          f"{done['subscribers_without']}, duplicates {done['duplicates']} (goal 0 each)")  # fmt: skip
    print(f"peak RSS (this process, fakes excluded): {peak_rss_mib():.0f} MiB")
    runs = args.crash_runs if args.crash_runs is not None else (1 if args.quick else 2)
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(runs):
            kill_at = (0.5, 0.25)[index % 2]
            r = crash_run(Path(tmp), per_kind, subscribers, kill_at, index)
            print(f"crash run {index + 1}: kill -9 after ~{kill_at:.0%} of the group digests, "
                  f"restart: rows in 'sending' at the kill {r['in_flight']}, duplicates received "
                  f"{r['duplicates']}, groups incomplete {r['groups_incomplete']}, subscribers "
                  f"without {r['subscribers_without']}")  # fmt: skip


if __name__ == "__main__":
    main()
