"""The Slack workspace a stand-in plays: its team, people and channels, and the bot tokens it lets in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# What the stand-in does when asked about a user its workspace doesn't list.
UnknownUsers = Literal["default_profile", "user_not_found"]


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a user (what conversations.open answers)."""
    return "D" + user_id[1:]


def default_profile(user_id: str) -> dict[str, Any]:
    """The profile an open workspace gives a user it doesn't list."""
    return {"name": user_id.lower(), "real_name": user_id, "tz": "Europe/Amsterdam", "locale": "en-US"}


@dataclass(frozen=True)
class Workspace:
    """The Slack workspace the stand-in plays: who and what exists in it, and which bot tokens it lets in.

    `channels=None` means every channel exists; `tokens=None` lets in any token. `unknown_users` says what
    users.info and conversations.open answer for a user not in `users`: a default profile (an open workspace, as
    the tests and benchmarks want) or `user_not_found` (a closed one, as the demo wants).
    """

    team_id: str = "T0STANDIN"
    team_domain: str = "standin"
    team_name: str = "Slack stand-in"
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    channels: Mapping[str, str] | None = None  # channel id -> name
    tokens: frozenset[str] | None = None
    unknown_users: UnknownUsers = "default_profile"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    bot_name: str = "salescoach"
    enterprise_id: str | None = None  # the Enterprise Grid org the workspace belongs to, if any

    def profile(self, user_id: str) -> dict[str, Any] | None:
        """A user's profile fields, or None when the user doesn't exist here."""
        listed = self.users.get(user_id)
        if listed is not None:
            return dict(listed)
        return default_profile(user_id) if self.unknown_users == "default_profile" else None

    def dm_user(self, channel: str) -> str | None:
        """The user a DM channel id belongs to, or None for any other channel."""
        user = "U" + channel[1:]
        return user if channel.startswith("D") and self.profile(user) is not None else None

    def has_channel(self, channel: str) -> bool:
        """Whether the bot can post to `channel`: one of the workspace's channels or a DM with one of its users."""
        if self.channels is None:
            return bool(channel)
        return channel in self.channels or self.dm_user(channel) is not None

    def accepts(self, token: str) -> bool:
        """Whether a request with this bot token is let in."""
        return self.tokens is None or token in self.tokens
