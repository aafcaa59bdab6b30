"""The database: engine, sessions, and bringing the schema up to date with Alembic."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, bindparam, create_engine, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
# Any constant: serialises `migrate` across processes starting together on one PostgreSQL database.
_MIGRATION_LOCK = 7_031_955
READ_ONLY = "salescoach_read_only"
_NOT_DURABLE = text("SET LOCAL synchronous_commit = off")
#: A pooled connection idle this long (seconds) is pinged before use; one used more recently is taken as alive.
IDLE_BEFORE_PING = 5.0
_LAST_USED = "salescoach_last_used"


def make_engine(url: str) -> Engine:
    """An engine with the settings each database needs for several processes sharing it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = os.path.dirname(os.path.abspath(parsed.database))
            os.makedirs(folder, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # pysqlite would issue its own deferred BEGIN; we issue BEGIN IMMEDIATE ourselves (below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # WAL lets readers go on while a writer writes; foreign keys are off by default in SQLite.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the write lock at BEGIN, so two processes' writers queue instead of one failing
            # halfway through upgrading a read lock. Readers (Database.read) never block anyone under WAL.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10)

    @event.listens_for(engine, "checkin")
    def _last_used(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        # A connection back in the pool moments ago is alive: pinging it before every use (pool_pre_ping) cost a
        # round trip per transaction, three or four per slash command. One idle for longer may have been dropped
        # (a database restart, a proxy's idle timeout): it is pinged, and a dead one replaced (the pool retries a
        # checkout that raises DisconnectionError with a fresh connection).
        last = record.info.get(_LAST_USED)
        if last is not None and time.monotonic() - last < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as err:  # noqa: BLE001 - any failure means "not alive"
            raise exc.DisconnectionError(f"pooled connection is dead: {err}") from err

    return engine


def database_problem(err: Exception, url: str | None = None) -> str:
    """One line for an operator: which database could not be used, and the server's own reason."""
    orig = getattr(err, "orig", None) or err
    reason = next((line.strip() for line in str(orig).splitlines() if line.strip()), type(orig).__name__)
    where = "the database"
    if url:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            where = f"the SQLite database {parsed.database!r}"
        else:
            where = f"database {parsed.database!r} at {parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"can't use {where} (DATABASE_URL): {reason}"


def upsert_insert(dialect: str) -> Any:
    """The INSERT construct with ON CONFLICT support for `dialect` (both backends have one, under one name)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_ignore(session: Session, model: type, **values: Any) -> bool:
    """INSERT a row unless its primary key exists (two first requests may race); True when it was inserted."""
    statement = _insert_ignore(session.get_bind().dialect.name, model, tuple(sorted(values)))
    return session.execute(statement, values).first() is not None


@functools.lru_cache(maxsize=128)
def _insert_ignore(dialect: str, model: type, names: tuple[str, ...]) -> Any:
    # Built once per model and set of columns: every slash command's replay key goes through here.
    table = model.__table__  # type: ignore[attr-defined]
    statement = upsert_insert(dialect)(table).values({name: bindparam(name) for name in names})
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT that SQLAlchemy sent this way.
    return statement.on_conflict_do_nothing().returning(*table.primary_key.columns)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self._statement_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}, isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )
        # SQLite has one writer at a time; queueing this process's writers on a lock is fair and fast, where
        # SQLite's own busy handler polls with growing sleeps and lets newcomers starve a waiting writer.
        self._write_lock = threading.RLock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back whole when it raises.

        `durable=False` is for a record whose loss in a database crash is harmless (a replay marker, a tip shown):
        PostgreSQL then commits without waiting for the disk (`synchronous_commit = off`, this transaction only),
        which costs milliseconds on a slow disk. It is still written in order: once any later durable commit
        returns, this one is on disk too. SQLite (WAL, `synchronous=NORMAL`) doesn't wait for the disk anyway.
        """
        with self._write_lock, self.sessions() as session, session.begin():
            if not durable and self.dialect == "postgresql":
                session.execute(_NOT_DURABLE)
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this process's writer turn (SQLite) around writes made outside `transaction` (slack_sdk's stores)."""
        with self._write_lock:
            yield

    @contextlib.contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[Session]:
        """A consistent read that takes no write lock; it must not write.

        `snapshot=False` for reads whose statements need no common snapshot (each one is consistent on its own):
        on PostgreSQL they then run without BEGIN and COMMIT, two round trips fewer. SQLite's read transactions
        cost no round trip, so it reads as before.
        """
        sessions = self.read_sessions if snapshot or self.dialect != "postgresql" else self._statement_sessions
        with sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not healthy"
            return False

    def migrate(self) -> None:
        """Bring the schema up to date (Alembic `upgrade head`)."""
        migrate(self.engine)

    def dispose(self) -> None:
        """Close pooled connections (before a fork, or at exit)."""
        self.engine.dispose()


def alembic_config(engine: Engine) -> AlembicConfig:
    """An Alembic config that runs on `engine`, wherever the package is installed."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", MIGRATIONS)
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Upgrade to head; on PostgreSQL under an advisory lock so processes starting together take turns."""
    cfg = alembic_config(engine)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            try:
                conn.commit()
                command.upgrade(cfg, "head")
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()
    else:
        command.upgrade(cfg, "head")
