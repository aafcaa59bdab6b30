"""A rep's own settings: `/coach language`, `/coach hours`, `/coach privacy on|off`, `/coach digest on|off`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import blockkit
from bot.storage.models import Rep
from bot.usecases.replies import Reply
from bot.usecases.reps import RepProfile
from coaching.i18n import t

if TYPE_CHECKING:
    from bot.runtime import Runtime


def set_language(rt: Runtime, rep: RepProfile, language: str | None) -> Reply:
    """`/coach language nl|en|auto`: None follows the rep's Slack locale again."""
    rt.reps.set_language(rep.team_id, rep.user_id, language)
    rep = rt.reps.profile(rep.team_id, rep.user_id)
    return Reply(t(rep.language, "coach.language_set" if language else "coach.language_auto"))


def set_hours(rt: Runtime, rep: RepProfile, hours: dict[str, object] | None) -> Reply:
    """`/coach hours 08:30-16:30 [mon-thu] [country XX]` (None: `/coach hours team`, the team's hours again).

    Hours without a country keep the rep's country, and a country alone keeps their hours.
    """
    with rt.db.transaction() as session:
        row = session.get(Rep, (rep.team_id, rep.user_id))
        assert row is not None
        kept = row.work_hours or {}
        if hours is not None and "start" not in hours:
            hours = {key: value for key, value in kept.items() if key != "country"} | hours
        elif hours is not None and "country" not in hours and kept.get("country"):
            hours = {**hours, "country": kept["country"]}
        row.work_hours = hours or None
    rep = rt.reps.profile(rep.team_id, rep.user_id)
    days = ", ".join(blockkit.weekday_name(rep.language, d) for d in sorted(rep.hours.days))
    key = "coach.hours_set" if hours and "start" in hours else "coach.hours_team"
    start, end = rep.hours.start.strftime("%H:%M"), rep.hours.end.strftime("%H:%M")
    calendar, lang = rep.hours.holidays, rep.language
    upcoming = calendar.next_holiday(rt.clock().astimezone(rep.tz).date(), lang)
    if upcoming is None:
        holidays = t(lang, "coach.holidays_none")
    else:
        date, name = upcoming
        holidays = t(
            lang,
            "coach.holidays",
            country=calendar.code,
            holiday=blockkit.escape(name),
            date=blockkit.local_date(lang, date),
        )
    return Reply(t(rep.language, key, start=start, end=end, days=days) + "\n" + holidays)


def set_flag(rt: Runtime, rep: RepProfile, flag: str, on: bool) -> Reply:
    """`/coach privacy on|off` (appear as "a teammate" to others) and `/coach digest on|off` (managers' digest)."""
    with rt.db.transaction() as session:
        row = session.get(Rep, (rep.team_id, rep.user_id))
        assert row is not None
        setattr(row, "private" if flag == "privacy" else "digest", on)
    key = "privacy" if flag == "privacy" else "digest_pref"
    return Reply(t(rep.language, f"{key}.{'on' if on else 'off'}"))
