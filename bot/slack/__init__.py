"""Slack I/O: Web API clients per workspace, Block Kit payloads, the week chart, and the Slack stand-in.

- `clients`: `Installations`, the token and Web API client of each workspace, aimed at `SLACK_API_URL`.
- `blockkit`: the Block Kit payloads reps see (messages, forms, the App Home), built from the catalogs.
- `charts`: a rep's week as one PNG for the App Home.
- `standin`: a local Slack Web API (a real HTTP server) for the tests, the demo and the benchmarks.
- `standin_socket`: the stand-in's Socket Mode side (a websocket server), for the tests of `salescoach run`.

May import `bot.storage` (the chart reads its figures) and `coaching`; imported by `bot.usecases`, `handlers`
and the wiring. Nothing here decides what to say.
"""
