"""Engine creation and migrations: SQLite (WAL) by default, PostgreSQL by URL, same code.

Start-up faults are the operator's to fix, so they become one ConfigError naming
`storage.database_url` with the URL's password masked (exit status 2), never a traceback: a SQLite
file that cannot be created or written, a PostgreSQL server that refuses or a database that does
not exist. Migrations run under a lock (an advisory lock on PostgreSQL, a lock file beside a
SQLite database) so that two processes starting together on a fresh database do not race.
"""

from __future__ import annotations

import contextlib
import functools
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from newsbot.config import masked_url
from newsbot.core.text import clean_text, has_unstorable
from newsbot.errors import ConfigError

try:  # the lock file of SQLite migrations; every platform newsbot is deployed on has fcntl
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the operator wrote (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine configured for newsbot's access pattern on either backend, binding only
    storable text (see `_storable_parameters`)."""
    engine = _create_engine(url, echo=echo)
    event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    event.listen(engine, "after_cursor_execute", _count_statement)
    return engine


class StatementCount:
    """SQL statements this process has sent to the database (/metrics:
    newsbot_sql_statements_total): the per-request cost that load does not distort."""

    def __init__(self) -> None:
        self.value = 0

    def add(self) -> None:
        self.value += 1  # under the GIL; a lost increment in a race only blurs a figure


STATEMENTS = StatementCount()


def _count_statement(*_args: Any) -> None:
    STATEMENTS.add()


def _storable_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """Every string bound to any statement loses NUL, control characters and lone surrogates
    (core.text.clean_text): PostgreSQL refuses NUL in text (a user with NUL in their name could
    not use the bot at all), and UTF-8 cannot encode a lone surrogate. One place, every table,
    every write and every lookup alike, so a cleaned key still finds its row."""
    if executemany and isinstance(parameters, list):
        return statement, [_clean_parameters(p) for p in parameters]
    return statement, _clean_parameters(parameters)


def _clean_parameters(parameters: Any) -> Any:
    def dirty(values: Any) -> bool:
        return any(isinstance(v, str) and has_unstorable(v) for v in values)

    def clean(value: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value

    if isinstance(parameters, dict) and dirty(parameters.values()):
        return {k: clean(v) for k, v in parameters.items()}
    if isinstance(parameters, tuple | list) and dirty(parameters):
        return type(parameters)(clean(v) for v in parameters)
    return parameters


def _create_engine(url: str, *, echo: bool = False) -> Engine:
    try:
        parsed = make_url(normalize_url(url))
    except Exception as exc:
        raise ConfigError("storage.database_url", f"not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False), parsed.database, echo)
    if backend == "postgresql":
        engine = create_engine(
            parsed,
            echo=echo,
            pool_size=10,
            max_overflow=10,
            connect_args={"connect_timeout": 10},  # a silent host is an error, not a hang
        )
        event.listen(engine, "checkin", _checked_in)
        event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
        return engine
    raise ConfigError(
        "storage.database_url", f"unsupported database {backend!r} (use sqlite or postgresql)"
    )


# A PostgreSQL connection is pinged (a round trip) when it leaves the pool only after lying idle
# this long: the pool's pre-ping did it on every checkout, five times per WeChat reply, for
# connections in use a few milliseconds before. A connection that broke in that short while
# fails its statement instead; SQLAlchemy then sees the disconnect and replaces the pool's
# connections, and the caller reports it like any outage (storage/database.py, is_outage).
PING_IDLE_SECONDS = 2.0


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """The pool's checkout: a connection known to be closed, or idle for PING_IDLE_SECONDS and
    not answering, is replaced (DisconnectionError makes the pool connect afresh)."""
    if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("connection closed")
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
        return  # just connected, or used a moment ago
    try:
        dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs (outside a transaction)
    except Exception as exc:
        raise DisconnectionError(f"connection lost: {type(exc).__name__}") from exc


def _sqlite_engine(url: str, database: str | None, echo: bool) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        _prepare_sqlite_file(Path(database))
    # A pool of open connections: closing the last connection of a WAL database checkpoints it
    # (about 10 ms a write when every transaction opened its own connection). Several threads
    # share the pool; SQLite serialises writers with busy_timeout.
    engine = create_engine(
        url,
        echo=echo,
        pool_size=8,
        max_overflow=8,
        pool_pre_ping=False,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # The search index's delete trigger calls newsbot_grams() (storage/search/sqlite.py).
        from newsbot.storage.search.sqlite import register_functions

        register_functions(dbapi_connection)

    return engine


def _prepare_sqlite_file(path: Path) -> None:
    """Create the folder and the file now, so a path we cannot use is one clear line."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "storage.database_url", f"cannot create the folder {path.parent}: {_os_reason(exc)}"
        ) from None
    if path.is_dir():
        raise ConfigError("storage.database_url", f"{path} is a folder, not a database file")
    try:
        with path.open("ab"):  # creates an empty file (a valid new database) or opens for write
            pass
    except OSError as exc:
        raise ConfigError(
            "storage.database_url", f"cannot write the database {path}: {_os_reason(exc)}"
        ) from None


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def database_fault(url: str, exc: BaseException, doing: str = "connect to") -> ConfigError:
    """One line for an unusable database: the URL (password masked) and the driver's reason."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    password = make_url(url).password if "://" in url else None
    if password:
        reason = reason.replace(str(password), "********")
    return ConfigError("storage.database_url", f"cannot {doing} {masked_url(url)}: {reason}")


def check_connection(engine: Engine) -> None:
    """Connect once; ConfigError (one line, password masked) when the database is unusable."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        raise database_fault(url, exc) from None


