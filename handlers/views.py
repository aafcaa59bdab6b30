"""Modal submissions: the call form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack import blockkit
from bot.usecases import calls, managers
from handlers.common import guarded, runtime


def register(app: App) -> None:
    """Register the view submissions."""
    app.view(blockkit.CALL_FORM)(call_form_submitted)
    app.view(blockkit.SETTINGS_FORM)(settings_submitted)


@guarded
def call_form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """Store the call, or show the rep which fields to fix (nothing stored)."""
    rt = runtime(context)
    team_id = (body.get("team") or {}).get("id") or view.get("team_id")
    user_id = body["user"]["id"]
    errors, text = calls.call_from_form(rt, team_id, user_id, blockkit.form_values(view.get("state") or {}))
    if errors:
        ack(response_action="errors", errors=errors)
        return
    rep = rt.reps.profile(team_id, user_id)
    ack(response_action="update", view=blockkit.logged_view(rep.language, text))


@guarded
def settings_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
    """Store the team settings, or show the manager which fields to fix (nothing stored)."""
    rt = runtime(context)
    team_id = (body.get("team") or {}).get("id") or view.get("team_id")
    errors, text = managers.save_settings(
        rt, team_id, body["user"]["id"], blockkit.settings_values(view.get("state") or {})
    )
    if errors:
        ack(response_action="errors", errors=errors)
        return
    rep = rt.reps.profile(team_id, body["user"]["id"])
    ack(response_action="update", view=blockkit.notice_view(rep.language, "settings.title", text))
