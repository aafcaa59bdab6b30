"""Slack listeners: thin callbacks that ack, call one use case (`bot.usecases`) and respond.

May import `bot.usecases`, `bot.slack.blockkit` (form ids and payload readers) and `bot.runtime`; nothing else of `bot`.
"""

from slack_bolt import App

from handlers import actions, commands, events, views


def register(app: App) -> None:
    """Register every listener, in a fixed order."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
