"""Slack listeners: thin callbacks that ack, parse, call one service method and respond."""

from slack_bolt import App

from handlers import actions, commands, events, views


def register(app: App) -> None:
    """Register every listener, in a fixed order."""
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
