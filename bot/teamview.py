"""The team's use cases: leaderboards, subscriptions, managers, privacy, export, forget, settings, App Home."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from bot import boards, coach
from bot import team as team_module
from bot.reps import RepDirectory, RepProfile, insert_ignore
from bot.slack import blockkit
from bot.slack.charts import render_week_chart, week_data
from bot.slack.clients import Installations
from bot.storage import export
from bot.storage.database import Database
from bot.storage.models import Activity, ChartFile, Lead, Nudge, Rep, RepDay, Team, TipShown
from coaching import parser
from coaching.cadence import CadenceSettings
from coaching.domain import Outcome
from coaching.findings import Count
from coaching.hours import WorkingHours, local_day_bounds, local_week_start
from coaching.i18n import t
from coaching.render import count
from coaching.seasons import PostSchedule

log = logging.getLogger(__name__)

FORGET = "coach_forget"
SETTINGS_FORM = "team_settings"


class TeamService:
    """What managers and the team's channels see."""

    def __init__(
        self, db: Database, reps: RepDirectory, installations: Installations, clock: Callable[[], dt.datetime]
    ) -> None:
        self.db = db
        self.reps = reps
        self.installations = installations
        self.clock = clock

    # -- /leaderboard ---------------------------------------------------------------------------------------------

    def leaderboard(self, rep: RepProfile, channel_id: str, command: parser.LeaderboardCommand) -> str:
        """Show the board, or (managers, in a channel) subscribe or unsubscribe the channel."""
        lang, now = rep.language, self.clock()
        if command.action == "show":
            with self.db.read() as session:
                return boards.rep_board(session, rep, command.window, now)
        with self.db.transaction() as session:
            if not team_module.is_manager(session, rep.team_id, rep.user_id):
                return t(lang, "manager.only")
            if command.action == "unsubscribe":
                done = team_module.unsubscribe(session, rep.team_id, channel_id)
                return t(lang, "board.unsubscribed" if done else "board.not_subscribed", channel=channel_id)
            team_module.subscribe(
                session, rep.team_id, channel_id, command.frequency, command.season, rep.user_id, rep.tz_name, now
            )
            team = session.get(Team, rep.team_id)
            assert team is not None
            schedule, _ = team_module.schedule_of(team)
            tz = team_module.team_tz(team)
        clock = schedule.time.strftime("%H:%M")
        weekday = blockkit.weekday_name(lang, schedule.weekday)
        when = (
            t(lang, "board.subscribed_daily", time=clock)
            if command.frequency == "daily"
            else t(lang, "board.subscribed_weekly", weekday=weekday, time=clock)
        )
        return t(
            lang,
            "board.subscribed",
            channel=channel_id,
            when=when,
            tz=tz,
            season=t(lang, f"board.season_{command.season}"),
        )

    # -- /coach privacy, digest, managers ---------------------------------------------------------------------------

    def set_flag(self, rep: RepProfile, flag: str, on: bool) -> str:
        """`/coach privacy on|off` and `/coach digest on|off`."""
        with self.db.transaction() as session:
            row = session.get(Rep, (rep.team_id, rep.user_id))
            assert row is not None
            setattr(row, "private" if flag == "privacy" else "digest", on)
        key = "privacy" if flag == "privacy" else "digest_pref"
        return t(rep.language, f"{key}.{'on' if on else 'off'}")

    def managers(self, rep: RepProfile, verb: str, user_id: str | None) -> str:
        """`/coach managers [add|remove @name]`: managers only."""
        lang, now = rep.language, self.clock()
        if verb != "list" and user_id:
            self.reps.profile(rep.team_id, user_id)  # know the person (name, admin flag) before naming them
        with self.db.transaction() as session:
            if not team_module.is_manager(session, rep.team_id, rep.user_id):
                return t(lang, "manager.only")
            names = team_module.reps_by_id(session, rep.team_id)

            def name(uid: str) -> str:
                found = names.get(uid)
                return blockkit.escape(found.name if found and found.name else uid)

            if verb == "list":
                ids = team_module.managers(session, rep.team_id)
                return (
                    t(lang, "manager.list", names=", ".join(name(uid) for uid in ids))
                    if ids
                    else t(lang, "manager.none")
                )
            assert user_id is not None
            if verb == "add":
                added = team_module.grant(session, rep.team_id, user_id, rep.user_id, now)
                return t(lang, "manager.added" if added else "manager.already", name=name(user_id))
            removed = team_module.revoke(session, rep.team_id, user_id)
            return t(lang, "manager.removed" if removed else "manager.not_granted", name=name(user_id))

    # -- export and forget ------------------------------------------------------------------------------------------

    def export(self, rep: RepProfile, scope: str) -> str:
        """`/coach export [team]`: a CSV by DM (the team's for managers)."""
        lang, now = rep.language, self.clock()
        with self.db.read() as session:
            if scope == "team":
                if not team_module.is_manager(session, rep.team_id, rep.user_id):
                    return t(lang, "manager.only")
                content = export.team_csv(session, rep.team_id)
            else:
                content = export.rep_csv(session, rep.team_id, rep.user_id)
        when = blockkit.local_when(lang, now, now, rep.tz)
        channel = self.reps.dm_channel(rep.team_id, rep.user_id)
        self.installations.client_for(rep.team_id).files_upload_v2(
            channel=channel,
            content=content,
            filename=f"salescoach-{'team' if scope == 'team' else 'my-data'}-{now:%Y-%m-%d}.csv",
            title="Sales Coach",
            initial_comment=t(lang, "export.comment_team" if scope == "team" else "export.comment", when=when),
        )
        return t(lang, "export.sent_team" if scope == "team" else "export.sent")

    def forget_prompt(self, rep: RepProfile) -> tuple[str, list[dict[str, Any]]]:
        """`/coach forget`: what it deletes, and the button that does it (after Slack's own confirmation)."""
        lang = rep.language
        button = blockkit.button(t(lang, "forget.button"), FORGET, rep.user_id, "danger")
        button["confirm"] = {
            "title": {"type": "plain_text", "text": t(lang, "forget.confirm_title")},
            "text": {"type": "plain_text", "text": t(lang, "forget.confirm_text")},
            "confirm": {"type": "plain_text", "text": t(lang, "forget.confirm_yes")},
            "deny": {"type": "plain_text", "text": t(lang, "forget.confirm_no")},
            "style": "danger",
        }
        text = t(lang, "forget.ask")
        return text, [blockkit.section(text), {"type": "actions", "elements": [button]}]

    def forget(self, team_id: str, user_id: str) -> str:
        """Delete everything about a rep in this workspace. A second click finds nothing left and says so."""
        rep = self.reps.profile(team_id, user_id)
        lang = rep.language
        with self.db.transaction() as session:
            activities = session.execute(
                delete(Activity).where(Activity.team_id == team_id, Activity.user_id == user_id)
            ).rowcount
            nudges = session.execute(delete(Nudge).where(Nudge.team_id == team_id, Nudge.user_id == user_id)).rowcount
            # Leads no one else has called go too; a lead a teammate also works stays, under their name.
            orphans = select(Lead.id).where(
                Lead.team_id == team_id,
                ~select(Activity.id).where(Activity.lead_id == Lead.id).exists(),
            )
            session.execute(delete(Nudge).where(Nudge.team_id == team_id, Nudge.lead_id.in_(orphans)))
            session.execute(delete(Lead).where(Lead.id.in_(orphans.scalar_subquery())))
            for model in (TipShown, ChartFile, RepDay):
                session.execute(delete(model).where(model.team_id == team_id, model.user_id == user_id))
            session.execute(delete(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
        return t(lang, "forget.done", activities=activities, nudges=nudges)

    # -- settings ---------------------------------------------------------------------------------------------------

    def settings_form(self, rep: RepProfile) -> dict[str, Any] | str:
        """`/coach settings`: the form for managers, a refusal for everyone else."""
        with self.db.read() as session:
            if not team_module.is_manager(session, rep.team_id, rep.user_id):
                return t(rep.language, "manager.only")
            team = session.get(Team, rep.team_id)
            assert team is not None
            settings = dict(team.settings or {})
        return blockkit.settings_form(rep.language, settings, rep.tz_name)

    def save_settings(self, team_id: str, user_id: str, values: dict[str, Any]) -> tuple[dict[str, str], str]:
        """Check and store the settings form: field errors, or the confirmation."""
        rep = self.reps.profile(team_id, user_id)
        lang = rep.language
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
        new["language"] = None if language == "auto" else language
        if not errors:
            thresholds = {
                "connect_rate_floor": numbers["connect_floor"] / 100,
                "streak_max_minutes": numbers["streak"],
                "admin_max_minutes": numbers["admin"],
            }
            with self.db.transaction() as session:
                if not team_module.is_manager(session, team_id, user_id):
                    return {"hours_start": t(lang, "manager.only")}, ""
                team = session.get(Team, team_id)
                assert team is not None
                merged = {**(team.settings or {}), **new}
                merged["thresholds"] = {**(merged.get("thresholds") or {}), **thresholds}
                team.settings = merged
        return errors, t(lang, "settings.saved")

    # -- App Home ---------------------------------------------------------------------------------------------------

    def home(self, team_id: str, user_id: str) -> dict[str, Any]:
        """The rep's App Home, and for managers the team's week too."""
        rep = self.reps.profile(team_id, user_id)
        lang, now = rep.language, self.clock()
        with self.db.read() as session:
            card = coach.scorecard_text(session, rep, now)
            pending = _pending_followups(session, rep)
            today = _today_line(session, rep, now)
            manager = team_module.is_manager(session, team_id, user_id)
            team_line = boards.team_summary(session, team_id, now, rep.tz, lang) if manager else None
        chart = self._chart_file(rep, now)
        return blockkit.home_view(
            lang,
            scorecard=card,
            followups=[
                (nudge_id, lead, attempt, blockkit.local_when(lang, due, now, rep.tz))
                for nudge_id, lead, attempt, due in pending
            ],
            target=rep.cadence.target,
            today=today,
            team_line=team_line,
            chart_file=chart,
            commands=t(lang, "coach.help", works=blockkit.works_list(lang)),
        )

    def _chart_file(self, rep: RepProfile, now: dt.datetime) -> str | None:
        """The id of today's chart of the rep's week, uploaded to Slack once a day."""
        today = now.astimezone(rep.tz).date()
        with self.db.read() as session:
            cached = session.get(ChartFile, (rep.team_id, rep.user_id, today))
            if cached is not None:
                return cached.file_id
            start = local_week_start(now, rep.tz)
            data = week_data(session, rep.team_id, rep.user_id, start, start + dt.timedelta(days=7), rep.tz)
        png = render_week_chart(data, rep.language, target_attempts=rep.cadence.target)
        try:
            upload = self.installations.client_for(rep.team_id).files_upload_v2(
                content=png, filename=f"week-{today:%Y-%m-%d}.png", title=t(rep.language, "home.chart_alt")
            )
        except (SlackApiError, OSError) as err:
            log.warning("chart upload for %s/%s failed: %s", rep.team_id, rep.user_id, type(err).__name__)
            return None
        file_id = (upload.get("file") or {}).get("id") or ((upload.get("files") or [{}])[0]).get("id")
        if not file_id:
            return None
        with self.db.transaction() as session:
            insert_ignore(
                session,
                ChartFile,
                team_id=rep.team_id,
                user_id=rep.user_id,
                day=today,
                file_id=file_id,
                uploaded_at=now,
            )
        return str(file_id)


def _pending_followups(session: Session, rep: RepProfile) -> list[tuple[int, str, int, dt.datetime]]:
    """Follow-ups still to come, and those sent whose attempt the rep hasn't logged yet (a DM nobody clicked)."""
    rows = session.execute(
        select(Nudge.id, Lead.name, Nudge.attempt, Nudge.due_at)
        .join(Lead, Lead.id == Nudge.lead_id)
        .where(
            Nudge.team_id == rep.team_id,
            Nudge.user_id == rep.user_id,
            Nudge.kind == "followup",
            or_(
                Nudge.status.in_(("pending", "sending")),
                and_(Nudge.status == "sent", Nudge.acted_at.is_(None)),
            ),
            Lead.cadence == "active",
            Nudge.attempt == Lead.unreached_attempts + 1,
        )
        .order_by(Nudge.due_at)
        .limit(10)
    )
    return [(row.id, row.name, row.attempt or 0, row.due_at) for row in rows]


def _today_line(session: Session, rep: RepProfile, now: dt.datetime) -> str:
    start, end = local_day_bounds(now, rep.tz)
    rows = session.execute(
        select(
            Activity.kind, Activity.outcome, func.count(), func.min(Activity.started_at), func.max(Activity.ended_at)
        )
        .where(
            Activity.team_id == rep.team_id,
            Activity.user_id == rep.user_id,
            Activity.started_at >= start,
            Activity.started_at < end,
        )
        .group_by(Activity.kind, Activity.outcome)
    ).all()
    dials = sum(n for kind, _, n, *_ in rows if kind == "call")
    conversations = sum(
        n for kind, outcome, n, *_ in rows if kind == "call" and outcome and Outcome(outcome).conversation
    )
    meetings = sum(n for kind, outcome, n, *_ in rows if kind == "call" and outcome == "meeting")
    breaks = sum(n for kind, _, n, *_ in rows if kind == "break")
    work = _work_minutes(session, rep, start, end)
    lang = rep.language
    return t(
        lang,
        "home.today_line",
        dials=count(Count(dials, "dial"), lang),
        conversations=count(Count(conversations, "conversation"), lang),
        meetings=count(Count(meetings, "meeting"), lang),
        work=work,
        breaks=count(Count(breaks, "break"), lang),
    )


def _work_minutes(session: Session, rep: RepProfile, start: dt.datetime, end: dt.datetime) -> int:
    spans = session.execute(
        select(Activity.started_at, Activity.ended_at).where(
            Activity.team_id == rep.team_id,
            Activity.user_id == rep.user_id,
            Activity.kind == "work",
            Activity.started_at >= start,
            Activity.started_at < end,
        )
    )
    return round(sum((b - a).total_seconds() for a, b in spans) / 60)
