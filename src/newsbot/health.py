"""Health and metrics for operators: GET /healthz (JSON) and GET /metrics (Prometheus text),
served on the HTTP front (newsbot.front).

Figures are read from the database at request time rather than counted in memory, so they are
right after a restart and agree across several `newsbot run` processes on one PostgreSQL.

`state` says what an operator needs first, with `reasons`:
- "down" (HTTP 503): the database does not answer, or its schema is not at the head;
- "degraded" (HTTP 200, `ok` false): the service runs but is not doing its job: sources are
  failing (every one of them, or some), or no source has ever been fetched, or the supervisor
  (service/supervisor.py) has a channel that cannot reach its platform or the database failing
  the ticks;
- "ok" (HTTP 200).
Degraded answers 200 so that a container health check does not restart a process whose origins
are down (a restart cannot fix them); monitoring reads `ok` / `state`. The supervisor's
conditions are in `components`. /healthz answers within `supervision.health_timeout_seconds`
even when the database hangs (HealthCheck), so a probe never waits on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine, func, select

from newsbot.front.routes import HttpRequest, HttpResponse, Route
from newsbot.ports import Clock
from newsbot.service.supervisor import DATABASE, Condition, Supervisor, reason_of
from newsbot.storage import db
from newsbot.storage.schema import articles, outbox, robot_groups, sources, subscribers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    ok: bool
    database: str
    schema_revision: str | None
    schema_head: str | None
    sources: int
    sources_failing: int
    last_poll_success: str | None
    articles: int
    subscribers_active: int
    outbox: dict[str, int]
    outbox_oldest_pending_seconds: float | None
    groups: dict[str, int] = field(default_factory=dict)  # robot groups by state
    groups_not_active: list[dict[str, str]] = field(default_factory=list)  # name, kind, state, why
    state: str = "ok"  # ok, degraded, down
    reasons: list[str] = field(default_factory=list)
    components: dict[str, dict[str, object]] = field(default_factory=dict)  # the supervisor's


def collect_status(engine: Engine, clock: Clock, supervisor: Supervisor | None = None) -> Status:
    """Read the service's state and judge it; never raises (a broken database is "down")."""
    return with_supervision(_database_status(engine, clock), supervisor)


def _database_status(engine: Engine, clock: Clock) -> Status:
    try:
        with engine.connect() as conn:
            source_count = conn.scalar(select(func.count()).select_from(sources)) or 0
            failing = conn.scalar(select(func.count()).where(sources.c.failures > 0)) or 0
            last_ok = conn.scalar(select(func.max(sources.c.last_success_at)))
            article_count = conn.scalar(select(func.count()).select_from(articles)) or 0
            active = conn.scalar(select(func.count()).where(subscribers.c.active.is_(True))) or 0
            rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state))
            states: dict[str, int] = {str(state): int(count) for state, count in rows}
            oldest = conn.scalar(
                select(func.min(outbox.c.created_at)).where(outbox.c.state == "pending")
            )
            groups, stopped = _groups(conn)
            never = conn.scalar(select(func.count()).where(sources.c.last_success_at.is_(None)))
            failing_examples = _failing_sources(conn)
        revision, head = db.current_revision(engine), db.head_revision()
    except Exception as exc:  # the health endpoint must answer even when the database does not
        log.warning("health check: database unavailable: %s", type(exc).__name__)
        return unreachable(
            f"error: {type(exc).__name__}", f"database unreachable ({reason_of(exc)})"
        )
    age = _age_seconds(oldest, clock.now())
    state, reasons = _judge(revision, head, source_count, failing, never or 0, failing_examples)
    return Status(
        ok=state == "ok",
        state=state,
        reasons=reasons,
        database=engine.dialect.name,
        schema_revision=revision,
        schema_head=head,
        sources=source_count,
        sources_failing=failing,
        last_poll_success=last_ok.isoformat() if last_ok else None,
        articles=article_count,
        subscribers_active=active,
        outbox=states,
        outbox_oldest_pending_seconds=age,
        groups=groups,
        groups_not_active=stopped,
    )


def unreachable(database: str, reason: str) -> Status:
    return Status(
        False, database, None, None, 0, 0, None, 0, 0, {}, None, state="down", reasons=[reason]
    )


def with_supervision(status: Status, supervisor: Supervisor | None) -> Status:
    """Add what the supervisor knows: a channel or the database down makes an ok service
    degraded (a down one stays down), with the component's reason."""
    if supervisor is None:
        return status
    reasons = list(status.reasons)
    components: dict[str, dict[str, object]] = {}
    for condition in supervisor.conditions():
        components[condition.component] = _component(condition)
        if condition.up or (condition.component == DATABASE and status.database != "error"):
            continue  # the database answered this very check
        reasons.append(f"{condition.component}: {condition.reason}")
    state = status.state
    if state == "ok" and reasons:
        state = "degraded"
    return replace(status, ok=state == "ok", state=state, reasons=reasons, components=components)


def _component(condition: Condition) -> dict[str, object]:
    since = condition.since.isoformat() if condition.since else None
    if condition.up:
        return {"up": True, "since": since}
    return {"up": False, "reason": condition.reason, "since": since, "failures": condition.failures}


