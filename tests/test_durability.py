"""Which commits wait for the disk: every one, but for the records whose loss is harmless (Database.transaction)."""

from sqlalchemy import text


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
