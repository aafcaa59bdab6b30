"""A throwaway PostgreSQL database: made on a server for one benchmark run, dropped after it."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Iterator

import psycopg
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def shown(url: str) -> str:
    """`url` with its password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _conninfo(url: str) -> str:
    # psycopg takes a plain postgresql:// URL; SQLAlchemy's may name a driver.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def server_version(url: str = PG_ADMIN_URL) -> str:
    """The server's version (`SHOW server_version`); raises when no server answers."""
    with psycopg.connect(_conninfo(url), connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    return str(row[0])


@contextlib.contextmanager
def throwaway_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """Yield the SQLAlchemy URL (psycopg driver) of a database made for this run; drop it afterwards.

    A failed drop is reported on stderr, not raised: it must not hide the run's own outcome.
    """
    name = f"salescoach_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_conninfo(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        try:
            with psycopg.connect(_conninfo(admin_url), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as err:  # noqa: BLE001 - see the docstring
            print(f"could not drop {name}: {err}", file=sys.stderr)
