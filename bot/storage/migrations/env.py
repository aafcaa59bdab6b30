"""Alembic environment: runs on the engine the bot hands it (bot.storage.database.migrate), or on DATABASE_URL."""

from alembic import context
from sqlalchemy import Engine

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        from bot.config import load
        from bot.storage.database import make_engine

        engine = make_engine(load().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
