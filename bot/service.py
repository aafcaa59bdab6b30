"""What each slash command, button and form does, in one place the thin listeners call.

Each method takes the workspace and the rep, does one unit of work in one transaction, and returns what the rep
should read, already in their language. Bad input never stores anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from bot import coach, outbox, worklog
from bot import team as team_module
from bot.reps import RepDirectory, RepProfile, insert_ignore
from bot.slack import blockkit
from bot.slack.clients import Installations
from bot.storage.database import Database
from bot.storage.models import Lead, Nudge, ProcessedEvent, Rep, Team
from bot.teamview import TeamService
from coaching import parser
from coaching.domain import Outcome
from coaching.findings import Count
from coaching.hours import add_working_days, local_datetime, next_working_moment
from coaching.i18n import t
from coaching.render import count, rules_help

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """What a rep reads back; `ok` is False when their input was refused."""

    text: str
    ok: bool = True
    blocks: list[dict[str, Any]] | None = None  # when the answer needs buttons
    view: dict[str, Any] | None = None  # a form to open instead of a message


@dataclass(frozen=True)
class ButtonResult:
    """What a button click did: the message that replaces the nudge."""

    message: dict[str, Any]
    changed: bool


class CoachService:
    """The bot's use cases."""

    def __init__(
        self,
        db: Database,
        reps: RepDirectory,
        installations: Installations,
        clock: Callable[[], dt.datetime],
        background: Executor | None = None,
    ) -> None:
        self.db = db
        self.reps = reps
        self.installations = installations
        self.clock = clock
        self.team = TeamService(db, reps, installations, clock)
        self.background = background

    # -- /call ---------------------------------------------------------------------------------------------------

    def call(self, team_id: str, user_id: str, text: str) -> Reply:
        """`/call <lead> <outcome> [+flags] [note]` (or `help`)."""
        rep = self.reps.profile(team_id, user_id)
        if (text or "").strip().casefold() in ("help", "hulp", "?"):
            return Reply(blockkit.help_call(rep.language))
        try:
            call = parser.parse_call(_unescape(text))
        except parser.ParseError as err:
            return Reply(blockkit.parse_error(rep.language, err.key, err.params, "call"), ok=False)
        return Reply(self._log_call(rep, call, source="command"))

    def call_from_form(self, team_id: str, user_id: str, values: dict[str, Any]) -> tuple[dict[str, str], str]:
        """The call form's submission: field errors (nothing stored), or the confirmation."""
        rep = self.reps.profile(team_id, user_id)
        lead = " ".join(str(values.get("lead") or "").split())
        errors: dict[str, str] = {}
        try:
            parser.clean_text(lead)
            if not lead:
                errors["lead"] = t(rep.language, "error.modal_lead")
            elif len(lead) > parser.MAX_LEAD:
                errors["lead"] = t(rep.language, "error.lead_too_long", limit=parser.MAX_LEAD)
        except parser.ParseError as err:
            errors["lead"] = t(rep.language, err.key, **err.params)
        outcome = values.get("outcome")
        if outcome not in {o.value for o in Outcome}:
            errors["outcome"] = t(rep.language, "error.modal_outcome")
        note = str(values.get("note") or "")
        try:
            note = parser.clean_text(note.replace("\n", " "))
        except parser.ParseError as err:
            errors["note"] = t(rep.language, err.key, **err.params)
        if errors:
            return errors, ""
        flags = set(values.get("flags") or ())
        call = parser.CallCommand(
            lead=lead,
            outcome=Outcome(outcome),
            researched="researched" in flags,
            decision_maker="decision_maker" in flags,
            note=note,
        )
        return {}, self._log_call(rep, call, source="modal")

    def _log_call(self, rep: RepProfile, call: parser.CallCommand, *, source: str) -> str:
        now = self.clock()
        with self.db.transaction() as session:
            logged = worklog.log_call(session, rep, call, now, source=source)
        extras = self._after_entry(rep, now)
        lang = rep.language
        flags = [t(lang, "call.flag_research")] if call.researched else []
        flags += [t(lang, "call.flag_dm")] if call.decision_maker else []
        lines = [
            t(
                lang,
                "call.confirm",
                lead=blockkit.escape(logged.lead_name),
                outcome=blockkit.outcome_name(lang, logged.outcome),
                flags=t(lang, "call.flags", flags=", ".join(flags)) if flags else "",
            )
        ]
        if call.note:
            lines.append(t(lang, "call.note", note=blockkit.escape(call.note)))
        if logged.next_attempt_at is not None:
            lines.append(
                t(lang, "call.next_attempt", when=blockkit.local_when(lang, logged.next_attempt_at, now, rep.tz))
            )
        elif logged.cadence == "exhausted":
            lines.append(
                t(lang, "call.cadence_exhausted", attempts=logged.attempt, lead=blockkit.escape(logged.lead_name))
            )
        return "\n".join(lines + extras)

    def _after_entry(self, rep: RepProfile, now: dt.datetime) -> list[str]:
        """Lines to add after any entry: at most one coaching tip, the most relevant new finding."""
        found = coach.tip(self.db, rep, now)
        return [found] if found else []

    # -- /log, /break, /focus -------------------------------------------------------------------------------------

    def log(self, team_id: str, user_id: str, text: str) -> Reply:
        """`/log <activity> <minutes> [note]`."""
        rep = self.reps.profile(team_id, user_id)
        try:
            work = parser.parse_log(_unescape(text))
        except parser.ParseError as err:
            return Reply(blockkit.parse_error(rep.language, err.key, err.params, "log"), ok=False)
        now = self.clock()
        with self.db.transaction() as session:
            worklog.log_work(session, rep, work, now)
        extras = self._after_entry(rep, now)
        lines = [t(rep.language, "log.confirm", minutes=work.minutes, work=blockkit.work_name(rep.language, work.work))]
        return Reply("\n".join(lines + extras))

    def pause(self, team_id: str, user_id: str, text: str) -> Reply:
        """`/break [minutes]` (or `/pauze`)."""
        rep = self.reps.profile(team_id, user_id)
        try:
            pause = parser.parse_break(_unescape(text))
        except parser.ParseError as err:
            return Reply(blockkit.parse_error(rep.language, err.key, err.params, "break"), ok=False)
        now = self.clock()
        with self.db.transaction() as session:
            ends = worklog.log_break(session, rep, pause, now)
        until = ends.astimezone(rep.tz).strftime("%H:%M")
        return Reply(t(rep.language, "break.confirm", minutes=pause.minutes, until=until))

    def focus(self, team_id: str, user_id: str, text: str) -> Reply:
        """`/focus <activity> <minutes>`."""
        rep = self.reps.profile(team_id, user_id)
        try:
            focus = parser.parse_focus(_unescape(text))
        except parser.ParseError as err:
            return Reply(blockkit.parse_error(rep.language, err.key, err.params, "focus"), ok=False)
        now = self.clock()
        with self.db.transaction() as session:
            ends = worklog.start_focus(session, rep, focus, now)
        until = ends.astimezone(rep.tz).strftime("%H:%M")
        work = blockkit.work_name(rep.language, focus.work)
        return Reply(t(rep.language, "focus.confirm", minutes=focus.minutes, work=work, until=until))

    # -- /coach ---------------------------------------------------------------------------------------------------

    def coach(self, team_id: str, user_id: str, text: str) -> Reply:
        """`/coach [rules|help|language ...|away <date>|back]`: the scorecard and the rep's own settings."""
        rep = self.reps.profile(team_id, user_id)
        now = self.clock()
        try:
            command = parser.parse_coach(_unescape(text), now.astimezone(rep.tz).date())
        except parser.ParseError as err:
            return Reply(blockkit.parse_error(rep.language, err.key, err.params, "coach"), ok=False)
        if command.action == "help":
            return Reply(t(rep.language, "coach.help", works=blockkit.works_list(rep.language)))
        if command.action == "rules":
            return Reply(rules_help(rep.language, rep.coach_settings))
        if command.action == "language":
            self.reps.set_language(team_id, user_id, command.language)
            rep = self.reps.profile(team_id, user_id)
            return Reply(t(rep.language, "coach.language_set" if command.language else "coach.language_auto"))
        if command.action in ("away", "back"):
            with self.db.transaction() as session:
                moved = worklog.set_away(session, rep, command.until, now)
            if command.until is None:
                return Reply(t(rep.language, "coach.back"))
            back_on = add_working_days(command.until, 1, rep.hours)
            return Reply(
                t(rep.language, "coach.away_set", date=blockkit.local_date(rep.language, back_on), moved=moved)
            )
        if command.action == "hours":
            with self.db.transaction() as session:
                row = session.get(Rep, (team_id, user_id))
                assert row is not None
                row.work_hours = command.hours
            rep = self.reps.profile(team_id, user_id)
            hours = rep.hours
            days = ", ".join(blockkit.weekday_name(rep.language, d) for d in sorted(hours.days))
            key = "coach.hours_set" if command.hours else "coach.hours_team"
            return Reply(
                t(rep.language, key, start=hours.start.strftime("%H:%M"), end=hours.end.strftime("%H:%M"), days=days)
            )
        if command.action in ("privacy", "digest"):
            return Reply(self.team.set_flag(rep, command.action, bool(command.switch)))
        if command.action == "managers":
            return Reply(self.team.managers(rep, command.verb or "list", command.user_id))
        if command.action == "export":
            return self._export(rep, command.verb or "mine")
        if command.action == "forget":
            text, blocks = self.team.forget_prompt(rep)
            return Reply(text, blocks=blocks)
        if command.action == "settings":
            form = self.team.settings_form(rep)
            return Reply(form, ok=False) if isinstance(form, str) else Reply("", view=form)
        with self.db.read() as session:
            return Reply(coach.scorecard_text(session, rep, now))

    def _export(self, rep: RepProfile, scope: str) -> Reply:
        """Refuse at once, or answer at once and send the file from the background (uploads take Slack calls)."""
        if scope == "team":
            with self.db.read() as session:
                if not team_module.is_manager(session, rep.team_id, rep.user_id):
                    return Reply(t(rep.language, "manager.only"), ok=False)
        if self.background is None:
            return Reply(self.team.export(rep, scope))
        future = self.background.submit(self.team.export, rep, scope)
        future.add_done_callback(_log_failure)
        return Reply(t(rep.language, "export.sent_team" if scope == "team" else "export.sent"))

    def leaderboard(self, team_id: str, user_id: str, channel_id: str, text: str) -> Reply:
        """`/leaderboard [today|week|month]`, `subscribe [daily|weekly] [month]`, `unsubscribe`."""
        rep = self.reps.profile(team_id, user_id)
        try:
            command = parser.parse_leaderboard(_unescape(text))
        except parser.ParseError as err:
            return Reply(
                t(rep.language, err.key, **{k: blockkit.escape(str(v)) for k, v in err.params.items()}), ok=False
            )
        return Reply(self.team.leaderboard(rep, channel_id, command))

    # -- events and the App Home ---------------------------------------------------------------------------------

    def first_delivery(self, team_id: str, event_id: str) -> bool:
        """Record an Events API delivery; False when this event was handled before."""
        now = self.clock()
        with self.db.transaction() as session:
            insert_ignore(session, Team, id=team_id, settings={}, created_at=now)
            return insert_ignore(session, ProcessedEvent, team_id=team_id, event_id=event_id, received_at=now)

    # -- nudge buttons --------------------------------------------------------------------------------------------

    def followup_button(self, team_id: str, user_id: str, action_id: str, value: str) -> ButtonResult:
        """A click on a follow-up DM: log the attempt, snooze, or stop. A second click changes nothing."""
        rep = self.reps.profile(team_id, user_id)
        lang = rep.language
        now = self.clock()
        with self.db.transaction() as session:
            nudge = _own_nudge(session, team_id, user_id, value)
            if nudge is None:
                return ButtonResult(blockkit.plain(t(lang, "nudge.gone", lead="?")), changed=False)
            lead = session.get(Lead, nudge.lead_id)
            if lead is None:
                return ButtonResult(blockkit.plain(t(lang, "nudge.gone", lead="?")), changed=False)
            name = blockkit.escape(lead.name)
            tip_due = False
            headline = t(lang, "nudge.followup_text", lead=name, attempt=nudge.attempt or 0, target=rep.cadence.target)
            # The conditional update is the idempotency: only the first click finds acted_at empty.
            claimed = session.execute(
                update(Nudge)
                .where(Nudge.id == nudge.id, Nudge.acted_at.is_(None))
                .values(acted_at=now, action=action_id)
            ).rowcount
            if not claimed:
                state = t(lang, "nudge.already", state=(nudge.payload or {}).get("done", ""))
                return ButtonResult(blockkit.resolved_message(headline, state), changed=False)
            if lead.cadence != "active" or lead.unreached_attempts + 1 != nudge.attempt:
                return ButtonResult(blockkit.resolved_message(headline, t(lang, "nudge.gone", lead=name)), False)
            if action_id in blockkit.FOLLOWUP_LOG:
                outcome = blockkit.FOLLOWUP_LOG[action_id]
                call = parser.CallCommand(lead=lead.name, outcome=outcome)
                logged = worklog.log_call(session, rep, call, now, source="button")
                tip_due = True
                done = t(
                    lang,
                    "nudge.done_logged",
                    attempt=logged.attempt,
                    lead=name,
                    outcome=blockkit.outcome_name(lang, outcome),
                )
                if logged.next_attempt_at is not None:
                    done += "\n" + t(
                        lang, "call.next_attempt", when=blockkit.local_when(lang, logged.next_attempt_at, now, rep.tz)
                    )
            elif action_id in blockkit.FOLLOWUP_SNOOZE:
                at = _snooze_until(action_id, rep, now)
                # A snooze replaces whatever is pending for the lead (a button on the App Home acts before the DM).
                outbox.cancel_followups(session, team_id, lead.id, reason="snoozed")
                outbox.schedule(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    kind="followup",
                    due_at=at,
                    dedupe_key=f"snooze:{nudge.id}",
                    lead_id=lead.id,
                    attempt=nudge.attempt,
                    now=now,
                )
                done = t(lang, "nudge.done_snoozed", lead=name, when=blockkit.local_when(lang, at, now, rep.tz))
            else:
                lead.cadence = "stopped"
                outbox.cancel_followups(session, team_id, lead.id, reason="stopped by the rep")
                done = t(lang, "nudge.done_stopped", lead=name, attempts=count(Count(lead.attempts, "attempt"), lang))
            nudge.payload = {**(nudge.payload or {}), "done": done}
        tips = self._after_entry(rep, now) if tip_due else []
        return ButtonResult(blockkit.resolved_message(headline, done, tips), changed=True)

    def break_button(self, team_id: str, user_id: str, value: str) -> ButtonResult:
        """The "Start a 10-minute break" button on a break suggestion."""
        rep = self.reps.profile(team_id, user_id)
        now = self.clock()
        with self.db.transaction() as session:
            nudge = _own_nudge(session, team_id, user_id, value)
            if nudge is None:
                return ButtonResult(blockkit.plain(t(rep.language, "nudge.gone", lead="?")), changed=False)
            claimed = session.execute(
                update(Nudge)
                .where(Nudge.id == nudge.id, Nudge.acted_at.is_(None))
                .values(acted_at=now, action="break_start")
            ).rowcount
            if claimed:
                ends = worklog.log_break(session, rep, parser.BreakCommand(minutes=10), now)
            else:
                ends = (nudge.acted_at or now) + dt.timedelta(minutes=10)
            text = t(rep.language, "nudge.break_text", minutes=(nudge.payload or {}).get("minutes", 90))
        until = ends.astimezone(rep.tz).strftime("%H:%M")
        done = t(rep.language, "nudge.break_started", until=until)
        return ButtonResult(blockkit.resolved_message(text, done), changed=bool(claimed))