def _judge(
    revision: str | None,
    head: str | None,
    source_count: int,
    failing: int,
    never_fetched: int,
    failing_examples: list[str],
) -> tuple[str, list[str]]:
    """(state, reasons) from the figures; see the module docstring."""
    if revision != head:
        return "down", [f"schema at {revision or 'nothing'}, code expects {head}"]
    reasons: list[str] = []
    if source_count and never_fetched == source_count:
        reasons.append(f"no source has ever been fetched ({source_count} configured)")
    if failing:
        scope = "every source is" if failing == source_count else f"{failing} of {source_count}"
        verb = "" if failing == source_count else " sources"
        examples = "; ".join(failing_examples)
        reasons.append(f"{scope}{verb} failing: {examples}")
    return ("degraded" if reasons else "ok"), reasons


def _failing_sources(conn: Connection, limit: int = 3) -> list[str]:
    """A few failing sources with their last error, for the reasons (the rest: newsbot sources)."""
    rows = conn.execute(
        select(sources.c.key, sources.c.last_error)
        .where(sources.c.failures > 0)
        .order_by(sources.c.failures.desc(), sources.c.key)
        .limit(limit)
    )
    return [f"{key} ({(error or '?')[:120]})" for key, error in rows]


def _groups(conn: Connection) -> tuple[dict[str, int], list[dict[str, str]]]:
    """Robot groups by state, and the paused or rejected ones with the reason (no webhooks)."""
    rows = conn.execute(
        select(
            robot_groups.c.name,
            robot_groups.c.kind,
            robot_groups.c.state,
            robot_groups.c.state_reason,
        )
    ).all()
    counts: dict[str, int] = {}
    stopped = []
    for name, kind, state, reason in rows:
        counts[str(state)] = counts.get(str(state), 0) + 1
        if state != "active":
            stopped.append({"name": name, "kind": kind, "state": state, "reason": reason or ""})
    return counts, stopped


def _age_seconds(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


class StatusCollector(Collector):
    """Prometheus view of collect_status()."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine, self._clock = engine, clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        status = collect_status(self._engine, self._clock)
        yield GaugeMetricFamily(
            "newsbot_up",
            "1 when the database answers at the schema head",
            value=float(status.state != "down"),
        )
        yield GaugeMetricFamily(
            "newsbot_degraded",
            "1 when sources fail or none was ever fetched (see /healthz reasons)",
            value=float(status.state == "degraded"),
        )
        yield GaugeMetricFamily("newsbot_sources", "configured sources", value=status.sources)
        yield GaugeMetricFamily(
            "newsbot_sources_failing",
            "sources whose last poll failed",
            value=status.sources_failing,
        )
        yield GaugeMetricFamily("newsbot_articles", "stored articles", value=status.articles)
        yield GaugeMetricFamily(
            "newsbot_subscribers_active", "active subscribers", value=status.subscribers_active
        )
        by_state = GaugeMetricFamily(
            "newsbot_outbox_messages", "outbox messages by state", labels=["state"]
        )
        for state, count in sorted(status.outbox.items()):
            by_state.add_metric([state], count)
        yield by_state
        groups = GaugeMetricFamily("newsbot_groups", "robot groups by state", labels=["state"])
        for state, count in sorted(status.groups.items()):
            groups.add_metric([state], count)
        yield groups
        yield CounterMetricFamily(
            "newsbot_sql_statements",
            "SQL statements this process sent to the database",
            value=db.STATEMENTS.value,
        )
        age = status.outbox_oldest_pending_seconds
        yield GaugeMetricFamily(
            "newsbot_outbox_oldest_pending_seconds",
            "age of the oldest pending message",
            value=age or 0.0,
        )


class HealthCheck:
    """The database part of the status off the event loop, answered within `timeout` seconds
    whatever the database does: one check at a time on its own thread (a hung connection holds
    that thread, not the chat's), and a request arriving meanwhile waits for the same check."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        supervisor: Supervisor | None = None,
        *,
        timeout: float = 5.0,
    ) -> None:
        self.engine, self.clock, self.supervisor, self.timeout = engine, clock, supervisor, timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")
        self._running: asyncio.Future[Status] | None = None

    async def status(self) -> Status:
        loop = asyncio.get_running_loop()
        if self._running is None or self._running.done():
            self._running = loop.run_in_executor(
                self._thread, _database_status, self.engine, self.clock
            )
        try:
            found = await asyncio.wait_for(asyncio.shield(self._running), self.timeout)
        except TimeoutError:
            found = unreachable(
                "error: timeout", f"database did not answer within {self.timeout:g} s"
            )
        return with_supervision(found, self.supervisor)


def health_routes(
    engine: Engine,
    clock: Clock,
    supervisor: Supervisor | None = None,
    *,
    timeout: float = 5.0,
) -> list[Route]:
    """GET /healthz and GET /metrics for the HTTP front (newsbot.front)."""
    registry = CollectorRegistry()
    registry.register(StatusCollector(engine, clock))
    check = HealthCheck(engine, clock, supervisor, timeout=timeout)

    async def healthz(request: HttpRequest) -> HttpResponse:
        status = await check.status()
        body = json.dumps(asdict(status), ensure_ascii=False).encode()
        return HttpResponse(503 if status.state == "down" else 200, body, "application/json")

    async def metrics(request: HttpRequest) -> HttpResponse:
        body = await asyncio.wait_for(asyncio.to_thread(generate_latest, registry), timeout)
        return HttpResponse(200, body, "text/plain; version=0.0.4; charset=utf-8")

    return [
        Route("GET", "/healthz", healthz, max_body=0, name="health"),
        Route("GET", "/metrics", metrics, max_body=0, name="health"),
    ]
