"""Rows for tests that seed the database directly, below the app."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.storage.models import Activity


def activity(team: str, user: str, kind: str, start: dt.datetime, minutes: float = 0, **fields: Any) -> Activity:
    """An activity row of `kind` from `start`, lasting `minutes`, written when it started."""
    end = start + dt.timedelta(minutes=minutes)
    return Activity(team_id=team, user_id=user, kind=kind, started_at=start, ended_at=end, created_at=start, **fields)