def _log_failure(future: Any) -> None:
    if future.exception() is not None:
        log.error("background work failed", exc_info=future.exception())


def _own_nudge(session: Any, team_id: str, user_id: str, value: str) -> Nudge | None:
    """The nudge a button names, if it is this rep's in this workspace (a forged id finds nothing)."""
    if not str(value).isdigit():
        return None
    nudge = session.get(Nudge, int(value))
    if nudge is None or nudge.team_id != team_id or nudge.user_id != user_id:
        return None
    return nudge


def _snooze_until(action_id: str, rep: RepProfile, now: dt.datetime) -> dt.datetime:
    tz, hours = rep.tz, rep.hours
    if action_id == "followup_snooze_hour":
        return next_working_moment(now + dt.timedelta(hours=1), tz, hours, rep.away_until)
    if action_id == "followup_snooze_morning":
        tomorrow = now.astimezone(tz).date() + dt.timedelta(days=1)
        return next_working_moment(local_datetime(tomorrow, hours.start, tz), tz, hours, rep.away_until)
    day = add_working_days(now.astimezone(tz).date(), 1, hours)
    at = now.astimezone(tz).time().replace(tzinfo=None)
    if not hours.start <= at < hours.end:
        at = hours.start
    return next_working_moment(local_datetime(day, at, tz), tz, hours, rep.away_until)


def _unescape(text: str | None) -> str:
    """Slack escapes &, < and > in command text; reps typed the characters themselves."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