def purge_batch(engine: Engine, table: Table, expired: ColumnElement[bool], limit: int) -> int:
    """Delete at most `limit` rows of `table` matching `expired`, oldest keys first: one short
    transaction, so a large backlog never holds the write lock for long (the caller loops)."""
    key = [column for column in table.primary_key.columns]
    chosen = select(*key).where(expired).limit(limit)
    target = key[0].in_(chosen) if len(key) == 1 else tuple_(*key).in_(chosen)
    with engine.begin() as conn:
        return int(conn.execute(delete(table).where(target)).rowcount)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start, and from several processes
    at once (the second waits for the lock, then finds the schema at the head).

    On SQLite the first connection is made under the lock too: it switches a fresh file to WAL,
    which needs the file to itself and fails at once ("database is locked") instead of waiting
    while another process is creating the schema.
    """
    config = _alembic_config()
    url = engine.url.render_as_string(hide_password=False)
    with _migration_lock(engine):
        check_connection(engine)
        try:
            with engine.begin() as connection:
                if is_postgres(engine):
                    _advisory_lock(connection)
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except OperationalError as exc:  # read-only file, disk full, lost server: not ours
            raise database_fault(url, exc, "migrate") from None


_MIGRATION_LOCK_KEY = zlib.crc32(b"newsbot migrations") - 2**31  # int4 namespace, keyed per schema


def _advisory_lock(connection: Connection) -> None:
    """Held until the migration transaction ends (PostgreSQL runs DDL in transactions)."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:key, hashtext(coalesce(current_schema(), '')))"),
        {"key": _MIGRATION_LOCK_KEY},
    )


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A lock file beside a SQLite database, held while migrating (SQLite runs most DDL outside
    a transaction, so two processes would both see an empty schema and both create it)."""
    database = engine.url.database
    if is_postgres(engine) or fcntl is None or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    """The schema revision, read without Alembic's context (which logs two lines per call)."""
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "alembic_version"):
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


@functools.cache
def head_revision() -> str | None:
    """The newest migration shipped with this code. Cached: it cannot change while the process
    runs, and reading it makes Alembic load and compile every migration script: 9% of the
    service's CPU over bench_wechat --quick, which scrapes /metrics around each burst."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()
