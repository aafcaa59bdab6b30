"""Managers and the team's settings: who is a manager, `/coach managers`, and the `/coach settings` form.

Managers are the workspace's admins and owners (from Slack's `users.info`), and whoever a manager grants it. Only
they subscribe channels, read the team's export and digest, and change the team's settings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.storage.database import Database, insert_ignore
from bot.storage.models import CrmConnection, Manager, Rep, Team
from bot.usecases.reps import LANGUAGES, RepDirectory, RepProfile, reps_by_id, team_calendar, valid_settings
from coaching.cadence import CadenceSettings
from coaching.daylist import BUDGET_RANGE
from coaching.hours import WorkingHours
from coaching.i18n import t
from coaching.seasons import PostSchedule
from coaching.workdays import HolidayCalendar

if TYPE_CHECKING:
    from bot.runtime import Runtime


def is_manager(session: Session, team_id: str, user_id: str) -> bool:
    """Workspace admins and owners are managers, and so is whoever a manager granted it (as the database knows it).

    Before a manager-only action, `refusal` asks Slack first; this is the check inside its transaction.
    """
    rep = session.get(Rep, (team_id, user_id))
    if rep is not None and rep.is_admin:
        return True
    return session.get(Manager, (team_id, user_id)) is not None


def manager_ids(session: Session, team_id: str) -> list[str]:
    """The user ids of the team's managers known to the bot, sorted."""
    granted = set(session.scalars(select(Manager.user_id).where(Manager.team_id == team_id)))
    admins = set(session.scalars(select(Rep.user_id).where(Rep.team_id == team_id, Rep.is_admin.is_(True))))
    return sorted(granted | admins)


def grant(session: Session, team_id: str, user_id: str, by: str, now: dt.datetime) -> bool:
    """Make `user_id` a manager; False if they were one already."""
    return insert_ignore(session, Manager, team_id=team_id, user_id=user_id, granted_by=by, granted_at=now)


def revoke(session: Session, team_id: str, user_id: str) -> bool:
    """Take a granted manager role back (admins stay managers through Slack)."""
    return bool(session.execute(delete(Manager).where(Manager.team_id == team_id, Manager.user_id == user_id)).rowcount)


def authority(rt: Runtime, team_id: str, user_id: str, *, interactive: bool = True) -> bool | None:
    """Whether the user holds manager rights now: Slack's admin flag (asked at most a few minutes ago) or a grant.

    None when Slack can't be asked: rights are never assumed from an old answer.
    """
    return authority_of(rt.reps, rt.db, team_id, user_id, interactive=interactive)


def authority_of(reps: RepDirectory, db: Database, team_id: str, user_id: str, *, interactive: bool) -> bool | None:
    """`authority` from its parts (the sweeper has them before there is a runtime)."""
    admin = reps.slack_admin(team_id, user_id, interactive=interactive)
    if admin is None:
        return None
    if admin:
        return True
    with db.read() as session:
        return session.get(Manager, (team_id, user_id)) is not None


def refusal(rt: Runtime, rep: RepProfile) -> str | None:
    """The answer for someone who may not act as a manager now (or whom Slack can't vouch for); None for a manager."""
    allowed = authority(rt, rep.team_id, rep.user_id)
    if allowed is None:
        return t(rep.language, "manager.unverified")
    return None if allowed else t(rep.language, "manager.only")


def managers(rt: Runtime, rep: RepProfile, verb: str, user_id: str | None) -> str:
    """`/coach managers [add|remove @name]`: managers only; a refused command asks Slack and stores nothing."""
    lang, now = rep.language, rt.clock()
    refused = refusal(rt, rep)
    if refused:
        return refused
    if verb != "list" and user_id:
        rt.reps.profile(rep.team_id, user_id)  # know the person (name, admin flag) before naming them
    with rt.db.transaction() as session:
        if not is_manager(session, rep.team_id, rep.user_id):
            return t(lang, "manager.only")
        names = reps_by_id(session, rep.team_id)

        def name(uid: str) -> str:
            found = names.get(uid)
            return blockkit.escape(found.name if found and found.name else uid)

        if verb == "list":
            ids = manager_ids(session, rep.team_id)
            return (
                t(lang, "manager.list", names=", ".join(name(uid) for uid in ids)) if ids else t(lang, "manager.none")
            )
        assert user_id is not None
        if verb == "add":
            added = grant(session, rep.team_id, user_id, rep.user_id, now)
            return t(lang, "manager.added" if added else "manager.already", name=name(user_id))
        removed = revoke(session, rep.team_id, user_id)
        return t(lang, "manager.removed" if removed else "manager.not_granted", name=name(user_id))


