"""Connections and commits: which commits wait for the disk (every one, but for the records whose loss is harmless),
and a pooled connection the server dropped is replaced before use."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.storage import database


def _waits_for_the_disk(session, dialect: str) -> bool:
    if dialect == "postgresql":
        return session.execute(text("SHOW synchronous_commit")).scalar_one() == "on"
    # SQLite in WAL mode with synchronous=NORMAL (1) syncs at checkpoints, never at a commit.
    assert session.execute(text("PRAGMA synchronous")).scalar_one() == 1
    return False


def test_only_transactions_marked_not_durable_commit_without_waiting_for_the_disk(db):
    postgres = db.dialect == "postgresql"
    with db.transaction() as session:
        assert _waits_for_the_disk(session, db.dialect) is postgres
    with db.transaction(durable=False) as session:
        assert _waits_for_the_disk(session, db.dialect) is False
    # SET LOCAL ends with its transaction: the next one on the same pooled connection waits for the disk again.
    with db.transaction() as session:
        assert _waits_for_the_disk(session, db.dialect) is postgres


def test_a_pooled_connection_dropped_while_idle_is_replaced_before_use(db, monkeypatch):
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    with db.transaction() as session:
        first = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    # The server drops the pooled connection (a restart, an idle timeout), and it then sits idle past the limit.
    killer = create_engine(db.url, poolclass=NullPool)
    with killer.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    killer.dispose()
    monkeypatch.setattr(database, "IDLE_BEFORE_PING", 0.0)
    with db.transaction() as session:
        second = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert second != first
