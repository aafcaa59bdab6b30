"""`/coach`: reads which of its subcommands the rep typed and hands it to the use case that does it.

`/coach` alone is the scorecard; `rules` and `help` come from the rule registry and the catalogs; the rest belong to
follow-ups (`away`, `back`), preferences (`language`, `hours`, `privacy`, `digest`), managers (`managers`,
`settings`) and privacy (`export`, `forget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import blockkit
from bot.usecases import followups, managers, preferences, privacy
from bot.usecases.replies import Reply, refuses_bad_input
from bot.usecases.scorecard import scorecard_text
from coaching import parser
from coaching.i18n import t
from coaching.render import rules_help

if TYPE_CHECKING:
    from bot.runtime import Runtime


@refuses_bad_input("coach")
def coach(rt: Runtime, team_id: str, user_id: str, text: str) -> Reply:
    """`/coach [rules|help|language ...|away <date>|back|hours ...|privacy|digest|managers|export|forget|settings]`."""
    rep = rt.reps.profile(team_id, user_id)
    now = rt.clock()
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