def settings_form(rt: Runtime, rep: RepProfile) -> dict[str, Any] | str:
    """`/coach settings`: the form for managers, a refusal for everyone else.

    A stored value that isn't valid (the database edited by hand) shows its default, and the form says which.
    """
    refused = refusal(rt, rep)
    if refused:
        return refused
    with rt.db.read() as session:
        if not is_manager(session, rep.team_id, rep.user_id):
            return t(rep.language, "manager.only")
        team = session.get(Team, rep.team_id)
        assert team is not None
        settings, reset = valid_settings(dict(team.settings or {}))
        hubspot, link = None, None
        if rt.crm.enabled:
            connection = session.get(CrmConnection, rep.team_id)
            state = connection.status if connection is not None else "none"
            hubspot = f"settings.hubspot_{state}"
    notice = None
    if reset:
        fields = ", ".join(t(rep.language, f"settings.{SETTING_LABELS[name]}") for name in reset)
        notice = t(rep.language, "settings.reset", fields=fields)
    # The country whose public holidays the team takes off: as set, else that of the team's (the manager's) zone.
    country = team_calendar(settings, rep.tz_name).code
    if hubspot and rt.crm.app is not None:
        from bot.usecases import crm  # crm tells managers about HubSpot: it imports this module

        link = crm.connect_link(rt, rep.team_id, rep.user_id)
    return blockkit.settings_form(
        rep.language, settings, rep.tz_name, country, hubspot, notice=notice, hubspot_link=link
    )


#: Each stored setting, and the form field whose label names it.
SETTING_LABELS = {
    "work_hours": "days",
    "tz": "tz",
    "country": "country",
    "cadence": "gaps",
    "leaderboard": "post_day",
    "language": "language",
    "thresholds": "connect_floor",
}


def save_settings(rt: Runtime, team_id: str, user_id: str, values: dict[str, Any]) -> tuple[dict[str, str], str]:
    """Check and store the settings form: field errors, or the confirmation."""
    rep = rt.reps.profile(team_id, user_id)
    lang = rep.language
    refused = refusal(rt, rep)
    if refused:
        return {"hours_start": refused}, ""
    errors: dict[str, str] = {}
    new: dict[str, Any] = {}
    try:
        hours = WorkingHours.from_dict(
            {"start": values["hours_start"], "end": values["hours_end"], "days": values["days"] or []}
        )
        new["work_hours"] = hours.to_dict()
    except (ValueError, KeyError, TypeError):
        if not values.get("days"):
            errors["days"] = t(lang, "settings.bad_days")
        else:
            errors["hours_end"] = t(lang, "settings.bad_order")
    try:
        ZoneInfo(str(values.get("tz") or ""))
        new["tz"] = str(values["tz"])
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        errors["tz"] = t(lang, "settings.bad_tz")
    country = str(values.get("country") or "").strip()
    try:
        new["country"] = HolidayCalendar.parse(country).code if country else None
    except ValueError:
        errors["country"] = t(lang, "settings.bad_country", word=country)
    gaps = [g.strip() for g in str(values.get("gaps") or "").split(",") if g.strip()]
    if not gaps or not all(g.isdigit() and 1 <= int(g) <= 30 for g in gaps):
        errors["gaps"] = t(lang, "settings.bad_gaps")
    numbers: dict[str, int] = {}
    for field, low, high in (
        ("target", 2, 10),
        ("max_attempts", 2, 10),
        ("connect_floor", 1, 50),
        ("streak", 30, 240),
        ("admin", 15, 600),
        ("notify_budget", *BUDGET_RANGE),
    ):
        text = str(values.get(field) or "").strip()
        if not text.isdigit() or not low <= int(text) <= high:
            errors[field] = t(lang, "settings.bad_number", low=low, high=high)
        else:
            numbers[field] = int(text)
    if "gaps" not in errors and "target" in numbers and "max_attempts" in numbers:
        try:
            new["cadence"] = CadenceSettings(
                gaps=tuple(int(g) for g in gaps), target=numbers["target"], max_attempts=numbers["max_attempts"]
            ).to_dict()
        except ValueError:
            errors["max_attempts"] = t(lang, "settings.bad_attempts")
    try:
        new["leaderboard"] = PostSchedule.from_dict(
            {"weekday": int(values.get("post_day") or 4), "time": values.get("post_time") or "16:00"}
        ).to_dict()
    except (ValueError, TypeError):
        errors["post_time"] = t(lang, "settings.bad_time")
    language = values.get("language") or "auto"
    if language == "auto" or language in LANGUAGES:
        new["language"] = None if language == "auto" else language
    else:
        errors["language"] = t(lang, "settings.bad_language")
    if not errors and values.get("hubspot_token"):
        from bot.usecases import crm  # crm tells managers about HubSpot: it imports this module

        with rt.db.read() as session:
            allowed = is_manager(session, team_id, user_id)
        problem = crm.connect(rt, team_id, user_id, values["hubspot_token"]) if allowed else "manager.only"
        if problem:
            errors["hubspot_token"] = t(lang, problem)
    if not errors:
        new["notify_budget"] = numbers["notify_budget"]
        thresholds = {
            "connect_rate_floor": numbers["connect_floor"] / 100,
            "streak_max_minutes": numbers["streak"],
            "admin_max_minutes": numbers["admin"],
        }
        with rt.db.transaction() as session:
            if not is_manager(session, team_id, user_id):
                return {"hours_start": t(lang, "manager.only")}, ""
            team = session.get(Team, team_id)
            assert team is not None
            merged = {**(team.settings or {}), **new}
            merged["thresholds"] = {**(merged.get("thresholds") or {}), **thresholds}
            team.settings = merged
    saved = t(lang, "settings.saved")
    if values.get("hubspot_token") and not errors:
        saved += "\n" + t(lang, "crm.connected")
    return errors, saved
