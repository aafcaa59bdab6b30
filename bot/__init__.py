"""Sales Coach's Slack side, in rooms named by what they do.

The modules at the top are the process wiring: `cli`, `config`, `runtime`, `app`, `server`, `scheduler`. They may
import every room below; no room imports them (use cases name `runtime.Runtime` for typing only, and Alembic's
`storage/migrations/env.py` reads `config` when it runs on its own).

- `usecases`: what each command, button, form, scheduled post and nudge does.
- `outbox`: nudges as rows, delivered once by a sweep.
- `slack`: Web API clients, Block Kit payloads, the chart, the Slack stand-in.
- `storage`: the database, its models and migrations, and the read queries.
- `demo`: `salescoach demo`, which drives the whole bot like the wiring does.

Imports go down this list, never up: a use case may use the outbox, Slack I/O and storage; storage knows nothing
of Slack. The pure coaching core is the top-level `coaching` package; the Slack listeners are `handlers`.
"""
