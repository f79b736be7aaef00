"""Load-independent costs of a benchmark phase: CPU time of this process and SQL statements.

A rate measured on a shared 2-core machine says as much about the other processes as about ours;
the CPU time this process spent per message and the statements it sent to the database per
message do not depend on the load. Use around the phase being measured:

    costs = Costs(engine)          # counts every statement executed through this engine
    costs.start()
    ... send ...
    costs.stop()
    costs.per(messages)            # {"cpu_ms": ..., "sql": ...} per message

CPU time is `getrusage(RUSAGE_SELF)` (user + system, every thread of this process: the event loop
and the database threads); the fakes run in their own processes and are not counted. A statement
is one round trip to the database (an executemany counts once).
"""

from __future__ import annotations

import resource
from typing import Any

from sqlalchemy import Engine, event


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Costs:
    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.cpu = 0.0
        self._cpu_start = 0.0
        self._statements_start = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.statements += 1

    def start(self) -> None:
        self._cpu_start = cpu_seconds()
        self._statements_start = self.statements

    def stop(self) -> None:
        self.cpu = cpu_seconds() - self._cpu_start
        self.statements -= self._statements_start

    def per(self, messages: int) -> dict[str, float]:
        n = max(1, messages)
        return {"cpu_ms": 1000.0 * self.cpu / n, "sql": self.statements / n}
