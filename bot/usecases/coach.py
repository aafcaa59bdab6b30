"""`/coach`: the rep's scorecard, and which of its subcommands the rep typed, handed to the use case that does it.

`/coach` alone is the scorecard (`scorecard_text`, also on the App Home): today and this week beside each rule's
threshold. `rules` and `help` come from the rule registry and the catalogs; the rest belong to follow-ups (`away`,
`back`), preferences (`language`, `hours`, `privacy`, `digest`), managers (`managers`, `settings`), privacy
(`export`, `forget`) and HubSpot (`hubspot`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.slack import blockkit
from bot.storage.records import lead_summaries, rep_activities
from bot.usecases import crm, followups, managers, preferences, privacy
from bot.usecases.replies import Reply, refuses_bad_input
from bot.usecases.reps import RepProfile
from coaching import parser
from coaching.hours import local_day_bounds, local_week_start
from coaching.i18n import t
from coaching.render import rules_help
from coaching.scorecard import render_scorecard, scorecard

if TYPE_CHECKING:
    from bot.runtime import Runtime


@refuses_bad_input("coach")
def coach(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """`/coach [rules|help|language ...|away <date>|back|hours ...|privacy|digest|managers|export|forget|settings]`."""
    rep = rt.reps.profile(team_id, user_id)
    now = rt.clock()
    words = blockkit.unescape(text).split()
    if words and words[0].casefold() == "hubspot":
        return Reply(crm.command(rt, rep, words[1:]))
    command = parser.parse_coach(blockkit.unescape(text), now.astimezone(rep.tz).date())
    action = command.action
    if action == "help":
        return Reply(t(rep.language, "coach.help", works=blockkit.works_list(rep.language)))
    if action == "rules":
        return Reply(rules_help(rep.language, rep.coach_settings))
    if action == "language":
        return preferences.set_language(rt, rep, command.language)
    if action in ("away", "back"):
        return followups.away(rt, rep, command.until)
    if action == "hours":
        return preferences.set_hours(rt, rep, command.hours)
    if action in ("privacy", "digest"):
        return preferences.set_flag(rt, rep, action, bool(command.switch))
    if action == "managers":
        return Reply(managers.managers(rt, rep, command.verb or "list", command.user_id))
    if action == "export":
        return privacy.export(rt, rep, command.verb or "mine")
    if action == "forget":
        prompt, blocks = privacy.forget_prompt(rep)
        return Reply(prompt, blocks=blocks)
    if action == "settings":
        form = managers.settings_form(rt, rep)
        return Reply(form, ok=False) if isinstance(form, str) else Reply("", view=form)
    with rt.db.read() as session:
        return Reply(scorecard_text(session, rep, now))


def scorecard_text(session: Session, rep: RepProfile, now: dt.datetime) -> str:
    """The rep's scorecard for today and this week, in their language."""
    day_start, day_end = local_day_bounds(now, rep.tz)
    week_start = local_week_start(now, rep.tz)
    settings = rep.coach_settings
    activities = rep_activities(session, rep.team_id, rep.user_id, week_start, day_end)
    leads = lead_summaries(session, rep.team_id, rep.user_id, now - dt.timedelta(days=settings.lead_lookback_days))
    card = scorecard(
        activities,
        leads,
        settings,
        now,
        day_start=day_start,
        day_end=day_end,
        week_start=week_start,
    )
    return render_scorecard(card, rep.language)
