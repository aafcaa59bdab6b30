"""The outbox: every message the bot sends on its own is a row here first, delivered once by a sweep.

- `rows`: writing a nudge (in the transaction of its cause), cancelling follow-ups.
- `sweep`: claiming due rows and delivering them, with retries on 429 and 5xx and leases against crashes.

The one delivery mechanism: follow-ups, break suggestions, focus summaries, channel posts and digests all go
through it. May import `bot.storage`; imported by `bot.usecases` and `bot.runtime`. It knows no nudge kind:
what each kind becomes is `bot.usecases.due`'s to decide.
"""
