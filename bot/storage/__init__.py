"""Storage: the database engine and sessions, the typed models, Alembic migrations, and the read queries.

- `database`: engines for SQLite and PostgreSQL, read and write transactions, `migrate`, dialect-neutral upserts.
- `models`: the schema (SQLAlchemy 2 typed models); every row belongs to a Slack workspace (`team_id`).
- `migrations/`: Alembic; `salescoach migrate` runs them.
- `records`: a rep's activities and leads as the coaching core's plain records.
- `standings`: the leaderboard's figures, computed in SQL over the daily rollup (`rep_days`).
- `export`: a rep's or a workspace's activities as CSV, streamed.

Knows nothing of Slack or of the use cases. May import `coaching` (its plain records); imported by everything in
`bot` that reads or writes.
"""
